"""Write tables for spreadsheets: CSV and Excel, safe from formula injection."""

from __future__ import annotations

import csv
import re
from decimal import Decimal
from pathlib import Path

import pandas as pd

from dunning_analytics.common.formatting import money_sum, resolve_lang
from dunning_analytics.common.messages import tr
from dunning_analytics.ledger import LedgerError
from dunning_analytics.ledger.outputs import replacing, write_bytes

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_AFTER_BREAK = re.compile(r"([\r\n]+)(?=[=+\-@\t])")


def safe_text(value):
    """Return `value`, with text that a spreadsheet would run as a formula made plain text.

    A text starting with =, +, -, @, tab or carriage return gets a leading
    apostrophe, so '=HYPERLINK(...)' in a client name stays text; so does a
    formula start after any line break inside the text (a spreadsheet that splits
    rows there would otherwise see a new row starting with '='). Numbers are left
    alone.
    """
    if not isinstance(value, str):
        return value
    value = _AFTER_BREAK.sub(r"\1'", value)
    if value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _writable(path: str | Path, suffixes: tuple[str, ...]) -> Path:
    """Return `path` when a file of one of `suffixes` can be written there; else raise
    LedgerError saying what is wrong (a type we cannot write, a missing folder)."""
    path = Path(path)
    if path.suffix.lower() not in suffixes:
        raise LedgerError(
            tr(
                "{path}: cannot write a {suffix} file here; use {suffixes}",
                path=path,
                suffix=path.suffix or tr("suffix-less"),
                suffixes=tr(" or ").join(suffixes),
            )
        )
    if not path.parent.is_dir():
        raise LedgerError(
            tr(
                "{path}: the folder {folder} does not exist; create it first",
                path=path,
                folder=path.parent,
            )
        )
    return path


def spreadsheet_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy fit for a spreadsheet: lists joined, text made safe, money as numbers."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.map(lambda v: isinstance(v, list)).any():
            out[column] = values.map(lambda v: "; ".join(map(str, v)) if isinstance(v, list) else v)
        if values.map(lambda v: isinstance(v, Decimal)).any():
            out[column] = values.map(lambda v: float(v) if isinstance(v, Decimal) else v)
        out[column] = out[column].map(safe_text)
    return out


def with_totals(frame: pd.DataFrame, money_columns, label: str = "Total") -> pd.DataFrame:
    """Return `frame` with one more row: the exact sum of each money column, `label` in the
    first column and the other columns empty. An empty frame gets a row of zeros."""
    total = {c: None for c in frame.columns}
    total[frame.columns[0]] = label
    for column in money_columns:
        if column in frame:
            total[column] = money_sum(frame[column])
    return pd.concat([frame, pd.DataFrame([total], columns=frame.columns)], ignore_index=True)


def report_frame(
    frame: pd.DataFrame, money, lang: str | None = None, codes=(), totals: bool = True
) -> tuple[pd.DataFrame, list[str]]:
    """Return `frame` as people get it in a file: a totals row (when `totals`), headings and
    the `codes` columns' values in `lang`; and the headings of the `money` columns."""
    from dunning_analytics.common.vocabulary import heading, shown_frame

    whole = with_totals(frame, money, heading("total", lang)) if totals else frame
    return shown_frame(whole, lang, codes), [heading(c, lang) for c in money]


def write_table(
    frame: pd.DataFrame,
    path: str | Path,
    sheet: str = "table",
    lang: str | None = None,
    money_columns=(),
    ledger=None,
    force: bool = False,
    title: str | None = None,
) -> Path:
    """Write `frame` to .csv or .xlsx (by the file's suffix), safe for spreadsheets.

    The file is written through outputs.replacing: never onto `ledger`'s files, never over
    a file the kit did not write unless `force`, and never half.

    Dutch (`lang` 'nl' or DUNNING_LANG=nl) CSV uses ';' between fields and a decimal
    comma, as Dutch Excel expects; English CSV ',' and a decimal point. In Excel row 1 holds
    `title` (default the sheet's name), the header is frozen with a filter, the
    `money_columns` get a euro number format and a last row whose first cell reads
    Total/Totaal is bold with SUM formulas.
    """
    path = _writable(path, (".csv", ".xlsx"))
    with replacing(path, ledger, force) as tmp:
        _write_table_file(spreadsheet_frame(frame), tmp, sheet, lang, money_columns, title)
    return path


def _write_table_file(safe: pd.DataFrame, path: Path, sheet, lang, money_columns, title) -> None:
    if path.suffix.lower() == ".xlsx":
        _write_workbook(safe, path, sheet, lang, money_columns, title)
    else:
        write_csv(safe, path, lang=lang)


def _write_workbook(safe: pd.DataFrame, path: Path, sheet, lang, money_columns, title) -> None:
    """The table as a workbook: a bold title line (row 1), a bold header (row 2) frozen with
    a filter over the rows, euro formats, and a totals row whose money cells are SUM
    formulas over the rows above (so an edited cell updates the total)."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    name = sheet[:31]
    money = {str(c) for c in money_columns}
    euro = '"€" #,##0.00;"€" -#,##0.00' if resolve_lang(lang) == "nl" else '"€"#,##0.00'
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        safe.to_excel(writer, sheet_name=name, index=False, startrow=1)
        book = writer.sheets[name]
        book.cell(1, 1, value=safe_text(title or sheet)).font = Font(bold=True, size=13)
        header, last = 2, book.max_row
        totals = last > header and str(book.cell(last, 1).value) in ("Total", "Totaal")
        end = last - 1 if totals else last  # the last row of the table itself
        for index, heading in enumerate(safe.columns, start=1):
            letter = get_column_letter(index)
            cells = [book.cell(row, index) for row in range(header, last + 1)]
            width = max(len(str(c.value or "")) for c in cells[:200])
            book.column_dimensions[letter].width = min(60, width + 2)
            if str(heading) in money:
                for cell in cells[1:]:
                    cell.number_format = euro
                if totals and end > header:
                    book.cell(last, index).value = f"=SUM({letter}{header + 1}:{letter}{end})"
        for row in (header, last) if totals else (header,):
            for cell in book[row]:
                cell.font = Font(bold=True)
        book.freeze_panes = book.cell(header + 1, 1)
        book.auto_filter.ref = f"A{header}:{get_column_letter(len(safe.columns))}{end}"


def write_csv(safe: pd.DataFrame, target, lang: str | None = None, money=()) -> None:
    """Write a spreadsheet-safe frame as CSV to a path or an open text stream, every
    field that holds a line break (CR or LF) quoted, so a reader keeps it in its row.
    Dutch: ';' and a decimal comma; English: ',' and a decimal point. The `money`
    columns are written with two decimals (12553.80, not 12553.8)."""
    nl = resolve_lang(lang) == "nl"
    if money:
        safe = safe.copy()
        for column in money:
            safe[column] = safe[column].map(
                lambda v: "" if v is None or v != v else f"{v:.2f}".replace(".", "," if nl else ".")
            )
    safe.to_csv(
        target,
        index=False,
        sep=";" if nl else ",",
        decimal="," if nl else ".",
        quoting=csv.QUOTE_MINIMAL,
        lineterminator="\r\n",
    )


def write_ics(calls, path: str | Path, stamp=None, ledger=None, force: bool = False) -> Path:
    """Write planned calls (dunning.PlannedCall with a start) as an .ics calendar file.

    Times are local (floating) times, as planned in the golden hours; the
    description holds the call-preparation sheet. Written with the icalendar
    library, which escapes every text per RFC 5545 (a line break in a client id or
    name stays inside its property). The UID is derived from a hash of the client
    id, so no text of the ledger's ends up in it.
    """
    import datetime as dt
    import hashlib

    import icalendar

    path = _writable(path, (".ics",))
    stamp = stamp or dt.datetime.now(dt.UTC)
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//dunning_analytics//call plan//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    for call in calls:
        if call.start is None:
            continue
        client = hashlib.sha256(str(call.client_id).encode("utf-8")).hexdigest()[:16]
        event = icalendar.Event()
        event.add("uid", f"{client}-{call.start:%Y%m%dT%H%M}@dunning-analytics")
        event.add("dtstamp", stamp)
        event.add("dtstart", call.start)
        event.add("dtend", call.start + dt.timedelta(minutes=call.minutes))
        event.add("summary", call.summary())
        event.add("description", call.sheet())
        calendar.add_component(event)
    return write_bytes(path, calendar.to_ical(), ledger, force)
