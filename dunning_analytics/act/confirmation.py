"""Every agreement confirmed in writing: after a call is recorded, an e-mail draft to the
client that states what was agreed (the invoices, the amount and date of a promise, the
first instalment of a payment plan, a dispute) and what follows if it is not kept.

The wording is the jinja2 template `data/letters/confirmation.<lang>.html.j2` (sandboxed,
as the letters); the draft is an .eml marked unsent, To: the client's e-mail address where
the ledger knows one, From: your details (sender.sender_for).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

from dunning_analytics.common.formatting import resolve_lang
from dunning_analytics.ledger import LedgerError, connected, query_frame

# what a call agreed, strongest first: the confirmation states that one
AGREEMENTS = ("payment_plan", "promise_to_pay", "dispute", "call", "service_call")


def agreement(ledger, contacts: list[dict]) -> dict:
    """In: a ledger and the contacts one call recorded (conversation.call_contacts).
    Out: what was agreed: kind, at, client_id, promised_date and promised_amount (a
    promise's parts summed; a plan's first instalment), a plan's instalments (due_date,
    amount), note, and invoices (invoice_id, amount: the promised part,
    else what is open on the call's day; a plan on the client alone: its open invoices)."""
    kinds = {c["kind"] for c in contacts}
    kind = next((k for k in AGREEMENTS if k in kinds), None)
    if kind is None:  # e.g. a call nobody answered, a letter sent
        raise LedgerError(
            f"nothing was agreed in a {', '.join(sorted(kinds))} contact: no confirmation to write"
        )
    first = contacts[0]
    promised = {c["invoice_id"]: c["promised_amount"] for c in contacts
                if c["kind"] == "promise_to_pay"}  # fmt: skip
    plan = next((c for c in contacts if c["kind"] == "payment_plan"), {})
    ids = sorted({c["invoice_id"] for c in contacts if c.get("invoice_id")})
    with connected(ledger) as con:
        open_now = query_frame(
            con,
            "SELECT invoice_id, outstanding FROM invoice_settlement_at($day) "
            "WHERE client_id = $c AND outstanding > 0 ORDER BY due_date, invoice_id",
            {"day": first["at"].date(), "c": first["client_id"]},
        )
    if ids:
        open_now = open_now[open_now["invoice_id"].isin(ids)]
    rows = [{"invoice_id": i, "amount": promised.get(i, amount)}
            for i, amount in zip(open_now["invoice_id"], open_now["outstanding"], strict=True)
            if kind != "promise_to_pay" or i in promised]  # fmt: skip
    total = sum((Decimal(str(a)) for a in promised.values()), Decimal("0"))
    terms = [(d, Decimal(str(a))) for d, a in plan.get("instalments") or []]
    if terms:  # a plan's first instalment is what is promised first
        plan = {**plan, "promised_date": terms[0][0], "promised_amount": terms[0][1]}
    return {
        "instalments": [{"due_date": d, "amount": a} for d, a in terms],
        "kind": kind,
        "at": first["at"],
        "client_id": first["client_id"],
        "promised_date": plan.get("promised_date")
        or next((c["promised_date"] for c in contacts if c.get("promised_date")), None),
        "promised_amount": plan.get("promised_amount") if plan else total,
        "note": next((c["note"] for c in contacts if c.get("note")), None),
        "invoices": rows,
    }


def confirmation_email(ledger, contacts: list[dict], lang: str | None = None,
                       sender: dict | None = None, templates=None) -> EmailMessage:  # fmt: skip
    """The confirmation of one call's contacts as an e-mail draft (text and HTML parts,
    marked unsent). In: the ledger, the recorded contacts, the language (default
    DUNNING_LANG), your details (default sender.sender_for(ledger), which refuses the
    example firm's outside the demo) and the template folder (default data/letters/)."""

    from dunning_analytics.act.letters import (
        DEFAULT_TEMPLATES,
        _client,
        _environment,
        draft_email,
        render,
    )
    from dunning_analytics.act.sender import sender_for

    lang = resolve_lang(lang)
    sender = sender or sender_for(ledger)
    agreed = agreement(ledger, contacts)
    with connected(ledger) as con:
        client = _client(con, agreed["client_id"])
    folder = Path(templates or DEFAULT_TEMPLATES)
    name = f"confirmation.{lang}.html.j2"
    template = _environment(folder, lang).get_template(name)
    context = {"sender": sender, "client": client, "agreed": agreed,
               "pay": pay_block(ledger, agreed, sender)}  # fmt: skip
    body, subject = render(template, context, folder / name)
    return draft_email(sender, client["name"], client.get("email"), subject, body)


def pay_block(ledger, agreed: dict, sender: dict) -> dict | None:
    """What the confirmation asks to pay, with its SEPA payment QR code (EPC069-12):
    {amount, reference, qr}: a promise's amount, a plan's first instalment, after a call
    without either what is open; None for a dispute (nothing to pay now), without an IBAN,
    or for an amount the standard cannot carry."""
    from dunning_analytics.act.pay_code import invoice_references, payment_code

    if agreed["kind"] == "dispute" or not sender.get("iban") or not agreed["invoices"]:
        return None
    with connected(ledger) as con:
        invoices = invoice_references(con, [row["invoice_id"] for row in agreed["invoices"]])
    promised = agreed["kind"] in ("promise_to_pay", "payment_plan")
    rows = agreed["invoices"]
    amount = Decimal(str(agreed["promised_amount"] if promised else sum(r["amount"] for r in rows)))
    reference, qr = payment_code(sender, amount, invoices)
    return {"amount": amount, "reference": reference, "qr": qr} if qr else None


def write_confirmation(ledger, contacts: list[dict], folder: str | Path,
                       lang: str | None = None, sender: dict | None = None) -> Path:  # fmt: skip
    """Write the confirmation of one call's contacts into `folder` as an .eml draft, under
    a name of its own (never over another file). Out: the file written."""
    from dunning_analytics.act.letters import client_file_tag
    from dunning_analytics.ledger.outputs import unique_path, write_bytes

    message = confirmation_email(ledger, contacts, lang, sender)
    first = contacts[0]
    at: dt.datetime = first["at"]
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    word = "bevestiging" if resolve_lang(lang) == "nl" else "confirmation"
    stem = f"{at:%Y-%m-%d-%H%M}-{client_file_tag(first['client_id'])}-{word}"
    # each call's draft is kept: a second one of the same minute gets a name of its own
    path = next(
        p
        for n in range(1, 1000)
        if not (p := folder / (f"{stem}.eml" if n == 1 else f"{stem} ({n}).eml")).exists()
    )
    return write_bytes(unique_path(path, ledger), bytes(message), ledger=ledger)
