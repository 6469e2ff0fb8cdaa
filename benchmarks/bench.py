"""Scale benchmark: our DuckDB models against the pandas way and a bare DuckDB scan.

    python benchmarks/bench.py [--sizes 100000 1000000 10000000] [--repeat 5]

Each size runs in its own process (so peak memory is per size): it builds a
demo ledger of about N invoices (cached in benchmarks/results/), exports the
invoice history as CSV, and times, as the median of --repeat runs after one
warm-up: loading the CSV into a new ledger, aging as of a date, the 36-month
aging trend, client payment profiles, the deposit flags, one aging-explorer
update (the code a widget change runs), a pandas implementation of the same
aging and client profile, and a bare scan of the invoices. Results go to
benchmarks/results/size-N.json; --report rewrites the table in BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
AS_OF = dt.date(2026, 6, 30)
END = dt.date(2026, 10, 31)


def timed(fn, repeat: int, warmup: int = 1) -> tuple[float, object]:
    """Median seconds of `repeat` runs of fn() after `warmup` runs; and the last result."""
    result = None
    for _ in range(warmup):
        result = fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


# ----------------------------------------------------------------- the pandas way


def pandas_tables(ledger: Path):
    """Read the ledger's tables into pandas, as a pandas user would start."""
    import duckdb

    con = duckdb.connect(str(ledger), read_only=True)
    try:
        invoices = con.sql(
            "SELECT invoice_id, client_id, invoice_date, due_date, amount::DOUBLE AS amount, "
            "credits_invoice_id FROM invoices"
        ).df()
        payments = con.sql(
            "SELECT client_id, invoice_id, paid_date, amount::DOUBLE AS amount FROM payments"
        ).df()
    finally:
        con.close()
    return invoices, payments


def pandas_aging(invoices, payments, as_of: dt.date, bounds=(30, 60, 90)):
    """Aging by client with the same rules (direct money, then the client's credit pool
    oldest due first), vectorised pandas."""
    import numpy as np
    import pandas as pd

    day = pd.Timestamp(as_of)
    inv = invoices[invoices["invoice_date"] <= day]
    receivables = inv[inv["amount"] >= 0]
    notes = inv[inv["amount"] < 0]
    pays = payments[payments["paid_date"] <= day]
    known = receivables.set_index("invoice_id")
    linked_pay = pays[pays["invoice_id"].isin(known.index)]
    linked_notes = notes[notes["credits_invoice_id"].isin(known.index)]
    direct = (
        pd.concat(
            [
                linked_pay.groupby("invoice_id")["amount"].sum(),
                -linked_notes.groupby("credits_invoice_id")["amount"].sum(),
            ]
        )
        .groupby(level=0)
        .sum()
    )
    residual = known["amount"] - direct.reindex(known.index, fill_value=0.0)
    pool = (
        pd.concat(
            [
                pays[~pays["invoice_id"].isin(known.index)].groupby("client_id")["amount"].sum(),
                -notes[~notes["credits_invoice_id"].isin(known.index)]
                .groupby("client_id")["amount"]
                .sum(),
            ]
        )
        .groupby(level=0)
        .sum()
    )
    frame = known.assign(residual=residual).reset_index()
    queue = frame[frame["residual"] > 0].sort_values(
        ["client_id", "due_date", "invoice_date", "invoice_id"]
    )
    queue_end = queue.groupby("client_id")["residual"].cumsum()
    credit = queue["client_id"].map(pool).fillna(0.0)
    applied = np.clip(credit - (queue_end - queue["residual"]), 0, queue["residual"])
    frame["outstanding"] = frame["residual"]
    frame.loc[queue.index, "outstanding"] = queue["residual"] - applied
    used = applied.groupby(queue["client_id"]).sum()
    leftover = pool.sub(used, fill_value=0.0)
    open_items = frame[frame["outstanding"].round(2) != 0]
    age = (day - open_items["due_date"]).dt.days
    bucket = np.where(open_items["due_date"] >= day, 0, 1 + np.searchsorted(bounds, age, "left"))
    table = open_items.assign(bucket=bucket).pivot_table(
        index="client_id", columns="bucket", values="outstanding", aggfunc="sum", fill_value=0.0
    )
    table["unapplied credit"] = -leftover.reindex(table.index, fill_value=0.0)
    return table


def pandas_profiles(invoices, payments, as_of: dt.date, window_days: int = 365):
    """Client payment profiles (settled invoices of the window, paid directly), pandas."""
    import pandas as pd

    day = pd.Timestamp(as_of)
    inv = invoices[(invoices["amount"] >= 0) & (invoices["invoice_date"] <= day)]
    pays = payments[(payments["paid_date"] <= day) & payments["invoice_id"].notna()]
    pays = pays.sort_values("paid_date")
    pays = pays.assign(paid_to_date=pays.groupby("invoice_id")["amount"].cumsum())
    merged = pays.merge(inv[["invoice_id", "amount"]], on="invoice_id", suffixes=("", "_inv"))
    settled = (
        merged[merged["paid_to_date"] >= merged["amount_inv"] - 0.005]
        .groupby("invoice_id")["paid_date"]
        .min()
    )
    window = inv[inv["invoice_date"] > day - pd.Timedelta(days=window_days)]
    window = window.assign(settled_date=window["invoice_id"].map(settled))
    done = window[window["settled_date"].notna()]
    late = (done["settled_date"] - done["due_date"]).dt.days
    done = done.assign(
        late=late.clip(lower=0),
        to_pay=(done["settled_date"] - done["invoice_date"]).dt.days,
        weighted=late.clip(lower=0) * done["amount"],
    )
    grouped = done.groupby("client_id")
    return pd.DataFrame(
        {
            "invoices": window.groupby("client_id").size(),
            "revenue": window.groupby("client_id")["amount"].sum(),
            "settled": grouped.size(),
            "on_time_share": grouped["late"].apply(lambda s: (s == 0).mean()),
            "avg_days_late": grouped["late"].mean(),
            "weighted_days_late": grouped["weighted"].sum() / grouped["amount"].sum(),
            "median_days_to_pay": grouped["to_pay"].median(),
            "p90_days_to_pay": grouped["to_pay"].quantile(0.9),
            "worst_days_late": grouped["late"].max(),
        }
    )


# ----------------------------------------------------------------- one size


def ledger_for(size: int) -> Path:
    from dunning_analytics.demo import write_demo_ledger

    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"ledger-{size}.duckdb"
    if not path.exists():
        started = time.perf_counter()
        write_demo_ledger(path.with_suffix(".tmp"), invoices=size, seed=11, end=END)
        path.with_suffix(".tmp").rename(path)
        print(f"  built {path.name} in {time.perf_counter() - started:.1f} s", flush=True)
    return path


def stage(name: str) -> None:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  {time.strftime('%H:%M:%S')} {name} (peak memory so far {peak:,.0f} MB)", flush=True)


def run_size(size: int, repeat: int, part: str = "all") -> dict:
    """Run the measurements for one size in this process and return the results.

    part: 'ours' (the kit), 'pandas' (the baseline) or 'all'. Run separately,
    each part's peak memory is its own.
    """
    import duckdb

    ledger = ledger_for(size)
    csv_path = RESULTS / f"history-{size}.csv"
    con = duckdb.connect(str(ledger), read_only=True)
    if os.environ.get("DUNNING_MEMORY_LIMIT"):  # the export below is set-up: capped as well
        con.execute(f"SET memory_limit = '{os.environ['DUNNING_MEMORY_LIMIT']}'")
    counts = con.sql(
        "SELECT (SELECT count(*) FROM invoices), (SELECT count(*) FROM payments), "
        "(SELECT count(*) FROM clients), (SELECT count(DISTINCT client_id) FROM clients)"
    ).fetchall()[0]
    assert counts[2] == counts[3], "client ids are not unique"
    if not csv_path.exists():
        con.execute(
            f"""
            COPY (
                SELECT i.invoice_id, i.client_id, i.invoice_date, i.due_date, i.amount,
                       max(p.paid_date) AS paid_date, sum(p.amount) AS paid_amount
                FROM invoices AS i LEFT JOIN payments AS p USING (invoice_id)
                WHERE i.amount >= 0
                GROUP BY ALL
            ) TO '{csv_path}' (HEADER, DELIMITER ',')
            """
        )
    con.close()
    out: dict = {"size": size, "invoices": counts[0], "payments": counts[1], "clients": counts[2]}
    heavy = size >= 5_000_000
    reps = max(2, repeat // 2) if heavy else repeat

    if part in ("ours", "all"):
        out.update(_ours(size, ledger, csv_path, reps, heavy, repeat))
    if part in ("pandas", "all"):
        out.update(_pandas(ledger, reps))
    if part == "all":
        _compare(out)
    out["peak_memory_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def monthly_update(ledger: Path, size: int) -> tuple[Path, Path]:
    """A month's update for a copy of `ledger`: 1 % as many rows as it has invoices, half
    new invoices of existing clients (November 2026, after the history ends), half open
    invoices without payments now paid. Returns the copy and the update's CSV."""
    import shutil

    import duckdb

    copy, update = RESULTS / f"update-{size}.duckdb", RESULTS / f"update-{size}.csv"
    for path in (copy, Path(f"{copy}.wal")):
        path.unlink(missing_ok=True)
    shutil.copy(ledger, copy)
    con = duckdb.connect(str(copy), read_only=True)
    half = max(1, con.execute("SELECT count(*) FROM invoices").fetchone()[0] // 200)
    con.execute(
        f"""
        COPY (
            SELECT * FROM (
                SELECT 'U' || row_number() OVER () AS invoice_id, client_id,
                       DATE '2026-11-05' AS invoice_date, DATE '2026-12-05' AS due_date,
                       100.00 AS amount, NULL::DATE AS paid_date,
                       NULL::DECIMAL(18, 2) AS paid_amount
                FROM clients USING SAMPLE {half} ROWS (reservoir, 11)
            )
            UNION ALL
            SELECT * FROM (
                SELECT invoice_id, client_id, invoice_date, due_date, amount,
                       DATE '2026-11-20', amount
                FROM invoice_settlement_at(DATE '2026-10-31')
                WHERE paid_amount = 0 AND credit_applied = 0 AND outstanding = amount
                ORDER BY invoice_id
                LIMIT {half}
            )
        ) TO '{update}' (HEADER, DELIMITER ',')
        """
    )
    con.close()
    return copy, update


def _compare(out: dict) -> None:
    out["aging_totals_match"] = abs(out["aging_total"] - out["pandas_aging_total"]) < 0.01 * max(
        1, out["aging_clients"]
    )
    out["aging_vs_pandas"] = out["pandas_aging_seconds"] / out["aging_seconds"]
    out["profiles_vs_pandas"] = out["pandas_profiles_seconds"] / out["profiles_seconds"]


def _ours(size, ledger, csv_path, reps, heavy, repeat) -> dict:
    import contextlib as _contextlib

    from dunning_analytics.aging import aging, aging_trend
    from dunning_analytics.behaviour import client_profiles
    from dunning_analytics.ingest.loading import load
    from dunning_analytics.ledger import open_ledger, refresh_index, transaction
    from dunning_analytics.risk import risk_flags
    from dunning_analytics.widgets import AgingExplorer

    out: dict = {}
    stage("load")
    with open(csv_path, "rb") as fh:
        rows = sum(1 for _ in fh) - 1

    def load_once():
        target = RESULTS / f"load-{size}.duckdb"
        for suffix in ("", ".wal"):
            Path(str(target) + suffix).unlink(missing_ok=True)
        return load(target, csv_path, kind="history", progress=False)

    out["load_seconds"], result = timed(
        load_once, reps if not heavy else 1, warmup=0 if heavy else 1
    )
    assert result.rows_loaded == rows, (result.rows_loaded, rows)
    out["load_rows_per_second"] = rows / out["load_seconds"]
    out["load_peak_memory_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    stage("index")  # what every load does at its end: rebuild the receivable index

    def index_once():
        con = open_ledger(ledger)
        try:
            with transaction(con):
                refresh_index(con)
        finally:
            con.close()

    out["index_seconds"], _ = timed(index_once, 1, warmup=0)
    stage("monthly update")  # 1 % new or changed rows: the index kept for those clients only
    copy, update_csv = monthly_update(ledger, size)
    out["update_seconds"], update = timed(
        lambda: load(copy, update_csv, kind="history", progress=False), 1, warmup=0
    )
    out["update_rows"] = update.rows_loaded + update.rows_updated
    out["ledger_mb"] = ledger.stat().st_size / 2**20
    ro = open_ledger(ledger, read_only=True)
    stage("scan")
    out["scan_seconds"], _ = timed(
        lambda: ro.execute("SELECT sum(amount), count(*) FROM invoices").fetchall(), repeat
    )
    stage("aging")
    out["aging_seconds"], frame = timed(lambda: aging(ro, AS_OF), reps)
    stage("trend")
    out["trend_36m_seconds"], _ = timed(
        lambda: aging_trend(ro, dt.date(2023, 7, 1), AS_OF), max(1, reps // 2)
    )
    stage("trend, computed without the month-end store")
    out["trend_computed_seconds"], _ = timed(
        lambda: aging_trend(ro, dt.date(2023, 7, 1), AS_OF, stored=False), 1, warmup=0
    )
    stage("profiles")
    out["profiles_seconds"], _ = timed(lambda: client_profiles(ro, AS_OF), reps)
    stage("flags")
    out["flags_seconds"], _ = timed(lambda: risk_flags(ro, AS_OF), max(1, reps // 2))
    stage("widget")
    with _contextlib.redirect_stdout(io.StringIO()):
        explorer = AgingExplorer(ledger, as_of=AS_OF)
        days = iter(range(10_000))

        def widget_update():
            explorer.as_of.input.value = AS_OF - dt.timedelta(days=next(days) % 60)

        out["widget_update_seconds"], _ = timed(widget_update, reps)
    out["aging_clients"] = len(frame)
    out["aging_total"] = float(sum(frame["outstanding"]))
    out["aging_vs_scan"] = out["aging_seconds"] / out["scan_seconds"]
    out["peak_memory_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def _pandas(ledger, reps) -> dict:
    out: dict = {}
    stage("pandas: read tables")
    invoices, payments = pandas_tables(ledger)
    stage("pandas: aging")
    out["pandas_aging_seconds"], table = timed(
        lambda: pandas_aging(invoices, payments, AS_OF), max(1, reps // 2)
    )
    out["pandas_aging_total"] = float(table.to_numpy().sum())
    stage("pandas: profiles")
    out["pandas_profiles_seconds"], _ = timed(
        lambda: pandas_profiles(invoices, payments, AS_OF), max(1, reps // 2)
    )
    out["pandas_peak_memory_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


# ----------------------------------------------------------------- report

TARGETS = {
    "aging_seconds": ("aging as of a date", "< 0.5 s at 10M"),
    "trend_36m_seconds": ("36-month trend", "< 3 s at 10M"),
    "widget_update_seconds": ("aging-explorer update", "< 0.15 s at 1M"),
    "peak_memory_mb": ("peak memory (MB)", "< 3,000 at 10M"),
    "aging_vs_pandas": ("aging: times faster than pandas", ">= 5"),
    "profiles_vs_pandas": ("profiles: times faster than pandas", ">= 5"),
    "aging_vs_scan": ("aging / bare scan", "<= 5"),
}
ROWS = [
    ("invoices", "invoices", "{:,.0f}"),
    ("payments", "payments", "{:,.0f}"),
    ("load_rows_per_second", "load CSV (rows/s)", "{:,.0f}"),
    ("index_seconds", "index and month-end store rebuild, part of every load (s)", "{:.2f}"),
    ("ledger_mb", "ledger file (MB)", "{:,.0f}"),
    ("scan_seconds", "bare scan sum/count (s)", "{:.4f}"),
    ("aging_seconds", "aging as of a date (s)", "{:.3f}"),
    ("trend_36m_seconds", "36-month trend, month-end store (s)", "{:.2f}"),
    ("trend_computed_seconds", "36-month trend, computed (s)", "{:.2f}"),
    ("profiles_seconds", "client profiles (s)", "{:.3f}"),
    ("flags_seconds", "deposit flags (s)", "{:.2f}"),
    ("update_seconds", "monthly update, 1 % new or changed rows: load and index (s)", "{:.2f}"),
    ("widget_update_seconds", "aging-explorer update (s)", "{:.3f}"),
    ("pandas_aging_seconds", "pandas aging (s)", "{:.3f}"),
    ("pandas_profiles_seconds", "pandas profiles (s)", "{:.3f}"),
    ("aging_vs_pandas", "aging: × faster than pandas", "{:.1f}"),
    ("profiles_vs_pandas", "profiles: × faster than pandas", "{:.1f}"),
    ("aging_vs_scan", "aging ÷ bare scan", "{:.0f}"),
    ("load_peak_memory_mb", "peak memory, our process, up to the end of the load (MB)", "{:,.0f}"),
    ("peak_memory_mb", "peak memory, our process (MB)", "{:,.0f}"),
    ("pandas_peak_memory_mb", "peak memory, pandas process (MB)", "{:,.0f}"),
    ("aging_totals_match", "aging totals equal pandas", "{}"),
]


def report() -> str:
    """The results table (markdown) from benchmarks/results/size-*.json."""
    files = sorted(RESULTS.glob("size-*.json"), key=lambda p: int(p.stem.split("-")[1]))
    results = [json.loads(p.read_text()) for p in files]
    if not results:
        return "No results yet: run `make bench`."
    head = "| measure | " + " | ".join(f"{r['size']:,} invoices" for r in results) + " |"
    lines = [head, "|---" * (len(results) + 1) + "|"]
    for key, label, fmt in ROWS:
        cells = [fmt.format(r[key]) if key in r else "–" for r in results]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    machine = results[-1].get("machine", "")
    return "\n".join(lines) + f"\n\nMachine: {machine}\n"


def write_report() -> None:
    path = HERE.parent / "BENCHMARKS.md"
    text = (
        path.read_text()
        if path.exists()
        else "# Benchmarks\n\n<!-- results -->\n<!-- /results -->\n"
    )
    start, end = "<!-- results -->", "<!-- /results -->"
    before, rest = text.split(start, 1)
    after = rest.split(end, 1)[1]
    path.write_text(before + start + "\n" + report() + end + after)
    print(f"updated {path}")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import duckdb
    import pandas

    return (
        f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, Python {platform.python_version()}, "
        f"DuckDB {duckdb.__version__}, pandas {pandas.__version__}"
    )


def explorers_in_browser(size: int) -> int:
    """Run the explorer timing tests of tests/test_browser.py (JupyterLab in Chromium) on a
    scale ledger of `size` invoices; they write artifacts/explorer_timings.json."""
    ledger = ledger_for(size)
    env = dict(
        os.environ,
        DUNNING_BROWSER_LEDGER=str(ledger),
        DUNNING_BROWSER_LEDGER_LABEL=f"{size:,} invoices",
    )
    tests = "as_of_date_changes or client_picker or risk_threshold"
    command = [sys.executable, "-m", "pytest", "-m", "browser", "-s", "-q", "-k", tests]
    return subprocess.run(
        [*command, str(HERE.parent / "tests" / "test_browser.py")], env=env
    ).returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 10_000_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: one size here
    parser.add_argument("--part", default="all", help=argparse.SUPPRESS)
    parser.add_argument("--report", action="store_true", help="only rewrite BENCHMARKS.md")
    parser.add_argument("--keep", action="store_true", help="keep the built ledgers and CSVs")
    parser.add_argument(
        "--browser",
        type=int,
        metavar="SIZE",
        help="time the explorers in Chromium on a ledger of SIZE invoices (kept for reruns)",
    )
    args = parser.parse_args()
    if args.browser:
        return explorers_in_browser(args.browser)
    if args.report:
        write_report()
        return 0
    if args.one:
        result = run_size(args.one, args.repeat, args.part)
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / f"part-{args.part}-{args.one}.json").write_text(json.dumps(result, indent=2))
        return 0
    for size in args.sizes:
        print(f"size {size:,}", flush=True)
        merged = {"machine": machine()}
        for part in ("ours", "pandas"):
            # our process with DuckDB capped at 2 GB (it spills to disk past that)
            env = dict(os.environ, DUNNING_MEMORY_LIMIT="2GB") if part == "ours" else None
            command = [sys.executable, __file__, "--one", str(size), "--repeat", str(args.repeat)]
            subprocess.run([*command, "--part", part], check=True, env=env)
            merged.update(json.loads((RESULTS / f"part-{part}-{size}.json").read_text()))
        merged["peak_memory_mb"] = json.loads((RESULTS / f"part-ours-{size}.json").read_text())[
            "peak_memory_mb"
        ]
        _compare(merged)
        (RESULTS / f"size-{size}.json").write_text(json.dumps(merged, indent=2))
        print(json.dumps(merged, indent=2), flush=True)
        if not args.keep:
            for path in RESULTS.glob(f"*-{size}.*"):
                if path.suffix != ".json" and path.is_file():
                    path.unlink()
    write_report()
    shutil.rmtree(RESULTS / "tmp", ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
