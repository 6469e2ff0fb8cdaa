"""What the command line accepts: the argument types (dates, whole numbers, buckets, date
and time, instalments) with their refusals in a sentence, and an argparse parser that
speaks the user's language: its own words (usage, options, errors) included."""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys

from dunning_analytics.common.messages import current_lang, tr
from dunning_analytics.ledger import LedgerError


def date_value(text: str) -> dt.date:
    """In: 'yyyy-mm-dd' or 'dd-mm-jjjj'. Out: the date (ArgumentTypeError why not)."""
    from dunning_analytics.common.formatting import parse_date

    try:
        return parse_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def whole_value(low: int, high: int):
    """An argparse type: a whole number from `low` to `high`, refused in a sentence."""

    def whole(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(
                tr(
                    "{text!r} is not a whole number from {low} to {high}",
                    text=text,
                    low=low,
                    high=high,
                )
            )
        return value

    return whole


def bucket_bounds(text: str) -> list[int]:
    """In: '30,60,90' or '7/14/21/28'. Out: the increasing day bounds."""
    parts = [p for p in text.replace("/", ",").replace(";", ",").split(",") if p.strip()]
    try:
        bounds = [int(p) for p in parts]
    except ValueError:
        bounds = []
    if not bounds or bounds[0] < 1 or any(a >= b for a, b in zip(bounds, bounds[1:], strict=False)):
        raise argparse.ArgumentTypeError(
            tr(
                "{text!r} is not a list of increasing whole days, e.g. 30,60,90 or 30/60/90",
                text=text,
            )
        )
    return bounds


def datetime_value(text: str) -> dt.datetime:
    """In: 'yyyy-mm-dd hh:mm' or 'dd-mm-jjjj hh:mm' (no time: 09:00). Out: the moment."""
    from dunning_analytics.common.formatting import parse_date

    date_part, _, time_part = text.strip().partition(" ")
    if "T" in date_part:
        date_part, _, time_part = date_part.partition("T")
    try:
        day = parse_date(date_part)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            tr("{reason}; write 'yyyy-mm-dd hh:mm' or 'dd-mm-jjjj hh:mm'", reason=exc)
        ) from None
    try:
        at = dt.time.fromisoformat(time_part) if time_part else dt.time(9, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(
            tr(
                "{text!r} is not a date and time as 'yyyy-mm-dd hh:mm' or 'dd-mm-jjjj hh:mm'",
                text=text,
            )
        ) from None
    return dt.datetime.combine(day, at)


def instalment_value(text: str) -> tuple[dt.date, object]:
    """One --instalment DATE=AMOUNT ('15-12-2026=500,00'), as (date, Decimal)."""
    from dunning_analytics.common.formatting import parse_amount

    day, sep, amount = text.partition("=")
    if not sep:
        raise LedgerError(
            tr("--instalment {text!r}: write it as DATE=AMOUNT, e.g. 15-12-2026=500,00", text=text)
        )
    try:
        return date_value(day.strip()), parse_amount(amount.strip())
    except (ValueError, argparse.ArgumentTypeError) as exc:
        raise LedgerError(f"--instalment {text!r}: {exc}") from None


def mapping_pairs(pairs: list[str]) -> dict[str, str]:
    """In: --map FIELD=COLUMN texts. Out: {field: column}."""
    mapping = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        if not sep or not field or not column:
            raise LedgerError(tr("--map takes field=SourceColumn, not {pair!r}", pair=pair))
        mapping[field.strip()] = column.strip()
    return mapping


# argparse's own refusals, in Dutch (its English comes from Python's argparse module)
_ARGPARSE_DUTCH = [
    (r"the following arguments are required: (.*)", r"deze argumenten ontbreken: \1"),
    (r"unrecognized arguments: (.*)", r"onbekende argumenten: \1"),
    (r"invalid choice: (.*) \(choose from (.*)\)", r"ongeldige keuze: \1 (kies uit \2)"),
    (r"expected one argument", "verwacht één waarde"),
    (r"expected at most one argument", "verwacht hooguit één waarde"),
    (r"expected at least one argument", "verwacht minstens één waarde"),
    (r"invalid \S+ value: (.*)", r"ongeldige waarde: \1"),
    (r"ambiguous option: (.*) could match (.*)", r"onduidelijke optie: \1 kan zijn: \2"),
    (r"not allowed with argument (.*)", r"niet samen met argument \1"),
    (r"one of the arguments (.*) is required", r"een van de argumenten \1 is nodig"),
    (r"ignored explicit argument (.*)", r"waarde \1 genegeerd"),
]


def argparse_words(message: str) -> str:
    """In: a refusal argparse wrote. Out: it in the current language ('argument --x: ...'
    keeps its argument and translates what follows)."""
    if current_lang() != "nl":
        return message
    head = re.match(r"argument (\S+?): (.*)", message, re.S)
    if head:
        return f"argument {head.group(1)}: {argparse_words(head.group(2))}"
    for english, dutch in _ARGPARSE_DUTCH:
        if re.fullmatch(english, message, re.S):
            return re.sub(english, dutch, message, flags=re.S)
    return message


class _Formatter(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        # argparse passes prefix '' when it builds a sub-command's name: keep that empty
        super().add_usage(usage, actions, groups, tr("usage: ") if prefix is None else prefix)


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose help and refusals are in the current language."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _Formatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = tr("positional arguments")
        self._optionals.title = tr("options")
        self.add_argument(
            "-h",
            "--help",
            action="help",
            default=argparse.SUPPRESS,
            help=tr("show this help message and exit"),
        )

    def error(self, message: str):
        self.print_usage(sys.stderr)
        text = tr("{prog}: error: {message}", prog=self.prog, message=argparse_words(message))
        self.exit(2, text + "\n")
