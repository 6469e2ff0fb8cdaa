"""The command line: demo, load and aging, with clear errors."""

from dunning_analytics.cli import main


def test_demo_then_aging(tmp_path, capsys):
    ledger = tmp_path / "d.duckdb"
    assert main(["demo", "--ledger", str(ledger), "--clients", "20", "--quiet"]) == 0
    assert "20 clients" in capsys.readouterr().out
    assert main(["demo", "--ledger", str(ledger), "--quiet"]) == 1  # no silent overwrite
    assert main(["aging", "--ledger", str(ledger), "--as-of", "2026-06-30"]) == 0
    out = capsys.readouterr().out
    assert "Aging as of 2026-06-30" in out and "not yet due" in out and "€" in out


def test_load_prints_counts_and_bad_rows_exit_non_zero(tmp_path, capsys):
    ledger = tmp_path / "l.duckdb"
    good = tmp_path / "good.csv"
    good.write_text("invoice_id;client_id;invoice_date;amount\n1;K;01-02-2025;10,00\n")
    assert main(["load", str(good), "--ledger", str(ledger), "--quiet"]) == 0
    assert "1 rows read, 1 loaded, 0 updated, 0 unchanged, 0 rejected" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("invoice_id;client_id;invoice_date;amount\n2;K;31-02-2025;10,00\n")
    assert main(["load", str(bad), "--ledger", str(ledger), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "bad.csv:2: column 'invoice_date' value '31-02-2025': not a date" in err
    assert main(["aging", "--ledger", str(tmp_path / "missing.duckdb")]) == 1
    assert "does not exist" in capsys.readouterr().err


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_every_option_has_help_text():
    import argparse

    from dunning_analytics.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    missing = [
        f"{name} {action.option_strings or action.dest}"
        for name, sub in commands.choices.items()
        for action in sub._actions
        if not isinstance(action, argparse._HelpAction) and not action.help
    ]
    assert not missing, missing


def test_dates_and_buckets_as_people_write_them(demo_ledger, capsys):
    code, iso, _ = _run(capsys, "aging", "--ledger", demo_ledger, "--as-of", "2026-06-30")
    code2, dutch, _ = _run(capsys, "aging", "--ledger", demo_ledger, "--as-of", "30-06-2026")
    assert code == code2 == 0 and iso == dutch
    _, slashes, _ = _run(capsys, "aging", "--ledger", demo_ledger, "--buckets", "30/60/90")
    _, commas, _ = _run(capsys, "aging", "--ledger", demo_ledger, "--buckets", "30,60,90")
    assert slashes == commas and "over 90" in slashes
    import pytest

    for bad in ("30-60-x", "60,30"):
        with pytest.raises(SystemExit):
            main(["aging", "--ledger", str(demo_ledger), "--buckets", bad])
        err = capsys.readouterr().err
        assert "not a list of increasing whole days, e.g. 30,60,90" in err
        assert "<lambda>" not in err
    with pytest.raises(SystemExit):
        main(["aging", "--ledger", str(demo_ledger), "--as-of", "31-02-2026"])
    assert "not a date as yyyy-mm-dd or dd-mm-jjjj" in capsys.readouterr().err


def test_aging_prints_a_totals_line_that_adds_up(demo_ledger, capsys):
    from dunning_analytics.common.formatting import format_eur
    from dunning_analytics.questions.aging import aging, aging_totals

    _, out, _ = _run(capsys, "aging", "--ledger", demo_ledger, "--as-of", "2026-09-30")
    totals = aging_totals(aging(demo_ledger, __import__("datetime").date(2026, 9, 30)))
    last = out.strip().splitlines()[-1]
    assert last.startswith("Total: ") and format_eur(totals["outstanding"]) in last
    assert format_eur(totals["overdue"]) in last


def test_as_of_past_the_ledger_end_warns(demo_ledger, capsys):
    for command in ("aging", "risk", "calls"):
        code, _, err = _run(capsys, command, "--ledger", demo_ledger, "--as-of", "2026-12-31")
        assert code == 0
        assert "after the ledger's last date 2026-10-31" in err, command
        code, _, err = _run(capsys, command, "--ledger", demo_ledger, "--as-of", "2026-10-31")
        assert code == 0 and "warning" not in err, command


def test_aging_on_an_empty_ledger_says_so(tmp_path, capsys):
    from dunning_analytics.ledger import open_ledger

    path = tmp_path / "empty.duckdb"
    open_ledger(path).close()
    code, out, err = _run(capsys, "aging", "--ledger", path)
    assert code == 0 and "holds no invoices yet" in out and "DataFrame" not in out


def test_aging_out_writes_excel_and_dutch_csv_with_totals(demo_ledger, tmp_path, capsys):
    import csv

    import openpyxl

    from dunning_analytics.questions.aging import aging, aging_totals

    as_of = __import__("datetime").date(2026, 10, 31)
    totals = aging_totals(aging(demo_ledger, as_of))
    code, out, _ = _run(capsys, "aging", "--ledger", demo_ledger, "--out", tmp_path / "a.xlsx")
    assert code == 0 and "Wrote" in out
    sheet = openpyxl.load_workbook(tmp_path / "a.xlsx").active
    assert sheet["A1"].value == "Aging as of 2026-10-31" and sheet["A1"].font.bold
    header = [c.value for c in sheet[2]]
    assert all(c.font.bold for c in sheet[2]) and sheet.freeze_panes == "A3"
    last_row = sheet.max_row
    assert sheet.auto_filter.ref == f"A2:{sheet.cell(2, len(header)).column_letter}{last_row - 1}"
    last = {h: c.value for h, c in zip(header, sheet[last_row], strict=True)}
    assert last["client"] == "Total"
    for column in ("outstanding", "overdue"):  # a formula over the rows: what Excel shows
        letter = sheet.cell(2, header.index(column) + 1).column_letter
        assert last[column] == f"=SUM({letter}3:{letter}{last_row - 1})"
        cells = [sheet[f"{letter}{row}"].value for row in range(3, last_row)]
        assert round(sum(cells), 2) == float(totals[column])
    code, _, _ = _run(
        capsys, "aging", "--ledger", demo_ledger, "--out", tmp_path / "a.csv", "--lang", "nl"
    )
    text = (tmp_path / "a.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(text.splitlines(), delimiter=";"))
    assert rows[0][:3] == ["klantnr.", "naam", "soort"] and "nog niet vervallen" in rows[0]
    assert rows[-1][0] == "Totaal"
    outstanding = rows[-1][rows[0].index("openstaand")]
    assert outstanding == f"{float(totals['outstanding'])}".replace(".", ",")
    assert all(len(r) == len(rows[0]) for r in rows)  # Dutch Excel: one value per column


def test_a_failed_first_load_leaves_no_ledger_file(tmp_path, capsys):
    ledger = tmp_path / "new.duckdb"
    bad = tmp_path / "bad.csv"
    bad.write_text("invoice_id;client_id;invoice_date;amount\n1;K;31-02-2025;10,00\n")
    code, _, err = _run(capsys, "load", bad, "--ledger", ledger, "--quiet")
    assert code == 1 and "not a date" in err
    assert not ledger.exists() and not ledger.with_name("new.duckdb.wal").exists()


def test_a_date_format_in_words_gets_a_hint(tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_text("invoice_id;client_id;invoice_date;amount\n1;K;01-02-2025;10,00\n")
    ledger = tmp_path / "l.duckdb"
    code, _, err = _run(
        capsys, "load", good, "--ledger", ledger, "--date-format", "dd-mm-yyyy", "--quiet"
    )
    assert code == 1 and "write '%d-%m-%Y'" in err and not ledger.exists()


def test_calls_in_dutch_name_the_weekday_and_write_a_dutch_calendar(demo_ledger, tmp_path, capsys):
    ics = tmp_path / "calls.ics"
    args = ("--ledger", demo_ledger, "--as-of", "26-10-2026", "--lang", "nl", "--ics", str(ics))
    code, out, _ = _run(capsys, "calls", *args)
    assert code == 0
    lines = [line for line in out.splitlines() if line.startswith(("ma ", "di ", "wo "))]
    assert lines and lines[0].startswith("ma 26-10-2026 09:30")
    assert "€ " in lines[0] and "get a payment" not in out
    text = ics.read_text(encoding="utf-8")
    assert "SUMMARY:Bellen: " in text and "DESCRIPTION:Bellen: " in text
