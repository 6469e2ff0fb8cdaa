"""Backtest of the deposit flags against each of their rules alone and against simple rules:
on the demo ledger at quarter ends, who would have been flagged with only what was known
then, and their share of the revenue and of the money paid late in the next six months
(`risk.backtest`). `make bench-flags` writes the table into BENCHMARKS.md.

The simple rules are what a credit manager can keep in a spreadsheet: "paid late on average
by at least N days over the last 12 invoices" (the policy's chronic_late rule with other
thresholds, alone).
"""

from __future__ import annotations

import copy
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from forecast_backtest import demo_ledger  # noqa: E402
from sections import commit, write_section  # noqa: E402

MARKERS = ("<!-- flags -->", "<!-- /flags -->")
DATES = list(pd.date_range("2024-03-31", "2026-03-31", freq="QE").date)
SIMPLE = [(14, 0.3), (21, 0.5), (30, 0.5)]  # (average days late at least, share paid late)


def variants(policy: dict) -> list[tuple[str, dict]]:
    """(label, policy) for the policy, the policy without the new-client rule, each rule
    alone at deposit level, and the simple rules."""
    out = [("the policy (deposit or stricter)", policy)]
    without_new = copy.deepcopy(policy)
    without_new["rules"]["new_client"]["enabled"] = False
    out.append(("the policy without new_client", without_new))
    for rule in policy["rules"]:
        out.append((f"{rule} alone", only(policy, rule)))
    for days, share in SIMPLE:
        simple = only(policy, "chronic_late")
        simple["rules"]["chronic_late"].update(min_avg_days_late=days, min_late_share=share)
        out.append((f"simple: on average ≥ {days} days late, ≥ {share:.0%} late", simple))
    return out


def only(policy: dict, rule: str) -> dict:
    """`policy` with only `rule` enabled, at deposit level."""
    alone = copy.deepcopy(policy)
    for name, settings in alone["rules"].items():
        settings["enabled"] = name == rule
    alone["rules"][rule]["level"] = "deposit"
    return alone


def report() -> str:
    """The table as markdown."""
    from dunning_analytics.questions.risk import backtest, load_policy

    started = time.perf_counter()
    lines = [
        "| flags | clients flagged per date | their revenue share | their share of late money "
        "| lift | lift per date (min .. max) |",
        "|---|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as folder:
        ledger, _ = demo_ledger(Path(folder))
        for label, policy in variants(load_policy()):
            result = backtest(ledger, DATES, policy=policy)
            revenue = result["flagged_revenue"].sum() / result["revenue"].sum()
            late = result["flagged_late_amount"].sum() / result["late_amount"].sum()
            lift = f"{late / revenue:.2f}" if revenue else "–"
            lifts = result["lift"].dropna()
            spread = f"{lifts.min():.2f} .. {lifts.max():.2f}" if len(lifts) else "–"
            lines.append(
                f"| {label} | {result['flagged_clients'].mean():.1f} | {revenue:.0%} | "
                f"{late:.0%} | {lift} | {spread} |"
            )
    seconds = time.perf_counter() - started
    head = (
        f"**Demo ledger** (150 clients, seed 7), {len(DATES)} quarter ends "
        f"({DATES[0]} .. {DATES[-1]}); late: paid more than 14 days late in the 6 months after "
        f"each date; lift: the share of late money over the share of revenue; {seconds:.0f} s."
    )
    return f"{head}\n\n" + "\n".join(lines) + f"\n\nMeasured at commit {commit()}.\n"


def main() -> int:
    text = report()
    print(text)
    print(f"updated {write_section(text, MARKERS, 'Deposit flags against simple rules')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
