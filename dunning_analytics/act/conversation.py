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

from dunning_analytics.common.messages import tr
from dunning_analytics.ingest.errors import LoadError
from dunning_analytics.ingest.fields import CONTACT_KINDS, FIELDS

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
    "no_answer": "phone",
}
# what a call can end in (the form under a call sheet) -> the contact kind recorded besides
# the call itself; 'call': reached, no promise yet
CALL_OUTCOMES = ("promise_to_pay", "call", "payment_plan", "dispute", "no_answer")
# the contacts fields of a load, but the id: the loader derives it from the contents
_COLUMNS = [name for name in FIELDS["contacts"] if name != "contact_id"]


def contact_kind(kind: str) -> str:
    """Return the ledger's contact kind for `kind` ('promise' -> 'promise_to_pay');
    raises LoadError naming the kinds there are."""
    chosen = KIND_ALIASES.get(kind, kind)
    if chosen not in CONTACT_KINDS:
        known = ", ".join([*CONTACT_KINDS, *KIND_ALIASES])
        raise LoadError(
            tr("unknown contact kind {kind!r}; use one of {known}", kind=kind, known=known)
        )
    return chosen


def record_contacts(ledger, contacts: list[dict], source: str = "recorded contacts"):
    """Write `contacts` (dicts with client_id, kind, at and optionally invoice_id, channel,
    promised_date, promised_amount, note) to the ledger in one validated load.

    Out: the LoadResult (rows loaded, the load id). Raises LoadError, naming the field,
    value and reason, with the ledger unchanged, when any contact is refused: an unknown
    client or invoice, an invoice of another client, a promise without a date.
    """
    from dunning_analytics.ingest.loading import load

    rows = []
    plans = []
    for number, contact in enumerate(contacts, start=1):
        kind = contact_kind(contact["kind"])
        if contact.get("instalments"):
            contact = {**contact, **_first_instalment(number, kind, contact)}
            plans.append(contact)
        promised = contact.get("promised_date")
        amount = contact.get("promised_amount")
        if kind == "promise_to_pay" and promised is None:
            raise LoadError(tr("contact {n}: a promise to pay needs the promised date", n=number))
        if amount is not None and Decimal(str(amount)) <= 0:
            raise LoadError(
                tr(
                    "contact {n}: promised amount {amount} must be above zero",
                    n=number,
                    amount=amount,
                )
            )
        at = contact["at"]
        if not isinstance(at, dt.datetime):
            raise LoadError(tr("contact {n}: when it happened must be a date and time", n=number))
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
    if not plans:
        return load(ledger, frame, kind="contacts", source_name=source)
    from dunning_analytics.ledger import connected, transaction

    with connected(ledger, read_only=False) as con, transaction(con):
        result = load(con, frame, kind="contacts", source_name=source)
        for plan in plans:
            _write_instalments(con, plan, result.load_id)
    return result


MAX_INSTALMENTS = 120  # ten years of monthly terms


def _first_instalment(number: int, kind: str, contact: dict) -> dict:
    """Check a payment plan's instalments ((date, amount), ...): at least one, dated on or
    after the agreement and each after the one before, amounts above zero. Out: the
    contact's promised date and amount (the first instalment's) and the instalments."""
    instalments = [(d, Decimal(str(a))) for d, a in contact["instalments"]]
    day = contact["at"].date() if isinstance(contact.get("at"), dt.datetime) else None
    if kind != "payment_plan":
        raise LoadError(tr("contact {n}: only a payment plan has instalments", n=number))
    if len(instalments) > MAX_INSTALMENTS:
        raise LoadError(
            tr("contact {n}: at most {most} instalments", n=number, most=MAX_INSTALMENTS)
        )
    for n, (due, amount) in enumerate(instalments, start=1):
        before = instalments[n - 2][0] if n > 1 else None
        late_enough = isinstance(due, dt.date) and (
            due > before if before is not None else day is None or due >= day
        )
        if not late_enough:
            after = (
                tr("after the instalment before it ({date})", date=before)
                if before
                else tr("on or after the agreement ({date})", date=day)
            )
            raise LoadError(
                tr(
                    "contact {n}: instalment {k} dated {due} must fall {after}",
                    n=number,
                    k=n,
                    due=due,
                    after=after,
                )
            )
        if amount <= 0:
            raise LoadError(
                tr(
                    "contact {n}: instalment {k} of {amount} must be above zero",
                    n=number,
                    k=n,
                    amount=amount,
                )
            )
    first_date, first_amount = instalments[0]
    return {"promised_date": first_date, "promised_amount": first_amount,
            "instalments": instalments}  # fmt: skip


def _write_instalments(con, plan: dict, load_id: int) -> None:
    """Store a recorded plan's instalments under its contact (replacing those of the same
    contact recorded before)."""
    found = con.execute(
        "SELECT contact_id FROM contacts WHERE client_id = ? AND kind = 'payment_plan' "
        "AND contact_at = ? ORDER BY source_load DESC LIMIT 1",
        [plan["client_id"], plan["at"]],
    ).fetchall()
    contact_id = found[0][0]
    con.execute("DELETE FROM plan_instalments WHERE contact_id = ?", [contact_id])
    con.executemany(
        "INSERT INTO plan_instalments VALUES (?, ?, ?, ?, ?)",
        [[contact_id, n, due, amount, load_id]
         for n, (due, amount) in enumerate(plan["instalments"], start=1)],
    )  # fmt: skip


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
    instalments: list | None = None,
):
    """Record one contact with `client_id` at `at` (see record_contacts; a payment plan
    with its `instalments`, (date, amount) in order); returns the LoadResult."""
    contact = {
        "instalments": instalments or None,
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


def call_contacts(
    call,
    outcome: str,
    at: dt.datetime,
    promised_date: dt.date | None = None,
    promised_amount=None,
    note: str | None = None,
    invoice_id: str | None = None,
    instalments: list | None = None,
) -> list[dict]:
    """The contacts to record for a call made from a call sheet (dunning.PlannedCall).

    In: the call, its outcome (one of CALL_OUTCOMES: 'promise_to_pay', 'call' for
    reached without a promise, 'payment_plan', 'dispute'), when it was made, for a
    promise its date and amount (default: the call's overdue total, else its open
    total), a note, and `invoice_id` when the call was about one invoice of the sheet.

    Out: contact dicts for record_contacts:
    - every invoice the call was planned for gets the call it was (its ladder step,
      'service_call' or 'call'), so the ladder moves on;
    - a promise covers the open invoices oldest due date first up to the amount: each
      covered invoice gets a 'promise_to_pay' (which counts as the call) with its part
      of the amount, and its ladder waits until the promised date;
    - nobody answering is a 'no_answer' on each invoice the call was for: the ladder does
      not move, and the call plan tries again in the next free slot after the attempt;
    - a complaint is a 'dispute' on each invoice instead of the call: the worklist holds
      those invoices (a call to resolve it) until a later contact on them;
    - a payment plan is one contact on the client with its `instalments` ((date, amount),
      in order; default one: the promised date and amount) and note.
    Raises LoadError for an outcome the form does not know or an invoice not on the sheet.
    """
    if outcome not in CALL_OUTCOMES:
        raise LoadError(
            tr(
                "unknown call outcome {outcome!r}; use one of {known}",
                outcome=outcome,
                known=", ".join(CALL_OUTCOMES),
            )
        )
    invoices = call.invoices.sort_values(["due_date", "invoice_id"])
    if invoice_id:
        if invoice_id not in set(invoices["invoice_id"]):
            raise LoadError(
                tr(
                    "invoice {invoice} is not open for {client}",
                    invoice=invoice_id,
                    client=call.client_id,
                )
            )
        invoices = invoices[invoices["invoice_id"] == invoice_id]
    called = invoices[invoices["next_action"].isin(("service_call", "call"))]
    if called.empty:  # the one invoice asked about is not a call's: the call was still made
        called = invoices
    base = {"client_id": call.client_id, "at": at, "note": note}
    if outcome == "no_answer":  # an attempt: the ladder stays, the call plan tries again
        return [{**base, "invoice_id": i, "kind": "no_answer"} for i in called["invoice_id"]]
    if outcome == "dispute":
        return [
            {**base, "invoice_id": i, "kind": "dispute"}
            for i in (invoices if invoice_id else called)["invoice_id"]
        ]
    promised: dict[str, Decimal] = {}
    if outcome == "promise_to_pay":
        if promised_amount is None:
            promised_amount = call.total_overdue or call.total_open
        left = Decimal(str(promised_amount))
        for row in invoices.itertuples(index=False):
            if left <= 0:
                break
            promised[row.invoice_id] = min(left, Decimal(str(row.outstanding)))
            left -= promised[row.invoice_id]
    contacts = [
        {**base, "invoice_id": i, "kind": "promise_to_pay"}
        | {"promised_date": promised_date, "promised_amount": amount}
        for i, amount in promised.items()
    ]
    contacts += [
        {**base, "invoice_id": row.invoice_id, "kind": _call_kind(row.next_action)}
        for row in called.itertuples(index=False)
        if row.invoice_id not in promised
    ]
    if outcome == "payment_plan":
        terms = instalments or [(promised_date, promised_amount)]
        contacts.append({**base, "kind": "payment_plan", "instalments": terms})
    return contacts


def _call_kind(next_action: str) -> str:
    """The ladder step a call was: a service call before the due date, else a call."""
    return "service_call" if next_action == "service_call" else "call"
