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
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from forecast_backtest import demo_ledger, ibm_ledger  # noqa: E402
from sections import commit, write_section  # noqa: E402

MARKERS = ("<!-- flags -->", "<!-- /flags -->")
DATES = list(pd.date_range("2024-03-31", "2026-03-31", freq="QE").date)
TRAIN = list(pd.date_range("2024-06-30", "2025-03-31", freq="QE").date)  # thresholds chosen here
TEST = list(pd.date_range("2025-06-30", "2026-03-31", freq="QE").date)  # and checked here
GRID = [(share, days) for share in (0.3, 0.5) for days in (10, 14, 17, 21, 30)]
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


def pooled(result: pd.DataFrame) -> tuple[float, float, float | None]:
    """A backtest's revenue share, late share and lift over all its dates together."""
    revenue = float(result["flagged_revenue"].sum() / result["revenue"].sum())
    late = float(result["flagged_late_amount"].sum() / result["late_amount"].sum())
    return revenue, late, (late / revenue if revenue else None)


def variants_table(ledger: Path) -> list[str]:
    """The policy, each rule alone and the simple rules at all quarter ends."""
    from dunning_analytics.questions.risk import backtest, load_policy

    lines = [
        "| flags | clients flagged per date | their revenue share | their share of late money "
        "| lift | lift per date (min .. max) |",
        "|---|---|---|---|---|---|",
    ]
    for label, policy in variants(load_policy()):
        result = backtest(ledger, DATES, policy=policy)
        revenue, late, lift = pooled(result)
        lifts = result["lift"].dropna()
        spread = f"{lifts.min():.2f} .. {lifts.max():.2f}" if len(lifts) else "–"
        lines.append(
            f"| {label} | {result['flagged_clients'].mean():.1f} | {revenue:.0%} | {late:.0%} | "
            f"{f'{lift:.2f}' if lift else '–'} | {spread} |"
        )
    return lines


def choice_table(ledger: Path) -> tuple[list[str], tuple[float, int]]:
    """chronic_late's thresholds in the policy, measured on the training quarters and then on
    the later ones; the choice: the highest lift on the training quarters."""
    from dunning_analytics.questions.risk import backtest, load_policy, with_thresholds

    lines = [
        "| chronic_late: late share, days | train: revenue / late / lift | "
        "later quarters: revenue / late / lift |",
        "|---|---|---|",
    ]
    scored = []
    for share, days in GRID:
        policy = with_thresholds(
            load_policy(), chronic_late__min_late_share=share, chronic_late__min_avg_days_late=days
        )
        train, test = (
            pooled(backtest(ledger, TRAIN, policy)),
            pooled(backtest(ledger, TEST, policy)),
        )
        scored.append(((share, days), train))
        cells = [f"{r:.0%} / {lt:.0%} / {lift:.2f}" for r, lt, lift in (train, test)]
        lines.append(f"| {share:.0%}, {days} | {cells[0]} | {cells[1]} |")
    return lines, max(scored, key=lambda pair: (pair[1][2] or 0, pair[0][0]))[0]


def other_ledgers() -> list[str]:
    """The default policy on a demo of another seed and size, and on the IBM sample (late:
    more than 5 days; marked: watch or stricter, and deposit or stricter), with the cut
    of the ranking (risk.flags_tradeoff) that asks at most 40 % of the revenue."""
    from dunning_analytics.ledger.demo import write_demo_ledger
    from dunning_analytics.questions.risk import backtest, flags_tradeoff

    lines = [
        "| ledger | dates | flags | clients per date | revenue | late money | lift | "
        "ranking cut at 40 % of revenue: revenue / late / lift |",
        "|---|---|---|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as folder:
        other = Path(folder) / "seed8.duckdb"
        write_demo_ledger(other, clients=1000, seed=8, end=dt.date(2026, 10, 31))
        cases = [("demo, 1,000 clients, seed 8", other, TEST, 14, "deposit")]
        ibm = ibm_ledger(Path(folder))
        if ibm:
            ibm_dates = quarter_ends_of(ibm[1])
            cases += [("IBM sample", ibm[0], ibm_dates, 5, level) for level in ("watch", "deposit")]
        for label, ledger, dates, late_days, level in cases:
            result = backtest(ledger, dates, min_level=level, late_days=late_days)
            revenue, late, lift = pooled(result)
            curve = flags_tradeoff(ledger, dates, min_level=level, late_days=late_days)
            curve = curve[(curve["kind"] == "curve") & (curve["revenue_share"] <= 0.4)]
            best = curve.assign(lift=curve["late_share"] / curve["revenue_share"]).tail(1)
            cut = (
                "–"
                if best.empty
                else "{:.0%} / {:.0%} / {:.2f}".format(
                    *best[["revenue_share", "late_share", "lift"]].iloc[0]
                )
            )
            lines.append(
                f"| {label} (late: > {late_days} days) | {dates[0]} .. {dates[-1]} | {level} or "
                f"stricter | {result['flagged_clients'].mean():.1f} | {revenue:.0%} | {late:.0%} "
                f"| {f'{lift:.2f}' if lift else '–'} | {cut} |"
            )
    return lines


def quarter_ends_of(dates: list[dt.date]) -> list[dt.date]:
    """The quarter ends among month ends, leaving six months of outcomes (the IBM sample's
    invoices run into 2014)."""
    return [d for d in dates if d.month in (3, 6, 9, 12) and d <= dt.date(2013, 9, 30)]


def report() -> str:
    """The tables as markdown."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        ledger, _ = demo_ledger(Path(folder))
        lines = variants_table(ledger)
        choice, chosen = choice_table(ledger)
    others = other_ledgers()
    seconds = time.perf_counter() - started
    head = (
        f"**Demo ledger** (150 clients, seed 7), {len(DATES)} quarter ends "
        f"({DATES[0]} .. {DATES[-1]}); late: paid more than 14 days late in the 6 months after "
        f"each date; lift: the share of late money over the share of revenue; {seconds:.0f} s "
        "for all tables."
    )
    choose = (
        f"**Choosing chronic_late's thresholds** (the rest of the policy as shipped): measured on "
        f"the quarter ends {TRAIN[0]} .. {TRAIN[-1]}, checked on {TEST[0]} .. {TEST[-1]}. The "
        f"rule: the highest lift on the first (ties: the higher late share); it picks "
        f"{chosen[0]:.0%} late, {chosen[1]} days, the policy's default."
    )
    other = "**The default policy elsewhere** (thresholds as shipped, never tuned on these):"
    return (
        f"{head}\n\n"
        + "\n".join(lines)
        + f"\n\n{choose}\n\n"
        + "\n".join(choice)
        + f"\n\n{other}\n\n"
        + "\n".join(others)
        + f"\n\nMeasured at commit {commit()}.\n"
    )


def main() -> int:
    text = report()
    print(text)
    print(f"updated {write_section(text, MARKERS, 'Deposit flags against simple rules')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
