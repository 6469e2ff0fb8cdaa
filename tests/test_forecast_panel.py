"""The cash-in forecast in notebooks: the weekly view with the invoices behind each week, and
the new-invoice panel beside the deposit advice, on the demo ledger."""

import datetime as dt
import re
from decimal import Decimal

from dunning_analytics.common.formatting import format_eur
from dunning_analytics.notebook.forecast_panel import cash_forecast_view, new_invoice_panel
from dunning_analytics.notebook.widgets import risk_explorer
from dunning_analytics.questions.forecast import (
    invoice_forecast,
    new_invoice_forecast,
    weekly_forecast,
)

AS_OF = dt.date(2026, 10, 26)


def test_the_weekly_view_shows_the_forecast_and_the_invoices_behind_each_week(demo_ledger):
    view = cash_forecast_view(demo_ledger, AS_OF)
    weeks = weekly_forecast(demo_ledger, AS_OF)
    bars = next(trace for trace in view.chart.data if trace.type == "bar")
    assert list(bars.x) == list(weeks["week_start"].iloc[:-1])
    assert [round(y, 2) for y in bars.y] == [float(v) for v in weeks["expected_amount"].iloc[:-1]]
    assert len(view.week.options) == 14  # 13 weeks and "later or never"

    open_invoices = invoice_forecast(demo_ledger, AS_OF)
    for index in (0, 5, 13):
        view.pick_week(index)
        behind = view.table.df
        week_amount = weeks["expected_amount"].iloc[index]
        # the invoices behind the week add up to its amount (each rounded to the cent)
        total = sum(Decimal(str(v)) for v in behind[behind.columns[-1]])
        assert abs(total - week_amount) <= Decimal("0.01") * len(behind) / 2 + Decimal("0.01")
        assert set(behind[behind.columns[0]]) <= set(open_invoices["invoice_id"])
        assert format_eur(week_amount, "en") in view.caption.value

    # the euros land in the money columns (a sorted frame's index would shift them by one)
    shown = view.table._dt_args  # what the browser gets: the table's head and columnDefs
    headings = re.findall(r"<th[^>]*>([^<]*)</th>", shown["table_html"])
    euros = [d for d in shown["columnDefs"] if d.get("className") == "dt-right"]
    targets = euros[0]["targets"]
    assert [headings[i] for i in targets] == ["outstanding", "expected"]

    view.weeks.value = 6  # the slider: the chart and the picker follow
    assert len(next(t for t in view.chart.data if t.type == "bar").x) == 6
    assert len(view.week.options) == 7
    assert len(view.invoice_table().children[1].df) == len(open_invoices)


def test_the_new_invoice_panel_gives_the_deposit_and_the_forecast(demo_ledger):
    explorer = risk_explorer(demo_ledger, AS_OF, lang="nl")
    panel = new_invoice_panel(explorer)
    flags = explorer.flags
    # a client asked a deposit for broken promises only (the demo has several)
    only_broken = flags["rules"].map(lambda rules: list(rules) == ["broken_promise"])
    deposit_client = flags.loc[(flags["level"] == "deposit") & only_broken, "client_id"].iloc[0]
    panel.client.value = deposit_client
    panel.term.value = 30
    panel.amount.value = "2.500,00"
    text = panel.output.value
    assert "aanbetaling van 30% is € 750,00 vooraf" in text
    assert "€ 1.750,00 hangt af" in text
    forecast = new_invoice_forecast(demo_ledger, AS_OF, deposit_client, 30)
    shown = forecast["expected_date"].strftime("%d-%m-%Y")
    assert f"<b class='da-new-expected'>{shown}</b>" in text
    assert forecast["due_date"] == AS_OF + dt.timedelta(days=30)
    assert f"vervalt de factuur op {forecast['due_date']:%d-%m-%Y}" in text

    panel.amount.value = "tweeduizend"
    assert "'tweeduizend' is geen bedrag" in panel.output.value.replace("&#x27;", "'")

    # a milder policy in the explorer changes the advice shown beside the forecast
    panel.amount.value = "2.500,00"
    broken = explorer.sliders[("broken_promise", "min_broken")]
    broken.value = broken.max
    assert "aanbetaling" not in panel.output.value and "geen bijzondere voorwaarden" in (
        panel.output.value
    )


def test_the_invoice_table_says_what_each_expected_date_rests_on(demo_ledger):
    import duckdb

    view = cash_forecast_view(demo_ledger, AS_OF)
    table = view.invoice_table().children[1].df
    why = dict(zip(table["invoice"], table["why this date"], strict=True))
    forecast = invoice_forecast(demo_ledger, AS_OF)
    assert set(why) == set(forecast["invoice_id"])
    for row in forecast.itertuples():
        n, text = row.curve_invoices, why[row.invoice_id]
        if row.disputed:  # dated from disputed invoices' curves
            assert text.startswith(
                f"disputed: this client's {n} disputed invoices" if n
                else "disputed: like all clients' disputed invoices"
            )  # fmt: skip
        else:
            assert text.startswith(f"this client's {n} invoices" if n else "like all clients")
    with duckdb.connect(str(demo_ledger), read_only=True) as con:
        promised = dict(
            con.execute(
                """
                SELECT invoice_id, max(promised_date) FROM contacts
                WHERE kind = 'promise_to_pay' AND contact_at::DATE <= ? AND promised_date >= ?
                GROUP BY invoice_id
                """,
                [AS_OF, AS_OF],
            ).fetchall()
        )
        disputed = {
            i for (i,) in con.execute("SELECT invoice_id FROM invoices WHERE disputed").fetchall()
        }
    shown_promises = {i for i, text in why.items() if "promised for" in text}
    assert shown_promises == set(promised) & set(why)
    assert shown_promises, "the demo ledger has promises pending on the date"
    for invoice in shown_promises:
        assert f"promised for {promised[invoice]:%Y-%m-%d}" in why[invoice]
    assert {i for i, text in why.items() if text.startswith("disputed")} == disputed & set(why)
    assert disputed & set(why), "the demo ledger has disputed invoices open on the date"
