"""A claim statement per client: principal, statutory interest and collection costs.

What a user may put in a formal notice (aanmaning), as of a date. Interest
runs per invoice from the day after its due date up to and including the
as-of date, each day over the principal really open that day (law.claim_run);
the collection costs (law.claim_costs) are computed over the claim as a whole
(each invoice's principal when it was claimed, or now when it was not yet) and
shown per invoice pro rata. Consumers owe costs only once a 14-day letter has
expired (sent at least 15 days before the as-of date: 14 days after the day
after sending). A payment received on or after the day an invoice was claimed
(its first formal notice or 14-day letter) pays the costs owed, then the
interest, then the principal (art. 6:44 BW); an earlier one pays the principal,
as the ledger books it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd

from dunning_analytics.common.formatting import client_text, format_date, format_eur, resolve_lang
from dunning_analytics.common.vocabulary import pick
from dunning_analytics.ledger import connected, query_frame
from dunning_analytics.questions.law import claim_costs, claim_run

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
    plan: dict | None = None  # the client's latest payment plan (sql payment_plan_at)

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.costs

    def received(self) -> dict[str, Decimal]:
        """What payments since the claim was made paid (art. 6:44 BW): {'costs', 'interest',
        'principal', 'total'}; empty when nothing came in since."""
        paid = {
            part: sum(self.invoices[f"paid_{part}"], Decimal("0.00"))
            for part in ("costs", "interest", "principal")
        }
        total = sum(paid.values(), Decimal("0.00"))
        return {**paid, "total": total} if total else {}

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
        received = self.received()
        if received:
            lines.append(
                pick(
                    (
                        f"received since the claim {eur(received['total'])}, applied by art. "
                        f"6:44 BW: costs {eur(received['costs'])}, interest "
                        f"{eur(received['interest'])}, principal {eur(received['principal'])}",
                        f"ontvangen sinds de aanmaning {eur(received['total'])}, volgens art. "
                        f"6:44 BW afgeboekt op kosten {eur(received['costs'])}, rente "
                        f"{eur(received['interest'])}, hoofdsom {eur(received['principal'])}",
                    ),
                    self.lang,
                )
            )
        if self.plan is not None:
            lines.append(self.plan_text())
        note = pick(("note", "let op"), self.lang)
        return "\n".join(lines + [f"{note}: {w}" for w in self.warnings])

    def plan_text(self) -> str:
        """How the client's latest payment plan stands, in a line ('' without a plan):
        'payment plan of 2026-10-01: 1 of 3 instalments paid, the second ... is 5 days late'."""
        from dunning_analytics.questions.dunning import plan_text

        if self.plan is None:
            return ""
        agreed = format_date(self.plan["agreed_on"], self.lang)
        head = pick((f"agreed on {agreed}", f"afgesproken op {agreed}"), self.lang)
        return f"{plan_text(self.plan, self.as_of, self.lang)} ({head})"


def claim_statement(
    ledger, as_of: dt.date, client_id: str, vat_rate=None, lang: str | None = None
) -> ClaimStatement:
    """Return the claim on `client_id` as of `as_of`: overdue invoices, interest, costs.

    In: ledger, as-of date, client id, optional VAT rate on the costs (only for
    a creditor who cannot deduct VAT). Out: ClaimStatement with a per-invoice
    table (invoice_id, invoice_date, due_date, days_overdue, principal, interest, costs,
    total, and what payments since the claim paid: paid_costs, paid_interest,
    paid_principal) and the totals; warnings and summary() in `lang` (else $DUNNING_LANG,
    else English). Payments received on or after the claim was made (the invoice's first
    formal notice or 14-day letter) pay costs, then interest, then principal (art. 6:44
    BW), so an invoice the ledger counts as paid can still be part of the claim.
    """
    lang = resolve_lang(lang)
    with connected(ledger) as con:
        client = query_frame(
            con, "SELECT client_id, name, kind FROM clients WHERE client_id = $c", {"c": client_id}
        )
        if client.empty:
            raise ValueError(f"unknown client {client_id!r}")
        history = _paid_history(con, as_of, client_id)
        plan = latest_plan(con, as_of, client_id)
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
    costs_from = (
        sent + dt.timedelta(days=LETTER_EXPIRES_AFTER_DAYS)
        if kind == "consumer" and letter_expired
        else None
    )
    claims = _claims(history, as_of)
    costs = claim_costs([c["basis"] for c in claims], kind, letter_expired, vat_rate)
    shares = _pro_rata(costs, [c["basis"] for c in claims])
    invoices, warnings = _run_claims(claims, shares, as_of, kind, costs_from, lang)
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
        costs=sum(invoices["costs"], Decimal("0.00")),
        letter_expired=letter_expired,
        warnings=warnings,
        lang=lang,
        plan=plan,
    )


def latest_plan(con, as_of: dt.date, client_id: str) -> dict | None:
    """The client's payment plan agreed last on or before `as_of`, as payment_plan_at says
    it stands (the ladder file's grace days), or None."""
    from dunning_analytics.questions.dunning import plan_grace_days

    grace = plan_grace_days()
    found = con.execute(
        "SELECT * FROM payment_plan_at($as_of, $grace) WHERE client_id = $c "
        "ORDER BY agreed_on DESC, contact_id DESC LIMIT 1",
        {"as_of": as_of, "grace": grace, "c": client_id},
    )
    names = [d[0] for d in found.description]
    rows = found.fetchall()
    return dict(zip(names, rows[0], strict=True)) if rows else None


def _paid_history(con, as_of: dt.date, client_id: str) -> pd.DataFrame:
    """Every invoice of the client due before `as_of`, with what the ledger counts as paid
    on it at each day money moved (its due date, every payment or credit note of the
    client, the as-of date), and the day the claim on it was made (its first formal notice
    or 14-day letter after the due date, one naming it or the client as a whole).

    Out: one row per (invoice, day): invoice_id, invoice_date, due_date, amount, claimed_on,
    day, paid_amount (the ledger's rules: direct money, then the credit pool oldest due
    first). As of a date, later money does not exist.
    """
    return query_frame(
        con,
        """
        WITH
        client_invoices AS (
            SELECT invoice_id, invoice_date, due_date, amount FROM invoices
            WHERE client_id = $c AND amount > 0 AND due_date < $as_of AND invoice_date <= $as_of
        ),

        money_days AS (
            SELECT paid_date AS day FROM payments
            WHERE (client_id = $c OR invoice_id IN (SELECT invoice_id FROM client_invoices))
              AND paid_date <= $as_of
            UNION SELECT invoice_date FROM invoices
            WHERE client_id = $c AND amount < 0 AND invoice_date <= $as_of
            UNION SELECT due_date FROM client_invoices
            UNION SELECT $as_of
        ),

        claimed AS (
            SELECT i.invoice_id, min(k.contact_at::DATE) AS claimed_on
            FROM client_invoices AS i
            JOIN contacts AS k
              ON k.client_id = $c AND (k.invoice_id = i.invoice_id OR k.invoice_id IS NULL)
             AND k.kind IN ('formal_notice', 'fourteen_day_letter')
             AND k.contact_at::DATE > i.due_date AND k.contact_at::DATE <= $as_of
            GROUP BY i.invoice_id
        ),

        paid AS (
            SELECT as_of AS day, invoice_id, paid_amount
            FROM receivable_items((SELECT list(day) FROM money_days), false, only_client := $c)
            WHERE item_type = 'invoice'
        ),

        final AS (
            SELECT i.*, k.claimed_on, p.day, p.paid_amount
            FROM client_invoices AS i
            JOIN paid AS p USING (invoice_id)
            LEFT JOIN claimed AS k USING (invoice_id)
        )

        SELECT * FROM final ORDER BY due_date, invoice_id, day
        """,
        {"as_of": as_of, "c": client_id},
    )


def _claims(history: pd.DataFrame, as_of: dt.date) -> list[dict]:
    """The invoices that make the claim, each with what was open when its default began
    (`open_at_start`), the payments after that (day, amount), and the principal its costs
    are counted over (`basis`): what was open when it was claimed, or, not yet claimed,
    what is open on `as_of`. Invoices with nothing open at that point are not in it."""
    claims = []
    for invoice_id, rows in history.groupby("invoice_id", sort=False):
        first = rows.iloc[0]
        paid = dict(zip(rows["day"], rows["paid_amount"], strict=True))
        days = sorted(paid)

        def paid_by(day, paid=paid, days=days):
            known = [d for d in days if d <= day]
            return paid[known[-1]] if known else Decimal("0.00")

        claimed_on = first["claimed_on"] if isinstance(first["claimed_on"], dt.date) else None
        moved = [
            (day, paid[day] - paid_by(day - dt.timedelta(days=1)))
            for day in days
            if day > first["due_date"]
        ]
        basis_day = claimed_on - dt.timedelta(days=1) if claimed_on else as_of
        basis = first["amount"] - paid_by(basis_day)
        if basis > 0:
            claims.append(
                {
                    "invoice_id": invoice_id,
                    "invoice_date": first["invoice_date"],
                    "due_date": first["due_date"],
                    "open_at_start": first["amount"] - paid_by(first["due_date"]),
                    "payments": [(d, a) for d, a in moved if a != 0],
                    "claimed_on": claimed_on,
                    "basis": basis,
                }
            )
    return claims


def _run_claims(claims, shares, as_of, kind, costs_from, lang) -> tuple[pd.DataFrame, list]:
    """Run every claim with its share of the costs up to and including `as_of`
    (law.claim_run). Out: the per-invoice table and the warnings."""
    rows, warnings = [], []
    for claim, share in zip(claims, shares, strict=True):
        # a business owes the costs from the claim on, a consumer once the 14-day letter expired
        owed_from = costs_from if kind == "consumer" else claim["claimed_on"]
        run = claim_run(
            claim["open_at_start"],
            claim["due_date"] + dt.timedelta(days=1),
            as_of + dt.timedelta(days=1),
            kind="consumer" if kind == "consumer" else "commercial",
            payments=claim["payments"],
            costs=share,
            claimed_on=claim["claimed_on"],
            costs_from=owed_from,
            lang=lang,
        )
        warnings += [w for w in run.warnings if w not in warnings]
        since = [p for p in run.payments if claim["claimed_on"] and p.day >= claim["claimed_on"]]
        paid = {
            part: sum((getattr(p, part) for p in since), Decimal("0.00"))
            for part in ("costs", "interest", "principal")
        }
        rows.append(
            {
                "invoice_id": claim["invoice_id"],
                "invoice_date": claim["invoice_date"],
                "due_date": claim["due_date"],
                "days_overdue": (as_of - claim["due_date"]).days,
                "principal": run.principal_left,
                "interest": run.interest_left,
                "costs": run.costs_left,
                "total": run.principal_left + run.interest_left + run.costs_left,
                "claimed_on": claim["claimed_on"],
                "paid_costs": paid["costs"],
                "paid_interest": paid["interest"],
                "paid_principal": paid["principal"],
            }
        )
    frame = pd.DataFrame(rows, columns=CLAIM_COLUMNS)
    return frame[frame["total"] != 0].reset_index(drop=True), warnings


CLAIM_COLUMNS = [
    "invoice_id",
    "invoice_date",
    "due_date",
    "days_overdue",
    "principal",
    "interest",
    "costs",
    "total",
    "claimed_on",
    "paid_costs",
    "paid_interest",
    "paid_principal",
]


def _pro_rata(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split `total` over `weights` in cents; the last share takes the rounding rest."""
    if not weights:
        return []
    whole = sum(weights, Decimal("0"))
    shares = [(total * w / whole).quantize(Decimal("0.01")) for w in weights[:-1]]
    return shares + [total - sum(shares, Decimal("0.00"))]
