"""A claim statement per client: principal, statutory interest and collection costs.

What a user may put in a formal notice (aanmaning), as of a date. Interest
runs per invoice from the day after its due date up to and including the
as-of date, over the amount still open (law.statutory_interest); the
collection costs (law.claim_costs) are computed over the claim as a whole
and shown per invoice pro rata. Consumers owe costs only once a 14-day
letter has expired (sent at least 15 days before the as-of date: 14 days
after the day after sending).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd

from .formatting import client_text, format_date, format_eur, resolve_lang
from .law import claim_costs, statutory_interest
from .ledger import connected, query_frame
from .vocabulary import pick

LETTER_EXPIRES_AFTER_DAYS = 15


@dataclass
class ClaimStatement:
    """The claim on one client as of a date: per invoice and in total."""

    client_id: str
    name: str
    kind: str
    as_of: dt.date
    invoices: pd.DataFrame
    principal: Decimal
    interest: Decimal
    costs: Decimal
    letter_expired: bool
    warnings: list[str] = field(default_factory=list)
    lang: str = "en"

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.costs

    def summary(self) -> str:
        """The claim in a few plain lines in the claim's language: who, principal, interest,
        costs, total, and the warnings."""

        def eur(value) -> str:
            return format_eur(value, self.lang)

        lines = [
            pick(
                (
                    f"{client_text(self.name, self.client_id)}, as of "
                    f"{format_date(self.as_of, 'en')}",
                    f"{client_text(self.name, self.client_id)}, per "
                    f"{format_date(self.as_of, 'nl')}",
                ),
                self.lang,
            ),
            pick(
                (
                    f"principal {eur(self.principal)}, statutory interest {eur(self.interest)}, "
                    f"collection costs {eur(self.costs)}: total {eur(self.total)}",
                    f"hoofdsom {eur(self.principal)}, wettelijke rente {eur(self.interest)}, "
                    f"incassokosten {eur(self.costs)}: totaal {eur(self.total)}",
                ),
                self.lang,
            ),
        ]
        note = pick(("note", "let op"), self.lang)
        return "\n".join(lines + [f"{note}: {w}" for w in self.warnings])


def claim_statement(
    ledger, as_of: dt.date, client_id: str, vat_rate=None, lang: str | None = None
) -> ClaimStatement:
    """Return the claim on `client_id` as of `as_of`: overdue invoices, interest, costs.

    In: ledger, as-of date, client id, optional VAT rate on the costs (only for
    a creditor who cannot deduct VAT). Out: ClaimStatement with a per-invoice
    table (invoice_id, due_date, days_overdue, principal, interest, costs,
    total) and the totals; warnings and summary() in `lang` (else $DUNNING_LANG, else
    English).
    """
    lang = resolve_lang(lang)
    with connected(ledger) as con:
        client = query_frame(
            con, "SELECT client_id, name, kind FROM clients WHERE client_id = $c", {"c": client_id}
        )
        if client.empty:
            raise ValueError(f"unknown client {client_id!r}")
        invoices = query_frame(
            con,
            """
            SELECT invoice_id, due_date, outstanding AS principal, $as_of - due_date AS days_overdue
            FROM invoice_settlement_at($as_of)
            WHERE client_id = $c AND outstanding > 0 AND due_date < $as_of
            ORDER BY due_date, invoice_id
            """,
            {"as_of": as_of, "c": client_id},
        )
        letters = query_frame(
            con,
            """
            SELECT max(contact_at)::DATE AS sent FROM contacts
            WHERE client_id = $c AND kind = 'fourteen_day_letter' AND contact_at::DATE <= $as_of
            """,
            {"as_of": as_of, "c": client_id},
        )
    kind = client.loc[0, "kind"]
    sent = letters.loc[0, "sent"]
    letter_expired = bool(
        isinstance(sent, dt.date) and (as_of - sent).days >= LETTER_EXPIRES_AFTER_DAYS
    )
    warnings: list[str] = []
    interest = []
    for row in invoices.itertuples(index=False):
        result = statutory_interest(
            row.principal,
            row.due_date + dt.timedelta(days=1),
            as_of + dt.timedelta(days=1),
            kind="consumer" if kind == "consumer" else "commercial",
            lang=lang,
        )
        interest.append(result.total)
        warnings += [w for w in result.warnings if w not in warnings]
    invoices["interest"] = interest
    costs = claim_costs(list(invoices["principal"]), kind, letter_expired, vat_rate)
    invoices["costs"] = _pro_rata(costs, list(invoices["principal"]))
    invoices["total"] = [
        p + i + c
        for p, i, c in zip(
            invoices["principal"], invoices["interest"], invoices["costs"], strict=True
        )
    ]
    if kind == "consumer" and not letter_expired and len(invoices):
        warnings.append(
            pick(
                (
                    "no collection costs: a consumer owes them only after a 14-day letter has "
                    "expired",
                    "geen incassokosten: een consument is die pas verschuldigd als de termijn "
                    "van een veertiendagenbrief is verstreken",
                ),
                lang,
            )
        )
    return ClaimStatement(
        client_id=client_id,
        name=client.loc[0, "name"],
        kind=kind,
        as_of=as_of,
        invoices=invoices,
        principal=sum(invoices["principal"], Decimal("0.00")),
        interest=sum(invoices["interest"], Decimal("0.00")),
        costs=costs,
        letter_expired=letter_expired,
        warnings=warnings,
        lang=lang,
    )


def _pro_rata(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split `total` over `weights` in cents; the last share takes the rounding rest."""
    if not weights:
        return []
    whole = sum(weights, Decimal("0"))
    shares = [(total * w / whole).quantize(Decimal("0.01")) for w in weights[:-1]]
    return shares + [total - sum(shares, Decimal("0.00"))]
