"""Backtest of the cash-in forecast: the demo ledger and, when ../shared is there, the IBM
late-payment sample, each cut at month ends with only what was known then.

    .venv/bin/python benchmarks/forecast_backtest.py        # or: make bench-forecast

Prints a table per ledger (forecast against 'paid on the due date' and 'the client's median
days late so far') and writes it into BENCHMARKS.md between the forecast markers.
"""

from __future__ import annotations

import calendar
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from sections import commit, write_section  # noqa: E402 (the benchmarks' shared helpers)

ROOT = HERE.parent
MARKERS = ("<!-- forecast -->", "<!-- /forecast -->")


def demo_ledger(folder: Path) -> tuple[Path, list[dt.date]]:
    """A 150-client demo ledger (seed 7, up to 2026-10-31) and its last 24 month ends with
    13 weeks of outcomes after them (the table uses the last twelve, and the quarter ends
    of all 24)."""
    from dunning_analytics.ledger.demo import write_demo_ledger
    from dunning_analytics.questions.forecast import backtest_dates

    path = folder / "demo.duckdb"
    write_demo_ledger(path, clients=150, seed=7, end=dt.date(2026, 10, 31))
    return path, backtest_dates(path, count=24)


def ibm_ledger(folder: Path) -> tuple[Path, list[dt.date]] | None:
    """The IBM sample loaded as paid invoices, and the month ends of 2013."""
    # the tests' way of loading the sample (the mapping a user gives `load --map`)
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import IBM_CSV
    from test_ibm import load_ibm

    if not IBM_CSV.exists():
        return None
    path = load_ibm(IBM_CSV, folder / "ibm.duckdb")
    return path, [dt.date(2013, m, calendar.monthrange(2013, m)[1]) for m in range(1, 13)]


def quarter_ends(dates: list[dt.date]) -> list[dt.date]:
    """The quarter ends among month ends."""
    return [d for d in dates if d.month in (3, 6, 9, 12)]


def table(name: str, ledger: Path, dates: list[dt.date]) -> str:
    """The backtest of one ledger at `dates` as a markdown table, with the time it took."""
    from dunning_analytics.questions.forecast import backtest

    started = time.perf_counter()
    result = backtest(ledger, dates).set_index("method")
    seconds = time.perf_counter() - started
    due = result.loc["due_date_baseline"]

    def share(value) -> str:
        return f"{value:.0%}" if value == value and value is not None else "–"

    lines = [
        f"**{name}**: {len(dates)} cuts ({dates[0]} .. {dates[-1]}), "
        f"{int(result.loc['forecast', 'invoices']):,} invoices open at a cut and paid later; "
        f"{seconds:.1f} s.",
        "",
        "| method | expected-date error (days) | ÷ due-date rule | within 3 days | "
        "within 7 days | weekly WAPE | ÷ due-date rule | dates in the 80 % interval | "
        "weeks in the 80 % band |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for method, row in result.iterrows():
        lines.append(
            f"| {method} | {row['mae_days']:.1f} | {row['mae_days'] / due['mae_days']:.0%} | "
            f"{share(row['within_3_days'])} | {share(row['within_7_days'])} | "
            f"{row['wape']:.2f} | {row['wape'] / due['wape']:.0%} | "
            f"{share(row['coverage'])} | {share(row['week_coverage'])} |"
        )
    return "\n".join(lines)


def report() -> str:
    """Both backtests as markdown."""
    with tempfile.TemporaryDirectory() as folder:
        demo, dates = demo_ledger(Path(folder))
        parts = [
            table("Demo ledger, month ends", demo, dates[-12:]),
            table("Demo ledger, quarter ends", demo, quarter_ends(dates)),
        ]
        ibm = ibm_ledger(Path(folder))
        if ibm:
            parts += [
                table("IBM late-payment sample, month ends", *ibm),
                table("IBM late-payment sample, quarter ends", ibm[0], quarter_ends(ibm[1])),
            ]
        else:
            parts.append("IBM late-payment sample: ../shared is not there; not run.")
    return "\n\n".join(parts) + f"\n\nMeasured at commit {commit()}.\n"


def write(text: str) -> Path:
    return write_section(text, MARKERS, "Cash-in forecast backtest")


def main() -> int:
    text = report()
    print(text)
    print(f"updated {write(text)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
