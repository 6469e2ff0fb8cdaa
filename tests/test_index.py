"""The receivable index: kept by every load, and never stale when the ledger is edited by hand."""

import datetime as dt
import json
from decimal import Decimal

import duckdb

from dunning_analytics import load
from dunning_analytics.aging import aging
from dunning_analytics.ledger import connected, open_ledger

HISTORY = """invoice_id;client_id;invoice_date;due_date;amount;paid_date
A1;K1;01-09-2026;01-10-2026;100,00;15-10-2026
A2;K1;05-09-2026;05-10-2026;250,00;
A3;K2;10-09-2026;10-10-2026;400,00;
"""
AS_OF = dt.date(2026, 10, 31)


def owed(ledger_or_con, client_id):
    frame = aging(ledger_or_con, AS_OF, by="client", client_id=client_id)
    return Decimal(0) if frame.empty else frame["outstanding"].iloc[0]


def stored_fingerprint(path):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            "SELECT value FROM ledger_meta WHERE key = 'index_fingerprint'"
        ).fetchall()
    finally:
        con.close()


def test_a_load_leaves_a_current_index(ledger, write):
    load(ledger, write("h.csv", HISTORY))
    con = duckdb.connect(str(ledger), read_only=True)
    spans = con.execute("SELECT invoice_id, paid_up_on FROM receivable_span ORDER BY 1").fetchall()
    con.close()
    assert spans == [("A1", dt.date(2026, 10, 15)), ("A2", None), ("A3", None)]
    assert stored_fingerprint(ledger)


def test_hand_edits_are_seen_read_only_and_rebuilt_when_writable(ledger, write):
    load(ledger, write("h.csv", HISTORY))
    before = stored_fingerprint(ledger)
    con = duckdb.connect(str(ledger))  # a user's plain SQL, outside the loader
    con.execute("INSERT INTO payments VALUES ('hand', 'K1', 'A2', DATE '2026-10-20', 250.00, NULL)")
    con.execute(
        "UPDATE payments SET invoice_id = 'A3', client_id = 'K2' WHERE payment_id = 'paid:A1'"
    )
    con.close()
    # read-only: the index is stale, the answer must not be
    assert owed(ledger, "K1") == Decimal("100.00")  # A1 lost its payment, A2 is paid
    assert owed(ledger, "K2") == Decimal("300.00")
    assert stored_fingerprint(ledger) == before  # a read-only open changed nothing
    # writable: rebuilt once, then current
    with connected(ledger, read_only=False) as con:
        assert owed(con, "K1") == Decimal("100.00")
    assert stored_fingerprint(ledger) != before
    ro = open_ledger(ledger, read_only=True)
    assert owed(ro, "K2") == Decimal("300.00")
    temp_views = ro.execute(
        "SELECT count(*) FROM duckdb_views() WHERE temporary AND view_name LIKE 'receivable_%'"
    ).fetchall()
    ro.close()
    assert temp_views == [(0,)]


def test_a_ledger_from_an_older_version_is_read_and_upgraded(ledger, write):
    load(ledger, write("h.csv", HISTORY))
    con = duckdb.connect(str(ledger))  # as an older version left it: a narrower index
    con.execute("DROP MACRO TABLE IF EXISTS aged_items")
    con.execute("CREATE OR REPLACE TABLE receivable_money AS SELECT invoice_id FROM invoices")
    con.execute("CREATE OR REPLACE TABLE receivable_span AS SELECT invoice_id FROM invoices")
    con.execute("UPDATE ledger_meta SET value = 'old' WHERE key = 'models_version'")
    con.close()
    assert owed(ledger, "K1") == Decimal("250.00")  # read-only: the live index stands in
    with connected(ledger, read_only=False) as con:  # writable: upgraded in the file
        assert owed(con, "K1") == Decimal("250.00")
    con = duckdb.connect(str(ledger), read_only=True)
    columns = [r[0] for r in con.execute("DESCRIBE receivable_money").fetchall()]
    con.close()
    assert "invoice_amount" in columns


def pool_joins(con) -> list[str]:
    """Return the operator names of the joins that meet the credit queue with the pool
    when the settled runs are computed (every load)."""
    plan = con.execute(
        "EXPLAIN (FORMAT json) SELECT * FROM receivable_settled_run_live"
    ).fetchall()[0][1]
    found = []

    def walk(node):
        if "day >= day" in json.dumps(node.get("extra_info", {}).get("Conditions", "")):
            found.append(node["name"])
        for child in node.get("children", []):
            walk(child)

    for root in json.loads(plan):
        walk(root)
    return found


def test_the_credit_queue_meets_the_credit_pool_in_an_asof_join_not_a_nested_loop(demo_ledger):
    """DuckDB turns an ASOF join it expects to be tiny into a nested loop, which
    on a million invoices took client profiles from 0.9 s to 15 s. Connections
    the kit opens keep the ASOF join, whatever the estimate."""
    con = open_ledger(demo_ledger, read_only=True)
    assert pool_joins(con) == ["ASOF_JOIN"]
    con.close()
    with connected(duckdb.connect(str(demo_ledger), read_only=True)) as con:
        assert pool_joins(con) == ["ASOF_JOIN"]
