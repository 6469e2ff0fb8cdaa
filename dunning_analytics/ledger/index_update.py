"""Keep the receivable index and the month-end store up to date for the clients a change
touched, instead of rebuilding them for every client after every load.

Every index row belongs to one client (the stored tables have a client_id; a settled run
belongs to its invoice), and a client's rows depend only on its own invoices and money, the
money other clients pay towards its invoices, and the invoices its own money names. So:

1. `client_state` fingerprints each client's inputs (one scan of invoices and payments),
   and the clients whose fingerprint differs from the one stored at the last refresh are
   the touched clients;
2. for those, the live index views are run over the ledger restricted to what those
   clients' rows depend on (temporary views named `invoices` and `payments` shadow the
   tables while it runs), and their rows are replaced;
3. the month-end store: the touched clients' rows at every month end, and every client's
   rows at a month end the ledger did not reach before.

`update_index(con)` returns False (and changes nothing) when a full rebuild is needed
instead: no stored state, another index shape, or many clients touched.
"""

from __future__ import annotations

import contextlib

import duckdb

# at most this share of the clients touched: beyond it a full rebuild is as quick
MAX_TOUCHED_SHARE = 0.2

# per client: a sum of row hashes over everything its index rows depend on. A payment or
# credit note counts for its own client (with what it names: a change there can turn it
# from money of an invoice into the client's credit) and for the client of the invoice it
# names.
CLIENT_STATE_SQL = """
WITH
receivables AS (
    SELECT invoice_id, client_id, invoice_date FROM main.invoices WHERE amount >= 0
),

invoice_rows AS (
    SELECT client_id, hash(invoice_id, invoice_date, due_date, amount, disputed,
                           credits_invoice_id) AS h
    FROM main.invoices
),

credit_notes_named AS (
    SELECT r.client_id, hash(c.invoice_id, c.client_id, c.invoice_date, c.amount) AS h
    FROM main.invoices AS c JOIN receivables AS r ON r.invoice_id = c.credits_invoice_id
    WHERE c.amount < 0
),

credit_note_targets AS (
    SELECT c.client_id, hash(c.invoice_id, r.client_id, r.invoice_date) AS h
    FROM main.invoices AS c JOIN receivables AS r ON r.invoice_id = c.credits_invoice_id
    WHERE c.amount < 0
),

payment_rows AS (
    SELECT p.client_id,
           hash(p.payment_id, p.invoice_id, p.paid_date, p.amount, r.client_id,
                r.invoice_date) AS h
    FROM main.payments AS p LEFT JOIN receivables AS r USING (invoice_id)
),

payments_named AS (
    SELECT r.client_id, hash(p.payment_id, p.client_id, p.paid_date, p.amount) AS h
    FROM main.payments AS p JOIN receivables AS r USING (invoice_id)
),

final AS (
    SELECT client_id, sum(h) AS fingerprint
    FROM (
        SELECT * FROM invoice_rows
        UNION ALL SELECT * FROM credit_notes_named
        UNION ALL SELECT * FROM credit_note_targets
        UNION ALL SELECT * FROM payment_rows
        UNION ALL SELECT * FROM payments_named
    )
    GROUP BY client_id
)

SELECT * FROM final
"""

# the ledger rows the touched clients' index rows depend on (da_touched: client_id)
_SCOPE_SQL = """
CREATE OR REPLACE TEMP TABLE da_scope_invoices AS
SELECT invoice_id FROM main.invoices WHERE client_id IN (SELECT client_id FROM da_touched);

CREATE OR REPLACE TEMP TABLE da_scope_payments AS
SELECT * FROM main.payments
WHERE client_id IN (SELECT client_id FROM da_touched)
   OR invoice_id IN (SELECT invoice_id FROM da_scope_invoices);

CREATE OR REPLACE TEMP TABLE da_scope_rows AS
WITH
own AS (
    SELECT * FROM main.invoices
    WHERE client_id IN (SELECT client_id FROM da_touched)
       OR (amount < 0 AND credits_invoice_id IN (SELECT invoice_id FROM da_scope_invoices))
),

named AS (
    SELECT * FROM main.invoices
    WHERE invoice_id IN (SELECT invoice_id FROM da_scope_payments)
       OR invoice_id IN (SELECT credits_invoice_id FROM own)
)

SELECT * FROM own UNION SELECT * FROM named;
"""

# the index tables (all but the month-end store) and how their rows name their client
_BY_CLIENT = {
    "receivable_span": "client_id IN (SELECT client_id FROM da_touched)",
    "receivable_money": "client_id IN (SELECT client_id FROM da_touched)",
    "receivable_credit": "client_id IN (SELECT client_id FROM da_touched)",
    "receivable_settled_run": "invoice_id IN (SELECT invoice_id FROM da_scope_invoices)",
}


def client_state(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)compute each client's fingerprint into the temporary table da_client_state."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE da_client_state AS {CLIENT_STATE_SQL}")


def store_client_state(con: duckdb.DuckDBPyConnection) -> None:
    """Keep da_client_state as the fingerprints the index was last refreshed for."""
    con.execute("CREATE OR REPLACE TABLE receivable_client_state AS SELECT * FROM da_client_state")


def _exists(con: duckdb.DuckDBPyConnection, names: list[str]) -> bool:
    found = con.execute(
        "SELECT count(DISTINCT table_name) FROM duckdb_tables() "
        "WHERE NOT temporary AND database_name = current_database() AND list_contains($n, "
        "table_name)",
        {"n": names},
    ).fetchone()[0]
    return found == len(names)


def update_index(con: duckdb.DuckDBPyConnection, index_tables: dict[str, str]) -> bool:
    """Bring the index tables up to date for the touched clients; False when a full
    rebuild is needed instead (nothing is changed then). da_client_state must hold the
    ledger's current fingerprints (client_state)."""
    if not _exists(con, [*index_tables, "receivable_client_state"]):
        return False
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE da_touched AS
        SELECT client_id
        FROM da_client_state AS n FULL JOIN receivable_client_state AS o USING (client_id)
        WHERE n.fingerprint IS DISTINCT FROM o.fingerprint
        """
    )
    touched, clients = con.execute(
        "SELECT (SELECT count(*) FROM da_touched), (SELECT count(*) FROM da_client_state)"
    ).fetchone()
    if touched > MAX_TOUCHED_SHARE * max(clients, 1):
        return False
    dates = _month_end_dates(con)
    query = "SELECT DISTINCT as_of FROM receivable_month_end ORDER BY 1"
    stored_dates = [d for (d,) in con.execute(query).fetchall()]
    if touched:
        con.execute(_SCOPE_SQL)
        _replace_rows(con)
    _update_month_ends(con, dates, stored_dates, touched > 0)
    for temp in ("da_touched", "da_scope_invoices", "da_scope_payments", "da_scope_rows"):
        con.execute(f"DROP TABLE IF EXISTS {temp}")
    return True


def _month_end_dates(con: duckdb.DuckDBPyConnection) -> list:
    """The month ends the store should hold now (the ledger's span)."""
    query = "SELECT as_of FROM receivable_month_end_dates() ORDER BY 1"
    return [d for (d,) in con.execute(query).fetchall()]


@contextlib.contextmanager
def _shadowed(con: duckdb.DuckDBPyConnection, views: dict[str, str]):
    """Temporary views that stand in for the tables of the same name (the models read the
    temporary one first) while a computation runs; dropped after, also on an error."""
    try:
        for name, query in views.items():
            con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {query}")
        yield
    finally:
        for name in views:
            con.execute(f"DROP VIEW IF EXISTS temp.{name}")


def _replace_rows(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute the touched clients' rows of the index tables from the live views over
    the ledger rows they depend on (a table that reads others, from their new rows), and
    put them in place of the old ones."""
    from dunning_analytics.ledger import index_source

    ledger = {
        "invoices": "SELECT * FROM da_scope_rows",
        "payments": "SELECT * FROM da_scope_payments",
    }
    built: dict[str, str] = {}
    with _shadowed(con, ledger):
        for table, where in _BY_CLIENT.items():
            source = index_source(table, built)
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE da_new_{table} AS "
                f"SELECT * FROM {source} WHERE {where}"
            )
            built[table] = f"da_new_{table}"
    for table, where in _BY_CLIENT.items():
        con.execute(f"DELETE FROM {table} WHERE {where}")
        con.execute(f"INSERT INTO {table} SELECT * FROM da_new_{table}")
        con.execute(f"DROP TABLE da_new_{table}")


MONTH_ENDS_PER_QUERY = 6


def _update_month_ends(con, dates: list, stored_dates: list, touched: bool) -> None:
    """The month-end store: month ends no longer in the ledger's span go; the touched
    clients' rows are recomputed at every month end; every other client gets rows at the
    month ends that are new."""
    # the file's database, quoted: a file name may hold a dash or a space
    db = '"' + con.execute("SELECT current_database()").fetchone()[0].replace('"', '""') + '"'
    con.execute("DELETE FROM receivable_month_end WHERE NOT list_contains($d, as_of)", {"d": dates})
    rows = (
        "SELECT as_of, client_id, item_type, invoice_date, due_date, outstanding "
        "FROM receivable_items($dates, true, settled_dates := false) WHERE outstanding <> 0"
    )
    # a few month ends per query: all of them at once holds every touched client's open
    # items at every month end in memory (10 million invoices under a 2 GB cap: out of memory)
    chunks = [
        dates[i : i + MONTH_ENDS_PER_QUERY] for i in range(0, len(dates), MONTH_ENDS_PER_QUERY)
    ]
    if touched:
        index = {
            table: f"SELECT * FROM {db}.main.{table} WHERE {where}"
            for table, where in _BY_CLIENT.items()
        }
        con.execute(f"CREATE OR REPLACE TEMP TABLE da_new_rows AS {rows} LIMIT 0", {"dates": []})
        with _shadowed(con, index):
            for chunk in chunks:
                con.execute(f"INSERT INTO da_new_rows {rows}", {"dates": chunk})
        con.execute(
            "DELETE FROM receivable_month_end WHERE client_id IN (SELECT client_id FROM da_touched)"
        )
        con.execute("INSERT INTO receivable_month_end SELECT * FROM da_new_rows")
    new = sorted(set(dates) - set(stored_dates))
    for i in range(0, len(new), MONTH_ENDS_PER_QUERY):
        con.execute(
            f"INSERT INTO receivable_month_end SELECT * FROM ({rows}) "
            "WHERE client_id NOT IN (SELECT client_id FROM da_touched)",
            {"dates": new[i : i + MONTH_ENDS_PER_QUERY]},
        )
    con.execute("DROP TABLE IF EXISTS da_new_rows")
