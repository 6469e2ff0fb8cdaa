"""Declared data tests over a ledger, dbt style (`dunning-analytics check`): after hand
edits or another tool's writes, is the ledger still what the models assume?

The tests are declared in sql/checks.toml: unique, not_null, relationships and
accepted_values per column, then the receivables' own (each a query returning the
offending rows): due dates after invoice dates, nothing before 1990, payments above zero
and on their own client's invoices, credit notes on invoices, the aging buckets adding up
to what each client owes, settled dates that fit.

`check_ledger(ledger, as_of=None, lang=None)` runs them all read-only and returns one
`Finding` per failed test (empty: all is well): its name, how many rows, up to five
examples, and a sentence in the user's language.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from dunning_analytics.common.formatting import resolve_lang
from dunning_analytics.common.messages import speaking, tr_n
from dunning_analytics.ledger import connected, ledger_end_date

CHECKS = Path(__file__).resolve().parent / "sql" / "checks.toml"
EXAMPLES = 5


@dataclass(frozen=True)
class Finding:
    """One failed test: which, how many rows, a few examples and what it means."""

    name: str
    count: int
    examples: list[str] = field(default_factory=list)
    sentence: str = ""


def declared_checks() -> list[tuple[str, str, str, dict]]:
    """Every declared test as (name, English sentence, Dutch sentence or '', query); the
    query returns one `example` column per offending row and may use $as_of."""
    spec = tomllib.loads(CHECKS.read_text(encoding="utf-8"))
    return [
        *(_unique(table, columns) for table, columns in spec["unique"]),
        *(_not_null(table, column) for table, column in spec["not_null"]),
        *(_relationship(*relation) for relation in spec["relationships"]),
        *(_accepted(table, column, values) for table, column, values in spec["accepted_values"]),
        *((r["name"], r["says"], r["says_nl"], r["sql"]) for r in spec["receivables"]),
    ]


def _unique(table: str, columns: str):
    keys = ", ".join(f'"{c.strip()}"' for c in columns.split(","))
    query = (f"SELECT concat_ws(' / ', {keys}) AS example FROM {table} "
             f"GROUP BY {keys} HAVING count(*) > 1")  # fmt: skip
    what = f"{table}.{columns.replace(' ', '')}"
    return (f"unique {what}", f"{what}: values that occur more than once",
            f"{what}: waarden die meer dan eens voorkomen", query)  # fmt: skip


def _not_null(table: str, column: str):
    query = f'SELECT rowid::VARCHAR AS example FROM {table} WHERE "{column}" IS NULL'
    what = f"{table}.{column}"
    return f"not_null {what}", f"{what}: rows without it", f"{what}: rijen zonder waarde", query


def _relationship(table: str, column: str, parent: str, key: str):
    known = f'SELECT "{key}" FROM {parent} WHERE "{key}" IS NOT NULL'
    query = (f'SELECT c."{column}" AS example FROM {table} AS c '
             f'WHERE c."{column}" IS NOT NULL AND c."{column}" NOT IN ({known})')  # fmt: skip
    what = f"{table}.{column}"
    return (f"relationships {what}", f"{what}: names a {key} that is not in {parent}",
            f"{what}: noemt een {key} die niet in {parent} staat", query)  # fmt: skip


def _accepted(table: str, column: str, values: list[str]):
    listed = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    query = f'SELECT "{column}" AS example FROM {table} WHERE "{column}" NOT IN ({listed})'
    what, allowed = f"{table}.{column}", ", ".join(values)
    return (f"accepted_values {what}", f"{what}: a value other than {allowed}",
            f"{what}: een andere waarde dan {allowed}", query)  # fmt: skip


def check_ledger(ledger, as_of: dt.date | None = None, lang: str | None = None) -> list[Finding]:
    """Run every declared test on `ledger` (read-only) as of `as_of` (default the ledger's
    last date). Out: the findings, one per failed test, with sentences in `lang`."""
    lang = resolve_lang(lang)
    with connected(ledger, read_only=True) as con:
        as_of = as_of or ledger_end_date(con) or dt.date.today()
        found = [(check, _offending(con, check[3], as_of)) for check in declared_checks()]
    return [
        Finding(name, rows[0][0], [str(e) for _, e in rows],
                _sentence(says_nl if lang == "nl" else says, rows[0][0],
                          [str(e) for _, e in rows], lang))
        for (name, says, says_nl, _), rows in found
        if rows
    ]  # fmt: skip


def _offending(con, query: str, as_of: dt.date) -> list[tuple[int, object]]:
    """(count of offending rows, an example) for the first few rows `query` returns."""
    params = {"as_of": as_of} if "$as_of" in query else {}
    wrapped = f"SELECT count(*) OVER () AS n, example FROM ({query}) LIMIT {EXAMPLES}"
    return con.execute(wrapped, params).fetchall()


def _sentence(what: str, count: int, examples: list[str], lang: str) -> str:
    with speaking(lang):
        more = ", ..." if count > len(examples) else ""
        return tr_n("{what}: {n} row ({examples}{more}).", "{what}: {n} rows ({examples}{more}).",
                    count, what=what, examples=", ".join(examples), more=more)  # fmt: skip
