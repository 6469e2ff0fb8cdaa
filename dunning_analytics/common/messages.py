"""What the kit says to a person outside the notebooks' prose (the command line, errors,
form replies), in the user's language.

As in gettext, the English text is the key: `tr("Wrote {n} rows to {path}", n=3, path=p)`
looks the text up in texts/messages.json (English -> Dutch) when the language is Dutch,
then fills in the values. The language is the one `speaking(lang)` set (the command line
sets it from --lang for the whole command), else DUNNING_LANG, else English.
tests/test_messages.py checks that every text the code passes to `tr` has its Dutch,
with the same {values}, and that the catalogue holds nothing unused.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from dunning_analytics.common.formatting import SPOKEN, resolve_lang

CATALOGUE = Path(__file__).resolve().parents[1] / "texts" / "messages.json"


@cache
def catalogue() -> dict[str, str]:
    """The Dutch of every message: {English text: Dutch text}."""
    return json.loads(CATALOGUE.read_text(encoding="utf-8"))


def current_lang() -> str:
    """The language messages are in now: speaking()'s, else DUNNING_LANG, else 'en' (also
    when DUNNING_LANG holds something else: a message about that must still be readable)."""
    try:
        return resolve_lang()
    except ValueError:
        return "en"


def tr(text: str, /, **values) -> str:
    """In: an English message with {named} places and their values. Out: the message in
    the current language with the values filled in (English when no Dutch is known)."""
    if current_lang() == "nl":
        text = catalogue().get(text, text)
    return text.format(**values) if values else text


def tr_n(one: str, many: str, n: int, /, **values) -> str:
    """`tr` of `one` when n is 1, else of `many`; both get {n}."""
    return tr(one if n == 1 else many, n=n, **values)


@contextmanager
def speaking(lang: str | None) -> Iterator[str]:
    """Messages in `lang` ('en', 'nl' or None for DUNNING_LANG) inside the block; yields
    the language."""
    token = SPOKEN.set(resolve_lang(lang))
    try:
        yield SPOKEN.get()
    finally:
        SPOKEN.reset(token)


def marked(text: str) -> str:
    """Mark a text for the catalogue where it is written (gettext's N_): it stays English
    there and is translated where it is shown, with tr_marked."""
    return text


def tr_marked(text: str) -> str:
    """A text marked with `marked` (e.g. a field's words) in the current language."""
    if current_lang() == "nl":
        return catalogue().get(text, text)
    return text


def sql_text(text: str, /, sql: dict[str, str] | None = None, **values) -> str:
    """In: an English message with {places}; `sql` maps places to SQL expressions (a
    column, strftime(...)), `values` to Python values. Out: a SQL expression that builds
    the message in the current language row by row ('missing ' || "name" || ...)."""
    import string

    sql = sql or {}
    parts = []
    for literal, name, _, _ in string.Formatter().parse(tr_marked(text)):
        if literal:
            parts.append(sql_quoted(literal))
        if name is not None:
            if name in sql:
                parts.append(f"coalesce(({sql[name]})::VARCHAR, '')")
            else:
                parts.append(sql_quoted(str(values[name])))
    return " || ".join(parts) or "''"


def sql_quoted(text: str) -> str:
    """A text (already in the user's language) as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"
