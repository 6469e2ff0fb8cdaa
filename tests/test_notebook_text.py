"""The notebooks' prose in both languages (#32): every text a notebook says exists in English
and Dutch, each used once, and the Dutch is Dutch."""

import json
import re
from pathlib import Path

from dunning_analytics.notebook.notebook_text import _texts, text

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def said_keys() -> list[str]:
    keys = []
    for path in NOTEBOOKS:
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            keys += re.findall(r'say\("([^"]+)"\)', "".join(cell["source"]))
            assert cell["cell_type"] == "code", (
                f"{path.name}: prose belongs in texts/notebooks.json"
            )
    return keys


def test_every_text_a_notebook_says_exists_once_in_both_languages():
    keys = said_keys()
    assert sorted(keys) == sorted(_texts()), "a text unused, missing or said twice"
    for key, versions in _texts().items():
        assert set(versions) == {"en", "nl"} and all(v.strip() for v in versions.values()), key
        # the same headings, in the same order and depth
        depth = [[len(m) for m in re.findall(r"^(#+) ", v, re.M)] for v in versions.values()]
        assert depth[0] == depth[1], key


def _words(markdown: str) -> str:
    """The prose only: code blocks and `code` left out."""
    return re.sub(r"`[^`]*`", "", re.sub(r"```.*?```", "", markdown, flags=re.S))


def test_the_dutch_texts_are_dutch():
    english = re.compile(r"\b(the|and|with|which|invoice|client|paid|when|every)\b", re.I)
    for key in _texts():
        found = english.findall(_words(text(key, "nl")))
        assert not found, (key, found)
        assert text(key, "nl") != text(key, "en"), key


def test_the_language_follows_dunning_lang(monkeypatch):
    monkeypatch.setenv("DUNNING_LANG", "nl")
    assert text("02.1").startswith("# 2 · Ouderdom van de debiteuren")
    monkeypatch.setenv("DUNNING_LANG", "en")
    assert text("02.1").startswith("# 2 · Debtor aging")
