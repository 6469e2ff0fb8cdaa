"""The forecast's curve against a gradient-boosted model of the payment date (issue 37's "a
well-kept library where it earns its place"), on the same invoices at the same cuts.

    .venv/bin/python benchmarks/forecast_model.py        # or: make bench-forecast-model

At each month end C of the backtest, both date the invoices open on C that were paid later:
- the curve: `forecast.invoice_forecast` as the kit ships it;
- the model: scikit-learn's HistGradientBoostingRegressor (absolute error) trained on the
  invoices open at earlier month ends and paid by C (what was known on C), each described by
  what was known at its own month end: days past due, payment term, amount and its ratio to
  the client's usual, disputed, the client's median, mean, 75th percentile and latest days late
  over the year before and how many invoices that rests on, and the portfolio's median. It
  predicts the days from the month end to the payment.
Prints one table per ledger and writes it into BENCHMARKS.md between the model markers.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from forecast_backtest import demo_ledger, ibm_ledger  # noqa: E402
from sections import commit, write_section  # noqa: E402

MARKERS = ("<!-- model -->", "<!-- /model -->")
FEATURES = [
    *("age_past_due", "term", "amount", "amount_ratio", "disputed"),
    *("client_median", "client_mean", "client_p75", "client_latest", "client_invoices"),
    "portfolio_median",
]

SNAPSHOTS = """
WITH
cuts AS (SELECT unnest($cuts)::DATE AS cut),
invoice AS (
    SELECT invoice_id, client_id, invoice_date, due_date, amount, disputed, settled_date,
        days_late
    FROM invoice_settlement
    WHERE amount > 0
),
open_on_cut AS (
    SELECT c.cut, i.*
    FROM cuts AS c
    JOIN invoice AS i
        ON i.invoice_date <= c.cut AND (i.settled_date IS NULL OR i.settled_date > c.cut)
),
paid_in_the_year AS (
    SELECT c.cut, i.*
    FROM cuts AS c
    JOIN invoice AS i ON i.settled_date <= c.cut AND i.settled_date > c.cut - 365
),
client_history AS (
    SELECT cut, client_id, median(days_late) AS client_median, avg(days_late) AS client_mean,
        quantile_cont(days_late, 0.75) AS client_p75,
        arg_max(days_late, settled_date) AS client_latest, count(*) AS client_invoices,
        median(amount) AS usual_amount
    FROM paid_in_the_year
    GROUP BY ALL
),
portfolio AS (
    SELECT cut, median(days_late) AS portfolio_median FROM paid_in_the_year GROUP BY ALL
)
SELECT o.cut, o.invoice_id, o.settled_date, o.due_date,
    o.cut - o.due_date AS age_past_due, o.due_date - o.invoice_date AS term,
    o.amount::DOUBLE AS amount, (o.amount / h.usual_amount)::DOUBLE AS amount_ratio,
    o.disputed::INT AS disputed, h.client_median, h.client_mean, h.client_p75,
    h.client_latest, coalesce(h.client_invoices, 0) AS client_invoices, p.portfolio_median
FROM open_on_cut AS o
LEFT JOIN client_history AS h USING (cut, client_id)
LEFT JOIN portfolio AS p USING (cut)
"""


def snapshots(ledger, cuts: list) -> pd.DataFrame:
    """Every invoice open at each cut with what was known about it then, and when it was
    settled (None: not yet)."""
    from dunning_analytics.ledger import connected, query_frame

    with connected(ledger) as con:
        frame = query_frame(con, SNAPSHOTS, {"cuts": cuts})
    for column in ("cut", "settled_date", "due_date"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def compare(ledger, test_cuts: list, all_cuts: list) -> dict:
    """MAE and within 3/7 days of the curve and the model on the same invoices."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    from dunning_analytics.questions.forecast import invoice_forecast

    rows = snapshots(ledger, all_cuts)
    errors = {"curve": [], "model": [], "due date": []}
    for cut in test_cuts:
        day = pd.Timestamp(cut)
        train = rows[(rows["cut"] < day) & (rows["settled_date"] <= day)]
        test = rows[(rows["cut"] == day) & (rows["settled_date"] > day)]
        curve = invoice_forecast(ledger, cut)[["invoice_id", "expected_date"]].dropna()
        test = test.merge(curve, on="invoice_id")
        if len(train) < 50 or test.empty:
            continue
        model = HistGradientBoostingRegressor(loss="absolute_error", random_state=0)
        model.fit(train[FEATURES].astype(float), (train["settled_date"] - train["cut"]).dt.days)
        days = np.maximum(1, np.round(model.predict(test[FEATURES].astype(float))))
        actual = test["settled_date"]
        predicted = {
            "model": day + pd.to_timedelta(days, unit="D"),
            "curve": pd.to_datetime(test["expected_date"]),
            "due date": np.maximum(test["due_date"], day + pd.Timedelta(days=1)),
        }
        for method, dates in predicted.items():
            gap = np.abs(pd.Series(dates).to_numpy() - actual.to_numpy())
            errors[method].extend(gap.astype("timedelta64[D]").astype(int).tolist())
    return {m: np.array(e) for m, e in errors.items()}


def table(name: str, ledger, test_cuts: list, all_cuts: list) -> str:
    """The comparison as markdown."""
    started = time.perf_counter()
    errors = compare(ledger, test_cuts, all_cuts)
    lines = ["| method | expected-date error (days) | within 3 days | within 7 days |",
             "|---|---|---|---|"]  # fmt: skip
    for method, e in errors.items():
        lines.append(
            f"| {method} | {e.mean():.2f} | {np.mean(e <= 3):.0%} | {np.mean(e <= 7):.0%} |"
        )
    seconds = time.perf_counter() - started
    head = (
        f"**{name}**: {len(test_cuts)} month ends ({test_cuts[0]} .. {test_cuts[-1]}), "
        f"{len(errors['curve']):,} invoices open at a cut and paid later; {seconds:.0f} s."
    )
    return head + "\n\n" + "\n".join(lines)


def month_ends(first, last) -> list:
    """The month ends from `first` to `last`."""
    return list(pd.date_range(first, last, freq="ME").date)


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        parts = []
        ibm = ibm_ledger(Path(folder))
        if ibm:
            parts.append(table("IBM late-payment sample", ibm[0], ibm[1],
                               month_ends("2012-01-31", "2013-12-31")))  # fmt: skip
        demo, dates = demo_ledger(Path(folder))
        parts.append(table("Demo ledger", demo, dates[-12:], month_ends("2023-11-30", dates[-1])))
    text = "\n\n".join(parts) + f"\n\nMeasured at commit {commit()}.\n"
    print(text)
    print(f"updated {write_section(text, MARKERS, 'The curve against a gradient-boosted model')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
