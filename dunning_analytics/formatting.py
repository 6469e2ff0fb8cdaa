"""Euro and date formatting for people: English or Dutch conventions."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal


def to_cents(value) -> Decimal:
    """Return `value` as a Decimal rounded half-up to cents."""
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def money_sum(values) -> Decimal:
    """Return the exact sum of a money column (Decimal objects or Arrow decimals) as a Decimal.

    An Arrow decimal column is summed by Arrow, without a Python object per value.
    """
    total = values.sum() if hasattr(values, "sum") else sum(values, Decimal("0.00"))
    return Decimal("0.00") + (total if total == total else 0)


def _dutch_separators(text: str) -> str:
    """1,234.56 -> 1.234,56"""
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def format_number(value, digits: int = 1, lang: str = "en") -> str:
    """Format a number with thousands separators: en 1,234.5; nl 1.234,5; '–' for None/NaN."""
    if value is None or (isinstance(value, float) and value != value):
        return "–"
    text = f"{float(value):,.{digits}f}"
    return _dutch_separators(text) if lang == "nl" else text


def format_eur(value, lang: str = "en") -> str:
    """Format an amount in euros: en '€1,234.56' / '-€1,234.56'; nl '€ 1.234,56' / '€ -1.234,56'.

    In: a number (Decimal, int, float) or None. Out: the text ('' for None).
    """
    if value is None:
        return ""
    cents = to_cents(value)
    text = f"{abs(cents):,.2f}"  # formats the Decimal itself: exact
    if lang == "nl":
        text = _dutch_separators(text)
        return f"€ -{text}" if cents < 0 else f"€ {text}"
    return f"-€{text}" if cents < 0 else f"€{text}"


def format_date(value: dt.date | None, lang: str = "en") -> str:
    """Format a date: en yyyy-mm-dd, nl dd-mm-jjjj."""
    if value is None:
        return ""
    return value.strftime("%d-%m-%Y") if lang == "nl" else value.isoformat()
