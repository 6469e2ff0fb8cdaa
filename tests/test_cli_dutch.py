"""Every command in Dutch: its help, its tables and its refusals, without English words
(outside commands, options, file names and the column names an export really writes)."""

from __future__ import annotations

import pytest
from test_messages import english_words

from dunning_analytics.cli import build_parser, main
from dunning_analytics.common.messages import speaking
from dunning_analytics.ingest.presets import available_presets, load_preset


def _export_columns() -> set[str]:
    """The column names the packages' exports write (shown as they are)."""
    names = set()
    for key in available_presets():
        preset = load_preset(key)
        for columns in (*preset.columns.values(), *preset.optional.values()):
            names.update([columns] if isinstance(columns, str) else columns)
    return names


def _english(text: str, allowed=()) -> list[str]:
    for name in sorted(allowed, key=len, reverse=True):
        text = text.replace(name, " ")
    return english_words(text)


def _commands() -> list[str]:
    with speaking("nl"):
        parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sorted(sub.choices)


@pytest.mark.parametrize("command", [None, *_commands()])
def test_every_help_is_dutch(command, capsys):
    argv = ([command] if command else []) + ["--help", "--lang", "nl"]
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 0
    shown = capsys.readouterr().out
    assert shown.startswith("gebruik: dunning-analytics") and "gebruik: gebruik" not in shown
    assert not _english(shown), (command, _english(shown))


RUNS = [
    ["aging"],
    ["aging", "--by", "invoice"],
    ["risk"],
    ["forecast"],
    ["forecast", "--by", "invoice"],
    ["worklist", "--as-of", "26-10-2026"],
    ["calls", "--as-of", "26-10-2026"],
    ["contacts", "--client", "C00003"],
]


@pytest.mark.parametrize("argv", RUNS, ids=" ".join)
def test_every_report_command_speaks_dutch(argv, demo_ledger, capsys):
    assert main([*argv, "--ledger", str(demo_ledger), "--lang", "nl"]) == 0
    said = capsys.readouterr()
    shown = said.out + said.err
    assert shown.strip() and not _english(shown), _english(shown)
    assert "True" not in shown and "False" not in shown and "None" not in shown


def test_presets_and_refusals_speak_dutch(tmp_path, capsys):
    assert main(["presets", "--lang", "nl"]) == 0
    shown = capsys.readouterr().out
    assert "Kan niet zien:" in shown and not _english(shown, _export_columns())
    bad = tmp_path / "facturen.csv"
    bad.write_text(
        "invoice_id,client_id,invoice_date,due_date,amount\n"
        "A1,K1,2026-01-05,2026-02-04,12x\nA2,K1,2026-01-06,2199-02-04,100\n",
        encoding="utf-8",
    )
    argv = ["load", str(bad), "--kind", "invoices", "--ledger", str(tmp_path / "l.duckdb")]
    assert main([*argv, "--lang", "nl", "--quiet"]) == 1
    refused = capsys.readouterr().err
    assert "2 van 2 regels geweigerd; er is niets ingelezen" in refused
    assert "geen bedrag in euro's en centen" in refused  # one apostrophe, not two
    assert "een tikfout?" in refused and not _english(refused, ["invoice_id", "amount"])
