"""Aging as of a date: buckets, replay, partial payments, credit notes, unapplied credit, trend."""

import datetime as dt
from decimal import Decimal

import duckdb
import pandas as pd
import pytest
from conftest import make_ledger

from dunning_analytics import aging, aging_trend, bucket_labels
from dunning_analytics.questions.aging import BUCKET_SCHEMES, month_ends

D = dt.date
E = Decimal


def buckets_of(con, as_of, **kw):
    """{(invoice_id or 'credit'): (bucket, outstanding)} as of the date."""
    items = aging(con, as_of, by="invoice", **kw)
    return {
        ("credit" if pd.isna(row.invoice_id) else row.invoice_id): (row.bucket, row.outstanding)
        for row in items.itertuples()
    }


def test_historical_replay_payment_after_as_of_leaves_invoice_open(ledger):
    con = make_ledger(
        ledger,
        [("A", "K1", D(2025, 1, 1), D(2025, 1, 31), E("100.00"))],
        [("p", "K1", "A", D(2025, 3, 1), E("100.00"))],
    )
    assert buckets_of(con, D(2025, 2, 15)) == {"A": ("1–30", E("100.00"))}
    assert buckets_of(con, D(2025, 2, 28)) == {"A": ("1–30", E("100.00"))}
    assert buckets_of(con, D(2025, 3, 1)) == {}
    assert buckets_of(con, D(2024, 12, 31)) == {}  # the invoice did not exist yet


def test_not_yet_due_including_the_due_date_itself(ledger):
    con = make_ledger(ledger, [("A", "K1", D(2025, 1, 1), D(2025, 1, 31), E("10.00"))])
    assert buckets_of(con, D(2025, 1, 31)) == {"A": ("not yet due", E("10.00"))}
    assert buckets_of(con, D(2025, 2, 1)) == {"A": ("1–30", E("10.00"))}
    assert buckets_of(con, D(2025, 5, 2)) == {"A": ("over 90", E("10.00"))}


def test_partial_payment_reduces_the_invoice_in_its_own_bucket(ledger):
    con = make_ledger(
        ledger,
        [
            ("A", "K1", D(2025, 1, 1), D(2025, 1, 31), E("100.00")),
            ("B", "K1", D(2025, 3, 1), D(2025, 3, 31), E("50.00")),
        ],
        [("p", "K1", "A", D(2025, 3, 10), E("40.00"))],
    )
    assert buckets_of(con, D(2025, 3, 20)) == {
        "A": ("31–60", E("60.00")),
        "B": ("not yet due", E("50.00")),
    }


def test_credit_note_linked_to_invoice_reduces_it(ledger):
    con = make_ledger(
        ledger,
        [
            ("A", "K1", D(2025, 1, 1), D(2025, 1, 31), E("100.00")),
            ("CN", "K1", D(2025, 2, 10), D(2025, 2, 10), E("-30.00"), "A"),
        ],
    )
    assert buckets_of(con, D(2025, 2, 5)) == {"A": ("1–30", E("100.00"))}
    assert buckets_of(con, D(2025, 2, 10)) == {"A": ("1–30", E("70.00"))}


def test_unallocated_payment_applied_oldest_due_first_and_rest_shown_as_credit(ledger):
    con = make_ledger(
        ledger,
        [
            ("A", "K1", D(2025, 1, 1), D(2025, 1, 10), E("100.00")),
            ("B", "K1", D(2025, 1, 11), D(2025, 2, 10), E("100.00")),
            ("X", "K2", D(2025, 1, 1), D(2025, 1, 15), E("10.00")),
        ],
        [
            ("u1", "K1", None, D(2025, 2, 20), E("150.00")),
            ("u2", "K2", None, D(2025, 2, 1), E("25.00")),
        ],
    )
    # K2's payment of 25 (1 Feb) settles X (10); 15 is left as unapplied credit
    assert buckets_of(con, D(2025, 2, 15)) == {
        "A": ("31–60", E("100.00")),
        "B": ("1–30", E("100.00")),
        "credit": ("unapplied credit", E("-15.00")),
    }
    assert buckets_of(con, D(2025, 1, 31)) == {
        "A": ("1–30", E("100.00")),
        "B": ("not yet due", E("100.00")),
        "X": ("1–30", E("10.00")),
    }
    # the payment covers A (oldest due) and half of B; K2's credit exceeds its invoice
    items = aging(con, D(2025, 2, 20), by="invoice")
    got = {(r.client_id, r.item_type, r.outstanding, r.credit_applied) for r in items.itertuples()}
    assert got == {
        ("K1", "invoice", E("50.00"), E("50.00")),
        ("K2", "unapplied_credit", E("-15.00"), E("0.00")),
    }
    by_client = aging(con, D(2025, 2, 20)).set_index("client_id")
    assert by_client.loc["K2", "unapplied credit"] == E("-15.00")
    assert by_client.loc["K2", "outstanding"] == E("-15.00")
    settled = dict(
        con.execute("SELECT invoice_id, settled_date FROM invoice_settlement ORDER BY 1").fetchall()
    )
    assert settled == {"A": D(2025, 2, 20), "B": None, "X": D(2025, 2, 1)}


def test_due_date_basis_versus_invoice_date_basis(ledger):
    con = make_ledger(
        ledger,
        [
            ("A", "K1", D(2025, 1, 1), D(2025, 1, 31), E("10.00")),
            ("B", "K1", D(2025, 3, 1), D(2025, 4, 30), E("20.00")),
        ],
    )
    as_of = D(2025, 3, 10)
    assert buckets_of(con, as_of, basis="due") == {
        "A": ("31–60", E("10.00")),
        "B": ("not yet due", E("20.00")),
    }
    # overdue items age from the invoice date; not-yet-due stays not yet due
    assert buckets_of(con, as_of, basis="invoice") == {
        "A": ("61–90", E("10.00")),
        "B": ("not yet due", E("20.00")),
    }


def test_custom_boundaries_and_labels(ledger):
    con = make_ledger(ledger, [("A", "K1", D(2025, 1, 1), D(2025, 1, 31), E("10.00"))])
    assert bucket_labels([7, 14]) == ["not yet due", "1–7", "8–14", "over 14", "unapplied credit"]
    assert buckets_of(con, D(2025, 2, 8), buckets=[7, 14]) == {"A": ("8–14", E("10.00"))}
    with pytest.raises(ValueError):
        aging(con, D(2025, 2, 8), buckets=[30, 10])


def _balance(con, as_of):
    """Invoices and credit notes minus payments up to as_of, computed without the models."""
    return con.execute(
        "SELECT (SELECT coalesce(sum(amount), 0) FROM invoices WHERE invoice_date <= $d) - "
        "(SELECT coalesce(sum(amount), 0) FROM payments WHERE paid_date <= $d)",
        {"d": as_of},
    ).fetchall()[0][0]


@pytest.mark.parametrize("scheme", list(BUCKET_SCHEMES))
@pytest.mark.parametrize("basis", ["due", "invoice"])
def test_buckets_reconcile_to_the_balance_to_the_cent(demo_ledger, scheme, basis):
    con = duckdb.connect(str(demo_ledger), read_only=True)
    bounds = BUCKET_SCHEMES[scheme]
    labels = bucket_labels(bounds)
    for as_of in (D(2024, 6, 30), D(2025, 12, 31), D(2026, 10, 31)):
        frame = aging(con, as_of, buckets=bounds, basis=basis)
        for row in frame.itertuples(index=False):
            assert (
                sum(getattr(row, "_" + str(i + 3)) for i in range(len(labels))) == row.outstanding
            )
        total = sum(sum(frame[label]) for label in labels)
        assert total == sum(frame["outstanding"]) == _balance(con, as_of)
        assert total > 0
    con.close()


def test_month_end_trend_equals_aging_at_each_month_end(demo_ledger):
    start, end = D(2025, 9, 1), D(2026, 2, 15)
    trend = aging_trend(demo_ledger, start, end, buckets=(30, 60, 90))
    ends = month_ends(start, end)
    assert ends[0] == D(2025, 9, 30) and ends[-1] == D(2026, 2, 28)
    assert sorted(set(trend["month_end"])) == ends
    for month_end in (ends[0], ends[3], ends[-1]):
        frame = aging(demo_ledger, month_end)
        part = trend[trend["month_end"] == month_end].set_index("bucket")["outstanding"]
        for label in bucket_labels((30, 60, 90)):
            assert part[label] == sum(frame[label]), (month_end, label)


@pytest.mark.parametrize(
    "options", [{}, {"basis": "invoice", "client_kind": "consumer", "buckets": (7, 14, 21, 28)}]
)
def test_trend_from_the_month_end_store_equals_aging_computed_on_the_day(demo_ledger, options):
    # month ends up to the demo's last day come from the store the loader keeps,
    # the two after it are computed; aging() always computes
    con = duckdb.connect(str(demo_ledger), read_only=True)
    stored = con.execute("SELECT DISTINCT as_of FROM receivable_month_end").fetchall()
    con.close()
    assert (D(2026, 10, 31),) in stored and (D(2026, 11, 30),) not in stored
    trend = aging_trend(demo_ledger, D(2025, 1, 1), D(2026, 12, 15), **options)
    computed = aging_trend(demo_ledger, D(2025, 1, 1), D(2026, 12, 15), stored=False, **options)
    assert trend.equals(computed)
    labels = bucket_labels(options.get("buckets", (30, 60, 90)))
    for month_end in month_ends(D(2025, 1, 1), D(2026, 12, 15)):
        frame = aging(demo_ledger, month_end, **options)
        part = trend[trend["month_end"] == month_end].set_index("bucket")["outstanding"]
        assert [part[label] for label in labels] == [sum(frame[label]) for label in labels]


def test_client_kind_and_minimum_balance_filters(demo_ledger):
    as_of = D(2026, 10, 31)
    everyone = aging(demo_ledger, as_of)
    consumers = aging(demo_ledger, as_of, client_kind="consumer")
    assert set(consumers["kind"]) == {"consumer"}
    assert 0 < len(consumers) < len(everyone)
    big = aging(demo_ledger, as_of, min_amount=5000)
    assert (big["outstanding"] >= 5000).all()
    assert len(big) == (everyone["outstanding"] >= 5000).sum()
