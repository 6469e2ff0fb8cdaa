"""Scale benchmark: our DuckDB models against fair pandas and polars peers and a bare scan.

    python benchmarks/bench.py [--sizes 100000 1000000 10000000] [--repeat 5]

Each size runs in its own process (so peak memory is per size): it builds a
demo ledger of about N invoices (cached in benchmarks/results/), exports the
invoice history as CSV, and times, as the median of --repeat runs after one
warm-up: loading the CSV into a new ledger, aging as of a date, the 36-month
aging trend, client payment profiles, the deposit flags, one aging-explorer
update (the code a widget change runs), the same aging and client profile in
pandas and in polars (benchmarks/peers.py, checked against ours to the cent),
and a bare scan of the invoices. Results go to benchmarks/results/size-N.json;
--report rewrites the table in BENCHMARKS.md.
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
sys.path.insert(0, str(HERE))
import peers  # noqa: E402  (benchmarks/peers.py, beside this file)

PEERS = ("pandas", "polars")
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


# ----------------------------------------------------------------- one size


def ledger_for(size: int) -> Path:
    from dunning_analytics.ledger.demo import write_demo_ledger

    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"ledger-{size}.duckdb"
    if not path.exists():
        started = time.perf_counter()
        write_demo_ledger(path.with_suffix(".tmp"), invoices=size, seed=11, end=END)
        path.with_suffix(".tmp").rename(path)
        print(f"  built {path.name} in {time.perf_counter() - started:.1f} s", flush=True)
    from dunning_analytics.ledger import ensure_index, open_ledger

    con = open_ledger(path)  # a ledger kept from an older version gets today's models
    try:
        ensure_index(con)
    finally:
        con.close()
    return path


def stage(name: str) -> None:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  {time.strftime('%H:%M:%S')} {name} (peak memory so far {peak:,.0f} MB)", flush=True)


def run_size(size: int, repeat: int, part: str = "all") -> dict:
    """Run the measurements for one size in this process and return the results.

    part: 'ours' (the kit), 'pandas' or 'polars' (a peer), or 'all' (each in turn, then
    the check that they agree). Run separately, each part's peak memory is its own; each
    writes its aging and profiles to benchmarks/results for `check`.
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
    for peer in PEERS:
        if part in (peer, "all"):
            out.update(_peer(peer, size, ledger, reps))
    if part == "all":
        out.update(check(size, ledger))
        _compare(out)
    out["peak_memory_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def _saved(size: int, who: str, what: str) -> Path:
    return RESULTS / f"check-{who}-{what}-{size}.parquet"


def check(size: int, ledger: Path) -> dict:
    """Compare each peer's aging and profiles (saved by its part) with ours: the cells that
    differ (aging: client x bucket in cents; profiles: nine measures, revenue in cents, the
    clients without credit-pool money, see peers.py) and how many clients were compared."""
    import pandas as pd

    ours_aging = pd.read_parquet(_saved(size, "ours", "aging"))
    ours_profiles = pd.read_parquet(_saved(size, "ours", "profiles"))
    skip = peers.pool_clients(ledger, AS_OF)
    out: dict = {"aging_clients_compared": len(ours_aging)}
    for peer in PEERS:
        aging = pd.read_parquet(_saved(size, peer, "aging"))
        aging.columns = [int(c) if c.isdigit() else c for c in aging.columns]
        out[f"{peer}_aging_cells_differ"] = peers.aging_differences(ours_aging, aging)
        compared, wrong = peers.profile_differences(
            ours_profiles, pd.read_parquet(_saved(size, peer, "profiles")), skip
        )
        out[f"{peer}_profile_cells_differ"] = wrong
        out["profile_clients_compared"] = compared
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
    """Ratios against each peer and the strongest, and whether all agree to the cent."""
    ours = {"aging": "aging_seconds", "profiles": "profiles_nine_seconds"}  # like for like
    for task in ("aging", "profiles"):
        for peer in PEERS:
            out[f"{task}_vs_{peer}"] = out[f"{peer}_{task}_seconds"] / out[ours[task]]
        out[f"{task}_vs_strongest"] = min(out[f"{task}_vs_{peer}"] for peer in PEERS)
    out["peers_agree"] = all(
        out[f"{peer}_{task}_cells_differ"] == 0 for peer in PEERS for task in ("aging", "profile")
    )


def _ours(size, ledger, csv_path, reps, heavy, repeat) -> dict:
    import contextlib as _contextlib

    from dunning_analytics.ingest.loading import load
    from dunning_analytics.ledger import INDEX_TABLES, open_ledger, refresh_index, transaction
    from dunning_analytics.notebook.widgets import FLAGGED_ROWS, AgingExplorer
    from dunning_analytics.questions.aging import aging, aging_trend
    from dunning_analytics.questions.behaviour import client_profiles
    from dunning_analytics.questions.risk import risk_flags

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

    stage("index")  # a first load's end, or one touching many clients: the full rebuild

    def index_once():
        con = open_ledger(ledger)
        try:
            with transaction(con):
                refresh_index(con, list(INDEX_TABLES))
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
    out["profiles_seconds"], profiles = timed(lambda: client_profiles(ro, AS_OF), reps)
    out["profiles_nine_seconds"], _ = timed(
        lambda: client_profiles(ro, AS_OF, measures=peers.OUR_NINE), reps
    )
    peers.our_aging_cents(frame).rename(columns=str).to_parquet(_saved(size, "ours", "aging"))
    profiles[["client_id", *peers.OUR_NINE]].to_parquet(_saved(size, "ours", "profiles"))
    stage("flags")
    # every client's level, the sentences for the rows the risk explorer's table lists
    out["flags_seconds"], _ = timed(
        lambda: risk_flags(ro, AS_OF, reasons=FLAGGED_ROWS), max(1, reps // 2)
    )
    stage("widget")
    with _contextlib.redirect_stdout(io.StringIO()):
        explorer = AgingExplorer(ledger, as_of=AS_OF)
        days = iter(range(10_000))

        def widget_update():
            explorer.as_of.input.value = AS_OF - dt.timedelta(days=next(days) % 60)

        out["widget_update_seconds"], _ = timed(widget_update, reps)
    out["aging_clients"] = len(frame)
    out["aging_vs_scan"] = out["aging_seconds"] / out["scan_seconds"]
    out["peak_memory_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def _peer(peer: str, size: int, ledger: Path, reps: int) -> dict:
    """Time a peer's aging and profiles on tables it already holds in memory; save both."""
    import pandas as pd

    out: dict = {}
    stage(f"{peer}: read tables")
    started = time.perf_counter()
    tables = getattr(peers, f"{peer}_tables")(ledger)
    out[f"{peer}_read_seconds"] = time.perf_counter() - started
    for task in ("aging", "profiles"):
        stage(f"{peer}: {task}")
        run = getattr(peers, f"{peer}_{task}")
        out[f"{peer}_{task}_seconds"], frame = timed(lambda r=run: r(tables, AS_OF), reps)
        frame = frame.rename(columns=str)
        pd.DataFrame(frame).to_parquet(_saved(size, peer, task))
    out[f"{peer}_peak_memory_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


# ----------------------------------------------------------------- report

ROWS = [
    ("invoices", "invoices", "{:,.0f}"),
    ("payments", "payments", "{:,.0f}"),
    ("load_rows_per_second", "load CSV (rows/s)", "{:,.0f}"),
    ("index_seconds", "full index and month-end store rebuild (a first load) (s)", "{:.2f}"),
    ("ledger_mb", "ledger file (MB)", "{:,.0f}"),
    ("scan_seconds", "bare scan sum/count (s)", "{:.4f}"),
    ("aging_seconds", "aging as of a date (s)", "{:.3f}"),
    ("trend_36m_seconds", "36-month trend, month-end store (s)", "{:.2f}"),
    ("trend_computed_seconds", "36-month trend, computed (s)", "{:.2f}"),
    ("profiles_seconds", "client profiles, all measures (s)", "{:.3f}"),
    ("profiles_nine_seconds", "client profiles, the nine measures the peers compute (s)", "{:.3f}"),
    ("flags_seconds", "deposit flags, all clients; reasons for the 1,000 listed (s)", "{:.2f}"),
    ("update_seconds", "monthly update, 1 % new or changed rows: load and index (s)", "{:.2f}"),
    ("widget_update_seconds", "aging-explorer update (s)", "{:.3f}"),
    ("pandas_aging_seconds", "pandas aging (s)", "{:.3f}"),
    ("polars_aging_seconds", "polars aging (s)", "{:.3f}"),
    ("pandas_profiles_seconds", "pandas profiles, nine measures (s)", "{:.3f}"),
    ("polars_profiles_seconds", "polars profiles, nine measures (s)", "{:.3f}"),
    ("aging_vs_pandas", "aging: × faster than pandas", "{:.1f}"),
    ("aging_vs_polars", "aging: × faster than polars", "{:.1f}"),
    ("profiles_vs_pandas", "profiles (nine measures): × faster than pandas", "{:.1f}"),
    ("profiles_vs_polars", "profiles (nine measures): × faster than polars", "{:.1f}"),
    ("aging_vs_scan", "aging ÷ bare scan", "{:.0f}"),
    ("load_peak_memory_mb", "peak memory, our process, up to the end of the load (MB)", "{:,.0f}"),
    ("peak_memory_mb", "peak memory, our process (MB)", "{:,.0f}"),
    ("pandas_peak_memory_mb", "peak memory, pandas process (MB)", "{:,.0f}"),
    ("polars_peak_memory_mb", "peak memory, polars process (MB)", "{:,.0f}"),
    ("aging_clients_compared", "aging: clients compared with both peers", "{:,.0f}"),
    ("profile_clients_compared", "profiles: clients compared (no credit-pool money)", "{:,.0f}"),
    ("peers_agree", "both peers agree with ours to the cent", "{}"),
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


def ratios(result: dict) -> str:
    """One paragraph: how many times faster than each peer, and whether all agree."""
    lines = [f"{result['size']:,} invoices: times faster than"]
    for task in ("aging", "profiles"):
        parts = ", ".join(f"{peer} {result[f'{task}_vs_{peer}']:.1f}×" for peer in PEERS)
        lines.append(f"  {task}: {parts} (strongest peer: {result[f'{task}_vs_strongest']:.1f}×)")
    agree = "agree" if result["peers_agree"] else "DO NOT agree"
    lines.append(f"  ours and both peers {agree} to the cent")
    return "\n".join(lines)


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
    import polars

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE
    ).stdout.strip()
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, Python {platform.python_version()}, "
        f"DuckDB {duckdb.__version__}, pandas {pandas.__version__}, polars {polars.__version__}; "
        f"commit {commit or 'unknown'}"
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
        ledger_for(size)  # built or upgraded here, so no part's peak memory includes it
        merged = {"machine": machine()}
        for part in ("ours", *PEERS):
            # our process with DuckDB capped at 2 GB (it spills to disk past that)
            env = dict(os.environ, DUNNING_MEMORY_LIMIT="2GB") if part == "ours" else None
            command = [sys.executable, __file__, "--one", str(size), "--repeat", str(args.repeat)]
            subprocess.run([*command, "--part", part], check=True, env=env)
            merged.update(json.loads((RESULTS / f"part-{part}-{size}.json").read_text()))
        merged["peak_memory_mb"] = json.loads((RESULTS / f"part-ours-{size}.json").read_text())[
            "peak_memory_mb"
        ]
        merged.update(check(size, ledger_for(size)))
        _compare(merged)
        (RESULTS / f"size-{size}.json").write_text(json.dumps(merged, indent=2))
        print(json.dumps(merged, indent=2), flush=True)
        print(ratios(merged), flush=True)
        if not args.keep:
            for path in RESULTS.glob(f"*-{size}.*"):
                if path.suffix != ".json" and path.is_file():
                    path.unlink()
    write_report()
    shutil.rmtree(RESULTS / "tmp", ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
