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
