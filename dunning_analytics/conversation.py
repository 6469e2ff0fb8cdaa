"""Recording the conversation: a call, a letter sent, a promise to pay, a dispute.

Each recorded contact goes into the ledger's `contacts` through the same validated
load as a contacts file (ingest.load): one transaction, every refused value named
with its reason, the ledger unchanged on a refusal, and a row in `loads`. The
dunning ladder (dunning.worklist) reads the contacts, so the worklist moves on.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd

from .ingest.errors import LoadError
from .ingest.fields import CONTACT_KINDS, FIELDS

# words a person types -> the ledger's contact kind
KIND_ALIASES = {"promise": "promise_to_pay", "letter": "formal_notice"}
# the channel a contact of each kind goes through when none is given
DEFAULT_CHANNEL = {
    "service_call": "phone",
    "call": "phone",
    "promise_to_pay": "phone",
    "payment_plan": "phone",
    "reminder": "email",
    "formal_notice": "letter",
    "fourteen_day_letter": "letter",
    "collection": "letter",
}
# the contacts fields of a load, but the id: the loader derives it from the contents
_COLUMNS = [name for name in FIELDS["contacts"] if name != "contact_id"]


def contact_kind(kind: str) -> str:
    """Return the ledger's contact kind for `kind` ('promise' -> 'promise_to_pay');
    raises LoadError naming the kinds there are."""
    chosen = KIND_ALIASES.get(kind, kind)
    if chosen not in CONTACT_KINDS:
        known = ", ".join([*CONTACT_KINDS, *KIND_ALIASES])
        raise LoadError(f"unknown contact kind {kind!r}; use one of {known}")
    return chosen


def record_contacts(ledger, contacts: list[dict], source: str = "recorded contacts"):
    """Write `contacts` (dicts with client_id, kind, at and optionally invoice_id, channel,
    promised_date, promised_amount, note) to the ledger in one validated load.

    Out: the LoadResult (rows loaded, the load id). Raises LoadError, naming the field,
    value and reason, with the ledger unchanged, when any contact is refused: an unknown
    client or invoice, an invoice of another client, a promise without a date.
    """
    from .ingest.loading import load

    rows = []
    for number, contact in enumerate(contacts, start=1):
        kind = contact_kind(contact["kind"])
        promised = contact.get("promised_date")
        amount = contact.get("promised_amount")
        if kind == "promise_to_pay" and promised is None:
            raise LoadError(f"contact {number}: a promise to pay needs the promised date")
        if amount is not None and Decimal(str(amount)) <= 0:
            raise LoadError(f"contact {number}: promised amount {amount} must be above zero")
        at = contact["at"]
        if not isinstance(at, dt.datetime):
            raise LoadError(f"contact {number}: when it happened must be a date and time")
        rows.append(
            {
                "client_id": contact.get("client_id"),
                "invoice_id": contact.get("invoice_id") or None,
                "contact_at": at.strftime("%Y-%m-%d %H:%M:%S"),
                "channel": contact.get("channel") or DEFAULT_CHANNEL.get(kind),
                "kind": kind,
                "promised_date": promised.isoformat() if promised else None,
                "promised_amount": str(amount) if amount is not None else None,
                "note": contact.get("note") or None,
            }
        )
    frame = pd.DataFrame(rows, columns=_COLUMNS, dtype=object)
    return load(ledger, frame, kind="contacts", source_name=source)


def record_contact(
    ledger,
    client_id: str,
    kind: str,
    at: dt.datetime,
    invoice_id: str | None = None,
    channel: str | None = None,
    promised_date: dt.date | None = None,
    promised_amount=None,
    note: str | None = None,
):
    """Record one contact with `client_id` at `at` (see record_contacts); returns the
    LoadResult."""
    contact = {
        "client_id": client_id,
        "kind": kind,
        "at": at,
        "invoice_id": invoice_id,
        "channel": channel,
        "promised_date": promised_date,
        "promised_amount": promised_amount,
        "note": note,
    }
    return record_contacts(ledger, [contact], source=f"contact {client_id} {at:%Y-%m-%d %H:%M}")
