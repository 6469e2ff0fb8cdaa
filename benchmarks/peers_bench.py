"""Ours against the peers as their experts write them (issue 35), in one process per size
and thread count, the contestants' runs interleaved round by round.

    python benchmarks/peers_bench.py [--sizes 100000 1000000] [--rounds 5]

Two columns for every question (aging as of 2026-06-30 by client; the nine profile
measures the peers compute; our full profile):

- **loaded**: the question on a ledger as a load leaves it. Ours reads its index (built
  by every load); the peers start from tables they read and coded once per load (integer
  codes, `peers.pandas_tables` / `peers.polars_tables`). What each does once per load is
  timed on its own row: our index build, the peers' read and coding.
- **cold**: from the raw tables, nothing prepared: ours through the live views of the index
  (what a ledger without its index answers from), the peers' read and coding plus the
  question.

Each size runs with DuckDB and polars on all cores and again on one (`SET threads`,
POLARS_MAX_THREADS); pandas and numpy use one core either way. Every peer's result is
checked against ours cell by cell before anything is timed. Results go to
benchmarks/results/peers-N-tT.json and into BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import peers  # noqa: E402
from bench import ledger_for, machine, timed  # noqa: E402
from sections import write_section  # noqa: E402

AS_OF = dt.date(2026, 6, 30)
NINE = peers.OUR_NINE
MARKERS = ("<!-- peers -->", "<!-- /peers -->")


def interleaved(contestants: dict, rounds: int) -> dict:
    """Median seconds of each contestant over `rounds` rounds, one run of each per round
    in turn (after one warm-up round), so a slower spell of the machine hits all alike."""
    for run in contestants.values():
        run()
    times: dict = {name: [] for name in contestants}
    for _ in range(rounds):
        for name, run in contestants.items():
            started = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


def checked(ledger: Path, ours, pandas_tables, polars_tables) -> dict:
    """Every peer's aging and profile against ours: the cells that differ (must be 0)."""
    from dunning_analytics.questions.aging import aging
    from dunning_analytics.questions.behaviour import client_profiles

    our_aging = peers.our_aging_cents(aging(ours, AS_OF))
    profiles = client_profiles(ours, AS_OF, measures=NINE)
    skip = peers.pool_clients(ledger, AS_OF)
    out = {
        "numpy_aging_differ": peers.aging_differences(
            our_aging, peers.numpy_aging(pandas_tables, AS_OF)
        )
    }
    for name, tables in (("pandas", pandas_tables), ("polars", polars_tables)):
        aged = getattr(peers, f"{name}_aging")(tables, AS_OF)
        out[f"{name}_aging_differ"] = peers.aging_differences(our_aging, aged)
        compared, wrong = peers.profile_differences(
            profiles, getattr(peers, f"{name}_profiles")(tables, AS_OF), skip
        )
        out[f"{name}_profile_differ"], out["profile_clients_compared"] = wrong, compared
    return out


def loaded(ledger: Path, threads: int, rounds: int) -> dict:
    """The per-load preparations (once each) and the questions on a loaded ledger."""
    from dunning_analytics.ledger import INDEX_TABLES, open_ledger, refresh_index, transaction
    from dunning_analytics.questions.aging import aging
    from dunning_analytics.questions.behaviour import client_profiles

    copy = ledger.with_name(f"peers-{ledger.name}")
    shutil.copy(ledger, copy)
    con = open_ledger(copy)
    con.execute(f"SET threads = {threads}")
    try:
        with transaction(con):
            seconds, _ = timed(lambda: refresh_index(con, list(INDEX_TABLES)), 1, warmup=0)
            out = {"ours_index_seconds": seconds}
    finally:
        con.close()
        copy.unlink()
    tables = {}
    for name in ("pandas", "polars"):
        read = getattr(peers, f"{name}_tables")
        out[f"{name}_read_seconds"], tables[name] = timed(lambda r=read: r(ledger), 1, warmup=0)
    ours = open_ledger(ledger, read_only=True)
    ours.execute(f"SET threads = {threads}")
    out.update(checked(ledger, ours, tables["pandas"], tables["polars"]))
    pd_tables, pl_tables = tables["pandas"], tables["polars"]
    contestants = {
        "ours_aging": lambda: aging(ours, AS_OF),
        "numpy_aging": lambda: peers.numpy_aging(pd_tables, AS_OF),
        "pandas_aging": lambda: peers.pandas_aging(pd_tables, AS_OF),
        "polars_aging": lambda: peers.polars_aging(pl_tables, AS_OF),
        "ours_nine": lambda: client_profiles(ours, AS_OF, measures=NINE),
        "ours_full": lambda: client_profiles(ours, AS_OF),
        "pandas_profiles": lambda: peers.pandas_profiles(pd_tables, AS_OF),
        "polars_profiles": lambda: peers.polars_profiles(pl_tables, AS_OF),
    }
    out.update({f"{k}_seconds": v for k, v in interleaved(contestants, rounds).items()})
    ours.close()
    return out


def cold(ledger: Path, threads: int, rounds: int) -> dict:
    """The questions from the raw tables: ours through the live views of the index, the
    peers' read and coding included."""
    from dunning_analytics.ledger import _install_models, open_ledger
    from dunning_analytics.questions.aging import aging
    from dunning_analytics.questions.behaviour import client_profiles

    live = open_ledger(ledger, read_only=True)
    live.execute(f"SET threads = {threads}")
    _install_models(live, temporary=True)  # the index tables shadowed by their live views

    def peer(name: str, task: str):
        return lambda: getattr(peers, f"{name}_{task}")(
            getattr(peers, f"{name}_tables")(ledger), AS_OF
        )

    contestants = {
        "cold_ours_aging": lambda: aging(live, AS_OF),
        "cold_pandas_aging": peer("pandas", "aging"),
        "cold_polars_aging": peer("polars", "aging"),
        "cold_ours_nine": lambda: client_profiles(live, AS_OF, measures=NINE),
        "cold_pandas_profiles": peer("pandas", "profiles"),
        "cold_polars_profiles": peer("polars", "profiles"),
    }
    result = {f"{k}_seconds": v for k, v in interleaved(contestants, rounds).items()}
    live.close()
    return result


def run_one(size: int, threads: int, rounds: int, ledger: Path | None = None) -> dict:
    """One size at one thread count, in this process (POLARS_MAX_THREADS set by the caller),
    on the benchmark's demo ledger of `size` invoices or on `ledger`."""
    import polars

    ledger = ledger or ledger_for(size)
    out = {"size": size, "threads": threads, "polars_threads": polars.thread_pool_size()}
    out.update(loaded(ledger, threads, rounds))
    out.update(cold(ledger, threads, max(1, rounds // 2)))
    out["machine"] = machine()
    return out


def ratios(r: dict) -> dict:
    """The ratios the aims speak of (above 1: ours is faster)."""
    return {
        "aging vs polars": r["polars_aging_seconds"] / r["ours_aging_seconds"],
        "aging vs numpy floor": r["numpy_aging_seconds"] / r["ours_aging_seconds"],
        "nine measures vs polars": r["polars_profiles_seconds"] / r["ours_nine_seconds"],
        "full profile vs polars": r["polars_profiles_seconds"] / r["ours_full_seconds"],
        "cold aging vs polars": r["cold_polars_aging_seconds"] / r["cold_ours_aging_seconds"],
        "cold nine vs polars": r["cold_polars_profiles_seconds"] / r["cold_ours_nine_seconds"],
    }


ROWS = [
    ("ours_index_seconds", "ours: index build, once per load"),
    ("pandas_read_seconds", "pandas: read and code the tables, once per load"),
    ("polars_read_seconds", "polars: read and code the tables, once per load"),
    ("ours_aging_seconds", "aging: ours"),
    ("numpy_aging_seconds", "aging: numpy floor"),
    ("pandas_aging_seconds", "aging: pandas"),
    ("polars_aging_seconds", "aging: polars"),
    ("ours_nine_seconds", "profiles, nine measures: ours"),
    ("ours_full_seconds", "profiles, all measures: ours"),
    ("pandas_profiles_seconds", "profiles, nine measures: pandas"),
    ("polars_profiles_seconds", "profiles, nine measures: polars"),
    ("cold_ours_aging_seconds", "cold aging: ours (live views, no index)"),
    ("cold_pandas_aging_seconds", "cold aging: pandas (read and code included)"),
    ("cold_polars_aging_seconds", "cold aging: polars (read and code included)"),
    ("cold_ours_nine_seconds", "cold profiles, nine: ours (live views)"),
    ("cold_pandas_profiles_seconds", "cold profiles, nine: pandas"),
    ("cold_polars_profiles_seconds", "cold profiles, nine: polars"),
]


def report(results: list[dict]) -> str:
    """The markdown table (seconds, medians) and the ratios, one column per run."""
    head = [f"{r['size']:,} · {r['threads']} thread{'s' * (r['threads'] > 1)}" for r in results]
    lines = ["| seconds (median) | " + " | ".join(head) + " |", "|---" * (len(head) + 1) + "|"]
    for key, label in ROWS:
        lines.append(f"| {label} | " + " | ".join(f"{r[key]:.3f}" for r in results) + " |")
    lines.append("| **ratios** (above 1: ours faster) |" + " |" * len(results))
    for name in ratios(results[0]):
        cells = " | ".join(f"{ratios(r)[name]:.2f}×" for r in results)
        lines.append(f"| {name} | {cells} |")
    agree = all(r[key] == 0 for r in results for key in r if key.endswith("_differ"))
    lines.append(
        "| every peer equals ours cell by cell | "
        + " | ".join("yes" if agree else "NO" for _ in results)
        + " |"
    )
    return (
        "\n".join(lines)
        + f"\n\nMachine: {results[-1]['machine']}. Contestants interleaved round by round, "
        "medians; cold: half the rounds.\n"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--one", type=int, nargs=2, help=argparse.SUPPRESS)  # size threads
    args = parser.parse_args()
    results_dir = HERE / "results"
    if args.one:
        size, threads = args.one
        result = run_one(size, threads, args.rounds)
        path = results_dir / f"peers-{size}-t{threads}.json"
        path.write_text(json.dumps(result, indent=2))
        return 0
    for size in args.sizes:
        for threads in sorted({os.cpu_count() or 1, 1}, reverse=True):
            print(f"size {size:,}, {threads} thread(s)", flush=True)
            env = dict(os.environ, POLARS_MAX_THREADS=str(threads))
            command = [sys.executable, __file__, "--one", str(size), str(threads)]
            subprocess.run([*command, "--rounds", str(args.rounds)], check=True, env=env)
            path = results_dir / f"peers-{size}-t{threads}.json"
            print(json.dumps(ratios(json.loads(path.read_text())), indent=2), flush=True)
    # every size measured so far (a size run again replaces its own columns only)
    results = sorted(
        (json.loads(p.read_text()) for p in results_dir.glob("peers-*-t*.json")),
        key=lambda r: (r["size"], -r["threads"]),
    )
    text = report(results)
    print(text)
    write_section(text, MARKERS, "Against the peers as their experts write them (issue 35)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
