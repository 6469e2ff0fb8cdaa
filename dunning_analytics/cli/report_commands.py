"""The commands that answer a question: aging, risk, forecast, review."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from dunning_analytics.cli.output import as_of_date, disagree, file_title, table_out
from dunning_analytics.common.formatting import format_date, format_eur, plain_frame, plain_text
from dunning_analytics.common.messages import current_lang, tr, tr_n
from dunning_analytics.common.vocabulary import heading, pick, shown_frame, word
from dunning_analytics.ledger import LedgerError


def _nothing_loaded(args: argparse.Namespace, what: str) -> int:
    print(
        tr(
            "{ledger} holds no invoices yet: {what}. Load a file first.",
            ledger=args.ledger,
            what=what,
        )
    )
    return 0


def check_command(args: argparse.Namespace) -> int:
    """`check`: the declared data tests over the ledger; exit 1 when any fails."""
    from dunning_analytics.ledger.checks import check_ledger, declared_checks

    findings = check_ledger(args.ledger, args.as_of, lang=current_lang())
    for finding in findings:
        print(f"- {plain_text(finding.sentence)}")
    total = len(declared_checks())
    if findings:
        print(tr("{failed} of {total} checks found something; the rest are in order.",
                 failed=len(findings), total=total))  # fmt: skip
        return 1
    print(tr("All {total} checks are in order.", total=total))
    return 0


def aging_command(args: argparse.Namespace) -> int:
    """`aging`: who owes what by age, per client or per open item."""
    from dunning_analytics.ledger import connected
    from dunning_analytics.questions.aging import aging, bucket_labels

    with connected(args.ledger, read_only=True) as con:
        as_of = as_of_date(con, args)
        if as_of is None:
            return _nothing_loaded(args, tr("nothing is owed"))
        frame = aging(con, as_of, buckets=args.buckets, basis=args.basis, by=args.by)
    labels = bucket_labels(args.buckets)
    money = (
        [*labels, "outstanding", "overdue"]
        if args.by == "client"
        else ["amount", "paid_amount", "credit_applied", "outstanding"]
    )
    title = ("Aging as of", "Ouderdom per", as_of)
    sheet = (f"aging {as_of}", f"ouderdom {format_date(as_of, 'nl')}")
    if table_out(frame, args, sheet=sheet, money=money, codes=["kind", "bucket"], title=title):
        return 0
    _print_aging(frame, args, as_of, money, labels)
    return 0


def _print_aging(frame, args: argparse.Namespace, as_of: dt.date, money, labels) -> None:
    from dunning_analytics.questions.aging import aging_totals

    lang = current_lang()
    basis = tr("due date") if args.basis == "due" else tr("invoice date")
    print(tr("Aging as of {date} (by {basis})", date=format_date(as_of, lang), basis=basis))
    if frame.empty:
        print(tr("Nothing open on this date."))
        return
    shown = frame.drop(columns=["age_days", "bucket_order"], errors="ignore")
    for column in money:
        shown[column] = [format_eur(v, lang) for v in shown[column]]
    for column in ("invoice_date", "due_date"):
        if column in shown:
            shown[column] = [format_date(v, lang) for v in shown[column]]
    codes = ["kind", "bucket", "item_type"]
    print(plain_frame(shown_frame(shown, lang, codes)).to_string(index=False))
    if args.by == "client":
        totals = aging_totals(frame)
        parts = ", ".join(
            f"{word(label, lang)} {format_eur(totals[label], lang)}"
            for label in labels
            if totals[label]
        )
        print(
            f"{heading('total', lang)}: {tr_n('{n} client', '{n} clients', len(frame))}, "
            f"{heading('outstanding', lang)} {format_eur(totals['outstanding'], lang)}, "
            f"{heading('overdue', lang)} {format_eur(totals['overdue'], lang)} ({parts})"
        )


def risk_command(args: argparse.Namespace) -> int:
    """`risk`: the clients with deposit or prepayment terms, with their reasons."""
    from dunning_analytics.ledger import connected
    from dunning_analytics.questions.risk import load_policy, risk_flags

    lang = current_lang()
    policy = load_policy(args.policy)
    with connected(args.ledger, read_only=True) as con:
        as_of = as_of_date(con, args) or dt.date.today()
        flags = risk_flags(con, as_of, policy, lang=lang)
    if not args.all:
        flags = flags[flags["level"] != "none"]
    columns = ["client_id", "name", "kind", "grade", "level", "recommendation", "reason_text"]
    shown = flags[columns + ["revenue", "open_exposure"]]
    money = ["revenue", "open_exposure"]
    title = ("Deposit and prepayment terms as of", "Aanbetaling en vooruitbetaling per", as_of)
    sheet = (f"flags {as_of}", f"voorwaarden {format_date(as_of, 'nl')}")
    codes = ["kind", "grade", "level"]
    if table_out(shown, args, sheet=sheet, money=money, codes=codes, title=title):
        return 0
    print(
        tr_n(
            "Prepayment terms as of {date}: {n} client",
            "Prepayment terms as of {date}: {n} clients",
            len(flags),
            date=format_date(as_of, lang),
        )
    )
    for row in shown.itertuples(index=False):
        print(f"{plain_text(row.client_id)}  {plain_text(row.name)}  [{row.recommendation}]")
        for reason in row.reason_text.split("; ") if row.reason_text else []:
            print(f"    - {plain_text(reason)}")
    return 0


# the CSV columns of `forecast` (the same names in every language: for other programs)
FORECAST_COLUMNS = {
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


def forecast_command(args: argparse.Namespace) -> int:
    """`forecast`: the expected cash-in per week, or each open invoice's expected payment."""
    from dunning_analytics.ledger import connected
    from dunning_analytics.questions.forecast import curves, invoice_forecast, weekly_forecast

    lang = current_lang()
    with connected(args.ledger, read_only=True) as con:
        as_of = as_of_date(con, args)
        if as_of is None:
            return _nothing_loaded(args, tr("nothing to forecast"))
        model = curves(con, as_of)
        invoices = invoice_forecast(con, as_of, model=model)
        weeks = weekly_forecast(con, as_of, args.weeks, invoices=invoices, model=model)
    later = weeks["expected_amount"].iloc[-1]
    later_text = tr("after {weeks} weeks or never", weeks=args.weeks)
    frame = (invoices if args.by == "invoice" else weeks.iloc[:-1])[FORECAST_COLUMNS[args.by]]
    out = Path(args.out) if args.out else None
    fmt = args.format or (out.suffix.lower().lstrip(".") if out else "table")
    if out and out.suffix.lower() != f".{fmt}":
        raise LedgerError(disagree(out, fmt))
    if fmt == "xlsx" and not out:
        raise LedgerError(tr("--format xlsx needs --out FILE.xlsx"))
    if fmt not in ("csv", "xlsx", "table"):
        raise LedgerError(
            tr("--out {out}: cannot write a .{fmt} file; use .csv or .xlsx", out=out, fmt=fmt)
        )
    {"csv": _forecast_csv, "xlsx": _forecast_xlsx, "table": _forecast_table}[fmt](
        frame, args, as_of, later_text, later
    )
    open_total = invoices["outstanding"].sum() if len(invoices) else 0
    summary = (
        f"{heading('total', lang)} {heading('outstanding', lang)}: {format_eur(open_total, lang)} "
        f"({tr_n('{n} invoice', '{n} invoices', len(invoices))}); "
        f"{later_text}: {format_eur(later, lang)}"
    )
    if out:
        print(tr_n("Wrote {n} row to {path}", "Wrote {n} rows to {path}", len(frame), path=out))
    # a CSV on standard output stays CSV only: the summary goes to standard error
    print(summary, file=sys.stderr if fmt == "csv" and not out else sys.stdout)
    return 0


def _forecast_csv(frame, args: argparse.Namespace, as_of, later_text, later) -> None:
    from dunning_analytics.ledger.outputs import replacing
    from dunning_analytics.present.exports import spreadsheet_frame, write_csv

    lang = current_lang()
    if args.out:
        with replacing(Path(args.out), args.ledger, args.force) as tmp:
            write_csv(spreadsheet_frame(frame), tmp, lang=lang)
    else:
        write_csv(spreadsheet_frame(frame), sys.stdout, lang=lang)


def _forecast_xlsx(frame, args: argparse.Namespace, as_of, later_text, later) -> None:
    import pandas as pd

    from dunning_analytics.present.exports import report_frame, write_table

    lang = current_lang()
    if args.by == "week":  # what is left after the horizon: one more row
        rest = pd.DataFrame([{"week_start": later_text, "expected_amount": later}])
        frame = pd.concat([frame, rest], ignore_index=True)
    money = ["outstanding"] if args.by == "invoice" else ["expected_amount", "low", "high"]
    shown, money_headings = report_frame(frame, money, lang, totals=args.by == "invoice")
    sheet = (f"forecast {as_of}", f"verwachting {format_date(as_of, 'nl')}")
    write_table(
        shown,
        Path(args.out),
        sheet=pick(sheet, lang),
        lang=lang,
        money_columns=money_headings,
        ledger=args.ledger,
        force=args.force,
        title=file_title(("Cash-in forecast as of", "Verwachte ontvangsten vanaf", as_of), lang),
    )


def _forecast_table(frame, args: argparse.Namespace, as_of, later_text, later) -> None:
    from dunning_analytics.common.formatting import format_percent

    lang = current_lang()
    shown = frame.copy()
    never = tr("not within a year")
    for column in shown.columns:
        if column.endswith("_date") or column == "week_start":
            empty = never if column == "expected_date" else "–"
            shown[column] = [format_date(v, lang) or empty for v in shown[column]]
        elif column.startswith("p_"):
            shown[column] = [format_percent(v, 0, lang) for v in shown[column]]
        elif column in ("outstanding", "expected_amount", "low", "high"):
            shown[column] = [format_eur(v, lang) for v in shown[column]]
    title = (
        tr("Cash-in forecast per week as of {date}", date=format_date(as_of, lang))
        if args.by == "week"
        else tr("Expected payment of each open invoice as of {date}", date=format_date(as_of, lang))
    )
    print(title)
    print(plain_frame(shown_frame(shown, lang)).to_string(index=False))


def review_command(args: argparse.Namespace) -> int:
    """`review`: the quarterly client-risk review as HTML (and PDF)."""
    from dunning_analytics.present.review import write_review

    path = write_review(
        args.ledger,
        args.quarter,
        out=args.out,
        lang=current_lang(),
        pdf=args.pdf,
        allow_partial=args.allow_partial,
        progress=not args.quiet,
        pseudonymise=args.pseudonymise,
        force=args.force,
    )
    if args.pdf:
        print(tr("Wrote {path} and {pdf}", path=path, pdf=path.with_suffix(".pdf")))
    else:
        print(tr("Wrote {path}", path=path))
    return 0
