"""Euro, number and date formatting for people, in English or Dutch (babel's locale data).

The language comes from an explicit `lang` argument, else from the environment
variable DUNNING_LANG, else English: `resolve_lang`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from contextvars import ContextVar
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
from babel.dates import format_datetime
from babel.numbers import NumberFormatError, format_currency, format_decimal, parse_decimal

LANGS = ("en", "nl")
_LOCALES = {"en": "en_IE", "nl": "nl_NL"}  # euro-area English: €1,234.56


# control characters (escape sequences, CR, LF, tab, C1) and the invisible marks that
# reorder or break text (bidi overrides and isolates, line and paragraph separators)
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")


# the days a ledger's dates and a typed as-of date may lie between (2199 for 2019 is a typo)
FIRST_YEAR, LAST_YEAR = 1990, 2099

# a date more than this many days after today is a typing error (an invoice typed as 2199):
# the loader refuses it and the ledger's last date never reaches it
FUTURE_MARGIN_DAYS = 62

# one plain e-mail address: local part and domain of ASCII letters, digits and the few signs
# addresses use, no display name, no second address, no quotes, spaces or angle brackets
# (`a,b<c>@evil.example` is refused); DuckDB's and Python's regular expressions both read it
EMAIL_PATTERN = r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"


def is_email_address(text) -> bool:
    """True when `text` is one plain e-mail address (EMAIL_PATTERN)."""
    return isinstance(text, str) and re.fullmatch(EMAIL_PATTERN, text) is not None


# the largest amount one row may hold: ten million of them still sum inside DECIMAL(18, 2)
# (at most 9,999,999,999,999,999.99), the type every view sums in
MAX_AMOUNT = Decimal("999999999.99")


def plain_text(value) -> str:
    """Return `value` as one line of inert text: every run of control characters (an
    escape sequence's ESC, CR, LF, tab) and bidi override replaced by one space. For text
    from files that lands on a terminal, in an e-mail header or in a one-line label."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return _CONTROL.sub(" ", str(value)).strip()


def client_text(name, client_id) -> str:
    """A client as one line of text: its name, with the id in brackets only when it differs
    ('Studio Brouwer', not 'Studio Brouwer (Studio Brouwer)')."""
    plain_id = plain_text(client_id)
    plain_name = plain_text(name) or plain_id
    return plain_name if plain_name == plain_id or not plain_id else f"{plain_name} ({plain_id})"


def plain_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of `frame` whose text cells are plain_text: a table for a terminal."""
    out = frame.copy()
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]):
            out[column] = [v if not isinstance(v, str) else plain_text(v) for v in out[column]]
    return out


# the language a command speaks (messages.speaking sets it for the command line's --lang)
SPOKEN: ContextVar[str | None] = ContextVar("dunning_analytics_lang", default=None)


def resolve_lang(lang: str | None = None) -> str:
    """Return the language to show: `lang` when given, else the one messages.speaking set
    (a command's --lang), else $DUNNING_LANG, else 'en'.

    Raises ValueError for anything but 'en' or 'nl', naming where it came from.
    """
    chosen = lang or SPOKEN.get() or os.environ.get("DUNNING_LANG") or "en"
    chosen = chosen.strip().lower()
    if chosen not in LANGS:
        where = "lang" if lang else "DUNNING_LANG"
        raise ValueError(f"{where} must be 'en' or 'nl', not {chosen!r}")
    return chosen


def to_cents(value) -> Decimal:
    """Return `value` as a Decimal rounded half-up to cents."""
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def money_floats(values) -> np.ndarray:
    """Return a money column (Arrow decimals or Decimal objects) as float64, missing as NaN.

    An Arrow decimal column is cast by Arrow, without a Python object per value.
    """
    dtype = getattr(values, "dtype", None)
    if isinstance(dtype, pd.ArrowDtype) and pa.types.is_decimal(dtype.pyarrow_dtype):
        return pa.chunked_array(pa.array(values)).cast(pa.float64()).to_numpy()
    return pd.to_numeric(pd.Series(values).astype("float64"), errors="coerce").to_numpy()


def money_sum(values) -> Decimal:
    """Return the exact sum of a money column (Decimal objects or Arrow decimals) as a Decimal.

    An Arrow decimal column is summed by Arrow, without a Python object per value.
    """
    total = values.sum() if hasattr(values, "sum") else sum(values, Decimal("0.00"))
    return Decimal("0.00") + (total if total == total else 0)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def format_number(value, digits: int = 1, lang: str | None = None) -> str:
    """Format a number with thousands separators: en 1,234.5; nl 1.234,5; '–' for None/NaN."""
    if _missing(value):
        return "–"
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    text = format_decimal(rounded, format=pattern, locale=_LOCALES[resolve_lang(lang)])
    return text.replace("\xa0", " ")


def format_percent(share, digits: int = 0, lang: str | None = None) -> str:
    """Format a share (0.253) as a percentage: en '25%', nl '25%'; '–' for None/NaN."""
    if _missing(share):
        return "–"
    return format_number(100 * float(share), digits, lang) + "%"


def format_eur(value, lang: str | None = None) -> str:
    """Format an amount in euros: en '€1,234.56' / '-€1,234.56'; nl '€ 1.234,56' / '€ -1.234,56'.

    In: a number (Decimal, int, float) or None. Out: the text ('' for None/NaN).
    Rounded half-up to cents first; babel writes the locale's separators.
    """
    if _missing(value):
        return ""
    text = format_currency(to_cents(value), "EUR", locale=_LOCALES[resolve_lang(lang)])
    return text.replace("\xa0", " ")  # babel's no-break space: a plain one, as people type it


def format_date(value: dt.date | None, lang: str | None = None) -> str:
    """Format a date (a datetime's date): en yyyy-mm-dd, nl dd-mm-jjjj ('' for None)."""
    if value is None or value != value:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    return value.strftime("%d-%m-%Y") if resolve_lang(lang) == "nl" else value.isoformat()


def format_start(value: dt.datetime, lang: str | None = None) -> str:
    """Format an appointment's start with its weekday: en 'Mon 2026-11-23 09:30',
    nl 'ma 23-11-2026 09:30' (babel's weekday names)."""
    weekday = format_datetime(value, "EEE", locale=_LOCALES[resolve_lang(lang)]).rstrip(".")
    return f"{weekday} {format_date(value, lang)} {value:%H:%M}"


def parse_date(text: str) -> dt.date:
    """Read a date a person typed: yyyy-mm-dd or dd-mm-jjjj (also with / or .).

    Raises ValueError saying which forms are understood.
    """
    from dunning_analytics.common.messages import tr

    cleaned = text.strip()
    for pattern in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y"):
        try:
            day = dt.datetime.strptime(cleaned, pattern).date()
        except ValueError:
            continue
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise ValueError(
                tr(
                    "{text!r}: give a date from {first} to {last}",
                    text=text,
                    first=FIRST_YEAR,
                    last=LAST_YEAR,
                )
            )
        return day
    raise ValueError(tr("{text!r} is not a date as yyyy-mm-dd or dd-mm-jjjj", text=text))


def parse_amount(text: str, lang: str | None = None) -> Decimal:
    """Read an amount a person typed: '1.250,00', '1250,00', '€ 1.250' as Dutch people write
    it, '1,250.00' or '1250.00' as English; `lang`'s way is tried first.

    Out: the Decimal. Raises ValueError when the text is not an amount in cents (babel's
    strict reading in either language: misplaced thousands separators are refused).
    """
    from dunning_analytics.common.messages import tr

    cleaned = text.strip().replace("€", "").replace(" ", "").replace("\xa0", "")
    first = resolve_lang(lang)
    for lang_tried in (first, *[x for x in LANGS if x != first]):
        try:
            value = parse_decimal(cleaned, locale=_LOCALES[lang_tried], strict=True)
        except NumberFormatError:
            continue
        if not value.is_finite() or abs(value) > MAX_AMOUNT:
            raise ValueError(
                tr(
                    "{text!r} is not an amount from 0 to {most}",
                    text=text,
                    most=format_eur(MAX_AMOUNT, first),
                )
            )
        if value.as_tuple().exponent >= -2:  # euros have cents, not thousandths
            return value
    raise ValueError(tr("{text!r} is not an amount in euros, e.g. 1.250,00 or 1250.00", text=text))
