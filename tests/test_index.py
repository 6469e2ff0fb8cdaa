"""The receivable index: kept by every load, and never stale when the ledger is edited by hand."""

import datetime as dt
import json
from decimal import Decimal

import duckdb

from dunning_analytics import load
from dunning_analytics.ledger import connected, open_ledger
from dunning_analytics.questions.aging import aging

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
    """Return the operator names of the joins on a day up to a day when the settled runs are
    computed (every load): the credit pool on a client's days, the money to a check day."""
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
    assert pool_joins(con) == ["ASOF_JOIN", "ASOF_JOIN"]
    con.close()
    with connected(duckdb.connect(str(demo_ledger), read_only=True)) as con:
        assert pool_joins(con) == ["ASOF_JOIN", "ASOF_JOIN"]


INDEX = ["receivable_span", "receivable_money", "receivable_credit", "receivable_settled_run"]


def _differences(con, table: str, live: str) -> int:
    """Rows in one and not the other (as multisets): 0 when the stored table equals a full
    rebuild from the live view."""
    return con.execute(
        f"""
        SELECT (SELECT count(*) FROM (SELECT * FROM {table} EXCEPT ALL SELECT * FROM {live}))
             + (SELECT count(*) FROM (SELECT * FROM {live} EXCEPT ALL SELECT * FROM {table}))
        """
    ).fetchone()[0]


def test_a_small_load_updates_the_index_for_the_clients_it_touched_only(
    demo_ledger, tmp_path, monkeypatch
):
    """After each small load the index and month-end store equal a full rebuild (the same
    rows), while only the touched clients' rows were recomputed (no full rebuild ran)."""
    import shutil

    from dunning_analytics import ledger as ledger_module

    path = tmp_path / "my-ledger 2026.duckdb"  # a name SQL must quote
    shutil.copy(demo_ledger, path)
    con = duckdb.connect(str(path), read_only=True)
    open_invoice, open_client, open_amount = con.execute(
        "SELECT invoice_id, client_id, outstanding FROM invoice_settlement_at(DATE '2026-10-31') "
        "WHERE outstanding > 100 ORDER BY invoice_id LIMIT 1"
    ).fetchone()
    paid = con.execute(
        "SELECT payment_id, client_id, invoice_id, paid_date, amount FROM payments "
        "WHERE invoice_id IS NOT NULL ORDER BY payment_id LIMIT 1"
    ).fetchone()
    other_client = con.execute(
        "SELECT client_id FROM clients WHERE client_id NOT IN (?, ?) ORDER BY client_id LIMIT 1",
        [open_client, paid[1]],
    ).fetchone()[0]
    con.close()
    loads = {
        "new invoices, a new client, a credit note": (
            "invoices",
            "invoice_id;client_id;invoice_date;due_date;amount;credits_invoice_id\n"
            f"N1;{open_client};01-11-2026;01-12-2026;500,00;\n"
            "N2;NEWCLIENT;02-11-2026;02-12-2026;750,00;\n"
            f"N3;{open_client};03-11-2026;03-12-2026;-50,00;{open_invoice}\n",
        ),
        "payments: part of one, more than another": (
            "payments",
            "payment_id;client_id;invoice_id;paid_date;amount\n"
            f"P1;{open_client};{open_invoice};04-11-2026;{open_amount / 2:.2f}\n"
            f"P2;NEWCLIENT;N2;05-11-2026;800,00\n",
        ),
        "a changed paid date": (
            "payments",
            "payment_id;client_id;invoice_id;paid_date;amount\n"
            f"{paid[0]};{paid[1]};{paid[2]};{paid[3] + dt.timedelta(days=9):%d-%m-%Y};"
            f"{paid[4]:.2f}\n",
        ),
        "unallocated money": (
            "payments",
            "payment_id;client_id;invoice_id;paid_date;amount\n"
            f"U1;{other_client};;06-11-2026;321,00\n",
        ),
    }
    full_rebuilds = []
    rebuild = ledger_module._rebuild_index_tables
    monkeypatch.setattr(
        ledger_module,
        "_rebuild_index_tables",
        lambda con, tables: full_rebuilds.append(tables) or rebuild(con, tables),
    )
    for name, (kind, text) in loads.items():
        source = tmp_path / f"{len(full_rebuilds)}-{kind}.csv"
        source.write_text(text.replace(".", ","))
        result = load(path, source, kind=kind)
        assert result.rows_loaded + result.rows_updated >= 1, name
        assert full_rebuilds == [], f"{name}: a full rebuild ran"
        con = duckdb.connect(str(path), read_only=True)
        try:
            for table in INDEX:
                assert _differences(con, table, f"{table}_live") == 0, (name, table)
            assert _differences(con, "receivable_month_end", "receivable_month_end_live") == 0
            months = con.execute("SELECT max(as_of) FROM receivable_month_end").fetchone()[0]
        finally:
            con.close()
    assert months == dt.date(2026, 11, 30)  # a new month end, for every client


def test_a_full_rebuild_reading_the_tables_it_just_built_equals_the_live_views(
    demo_ledger, tmp_path
):
    """A full rebuild builds the settled runs and the money from the span, money and credit
    tables it has just built (not the live views again); every table equals its live view,
    on a ledger with credit pools, credit notes, part payments and open invoices."""
    import shutil

    from dunning_analytics.ledger import INDEX_TABLES, refresh_index, transaction

    path = tmp_path / "copy.duckdb"
    shutil.copy(demo_ledger, path)
    con = open_ledger(path)
    try:
        with transaction(con):
            refresh_index(con, list(INDEX_TABLES))
        by_credit = con.execute(
            "SELECT count(*) FILTER (WHERE by_credit), count(*) FROM receivable_settled_run"
        ).fetchone()
        assert 0 < by_credit[0] < by_credit[1]  # both kinds of run are there to compare
        for table in INDEX:
            assert _differences(con, table, f"{table}_live") == 0, table
    finally:
        con.close()
