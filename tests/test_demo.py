"""The demo ledger: deterministic, and its archetypes behave as named."""

import datetime as dt

import duckdb

from dunning_analytics.ledger.demo import ARCHETYPES, write_demo_ledger


def _query(path, sql):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_same_seed_same_ledger(tmp_path, demo_ledger):
    other = tmp_path / "again.duckdb"
    write_demo_ledger(other, clients=150, seed=7, end=dt.date(2026, 10, 31))
    sql = "SELECT count(*), sum(amount), min(invoice_date), max(invoice_id) FROM invoices"
    assert _query(other, sql) == _query(demo_ledger, sql)
    different = tmp_path / "seed8.duckdb"
    write_demo_ledger(different, clients=150, seed=8, end=dt.date(2026, 10, 31))
    assert _query(different, sql) != _query(demo_ledger, sql)


def test_every_archetype_is_present_with_business_and_consumer_clients(demo_ledger):
    found = {a for (a,) in _query(demo_ledger, "SELECT DISTINCT archetype FROM demo_archetype")}
    assert found == set(ARCHETYPES)
    kinds = dict(_query(demo_ledger, "SELECT kind, count(*) FROM clients GROUP BY 1"))
    assert kinds["business"] > kinds["consumer"] > 0


def test_history_spans_three_years_with_all_document_types(demo_ledger):
    ((first, last),) = _query(
        demo_ledger, "SELECT min(invoice_date), max(invoice_date) FROM invoices"
    )
    assert (last - first).days > 3 * 365 - 60
    counts = _query(
        demo_ledger,
        """
        SELECT
            (SELECT count(*) FROM invoices WHERE amount < 0 AND credits_invoice_id IS NOT NULL),
            (SELECT count(*) FROM payments WHERE invoice_id IS NULL),
            (SELECT count(*) FROM (SELECT invoice_id FROM payments WHERE invoice_id IS NOT NULL
                                   GROUP BY 1 HAVING count(*) > 1)),
            (SELECT count(*) FROM contacts WHERE kind = 'payment_plan'),
            (SELECT count(*) FROM contacts WHERE kind = 'formal_notice'),
            (SELECT count(*) FROM contacts WHERE kind = 'collection'),
            (SELECT count(*) FROM invoices WHERE disputed)
        """,
    )[0]
    assert all(n > 0 for n in counts), counts


def test_deteriorating_client_pays_later_over_time(demo_ledger):
    rows = _query(
        demo_ledger,
        """
        SELECT s.client_id,
               avg(s.days_late) FILTER (WHERE s.invoice_date < DATE '2024-11-01'),
               avg(s.days_late) FILTER (WHERE s.invoice_date >= DATE '2026-01-01')
        FROM invoice_settlement AS s JOIN demo_archetype AS a USING (client_id)
        WHERE a.archetype = 'deteriorating'
        GROUP BY 1
        """,
    )
    assert rows
    for client, early, late in rows:
        if early is not None and late is not None:
            assert late > early + 20, client


def test_punctual_pay_on_time_and_slow_pay_late(demo_ledger):
    late = dict(
        _query(
            demo_ledger,
            """
            SELECT a.archetype, median(s.days_late)
            FROM invoice_settlement AS s JOIN demo_archetype AS a USING (client_id)
            WHERE s.days_late IS NOT NULL GROUP BY 1
            """,
        )
    )
    assert late["punctual"] <= 0
    assert 14 <= late["slow_steady"] <= 30


def test_collection_client_has_old_unpaid_invoices_and_broken_promises(demo_ledger):
    rows = _query(
        demo_ledger,
        """
        SELECT count(*) FILTER (WHERE o.days_overdue > 90), count(DISTINCT k.contact_id)
        FROM open_items(DATE '2026-10-31') AS o
        JOIN demo_archetype AS a USING (client_id)
        LEFT JOIN contacts AS k ON k.client_id = o.client_id AND k.kind = 'collection'
        WHERE a.archetype = 'collection'
        """,
    )
    over_90, collections = rows[0]
    assert over_90 > 0 and collections > 0
    (broken,) = _query(
        demo_ledger,
        """
        SELECT count(*) FROM contacts AS c JOIN invoice_settlement AS s USING (invoice_id)
        WHERE c.kind = 'promise_to_pay'
          AND coalesce(s.settled_date, DATE '2026-10-31') > c.promised_date
        """,
    )[0]
    assert broken > 0


def test_generator_scales_by_invoice_count(tmp_path):
    path = tmp_path / "scaled.duckdb"
    counts = write_demo_ledger(path, invoices=20_000, seed=1, end=dt.date(2026, 10, 31))
    assert 14_000 <= counts["invoices"] <= 30_000


def test_client_ids_stay_unique_past_99999_clients():
    from dunning_analytics.ledger.demo import client_id_width

    assert client_id_width(150) == 5 and client_id_width(100_000) == 5
    assert client_id_width(100_001) == 6 and client_id_width(384_616) == 6
    # the ids are built in SQL with lpad, which cuts longer numbers
    con = duckdb.connect()
    distinct = con.execute(
        "SELECT count(DISTINCT 'C' || lpad(n::VARCHAR, ?, '0')) FROM range(384616) AS t(n)",
        [client_id_width(384_616)],
    ).fetchall()[0][0]
    assert distinct == 384_616
