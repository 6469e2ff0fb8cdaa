"""The `dunning-analytics` command: load, demo, aging.

Every sub-command takes the ledger path with --ledger. Dates default to the
ledger's latest date, never silently to today's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import errno
import os
import re
import sys
from pathlib import Path

from .formatting import client_text, plain_frame, plain_text
from .ingest.fields import EARLIEST_YEAR, FUTURE_MARGIN_DAYS, LATE_YEARS
from .ledger import LedgerError, damaged


def _date(text: str) -> dt.date:
    from .formatting import parse_date

    try:
        return parse_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _whole(low: int, high: int):
    """An argparse type: a whole number from `low` to `high`, refused in a sentence."""

    def whole(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number from {low} to {high}")
        return value

    return whole


def _buckets(text: str) -> list[int]:
    parts = [p for p in text.replace("/", ",").replace(";", ",").split(",") if p.strip()]
    try:
        bounds = [int(p) for p in parts]
    except ValueError:
        bounds = []
    if not bounds or bounds[0] < 1 or any(a >= b for a, b in zip(bounds, bounds[1:], strict=False)):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a list of increasing whole days, e.g. 30,60,90 or 30/60/90"
        )
    return bounds


def _lang(args: argparse.Namespace) -> str:
    from .formatting import resolve_lang

    try:
        return resolve_lang(getattr(args, "lang", None))
    except ValueError as exc:
        raise LedgerError(str(exc)) from exc


def _as_of(con, args: argparse.Namespace, acting: bool = False) -> dt.date | None:
    """The as-of date: --as-of, else for acting (calls, letters) today (a demo ledger: the
    Monday of its last week), else the ledger's last date (None for an empty ledger).

    Acting on old data gets a note on standard error: up to which date the ledger has
    data, and to load the newest export. A date past the ledger's last date gets a
    warning: the ledger does not know what happened after it, so balances look older.
    """
    from .ledger import data_note, ledger_end_date, working_day

    end = ledger_end_date(con)
    as_of = args.as_of or (working_day(con) if acting and end else end)
    note = data_note(con, _lang(args), only_old=True) if acting else ""
    if note:  # acting on old data: say so
        print(note, file=sys.stderr)
    if args.as_of and end and args.as_of > end:
        print(
            f"warning: --as-of {args.as_of} is after the ledger's last date {end}: payments "
            "after that day are not in the ledger, so balances may look older and more "
            "overdue than they are",
            file=sys.stderr,
        )
    return as_of


def _table_out(
    frame,
    args: argparse.Namespace,
    *,
    sheet: str,
    money: list[str],
    codes=(),
    totals=True,
    title: tuple[str, str] | None = None,
) -> bool:
    """Write `frame` (headings and codes in the chosen language, a totals row when `totals`)
    to --out, its format from the file's extension (.csv or .xlsx), or as CSV to standard
    output with --format csv. Return False when neither was asked (print a table instead)."""
    from .exports import report_frame, spreadsheet_frame, write_csv, write_table

    lang = _lang(args)
    fmt = getattr(args, "format", None)
    if fmt == "table" or (fmt is None and not args.out):
        return False
    shown, money_headings = report_frame(frame, money, lang, codes, totals)
    if args.out:
        out = Path(args.out)
        if fmt and not out.suffix:
            out = out.with_suffix(f".{fmt}")
        elif fmt and out.suffix.lower() != f".{fmt}":
            raise LedgerError(f"--out {out} and --format {fmt} disagree; give one of them")
        path = write_table(
            shown,
            out,
            sheet=sheet,
            lang=lang,
            money_columns=money_headings,
            ledger=args.ledger,
            force=args.force,
            title=_title(title, lang) if title else None,
        )
        print(f"Wrote {len(frame)} rows to {path}" + (" with a totals row" if totals else ""))
    elif fmt == "csv":
        write_csv(spreadsheet_frame(shown), sys.stdout, lang=lang)
    else:
        raise LedgerError(f"--format {fmt} needs --out FILE.{fmt}")
    return True


def _title(title: tuple, lang: str) -> str:
    """A file's title line: (English, Dutch, date) as 'Aging as of 31-10-2026'."""
    from .formatting import format_date

    english, dutch, day = title
    return f"{dutch if lang == 'nl' else english} {format_date(day, lang)}"


def _mapping_pairs(pairs: list[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        if not sep or not field or not column:
            raise LedgerError(f"--map takes field=SourceColumn, not {pair!r}")
        mapping[field.strip()] = column.strip()
    return mapping


def _cmd_load_xaf(args: argparse.Namespace) -> int:
    """An XAF auditfile: its clients, invoices and payments in one transaction."""
    from .ingest.xaf import load_xaf

    results = load_xaf(
        args.ledger,
        args.file,
        debtor_accounts=args.debtor_account,
        force=args.force,
        skip_bad_rows=args.skip_bad_rows,
        allow_far_dates=args.allow_far_dates,
        future_days=args.future_days,
    )
    for part, result in zip(("Clients", "Invoices", "Payments"), results, strict=True):
        print(f"{part}: {result.summary()}")
        for rejection in result.rejections[:50]:
            print(f"  {rejection}")
    return 0


def _cmd_load(args: argparse.Namespace) -> int:
    from .ingest.loading import load, read_mapping_file
    from .ingest.xaf import is_xaf

    if is_xaf(Path(args.file)):
        return _cmd_load_xaf(args)

    mapping = read_mapping_file(args.mapping) if args.mapping else {}
    mapping.update(_mapping_pairs(args.map or []))
    result = load(
        args.ledger,
        args.file,
        kind=args.kind,
        mapping=mapping,
        date_format=args.date_format,
        decimal=args.decimal,
        skip_bad_rows=args.skip_bad_rows,
        sheet=args.sheet,
        progress=not args.quiet,
        force=args.force,
        preset=args.preset,
        export_date=args.export_date,
        accept_older=args.accept_older,
        allow_far_dates=args.allow_far_dates,
        future_days=args.future_days,
    )
    print(result.summary())
    if result.rejections:
        print(f"Refused rows (kept in rejected_rows, load {result.load_id}):")
        for rejection in result.rejections[:50]:
            print(f"  {rejection}")
        if len(result.rejections) > 50:
            print(f"  ... and {len(result.rejections) - 50} more")
    return 0


def _cmd_bank(args: argparse.Namespace) -> int:
    from .ingest.bank import load_statements

    results = load_statements(args.ledger, args.files, force=args.force)
    refused = [(path, error) for path, error in results if isinstance(error, Exception)]
    for _, outcome in results:
        if isinstance(outcome, Exception):
            print(f"refused: {outcome}", file=sys.stderr)
        else:
            print(outcome.summary())
    if len(results) > 1:
        print(
            f"{len(results) - len(refused)} of {len(results)} files loaded"
            + (f"; refused: {', '.join(p.name for p, _ in refused)}" if refused else "")
        )
    return 1 if refused else 0


def _cmd_share(args: argparse.Namespace) -> int:
    from .privacy import alias_table, key_path, pseudonymised_copy

    if args.aliases:
        print(plain_frame(alias_table(args.ledger)).to_string(index=False))
        return 0
    if not args.out:
        raise LedgerError("share needs --out FILE for the copy (or --aliases)")
    out = pseudonymised_copy(args.ledger, args.out, force=args.force)
    print(
        f"Wrote {out}: clients under aliases, free text about people left out. "
        f"The key stays in {key_path(args.ledger)}; do not share it."
    )
    return 0


def _cmd_presets(args: argparse.Namespace) -> int:
    from .ingest.presets import available_presets, load_preset

    if args.show:
        print(load_preset(args.show).path.read_text(encoding="utf-8"), end="")
        return 0
    for key in available_presets():
        preset = load_preset(key)
        print(f"{key}: {preset.name}, {preset.file}")
        if preset.menu:
            print(f"  Export: {preset.menu}")
        columns = ", ".join(" or ".join(names) for names in preset.columns.values())
        print(f"  Columns it expects: {columns}")
        if preset.optional:
            optional = ", ".join(" or ".join(names) for names in preset.optional.values())
            print(f"  Read when present: {optional}")
        for text in preset.limits:
            print(f"  Cannot tell: {text}")
        print()
    print("Load with: dunning-analytics load FILE --preset KEY")
    print("Show one to copy and adapt: dunning-analytics presets --show KEY > my_export.toml")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import write_demo_ledger

    path = Path(args.ledger)
    if path.exists() and not args.replace:
        print(f"{path} exists; use --replace to build it again.", file=sys.stderr)
        return 1
    if path.exists():
        path.unlink()
    counts = write_demo_ledger(
        path,
        clients=args.clients,
        seed=args.seed,
        end=args.end,
        invoices=args.invoices,
        progress=not args.quiet,
    )
    print(
        f"Demo ledger {path}: {counts['clients']} clients, {counts['invoices']} invoices, "
        f"{counts['payments']} payments, {counts['contacts']} contacts, up to {args.end}."
    )
    return 0


def _cmd_aging(args: argparse.Namespace) -> int:
    from .aging import aging, aging_totals, bucket_labels
    from .formatting import format_date, format_eur
    from .ledger import connected
    from .vocabulary import heading, shown_frame, word

    lang = _lang(args)
    with connected(args.ledger, read_only=True) as con:
        as_of = _as_of(con, args)
        if as_of is None:
            print(f"{args.ledger} holds no invoices yet: nothing is owed. Load a file first.")
            return 0
        frame = aging(con, as_of, buckets=args.buckets, basis=args.basis, by=args.by)
    labels = bucket_labels(args.buckets)
    money = (
        [*labels, "outstanding", "overdue"]
        if args.by == "client"
        else ["amount", "paid_amount", "credit_applied", "outstanding"]
    )
    title = ("Aging as of", "Ouderdom per", as_of)
    codes = ["kind", "bucket"]
    if _table_out(frame, args, sheet=f"aging {as_of}", money=money, codes=codes, title=title):
        return 0
    basis = {"due": ("due date", "vervaldatum"), "invoice": ("invoice date", "factuurdatum")}
    nl = lang == "nl"
    print(
        f"{'Ouderdom per' if nl else 'Aging as of'} {format_date(as_of, lang)} "
        f"({'op' if nl else 'by'} {basis[args.basis][nl]})"
    )
    if frame.empty:
        print("Niets open op deze datum." if nl else "Nothing open on this date.")
        return 0
    shown = frame.copy()
    for column in money:
        shown[column] = [format_eur(v, lang) for v in shown[column]]
    print(plain_frame(shown_frame(shown, lang, ["kind", "bucket"])).to_string(index=False))
    if args.by == "client":
        totals = aging_totals(frame)
        parts = ", ".join(
            f"{word(label, lang)} {format_eur(totals[label], lang)}"
            for label in labels
            if totals[label]
        )
        print(
            f"{heading('total', lang)}: {len(frame)} {'klanten' if nl else 'clients'}, "
            f"{heading('outstanding', lang)} {format_eur(totals['outstanding'], lang)}, "
            f"{heading('overdue', lang)} {format_eur(totals['overdue'], lang)} ({parts})"
        )
    return 0


def _cmd_risk(args: argparse.Namespace) -> int:
    from .ledger import connected
    from .risk import load_policy, risk_flags

    lang = _lang(args)
    policy = load_policy(args.policy)
    with connected(args.ledger, read_only=True) as con:
        as_of = _as_of(con, args) or dt.date.today()
        flags = risk_flags(con, as_of, policy, lang=lang)
    if not args.all:
        flags = flags[flags["level"] != "none"]
    columns = ["client_id", "name", "kind", "grade", "level", "recommendation", "reason_text"]
    shown = flags[columns + ["revenue", "open_exposure"]]
    money = ["revenue", "open_exposure"]
    title = ("Deposit and prepayment terms as of", "Aanbetaling en vooruitbetaling per", as_of)
    codes = ["kind", "grade"]
    if _table_out(shown, args, sheet=f"flags {as_of}", money=money, codes=codes, title=title):
        return 0
    print(f"Prepayment flags as of {as_of}: {len(flags)} clients")
    for row in shown.itertuples(index=False):
        print(f"{plain_text(row.client_id)}  {plain_text(row.name)}  [{row.recommendation}]")
        for reason in row.reason_text.split("; ") if row.reason_text else []:
            print(f"    - {plain_text(reason)}")
    return 0


def _cmd_calls(args: argparse.Namespace) -> int:
    from .dunning import call_plan, call_table
    from .exports import write_ics
    from .formatting import format_start
    from .ledger import connected
    from .vocabulary import pick

    lang = _lang(args)
    with connected(args.ledger, read_only=True) as con:
        as_of = _as_of(con, args, acting=True) or dt.date.today()
        planned, unplanned = call_plan(con, as_of, lang=lang)
    table = call_table(planned + unplanned)
    for call in planned:
        print(f"{format_start(call.start, lang)}  {client_text(call.name, call.client_id)}: "
              f"{call.goal}")  # fmt: skip
    not_planned = pick(("not planned this week", "deze week niet ingepland"), lang)
    for call in unplanned:
        print(f"{not_planned}: {client_text(call.name, call.client_id)}")
    title = ("Calls planned from", "Belplanning vanaf", as_of)
    _table_out(table, args, sheet="calls", money=["open", "overdue"], title=title)
    if args.ics:
        print(f"Wrote {write_ics(planned, args.ics, ledger=args.ledger, force=args.force)}")
    return 0


WORKLIST_COLUMNS = [
    "action_date", "next_action", "stage", "client_id", "name", "invoice_id", "due_date",
    "outstanding", "days_overdue", "due_now", "action_text", "note",
]  # fmt: skip


def _cmd_worklist(args: argparse.Namespace) -> int:
    """Every open invoice with its stage, next action (the ladder's codes), date and reason:
    what notebook 06 shows, as a table, CSV or Excel."""
    from .dunning import worklist
    from .formatting import format_date, format_eur
    from .ledger import connected
    from .vocabulary import word

    lang = _lang(args)
    with connected(args.ledger, read_only=True) as con:
        as_of = _as_of(con, args, acting=True) or dt.date.today()
        work = worklist(con, as_of, lang=lang)
    frame = work[WORKLIST_COLUMNS].sort_values(["action_date", "client_id", "invoice_id"])
    frame["days_overdue"] = frame["days_overdue"].astype("Int64")
    title = ("Worklist as of", "Werklijst per", as_of)
    # the codes stay codes in CSV and Excel, for scripts; the printed list reads them in words
    shown = {"sheet": "worklist", "money": ["outstanding"], "title": title, "totals": False}
    if _table_out(frame, args, **shown):
        return 0
    for row in frame.itertuples():
        print(
            f"{format_date(row.action_date, lang)}  {word(row.next_action, lang):<20} "
            f"{client_text(row.name, row.client_id)}  {row.invoice_id}  "
            f"{format_eur(row.outstanding, lang)}  {row.action_text}"
        )
    nl = lang == "nl"
    print(f"{len(frame)} {'open facturen' if nl else 'open invoices'}, "
          f"{'per' if nl else 'as of'} {format_date(as_of, lang)}")  # fmt: skip
    return 0


def _cmd_letters(args: argparse.Namespace) -> int:
    from .ledger import connected
    from .letters import letters_due, mark_sent, write_letters
    from .sender import sender_for

    sender = sender_for(args.ledger, args.sender)
    with connected(args.ledger, read_only=True) as con:
        as_of = _as_of(con, args, acting=True) or dt.date.today()
        letters = letters_due(
            con, as_of, args.client, args.kind, _lang(args), sender, args.templates
        )
    if not letters:
        print(f"No letters due in the week of {as_of}.")
        return 0
    table = write_letters(
        letters, args.out, sender, pdf=not args.no_pdf, ledger=args.ledger, force=args.force
    )
    written = table[table["status"] == "written"]
    for row in written.itertuples(index=False):
        to = row.email or "no e-mail address: print and post the PDF"
        print(f"{row.kind:<20} {plain_text(row.client_id):<10} {row.eml}  ({to})")
    for row in table[table["status"] != "written"].itertuples(index=False):
        print(f"{row.kind} to {plain_text(row.client_id)}: {row.status}", file=sys.stderr)
    print(f"Wrote {len(written)} of {len(table)} letters and letters.csv to {args.out}")
    if args.mark_sent:
        at = dt.datetime.combine(as_of, dt.time(9, 0))
        result = mark_sent(args.ledger, letters, at)
        recorded = result.rows_loaded if result else 0
        print(f"Recorded {recorded} contacts as sent on {as_of} (the ladder moves on)")
    return 0 if len(written) == len(table) else 1


def _instalment(text: str) -> tuple[dt.date, object]:
    """One --instalment DATE=AMOUNT ('15-12-2026=500,00'), as (date, Decimal)."""
    from .formatting import parse_amount

    day, sep, amount = text.partition("=")
    if not sep:
        raise LedgerError(f"--instalment {text!r}: write it as DATE=AMOUNT, e.g. 15-12-2026=500,00")
    try:
        return _date(day.strip()), parse_amount(amount.strip())
    except (ValueError, argparse.ArgumentTypeError) as exc:
        raise LedgerError(f"--instalment {text!r}: {exc}") from None


def _cmd_contact(args: argparse.Namespace) -> int:
    from .conversation import record_contact
    from .formatting import parse_amount

    amount = None
    if args.promised_amount:
        try:
            amount = parse_amount(args.promised_amount)
        except ValueError as exc:
            raise LedgerError(f"--promised-amount: {exc}") from None
    at = args.at or dt.datetime.now().replace(second=0, microsecond=0)
    instalments = [_instalment(text) for text in args.instalment or []]
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
    when = f"{at:%d-%m-%Y %H:%M}"
    who = plain_text(args.client)
    print(f"Recorded: {args.kind} with {who} on {when} (load {result.load_id})")
    if args.email_out:
        from .confirmation import AGREEMENTS, write_confirmation
        from .conversation import contact_kind

        if contact_kind(args.kind) not in AGREEMENTS:
            print(f"No confirmation written: nothing is agreed in a {args.kind} contact.")
            return 0

        agreed = {"client_id": args.client, "kind": contact_kind(args.kind), "at": at,
                  "invoice_id": args.invoice, "promised_date": args.promised_date,
                  "promised_amount": amount, "note": args.note}  # fmt: skip
        path = write_confirmation(args.ledger, [agreed], args.email_out, lang=_lang(args))
        print(f"Wrote the confirmation draft for the client: {path}")
    return 0


def _cmd_contacts(args: argparse.Namespace) -> int:
    from .corrections import recent_contacts
    from .formatting import format_date

    lang = _lang(args)
    frame = recent_contacts(args.ledger, args.client, limit=args.limit)
    if frame.empty:
        print(f"No contacts recorded with {plain_text(args.client)}.")
        return 0
    for row in frame.itertuples(index=False):
        promise = (
            f" promised {format_date(row.promised_date, lang)}"
            if isinstance(row.promised_date, dt.date)
            else ""
        )
        about = f" on {plain_text(row.invoice_id)}" if isinstance(row.invoice_id, str) else ""
        note = f": {plain_text(row.note)}" if isinstance(row.note, str) else ""
        print(
            f"{row.contact_id}  {row.contact_at:%d-%m-%Y %H:%M}  {row.kind}{about}{promise}{note}"
        )
    print(
        "Take one back with: dunning-analytics withdraw --ledger LEDGER --contact ID --reason ..."
    )
    return 0


def _cmd_withdraw(args: argparse.Namespace) -> int:
    import getpass

    from .corrections import withdraw_contact

    by = args.by or getpass.getuser()
    row = withdraw_contact(args.ledger, args.contact, by=by, reason=args.reason)
    print(
        f"Withdrawn: {row['kind']} with {plain_text(row['client_id'])} of "
        f"{row['contact_at']:%d-%m-%Y %H:%M} (kept in withdrawn_contacts, by {plain_text(by)}); "
        "the worklist no longer counts it."
    )
    return 0


# the CSV columns of `forecast` (the same names in every language: for other programs)
_FORECAST_COLUMNS = {
    "invoice": [
        "invoice_id",
        "client_id",
        "outstanding",
        "due_date",
        "expected_date",
        "p10_date",
        "p90_date",
        "p_paid_30_days_after_due",
    ],
    "week": ["week_start", "expected_amount", "low", "high"],
}


def _cmd_forecast(args: argparse.Namespace) -> int:
    from .exports import spreadsheet_frame, write_csv
    from .forecast import curves, invoice_forecast, weekly_forecast
    from .formatting import format_date, format_eur, format_percent
    from .ledger import connected
    from .outputs import replacing
    from .vocabulary import heading, pick, shown_frame

    lang = _lang(args)
    with connected(args.ledger, read_only=True) as con:
        as_of = _as_of(con, args)
        if as_of is None:
            print(f"{args.ledger} holds no invoices yet: nothing to forecast. Load a file first.")
            return 0
        model = curves(con, as_of)
        invoices = invoice_forecast(con, as_of, model=model)
        weeks = weekly_forecast(con, as_of, args.weeks, invoices=invoices, model=model)
    later = weeks["expected_amount"].iloc[-1]
    later_text = pick(
        (f"after {args.weeks} weeks or never", f"na {args.weeks} weken of nooit"), lang
    )
    frame = (invoices if args.by == "invoice" else weeks.iloc[:-1])[_FORECAST_COLUMNS[args.by]]
    out = Path(args.out) if args.out else None
    fmt = args.format or (out.suffix.lower().lstrip(".") if out else "table")
    if out and out.suffix.lower() != f".{fmt}":
        raise LedgerError(f"--out {out} and --format {fmt} disagree; give one of them")
    if fmt == "xlsx" and not out:
        raise LedgerError("--format xlsx needs --out FILE.xlsx")
    if fmt == "csv" and out:
        with replacing(out, args.ledger, args.force) as tmp:
            write_csv(spreadsheet_frame(frame), tmp, lang=lang)
    elif fmt == "csv":
        write_csv(spreadsheet_frame(frame), sys.stdout, lang=lang)
    elif fmt == "xlsx":
        from .exports import report_frame, write_table

        if args.by == "week":  # what is left after the horizon: one more row
            import pandas as pd

            rest = pd.DataFrame([{"week_start": later_text, "expected_amount": later}])
            frame = pd.concat([frame, rest], ignore_index=True)
        money = ["outstanding"] if args.by == "invoice" else ["expected_amount", "low", "high"]
        shown, money_headings = report_frame(frame, money, lang, totals=args.by == "invoice")
        write_table(
            shown,
            out,
            sheet=f"forecast {as_of}",
            lang=lang,
            money_columns=money_headings,
            ledger=args.ledger,
            force=args.force,
            title=_title(("Cash-in forecast as of", "Verwachte ontvangsten vanaf", as_of), lang),
        )
    elif fmt == "table":
        shown = frame.copy()
        never = pick(("not within a year", "niet binnen een jaar"), lang)
        for column in shown.columns:
            if column.endswith("_date") or column == "week_start":
                empty = never if column == "expected_date" else "–"
                shown[column] = [format_date(v, lang) or empty for v in shown[column]]
            elif column.startswith("p_"):
                shown[column] = [format_percent(v, 0, lang) for v in shown[column]]
            elif column in ("outstanding", "expected_amount", "low", "high"):
                shown[column] = [format_eur(v, lang) for v in shown[column]]
        title = pick(
            ("Cash-in forecast per week as of", "Verwachte ontvangsten per week vanaf")
            if args.by == "week"
            else (
                "Expected payment of each open invoice as of",
                "Verwachte betaling per open factuur op",
            ),
            lang,
        )
        print(f"{title} {format_date(as_of, lang)}")
        print(plain_frame(shown_frame(shown, lang)).to_string(index=False))
    else:
        raise LedgerError(f"--out {out}: cannot write a .{fmt} file; use .csv or .xlsx")
    open_total = invoices["outstanding"].sum() if len(invoices) else 0
    summary = (
        f"{heading('total', lang)} {heading('outstanding', lang)}: {format_eur(open_total, lang)} "
        f"({len(invoices)} {pick(('invoices', 'facturen'), lang)}); "
        f"{later_text}: {format_eur(later, lang)}"
    )
    if out:
        print(f"Wrote {len(frame)} rows to {out}")
    # a CSV on standard output stays CSV only: the summary goes to standard error
    print(summary, file=sys.stderr if fmt == "csv" and not out else sys.stdout)
    return 0


def _datetime(text: str) -> dt.datetime:
    from .formatting import parse_date

    date_part, _, time_part = text.strip().partition(" ")
    if "T" in date_part:
        date_part, _, time_part = date_part.partition("T")
    try:
        day = parse_date(date_part)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"{exc}; write 'yyyy-mm-dd hh:mm' or 'dd-mm-jjjj hh:mm'"
        ) from None
    try:
        at = dt.time.fromisoformat(time_part) if time_part else dt.time(9, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date and time as 'yyyy-mm-dd hh:mm' or 'dd-mm-jjjj hh:mm'"
        ) from None
    return dt.datetime.combine(day, at)


def _cmd_review(args: argparse.Namespace) -> int:
    from .review import write_review

    path = write_review(
        args.ledger,
        args.quarter,
        out=args.out,
        lang=_lang(args),
        pdf=args.pdf,
        allow_partial=args.allow_partial,
        progress=not args.quiet,
        pseudonymise=args.pseudonymise,
        force=args.force,
    )
    print(f"Wrote {path}" + (f" and {path.with_suffix('.pdf')}" if args.pdf else ""))
    return 0


FORCE_HELP = (
    "replace an existing output file that dunning-analytics did not write (never the "
    "ledger, its .wal or key, nor a database)"
)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the `dunning-analytics` command."""
    parser = argparse.ArgumentParser(
        prog="dunning-analytics",
        description="Debtor aging, payment behaviour and prepayment flags on a DuckDB ledger.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "load",
        help="load invoice history, invoices, payments, contacts or clients; or e-invoices",
    )
    p.add_argument(
        "file",
        help="CSV (comma or semicolon), .xlsx, .parquet or .json; an XAF 3.2 auditfile (.xaf: "
        "clients, invoices and payments at once); or UBL e-invoices (Peppol, SI-UBL): an .xml "
        "file, a folder of them, or a .zip",
    )
    p.add_argument("--ledger", required=True, help="the ledger file (created when missing)")
    p.add_argument(
        "--kind",
        default="history",
        choices=["history", "invoices", "payments", "contacts", "clients"],
        help="what the file holds (default: history = one row per invoice with its paid date)",
    )
    p.add_argument(
        "--preset",
        metavar="NAME",
        help="an accounting package's export: twinfield, exact_online, moneybird, e_boekhouden, "
        "snelstart, wefact, afas, yuki, visma_eaccounting, ... or a preset .toml file (see "
        "`dunning-analytics presets`)",
    )
    p.add_argument(
        "--debtor-account",
        action="append",
        metavar="ACCID",
        help="an auditfile's debtor account (repeat; default: told from the file)",
    )
    p.add_argument(
        "--export-date",
        type=_date,
        help="the day an open-items list was exported (dates the paid part of partly paid "
        "invoices)",
    )
    p.add_argument("--map", action="append", metavar="FIELD=COLUMN", help="column mapping (repeat)")
    p.add_argument("--mapping", metavar="FILE", help='TOML file of field = "Column" lines')
    p.add_argument(
        "--date-format",
        help="strptime format of the dates, e.g. %%d-%%m-%%Y for dd-mm-yyyy (default: detected)",
    )
    p.add_argument("--decimal", choices=[",", "."], help="decimal separator (default: detected)")
    p.add_argument("--sheet", help="Excel sheet name (default: the first)")
    p.add_argument("--skip-bad-rows", action="store_true", help="load good rows, record bad ones")
    p.add_argument("--force", action="store_true", help="load again even if already loaded")
    p.add_argument(
        "--accept-older",
        action="store_true",
        help="take this file's word where it shows an invoice paid less than the ledger "
        "records (default: the recorded payment is kept and the load says so)",
    )
    p.add_argument(
        "--allow-far-dates",
        action="store_true",
        help=f"load dates before {EARLIEST_YEAR}, more than --future-days after today, or a "
        f"payment more than {LATE_YEARS} years after its invoice (default: refused)",
    )
    p.add_argument(
        "--future-days",
        type=_whole(0, 3660),
        default=FUTURE_MARGIN_DAYS,
        metavar="DAYS",
        help=f"how far after today a date may lie (default {FUTURE_MARGIN_DAYS})",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_load)

    p = sub.add_parser("bank", help="load bank statements (CAMT.053, MT940) as payments")
    p.add_argument("files", nargs="+", help="statement files, oldest first")
    p.add_argument("--ledger", required=True, help="the ledger file (created when missing)")
    p.add_argument("--force", action="store_true", help="read a file again even if loaded")
    p.set_defaults(func=_cmd_bank)

    p = sub.add_parser("share", help="a pseudonymised copy of the ledger to share")
    p.add_argument("--ledger", required=True, help="the ledger file")
    p.add_argument("--out", help="the copy's file, e.g. shared.duckdb")
    p.add_argument("--aliases", action="store_true", help="print alias -> client (local only)")
    p.add_argument(
        "--force",
        action="store_true",
        help=FORCE_HELP,
    )
    p.set_defaults(func=_cmd_share)

    p = sub.add_parser("presets", help="list the presets for accounting package exports")
    p.add_argument("--show", metavar="KEY", help="print one preset's TOML to copy and adapt")
    p.set_defaults(func=_cmd_presets)

    p = sub.add_parser("demo", help="build a deterministic demo ledger")
    p.add_argument("--ledger", required=True, help="the ledger file to write")
    p.add_argument("--clients", type=int, default=150, help="number of clients (default 150)")
    p.add_argument("--invoices", type=int, help="scale to about this many invoices (benchmarks)")
    p.add_argument("--seed", type=int, default=7, help="random seed (same seed, same ledger)")
    p.add_argument(
        "--end", type=_date, default=dt.date(2026, 10, 31), help="last day of history (31-10-2026)"
    )
    p.add_argument("--replace", action="store_true", help="replace an existing file")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_demo)

    as_of_help = "the day to look from, yyyy-mm-dd or dd-mm-jjjj (default: the ledger's last date)"
    lang_help = "language of headings, words and numbers: en or nl (default: $DUNNING_LANG or en)"
    out_help = (
        "write the table to FILE; .csv or .xlsx picks the format (totals row included; "
        "Dutch CSV uses ; and decimal commas)"
    )

    p = sub.add_parser("aging", help="who owes what, by age of the debt, as of a date")
    p.add_argument("--ledger", required=True, help="the ledger file")
    p.add_argument("--as-of", type=_date, help=as_of_help)
    p.add_argument(
        "--buckets",
        type=_buckets,
        default=[30, 60, 90],
        metavar="DAYS",
        help="overdue bucket boundaries in days, e.g. 30,60,90 or 7/14/21/28 (default 30,60,90)",
    )
    p.add_argument(
        "--basis",
        choices=["due", "invoice"],
        default="due",
        help="age by days past the due date (default) or since the invoice date",
    )
    p.add_argument(
        "--by",
        choices=["client", "invoice"],
        default="client",
        help="one row per client (default) or per open item",
    )
    p.add_argument("--out", metavar="FILE", help=out_help)
    p.add_argument(
        "--format", choices=["csv"], help="csv: the table as CSV on standard output (no --out)"
    )
    p.add_argument("--lang", choices=["en", "nl"], help=lang_help)
    p.add_argument(
        "--force",
        action="store_true",
        help=FORCE_HELP,
    )
    p.set_defaults(func=_cmd_aging)

    p = sub.add_parser("risk", help="deposit and prepayment recommendations with reasons")
    p.add_argument("--ledger", required=True, help="the ledger file")
    p.add_argument("--as-of", type=_date, help=as_of_help)
    p.add_argument("--policy", help="policy TOML (default: data/policy.toml)")
    p.add_argument(
        "--format",
        choices=["table", "csv", "xlsx"],
        help="table: readable list (default without --out); csv: CSV on standard output or "
        "to --out; xlsx: Excel, needs --out (default with --out: from its extension)",
    )
    p.add_argument("--out", metavar="FILE", help=out_help)
    p.add_argument("--lang", choices=["en", "nl"], help=lang_help)
    p.add_argument("--all", action="store_true", help="include clients without special terms")
    p.add_argument(
        "--force",
        action="store_true",
        help=FORCE_HELP,
    )
    p.set_defaults(func=_cmd_risk)

    acting_help = (
        "the day to act from, yyyy-mm-dd or dd-mm-jjjj (default: today; on the demo ledger "
        "the Monday of its last week)"
    )
    p = sub.add_parser(
        "worklist",
        help="every open invoice with its stage, next action, date and reason (notebook 06)",
    )
    p.add_argument("--ledger", required=True, help="the ledger file")
    p.add_argument("--as-of", type=_date, help=acting_help)
    p.add_argument("--out", metavar="FILE", help=out_help)
    p.add_argument(
        "--format", choices=["csv"], help="csv: the list as CSV on standard output (no --out)"
    )
    p.add_argument("--lang", choices=["en", "nl"], help=lang_help)
    p.add_argument("--force", action="store_true", help=FORCE_HELP)
    p.set_defaults(func=_cmd_worklist)

    p = sub.add_parser("calls", help="this week's call plan in the golden hours")
    p.add_argument("--ledger", required=True, help="the ledger file")
    p.add_argument("--as-of", type=_date, help=acting_help)
    p.add_argument("--out", metavar="FILE", help=out_help)
    p.add_argument("--ics", metavar="FILE", help="planned calls as an .ics calendar file")
    p.add_argument("--lang", choices=["en", "nl"], help=lang_help)
    p.add_argument(
        "--force",
        action="store_true",
        help=FORCE_HELP,
    )
    p.set_defaults(func=_cmd_calls)

    p = sub.add_parser(
        "letters", help="the week's letters and e-mails per ladder step: PDF, .eml, letters.csv"
    )
    p.add_argument("--ledger", required=True, help="the ledger file")
    p.add_argument(
        "--as-of",
        type=_date,
        help="the letters' date; their week is its working week (default: today; on the demo "
        "ledger the Monday of its last week)",
    )
    p.add_argument("--client", help="only this client's letters")
    p.add_argument(
        "--kind",
        choices=["reminder", "formal_notice", "fourteen_day_letter", "statement"],
        help="only letters of this kind (with --client: that letter even when not due yet)",
    )
    p.add_argument("--lang", choices=["en", "nl"], help=lang_help)
    p.add_argument("--out", required=True, metavar="DIR", help="the folder to write them to")
    p.add_argument(
        "--sender",
        metavar="FILE",
        help="your details (default: LEDGER.sender.toml beside the ledger, written by notebook "
        "06's form; the demo ledger uses the example firm)",
    )
    p.add_argument(
        "--templates", metavar="DIR", help="your own letter templates (default data/letters/)"
    )
    p.add_argument("--no-pdf", action="store_true", help="no PDFs (when Chromium is missing)")
    p.add_argument(
        "--mark-sent",
        action="store_true",
        help="record the letters as sent on the as-of date, so the ladder moves on",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help=FORCE_HELP,
    )
    p.set_defaults(func=_cmd_letters)

    p = sub.add_parser("contact", help="record a call, letter, promise or dispute")
    p.add_argument("--ledger", required=True, help="the ledger file")
    p.add_argument("--client", required=True, help="the client's id")
    p.add_argument("--invoice", help="the invoice it was about (optional)")
    p.add_argument(
        "--kind",
        required=True,
        choices=[
            "service_call",
            "call",
            "reminder",
            "formal_notice",
            "fourteen_day_letter",
            "promise",
            "payment_plan",
            "dispute",
            "collection",
            "no_answer",
        ],
        help="what happened",
    )
    p.add_argument("--promised-date", type=_date, help="with a promise: the day it will be paid")
    p.add_argument("--promised-amount", help="with a promise: the amount, e.g. 1250,00")
    p.add_argument("--note", help="what was said, in a sentence")
    p.add_argument(
        "--instalment",
        action="append",
        metavar="DATE=AMOUNT",
        help="with a payment plan: one instalment, e.g. 15-12-2026=500,00 (repeat, in order)",
    )
    p.add_argument(
        "--at", type=_datetime, help="when: 'yyyy-mm-dd hh:mm' or 'dd-mm-jjjj hh:mm' (default now)"
    )
    p.add_argument(
        "--email-out",
        metavar="DIR",
        help="write the client's written confirmation of what was agreed there (.eml draft)",
    )
    p.add_argument("--lang", choices=["en", "nl"], help=lang_help)
    p.set_defaults(func=_cmd_contact)

    p = sub.add_parser("contacts", help="a client's last recorded contacts, with their ids")
    p.add_argument("--ledger", required=True, help="the ledger file")
    p.add_argument("--client", required=True, help="the client's id")
    p.add_argument("--limit", type=_whole(1, 1000), default=10, help="how many (default 10)")
    p.add_argument("--lang", choices=["en", "nl"], help=lang_help)
    p.set_defaults(func=_cmd_contacts)

    p = sub.add_parser(
        "withdraw", help="take back a recorded contact (kept in withdrawn_contacts, with why)"
    )
    p.add_argument("--ledger", required=True, help="the ledger file")
    p.add_argument("--contact", required=True, help="the contact's id (see `contacts`)")
    p.add_argument("--reason", help="why, in a sentence (e.g. 'wrong client')")
    p.add_argument("--by", help="who withdraws it (default: your user name)")
    p.set_defaults(func=_cmd_withdraw)

    p = sub.add_parser(
        "forecast", help="when the money comes in: per open invoice, or per week (13 weeks)"
    )
    p.add_argument("--ledger", required=True, help="the ledger file")
    p.add_argument("--as-of", type=_date, help=as_of_help)
    p.add_argument(
        "--weeks",
        type=_whole(1, 104),
        default=13,
        help="how many weeks to forecast (1-104, default 13)",
    )
    p.add_argument(
        "--by",
        choices=["week", "invoice"],
        default="week",
        help="week: expected cash-in per week with an 80 %% band (default); invoice: each open "
        "invoice's expected payment date and 80 %% interval",
    )
    p.add_argument(
        "--format",
        choices=["table", "csv", "xlsx"],
        help="table: readable (default without --out); csv: CSV (standard output without --out; "
        "columns named the same in every language); xlsx: Excel, needs --out (default with "
        "--out: from its extension)",
    )
    p.add_argument("--out", metavar="FILE", help="write to this .csv or .xlsx file")
    p.add_argument("--lang", choices=["en", "nl"], help=lang_help)
    p.add_argument(
        "--force",
        action="store_true",
        help=FORCE_HELP,
    )
    p.set_defaults(func=_cmd_forecast)

    p = sub.add_parser("review", help="the quarterly client-risk review as one HTML file")
    p.add_argument("--ledger", required=True, help="the ledger file")
    p.add_argument("--quarter", required=True, help="the quarter, e.g. 2025Q4")
    p.add_argument("--out", help="HTML file (default review-QUARTER.html)")
    p.add_argument("--lang", choices=["en", "nl"], help=lang_help)
    p.add_argument("--pdf", action="store_true", help="also print an A4 PDF (needs chromium)")
    p.add_argument(
        "--allow-partial",
        action="store_true",
        help="review a quarter that is not over yet, up to the ledger's last date",
    )
    p.add_argument(
        "--pseudonymise",
        action="store_true",
        help="clients under aliases (key kept beside the ledger) to share the review",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--force",
        action="store_true",
        help=FORCE_HELP,
    )
    p.set_defaults(func=_cmd_review)
    return parser


class _InertStream:
    """A text stream that drops the control characters a terminal would act on (escape
    sequences, bell, backspace, C1, bidi overrides) from everything written to it; line
    breaks and tabs stay (the values that carry them are made plain_text where printed)."""

    _CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(self._CONTROL.sub("", text))

    def __getattr__(self, name):
        return getattr(self._stream, name)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (1 with a clear message on a ledger error,
    130 after Ctrl-C). Nothing from a ledger or a file reaches the terminal as a control
    sequence (_InertStream)."""
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _InertStream(out), _InertStream(err)
    try:
        return _run(argv)
    finally:
        sys.stdout, sys.stderr = out, err


def _run(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print(
            "\nStopped (Ctrl-C). A load, a bank statement or a recorded contact is one "
            "transaction: what was not finished was not written, the ledger is as it was "
            "before it. Output files are written whole or not at all.",
            file=sys.stderr,
        )
        return 130
    except LedgerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except OSError as exc:  # a file or folder the system refused
        where = f"{exc.filename}: " if exc.filename else ""
        full = exc.errno == errno.ENOSPC
        print(
            f"error: {where}{'the disk is full' if full else exc.strerror or exc}; nothing "
            "half-written was left and the ledger is as it was"
            + (": free some space and run it again" if full else ""),
            file=sys.stderr,
        )
        return 1
    except Exception as exc:  # a problem without a message of its own: one line, no traceback
        damage = damaged(getattr(args, "ledger", ""), exc)
        if damage is not None:
            print(f"error: {damage}", file=sys.stderr)
            return 1
        if os.environ.get("DUNNING_DEBUG"):
            raise
        print(
            f"error: an unexpected problem ({type(exc).__name__}: {exc}); loads are all or "
            "nothing, so the ledger is as it was. Run again with DUNNING_DEBUG=1 to see "
            "where, and report it",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
