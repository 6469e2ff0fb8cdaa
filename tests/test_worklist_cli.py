"""`dunning-analytics worklist` (#38): what notebook 06 shows, scriptable: every open invoice
with its stage, next action (the ladder's codes), date and reason."""

import csv
import datetime as dt
import io

from dunning_analytics.cli import main
from dunning_analytics.questions.dunning import load_ladder, worklist

AS_OF = dt.date(2026, 10, 26)


def test_the_csv_worklist_is_the_notebooks_worklist(demo_ledger, capsys):
    assert main(["worklist", "--ledger", str(demo_ledger), "--as-of", "2026-10-26",
                 "--format", "csv"]) == 0  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    work = worklist(demo_ledger, AS_OF)
    assert len(rows) == len(work) > 0
    shown = {(r["invoice"], r["next step"], r["last step"], r["on"]) for r in rows}
    expected = {
        (i, n, s, "" if d is None or d != d else str(d))
        for i, n, s, d in zip(
            work["invoice_id"], work["next_action"], work["stage"], work["action_date"], strict=True
        )
    }
    assert shown == expected
    # the ladder's codes, for scripts, and a reason on every row that needs action
    codes = {step["kind"] for step in load_ladder()["steps"]} | {"wait", "done", "with_agency"}
    assert {r["next step"] for r in rows} <= codes
    assert all(r["what to do"] for r in rows if r["next step"] != "done")


def test_the_printed_worklist_in_dutch(demo_ledger, capsys):
    assert main(["worklist", "--ledger", str(demo_ledger), "--as-of", "2026-10-26",
                 "--lang", "nl"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "aanmaning" in out and "formal_notice" not in out
    assert f"{len(worklist(demo_ledger, AS_OF))} open facturen, per 26-10-2026" in out
