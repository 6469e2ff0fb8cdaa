"""The notebooks' prose in the user's language: headings and explanations live in
texts/notebooks.json (English and Dutch side by side), and a notebook shows one with
`say("02.1")`. DUNNING_LANG (formatting.resolve_lang) picks the language."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from dunning_analytics.common.formatting import resolve_lang

TEXTS = Path(__file__).resolve().parents[1] / "texts" / "notebooks.json"


@cache
def _texts() -> dict[str, dict[str, str]]:
    return json.loads(TEXTS.read_text(encoding="utf-8"))


def text(key: str, lang: str | None = None) -> str:
    """In: a text's key ("02.1": notebook 02's first) and a language (default
    DUNNING_LANG). Out: its Markdown in that language (English when it has none)."""
    versions = _texts()[key]
    return versions.get(resolve_lang(lang), versions["en"])


def say(key: str, lang: str | None = None):
    """The text `key` as Markdown for a notebook to show (IPython.display.Markdown)."""
    from IPython.display import Markdown

    return Markdown(text(key, lang))
