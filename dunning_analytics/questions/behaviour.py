"""How each client pays: profiles, quarterly trend, grades, payment curves, portfolio KPIs.

The SQL models in sql/marts compute everything; these functions pass an
explicit as-of date and parameters, and return DataFrames (money as Decimal).

Definitions (see README, "Payment behaviour"):
- days late = settled date - due date; paying early counts as 0 days late;
- weighted lateness incl. open: amount-weighted days late of the window's
  invoices that are due, where an open invoice counts with its days overdue so
  far (censored, never dropped). It drives the grade:
  A <= 7, B <= 30, C <= 60, D above (GRADE_BANDS); 'new' with fewer than
  MIN_INVOICES due invoices in the window;
- slowing: the lateness of invoices due 120 to 30 days before as_of is at
  least SLOWING_DAYS above that of invoices due earlier in the window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from dunning_analytics.ledger import connected, query_frame
from dunning_analytics.questions.aging import month_ends

GRADE_BANDS = (7, 30, 60)
MIN_INVOICES = 3
SLOWING_DAYS = 10
WINDOW_DAYS = 365
GRADES = ("A", "B", "C", "D", "new")
PORTFOLIO = "(portfolio)"


# the measures a caller can leave out, by the switch of client_payment_profile_at that
# computes them (every other column comes with the window's one pass over its invoices)
MEASURE_GROUPS = {
    "quantiles": ("median_days_to_pay", "p90_days_to_pay"),
    "contacts": (
        "service_calls",
        "reminders",
        "calls",
        "formal_notices",
        "collections",
        "payment_plans",
        "disputes_logged",
    ),
    "promises": ("promises_made", "promises_kept", "promises_broken"),
    "position": ("open_exposure", "overdue_amount", "oldest_overdue_days", "dso_days"),
}


def client_profiles(
    ledger,
    as_of: dt.date,
    window_days: int = WINDOW_DAYS,
    grade_bands: Sequence[int] = GRADE_BANDS,
    min_invoices: int = MIN_INVOICES,
    slowing_days: int = SLOWING_DAYS,
    client_id: str | None = None,
    measures: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Return one payment profile per client as of `as_of` (model client_payment_profile_at).

    In: ledger path or connection; the as-of date; the window of invoice
    dates in days; grade bands (A/B/C upper limits in days of weighted
    lateness); the minimum number of due invoices for a grade; the slowing
    threshold in days; optionally one client; optionally the measures (column
    names) wanted: only those are computed and returned, after client_id
    (None: all; an unknown name is refused with the names there are).
    Out: DataFrame, one row per client, worst weighted lateness first.
    """
    bands = [int(b) for b in grade_bands]
    if len(bands) != 3 or bands != sorted(bands):
        raise ValueError("grade_bands takes three increasing day limits, e.g. (7, 30, 60)")
    params = {
        "as_of": as_of,
        "window": int(window_days),
        "bands": bands,
        "min": int(min_invoices),
        "slowing": int(slowing_days),
        "client": client_id,
    }
    with connected(ledger) as con:
        columns, switches = _profile_selection(con, measures)
        return query_frame(
            con,
            f"""
            SELECT {columns}
            FROM client_payment_profile_at($as_of, $window, $bands, $min, $slowing{switches})
            WHERE $client IS NULL OR client_id = $client
            ORDER BY weighted_lateness_incl_open DESC NULLS LAST, client_id
            """,
            params,
        )


_PROFILE_COLUMNS: list[str] = []


def _profile_selection(con, measures: Sequence[str] | None) -> tuple[str, str]:
    """The SELECT list and the macro's switches for `measures` (None: everything)."""
    if measures is None:
        return "*", ""
    if not _PROFILE_COLUMNS:  # the kit's model, the same for every ledger it opens
        _PROFILE_COLUMNS.extend(
            name
            for (name,) in con.execute(
                "SELECT column_name FROM (DESCRIBE SELECT * FROM "
                "client_payment_profile_at(DATE '2000-01-01', 1, [1, 2, 3], 1, 1))"
            ).fetchall()
        )
    known = _PROFILE_COLUMNS
    unknown = [m for m in measures if m not in known]
    if unknown:
        raise ValueError(f"unknown profile measures {unknown}; there are: {', '.join(known)}")
    wanted = ["client_id", *(m for m in dict.fromkeys(measures) if m != "client_id")]
    switches = "".join(
        f", {group} := false"
        for group, names in MEASURE_GROUPS.items()
        if not set(names) & set(wanted)
    )
    return ", ".join(wanted), switches


def client_trend(
    ledger, as_of: dt.date, quarters: int = 8, client_id: str | None = None
) -> pd.DataFrame:
    """Return the payment figures per quarter of due date, for the last `quarters` quarters.

    Out: client_id (PORTFOLIO for all clients), quarter_start, quarter ('2026Q3'),
    invoices_due, amount_due, still_open, on_time_share, weighted_lateness.
    """
    first = (pd.Timestamp(as_of).to_period("Q") - (quarters - 1)).start_time.date()
    with connected(ledger) as con:
        return query_frame(
            con,
            """
            SELECT * FROM client_payment_trend_at($as_of, $first)
            WHERE $client IS NULL OR client_id IN ($client, '(portfolio)')
            ORDER BY client_id, quarter_start
            """,
            {"as_of": as_of, "first": first, "client": client_id},
        )


def payment_curves(
    ledger,
    as_of: dt.date,
    window_days: int = WINDOW_DAYS,
    max_day: int = 120,
    clients: Sequence[str] | None = None,
    by_dispute: bool = False,
) -> pd.DataFrame:
    """Return the share of invoiced amount paid by each day after the due date.

    Out: client_id (PORTFOLIO for all), disputed (with `by_dispute`, disputed and undisputed
    invoices have curves of their own; else always False), day (-30..max_day), paid_share
    (0..1), invoices (how many the curve rests on); open invoices are censored
    (Kaplan-Meier, amount-weighted).
    """
    wanted = list(clients) if clients is not None else None
    with connected(ledger) as con:
        return query_frame(
            con,
            """
            SELECT * FROM payment_curve_at($as_of, $window, $max_day, by_dispute := $by_dispute)
            WHERE $clients IS NULL OR list_contains($clients, client_id)
                  OR client_id = '(portfolio)'
            ORDER BY client_id, disputed, day
            """,
            {
                "as_of": as_of,
                "window": int(window_days),
                "max_day": int(max_day),
                "clients": wanted,
                "by_dispute": bool(by_dispute),
            },
        )


def periods(start: dt.date, end: dt.date, period: str = "month") -> tuple[list, list]:
    """Return (starts, ends) of the months or quarters from `start`'s to `end`'s, inclusive.

    The last period stops at `end` (a part period) and starts on its own first day.
    """
    if period not in ("month", "quarter"):
        raise ValueError("period must be 'month' or 'quarter'")
    ends = month_ends(start, end)
    if period == "quarter":
        ends = [d for d in ends if d.month % 3 == 0]
        if not ends or ends[-1] < month_ends(end, end)[-1]:
            last = (pd.Timestamp(end).to_period("Q").end_time).date()
            ends.append(last)
    ends[-1] = min(ends[-1], end)  # the last period stops at `end`
    # each period starts on its own first day: a quarter that stops early (end 31 Oct)
    # runs 1 Oct .. 31 Oct, never back into the quarter before
    freq = "Q" if period == "quarter" else "M"
    starts = [pd.Timestamp(e).to_period(freq).start_time.date() for e in ends]
    return starts, ends


def portfolio_kpis(ledger, start: dt.date, end: dt.date, period: str = "month") -> pd.DataFrame:
    """Return DSO, best possible DSO, ADD, CEI and countback DSO per month or quarter.

    One query (model portfolio_kpis). Periods run from the one holding
    `start` to the one holding `end`.
    """
    starts, ends = periods(start, end, period)
    with connected(ledger) as con:
        return query_frame(
            con, "SELECT * FROM portfolio_kpis($starts, $ends)", {"starts": starts, "ends": ends}
        )


def client_timeline(ledger, as_of: dt.date, client_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return one client's invoices (from invoice to settlement or as_of) and contacts.

    Out: (invoices: invoice_id, invoice_date, due_date, settled_date, amount,
    outstanding, days_late, end_date; contacts: contact_at, kind, channel,
    promised_date, promised_amount, outcome for promises).
    """
    params = {"as_of": as_of, "client": client_id}
    with connected(ledger) as con:
        invoices = query_frame(
            con,
            """
            SELECT invoice_id, invoice_date, due_date, settled_date, amount, outstanding,
                   days_late, coalesce(settled_date, $as_of) AS end_date, disputed
            FROM invoice_settlement_at($as_of)
            WHERE client_id = $client
            ORDER BY invoice_date, invoice_id
            """,
            params,
        )
        contacts = query_frame(
            con,
            """
            SELECT c.contact_at, c.kind, c.channel, c.invoice_id, c.promised_date,
                   c.promised_amount, p.outcome
            FROM contacts AS c
            LEFT JOIN promise_outcome_at($as_of) AS p USING (contact_id)
            WHERE c.client_id = $client AND c.contact_at::DATE <= $as_of
            ORDER BY c.contact_at
            """,
            params,
        )
    return invoices, contacts
