"""When will the money come in: a payment-date forecast per open invoice and a weekly cash-in
forecast, from the clients' payment curves.

The curves are the SQL model `payment_curve_at` (behaviour.payment_curves): per client and
for the portfolio, the amount-weighted Kaplan-Meier share paid by each day after the due
date, with open invoices censored (unpaid so far, never dropped). Only what was known on
the as-of date goes in.

For an open invoice of a client, the curve used is the client's own shrunk toward the
portfolio's by how much the client has: unpaid(t) = w * client(t) + (1 - w) * portfolio(t),
w = n / (n + prior_invoices), n the client's invoices in the curve's window. A client with
one invoice leans on the portfolio; one with fifty on itself. Disputed and undisputed
invoices have curves of their own (the client's disputed invoices, shrunk toward all
clients' disputed ones, and those toward the undisputed portfolio when they are few): a
disputed invoice is paid weeks later, and mixed in it made a client's other invoices look
later than they are (BENCHMARKS.md).

Given that an invoice is still unpaid `a` days after its due date on the as-of date, its
payment day T has P(T > t | T > a) = unpaid(t) / unpaid(a): an invoice 60 days overdue from
a usually punctual client is not "due tomorrow". The median of that is the expected date,
the 10th and 90th percentiles the 80 % interval; where the curve never falls that far
within the curve's last day, there is no such date (paid later, or never).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dunning_analytics.common.formatting import to_cents
from dunning_analytics.ledger import connected, ledger_end_date, query_frame
from dunning_analytics.questions.behaviour import PORTFOLIO, WINDOW_DAYS, payment_curves
from dunning_analytics.questions.queries import read_query

FIRST_DAY = -30  # the curves start 30 days before the due date (earlier payments count there)
MAX_DAY = 365  # and end a year after it
PRIOR_INVOICES = 10  # the portfolio's weight, in invoices, in a client's curve
Z80 = 1.2815515655446004  # the normal distribution's 90th percentile: an 80 % band


@dataclass(frozen=True)
class Curves:
    """Unpaid shares by day (FIRST_DAY..MAX_DAY) per client and dispute state
    ((client_id, disputed) keys), the portfolio's per dispute state, and how many invoices
    each curve rests on."""

    days: np.ndarray
    unpaid: dict[tuple[str, bool], np.ndarray]
    portfolio: dict[bool, np.ndarray]
    invoices: dict[tuple[str, bool], int]

    def for_client(
        self, client_id: str, prior_invoices: int = PRIOR_INVOICES, disputed: bool = False
    ) -> np.ndarray:
        """The client's curve for a disputed or an undisputed invoice, shrunk toward the
        portfolio's (the portfolio's for a client without such invoices yet)."""
        portfolio = self.portfolio[bool(disputed)]
        own = self.unpaid.get((client_id, bool(disputed)))
        if own is None:
            return portfolio
        weight = _weight(self.invoices.get((client_id, bool(disputed)), 0), prior_invoices)
        return weight * own + (1 - weight) * portfolio


def _weight(invoices: int, prior_invoices: int) -> float:
    """The share of a curve resting on `invoices` beside one it is shrunk toward."""
    return invoices / (invoices + prior_invoices) if invoices else 0.0


def curves(ledger, as_of: dt.date, window_days: int = WINDOW_DAYS) -> Curves:
    """The payment curves as of `as_of` (only invoices and payments known then), disputed
    and undisputed invoices apart."""
    frame = payment_curves(ledger, as_of, window_days=window_days, max_day=MAX_DAY, by_dispute=True)
    days = np.arange(FIRST_DAY, MAX_DAY + 1)
    unpaid, counts = {}, {}
    for (client_id, disputed), rows in frame.groupby(["client_id", "disputed"], sort=False):
        unpaid[(client_id, bool(disputed))] = 1.0 - rows["paid_share"].to_numpy(dtype=float)
        counts[(client_id, bool(disputed))] = int(rows["invoices"].iloc[0])
    undisputed = unpaid.pop((PORTFOLIO, False), np.ones(len(days)))
    # all clients' disputed invoices, shrunk toward the undisputed ones when they are few
    disputed = unpaid.pop((PORTFOLIO, True), undisputed)
    weight = _weight(counts.pop((PORTFOLIO, True), 0), PRIOR_INVOICES)
    counts.pop((PORTFOLIO, False), None)
    portfolio = {False: undisputed, True: weight * disputed + (1 - weight) * undisputed}
    return Curves(days, unpaid, portfolio, counts)


def _conditional(unpaid: np.ndarray, age: int) -> np.ndarray:
    """P(unpaid after each day | unpaid at `age` days after the due date), for days > age
    (1 up to and including `age`). An invoice still open where the curve says all are
    paid keeps the curve's last level (it is one of those that pay late or never)."""
    index = int(np.clip(age - FIRST_DAY, 0, len(unpaid) - 1))
    level = unpaid[index]
    if level <= 1e-9:
        return np.ones(len(unpaid))
    out = np.minimum(unpaid / level, 1.0)
    out[: index + 1] = 1.0
    return out


def _conditionals(model: Curves, items: pd.DataFrame, prior_invoices: int):
    """Yield (row, conditional curve) for each open invoice (client_id, days_overdue ...),
    each client's shrunk curve computed once."""
    shrunk: dict[tuple[str, bool], np.ndarray] = {}
    for item in items.itertuples(index=False):
        key = (item.client_id, bool(item.disputed))
        if key not in shrunk:
            shrunk[key] = model.for_client(item.client_id, prior_invoices, key[1])
        yield item, _conditional(shrunk[key], int(item.days_overdue))


def _day_reached(conditional: np.ndarray, share: float) -> int | None:
    """The first curve day by which `share` of such invoices is paid, or None."""
    reached = np.nonzero(conditional <= 1.0 - share + 1e-12)[0]
    return int(reached[0]) + FIRST_DAY if reached.size else None


OUTLOOK = ["expected_date", "p10_date", "p90_date", "p_paid_30_days_after_due", "p_after_year"]


def _outlook(conditional: np.ndarray, due: dt.date) -> dict:
    """The expected date (median), the 80 % interval's dates, the chance of payment within
    30 days after the due date and after a year, from an invoice's conditional curve."""
    out = {}
    for name, share in (("expected_date", 0.5), ("p10_date", 0.1), ("p90_date", 0.9)):
        day = _day_reached(conditional, share)
        out[name] = None if day is None else due + dt.timedelta(days=day)
    out["p_paid_30_days_after_due"] = round(float(1.0 - conditional[30 - FIRST_DAY]), 4)
    out["p_after_year"] = round(float(conditional[-1]), 4)
    return out


def invoice_forecast(
    ledger,
    as_of: dt.date,
    prior_invoices: int = PRIOR_INVOICES,
    window_days: int = WINDOW_DAYS,
    model: Curves | None = None,
) -> pd.DataFrame:
    """Forecast the payment date of every invoice open on `as_of` (`model`: the curves as
    of `as_of` when the caller has them already), a disputed one from disputed invoices'
    curves.

    Out: one row per open invoice: invoice_id, client_id, outstanding, due_date,
    days_overdue, expected_date (the median), p10_date and p90_date (the 80 % interval),
    p_paid_30_days_after_due (given it is unpaid so far; 0 once past that day), and
    p_after_year (the chance it is not paid within a year of its due date). Dates are None
    where the curve never gets that far: later than a year after the due date, or never.
    What the date rests on, for saying why: disputed, curve_invoices and own_weight (the
    client's invoices in the curve, disputed ones for a disputed invoice, and their share
    of it, the rest the portfolio's), and promised_date (a promise to pay still pending on
    `as_of`, else None). The promise does not move the date: in the backtest it did not do
    better than the curve (BENCHMARKS.md).
    """
    with connected(ledger) as con:
        model = model or curves(con, as_of, window_days)
        items = query_frame(con, read_query("open_invoice_basis"), {"as_of": as_of})
    basis = ["disputed", "promised_date"]
    rows = [
        {
            **item._asdict(),
            **_outlook(conditional, item.due_date),
            **_curve_basis(model, item.client_id, prior_invoices, bool(item.disputed)),
        }
        for item, conditional in _conditionals(model, items, prior_invoices)
    ]
    columns = [c for c in items.columns if c not in basis]
    return pd.DataFrame(rows, columns=[*columns, *OUTLOOK, *CURVE_BASIS, *basis])


CURVE_BASIS = ["curve_invoices", "own_weight"]


def _curve_basis(
    model: Curves, client_id: str, prior_invoices: int, disputed: bool = False
) -> dict:
    """How many of the client's (disputed or undisputed) invoices its curve rests on, and
    their weight in it."""
    key = (client_id, disputed)
    invoices = model.invoices.get(key, 0) if key in model.unpaid else 0
    return {"curve_invoices": invoices, "own_weight": _weight(invoices, prior_invoices)}


def new_invoice_forecast(
    ledger,
    as_of: dt.date,
    client_id: str,
    term_days: int,
    prior_invoices: int = PRIOR_INVOICES,
    model: Curves | None = None,
) -> dict:
    """Forecast when an invoice to `client_id` dated `as_of` with a payment term of
    `term_days` would be paid: the same curves as for open invoices (the client's, shrunk
    toward the portfolio's; the portfolio's for a client without history).

    Out: a dict with due_date, the OUTLOOK fields (expected_date, p10_date, p90_date,
    p_paid_30_days_after_due, p_after_year), invoices (how many of the client's invoices
    the forecast rests on) and own_weight (the share of the client's own curve, 0..1).
    """
    with connected(ledger) as con:
        model = model or curves(con, as_of)
    due = as_of + dt.timedelta(days=int(term_days))
    unpaid = model.for_client(client_id, prior_invoices)
    basis = _curve_basis(model, client_id, prior_invoices)
    return {
        "client_id": client_id,
        "due_date": due,
        **_outlook(_conditional(unpaid, -int(term_days)), due),
        "invoices": basis["curve_invoices"],
        "own_weight": basis["own_weight"],
    }


def _paid_by(conditional: np.ndarray, due: dt.date, dates: list[dt.date]) -> np.ndarray:
    """P(paid by each date | unpaid on the as-of date) for one invoice."""
    offsets = np.array([(d - due).days for d in dates]) - FIRST_DAY
    return 1.0 - conditional[np.clip(offsets, 0, len(conditional) - 1)]


def _week_bounds(as_of: dt.date, weeks: int) -> list[dt.date]:
    """as_of and the last day of each of `weeks` weeks after it (week k: bounds[k] < day <=
    bounds[k + 1])."""
    return [as_of + dt.timedelta(days=7 * k) for k in range(weeks + 1)]


def _week_starts(as_of: dt.date, weeks: int) -> list[dt.date]:
    """The first day of each of `weeks` weeks after `as_of` (the day after it first)."""
    return [b + dt.timedelta(days=1) for b in _week_bounds(as_of, weeks)[:-1]]


def _open_items(con, as_of: dt.date, invoices, prior_invoices: int, model: Curves | None):
    """The curves as of `as_of` and the open invoices' forecast (the caller's when given)."""
    model = model or curves(con, as_of)
    if invoices is None:
        invoices = invoice_forecast(con, as_of, prior_invoices, model=model)
    return model, invoices


def invoice_weeks(
    ledger,
    as_of: dt.date,
    weeks: int = 13,
    invoices: pd.DataFrame | None = None,
    prior_invoices: int = PRIOR_INVOICES,
    model: Curves | None = None,
) -> pd.DataFrame:
    """The invoices behind each week of the cash-in forecast: for every open invoice and week
    (week 1 starts the day after `as_of`) the chance it is paid in that week, given it is
    unpaid on `as_of`, and that chance times what is outstanding.

    Out: invoice_id, client_id, outstanding, due_date, expected_date, week_start (None: after
    the horizon or never), share (0..1), expected_amount (a float: a share of euros); only
    rows with a share above 0. The shares of one invoice add up to 1.
    """
    with connected(ledger) as con:
        model, invoices = _open_items(con, as_of, invoices, prior_invoices, model)
    bounds = _week_bounds(as_of, weeks)
    starts = [*_week_starts(as_of, weeks), None]
    rows = []
    for item, conditional in _conditionals(model, invoices, prior_invoices):
        paid_by = _paid_by(conditional, item.due_date, bounds)
        shares = [*np.diff(paid_by), 1.0 - paid_by[-1]]
        amount = float(item.outstanding)
        for start, share in zip(starts, shares, strict=True):
            if share > 1e-9:
                rows.append(
                    (
                        item.invoice_id,
                        item.client_id,
                        item.outstanding,
                        item.due_date,
                        item.expected_date,
                        start,
                        float(share),
                        amount * float(share),
                    )
                )
    columns = [
        "invoice_id",
        "client_id",
        "outstanding",
        "due_date",
        "expected_date",
        "week_start",
        "share",
        "expected_amount",
    ]
    return pd.DataFrame(rows, columns=columns)


def weekly_forecast(
    ledger,
    as_of: dt.date,
    weeks: int = 13,
    invoices: pd.DataFrame | None = None,
    prior_invoices: int = PRIOR_INVOICES,
    model: Curves | None = None,
    behind: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Forecast the cash coming in per week for `weeks` weeks after `as_of` (week 1 starts
    the day after it), from every open invoice's conditional curve.

    Out: week_start, expected_amount, low, high (an 80 % band: one client's invoices are
    paid at a lag they share, clients independently of each other; shared_lag_variance),
    then one row with week_start None for what is expected after the horizon or not at
    all. `invoices`, `model` and `behind`: invoice_forecast's rows,
    the curves and invoice_weeks' rows as of `as_of` when the caller has them already.
    """
    if behind is None:
        behind = invoice_weeks(ledger, as_of, weeks, invoices, prior_invoices, model)
    starts = _week_starts(as_of, weeks)
    parts = behind.assign(
        week=behind["week_start"].map(lambda d: d if d is not None else dt.date.max)
    )
    totals = parts.groupby("week")[["expected_amount"]].sum()
    totals["variance"] = shared_lag_variance(parts)
    totals = totals.reindex([*starts, dt.date.max], fill_value=0.0)
    expected = totals["expected_amount"].to_numpy(dtype=float)[:-1]  # floats also when empty
    spread = Z80 * np.sqrt(totals["variance"].to_numpy(dtype=float)[:-1])
    frame = pd.DataFrame(
        {
            "week_start": starts,
            "expected_amount": expected,
            "low": np.maximum(expected - spread, 0.0),
            "high": expected + spread,
        }
    )
    money = ["expected_amount", "low", "high"]
    frame[money] = frame[money].map(to_cents)
    later = {"week_start": None, "expected_amount": to_cents(totals["expected_amount"].iloc[-1])}
    return pd.concat(
        [frame, pd.DataFrame([later | {"low": None, "high": None}])], ignore_index=True
    )


def shared_lag_variance(parts: pd.DataFrame) -> pd.Series:
    """The variance of each week's cash-in when one client's invoices move together: all of
    them paid at one quantile u of their conditional curves (a lag the client shares), u
    uniform, clients independent. An invoice pays in a week when u falls in its interval of
    that week, (its share paid before the week, that plus its share of the week]; the
    client's cash in the week, f(u) = the sum of the amounts whose interval holds u, has
    E[f^2] = the integral of f^2 over u, summed here segment by segment between the
    intervals' ends. In: invoice_weeks' rows with a `week` column (a date). Out: variance
    per week (two identical invoices of one client: four times one's; of two clients:
    twice)."""
    if parts.empty:  # nothing open: no variance in any week
        return pd.Series(dtype=float)
    rows = parts.assign(
        amount=parts["outstanding"].astype(float), share=parts["share"].astype(float)
    )
    rows["lo"] = rows.groupby("invoice_id")["share"].cumsum() - rows["share"]
    keys = ["client_id", "week"]
    ends = pd.concat(
        [
            rows[keys].assign(at=rows["lo"], step=rows["amount"]),
            rows[keys].assign(at=rows["lo"] + rows["share"], step=-rows["amount"]),
        ]
    ).sort_values([*keys, "at"], kind="mergesort")
    by_client_week = ends.groupby(keys, sort=False)
    level = by_client_week["step"].cumsum()  # f(u) from this end to the next
    length = (by_client_week["at"].shift(-1) - ends["at"]).fillna(0.0)
    second = (level**2 * length).groupby([ends["client_id"], ends["week"]]).sum()
    mean = (rows["amount"] * rows["share"]).groupby([rows["client_id"], rows["week"]]).sum()
    variance = (second - mean**2).clip(lower=0.0)
    return variance.groupby(level="week").sum()


def _baseline_dates(con, as_of: dt.date, items: pd.DataFrame) -> pd.DataFrame:
    """The two baselines' payment dates for the open invoices: the due date (the day after
    the as-of date when already overdue), and the due date plus the client's median days
    late so far (the due-date baseline for a client without a paid invoice yet)."""
    medians = dict(
        con.execute(
            """
            SELECT client_id, median(days_late) FROM invoice_settlement_at($as_of)
            WHERE settled_date IS NOT NULL GROUP BY client_id
            """,
            {"as_of": as_of},
        ).fetchall()
    )
    tomorrow = as_of + dt.timedelta(days=1)
    due = items["due_date"].map(lambda d: max(d, tomorrow))
    median = [
        max(d + dt.timedelta(days=round(medians.get(c, 0) or 0)), tomorrow)
        for c, d in zip(items["client_id"], items["due_date"], strict=True)
    ]
    return pd.DataFrame({"due_date_baseline": due.to_list(), "client_median_baseline": median})


def _week_totals(dates: pd.Series, amounts: pd.Series, bounds: list[dt.date]) -> np.ndarray:
    """Amounts summed per week (bounds[k] < date <= bounds[k + 1]); outside: left out."""
    totals = np.zeros(len(bounds) - 1)
    for day, amount in zip(dates, amounts, strict=True):
        if day is None or day != day:
            continue
        k = next((k for k in range(len(bounds) - 1) if bounds[k] < day <= bounds[k + 1]), None)
        if k is not None:
            totals[k] += float(amount)
    return totals


def backtest_dates(ledger, count: int = 12, weeks: int = 13) -> list[dt.date]:
    """The last `count` month ends whose next `weeks` weeks the ledger has seen (a cut needs
    what happened after it), oldest first; fewer for a short history."""
    with connected(ledger) as con:
        first = con.execute("SELECT min(invoice_date) FROM invoices").fetchone()[0]
        last = ledger_end_date(con)
    if first is None:
        return []
    latest = last - dt.timedelta(days=7 * weeks)
    ends = pd.date_range(first, latest, freq="ME")
    return [d.date() for d in ends[-count:]]


def backtest(
    ledger, dates: list[dt.date], weeks: int = 13, known_on: dt.date | None = None
) -> pd.DataFrame:
    """Cut the ledger's history at each date, forecast with only what was known then, and
    compare with what happened (the settled dates the ledger knows now, or on `known_on`:
    a review of a past quarter looks no further than its end).

    Out: one row per method (forecast, due_date_baseline, client_median_baseline):
    invoices (open at the cuts, paid later and given a date by the forecast: the same for
    every method), mae_days (mean absolute error of the
    expected payment date), wape (weekly cash-in over `weeks` weeks: sum of absolute
    errors over the cash that came in), expected_cash and came_in (the cash forecast for
    and paid in those weeks, summed over the cuts), and for the forecast coverage (the
    share of real payment dates inside the 80 % interval; an interval without an end
    counts as reaching on), within_3_days and within_7_days (the share of invoices whose
    expected date was that close), and for the forecast week_coverage (the share of weeks
    whose cash that came in lay inside the weekly 80 % band).
    """
    per_method: dict[str, dict[str, list]] = {}
    with connected(ledger) as con:
        settled = dict(
            con.execute(
                "SELECT invoice_id, settled_date FROM invoice_settlement_at($known)",
                {"known": known_on or dt.date(2199, 12, 31)},
            ).fetchall()
        )
        for cut in dates:
            _score_cut(con, cut, weeks, settled, per_method)
    return pd.DataFrame([_method_row(method, stats) for method, stats in per_method.items()])


_METHODS = (
    ("forecast", "expected_date"),
    ("due_date_baseline", "due_date_baseline"),
    ("client_median_baseline", "client_median_baseline"),
)


def _score_cut(con, cut: dt.date, weeks: int, settled: dict, per_method: dict) -> None:
    """Forecast the invoices open on `cut` with what was known then and add each method's
    errors, weekly cash and band hits against what came in (`settled`: invoice -> settled
    date) to `per_method` (method -> lists)."""
    model = curves(con, cut)
    items = invoice_forecast(con, cut, model=model)
    if items.empty:
        return
    items = pd.concat([items, _baseline_dates(con, cut, items)], axis=1)
    items["actual"] = items["invoice_id"].map(settled)
    bounds = _week_bounds(cut, weeks)
    came_in = _week_totals(items["actual"], items["outstanding"], bounds)
    forecast_weeks = weekly_forecast(con, cut, weeks, invoices=items, model=model)
    # the same invoices for every method: paid later, and given a date by the forecast
    paid = items[items["actual"].notna() & items["expected_date"].notna()]
    for method, column in _METHODS:
        stats = per_method.setdefault(
            method, {"errors": [], "abs": [], "cash": [], "predicted": []}
        )
        stats["errors"] += [
            abs((a - e).days) for a, e in zip(paid["actual"], paid[column], strict=True)
        ]
        if method == "forecast":
            predicted = forecast_weeks["expected_amount"].iloc[:weeks].astype(float)
            _score_bands(stats, paid, forecast_weeks.iloc[:weeks], came_in)
        else:
            predicted = _week_totals(items[column], items["outstanding"], bounds)
        stats["abs"].append(float(np.abs(np.asarray(predicted) - came_in).sum()))
        stats["cash"].append(float(came_in.sum()))
        stats["predicted"].append(float(np.sum(predicted)))


def _score_bands(stats: dict, paid: pd.DataFrame, band: pd.DataFrame, came_in) -> None:
    """Add to the forecast's `stats` which weekly totals lay inside their 80 % band
    (`weeks_inside`) and which payment dates inside their 80 % interval (`inside`; an
    interval without an end counts as reaching on)."""
    stats.setdefault("weeks_inside", []).extend(
        lo <= got <= hi
        for lo, hi, got in zip(
            band["low"].astype(float), band["high"].astype(float), came_in, strict=False
        )
    )
    stats.setdefault("inside", []).extend(
        (lo is None or lo <= a) and (hi is None or a <= hi)
        for a, lo, hi in zip(paid["actual"], paid["p10_date"], paid["p90_date"], strict=True)
    )


def _method_row(method: str, stats: dict) -> dict:
    """The backtest's row of one method from its collected `stats`."""
    return {
        "method": method,
        "invoices": len(stats["errors"]),
        "mae_days": float(np.mean(stats["errors"])) if stats["errors"] else None,
        "wape": sum(stats["abs"]) / sum(stats["cash"]) if sum(stats["cash"]) else None,
        "expected_cash": to_cents(sum(stats["predicted"])),
        "came_in": to_cents(sum(stats["cash"])),
        "coverage": float(np.mean(stats["inside"])) if stats.get("inside") else None,
        "within_3_days": _share_within(stats["errors"], 3),
        "within_7_days": _share_within(stats["errors"], 7),
        "week_coverage": float(np.mean(stats["weeks_inside"]))
        if stats.get("weeks_inside")
        else None,
    }


def _share_within(errors: list[int], days: int) -> float | None:
    """The share of absolute errors of at most `days` days (None without errors)."""
    return float(np.mean([e <= days for e in errors])) if errors else None
