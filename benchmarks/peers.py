"""The peers the benchmark measures us against: the same aging and client profile written
the way their best users would write them, in pandas and in polars (lazy API).

Both start from the ledger's invoices and payments already in memory (reading them is not
timed), with money as whole cents (int64: exact sums, as our decimals) and dates as dates.

- pandas: the string keys are turned into integer codes once when the tables are read
  (`pd.factorize` over the invoice ids, a shared code for the ids payments and credit notes
  name), so every join is a numpy take and every group-by is on integers. No `apply`, no
  per-value Python.
- polars: as an expert writes it (issue 35): the same integer codes, so a lookup by
  invoice is a `gather` and money goes back to its invoice with a `scatter`; the credit
  queue only for the clients that have pool money; running sums within a sorted key as one
  cumulative sum less its value at each run's start (no `.over()`); the settled days only
  for the window's invoices, from their money sorted once.

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
    receivables, direct, _ = _pandas_money(tables, day)
    window = receivables[receivables["invoice_date"] > day - pd.Timedelta(days=window_days)]
    settled = numpy_settled_dates(tables, direct, window["inv"].to_numpy())
    window = window.assign(settled_date=settled[window["inv"].to_numpy()])
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


def numpy_settled_dates(tables: dict, direct, rows):
    """The day each invoice was settled by its direct money, by invoice row (NaT: not
    settled), for the invoice rows `rows` (what a pandas expert drops to numpy for): the
    money sorted by invoice and day, the paid total at each day's end (one cumulative sum
    less its value where the invoice starts), and the first day of the last covered run."""
    n = len(tables["invoices"])
    wanted = np.zeros(n, dtype=bool)
    wanted[rows] = True
    code = direct["inv"].to_numpy()
    keep = wanted[code]
    code, cents, dates = (
        code[keep],
        direct["cents"].to_numpy()[keep],
        direct["date"].to_numpy()[keep],
    )
    order = np.lexsort((dates, code))
    code, cents, dates = code[order], cents[order], dates[order]
    running = np.cumsum(cents)
    first = np.r_[True, code[1:] != code[:-1]]
    paid = running - np.repeat(
        (running - cents)[first], np.diff(np.r_[np.nonzero(first)[0], len(code)])
    )
    day_end = np.r_[(code[1:] != code[:-1]) | (dates[1:] != dates[:-1]), True]
    code, dates, paid = code[day_end], dates[day_end], paid[day_end]
    covered = paid >= tables["invoices"]["cents"].to_numpy()[code]
    same = np.r_[False, code[1:] == code[:-1]]
    starts = covered & ~(np.r_[False, covered[:-1]] & same)
    latest_start = np.maximum.accumulate(np.where(starts, np.arange(len(code)), 0))
    last = np.r_[code[1:] != code[:-1], True] & covered
    settled = np.full(n, np.datetime64("NaT"), dtype=dates.dtype)
    settled[code[last]] = dates[latest_start[last]]
    return settled


# ----------------------------------------------------------------- numpy floor


def numpy_aging(tables: dict, as_of: dt.date, bounds=BOUNDS):
    """The aging as a pandas expert drops to numpy for it (issue 35's floor), on
    pandas_tables' integer codes: the invoices are sorted by id and an invoice's code is its
    row, so money reaches an invoice by index (np.bincount), no join; the credit queue's
    running sum only for the clients with pool money. The same frame as pandas_aging."""
    import pandas as pd

    day = np.datetime64(as_of, "s")
    inv, pay = tables["invoices"], tables["payments"]
    n, n_clients = len(inv), len(tables["client_ids"])
    issued = inv["invoice_date"].to_numpy() <= day
    amount = inv["cents"].to_numpy()
    known = issued & (amount >= 0)
    notes = issued & (amount < 0)
    clients = inv["client"].to_numpy()
    paid_ok = pay["paid_date"].to_numpy() <= day
    code = np.concatenate([pay["inv"].to_numpy()[paid_ok], inv["credits"].to_numpy()[notes]])
    who = np.concatenate([pay["client"].to_numpy()[paid_ok], clients[notes]])
    cents = np.concatenate([pay["cents"].to_numpy()[paid_ok], -amount[notes]])
    direct = (code >= 0) & known[np.clip(code, 0, None)]
    residual = amount - np.bincount(code[direct], weights=cents[direct], minlength=n).astype(
        np.int64
    )
    over = known & (residual < 0)
    pool = np.bincount(who[~direct], weights=cents[~direct], minlength=n_clients)
    pool = (pool + np.bincount(clients[over], -residual[over], minlength=n_clients)).astype(
        np.int64
    )
    rows = np.nonzero(known & (residual > 0))[0]
    due = inv["due_date"].to_numpy()[rows]
    owed = residual[rows]
    applied = np.zeros(len(rows), dtype=np.int64)
    queue = np.nonzero(pool[clients[rows]] > 0)[0]
    if queue.size:  # oldest due first (ties: invoice date, id) within each pool client
        dates = inv["invoice_date"].to_numpy()[rows[queue]]
        order = queue[np.lexsort((rows[queue], dates, due[queue], clients[rows[queue]]))]
        who_q, owed_q = clients[rows[order]], owed[order]
        running = np.cumsum(owed_q)
        starts = np.r_[0, np.nonzero(who_q[1:] != who_q[:-1])[0] + 1]
        offset = np.repeat(running[starts] - owed_q[starts], np.diff(np.r_[starts, len(order)]))
        before = running - owed_q - offset
        applied[order] = np.clip(pool[who_q] - before, 0, owed_q)
    outstanding = owed - applied
    age = ((day - due) // np.timedelta64(1, "D")).astype(np.int64)
    bucket = np.where(age <= 0, 0, 1 + np.searchsorted(bounds, age, "left"))
    width = len(bounds) + 2
    cells = np.bincount(
        clients[rows] * width + bucket, weights=outstanding, minlength=n_clients * width
    )
    cells = cells.astype(np.int64).reshape(n_clients, width)
    unapplied = -(pool - np.bincount(clients[rows], applied, minlength=n_clients).astype(np.int64))
    table = pd.DataFrame(cells, columns=list(range(width))).assign(unapplied=unapplied)
    table = table[(cells != 0).any(axis=1) | (unapplied != 0)]
    table.index = tables["client_ids"][table.index.to_numpy()]
    return table


# ----------------------------------------------------------------- polars


def polars_tables(ledger: Path) -> dict:
    """Read invoices and payments into polars with the keys coded as integers once, as an
    expert would (not timed): the pandas peer's coding, as polars DataFrames.

    Out: {'invoices': inv, client, invoice_date, due_date, cents, credits; 'payments': inv,
    client, paid_date, cents (inv -1: names no known invoice); 'client_ids'}.
    """
    import polars as pl

    coded = pandas_tables(ledger)
    return {
        "invoices": pl.from_pandas(coded["invoices"]).with_columns(
            pl.col("invoice_date", "due_date").cast(pl.Date)
        ),
        "payments": pl.from_pandas(coded["payments"]).with_columns(
            pl.col("paid_date").cast(pl.Date)
        ),
        "client_ids": coded["client_ids"],
    }


def _polars_money(tables: dict, day: dt.date):
    """On `day`: which invoice rows are known receivables (a boolean Series by row), the
    money events that reach a known one directly and those that are pool money (frames
    inv, client, cents, date). An invoice's code is its row, so a lookup is a gather."""
    import polars as pl

    inv, pay = tables["invoices"], tables["payments"]
    issued = inv["invoice_date"] <= day
    known = issued & (inv["cents"] >= 0)
    notes = inv.filter(issued & (inv["cents"] < 0))
    events = pl.concat(
        [
            pay.filter(pl.col("paid_date") <= day).select(
                "inv", "client", "cents", date="paid_date"
            ),
            notes.select(
                inv="credits", client="client", cents=-pl.col("cents"), date="invoice_date"
            ),
        ]
    )
    direct = (events["inv"] >= 0) & known.gather(events["inv"].clip(0))
    return known, events.filter(direct), events.filter(~direct)


def _running_within(key: str, value: str):
    """The running sum of `value` within each run of equal `key` of a frame sorted by key:
    one cumulative sum less its value where the run starts (no `.over()`)."""
    import polars as pl

    running = pl.col(value).cum_sum()
    starts = (pl.col(key) != pl.col(key).shift(1)).fill_null(True)
    return running - pl.when(starts).then(running - pl.col(value)).forward_fill()


def polars_aging(tables: dict, as_of: dt.date, bounds=BOUNDS):
    """Aging by client in cents, the same frame as pandas_aging (a pandas DataFrame). Direct
    money is summed per invoice and put back by row (scatter); the credit queue (a running
    sum over the open invoices oldest due first) only for the clients with pool money."""
    import polars as pl

    inv = tables["invoices"]
    known, direct, loose = _polars_money(tables, as_of)
    paid = direct.group_by("inv").agg(pl.col("cents").sum())
    owed = inv["cents"].gather(paid["inv"]) - paid["cents"]
    items = (
        inv.select("inv", "client", "invoice_date", "due_date")
        .with_columns(residual=inv["cents"].scatter(paid["inv"], owed))
        .filter(known)
    )
    pool = (
        pl.concat(
            [
                loose.select("client", "cents"),
                items.filter(pl.col("residual") < 0).select("client", cents=-pl.col("residual")),
            ]
        )
        .group_by("client")
        .agg(pool=pl.col("cents").sum())
        .filter(pl.col("pool") != 0)
    )
    open_items = items.filter(pl.col("residual") > 0)
    before = _running_within("client", "residual") - pl.col("residual")
    queued = (
        open_items.join(pool, on="client", how="inner")
        .sort("client", "due_date", "invoice_date", "inv")
        .with_columns(
            applied=(pl.col("pool") - before).clip(0, None).clip(None, pl.col("residual"))
        )
    )
    age = (pl.lit(as_of) - pl.col("due_date")).dt.total_days()
    bucket = pl.when(age <= 0).then(0)
    for number, bound in enumerate(bounds, start=1):
        bucket = bucket.when(age <= bound).then(number)
    bucket = bucket.otherwise(len(bounds) + 1).cast(pl.Int32)
    outstanding = pl.concat(
        [
            open_items.join(pool, on="client", how="anti").select("client", "due_date", "residual"),
            queued.select("client", "due_date", residual=pl.col("residual") - pl.col("applied")),
        ]
    )
    cells = (
        outstanding.filter(pl.col("residual") > 0)
        .group_by("client", bucket.alias("bucket"))
        .agg(pl.col("residual").sum())
    )
    unapplied = (
        pool.join(queued.group_by("client").agg(used=pl.col("applied").sum()), on="client",
                  how="left")
        .select("client", bucket=pl.lit(-1, pl.Int32),
                residual=-(pl.col("pool") - pl.col("used").fill_null(0)))
        .filter(pl.col("residual") != 0)
    )  # fmt: skip
    long = pl.concat([cells, unapplied]).to_pandas()
    frame = long.set_index(["client", "bucket"])["residual"].unstack(fill_value=0)
    frame.columns = [int(c) if c != -1 else "unapplied" for c in frame.columns]
    frame.index = tables["client_ids"][frame.index.to_numpy()]
    return frame.reindex(columns=[*range(len(bounds) + 2), "unapplied"], fill_value=0)


def polars_settled_dates(tables: dict, direct, rows):
    """The day each invoice of the boolean row mask `rows` was settled by its direct money
    (frame inv, settled_date; only the settled ones): its money sorted by invoice and day,
    the state at each day's end, and the first day of the last run of covered days."""
    import polars as pl

    inv = tables["invoices"]
    events = direct.filter(rows.gather(direct["inv"])).select("inv", "date", "cents")
    events = events.sort("inv", "date")
    events = events.with_columns(amount=inv["cents"].gather(events["inv"]))
    next_differs = (pl.col("inv") != pl.col("inv").shift(-1)) | (
        pl.col("date") != pl.col("date").shift(-1)
    )
    same = (pl.col("inv") == pl.col("inv").shift(1)).fill_null(False)
    starts = pl.col("covered") & ~(pl.col("covered").shift(1).fill_null(False) & same)
    return (
        events.with_columns(
            covered=_running_within("inv", "cents") >= pl.col("amount"),
            day_end=next_differs.fill_null(True),
        )
        .filter("day_end")
        .with_columns(settled_date=pl.when(starts).then("date").forward_fill())
        .filter(pl.col("inv").is_last_distinct() & pl.col("covered"))
        .select("inv", "settled_date")
    )


def polars_profiles(tables: dict, as_of: dt.date, window_days: int = WINDOW_DAYS):
    """The nine profile measures per client, as pandas_profiles (a pandas DataFrame)."""
    import polars as pl

    inv = tables["invoices"]
    known, direct, _ = _polars_money(tables, as_of)
    in_window = known & (inv["invoice_date"] > as_of - dt.timedelta(days=window_days))
    settled = polars_settled_dates(tables, direct, in_window)
    days_late = (pl.col("settled_date") - pl.col("due_date")).dt.total_days()
    to_pay = (pl.col("settled_date") - pl.col("invoice_date")).dt.total_days()
    done = pl.col("settled_date").is_not_null()
    late = days_late.clip(0, None)
    profile = (
        inv.filter(in_window)
        .join(settled, on="inv", how="left")
        .group_by("client")
        .agg(
            invoices=pl.len(),
            revenue=pl.col("cents").sum(),
            settled=done.sum(),
            on_time_share=(days_late <= 0).filter(done).mean(),
            avg_days_late=late.filter(done).mean(),
            weighted_days_late=(late * pl.col("cents")).filter(done).sum()
            / pl.col("cents").filter(done).sum(),
            worst_days_late=days_late.filter(done).max(),
            median_days_to_pay=to_pay.filter(done).quantile(0.5, "linear"),
            p90_days_to_pay=to_pay.filter(done).quantile(0.9, "linear"),
        )
        .to_pandas()
    )
    profile.index = tables["client_ids"][profile.pop("client").to_numpy()]
    return profile


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
OUR_NINE = [OUR_MEASURES.get(m, m) for m in PROFILE_MEASURES]  # client_profiles(measures=)


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
