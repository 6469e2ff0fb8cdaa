"""The questions' own SQL queries, one file each in `sql/` (the ledger's models live in
`ledger/sql/`): a query that reads the models and a table the caller registers."""

from __future__ import annotations

import functools
from pathlib import Path

_FOLDER = Path(__file__).with_name("sql")


@functools.cache
def read_query(name: str) -> str:
    """The text of query `name` (sql/<name>.sql)."""
    return (_FOLDER / f"{name}.sql").read_text(encoding="utf-8")


def query_on(name: str, base: str) -> str:
    """Query `name` reading the result of query `base` as the table `base`: one statement,
    the base a CTE of it (both files stay plain queries)."""
    return f"WITH {base} AS (\n{read_query(base)}\n)\nSELECT * FROM (\n{read_query(name)}\n)"
