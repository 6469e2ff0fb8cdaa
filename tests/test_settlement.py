"""Settled dates, open items and overpayments agree with a day-by-day replay.

The property test generates small ledgers (invoices, credit notes with and without
an invoice, payments with and without an invoice, money dated before its invoice,
overpayments, refunds and reversals) and compares every invoice on every day with
tests/settlement_oracle.py, an independent replay of the README's rules.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from conftest import make_ledger
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from settlement_oracle import Invoice, Payment, replay, settled_dates

from dunning_analytics.ledger import ensure_index, memory_ledger, open_ledger, refresh_index

BASE = dt.date(2025, 1, 1)
CLIENTS = ["K1", "K2"]
AMOUNTS = st.sampled_from([Decimal(a) for a in ("25.00", "50.00", "75.00", "100.00", "0.01")])


def day(n: int) -> dt.date:
    return BASE + dt.timedelta(days=n)


@st.composite
def small_ledgers(draw):
    """A ledger of one or two clients over about 40 days."""
    invoices, payments = [], []
    for n in range(draw(st.integers(1, 5))):
        start = draw(st.integers(0, 30))
        invoices.append(
            Invoice(
                f"F{n}",
                draw(st.sampled_from(CLIENTS)),
                day(start),
                day(start + draw(st.integers(0, 20))),
                draw(AMOUNTS) * draw(st.sampled_from([1, 1, 2, 4])),
            )
        )
    receivable_ids = [i.invoice_id for i in invoices]
    for n in range(draw(st.integers(0, 2))):
        linked = draw(st.none() | st.sampled_from(receivable_ids))
        client = next((i.client_id for i in invoices if i.invoice_id == linked), None)
        invoices.append(
            Invoice(
                f"C{n}",
                client or draw(st.sampled_from(CLIENTS)),
                day(draw(st.integers(0, 35))),
                day(draw(st.integers(0, 35))),
                -draw(AMOUNTS),
                linked,
            )
        )
    for n in range(draw(st.integers(0, 6))):
        target = draw(st.none() | st.sampled_from(receivable_ids))
        client = next((i.client_id for i in invoices if i.invoice_id == target), None)
        kind = draw(st.sampled_from(["part", "part", "whole", "over", "back"]))
        amount = draw(AMOUNTS)
        if kind == "whole" and target:
            amount = next(i.amount for i in invoices if i.invoice_id == target)
        elif kind == "over":
            amount = amount * 10
        elif kind == "back":  # a refund or a reversal: money going back to the client
            amount = -amount
        payments.append(
            Payment(
                f"P{n}",
                client or draw(st.sampled_from(CLIENTS)),
                target,
                day(draw(st.integers(0, 40))),
                amount,
            )
        )
    return invoices, payments


@pytest.fixture(scope="module")
def scratch():
    """One in-memory ledger whose tables each example fills anew."""
    con = memory_ledger()
    con.execute("INSERT INTO clients (client_id, name) VALUES ('K1', 'Jansen'), ('K2', 'de Vries')")
    return con


def fill(con, invoices, payments):
    con.execute("DELETE FROM invoices")
    con.execute("DELETE FROM payments")
    con.executemany(
        "INSERT INTO invoices (invoice_id, client_id, invoice_date, due_date, due_date_source, "
        "amount, credits_invoice_id) VALUES (?, ?, ?, ?, 'file', ?, ?)",
        [
            [i.invoice_id, i.client_id, i.invoice_date, i.due_date, i.amount, i.credits_invoice_id]
            for i in invoices
        ],
    )
    if payments:
        con.executemany(
            "INSERT INTO payments (payment_id, client_id, invoice_id, paid_date, amount) "
            "VALUES (?, ?, ?, ?, ?)",
            [[p.payment_id, p.client_id, p.invoice_id, p.paid_date, p.amount] for p in payments],
        )
    refresh_index(con)


@seed(20261123)
@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(small_ledgers())
def test_every_invoice_on_every_day_agrees_with_the_day_by_day_replay(scratch, ledger_data):
    invoices, payments = ledger_data
    fill(scratch, invoices, payments)
    days = [day(n) for n in range(0, 46)]
    expected_settled = settled_dates(invoices, payments, days)
    rows = scratch.execute(
        "SELECT as_of, item_type, client_id, invoice_id, outstanding, settled_date "
        "FROM receivable_items(?, false)",
        [days],
    ).fetchall()
    open_rows = scratch.execute(
        "SELECT as_of, item_type, client_id, invoice_id, outstanding "
        "FROM receivable_items(?, true, settled_dates := false) WHERE outstanding <> 0",
        [days],
    ).fetchall()
    buckets = dict(
        scratch.execute(
            "SELECT as_of, sum(outstanding) FROM aged_items(?, [30, 60, 90], "
            "['1-30', '31-60', '61-90', '90+'], 'due') GROUP BY as_of",
            [days],
        ).fetchall()
    )
    for as_of in days:
        owed, unapplied = replay(invoices, payments, as_of)
        got = {r[3]: r for r in rows if r[0] == as_of and r[1] == "invoice"}
        assert set(got) == set(owed), as_of
        for inv_id, left in owed.items():
            assert got[inv_id][4] == left, (as_of, inv_id)
            assert got[inv_id][5] == expected_settled[(as_of, inv_id)], (as_of, inv_id)
            # open on a day exactly when that day's settlement says it is not settled
            assert (got[inv_id][5] is None) == (left > 0)
        opened = {r[3]: r[4] for r in open_rows if r[0] == as_of and r[1] == "invoice"}
        assert opened == {k: v for k, v in owed.items() if v > 0}, as_of
        credit = {r[2]: r[4] for r in open_rows if r[0] == as_of and r[1] == "unapplied_credit"}
        assert credit == unapplied, as_of
        balance = sum(i.amount for i in invoices if i.invoice_date <= as_of) - sum(
            p.amount for p in payments if p.paid_date <= as_of
        )
        assert buckets.get(as_of, Decimal(0)) == balance, as_of


def test_the_open_items_and_settlement_macros_agree_with_the_replay_on_a_hard_case(scratch):
    """The macros a user calls (open_items, invoice_settlement_at) on the ledger of
    case 4 below, day by day: open exactly when not settled on that day."""
    invoices = [
        Invoice("X", "K1", day(0), day(89), Decimal("100.00")),
        Invoice("Y", "K1", day(9), day(19), Decimal("100.00")),
    ]
    payments = [
        Payment("P1", "K1", None, day(4), Decimal("100.00")),
        Payment("P2", "K1", "X", day(24), Decimal("100.00")),
    ]
    fill(scratch, invoices, payments)
    days = [day(n) for n in range(0, 30)]
    expected = settled_dates(invoices, payments, days)
    for as_of in days:
        opened = {
            r[0]
            for r in scratch.execute(
                "SELECT invoice_id FROM open_items(?) WHERE item_type = 'invoice'", [as_of]
            ).fetchall()
        }
        settled = dict(
            scratch.execute(
                "SELECT invoice_id, settled_date FROM invoice_settlement_at(?)", [as_of]
            ).fetchall()
        )
        for inv_id, settled_on in settled.items():
            assert settled_on == expected[(as_of, inv_id)]
            assert (inv_id in opened) == (settled_on is None or as_of < settled_on)


# ---------------------------------------------------------------- the reproductions


def settlement(con, as_of=None) -> dict:
    sql = "SELECT invoice_id, outstanding, settled_date, days_to_pay, days_late FROM " + (
        "invoice_settlement" if as_of is None else f"invoice_settlement_at(DATE '{as_of}')"
    )
    return {r[0]: r[1:] for r in con.execute(sql).fetchall()}


def open_items(con, as_of) -> dict:
    rows = con.execute(
        "SELECT coalesce(invoice_id, 'credit ' || client_id), outstanding "
        f"FROM open_items(DATE '{as_of}')"
    ).fetchall()
    return dict(rows)


def test_pool_money_freed_by_a_later_payment_settles_the_next_invoice_that_day(ledger):
    """Cases 1 and 2: the pool settles X on 5 Jan; X's own payment on 20 Jan frees the
    pool money, which settles Y on 20 Jan. X stays settled on 5 Jan."""
    con = make_ledger(
        ledger,
        invoices=[
            ("X", "K1", "2025-01-01", "2025-02-01", 100),
            ("Y", "K1", "2025-01-01", "2025-03-01", 100),
        ],
        payments=[("P1", "K1", None, "2025-01-05", 100), ("P2", "K1", "X", "2025-01-20", 100)],
    )
    ensure_index(con)
    assert open_items(con, "2025-01-10") == {"Y": Decimal("100.00")}
    assert settlement(con, "2025-01-10")["X"][1] == dt.date(2025, 1, 5)
    final = settlement(con)
    assert final["X"] == (Decimal("0.00"), dt.date(2025, 1, 5), 4, -27)
    assert final["Y"] == (Decimal("0.00"), dt.date(2025, 1, 20), 19, -40)


def test_money_dated_before_its_invoice_settles_it_on_the_invoice_date(ledger):
    """Case 3: paid with its number on 5 Jan, invoiced on 10 Jan."""
    con = make_ledger(
        ledger,
        invoices=[("X", "K1", "2025-01-10", "2025-02-09", 100)],
        payments=[("P1", "K1", "X", "2025-01-05", 100)],
    )
    ensure_index(con)
    assert settlement(con)["X"] == (Decimal("0.00"), dt.date(2025, 1, 10), 0, -30)
    assert open_items(con, "2025-01-07") == {"credit K1": Decimal("-100.00")}


def test_settled_reopened_and_settled_again_counts_the_last_settlement(ledger):
    """Case 4: pool money settles X on 5 Jan; Y, invoiced 10 Jan and due earlier, takes
    the pool, so X is open again from 10 Jan; X's own payment settles it on 25 Jan."""
    con = make_ledger(
        ledger,
        invoices=[
            ("X", "K1", "2025-01-01", "2025-03-31", 100),
            ("Y", "K1", "2025-01-10", "2025-01-20", 100),
        ],
        payments=[("P1", "K1", None, "2025-01-05", 100), ("P2", "K1", "X", "2025-01-25", 100)],
    )
    ensure_index(con)
    assert settlement(con, "2025-01-07")["X"][:2] == (Decimal("0.00"), dt.date(2025, 1, 5))
    assert settlement(con, "2025-01-15")["X"][:2] == (Decimal("100.00"), None)
    assert open_items(con, "2025-01-15") == {"X": Decimal("100.00")}
    final = settlement(con)
    assert final["X"] == (Decimal("0.00"), dt.date(2025, 1, 25), 24, -65)
    assert final["Y"] == (Decimal("0.00"), dt.date(2025, 1, 10), 0, -10)


def test_an_overpayment_settles_the_invoice_and_the_excess_is_credit(ledger):
    """Case 5: 40,000.00 paid on a 400.00 invoice; the excess pays the client's next
    invoice (oldest due first) and the rest is unapplied credit."""
    con = make_ledger(
        ledger,
        invoices=[
            ("W", "K1", "2025-01-10", "2025-02-09", 400),
            ("V", "K1", "2025-02-01", "2025-03-03", 1000),
        ],
        payments=[("P1", "K1", "W", "2025-01-12", 40000)],
    )
    ensure_index(con)
    assert open_items(con, "2025-01-20") == {"credit K1": Decimal("-39600.00")}
    assert open_items(con, "2025-03-31") == {"credit K1": Decimal("-38600.00")}
    final = settlement(con)
    assert final["W"] == (Decimal("0.00"), dt.date(2025, 1, 12), 2, -28)
    assert final["V"] == (Decimal("0.00"), dt.date(2025, 2, 1), 0, -30)
    aging = con.execute(
        "SELECT bucket, sum(outstanding) FROM aged_items([DATE '2025-03-31'], [30, 60, 90], "
        "['1-30', '31-60', '61-90', '90+'], 'due') GROUP BY bucket"
    ).fetchall()
    assert aging == [("unapplied credit", Decimal("-38600.00"))]


def test_a_history_load_reports_overpayments_and_money_before_the_invoice(ledger, write):
    """A history whose paid_amount exceeds the amount (A) and one paid before it was
    invoiced (B): the load says so, A is settled and its excess pays C."""
    from dunning_analytics import load

    path = write(
        "history.csv",
        "invoice_id,client_id,invoice_date,due_date,amount,paid_date,paid_amount\n"
        "A,K1,2025-01-10,2025-02-09,400.00,2025-01-12,40000.00\n"
        "B,K1,2025-01-10,2025-02-09,100.00,2025-01-05,100.00\n"
        "C,K1,2025-02-01,2025-03-03,1000.00,,\n",
    )
    result = load(ledger, path)
    assert (result.overpaid, result.paid_before_invoice) == (1, 1)
    assert "Invoices paid more than their amount: 1" in result.summary()
    assert "Payments dated before their invoice: 1" in result.summary()
    con = open_ledger(ledger, read_only=True)
    assert open_items(con, "2025-03-31") == {"credit K1": Decimal("-38600.00")}
    final = settlement(con)
    assert final["A"] == (Decimal("0.00"), dt.date(2025, 1, 12), 2, -28)
    assert final["B"] == (Decimal("0.00"), dt.date(2025, 1, 10), 0, -30)
    assert final["C"] == (Decimal("0.00"), dt.date(2025, 2, 1), 0, -30)
