"""What every command shares: its language, its as-of date (with the warnings about old
data) and writing a table to a file or standard output."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from dunning_analytics.common.messages import current_lang, tr, tr_n
from dunning_analytics.ledger import LedgerError


def as_of_date(con, args: argparse.Namespace, acting: bool = False) -> dt.date | None:
    """The as-of date: --as-of, else for acting (calls, letters) today (a demo ledger: the
    Monday of its last week), else the ledger's last date (None for an empty ledger).

    Acting on old data gets a note on standard error: up to which date the ledger has
    data, and to load the newest export. A date past the ledger's last date gets a
    warning: the ledger does not know what happened after it, so balances look older.
    """
    from dunning_analytics.common.formatting import format_date
    from dunning_analytics.ledger import data_note, ledger_end_date, working_day

    end = ledger_end_date(con)
    as_of = args.as_of or (working_day(con) if acting and end else end)
    note = data_note(con, current_lang(), only_old=True) if acting else ""
    if note:  # acting on old data: say so
        print(note, file=sys.stderr)
    if args.as_of and end and args.as_of > end:
        lang = current_lang()
        print(
            tr(
                "warning: --as-of {as_of} is after the ledger's last date {end}: payments "
                "after that day are not in the ledger, so balances may look older and more "
                "overdue than they are",
                as_of=format_date(args.as_of, lang),
                end=format_date(end, lang),
            ),
            file=sys.stderr,
        )
    return as_of


def table_out(
    frame,
    args: argparse.Namespace,
    *,
    sheet: tuple[str, str],
    money: list[str],
    codes=(),
    totals=True,
    title: tuple[str, str, dt.date] | None = None,
) -> bool:
    """Write `frame` (headings and codes in the chosen language, a totals row when `totals`)
    to --out, its format from the file's extension (.csv or .xlsx), or as CSV to standard
    output with --format csv; `sheet` and `title` are (English, Dutch). Return False when
    neither was asked (print a table instead)."""
    from dunning_analytics.common.vocabulary import pick
    from dunning_analytics.present.exports import (
        report_frame,
        spreadsheet_frame,
        write_csv,
        write_table,
    )

    lang = current_lang()
    fmt = getattr(args, "format", None)
    if fmt == "table" or (fmt is None and not args.out):
        return False
    shown, money_headings = report_frame(frame, money, lang, codes, totals)
    if args.out:
        out = Path(args.out)
        if fmt and not out.suffix:
            out = out.with_suffix(f".{fmt}")
        elif fmt and out.suffix.lower() != f".{fmt}":
            raise LedgerError(disagree(out, fmt))
        path = write_table(
            shown,
            out,
            sheet=pick(sheet, lang),
            lang=lang,
            money_columns=money_headings,
            ledger=args.ledger,
            force=args.force,
            title=file_title(title, lang) if title else None,
        )
        wrote = tr_n("Wrote {n} row to {path}", "Wrote {n} rows to {path}", len(frame), path=path)
        print(wrote + (tr(" with a totals row") if totals else ""))
    elif fmt == "csv":
        write_csv(spreadsheet_frame(shown), sys.stdout, lang=lang)
    else:
        raise LedgerError(tr("--format {fmt} needs --out FILE.{fmt}", fmt=fmt))
    return True


def disagree(out: Path, fmt: str) -> str:
    """The refusal of an --out whose extension is not --format's."""
    return tr("--out {out} and --format {fmt} disagree; give one of them", out=out, fmt=fmt)


def file_title(title: tuple, lang: str) -> str:
    """A file's title line: (English, Dutch, date) as 'Aging as of 31-10-2026'."""
    from dunning_analytics.common.formatting import format_date

    english, dutch, day = title
    return f"{dutch if lang == 'nl' else english} {format_date(day, lang)}"
