"""Payment-date and cash-in forecasts on small hand-made ledgers: conditioning on how long an
invoice is already unpaid, and shrinking a thin client's curve toward the portfolio's."""

import calendar
import datetime as dt
from decimal import Decimal

import pytest
from conftest import IBM_CSV, make_ledger
from test_ibm import load_ibm

from dunning_analytics.cli import main
from dunning_analytics.questions.forecast import (
    backtest,
    invoice_forecast,
    new_invoice_forecast,
    weekly_forecast,
)

D = dt.date
E = Decimal
AS_OF = D(2026, 6, 30)
FIRST = D(2026, 1, 5)


def _history(client, count, paid_day, first=FIRST, prefix=None):
    """`count` invoices of 100.00 of `client`, a week apart, each paid `paid_day` days after
    its due date (30 days after the invoice date)."""
    invoices, payments = [], []
    for n in range(count):
        issued = first + dt.timedelta(days=7 * n)
        due = issued + dt.timedelta(days=30)
        invoice_id = f"{prefix or client}-{n:02d}"
        invoices.append((invoice_id, client, issued, due, E("100.00")))
        paid = due + dt.timedelta(days=paid_day)
        payments.append((f"p{invoice_id}", client, invoice_id, paid, E("100.00")))
    return invoices, payments


def test_an_invoice_long_overdue_is_forecast_from_those_that_were_that_late(ledger):
    # K1: eight invoices paid 2 days after the due date, two paid 50 days after it
    fast, fast_paid = _history("K1", 8, 2, prefix="F")
    slow, slow_paid = _history("K1", 2, 50, first=D(2026, 3, 2), prefix="S")
    due_soon = ("OPEN-1", "K1", D(2026, 6, 1), D(2026, 7, 1), E("100.00"))  # due tomorrow
    overdue = ("OPEN-2", "K1", D(2026, 5, 21), D(2026, 6, 20), E("100.00"))  # 10 days over
    con = make_ledger(ledger, [*fast, *slow, due_soon, overdue], [*fast_paid, *slow_paid])
    forecast = invoice_forecast(con, AS_OF).set_index("invoice_id")

    # Kaplan-Meier: by day 2, 8 of the 11 invoices at risk are paid (OPEN-2, unpaid 10 days
    # past due, counts as unpaid then: censored, never dropped); the rest pay on day 50
    soon = forecast.loc["OPEN-1"]
    assert soon["expected_date"] == D(2026, 7, 3)  # most are paid 2 days after the due date
    assert soon["p10_date"] == D(2026, 7, 3)
    assert soon["p90_date"] == D(2026, 8, 20)  # the slow ones pay 50 days after it
    assert soon["p_paid_30_days_after_due"] == round(8 / 11, 4)

    # 10 days overdue: it is not one of the fast payers; only the 50-day ones are left
    late = forecast.loc["OPEN-2"]
    assert late["days_overdue"] == 10
    assert late["expected_date"] == late["p10_date"] == late["p90_date"] == D(2026, 8, 9)
    assert late["p_paid_30_days_after_due"] == 0.0


def test_a_disputed_invoice_is_dated_from_disputed_invoices(ledger):
    """K1 pays its invoices 2 days after the due date, and its disputed ones 40 days after
    it. One curve of all 18 said "2 days" for both open invoices; apart, the disputed one
    is expected 40 days after its due date and the other still 2 days after it."""
    paid, paid_on = _history("K1", 12, 2)
    disputed, disputed_paid = _history("K1", 6, 40, first=D(2026, 3, 2), prefix="D")
    plain = ("OPEN-U", "K1", D(2026, 6, 10), D(2026, 7, 10), E("100.00"))
    argued = ("OPEN-X", "K1", D(2026, 6, 10), D(2026, 7, 10), E("100.00"))
    con = make_ledger(ledger, [*paid, *disputed, plain, argued], [*paid_on, *disputed_paid])
    con.execute("UPDATE invoices SET disputed = true WHERE invoice_id LIKE 'D-%' OR "
                "invoice_id = 'OPEN-X'")  # fmt: skip
    forecast = invoice_forecast(con, AS_OF).set_index("invoice_id")
    assert forecast.loc["OPEN-U", "expected_date"] == D(2026, 7, 12)
    # K1's 6 disputed invoices weigh 6/16 against all clients' disputed ones, which are
    # themselves K1's (6/16) shrunk toward the undisputed: unpaid until day 40 is
    # 0.375 + 0.625 × 0.375 = 0.61 > 1/2
    assert forecast.loc["OPEN-X", "expected_date"] == D(2026, 8, 19)
    assert forecast.loc["OPEN-X", "curve_invoices"] == 6
    assert forecast.loc["OPEN-U", "curve_invoices"] == 12
    assert bool(forecast.loc["OPEN-X", "disputed"]) and not forecast.loc["OPEN-U", "disputed"]


def test_a_client_with_one_invoice_leans_on_the_portfolio(ledger):
    # the portfolio: K1 pays 30 days late, twenty times; K2 paid its one invoice on time
    k1, k1_paid = _history("K1", 20, 30)
    k2, k2_paid = _history("K2", 1, 0, first=D(2026, 2, 2))
    open_k2 = ("K2-OPEN", "K2", D(2026, 6, 15), D(2026, 7, 15), E("100.00"))
    open_k3 = ("K3-OPEN", "K3", D(2026, 6, 15), D(2026, 7, 15), E("100.00"))  # no history
    con = make_ledger(ledger, [*k1, *k2, open_k2, open_k3], [*k1_paid, *k2_paid])

    shrunk = invoice_forecast(con, AS_OF).set_index("invoice_id")
    # weight of K2's own curve 1 / (1 + 10): unpaid by day 0..29 = 10/11 * 20/21 > 1/2
    assert shrunk.loc["K2-OPEN", "expected_date"] == D(2026, 8, 14)  # due date + 30
    assert shrunk.loc["K3-OPEN", "expected_date"] == D(2026, 8, 14)  # the portfolio's
    # without the portfolio's weight, K2's single invoice would say "on the due date"
    alone = invoice_forecast(con, AS_OF, prior_invoices=0).set_index("invoice_id")
    assert alone.loc["K2-OPEN", "expected_date"] == D(2026, 7, 15)


def test_the_weekly_forecast_adds_up_to_what_is_open(ledger):
    fast, fast_paid = _history("K1", 8, 2, prefix="F")
    slow, slow_paid = _history("K1", 2, 50, first=D(2026, 3, 2), prefix="S")
    opens = [
        ("OPEN-1", "K1", D(2026, 6, 1), D(2026, 7, 1), E("300.00")),
        ("OPEN-2", "K1", D(2026, 5, 21), D(2026, 6, 20), E("200.00")),
    ]
    con = make_ledger(ledger, [*fast, *slow, *opens], [*fast_paid, *slow_paid])
    weeks = weekly_forecast(con, AS_OF, weeks=13)
    assert len(weeks) == 14 and weeks["week_start"].iloc[0] == D(2026, 7, 1)
    # the curve is amount-weighted: by day 2, 800 of the 1,200 euros at risk are paid (OPEN-2's
    # 200 count as unpaid then), so OPEN-1 pays 2/3 in week 1 (3 July) and 1/3 on 20 August
    # (the week from 19 August); OPEN-2 pays on 9 August (the week from 5 August)
    expected = dict(zip(weeks["week_start"], weeks["expected_amount"], strict=True))
    assert expected[D(2026, 7, 1)] == E("200.00")
    assert expected[D(2026, 8, 5)] == E("200.00")
    assert expected[D(2026, 8, 19)] == E("100.00")
    assert sum(weeks["expected_amount"]) == E("500.00")  # every euro somewhere, none twice
    assert weeks["expected_amount"].iloc[-1] == E("0.00")  # nothing after the horizon
    week_one = weeks.iloc[0]
    assert week_one["low"] < week_one["expected_amount"] < week_one["high"]


@pytest.mark.skipif(not IBM_CSV.exists(), reason="../shared/data/ibm-late-payment is not there")
def test_backtest_on_the_ibm_sample_beats_the_due_date_baseline(tmp_path):
    """Cut at every month end of 2013 with only what was known then. Measured (commit of
    this test): expected-date error 6.1 days against the due-date baseline's 8.6 (71 %: the
    issue's aim of 60 % is not reached; the client's median days late does 6.1 as well),
    weekly cash-in WAPE 0.27 against 0.41 (66 %), 80 % interval coverage 82 %."""
    ledger = load_ibm(IBM_CSV, tmp_path / "ibm.duckdb")
    dates = [D(2013, m, calendar.monthrange(2013, m)[1]) for m in range(1, 13)]
    result = backtest(ledger, dates).set_index("method")
    ours, due = result.loc["forecast"], result.loc["due_date_baseline"]
    assert ours["invoices"] == due["invoices"] > 900  # the same invoices for each method
    assert ours["mae_days"] < 0.75 * due["mae_days"]
    assert ours["wape"] <= 0.70 * due["wape"]
    assert 0.70 <= ours["coverage"] <= 0.90


def test_forecast_command_writes_each_open_invoice_and_the_weeks(ledger, tmp_path, capsys):
    import csv
    import io

    from openpyxl import load_workbook

    fast, fast_paid = _history("K1", 8, 2, prefix="F")
    opens = [
        ("OPEN-1", "K1", D(2026, 6, 1), D(2026, 7, 1), E("300.00")),
        ("OPEN-2", "K2", D(2026, 5, 21), D(2026, 6, 20), E("200.00")),
    ]
    make_ledger(ledger, [*fast, *opens], fast_paid).close()
    base = ["forecast", "--ledger", str(ledger), "--as-of", "2026-06-30"]

    assert main([*base, "--by", "invoice", "--format", "csv"]) == 0
    out, err = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(out)))
    # K2 has no history and is 10 days overdue, past every day the portfolio's (K1's) curve
    # knows: no date; OPEN-1 is expected 2 days after its due date
    assert list(rows[0]) == [
        "invoice_id",
        "client_id",
        "outstanding",
        "due_date",
        "expected_date",
        "p10_date",
        "p90_date",
        "p_paid_30_days_after_due",
    ]
    expected = invoice_forecast(ledger, AS_OF).set_index("invoice_id")
    assert [r["invoice_id"] for r in rows] == ["OPEN-2", "OPEN-1"]  # oldest due date first
    for row in rows:
        date = expected.loc[row["invoice_id"], "expected_date"]
        assert row["expected_date"] == (str(date) if date else "")
        assert E(row["outstanding"]) == expected.loc[row["invoice_id"], "outstanding"]
    assert rows[1]["expected_date"] == "2026-07-03" and rows[0]["expected_date"] == ""
    assert "€500.00" in err and "OPEN" not in err  # the summary stays off the CSV

    target = tmp_path / "weeks.xlsx"
    assert main([*base, "--weeks", "6", "--out", str(target), "--lang", "nl"]) == 0
    sheet = load_workbook(target).active
    values = list(sheet.values)
    assert values[0][0].startswith("Verwachte ontvangsten vanaf")  # the title line
    assert values[1][:2] == ("week vanaf", "verwacht")
    assert len(values) == 2 + 6 + 1  # title, headings, six weeks, what comes later or never
    assert values[-1][0] == "na 6 weken of nooit"
    assert round(sum(v[1] for v in values[2:]), 2) == 500.00  # every open euro once

    assert main([*base, "--format", "xlsx"]) == 1
    assert "needs --out" in capsys.readouterr().err


def test_a_new_invoice_is_forecast_from_the_clients_curve(ledger):
    # K1 pays 30 days after the due date, K2 on it; twenty invoices each
    k1, k1_paid = _history("K1", 20, 30)
    k2, k2_paid = _history("K2", 20, 0)
    con = make_ledger(ledger, [*k1, *k2], [*k1_paid, *k2_paid])
    late = new_invoice_forecast(con, AS_OF, "K1", term_days=14)
    assert late["due_date"] == AS_OF + dt.timedelta(days=14)
    # own weight 20/30: unpaid before day 30 = 2/3 * 1 + 1/3 * 1/2 > 1/2, so day 30
    assert late["expected_date"] == AS_OF + dt.timedelta(days=14 + 30)
    assert late["invoices"] == 20 and late["own_weight"] == pytest.approx(2 / 3)
    punctual = new_invoice_forecast(con, AS_OF, "K2", term_days=14)
    assert punctual["expected_date"] == punctual["due_date"]
    assert punctual["p_paid_30_days_after_due"] == 1.0
    # a client never invoiced gets the portfolio's curve: half on the due date
    stranger = new_invoice_forecast(con, AS_OF, "K3", term_days=30)
    assert stranger["invoices"] == 0 and stranger["own_weight"] == 0.0
    assert stranger["expected_date"] == AS_OF + dt.timedelta(days=30)
    assert stranger["p90_date"] == AS_OF + dt.timedelta(days=60)


def test_the_backtest_counts_how_many_dates_fall_within_3_and_7_days(ledger):
    """A client who always pays 5 days after the due date: the due-date rule is 5 days off
    for every invoice (none within 3 days, all within 7), the client's median is exact."""
    invoices, payments = _history("K1", 30, 5)
    make_ledger(ledger, invoices, payments).close()
    # cut on a payment day: no invoice is overdue at a cut (an overdue one's due-date rule
    # would be the cut itself), so the rule is off by exactly 5 days for every invoice
    cuts = [FIRST + dt.timedelta(days=30 + 7 * n + 5) for n in (8, 12)]
    result = backtest(ledger, cuts).set_index("method")
    due, median = result.loc["due_date_baseline"], result.loc["client_median_baseline"]
    assert due["invoices"] > 0 and due["mae_days"] == 5
    assert (due["within_3_days"], due["within_7_days"]) == (0.0, 1.0)
    assert median["within_3_days"] == 1.0
    ours = result.loc["forecast"]
    assert ours["within_3_days"] <= ours["within_7_days"] <= 1.0
    assert 0.0 <= ours["week_coverage"] <= 1.0


def test_one_clients_invoices_move_together_in_the_weekly_band():
    """The band's variance, worked by hand: an invoice of 100.00 with a 30 % chance in a week
    has 100² × 0.3 × 0.7 = 2,100; two such invoices of two clients (independent) 4,200; of
    one client (paid at the lag they share, both or neither) 8,400, so its band is √2 wider."""
    import pandas as pd

    from dunning_analytics.questions.forecast import shared_lag_variance

    week1, week2 = D(2026, 7, 1), D(2026, 7, 8)

    def rows(clients):
        return pd.DataFrame(
            [row for i, client in enumerate(clients)
             for row in ((f"I{i}", client, E("100.00"), week1, 0.3),
                         (f"I{i}", client, E("100.00"), week2, 0.7))],
            columns=["invoice_id", "client_id", "outstanding", "week", "share"],
        )  # fmt: skip

    assert shared_lag_variance(rows(["K1"]))[week1] == pytest.approx(2100.0)
    assert shared_lag_variance(rows(["K1", "K2"]))[week1] == pytest.approx(4200.0)
    assert shared_lag_variance(rows(["K1", "K1"]))[week2] == pytest.approx(8400.0)
    assert shared_lag_variance(rows([])).empty  # nothing open: no band, no error


def test_nothing_after_the_cut_reaches_the_forecast(demo_ledger, tmp_path):
    """Change every payment after the cut (paid 45 days later, or not at all) and drop every
    later invoice and contact: the forecast as of the cut stays the same, to the cent."""
    import shutil

    import duckdb

    cut = D(2026, 3, 31)
    changed = tmp_path / "changed.duckdb"
    shutil.copy(demo_ledger, changed)
    con = duckdb.connect(str(changed))
    later = con.execute("SELECT count(*) FROM payments WHERE paid_date > ?", [cut]).fetchone()[0]
    con.execute("DELETE FROM payments WHERE paid_date > ? AND hash(payment_id) % 3 = 0", [cut])
    con.execute("UPDATE payments SET paid_date = paid_date + 45 WHERE paid_date > ?", [cut])
    con.execute("DELETE FROM contacts WHERE contact_at::DATE > ?", [cut])
    con.close()
    assert later > 100  # the cut has a future to hide

    for forecast in (invoice_forecast, weekly_forecast):
        before, after = forecast(demo_ledger, cut), forecast(changed, cut)
        assert len(before) > 0
        assert before.to_dict("records") == after.to_dict("records")
    # the change itself is seen: a month later the open invoices differ
    month_later = D(2026, 4, 30)
    assert len(invoice_forecast(demo_ledger, month_later)) < len(
        invoice_forecast(changed, month_later)
    )
