"""Debtor aging at any as-of date, and its month-end trend.

Everything is computed by the SQL model `aged_items` (sql/marts); this module
passes parameters and shapes the aggregated result for people.

Rules (see README, "Aging"): as of a date, later invoices, credit notes and
payments do not exist. Partly paid invoices stay in their own bucket with
what is left. Payments and credit notes without a (known) invoice are applied
to the client's open invoices oldest due date first; what is left shows as
the client's "unapplied credit" bucket (negative). "Not yet due" is always a
bucket, so the buckets add up to the outstanding balance to the cent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import pandas as pd

from dunning_analytics.common.formatting import money_sum
from dunning_analytics.ledger import connected, query_frame

DEFAULT_BUCKETS = (30, 60, 90)
NOT_YET_DUE = "not yet due"
UNAPPLIED = "unapplied credit"
BUCKET_SCHEMES = {
    "standard (30/60/90)": (30, 60, 90),
    "extended (30/60/90/120/180)": (30, 60, 90, 120, 180),
    "weekly (7/14/21/28)": (7, 14, 21, 28),
    "long (30/90/180/365)": (30, 90, 180, 365),
}


def bucket_labels(buckets: Sequence[int] = DEFAULT_BUCKETS) -> list[str]:
    """Return every bucket label in order: not yet due, the overdue ones, unapplied credit.

    In: increasing day boundaries, e.g. (30, 60, 90).
    Out: ['not yet due', '1–30', '31–60', '61–90', 'over 90', 'unapplied credit'].
    """
    return [NOT_YET_DUE, *_overdue_labels(_checked(buckets)), UNAPPLIED]


def _checked(buckets: Sequence[int]) -> list[int]:
    bounds = [int(b) for b in buckets]
    if not bounds or bounds[0] < 1 or any(b >= c for b, c in zip(bounds, bounds[1:], strict=False)):
        raise ValueError(f"bucket boundaries must be increasing whole days >= 1, not {buckets!r}")
    return bounds


def _overdue_labels(bounds: list[int]) -> list[str]:
    lows = [1] + [b + 1 for b in bounds[:-1]]
    return [f"{lo}–{hi}" for lo, hi in zip(lows, bounds, strict=True)] + [f"over {bounds[-1]}"]


def _params(as_of_dates, buckets, basis: str, client_kind: str | None) -> dict:
    if basis not in ("due", "invoice"):
        raise ValueError("basis must be 'due' or 'invoice'")
    if client_kind not in (None, "business", "consumer"):
        raise ValueError("client_kind must be None, 'business' or 'consumer'")
    bounds = _checked(buckets)
    return {
        "dates": list(as_of_dates),
        "bounds": bounds,
        "labels": _overdue_labels(bounds),
        "basis": basis,
        "kind": client_kind,
        "stored": False,
    }


_ITEMS = """
    SELECT * FROM aged_items(
        $dates, $bounds, $labels, $basis, only_client := $client, stored := $stored
    )
    WHERE $kind IS NULL OR client_id IN (SELECT client_id FROM clients WHERE kind = $kind)
"""


def aging(
    ledger,
    as_of: dt.date,
    buckets: Sequence[int] = DEFAULT_BUCKETS,
    basis: str = "due",
    by: str = "client",
    client_kind: str | None = None,
    min_amount: Decimal | float | None = None,
    client_id: str | None = None,
) -> pd.DataFrame:
    """Return the aging as of `as_of` (one DuckDB query).

    In: a ledger path or connection; the as-of date; bucket boundaries in
    days; basis 'due' (days past due date) or 'invoice' (days since invoice
    date, for overdue items); by 'client' or 'invoice'; optional filters:
    client kind, a minimum balance (by client) or outstanding amount (by
    invoice), one client.
    Out, by='client': one row per client with a balance: client_id, name,
    kind, one money column per bucket label (bucket_labels), outstanding
    (their sum) and overdue; sorted by overdue, largest first. Money columns
    are exact Arrow decimals (see ledger.query_frame): each value is a Decimal.
    Out, by='invoice': one row per open item with client, dates, amount,
    paid_amount, credit_applied, outstanding, days_overdue and bucket.
    """
    params = _params([as_of], buckets, basis, client_kind)
    params["min"] = None if min_amount is None else Decimal(str(min_amount))
    params["client"] = client_id
    labels = bucket_labels(buckets)
    with connected(ledger) as con:
        if by == "invoice":
            rows = query_frame(
                con,
                f"""
                SELECT i.client_id, c.name, c.kind, i.item_type, i.invoice_id, i.invoice_date,
                       i.due_date, i.amount, i.paid_amount, i.credit_applied, i.outstanding,
                       i.as_of - i.due_date AS days_overdue, i.age_days, i.bucket,
                       i.bucket_order, i.disputed
                FROM ({_ITEMS}) AS i
                LEFT JOIN clients AS c USING (client_id)
                WHERE ($client IS NULL OR client_id = $client)
                  AND ($min IS NULL OR outstanding >= $min)
                ORDER BY client_id, bucket_order DESC, due_date, invoice_id
                """,
                params,
            )
            return rows
        if by != "client":
            raise ValueError("by must be 'client' or 'invoice'")
        # one column per bucket, summed in SQL; names are b0..bn (bucket_order), renamed below
        per_bucket = ", ".join(
            f"coalesce(sum(outstanding) FILTER (WHERE bucket_order = {i}), 0) AS b{i}"
            for i in range(len(labels))
        )
        wide = query_frame(
            con,
            f"""
            WITH
            items AS ({_ITEMS}),
            per_client AS (
                SELECT client_id,
                       {per_bucket},
                       sum(outstanding) AS outstanding,
                       coalesce(sum(outstanding) FILTER (
                           WHERE bucket_order BETWEEN 1 AND {len(labels) - 2}
                       ), 0) AS overdue
                FROM items
                WHERE $client IS NULL OR client_id = $client
                GROUP BY client_id
            ),
            final AS (
                SELECT p.client_id, c.name, c.kind, p.* EXCLUDE (client_id)
                FROM per_client AS p
                LEFT JOIN clients AS c USING (client_id)
                WHERE $min IS NULL OR p.outstanding >= $min
            )
            SELECT * FROM final ORDER BY overdue DESC, outstanding DESC, client_id
            """,
            params,
            arrow_money=True,
        )
    return wide.rename(columns={f"b{i}": label for i, label in enumerate(labels)})


def aging_totals(frame: pd.DataFrame) -> pd.Series:
    """Return the portfolio total per bucket (and outstanding) of an aging by client."""
    numeric = [c for c in frame.columns if c not in ("client_id", "name", "kind")]
    return pd.Series({c: money_sum(frame[c]) for c in numeric})


def month_ends(start: dt.date, end: dt.date) -> list[dt.date]:
    """Return every month end from the month of `start` to the month of `end`, inclusive."""
    first = dt.date(start.year, start.month, 1)
    dates = pd.date_range(first, end, freq="ME")
    result = [d.date() for d in dates]
    last_of_end = (pd.Timestamp(end) + pd.offsets.MonthEnd(0)).date()
    if not result or result[-1] < last_of_end:
        result.append(last_of_end)
    return [d for d in result if d >= first]


def aging_trend(
    ledger,
    start: dt.date,
    end: dt.date,
    buckets: Sequence[int] = DEFAULT_BUCKETS,
    basis: str = "due",
    client_kind: str | None = None,
    stored: bool = True,
) -> pd.DataFrame:
    """Return outstanding per bucket at every month end from `start` to `end` (one query).

    Month ends within the ledger's dates are read from the month-end store the
    loader keeps; stored=False computes every one of them (same result, slower).
    Out: long DataFrame month_end, bucket, bucket_order, outstanding (Decimal);
    every bucket appears for every month end (0 where empty).
    """
    dates = month_ends(start, end)
    params = _params(dates, buckets, basis, client_kind)
    labels = bucket_labels(buckets)
    params["all_labels"] = labels
    params["client"] = None
    params["stored"] = stored
    with connected(ledger) as con:
        frame = query_frame(
            con,
            f"""
            WITH
            items AS ({_ITEMS}),
            grid AS (
                SELECT d.month_end, l.bucket, l.bucket_order - 1 AS bucket_order
                FROM (SELECT unnest($dates)::DATE AS month_end) AS d
                CROSS JOIN (SELECT unnest($all_labels) AS bucket,
                                   generate_subscripts($all_labels, 1) AS bucket_order) AS l
            ),
            totals AS (
                SELECT as_of AS month_end, bucket, sum(outstanding) AS outstanding
                FROM items GROUP BY ALL
            ),
            final AS (
                SELECT g.month_end, g.bucket, g.bucket_order,
                       coalesce(t.outstanding, 0)::DECIMAL(18, 2) AS outstanding
                FROM grid AS g LEFT JOIN totals AS t USING (month_end, bucket)
            )
            SELECT * FROM final ORDER BY month_end, bucket_order
            """,
            params,
        )
    return frame
