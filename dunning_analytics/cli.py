"""The `dunning-analytics` command: load, demo, aging.

Every sub-command takes the ledger path with --ledger. Dates default to the
ledger's latest date, never silently to today's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from .ledger import LedgerError


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date as yyyy-mm-dd") from exc


def _mapping_pairs(pairs: list[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        if not sep or not field or not column:
            raise LedgerError(f"--map takes field=SourceColumn, not {pair!r}")
        mapping[field.strip()] = column.strip()
    return mapping


def _cmd_load(args: argparse.Namespace) -> int:
    from .ingest.loading import load, read_mapping_file

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
        print(alias_table(args.ledger).to_string(index=False))
        return 0
    if not args.out:
        raise LedgerError("share needs --out FILE for the copy (or --aliases)")
    out = pseudonymised_copy(args.ledger, args.out)
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
        print(f"{key:14} {preset.name}: {preset.file}")
    print("\nShow one to copy and adapt: dunning-analytics presets --show KEY > my_export.toml")
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
    from decimal import Decimal

    from .aging import aging
    from .formatting import format_eur
    from .ledger import connected, ledger_end_date, money_columns

    with connected(args.ledger, read_only=True) as con:
        as_of = args.as_of or ledger_end_date(con) or dt.date.today()
        frame = aging(con, as_of, buckets=args.buckets, basis=args.basis, by=args.by)
    shown = frame.copy()
    for column in money_columns(frame):
        shown[column] = [format_eur(v) if isinstance(v, Decimal) else "" for v in shown[column]]
    print(f"Aging as of {as_of} ({args.basis} date basis)")
    print(shown.to_string(index=False))
    return 0


def _cmd_risk(args: argparse.Namespace) -> int:
    from .exports import spreadsheet_frame, write_csv, write_table
    from .ledger import connected, ledger_end_date
    from .risk import load_policy, risk_flags

    policy = load_policy(args.policy)
    with connected(args.ledger, read_only=True) as con:
        as_of = args.as_of or ledger_end_date(con) or dt.date.today()
        flags = risk_flags(con, as_of, policy, lang=args.lang)
    if not args.all:
        flags = flags[flags["level"] != "none"]
    columns = ["client_id", "name", "kind", "grade", "level", "recommendation", "reason_text"]
    shown = flags[columns + ["revenue", "open_exposure"]]
    if args.format == "table":
        print(f"Prepayment flags as of {as_of}: {len(flags)} clients")
        for row in shown.itertuples(index=False):
            print(f"{row.client_id}  {row.name}  [{row.recommendation}]")
            for reason in row.reason_text.split("; ") if row.reason_text else []:
                print(f"    - {reason}")
        return 0
    if args.out:
        path = write_table(
            shown,
            args.out if args.out.endswith(f".{args.format}") else f"{args.out}.{args.format}",
            sheet=f"flags {as_of}",
        )
        print(f"Wrote {len(shown)} clients to {path}")
    elif args.format == "csv":
        write_csv(spreadsheet_frame(shown), sys.stdout)
    else:
        raise LedgerError("--format xlsx needs --out FILE.xlsx")
    return 0


def _cmd_calls(args: argparse.Namespace) -> int:
    from .dunning import call_plan, call_table
    from .exports import write_ics, write_table
    from .ledger import connected, ledger_end_date

    with connected(args.ledger, read_only=True) as con:
        as_of = args.as_of or ledger_end_date(con) or dt.date.today()
        planned, unplanned = call_plan(con, as_of)
    table = call_table(planned + unplanned)
    for call in planned:
        print(f"{call.start:%a %d-%m %H:%M}  {call.name} ({call.client_id}): {call.goal}")
    for call in unplanned:
        print(f"not planned this week: {call.name} ({call.client_id})")
    if args.out:
        print(f"Wrote {write_table(table, args.out, sheet='calls')}")
    if args.ics:
        print(f"Wrote {write_ics(planned, args.ics)}")
    return 0


def _cmd_review(args: argparse.Namespace) -> int:
    from .review import write_review

    path = write_review(
        args.ledger,
        args.quarter,
        out=args.out,
        lang=args.lang,
        pdf=args.pdf,
        progress=not args.quiet,
        pseudonymise=args.pseudonymise,
    )
    print(f"Wrote {path}" + (f" and {path.with_suffix('.pdf')}" if args.pdf else ""))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the `dunning-analytics` command."""
    parser = argparse.ArgumentParser(
        prog="dunning-analytics",
        description="Debtor aging, payment behaviour and prepayment flags on a DuckDB ledger.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("load", help="load invoice history, invoices, payments, contacts or clients")
    p.add_argument("file", help="CSV (comma or semicolon), .xlsx or .parquet")
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
        help="an accounting package's export: exact_online, moneybird, e_boekhouden, snelstart, "
        "twinfield, or a preset .toml file (see `dunning-analytics presets`)",
    )
    p.add_argument(
        "--export-date",
        type=_date,
        help="the day an open-items list was exported (dates the paid part of partly paid "
        "invoices)",
    )
    p.add_argument("--map", action="append", metavar="FIELD=COLUMN", help="column mapping (repeat)")
    p.add_argument("--mapping", metavar="FILE", help='TOML file of field = "Column" lines')
    p.add_argument("--date-format", help="strptime format of the dates, e.g. %%m/%%d/%%Y")
    p.add_argument("--decimal", choices=[",", "."], help="decimal separator (default: detected)")
    p.add_argument("--sheet", help="Excel sheet name (default: the first)")
    p.add_argument("--skip-bad-rows", action="store_true", help="load good rows, record bad ones")
    p.add_argument("--force", action="store_true", help="load again even if already loaded")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_load)

    p = sub.add_parser("bank", help="load bank statements (CAMT.053, MT940) as payments")
    p.add_argument("files", nargs="+", help="statement files, oldest first")
    p.add_argument("--ledger", required=True)
    p.add_argument("--force", action="store_true", help="read a file again even if loaded")
    p.set_defaults(func=_cmd_bank)

    p = sub.add_parser("share", help="a pseudonymised copy of the ledger to share")
    p.add_argument("--ledger", required=True)
    p.add_argument("--out", help="the copy's file, e.g. shared.duckdb")
    p.add_argument("--aliases", action="store_true", help="print alias -> client (local only)")
    p.set_defaults(func=_cmd_share)

    p = sub.add_parser("presets", help="list the presets for accounting package exports")
    p.add_argument("--show", metavar="KEY", help="print one preset's TOML to copy and adapt")
    p.set_defaults(func=_cmd_presets)

    p = sub.add_parser("demo", help="build a deterministic demo ledger")
    p.add_argument("--ledger", required=True)
    p.add_argument("--clients", type=int, default=150)
    p.add_argument("--invoices", type=int, help="scale to about this many invoices (benchmarks)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--end", type=_date, default=dt.date(2026, 10, 31), help="last day of history")
    p.add_argument("--replace", action="store_true", help="replace an existing file")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("aging", help="print the aging as of a date")
    p.add_argument("--ledger", required=True)
    p.add_argument("--as-of", type=_date, help="default: the ledger's latest date")
    p.add_argument("--buckets", type=lambda s: [int(x) for x in s.split(",")], default=[30, 60, 90])
    p.add_argument("--basis", choices=["due", "invoice"], default="due")
    p.add_argument("--by", choices=["client", "invoice"], default="client")
    p.set_defaults(func=_cmd_aging)

    p = sub.add_parser("risk", help="deposit and prepayment recommendations with reasons")
    p.add_argument("--ledger", required=True)
    p.add_argument("--as-of", type=_date, help="default: the ledger's latest date")
    p.add_argument("--policy", help="policy TOML (default: data/policy.toml)")
    p.add_argument("--format", choices=["table", "csv", "xlsx"], default="table")
    p.add_argument("--out", help="file to write (csv/xlsx); csv without --out goes to stdout")
    p.add_argument("--lang", choices=["en", "nl"], default="en")
    p.add_argument("--all", action="store_true", help="include clients without special terms")
    p.set_defaults(func=_cmd_risk)

    p = sub.add_parser("calls", help="this week's call plan in the golden hours")
    p.add_argument("--ledger", required=True)
    p.add_argument("--as-of", type=_date, help="default: the ledger's latest date")
    p.add_argument("--out", help="call list as .csv or .xlsx")
    p.add_argument("--ics", help="planned calls as an .ics calendar file")
    p.set_defaults(func=_cmd_calls)

    p = sub.add_parser("review", help="the quarterly client-risk review as one HTML file")
    p.add_argument("--ledger", required=True)
    p.add_argument("--quarter", required=True, help="e.g. 2025Q4")
    p.add_argument("--out", help="HTML file (default review-QUARTER.html)")
    p.add_argument("--lang", choices=["en", "nl"], default="en")
    p.add_argument("--pdf", action="store_true", help="also print a PDF (needs chromium)")
    p.add_argument(
        "--pseudonymise",
        action="store_true",
        help="clients under aliases (key kept beside the ledger) to share the review",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_review)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (1 with a clear message on a ledger error)."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except LedgerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except OSError as exc:  # a file or folder the system refused
        where = exc.filename or ""
        print(f"error: {where}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a problem without a message of its own: one line, no traceback
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
