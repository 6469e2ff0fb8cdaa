"""The catalogue of messages (texts/messages.json): every text the code passes to tr/tr_n
has its Dutch with the same {values}, nothing in it is unused, and the Dutch reads Dutch."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import dunning_analytics
from dunning_analytics.common.messages import catalogue, speaking, tr, tr_n

PACKAGE = Path(dunning_analytics.__file__).resolve().parent

# English words that do not occur in Dutch prose (Dutch shares 'is', 'of', 'in', 'door' ...)
ENGLISH = re.compile(
    r"\b(the|and|with|from|for|not|this|that|were|are|been|which|has|have|your|you|"
    r"will|would|when|where|row|rows|file|files|invoice|invoices|client|clients|payment|"
    r"payments|ledger|loaded|wrote|written|refused|amount|paid|due|after|before|only|"
    r"every|each|none|true|false|should|could|cannot|there|here|than|then|into|about)\b",
    re.IGNORECASE,
)
# what a Dutch text may hold in English: commands, options, file kinds, names
ALLOWED = re.compile(
    r"--[a-z-]+|\$?[A-Z_]{3,}\b|\{[^}]*\}|`[^`]*`|dunning-analytics \S+|[\w.-]+\.(toml|csv|"
    r"xlsx|duckdb|eml|ics|json|xml|zip|pdf|html)\b|\b[a-z]+_[a-z_]+\b"
)


CALLS = ("tr", "tr_n", "marked", "sql_text")
SAME_IN_DUTCH = {"postcode"}  # words Dutch writes as English does


def used_texts() -> set[str]:
    """Every literal text a module of the package passes to tr or tr_n."""
    texts = set()
    for path in sorted(set(PACKAGE.rglob("*.py")) - {PACKAGE / "common" / "messages.py"}):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in CALLS:
                count = 2 if node.func.id == "tr_n" else 1
                for arg in node.args[:count]:
                    assert isinstance(arg, ast.Constant), f"{path}:{node.lineno}: tr(literal)"
                    texts.add(arg.value)
    return texts


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def english_words(dutch: str) -> list[str]:
    """The English words in a Dutch text, outside what may stay as it is."""
    return ENGLISH.findall(ALLOWED.sub(" ", dutch))


def test_every_message_has_its_dutch_with_the_same_values():
    texts, dutch = used_texts(), catalogue()
    missing = sorted(texts - dutch.keys())
    assert not missing, f"no Dutch for: {missing}"
    unused = sorted(dutch.keys() - texts)
    assert not unused, f"in the catalogue but not used: {unused}"
    for english, translation in dutch.items():
        assert fields(english) == fields(translation), english
        same = translation == english and (len(english) < 4 or english in SAME_IN_DUTCH)
        assert translation.strip() and (translation != english or same), english


def test_the_dutch_catalogue_reads_dutch():
    english = {e: english_words(d) for e, d in catalogue().items() if english_words(d)}
    assert not english, english


def test_the_language_follows_speaking():
    with speaking("nl"):
        assert tr("Wrote {path}", path="x.html") == "x.html geschreven"
        assert tr_n("{n} open invoice, as of {date}", "{n} open invoices, as of {date}", 1,
                    date="3-12-2026") == "1 open factuur, per 3-12-2026"  # fmt: skip
        with speaking("en"):
            assert tr("Wrote {path}", path="x.html") == "Wrote x.html"
    assert tr_n("{n} client", "{n} clients", 2) == "2 clients"
