"""The peers the benchmark measures us against: the same aging and client profile written
the way their best users would write them, in pandas and in polars (lazy API).

Both start from the ledger's invoices and payments already in memory (reading them is not
timed), with money as whole cents (int64: exact sums, as our decimals) and dates as dates.

- pandas: the string keys are turned into integer codes once when the tables are read
  (`pd.factorize` over the invoice ids, a shared code for the ids payments and credit notes
  name), so every join is a numpy take and every group-by is on integers. No `apply`, no
  per-value Python.
- polars: one lazy query per result over the string keys (polars hashes strings natively),
  collected once.

The rules are ours (README, "Aging"): as of a date, later invoices, credit notes and
payments do not exist; payments and credit notes reach an invoice directly when they name a
known one; what names none, and what direct money pays beyond its invoice, is the client's
credit pool, applied to its open invoices oldest due date first (ties: invoice date,
invoice id); what is left is "unapplied credit" (negative).

The client profile is nine of our measures (invoices and revenue in the window, settled
invoices, on-time share, average, amount-weighted and worst days late, median and 90th
percentile days to pay). An invoice is settled on the day its direct money last reached its
amount (a refund can reopen it). The peers do not replay the credit pool through time for
the settled dates, so the profile comparison is for the clients who had no pool money by the
as-of date; our model does that replay for everyone (more work on our side, not theirs).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

BOUNDS = (30, 60, 90)
WINDOW_DAYS = 365

_INVOICES_SQL = """
SELECT invoice_id, client_id, invoice_date, due_date,
       (amount * 100)::BIGINT AS cents, credits_invoice_id
FROM invoices
"""
_PAYMENTS_SQL = """
SELECT client_id, invoice_id, paid_date, (amount * 100)::BIGINT AS cents FROM payments
"""


def _arrow(ledger: Path):
    import duckdb

    con = duckdb.connect(str(ledger), read_only=True)
    try:
        return con.sql(_INVOICES_SQL).to_arrow_table(), con.sql(_PAYMENTS_SQL).to_arrow_table()
    finally:
        con.close()


# ----------------------------------------------------------------- pandas


def pandas_tables(ledger: Path) -> dict:
    """Read invoices and payments into pandas and code the keys as integers (not timed).

    Out: {'invoices', 'payments': DataFrames with `inv` (the invoice's code; payments and
    credit notes: the code of the invoice they name, -1 for none or unknown) and `client`
    codes; 'invoice_ids', 'client_ids': the code -> id arrays}.
    """
    import pandas as pd

    inv_arrow, pay_arrow = _arrow(ledger)
    invoices = inv_arrow.to_pandas().sort_values("invoice_id", ignore_index=True)
    payments = pay_arrow.to_pandas()
    invoice_ids = invoices["invoice_id"].to_numpy(dtype=object)
    client_ids = np.unique(
        np.concatenate([invoices["client_id"].to_numpy(object), payments["client_id"]])
    )
    lookup = pd.Index(invoice_ids)
    clients = pd.Index(client_ids)
    for frame in (invoices, payments):
        frame["client"] = clients.get_indexer(frame["client_id"])
        for column in ("invoice_date", "due_date", "paid_date"):
            if column in frame:
                frame[column] = frame[column].astype("datetime64[s]")
    invoices["inv"] = np.arange(len(invoices))
    invoices["credits"] = lookup.get_indexer(invoices["credits_invoice_id"].fillna(""))
    payments["inv"] = lookup.get_indexer(payments["invoice_id"].fillna(""))
    keep = ["inv", "client", "invoice_date", "due_date", "cents", "credits"]
    return {
        "invoices": invoices[keep],
        "payments": payments[["inv", "client", "paid_date", "cents"]],
        "invoice_ids": invoice_ids,
        "client_ids": client_ids,
    }


def _pandas_money(tables: dict, day):
    """The receivables known on `day`, their direct money and the money events that are
    credit: (receivables, direct money events, pool money per client code)."""
    import pandas as pd

    invoices, payments = tables["invoices"], tables["payments"]
    inv = invoices[invoices["invoice_date"] <= day]
    known = np.zeros(len(invoices), dtype=bool)
    known[inv.loc[inv["cents"] >= 0, "inv"].to_numpy()] = True
    pays = payments[payments["paid_date"] <= day]
    notes = inv[inv["cents"] < 0]
    events = pd.concat(
        [
            pd.DataFrame(
                {
                    "inv": pays["inv"],
                    "client": pays["client"],
                    "date": pays["paid_date"],
                    "cents": pays["cents"],
                }
            ),
            pd.DataFrame(
                {
                    "inv": notes["credits"],
                    "client": notes["client"],
                    "date": notes["invoice_date"],
                    "cents": -notes["cents"],
                }
            ),
        ],
        ignore_index=True,
    )
    linked = (events["inv"].to_numpy() >= 0) & known[events["inv"].clip(lower=0).to_numpy()]
    return inv[inv["cents"] >= 0], events[linked], events[~linked]


def pandas_aging(tables: dict, as_of: dt.date, bounds=BOUNDS):
    """Aging by client in cents: columns 0 (not yet due), 1.. (overdue buckets), 'unapplied'."""
    import pandas as pd

    day = pd.Timestamp(as_of)
    receivables, direct, loose = _pandas_money(tables, day)
    paid = direct.groupby("inv")["cents"].sum()
    frame = receivables[["inv", "client", "invoice_date", "due_date", "cents"]].copy()
    frame["residual"] = frame["cents"] - paid.reindex(frame["inv"], fill_value=0).to_numpy()
    over = frame[frame["residual"] < 0]
    pool = (
        pd.concat(
            [loose.groupby("client")["cents"].sum(), (-over.groupby("client")["residual"].sum())]
        )
        .groupby(level=0)
        .sum()
    )
    frame["residual"] = frame["residual"].clip(lower=0)
    queue = frame[frame["residual"] > 0].sort_values(["client", "due_date", "invoice_date", "inv"])
    before = queue.groupby("client")["residual"].cumsum() - queue["residual"]
    credit = pool.reindex(queue["client"], fill_value=0).to_numpy()
    applied = np.clip(credit - before.to_numpy(), 0, queue["residual"].to_numpy())
    queue = queue.assign(outstanding=queue["residual"] - applied)
    open_items = queue[queue["outstanding"] > 0]
    age = (day - open_items["due_date"]).dt.days.to_numpy()
    bucket = np.where(age <= 0, 0, 1 + np.searchsorted(bounds, age, "left"))
    table = (
        open_items.assign(bucket=bucket)
        .groupby(["client", "bucket"])["outstanding"]
        .sum()
        .unstack(fill_value=0)
    )
    unapplied = pool.sub(
        pd.Series(applied, index=queue.index).groupby(queue["client"]).sum(), fill_value=0
    )
    table = table.join((-unapplied[unapplied != 0]).rename("unapplied"), how="outer").fillna(0)
    table = table.reindex(columns=[*range(len(bounds) + 2), "unapplied"], fill_value=0)
    table.index = tables["client_ids"][table.index.to_numpy()]
    return table.astype("int64")


def pandas_profiles(tables: dict, as_of: dt.date, window_days: int = WINDOW_DAYS):
    """Nine profile measures per client over the window's invoices (see the module doc)."""
    import pandas as pd

    day = pd.Timestamp(as_of)
    receivables, direct, loose = _pandas_money(tables, day)
    # the day each invoice's direct money last reached its amount: after the last event
    # that left it short, the first event that covered it
    events = direct.groupby(["inv", "date"], as_index=False)["cents"].sum()
    events = events.assign(paid=events.groupby("inv")["cents"].cumsum())
    events = events.assign(amount=tables["invoices"]["cents"].to_numpy()[events["inv"]])
    covered = events["paid"] >= events["amount"]
    short = events.loc[~covered].groupby("inv")["date"].max()
    last_short = short.reindex(events["inv"]).to_numpy()
    after = covered.to_numpy() & ~(events["date"].to_numpy() <= last_short)
    settled = events.loc[after].groupby("inv")["date"].min()
    window = receivables[receivables["invoice_date"] > day - pd.Timedelta(days=window_days)]
    window = window.assign(settled_date=settled.reindex(window["inv"]).to_numpy())
    done = window[window["settled_date"].notna()]
    days_late = (done["settled_date"] - done["due_date"]).dt.days
    late = days_late.clip(lower=0)
    done = done.assign(
        late=late,
        worst=days_late,
        on_time=(days_late <= 0).astype(float),
        to_pay=(done["settled_date"] - done["invoice_date"]).dt.days,
        weighted=late * done["cents"],
    )
    grouped = done.groupby("client")
    counts = window.groupby("client").agg(invoices=("cents", "size"), revenue=("cents", "sum"))
    measures = grouped.agg(
        settled=("cents", "size"),
        on_time_share=("on_time", "mean"),
        avg_days_late=("late", "mean"),
        weighted_sum=("weighted", "sum"),
        settled_cents=("cents", "sum"),
        worst_days_late=("worst", "max"),
    )
    quantiles = grouped["to_pay"].quantile([0.5, 0.9]).unstack()
    out = counts.join(measures).join(quantiles)
    out["weighted_days_late"] = out.pop("weighted_sum") / out.pop("settled_cents").replace(
        0, np.nan
    )
    out = out.rename(columns={0.5: "median_days_to_pay", 0.9: "p90_days_to_pay"})
    out["settled"] = out["settled"].fillna(0).astype("int64")
    out.index = tables["client_ids"][out.index.to_numpy()]
    return out


# ----------------------------------------------------------------- polars


def polars_tables(ledger: Path) -> dict:
    """Read invoices and payments into polars DataFrames (not timed)."""
    import polars as pl

    inv_arrow, pay_arrow = _arrow(ledger)
    return {"invoices": pl.from_arrow(inv_arrow), "payments": pl.from_arrow(pay_arrow)}


def _polars_money(tables: dict, day: dt.date):
    """Lazy frames: receivables known on `day`, direct money events, pool money events."""
    import polars as pl

    inv = tables["invoices"].lazy().filter(pl.col("invoice_date") <= day)
    receivables = inv.filter(pl.col("cents") >= 0)
    events = pl.concat(
        [
            tables["payments"]
            .lazy()
            .filter(pl.col("paid_date") <= day)
            .select("invoice_id", "client_id", date="paid_date", cents="cents"),
            inv.filter(pl.col("cents") < 0).select(
                invoice_id="credits_invoice_id",
                client_id="client_id",
                date="invoice_date",
                cents=-pl.col("cents"),
            ),
        ]
    )
    known = receivables.select("invoice_id", known=pl.lit(True))
    events = events.join(known, on="invoice_id", how="left")
    direct = events.filter(pl.col("known").is_not_null()).drop("known")
    loose = events.filter(pl.col("known").is_null()).drop("known")
    return receivables, direct, loose


def polars_aging(tables: dict, as_of: dt.date, bounds=BOUNDS):
    """Aging by client in cents, the same frame as pandas_aging (a pandas DataFrame)."""
    import polars as pl

    receivables, direct, loose = _polars_money(tables, as_of)
    paid = direct.group_by("invoice_id").agg(paid=pl.col("cents").sum())
    items = receivables.join(paid, on="invoice_id", how="left").with_columns(
        residual=pl.col("cents") - pl.col("paid").fill_null(0)
    )
    pool = (
        pl.concat(
            [
                loose.select("client_id", "cents"),
                items.filter(pl.col("residual") < 0).select("client_id", cents=-pl.col("residual")),
            ]
        )
        .group_by("client_id")
        .agg(pool=pl.col("cents").sum())
    )
    queue = (
        items.filter(pl.col("residual") > 0)
        .sort("client_id", "due_date", "invoice_date", "invoice_id")
        .join(pool, on="client_id", how="left", maintain_order="left")
        .with_columns(
            before=pl.col("residual").cum_sum().over("client_id") - pl.col("residual"),
            pool=pl.col("pool").fill_null(0),
        )
        .with_columns(
            applied=(pl.col("pool") - pl.col("before")).clip(0, None).clip(None, pl.col("residual"))
        )
        .with_columns(outstanding=pl.col("residual") - pl.col("applied"))
    )
    age = (pl.lit(as_of) - pl.col("due_date")).dt.total_days()
    bucket = pl.when(age <= 0).then(0)
    for number, bound in enumerate(bounds, start=1):
        bucket = bucket.when(age <= bound).then(number)
    bucket = bucket.otherwise(len(bounds) + 1)
    buckets = (
        queue.filter(pl.col("outstanding") > 0)
        .group_by("client_id", bucket.alias("bucket"))
        .agg(pl.col("outstanding").sum())
    )
    unapplied = (
        pool.join(
            queue.group_by("client_id").agg(used=pl.col("applied").sum()),
            on="client_id",
            how="left",
        )
        .select(
            "client_id",
            bucket=pl.lit(-1, pl.Int32),
            outstanding=-(pl.col("pool") - pl.col("used").fill_null(0)),
        )
        .filter(pl.col("outstanding") != 0)
    )
    long = pl.concat([buckets.with_columns(pl.col("bucket").cast(pl.Int32)), unapplied]).collect()
    table = long.pivot(on="bucket", index="client_id", values="outstanding").fill_null(0)
    frame = table.to_pandas().set_index("client_id")
    frame.columns = [int(c) if c != "-1" else "unapplied" for c in frame.columns]
    return frame.reindex(columns=[*range(len(bounds) + 2), "unapplied"], fill_value=0)


def polars_profiles(tables: dict, as_of: dt.date, window_days: int = WINDOW_DAYS):
    """The nine profile measures per client, as pandas_profiles (a pandas DataFrame)."""
    import polars as pl

    receivables, direct, _ = _polars_money(tables, as_of)
    amounts = receivables.select("invoice_id", amount="cents")
    events = (
        direct.group_by("invoice_id", "date")
        .agg(pl.col("cents").sum())
        .join(amounts, on="invoice_id")
        .sort("invoice_id", "date")
        .with_columns(paid=pl.col("cents").cum_sum().over("invoice_id"))
        .with_columns(covered=pl.col("paid") >= pl.col("amount"))
        .with_columns(last_short=pl.col("date").filter(~pl.col("covered")).max().over("invoice_id"))
    )
    settled = (
        events.filter(
            pl.col("covered")
            & (pl.col("last_short").is_null() | (pl.col("date") > pl.col("last_short")))
        )
        .group_by("invoice_id")
        .agg(settled_date=pl.col("date").min())
    )
    window = receivables.filter(
        pl.col("invoice_date") > as_of - dt.timedelta(days=window_days)
    ).join(settled, on="invoice_id", how="left")
    days_late = (pl.col("settled_date") - pl.col("due_date")).dt.total_days()
    done = pl.col("settled_date").is_not_null()
    late = days_late.clip(0, None)
    profile = (
        window.group_by("client_id")
        .agg(
            invoices=pl.len(),
            revenue=pl.col("cents").sum(),
            settled=done.sum(),
            on_time_share=(days_late <= 0).filter(done).mean(),
            avg_days_late=late.filter(done).mean(),
            weighted_days_late=(late * pl.col("cents")).filter(done).sum()
            / pl.col("cents").filter(done).sum(),
            worst_days_late=days_late.filter(done).max(),
            median_days_to_pay=(pl.col("settled_date") - pl.col("invoice_date"))
            .dt.total_days()
            .filter(done)
            .quantile(0.5, "linear"),
            p90_days_to_pay=(pl.col("settled_date") - pl.col("invoice_date"))
            .dt.total_days()
            .filter(done)
            .quantile(0.9, "linear"),
        )
        .collect()
    )
    return profile.to_pandas().set_index("client_id")


# ----------------------------------------------------------------- the check


def our_aging_cents(frame, bounds=BOUNDS):
    """Our aging by client (aging.aging) as the peers' frame: cents per bucket."""
    import pandas as pd

    from dunning_analytics.questions.aging import bucket_labels

    labels = bucket_labels(bounds)
    columns = [*range(len(bounds) + 2), "unapplied"]
    cents = {
        column: [int(round(value * 100)) for value in frame[label]]
        for column, label in zip(columns, labels, strict=True)
    }
    return pd.DataFrame(cents, index=frame["client_id"].to_numpy())


def aging_differences(ours, peer) -> int:
    """The number of (client, bucket) cells in which two agings in cents differ."""
    clients = ours.index.union(peer.index)
    a = ours.reindex(clients, fill_value=0).astype("int64")
    b = peer.reindex(clients, fill_value=0).astype("int64")
    return int((a.to_numpy() != b.to_numpy()).sum())


def pool_clients(ledger: Path, as_of: dt.date) -> set[str]:
    """Clients with credit-pool money by `as_of` (money naming no known invoice, or paid
    beyond one): the clients whose settled dates the peers do not replay."""
    import duckdb

    con = duckdb.connect(str(ledger), read_only=True)
    try:
        rows = con.execute(
            """
            WITH known AS (
                SELECT invoice_id, amount FROM invoices
                WHERE amount >= 0 AND invoice_date <= $as_of
            ),
            money AS (
                SELECT client_id, invoice_id, amount FROM payments WHERE paid_date <= $as_of
                UNION ALL
                SELECT client_id, credits_invoice_id, -amount FROM invoices
                WHERE amount < 0 AND invoice_date <= $as_of
            )
            SELECT DISTINCT m.client_id FROM money AS m LEFT JOIN known AS k USING (invoice_id)
            WHERE k.invoice_id IS NULL
            UNION
            SELECT i.client_id FROM known AS k JOIN invoices AS i USING (invoice_id)
            JOIN money AS m USING (invoice_id)
            GROUP BY i.client_id, k.invoice_id, k.amount HAVING sum(m.amount) > k.amount
            """,
            {"as_of": as_of},
        ).fetchall()
    finally:
        con.close()
    return {client for (client,) in rows}


PROFILE_MEASURES = (
    "invoices",
    "revenue",
    "settled",
    "on_time_share",
    "avg_days_late",
    "weighted_days_late",
    "worst_days_late",
    "median_days_to_pay",
    "p90_days_to_pay",
)
OUR_MEASURES = {"settled": "settled_invoices"}  # our name where it differs


def profile_differences(ours, peer, skip: set[str]) -> tuple[int, int]:
    """Compare our profiles (behaviour.client_profiles) with a peer's on the clients not in
    `skip` with invoices in the window: (clients compared, cells that differ: revenue to
    the cent, counts exactly, the rest to 1e-9)."""
    mine = ours.set_index("client_id")
    mine = mine[(mine["invoices"] > 0) & ~mine.index.isin(list(skip))]
    theirs = peer.reindex(mine.index)
    wrong = 0
    for measure in PROFILE_MEASURES:
        a = mine[OUR_MEASURES.get(measure, measure)].astype("float64").to_numpy()
        b = theirs[measure].astype("float64").to_numpy()
        if measure == "revenue":
            a = np.round(a * 100)
        same = np.isclose(a, b, rtol=0, atol=1e-9) | (np.isnan(a) & np.isnan(b))
        wrong += int((~same).sum())
    return len(mine), wrong
