"""Payment behaviour: every figure checked against a value worked out by hand."""

import datetime as dt
from decimal import Decimal

import duckdb
import pytest
from conftest import make_ledger

from dunning_analytics.questions.behaviour import (
    PORTFOLIO,
    client_profiles,
    client_trend,
    payment_curves,
    portfolio_kpis,
)

D = dt.date
E = Decimal
AS_OF = D(2025, 6, 30)

# K1: on time, 10 late, 30 late, one open 10 days overdue, one not yet due.
# K2: always on time (one paid early). K3: one invoice only.
INVOICES = [
    ("I1", "K1", D(2025, 1, 1), D(2025, 1, 31), E("1000.00")),
    ("I2", "K1", D(2025, 2, 1), D(2025, 3, 3), E("1000.00")),
    ("I3", "K1", D(2025, 3, 1), D(2025, 3, 31), E("2000.00")),
    ("I4", "K1", D(2025, 5, 21), D(2025, 6, 20), E("1000.00")),
    ("I5", "K1", D(2025, 6, 15), D(2025, 7, 15), E("500.00")),
    ("J1", "K2", D(2025, 1, 10), D(2025, 2, 9), E("200.00")),
    ("J2", "K2", D(2025, 2, 10), D(2025, 3, 12), E("300.00")),
    ("J3", "K2", D(2025, 3, 10), D(2025, 4, 9), E("400.00")),
    ("N1", "K3", D(2025, 5, 1), D(2025, 5, 31), E("100.00")),
]
PAYMENTS = [
    ("p1", "K1", "I1", D(2025, 1, 31), E("1000.00")),
    ("p2", "K1", "I2", D(2025, 3, 13), E("1000.00")),
    ("p3", "K1", "I3", D(2025, 4, 30), E("2000.00")),
    ("q1", "K2", "J1", D(2025, 2, 5), E("200.00")),
    ("q2", "K2", "J2", D(2025, 3, 10), E("300.00")),
    ("q3", "K2", "J3", D(2025, 4, 9), E("400.00")),
    ("n1", "K3", "N1", D(2025, 6, 1), E("100.00")),
]
CONTACTS = [
    ("c1", "K1", "I3", dt.datetime(2025, 4, 3, 10), "reminder"),
    ("c2", "K1", "I3", dt.datetime(2025, 4, 17, 10), "call"),
    # paid 30 April, after the promised 25 April: broken
    ("c3", "K1", "I3", dt.datetime(2025, 4, 17, 10), "promise_to_pay", D(2025, 4, 25), E("2000")),
    # paid 13 March, before the promised 15 March: kept
    ("c4", "K1", "I2", dt.datetime(2025, 3, 5, 10), "promise_to_pay", D(2025, 3, 15), E("1000")),
    # not paid at all by 30 June, promised 25 June: broken
    ("c5", "K1", "I4", dt.datetime(2025, 6, 22, 10), "promise_to_pay", D(2025, 6, 25), E("1000")),
    # promised for a date after the as-of date: pending
    ("c6", "K1", "I5", dt.datetime(2025, 6, 28, 10), "promise_to_pay", D(2025, 7, 20), E("500")),
]


@pytest.fixture
def hand(ledger):
    return make_ledger(ledger, INVOICES, PAYMENTS, CONTACTS)


def test_profile_figures_worked_out_by_hand(hand):
    k1 = client_profiles(hand, AS_OF).set_index("client_id").loc["K1"]
    assert k1["invoices"] == 5 and k1["revenue"] == E("5500.00")
    assert k1["settled_invoices"] == 3 and k1["paid_late"] == 2
    assert k1["on_time_share"] == pytest.approx(1 / 3)
    assert k1["avg_days_late"] == pytest.approx((0 + 10 + 30) / 3)
    assert k1["weighted_days_late"] == pytest.approx((10 * 1000 + 30 * 2000) / 4000)  # 17.5
    assert k1["median_days_to_pay"] == 40  # 30, 40, 60 days
    assert k1["p90_days_to_pay"] == pytest.approx(56)  # 40 + 0.8 * (60 - 40)
    assert k1["worst_days_late"] == 30
    # open I4 counts with its 10 days overdue so far (censored), not dropped
    assert k1["weighted_lateness_incl_open"] == pytest.approx((10_000 + 60_000 + 10_000) / 5000)
    assert k1["grade"] == "B"
    assert k1["open_exposure"] == E("1500.00") and k1["overdue_amount"] == E("1000.00")
    assert k1["oldest_overdue_days"] == 10
    # the balance in days of sales, over the 181 days K1 has been invoiced (1 Jan .. 30 Jun)
    assert k1["dso_days"] == pytest.approx(1500 / 5500 * 181, abs=0.05)
    assert (k1["reminders"], k1["calls"]) == (1, 1)
    assert (k1["promises_made"], k1["promises_kept"], k1["promises_broken"]) == (4, 1, 2)
    assert k1["first_invoice_date"] == D(2025, 1, 1)


def test_a_new_client_with_one_open_invoice_is_not_a_year_behind(ledger):
    # invoiced 10 days ago, not yet due: the balance is the whole of 10 days' sales
    con = make_ledger(ledger, [("X1", "K1", D(2025, 6, 21), D(2025, 7, 21), E("800.00"))], [])
    k9 = client_profiles(con, AS_OF).set_index("client_id").loc["K1"]
    assert k9["grade"] == "new" and k9["dso_days"] == pytest.approx(10.0)


def test_grades_and_new_clients(hand):
    grades = client_profiles(hand, AS_OF).set_index("client_id")["grade"].to_dict()
    assert grades == {"K1": "B", "K2": "A", "K3": "new"}
    strict = client_profiles(hand, AS_OF, grade_bands=(2, 5, 15)).set_index("client_id")["grade"]
    assert strict["K1"] == "D"  # 16 days > 15


def test_as_of_replay_forgets_later_payments(hand):
    early = client_profiles(hand, D(2025, 4, 15)).set_index("client_id").loc["K1"]
    # as of 15 April, I3 (due 31 March) was open, 15 days overdue
    assert early["settled_invoices"] == 2
    assert early["open_exposure"] == E("2000.00")
    assert early["oldest_overdue_days"] == 15


def test_payment_curve_censors_open_invoices(hand):
    curve = payment_curves(hand, AS_OF, clients=["K1"])
    k1 = curve[curve["client_id"] == "K1"].set_index("day")["paid_share"]
    # due: I1 1000 paid day 0, I2 1000 day 10, I3 2000 day 30, I4 1000 open at day 10
    assert k1[-1] == pytest.approx(0)
    assert k1[0] == pytest.approx(0.2)  # 1000 of 5000 at risk
    assert k1[10] == pytest.approx(0.4)  # S = 0.8 * (1 - 1000/4000) = 0.6
    # after day 10 only I3 is at risk; it is paid on day 30: the curve reaches 100%.
    # Dropping I4 would give 25% on day 0; counting it unpaid forever, 80% on day 30.
    assert k1[29] == pytest.approx(0.4)
    assert k1[30] == pytest.approx(1.0)
    assert set(curve["client_id"]) == {"K1", PORTFOLIO}


def test_slowing_signal(ledger):
    invoices, payments = [], []
    for n in range(12):  # monthly invoices, paid on time for 9 months, then 40 days late
        issued = D(2024, 7, 1) + dt.timedelta(days=30 * n)
        due = issued + dt.timedelta(days=30)
        late = 40 if n >= 8 else 0
        invoices.append((f"S{n}", "K1", issued, due, E("100.00")))
        payments.append((f"s{n}", "K1", f"S{n}", due + dt.timedelta(days=late), E("100.00")))
        invoices.append((f"T{n}", "K2", issued, due, E("100.00")))
        payments.append((f"t{n}", "K2", f"T{n}", due + dt.timedelta(days=5), E("100.00")))
    con = make_ledger(ledger, invoices, payments)
    profiles = client_profiles(con, D(2025, 8, 31)).set_index("client_id")
    assert bool(profiles.loc["K1", "slowing"]) is True
    # recent: invoices due 3 May - 1 Aug 2025 (n = 10, 11), both 40 days late;
    # earlier in the window: n = 3..9, of which n = 8, 9 were 40 days late
    assert profiles.loc["K1", "recent_lateness"] == pytest.approx(40)
    assert profiles.loc["K1", "earlier_lateness"] == pytest.approx(80 / 7)
    assert bool(profiles.loc["K2", "slowing"]) is False
    trend = client_trend(con, D(2025, 8, 31), client_id="K1")
    k1 = trend[trend["client_id"] == "K1"].set_index("quarter")["weighted_lateness"]
    assert k1["2024Q4"] == 0 and k1["2025Q2"] > 20


def test_kpi_worked_example(ledger):
    con = make_ledger(
        ledger,
        [
            ("D", "K1", D(2025, 4, 1), D(2025, 5, 1), E("300.00")),
            ("A", "K1", D(2025, 5, 10), D(2025, 6, 9), E("1000.00")),
            ("E", "K1", D(2025, 5, 20), D(2025, 6, 19), E("300.00")),
            ("B", "K1", D(2025, 6, 5), D(2025, 7, 5), E("600.00")),
            ("C", "K1", D(2025, 6, 10), D(2025, 6, 25), E("400.00")),
        ],
        [
            ("pd", "K1", "D", D(2025, 5, 15), E("300.00")),
            ("pa", "K1", "A", D(2025, 6, 20), E("1000.00")),
        ],
    )
    june = portfolio_kpis(con, D(2025, 6, 1), D(2025, 6, 30)).iloc[-1]
    assert (june["period_start"], june["period_end"], june["days"]) == (
        D(2025, 6, 1),
        D(2025, 6, 30),
        30,
    )
    assert june["sales"] == E("1000.00")
    assert june["opening_ar"] == E("1300.00")  # A and E on 31 May
    assert june["closing_ar"] == E("1300.00")  # B, C, E on 30 June
    assert june["closing_current"] == E("600.00")  # B, due 5 July
    assert float(june["dso"]) == pytest.approx(39.0)  # 1300 / 1000 * 30
    assert float(june["best_dso"]) == pytest.approx(18.0)  # 600 / 1000 * 30
    assert float(june["add_days"]) == pytest.approx(21.0)
    assert float(june["cei"]) == pytest.approx(1000 / 1700 * 100)
    # June's 1000 of sales covers 30 days; the remaining 300 is 300/1300 of May's 31 days
    assert float(june["countback_dso"]) == pytest.approx(30 + 31 * 300 / 1300)
    # a period ending mid-month counts that month's part first, with its own days and sales
    early = portfolio_kpis(con, D(2025, 6, 1), D(2025, 6, 7)).iloc[-1]
    assert (early["days"], early["sales"], early["closing_ar"]) == (7, E("600.00"), E("1900.00"))
    # 1-7 June: B's 600 covers 7 days; A and E (May's 1,300) the whole of May's 31
    assert float(early["countback_dso"]) == pytest.approx(7 + 31)
    late = portfolio_kpis(con, D(2025, 6, 1), D(2025, 6, 25)).iloc[-1]
    assert late["closing_ar"] == E("1300.00")  # A paid on 20 June
    # 1-25 June: 1,000 of sales covers 25 days; the remaining 300 is 300/1300 of May
    assert float(late["countback_dso"]) == pytest.approx(25 + 31 * 300 / 1300)


def test_quarterly_kpis_cover_whole_quarters(demo_ledger):
    kpis = portfolio_kpis(demo_ledger, D(2025, 1, 1), D(2025, 12, 31), period="quarter")
    assert list(kpis["period_end"]) == [
        D(2025, 3, 31),
        D(2025, 6, 30),
        D(2025, 9, 30),
        D(2025, 12, 31),
    ]
    assert list(kpis["days"]) == [90, 91, 92, 92]
    assert (kpis["cei"] > 0).all() and (kpis["cei"] <= 100).all()
    assert (kpis["dso"] >= kpis["best_dso"]).all()


def test_demo_archetypes_get_the_expected_grades(demo_ledger):
    profiles = client_profiles(demo_ledger, D(2026, 6, 30))
    con = duckdb.connect(str(demo_ledger), read_only=True)
    kinds = dict(con.execute("SELECT client_id, archetype FROM demo_archetype").fetchall())
    con.close()
    profiles["archetype"] = profiles["client_id"].map(kinds)
    graded = profiles[profiles["grade"] != "new"]
    punctual = graded[graded["archetype"] == "punctual"]["grade"]
    assert (punctual == "A").mean() > 0.9
    slow = graded[graded["archetype"] == "slow_steady"]["grade"]
    assert (slow == "B").mean() > 0.8
    worse = graded[graded["archetype"].isin(["deteriorating"])]["grade"]
    assert set(worse) <= {"C", "D"}


def test_median_and_p90_days_to_pay_equal_pandas_quantiles_for_every_client(demo_ledger):
    """The profile's median and 90th percentile (quantile_cont per client) are what pandas'
    quantile gives on the same settled invoices."""
    as_of = D(2026, 6, 30)
    profiles = client_profiles(demo_ledger, as_of).set_index("client_id")
    con = duckdb.connect(str(demo_ledger), read_only=True)
    settled = con.execute(
        """
        SELECT client_id, days_to_pay FROM invoice_settlement_at(?)
        WHERE settled_date IS NOT NULL AND invoice_date > ?::DATE - 365
        """,
        [as_of, as_of],
    ).df()
    con.close()
    grouped = settled.groupby("client_id")["days_to_pay"]
    expected = grouped.quantile(0.5).to_frame("median").join(grouped.quantile(0.9).rename("p90"))
    sizes = grouped.size()
    assert (sizes % 2 == 0).any() and (sizes % 2 == 1).any()  # both ways a median is taken
    ours = profiles.loc[expected.index]
    assert ours["median_days_to_pay"].tolist() == pytest.approx(expected["median"].tolist())
    assert ours["p90_days_to_pay"].tolist() == pytest.approx(expected["p90"].tolist())
    assert profiles.drop(expected.index)["median_days_to_pay"].isna().all()


NINE = [
    "invoices",
    "revenue",
    "settled_invoices",
    "on_time_share",
    "avg_days_late",
    "weighted_days_late",
    "worst_days_late",
    "median_days_to_pay",
    "p90_days_to_pay",
]


@pytest.mark.parametrize(
    "measures",
    [NINE, ["grade", "weighted_lateness_incl_open"], ["open_exposure", "reminders"], ["calls"]],
)
def test_a_profile_of_some_measures_equals_those_columns_of_the_full_profile(demo_ledger, measures):
    """Asking for some measures computes only their groups; what comes back is exactly
    the full profile's columns (same clients, order and values), nothing more."""
    as_of = D(2026, 6, 30)
    full = client_profiles(demo_ledger, as_of)
    some = client_profiles(demo_ledger, as_of, measures=measures)
    assert list(some.columns) == ["client_id", *measures]
    assert some.equals(full[["client_id", *measures]])
    assert full[measures].notna().any().all()  # not columns that are empty anyway


def test_a_profile_of_some_measures_on_the_worked_example(hand):
    some = client_profiles(hand, AS_OF, measures=["reminders", "calls", "promises_broken"])
    assert some.set_index("client_id").loc["K1"].tolist() == [1, 1, 2]
    single = client_profiles(hand, AS_OF, client_id="K2", measures=["median_days_to_pay"])
    assert single.to_dict("records") == [
        {"client_id": "K2", "median_days_to_pay": 28.0}
    ]  # 26, 28, 30 days


def test_an_unknown_measure_is_refused_with_the_names_there_are(hand):
    with pytest.raises(ValueError, match="unknown profile measures \\['days_latee'\\].*days_late"):
        client_profiles(hand, AS_OF, measures=["days_latee"])


def test_a_part_quarter_starts_on_its_own_first_day():
    from dunning_analytics.questions.behaviour import periods

    starts, ends = periods(D(2025, 7, 1), D(2026, 10, 31), "quarter")
    assert (starts[-1], ends[-1]) == (D(2026, 10, 1), D(2026, 10, 31))
    assert (starts[-2], ends[-2]) == (D(2026, 7, 1), D(2026, 9, 30))
    assert all(e < s for e, s in zip(ends, starts[1:], strict=False))  # no overlap


def test_the_timeline_lists_invoices_by_date_and_the_trend_quarters_in_order(demo_ledger):
    from dunning_analytics.notebook.widgets import ClientExplorer
    from dunning_analytics.present.charts import client_timeline_chart
    from dunning_analytics.questions.behaviour import client_timeline

    as_of = dt.date(2026, 10, 31)
    explorer = ClientExplorer(demo_ledger, as_of=as_of)
    for client_id in list(explorer.profiles["client_id"])[:40]:
        invoices, contacts = client_timeline(demo_ledger, as_of, client_id)
        recent = invoices.tail(30)
        figure = client_timeline_chart(recent, contacts, as_of=as_of)
        order = [y for y in figure.layout.yaxis.categoryarray if y in set(recent["invoice_id"])]
        assert order == list(recent.sort_values(["invoice_date", "invoice_id"])["invoice_id"])
        explorer.client.value = client_id
        # plotly puts categories in the order of first appearance unless told: a client's
        # quarter without invoices would come after the portfolio's later quarters
        assert explorer.trend.layout.xaxis.categoryorder == "category ascending"


def _drawn(figure) -> dict:
    """What a chart shows: its traces and layout as plotly JSON, without the trace ids."""
    import plotly.graph_objects as go

    shown = go.Figure(figure).to_plotly_json()
    for trace in shown["data"]:
        trace.pop("uid", None)
    return shown


def test_an_explorer_chart_updated_in_place_shows_what_a_fresh_chart_shows(demo_ledger):
    """A pick updates the charts in place (one message, plotly draws once): after clients
    with and without due invoices, disputes and contacts, each chart shows exactly what
    the same chart drawn on an empty widget shows."""
    from dunning_analytics.notebook.shared_figure import FigureWidget
    from dunning_analytics.notebook.widgets import ClientExplorer

    as_of = dt.date(2026, 10, 31)
    explorer = ClientExplorer(demo_ledger, as_of=as_of)
    fresh = ClientExplorer(demo_ledger, as_of=as_of)
    clients = list(explorer.profiles["client_id"])
    for client_id in [*clients[1:12], clients[0]]:
        explorer.client.value = client_id
        fresh.client.value = client_id
        fresh.timeline, fresh.trend = FigureWidget(), FigureWidget()
        fresh.show()  # drawn on empty widgets: every trace added anew
        for chart in ("timeline", "trend"):
            drawn = _drawn(getattr(explorer, chart))
            assert drawn == _drawn(getattr(fresh, chart)), (client_id, chart)


def test_a_chart_update_clears_what_the_new_chart_does_not_have():
    """Same traces, other properties: a property only the old chart had (a trace's click
    data, a stacked layout) goes back to plotly's default, and the browser gets one message."""
    import plotly.graph_objects as go

    from dunning_analytics.notebook.shared_figure import FigureWidget
    from dunning_analytics.notebook.widgets import _replace

    widget = FigureWidget()
    old = go.Figure(
        [go.Bar(x=[1, 2], y=[3, 4], customdata=[["a"], ["b"]], name="one"), go.Bar(x=[1], y=[2])],
        layout={"title": "A", "barmode": "stack"},
    )
    new = go.Figure(
        [go.Bar(x=[5], y=[6], name="two"), go.Bar(x=[1], y=[9], marker={"color": "red"})],
        layout={"title": "B"},
    )
    _replace(widget, old)
    sent = []
    widget._send_update_msg = lambda *args, **kwargs: sent.append(kwargs)
    _replace(widget, new)
    assert _drawn(widget) == _drawn(new)
    assert len(sent) == 1


def test_the_client_scatter_draws_the_clients_owing_most_and_says_how_many_of_all(demo_ledger):
    """A large portfolio's scatter draws the clients with the most open (a picture of tens
    of thousands of markers slowed every later change on the page) and its title says so;
    a small one draws every client with due invoices."""
    from dunning_analytics.present.charts import client_scatter

    profiles = client_profiles(demo_ledger, dt.date(2026, 10, 31))
    due = profiles[profiles["weighted_lateness_incl_open"].notna()]
    every = client_scatter(profiles)
    assert sum(len(trace.x) for trace in every.data) == len(due)
    assert "<sub>" not in every.layout.title.text
    part = client_scatter(profiles, limit=20, lang="nl")
    drawn = sorted(y for trace in part.data for y in trace.y)
    most_open = sorted(float(v) for v in due["open_exposure"])[-20:]
    assert drawn == most_open
    assert f"de 20 klanten met het meeste open van {len(due)}" in part.layout.title.text
