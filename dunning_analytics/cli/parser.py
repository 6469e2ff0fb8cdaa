"""The `dunning-analytics` command's arguments: one function per group of commands, the
options they share written once, every help text in the user's language (messages.tr)."""

from __future__ import annotations

import argparse
import datetime as dt

from dunning_analytics.cli import acting_commands as acting
from dunning_analytics.cli import load_commands as loads
from dunning_analytics.cli import report_commands as reports
from dunning_analytics.cli.arguments import (
    Parser,
    bucket_bounds,
    date_value,
    datetime_value,
    whole_value,
)
from dunning_analytics.common.messages import tr
from dunning_analytics.ingest.fields import EARLIEST_YEAR, FUTURE_MARGIN_DAYS, LATE_YEARS

CONTACT_KINDS = [
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
]
LETTER_KINDS = ["reminder", "formal_notice", "fourteen_day_letter", "statement"]


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the `dunning-analytics` command (help in the current
    language: build it inside messages.speaking)."""
    parser = Parser(
        prog="dunning-analytics",
        description=tr("Debtor aging, payment behaviour and prepayment flags on a DuckDB ledger."),
    )
    sub = parser.add_subparsers(dest="command", required=True, title=tr("commands"))
    _load_commands(sub)
    _report_commands(sub)
    _acting_commands(sub)
    _contact_commands(sub)
    return parser


def _command(sub, name: str, help_text: str, func, ledger: str | bool | None = True):
    """A sub-command with --lang and --ledger (its help `ledger`, True: "the ledger file";
    None: no ledger)."""
    p = sub.add_parser(name, help=help_text, description=help_text)
    if ledger:
        p.add_argument(
            "--ledger", required=True, help=tr("the ledger file") if ledger is True else ledger
        )
    p.add_argument(
        "--lang",
        choices=["en", "nl"],
        help=tr(
            "language of messages, headings, words and numbers: en or nl (default: "
            "$DUNNING_LANG or en)"
        ),
    )
    p.set_defaults(func=func)
    return p


def _flag(p, name: str, help_text: str) -> None:
    p.add_argument(name, action="store_true", help=help_text)


def _force(p) -> None:
    _flag(
        p,
        "--force",
        tr(
            "replace an existing output file that dunning-analytics did not "
            "write (never the ledger, its .wal or key, nor a database)"
        ),
    )


def _quiet(p) -> None:
    _flag(p, "--quiet", tr("no progress bar"))


def _as_of(p, acting: bool = False) -> None:
    text = (
        tr(
            "the day to act from, yyyy-mm-dd or dd-mm-jjjj (default: today; on the demo "
            "ledger the Monday of its last week)"
        )
        if acting
        else tr("the day to look from, yyyy-mm-dd or dd-mm-jjjj (default: the ledger's last date)")
    )
    p.add_argument("--as-of", type=date_value, help=text)


def _table_file(p, formats=("csv",)) -> None:
    p.add_argument(
        "--out",
        metavar="FILE",
        help=tr(
            "write the table to FILE; .csv or .xlsx picks the format (totals row included; "
            "Dutch CSV uses ; and decimal commas)"
        ),
    )
    if formats == ("csv",):
        text = tr("csv: the table as CSV on standard output (no --out)")
    else:
        text = tr(
            "table: readable list (default without --out); csv: CSV on standard output "
            "or to --out; xlsx: Excel, needs --out (default with --out: from its "
            "extension)"
        )
    p.add_argument("--format", choices=list(formats), help=text)
    _force(p)


def _load_commands(sub) -> None:
    created = tr("the ledger file (created when missing)")
    p = _command(
        sub,
        "load",
        tr("load invoice history, invoices, payments, contacts or clients; or e-invoices"),
        loads.load_command,
        created,
    )
    _load_options(p)
    p = _command(
        sub,
        "bank",
        tr("load bank statements (CAMT.053, MT940) as payments"),
        loads.bank_command,
        created,
    )
    p.add_argument("files", nargs="+", metavar="FILES", help=tr("statement files, oldest first"))
    _flag(p, "--force", tr("read a file again even if loaded"))
    p = _command(
        sub, "share", tr("a pseudonymised copy of the ledger to share"), loads.share_command
    )
    p.add_argument("--out", help=tr("the copy's file, e.g. shared.duckdb"))
    _flag(p, "--aliases", tr("print alias -> client (local only)"))
    _force(p)
    p = _command(
        sub,
        "presets",
        tr("list the presets for accounting package exports"),
        loads.presets_command,
        ledger=None,
    )
    p.add_argument("--show", metavar="KEY", help=tr("print one preset's TOML to copy and adapt"))
    p = _command(
        sub,
        "demo",
        tr("build a deterministic demo ledger"),
        loads.demo_command,
        tr("the ledger file to write"),
    )
    p.add_argument("--clients", type=int, default=150, help=tr("number of clients (default 150)"))
    p.add_argument(
        "--invoices", type=int, help=tr("scale to about this many invoices (benchmarks)")
    )
    p.add_argument("--seed", type=int, default=7, help=tr("random seed (same seed, same ledger)"))
    p.add_argument(
        "--end",
        type=date_value,
        default=dt.date(2026, 10, 31),
        help=tr("last day of history (31-10-2026)"),
    )
    _flag(p, "--replace", tr("replace an existing file"))
    _quiet(p)


def _load_options(p) -> None:
    p.add_argument(
        "file",
        metavar="FILE",
        help=tr(
            "CSV (comma or semicolon), .xlsx, .parquet or .json; an XAF 3.2 auditfile (.xaf: "
            "clients, invoices and payments at once); or UBL e-invoices (Peppol, SI-UBL): an "
            ".xml file, a folder of them, or a .zip"
        ),
    )
    p.add_argument(
        "--kind",
        default="history",
        choices=["history", "invoices", "payments", "contacts", "clients"],
        help=tr("what the file holds (default: history = one row per invoice with its paid date)"),
    )
    p.add_argument(
        "--preset",
        metavar="NAME",
        help=tr(
            "an accounting package's export: twinfield, exact_online, moneybird, e_boekhouden, "
            "snelstart, wefact, afas, yuki, visma_eaccounting, ... or a preset .toml file (see "
            "`dunning-analytics presets`)"
        ),
    )
    p.add_argument(
        "--debtor-account",
        action="append",
        metavar="ACCID",
        help=tr("an auditfile's debtor account (repeat; default: told from the file)"),
    )
    p.add_argument(
        "--export-date",
        type=date_value,
        help=tr(
            "the day an open-items list was exported (dates the paid part of partly paid invoices)"
        ),
    )
    p.add_argument(
        "--map", action="append", metavar="FIELD=COLUMN", help=tr("column mapping (repeat)")
    )
    p.add_argument("--mapping", metavar="FILE", help=tr('TOML file of field = "Column" lines'))
    p.add_argument(
        "--date-format",
        help=tr(
            "strptime format of the dates, e.g. %%d-%%m-%%Y for dd-mm-yyyy (default: detected)"
        ),
    )
    p.add_argument(
        "--decimal", choices=[",", "."], help=tr("decimal separator (default: detected)")
    )
    p.add_argument("--sheet", help=tr("Excel sheet name (default: the first)"))
    _flag(p, "--skip-bad-rows", tr("load good rows, record bad ones"))
    _flag(p, "--force", tr("load again even if already loaded"))
    _flag(
        p,
        "--accept-older",
        tr(
            "take this file's word where it shows an invoice paid less than the ledger records "
            "(default: the recorded payment is kept and the load says so)"
        ),
    )
    _flag(
        p,
        "--allow-far-dates",
        tr(
            "load dates before {year}, more than --future-days after today, or a payment more "
            "than {late} years after its invoice (default: refused)",
            year=EARLIEST_YEAR,
            late=LATE_YEARS,
        ),
    )
    p.add_argument(
        "--future-days",
        type=whole_value(0, 3660),
        default=FUTURE_MARGIN_DAYS,
        metavar="DAYS",
        help=tr("how far after today a date may lie (default {days})", days=FUTURE_MARGIN_DAYS),
    )
    _quiet(p)


def _report_commands(sub) -> None:
    p = _command(
        sub,
        "check",
        tr("check the ledger after hand edits: unique ids, known clients and invoices, accepted "
           "values, and the receivables add up; a sentence per finding"),
        reports.check_command,
    )  # fmt: skip
    _as_of(p)
    p = _command(
        sub, "aging", tr("who owes what, by age of the debt, as of a date"), reports.aging_command
    )
    _as_of(p)
    p.add_argument(
        "--buckets",
        type=bucket_bounds,
        default=[30, 60, 90],
        metavar="DAYS",
        help=tr(
            "overdue bucket boundaries in days, e.g. 30,60,90 or 7/14/21/28 (default 30,60,90)"
        ),
    )
    p.add_argument(
        "--basis",
        choices=["due", "invoice"],
        default="due",
        help=tr("age by days past the due date (default) or since the invoice date"),
    )
    p.add_argument(
        "--by",
        choices=["client", "invoice"],
        default="client",
        help=tr("one row per client (default) or per open item"),
    )
    _table_file(p)
    p = _command(
        sub, "risk", tr("deposit and prepayment recommendations with reasons"), reports.risk_command
    )
    _as_of(p)
    p.add_argument("--policy", help=tr("policy TOML (default: data/policy.toml)"))
    _flag(p, "--all", tr("include clients without special terms"))
    _table_file(p, ("table", "csv", "xlsx"))
    p = _command(
        sub,
        "forecast",
        tr("when the money comes in: per open invoice, or per week (13 weeks)"),
        reports.forecast_command,
    )
    _as_of(p)
    p.add_argument(
        "--weeks",
        type=whole_value(1, 104),
        default=13,
        help=tr("how many weeks to forecast (1-104, default 13)"),
    )
    p.add_argument(
        "--by",
        choices=["week", "invoice"],
        default="week",
        help=tr(
            "week: expected cash-in per week with an 80 %% band (default); invoice: each open "
            "invoice's expected payment date and 80 %% interval"
        ),
    )
    _table_file(p, ("table", "csv", "xlsx"))
    p = _command(
        sub,
        "review",
        tr("the quarterly client-risk review as one HTML file"),
        reports.review_command,
    )
    p.add_argument("--quarter", required=True, help=tr("the quarter, e.g. 2025Q4"))
    p.add_argument("--out", help=tr("HTML file (default: a name with the quarter in it)"))
    _flag(p, "--pdf", tr("also print an A4 PDF (needs chromium)"))
    _flag(
        p,
        "--allow-partial",
        tr("review a quarter that is not over yet, up to the ledger's last date"),
    )
    _flag(
        p,
        "--pseudonymise",
        tr("clients under aliases (key kept beside the ledger) to share the review"),
    )
    _quiet(p)
    _force(p)


def _acting_commands(sub) -> None:
    p = _command(
        sub,
        "worklist",
        tr("every open invoice with its stage, next action, date and reason (notebook 06)"),
        acting.worklist_command,
    )
    _as_of(p, acting=True)
    _table_file(p)
    p = _command(
        sub, "calls", tr("this week's call plan in the golden hours"), acting.calls_command
    )
    _as_of(p, acting=True)
    p.add_argument("--ics", metavar="FILE", help=tr("planned calls as an .ics calendar file"))
    _table_file(p)
    p = _command(
        sub,
        "letters",
        tr("the week's letters and e-mails per ladder step: PDF, .eml and a list"),
        acting.letters_command,
    )
    p.add_argument(
        "--as-of",
        type=date_value,
        help=tr(
            "the letters' date; their week is its working week (default: today; on the demo "
            "ledger the Monday of its last week)"
        ),
    )
    p.add_argument("--client", help=tr("only this client's letters"))
    p.add_argument(
        "--kind",
        choices=LETTER_KINDS,
        help=tr("only letters of this kind (with --client: that letter even when not due yet)"),
    )
    p.add_argument("--out", required=True, metavar="DIR", help=tr("the folder to write them to"))
    p.add_argument(
        "--sender",
        metavar="FILE",
        help=tr(
            "your details (default: LEDGER.sender.toml beside the ledger, written by notebook "
            "06's form; the demo ledger uses the example firm)"
        ),
    )
    p.add_argument(
        "--templates", metavar="DIR", help=tr("your own letter templates (default data/letters/)")
    )
    _flag(p, "--no-pdf", tr("no PDFs (when Chromium is missing)"))
    _flag(
        p, "--mark-sent", tr("record the letters as sent on the as-of date, so the ladder moves on")
    )
    _force(p)


def _contact_commands(sub) -> None:
    p = _command(
        sub, "contact", tr("record a call, letter, promise or dispute"), acting.contact_command
    )
    p.add_argument("--client", required=True, help=tr("the client's id"))
    p.add_argument("--invoice", help=tr("the invoice it was about (optional)"))
    p.add_argument("--kind", required=True, choices=CONTACT_KINDS, help=tr("what happened"))
    p.add_argument(
        "--promised-date", type=date_value, help=tr("with a promise: the day it will be paid")
    )
    p.add_argument("--promised-amount", help=tr("with a promise: the amount, e.g. 1250,00"))
    p.add_argument("--note", help=tr("what was said, in a sentence"))
    p.add_argument(
        "--instalment",
        action="append",
        metavar="DATE=AMOUNT",
        help=tr("with a payment plan: one instalment, e.g. 15-12-2026=500,00 (repeat, in order)"),
    )
    p.add_argument(
        "--at",
        type=datetime_value,
        help=tr("when: 'yyyy-mm-dd hh:mm' or 'dd-mm-jjjj hh:mm' (default now)"),
    )
    p.add_argument(
        "--email-out",
        metavar="DIR",
        help=tr("write the client's written confirmation of what was agreed there (.eml draft)"),
    )
    p = _command(
        sub,
        "contacts",
        tr("a client's last recorded contacts, with their ids"),
        acting.contacts_command,
    )
    p.add_argument("--client", required=True, help=tr("the client's id"))
    p.add_argument(
        "--limit", type=whole_value(1, 1000), default=10, help=tr("how many (default 10)")
    )
    p = _command(
        sub,
        "withdraw",
        tr("take back a recorded contact (kept in withdrawn_contacts, with why)"),
        acting.withdraw_command,
    )
    p.add_argument("--contact", required=True, help=tr("the contact's id (see `contacts`)"))
    p.add_argument("--reason", help=tr("why, in a sentence (e.g. 'wrong client')"))
    p.add_argument("--by", help=tr("who withdraws it (default: your user name)"))
