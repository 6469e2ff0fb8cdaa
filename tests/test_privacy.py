"""Pseudonymised sharing: aliases are consistent, keyed locally, and no client name leaks."""

import re
from decimal import Decimal

import duckdb
import pytest
from conftest import DEMO_END

import dunning_analytics as da
from dunning_analytics.cli import main
from dunning_analytics.ledger.privacy import aliases, key_path, pseudonymised_copy
from dunning_analytics.present.review import build_review, render_html
from dunning_analytics.questions.aging import aging


def clients(path):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT client_id, name FROM clients ORDER BY 1").fetchall()
    finally:
        con.close()


def without_plotly_library(html: str) -> str:
    """The review minus the inlined plotly.js library (whose minified code is not data)."""
    return re.sub(r"<script[^>]*>/\*\*\s*\n?\s*\* plotly\.js.*?</script>", "", html, flags=re.S)


@pytest.fixture(scope="module")
def demo_copy(demo_ledger, tmp_path_factory):
    folder = tmp_path_factory.mktemp("shared")
    ledger = folder / "books.duckdb"
    ledger.write_bytes(demo_ledger.read_bytes())
    return ledger


def test_pseudonymised_review_contains_no_client_name_or_id(demo_copy):
    originals = clients(demo_copy)
    plain = without_plotly_library(render_html(build_review(demo_copy, "2026Q3")))
    shared = without_plotly_library(
        render_html(build_review(demo_copy, "2026Q3", pseudonymise=True))
    )
    # the plain review does name clients, so the check below can fail
    assert sum(name in plain for _, name in originals) >= 5
    leaked = [name for _, name in originals if name in shared]
    assert leaked == []
    ids = re.compile(r"(?<![\w-])(" + "|".join(c for c, _ in originals) + r")(?![\w-])")
    assert ids.search(plain)
    assert ids.findall(shared) == []
    assert "pseudonymised (clients under aliases)" in shared
    assert re.search(r"Client [0-9A-F]{6}", shared)


def test_aliases_are_consistent_and_depend_on_the_local_key(demo_copy, tmp_path):
    first = pseudonymised_copy(demo_copy, tmp_path / "a.duckdb")
    second = pseudonymised_copy(demo_copy, tmp_path / "b.duckdb")
    assert clients(first) == clients(second)
    key = key_path(demo_copy).read_text().strip()
    assert key not in first.read_bytes().decode("latin-1")
    assert oct(key_path(demo_copy).stat().st_mode)[-3:] == "600"
    other = aliases(["C001", "C002"], b"another key")
    assert other != aliases(["C001", "C002"], bytes.fromhex(key))
    # the same amounts, under aliases: aging totals equal, per client too
    with duckdb.connect(str(demo_copy), read_only=True) as con:
        plain = aging(con, DEMO_END)
    with duckdb.connect(str(first), read_only=True) as con:
        shared = aging(con, DEMO_END)
        notes = con.execute("SELECT count(*) FROM contacts WHERE note IS NOT NULL").fetchall()
    assert sum(plain["outstanding"], Decimal(0)) == sum(shared["outstanding"], Decimal(0))
    names = aliases(plain["client_id"].tolist(), bytes.fromhex(key))
    assert dict(zip(shared["client_id"], shared["outstanding"], strict=True)) == {
        names[c]: v for c, v in zip(plain["client_id"], plain["outstanding"], strict=True)
    }
    assert notes == [(0,)]


def test_notebooks_use_the_copy_when_asked(demo_copy, monkeypatch):
    monkeypatch.setenv("DUNNING_LEDGER", str(demo_copy))
    monkeypatch.setenv("DUNNING_PSEUDONYMISE", "1")
    path = da.default_ledger_path()
    assert path.endswith("books.pseudonymised.duckdb")
    assert all(name.startswith("Client ") for _, name in clients(path))


def test_share_command_and_the_local_alias_list(demo_copy, tmp_path, capsys):
    out = tmp_path / "shared.duckdb"
    assert main(["share", "--ledger", str(demo_copy), "--out", str(out)]) == 0
    assert "do not share it" in capsys.readouterr().out
    assert main(["share", "--ledger", str(demo_copy), "--aliases"]) == 0
    listing = capsys.readouterr().out
    alias, client_id = clients(out)[0][0], None
    for line in listing.splitlines():
        if line.strip().startswith(alias):
            client_id = line.split()[1]
    assert client_id in {c for c, _ in clients(demo_copy)}
