"""Every bad input gets one located message through the command line, never a traceback.

Each case runs `dunning-analytics` in this process (cli.main) and checks what a user
sees: exit code 1, a line starting with "error:" that names the file (and the line
where there is one) and says what is wrong, and no Python traceback or "unexpected
problem". Loads with --skip-bad-rows account for every row. Outputs (CSV, Excel,
.ics, notebook tables, shared copies) are checked with hostile names and ids.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest
from conftest import make_ledger

from dunning_analytics import cli, load
from dunning_analytics.ledger import open_ledger

HEADER = "invoice_id,client_id,invoice_date,due_date,amount"
GOOD = "A,K1,2025-01-01,2025-01-31,100.00"
DATA = Path(__file__).parent / "data"


def run(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert "unexpected problem" not in err, err
    return code, out, err


def refused(capsys, *argv) -> str:
    """Run a command that must be refused; return its message."""
    code, out, err = run(capsys, *argv)
    assert code == 1, (out, err)
    assert err.startswith("error: "), err
    return err


# ------------------------------------------------------------------ loads refused


ROW_CASES = {
    # file text: (line, column, words of the reason)
    "term_huge": (
        f"{HEADER},payment_term_days\nA,K1,2025-01-01,,100.00,2000000000\n",
        2,
        "payment_term_days",
        "terms run from 0 to 365 days",
    ),
    "term_negative": (
        f"{HEADER},payment_term_days\nA,K1,2025-01-01,,100.00,-5\n",
        2,
        "payment_term_days",
        "terms run from 0 to 365 days",
    ),
    "three_decimals": (
        f"{HEADER}\n{GOOD}\nB,K1,2025-01-01,2025-01-31,12.3456\n",
        3,
        "amount",
        "more than two decimals",
    ),
    "amount_1e16": (
        f"{HEADER}\n{GOOD}\nB,K1,2025-01-01,2025-01-31,10000000000000000.00\n",
        3,
        "amount",
        "too large",
    ),
    "amount_huge": (f"{HEADER}\nB,K1,2025-01-01,2025-01-31,{'9' * 40}\n", 2, "amount", "too large"),
    "thousands_or_decimals": (
        f"{HEADER}\n{GOOD}\nB,K1,2025-01-01,2025-01-31,1.500\n",
        3,
        "amount",
        "ambiguous",
    ),
    "date_9999": (f"{HEADER}\nB,K1,9999-12-31,2025-01-31,1.00\n", 2, "invoice_date", "not a date"),
    "date_garbage": (
        f"{HEADER}\nB,K1,31/31/2025,2025-01-31,1.00\n",
        2,
        "invoice_date",
        "not a date",
    ),
    "due_before_invoice": (
        f"{HEADER}\nB,K1,2025-02-01,2025-01-31,1.00\n",
        2,
        "due_date",
        "before invoice date",
    ),
    "wrong_field_count": (f"{HEADER}\n{GOOD}\nB,K1,2025-01-01\n", 3, None, "expected 5 fields"),
    "quoted_field_spanning_lines": (
        "invoice_id,client_id,client_name,invoice_date,due_date,amount\n"
        'A,K1,"two\nlines",2025-01-01,2025-01-31,1.00\nB,K1,x,2025-01-01,2025-01-31,abc\n',
        4,
        "amount",
        "not an amount",
    ),
}


@pytest.mark.parametrize("case", sorted(ROW_CASES))
def test_a_bad_row_is_refused_with_file_line_column_and_reason(case, capsys, tmp_path):
    text, line, column, reason = ROW_CASES[case]
    path = tmp_path / f"{case}.csv"
    path.write_text(text, encoding="utf-8")
    ledger = tmp_path / "ledger.duckdb"
    err = refused(capsys, "load", "--quiet", "--ledger", ledger, path)
    where = f"{case}.csv:{line}:" + (f" column '{column}'" if column else "")
    assert where in err and reason in err, err
    assert "nothing was loaded" in err
    # with --skip-bad-rows every row is accounted for
    code, out, _ = run(capsys, "load", "--quiet", "--skip-bad-rows", "--ledger", ledger, path)
    assert code == 0
    counts = re.search(
        r"(\d+) rows read, (\d+) loaded, (\d+) updated, (\d+) unchanged, (\d+) rejected", out
    )
    read, *parts = map(int, counts.groups())
    assert read == sum(parts) and parts[-1] >= 1, out


FILE_CASES = {
    # name, bytes: words the message must hold
    "empty.csv": (b"", "the file is empty"),
    "header_only_blank.csv": (b"\n\n", "the first line must name the columns"),
    "dup_header.csv": (f"{HEADER},amount\n{GOOD},2.00\n".encode(), "'amount' appears twice"),
    "no_line_break.csv": (b"x" * 200_000, "no line break in the first 64 KB"),
    "mixed_encoding.csv": (
        f"{HEADER},client_name\n".encode()
        + "A,K1,2025-01-01,2025-01-31,1.00,Café\n".encode() * 2000
        + "B,K1,2025-01-01,2025-01-31,1.00,Café\n".encode("cp1252"),
        "mixes UTF-8 with another encoding",
    ),
    "is_csv.xlsx": (f"{HEADER}\n{GOOD}\n".encode(), "if it is CSV, name it .csv"),
    "corrupt.xlsx": (b"PK\x03\x04" + b"\x00garbage" * 50, "not a readable Excel workbook"),
    "not.parquet": (b"hello", "not a readable Parquet file"),
    "wrong_delimiter.csv": (b"invoice_id|client_id\nA|K1\n", "No column for required field"),
    "unknown.ods": (b"x", "unknown file type"),
}


@pytest.mark.parametrize("name", sorted(FILE_CASES))
def test_a_file_that_cannot_be_read_gets_one_line(name, capsys, tmp_path):
    data, words = FILE_CASES[name]
    path = tmp_path / name
    path.write_bytes(data)
    err = refused(capsys, "load", "--quiet", "--ledger", tmp_path / "l.duckdb", path)
    assert words in err and (name in err or "Columns found" in err), err
    assert len(err.strip().splitlines()) == 1, err


def test_settings_files_with_errors_are_named_with_their_line(capsys, tmp_path, demo_ledger):
    data = tmp_path / "history.csv"
    data.write_text(f"{HEADER}\n{GOOD}\n")
    bad = tmp_path / "bad.toml"
    bad.write_text('amount = "Bedrag\n')
    ledger = tmp_path / "l.duckdb"
    err = refused(capsys, "load", "--quiet", "--ledger", ledger, "--mapping", bad, data)
    assert "bad.toml: the mapping file is not valid TOML" in err and "line 1" in err
    err = refused(capsys, "load", "--quiet", "--ledger", ledger, "--mapping", "nope.toml", data)
    assert "nope.toml: no such mapping file" in err
    err = refused(capsys, "load", "--quiet", "--ledger", ledger, "--preset", bad, data)
    assert "bad.toml: the preset file is not valid TOML" in err
    as_of = "--as-of", "2026-10-31"
    err = refused(capsys, "risk", "--ledger", demo_ledger, *as_of, "--policy", bad)
    assert "the policy file is not valid TOML" in err
    level = tmp_path / "level.toml"
    level.write_text('[rules.overdue_now]\nlevel = "shout"\n')
    err = refused(capsys, "risk", "--ledger", demo_ledger, *as_of, "--policy", level)
    assert "level.toml, line 2: rules.overdue_now.level = 'shout' must be one of" in err
    err = refused(capsys, "risk", "--ledger", demo_ledger, *as_of, "--policy", tmp_path / "x")
    assert "no such policy file" in err


def test_a_missing_sheet_names_the_sheets_there_are(capsys, tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "Facturen"
    book.active.append(HEADER.split(","))
    path = tmp_path / "book.xlsx"
    book.save(path)
    err = refused(
        capsys, "load", "--quiet", "--ledger", tmp_path / "l.duckdb", "--sheet", "Invoices", path
    )
    assert "no sheet named 'Invoices'; the sheets are 'Facturen'" in err


def test_outputs_to_a_type_or_folder_we_cannot_write_are_refused(capsys, tmp_path, demo_ledger):
    as_of = "--as-of", "2026-10-31"
    for out in ("calls.txt", "calls.pdf"):
        err = refused(capsys, "calls", "--ledger", demo_ledger, *as_of, "--out", tmp_path / out)
        assert out in err and "use .csv or .xlsx" in err
    missing = tmp_path / "no" / "such" / "calls.ics"
    err = refused(capsys, "calls", "--ledger", demo_ledger, *as_of, "--ics", missing)
    assert "does not exist; create it first" in err
    err = refused(
        capsys,
        "risk",
        "--ledger",
        demo_ledger,
        *as_of,
        "--format",
        "xlsx",
        "--out",
        tmp_path / "nope" / "a.xlsx",
    )
    assert "does not exist" in err


def test_bank_files_with_impossible_amounts_are_refused_with_the_element(capsys, tmp_path):
    ledger = tmp_path / "l.duckdb"
    camt = (DATA / "bank" / "camt053_2026-10.xml").read_text(encoding="utf-8")
    for value in ("NaN", "Infinity", "1E+30"):
        bad = tmp_path / f"camt_{value}.xml"
        bad.write_text(
            re.sub(r"(<Ntry>.*?<Amt[^>]*>)[^<]+", rf"\g<1>{value}", camt, count=1, flags=re.S)
        )
        code, out, err = run(capsys, "bank", "--ledger", ledger, bad)
        assert code == 1 and f"value '{value}'" in out + err and bad.name in out + err
    mt940 = tmp_path / "big.sta"
    mt940.write_text(
        ":20:STMT\n:25:NL91ABNA0417164300\n:28C:1/1\n:60F:C150105EUR0,00\n"
        f":61:1501050105C{'9' * 20},00NTRFNONREF\n:86:/NAME/X/\n:62F:C150105EUR{'9' * 20},00\n"
    )
    code, out, err = run(capsys, "bank", "--ledger", ledger, mt940)
    assert code == 1 and "big.sta" in out + err


def test_a_replaced_pseudonym_key_and_a_copy_onto_the_key_are_refused(capsys, tmp_path):
    ledger = tmp_path / "l.duckdb"
    make_ledger(ledger, [("A", "K1", "2025-01-01", "2025-01-31", 100)]).close()
    key = Path(str(ledger) + ".pseudonym-key")
    err = refused(capsys, "share", "--ledger", ledger, "--out", key)
    assert "that is the pseudonym key" in err
    key.write_text("not a key\n")
    err = refused(capsys, "share", "--ledger", ledger, "--aliases")
    assert "not a pseudonym key" in err and "Restore it from a backup" in err


# ------------------------------------------------------------------ refused but valid


def test_typed_dates_and_midnight_timestamps_are_dates(tmp_path):
    frame = pd.DataFrame(
        {
            "invoice_id": ["A", "B"],
            "client_id": ["K1", "K1"],
            "invoice_date": pd.to_datetime(["2024-06-01", "2024-06-02"]),
            "due_date": [dt.date(2024, 7, 1), dt.date(2024, 7, 2)],
            "amount": [Decimal("10.00"), Decimal("20.00")],
        }
    )
    assert load(tmp_path / "a.duckdb", frame).rows_loaded == 2
    frame.to_parquet(tmp_path / "h.parquet")
    assert load(tmp_path / "b.duckdb", tmp_path / "h.parquet").rows_loaded == 2
    con = open_ledger(tmp_path / "b.duckdb", read_only=True)
    assert con.execute("SELECT min(invoice_date) FROM invoices").fetchall() == [
        (dt.date(2024, 6, 1),)
    ]


def test_utf16_and_windows_text_after_64_kb_are_read(tmp_path):
    utf16 = tmp_path / "unicode.csv"
    utf16.write_bytes(f"{HEADER},client_name\n{GOOD},Café\n".encode("utf-16"))
    assert load(tmp_path / "a.duckdb", utf16).rows_loaded == 1
    late = tmp_path / "late.csv"
    rows = "".join(f"A{i},K1,2025-01-01,2025-01-31,1.00,plain\n" for i in range(3000))
    late.write_bytes(
        f"{HEADER},client_name\n{rows}".encode()
        + "Z,K2,2025-01-01,2025-01-31,1.00,Müller\n".encode("cp1252")
    )
    assert load(tmp_path / "b.duckdb", late).rows_loaded == 3001
    con = open_ledger(tmp_path / "b.duckdb", read_only=True)
    assert con.execute("SELECT name FROM clients WHERE client_id = 'K2'").fetchall() == [
        ("Müller",)
    ]


def test_a_corrected_term_recomputes_the_derived_due_date(tmp_path):
    ledger = tmp_path / "l.duckdb"
    text = f"{HEADER},payment_term_days\nA,K1,2025-01-01,,100.00,{{}}\n"
    for term in (60, 14):
        path = tmp_path / f"t{term}.csv"
        path.write_text(text.format(term))
        load(ledger, path)
    con = open_ledger(ledger, read_only=True)
    assert con.execute("SELECT due_date FROM invoices").fetchall() == [(dt.date(2025, 1, 15),)]


# ------------------------------------------------------------------ safe outputs


HOSTILE = "Acme BV\r=cmd|' /C calc'!A0"
SCRIPT = "<script>alert(1)</script>"


def test_exports_and_tables_are_safe_with_hostile_names(tmp_path):
    from dunning_analytics.present.charts import money_table
    from dunning_analytics.present.exports import write_table

    frame = pd.DataFrame({"name": [HOSTILE, SCRIPT, "=1+1"], "amount": [1.0, 2.0, 3.0]})
    with open(write_table(frame, tmp_path / "t.csv"), newline="") as fh:
        names = [row["name"] for row in csv.DictReader(fh)]
    assert names == ["Acme BV\r'=cmd|' /C calc'!A0", SCRIPT, "'=1+1"]
    raw = (tmp_path / "t.csv").read_bytes()
    # a reader that splits on every CR still never sees a line starting with =
    assert not any(line.startswith(b"=") for line in re.split(rb"[\r\n]+", raw))
    book = openpyxl.load_workbook(write_table(frame, tmp_path / "t.xlsx"))
    assert [c.value for c in book.active["A"]][2:] == names  # after the title and header
    html = money_table(pd.DataFrame({"name": [SCRIPT], "outstanding": [1.0]}), ["outstanding"])
    assert SCRIPT not in html.to_html() and "&lt;script&gt;" in html.to_html()


def test_the_calendar_keeps_a_hostile_client_inside_its_event(tmp_path):
    import icalendar

    from dunning_analytics.present.exports import write_ics
    from dunning_analytics.questions.dunning import call_plan

    ledger = tmp_path / "l.duckdb"
    con = make_ledger(
        ledger,
        [("A", "K1", "2025-04-01", "2025-05-01", 1000)],
        contacts=[("r1", "K1", "A", "2025-05-02 10:00", "reminder")],
    )
    evil = "K1\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:injected"
    con.execute("UPDATE invoices SET client_id = ?", [evil])
    con.execute("UPDATE contacts SET client_id = ?", [evil])
    con.execute(
        "UPDATE clients SET client_id = ?, name = ? WHERE client_id = 'K1'", [evil, HOSTILE]
    )
    planned, _ = call_plan(con, dt.date(2025, 6, 16))
    assert planned
    text = write_ics(planned, tmp_path / "calls.ics").read_bytes()
    calendar = icalendar.Calendar.from_ical(text)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == len(planned) and "injected" not in str(events[0]["summary"])
    assert b"\r\nSUMMARY:injected" not in text


def test_a_shared_copy_carries_no_invoice_numbers_or_file_names(tmp_path):
    from dunning_analytics.ledger.privacy import pseudonymised_copy

    ledger = tmp_path / "l.duckdb"
    source = tmp_path / "bakkerij_jansen_facturen.csv"
    source.write_text(
        "invoice_id,client_id,invoice_date,due_date,amount,paid_date\n"
        "JANSEN01-2024-001,JANSEN01,2024-01-01,2024-01-31,100.00,2024-02-10\n"
    )
    load(ledger, source)
    out = pseudonymised_copy(ledger, tmp_path / "shared.duckdb")
    con = duckdb.connect(str(out), read_only=True)
    dump = " ".join(
        str(v)
        for table in ("invoices", "payments", "loads", "clients")
        for row in con.execute(f"SELECT * FROM {table}").fetchall()
        for v in row
    )
    assert "JANSEN" not in dump.upper() and "bakkerij" not in dump
    # the same invoice keeps one alias across tables
    assert con.execute(
        "SELECT count(*) FROM payments JOIN invoices USING (invoice_id)"
    ).fetchall() == [(1,)]
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_a_bank_booking_in_the_year_9999_is_refused(capsys, tmp_path):
    camt = (DATA / "bank" / "camt053_2026-10.xml").read_text(encoding="utf-8")
    bad = tmp_path / "camt_9999.xml"
    bad.write_text(re.sub(r"(<BookgDt>\s*<Dt>)[^<]+", r"\g<1>9999-12-31", camt, count=1))
    assert "9999-12-31" in bad.read_text()
    code, out, err = run(capsys, "bank", "--ledger", tmp_path / "l.duckdb", bad)
    assert code == 1 and "'9999-12-31': no valid booking date" in out + err


def test_a_bom_and_a_header_without_rows_are_read_as_what_they_are(capsys, tmp_path):
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + f'{HEADER}\nA,K1,01-02-2025,2025-03-01,"1.234,56"\n'.encode())
    code, out, _ = run(capsys, "load", "--quiet", "--ledger", tmp_path / "l.duckdb", bom)
    assert code == 0 and "1 rows read, 1 loaded" in out
    con = open_ledger(tmp_path / "l.duckdb", read_only=True)
    assert con.execute("SELECT amount FROM invoices").fetchall() == [(Decimal("1234.56"),)]
    con.close()
    empty = tmp_path / "header_only.csv"
    empty.write_text(f"{HEADER}\n")
    code, out, _ = run(capsys, "load", "--quiet", "--ledger", tmp_path / "l.duckdb", empty)
    assert code == 0 and "0 rows read, 0 loaded" in out
