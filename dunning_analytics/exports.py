"""Write tables for spreadsheets: CSV and Excel, safe from formula injection."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd

from .formatting import format_eur

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value):
    """Return `value`, with text that a spreadsheet would run as a formula made plain text.

    A text starting with =, +, -, @, tab or carriage return gets a leading
    apostrophe, so '=HYPERLINK(...)' in a client name stays text. Numbers are
    left alone.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


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


def write_table(frame: pd.DataFrame, path: str | Path, sheet: str = "table") -> Path:
    """Write `frame` to .csv or .xlsx (by the file's suffix), safe for spreadsheets."""
    path = Path(path)
    safe = spreadsheet_frame(frame)
    if path.suffix.lower() == ".xlsx":
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            safe.to_excel(writer, sheet_name=sheet[:31], index=False)
            sheet_obj = writer.sheets[sheet[:31]]
            for cells in sheet_obj.columns:
                width = max(len(str(c.value or "")) for c in cells[:200])
                sheet_obj.column_dimensions[cells[0].column_letter].width = min(60, width + 2)
    elif path.suffix.lower() == ".csv":
        safe.to_csv(path, index=False)
    else:
        raise ValueError(f"unknown export type {path.suffix!r}; use .csv or .xlsx")
    return path


def _ics_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Fold an iCalendar content line at 75 octets (RFC 5545 3.1)."""
    raw = line.encode("utf-8")
    if len(raw) <= 75:
        return line
    parts, current = [], b""
    for char in line:
        encoded = char.encode("utf-8")
        if len(current) + len(encoded) > (75 if not parts else 74):
            parts.append(current.decode("utf-8"))
            current = b""
        current += encoded
    parts.append(current.decode("utf-8"))
    return "\r\n ".join(parts)


def write_ics(calls, path: str | Path, stamp=None) -> Path:
    """Write planned calls (dunning.PlannedCall with a start) as an .ics calendar file.

    Times are local (floating) times, as planned in the golden hours; the
    description holds the call-preparation sheet.
    """
    import datetime as dt

    stamp = stamp or dt.datetime.now(dt.UTC)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//dunning_analytics//call plan//EN",
        "CALSCALE:GREGORIAN",
    ]
    for call in calls:
        if call.start is None:
            continue
        end = call.start + dt.timedelta(minutes=call.minutes)
        lines += [
            "BEGIN:VEVENT",
            f"UID:{call.client_id}-{call.start:%Y%m%dT%H%M}@dunning-analytics",
            f"DTSTAMP:{stamp:%Y%m%dT%H%M%S}Z",
            f"DTSTART:{call.start:%Y%m%dT%H%M%S}",
            f"DTEND:{end:%Y%m%dT%H%M%S}",
            f"SUMMARY:{_ics_text(f'Call {call.name} about {format_eur(call.total_overdue)}')}",
            f"DESCRIPTION:{_ics_text(call.sheet())}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    path = Path(path)
    path.write_text("\r\n".join(_fold(line) for line in lines) + "\r\n", encoding="utf-8")
    return path
