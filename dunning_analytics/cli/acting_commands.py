"""The commands a person acts with: worklist, calls, letters, contact, contacts, withdraw."""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from dunning_analytics.cli.arguments import instalment_value
from dunning_analytics.cli.output import as_of_date, table_out
from dunning_analytics.common.formatting import client_text, format_date, format_eur, plain_text
from dunning_analytics.common.messages import current_lang, tr, tr_n
from dunning_analytics.common.vocabulary import word
from dunning_analytics.ledger import LedgerError

WORKLIST_COLUMNS = [
    "action_date",
    "next_action",
    "stage",
    "client_id",
    "name",
    "invoice_id",
    "due_date",
    "outstanding",
    "days_overdue",
    "due_now",
    "action_text",
    "note",
]


def worklist_command(args: argparse.Namespace) -> int:
    """Every open invoice with its stage, next action (the ladder's codes), date and reason:
    what notebook 06 shows, as a table, CSV or Excel."""
    from dunning_analytics.ledger import connected
    from dunning_analytics.questions.dunning import worklist

    lang = current_lang()
    with connected(args.ledger, read_only=True) as con:
        as_of = as_of_date(con, args, acting=True) or dt.date.today()
        work = worklist(con, as_of, lang=lang)
    frame = work[WORKLIST_COLUMNS].sort_values(["action_date", "client_id", "invoice_id"])
    frame["days_overdue"] = frame["days_overdue"].astype("Int64")
    title = ("Worklist as of", "Werklijst per", as_of)
    # the codes stay codes in CSV and Excel, for scripts; the printed list reads them in words
    shown = {
        "sheet": ("worklist", "werklijst"),
        "money": ["outstanding"],
        "title": title,
        "totals": False,
    }
    if table_out(frame, args, **shown):
        return 0
    for row in frame.itertuples():
        print(
            f"{format_date(row.action_date, lang)}  {word(row.next_action, lang):<20} "
            f"{client_text(row.name, row.client_id)}  {row.invoice_id}  "
            f"{format_eur(row.outstanding, lang)}  {row.action_text}"
        )
    print(
        tr_n(
            "{n} open invoice, as of {date}",
            "{n} open invoices, as of {date}",
            len(frame),
            date=format_date(as_of, lang),
        )
    )
    return 0


def calls_command(args: argparse.Namespace) -> int:
    """`calls`: the week's call plan in the golden hours (table, file, calendar)."""
    from dunning_analytics.common.formatting import format_start
    from dunning_analytics.ledger import connected
    from dunning_analytics.present.exports import write_ics
    from dunning_analytics.questions.dunning import call_plan, call_table

    lang = current_lang()
    with connected(args.ledger, read_only=True) as con:
        as_of = as_of_date(con, args, acting=True) or dt.date.today()
        planned, unplanned = call_plan(con, as_of, lang=lang)
    table = call_table(planned + unplanned)
    for call in planned:
        print(
            f"{format_start(call.start, lang)}  {client_text(call.name, call.client_id)}: "
            f"{call.goal}"
        )
    for call in unplanned:
        print(tr("not planned this week: {client}", client=client_text(call.name, call.client_id)))
    title = ("Calls planned from", "Belplanning vanaf", as_of)
    table_out(table, args, sheet=("calls", "belplanning"), money=["open", "overdue"], title=title)
    if args.ics:
        path = write_ics(planned, args.ics, ledger=args.ledger, force=args.force)
        print(tr("Wrote {path}", path=path))
    return 0


def letters_command(args: argparse.Namespace) -> int:
    """`letters`: the week's letters and e-mail drafts, optionally recorded as sent."""
    from dunning_analytics.act.letters import letters_due, write_letters
    from dunning_analytics.act.sender import sender_for
    from dunning_analytics.ledger import connected

    lang = current_lang()
    sender = sender_for(args.ledger, args.sender)
    with connected(args.ledger, read_only=True) as con:
        as_of = as_of_date(con, args, acting=True) or dt.date.today()
        letters = letters_due(con, as_of, args.client, args.kind, lang, sender, args.templates)
    if not letters:
        print(tr("No letters due in the week of {date}.", date=format_date(as_of, lang)))
        return 0
    table = write_letters(
        letters, args.out, sender, pdf=not args.no_pdf, ledger=args.ledger, force=args.force
    )
    written = table[table["status"] == "written"]
    for row in written.itertuples(index=False):
        to = row.email or tr("no e-mail address: print and post the PDF")
        print(f"{word(row.kind, lang):<20} {plain_text(row.client_id):<10} {row.eml}  ({to})")
    for row in table[table["status"] != "written"].itertuples(index=False):
        print(
            tr(
                "{kind} to {client}: not written: {reason}",
                kind=word(row.kind, lang),
                client=plain_text(row.client_id),
                reason=row.status.removeprefix("not written: "),
            ),
            file=sys.stderr,
        )
    print(
        tr(
            "Wrote {written} of {n} letters and {csv} to {out}",
            written=len(written),
            n=len(table),
            csv="letters.csv",
            out=args.out,
        )
    )
    if args.mark_sent:
        _mark_sent(args, letters, as_of)
    return 0 if len(written) == len(table) else 1


def _mark_sent(args: argparse.Namespace, letters, as_of: dt.date) -> None:
    from dunning_analytics.act.letters import mark_sent

    at = dt.datetime.combine(as_of, dt.time(9, 0))
    result = mark_sent(args.ledger, letters, at)
    recorded = result.rows_loaded if result else 0
    print(
        tr(
            "Recorded {n} contacts as sent on {date} (the ladder moves on)",
            n=recorded,
            date=format_date(as_of, current_lang()),
        )
    )


def contact_command(args: argparse.Namespace) -> int:
    """`contact`: record a call, letter, promise, plan or dispute (and its confirmation)."""
    from dunning_analytics.act.conversation import record_contact
    from dunning_analytics.common.formatting import parse_amount

    amount = None
    if args.promised_amount:
        try:
            amount = parse_amount(args.promised_amount)
        except ValueError as exc:
            raise LedgerError(f"--promised-amount: {exc}") from None
    at = args.at or dt.datetime.now().replace(second=0, microsecond=0)
    instalments = [instalment_value(text) for text in args.instalment or []]
    result = record_contact(
        args.ledger,
        args.client,
        args.kind,
        at,
        invoice_id=args.invoice,
        promised_date=args.promised_date,
        promised_amount=amount,
        note=args.note,
        instalments=instalments,
    )
    from dunning_analytics.act.conversation import contact_kind

    print(
        tr(
            "Recorded: {kind} with {client} on {at} (load {load_id})",
            kind=word(contact_kind(args.kind), current_lang()),
            client=plain_text(args.client),
            at=f"{at:%d-%m-%Y %H:%M}",
            load_id=result.load_id,
        )
    )
    if args.email_out:
        _confirm(args, at, amount)
    return 0


def _confirm(args: argparse.Namespace, at: dt.datetime, amount) -> None:
    from dunning_analytics.act.confirmation import AGREEMENTS, write_confirmation
    from dunning_analytics.act.conversation import contact_kind

    kind = contact_kind(args.kind)
    if kind not in AGREEMENTS:
        print(
            tr(
                "No confirmation written: nothing is agreed in a {kind} contact.",
                kind=word(kind, current_lang()),
            )
        )
        return
    agreed = {
        "client_id": args.client,
        "kind": kind,
        "at": at,
        "invoice_id": args.invoice,
        "promised_date": args.promised_date,
        "promised_amount": amount,
        "note": args.note,
    }
    path = write_confirmation(args.ledger, [agreed], args.email_out, lang=current_lang())
    print(tr("Wrote the confirmation draft for the client: {path}", path=path))


def contacts_command(args: argparse.Namespace) -> int:
    """`contacts`: a client's last recorded contacts with their ids (to withdraw one)."""
    from dunning_analytics.act.corrections import recent_contacts

    lang = current_lang()
    frame = recent_contacts(args.ledger, args.client, limit=args.limit)
    if frame.empty:
        print(tr("No contacts recorded with {client}.", client=plain_text(args.client)))
        return 0
    for row in frame.itertuples(index=False):
        promise = (
            tr(" promised {date}", date=format_date(row.promised_date, lang))
            if isinstance(row.promised_date, dt.date)
            else ""
        )
        about = (
            tr(" on {invoice}", invoice=plain_text(row.invoice_id))
            if isinstance(row.invoice_id, str)
            else ""
        )
        note = f": {plain_text(row.note)}" if isinstance(row.note, str) else ""
        kind = word(row.kind, lang)
        print(f"{row.contact_id}  {row.contact_at:%d-%m-%Y %H:%M}  {kind}{about}{promise}{note}")
    print(
        tr(
            "Take one back with: dunning-analytics withdraw --ledger LEDGER --contact ID "
            "--reason ..."
        )
    )
    return 0


def withdraw_command(args: argparse.Namespace) -> int:
    """`withdraw`: take a recorded contact back (kept, with who and why)."""
    import getpass

    from dunning_analytics.act.corrections import withdraw_contact

    by = args.by or getpass.getuser()
    row = withdraw_contact(args.ledger, args.contact, by=by, reason=args.reason)
    print(
        tr(
            "Withdrawn: {kind} with {client} of {at} (kept in withdrawn_contacts, by {by}); "
            "the worklist no longer counts it.",
            kind=word(row["kind"], current_lang()),
            client=plain_text(row["client_id"]),
            at=f"{row['contact_at']:%d-%m-%Y %H:%M}",
            by=plain_text(by),
        )
    )
    return 0
