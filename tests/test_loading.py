"""Loading invoice history: formats, mappings, bad input, reloads."""

import datetime as dt
from decimal import Decimal

import duckdb
import pandas as pd
import pytest

from dunning_analytics import LoadError, load
from dunning_analytics.ledger import LedgerLockedError, open_ledger

HISTORY = """invoice;client;date;due;amount;paid;disputed
0001;K1;03-01-2025;02-02-2025;€ 1.234,56;05-02-2025;nee
0002;K1;10-01-2025;09-02-2025;99,95;;ja
0003;K2;2025-01-15;2025-02-14;-12,50;;no
"""
MAP = {
    "invoice_id": "invoice",
    "client_id": "client",
    "invoice_date": "date",
    "due_date": "due",
    "amount": "amount",
    "paid_date": "paid",
    "disputed": "disputed",
}


def rows(path, sql):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_dutch_csv_semicolon_euro_amounts_dates_and_booleans(ledger, write):
    result = load(ledger, write("h.csv", HISTORY), mapping=MAP)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (3, 3, 0)
    got = rows(ledger, "SELECT invoice_id, invoice_date, amount, disputed FROM invoices ORDER BY 1")
    assert got == [
        ("0001", dt.date(2025, 1, 3), Decimal("1234.56"), False),
        ("0002", dt.date(2025, 1, 10), Decimal("99.95"), True),
        ("0003", dt.date(2025, 1, 15), Decimal("-12.50"), False),
    ]
    assert rows(ledger, "SELECT payment_id, paid_date, amount FROM payments") == [
        ("paid:0001", dt.date(2025, 2, 5), Decimal("1234.56"))
    ]
    load_row = rows(ledger, "SELECT file_name, length(sha256), rows_read, rows_loaded FROM loads")
    assert load_row == [("h.csv", 64, 3, 3)]


def test_comma_csv_with_dot_decimals_and_thousands(ledger, write):
    text = (
        "invoice_id,client_id,invoice_date,amount\n"
        'A1,K1,2025-03-01,"1,234.50"\n'
        "A2,K1,2025-03-02,12.5\n"
    )
    load(ledger, write("c.csv", text))
    assert rows(ledger, "SELECT amount FROM invoices ORDER BY invoice_id") == [
        (Decimal("1234.50"),),
        (Decimal("12.50"),),
    ]


def test_date_format_option(ledger, write):
    text = "invoice_id,client_id,invoice_date,due_date,amount\nA1,K1,1/2/2013,2/1/2013,5.00\n"
    load(ledger, write("us.csv", text), date_format="%m/%d/%Y")
    assert rows(ledger, "SELECT invoice_date, due_date FROM invoices") == [
        (dt.date(2013, 1, 2), dt.date(2013, 2, 1))
    ]


def test_all_or_nothing_lists_every_bad_row_and_changes_nothing(ledger, write):
    load(ledger, write("good.csv", HISTORY), mapping=MAP)
    before = rows(ledger, "SELECT count(*) FROM invoices")
    bad = (
        "invoice;client;date;due;amount;paid;disputed\n"
        "0010;K1;31-02-2025;;10,00;;nee\n"  # no such date
        "0011;K1;01-03-2025;;tien;;nee\n"  # not a number
        ";K1;01-03-2025;;10,00;;nee\n"  # missing invoice id
        "0012;K1;01-03-2025;01-02-2025;10,00;;nee\n"  # due before invoice
        "0013;K1;01-03-2025;;10,00;;misschien\n"  # not a boolean
        "0014;;01-03-2025;;10,00;;nee\n"  # missing client
        "0015;K1;01-03-2025;;10,00;;nee\n"  # fine
    )
    with pytest.raises(LoadError) as caught:
        load(ledger, write("bad.csv", bad), mapping=MAP)
    found = {(r.line, r.column, r.value) for r in caught.value.rejections}
    assert found == {
        (2, "date", "31-02-2025"),
        (3, "amount", "tien"),
        (4, "invoice", None),
        (5, "due", "01-02-2025"),
        (6, "disputed", "misschien"),
        (7, "client", None),
    }
    reasons = {r.line: r.reason for r in caught.value.rejections}
    assert "not a date" in reasons[2]
    assert "not an amount" in reasons[3]
    assert reasons[4] == "missing invoice id"
    assert "before invoice date" in reasons[5]
    assert all(r.file == "bad.csv" for r in caught.value.rejections)
    assert "bad.csv:3: column 'amount' value 'tien'" in str(caught.value)
    assert rows(ledger, "SELECT count(*) FROM invoices") == before
    assert rows(ledger, "SELECT count(*) FROM loads") == [(1,)]


def test_same_invoice_twice_with_different_contents_is_refused(ledger, write):
    text = (
        "invoice_id,client_id,invoice_date,amount\n"
        "A1,K1,2025-03-01,10.00\n"
        "A1,K1,2025-03-01,10.00\n"  # identical repeat: harmless
        "B1,K1,2025-03-01,10.00\n"
        "B1,K1,2025-03-01,11.00\n"
    )
    with pytest.raises(LoadError) as caught:
        load(ledger, write("dup.csv", text))
    assert sorted(r.line for r in caught.value.rejections) == [4, 5]
    assert "different contents" in caught.value.rejections[0].reason


def test_skip_bad_rows_loads_the_rest_and_records_rejections(ledger, write):
    text = "invoice_id,client_id,invoice_date,amount\nA1,K1,2025-03-01,10.00\nA2,K1,someday,5\n"
    result = load(ledger, write("mixed.csv", text), skip_bad_rows=True)
    assert (result.rows_loaded, result.rows_rejected) == (1, 1)
    assert rows(ledger, 'SELECT file_name, line, "column", value FROM rejected_rows') == [
        ("mixed.csv", 3, "invoice_date", "someday")
    ]


def test_row_with_wrong_number_of_fields_is_reported_not_dropped(ledger, write):
    text = "invoice_id,client_id,invoice_date,amount\nA1,K1,2025-03-01,10.00\nA2,K1\n"
    with pytest.raises(LoadError) as caught:
        load(ledger, write("short.csv", text))
    assert [r.line for r in caught.value.rejections] == [3]
    assert "expected 4 fields" in caught.value.rejections[0].reason


def test_payment_for_unknown_invoice_is_refused(ledger, write):
    load(ledger, write("h.csv", HISTORY), mapping=MAP)
    text = "invoice_id,paid_date,amount\n0002,2025-03-01,99.95\n9999,2025-03-01,10.00\n"
    with pytest.raises(LoadError) as caught:
        load(ledger, write("p.csv", text), kind="payments")
    assert [(r.line, r.column, r.value) for r in caught.value.rejections] == [
        (3, "invoice_id", "9999")
    ]
    assert "unknown invoice" in caught.value.rejections[0].reason


def test_reloading_the_same_file_changes_nothing(ledger, write):
    path = write("h.csv", HISTORY)
    load(ledger, path, mapping=MAP)
    contents = "SELECT * EXCLUDE (source_load) FROM invoices ORDER BY invoice_id"
    snapshot = rows(ledger, contents)
    again = load(ledger, path, mapping=MAP)
    assert again.already_loaded
    forced = load(ledger, path, mapping=MAP, force=True)
    assert (forced.rows_loaded, forced.rows_updated, forced.rows_unchanged) == (0, 0, 3)
    assert rows(ledger, contents) == snapshot
    assert rows(ledger, "SELECT count(*) FROM payments") == [(1,)]


def test_newer_export_fills_in_paid_date_and_says_so(ledger, write):
    load(ledger, write("h.csv", HISTORY), mapping=MAP)
    newer = HISTORY.replace(
        "0002;K1;10-01-2025;09-02-2025;99,95;;ja",
        "0002;K1;10-01-2025;09-02-2025;99,95;20-02-2025;ja",
    )
    result = load(ledger, write("h2.csv", newer), mapping=MAP)
    assert (result.rows_loaded, result.rows_updated, result.rows_unchanged) == (0, 1, 2)
    assert rows(ledger, "SELECT days_late FROM invoice_settlement WHERE invoice_id = '0002'") == [
        (11,)
    ]


def test_missing_due_date_is_derived_and_recorded(ledger, write):
    clients = "client_id,name,payment_term_days\nK1,Bakkerij Jansen,14\n"
    load(ledger, write("clients.csv", clients), kind="clients")
    text = (
        "invoice_id,client_id,invoice_date,amount\nA1,K1,2025-03-01,10.00\nA2,K9,2025-03-01,10.00\n"
    )
    result = load(ledger, write("i.csv", text))
    assert result.due_dates_derived == {"client_term": 1, "default_30_days": 1}
    assert "Due dates derived" in result.summary()
    assert rows(
        ledger, "SELECT invoice_id, due_date, due_date_source FROM invoices ORDER BY 1"
    ) == [
        ("A1", dt.date(2025, 3, 15), "client_term"),
        ("A2", dt.date(2025, 3, 31), "default_30_days"),
    ]


def test_excel_input(ledger, tmp_path):
    frame = pd.DataFrame(
        {
            "Factuurnummer": ["007", "008"],
            "Klant": ["K1", "K2"],
            "Factuurdatum": [dt.datetime(2025, 1, 5), dt.datetime(2025, 2, 5)],
            "Bedrag": [1234.56, 10.1],
            "Betaald": [dt.datetime(2025, 2, 1), None],
        }
    )
    path = tmp_path / "export.xlsx"
    frame.to_excel(path, index=False)
    mapping = {
        "invoice_id": "Factuurnummer",
        "client_id": "Klant",
        "invoice_date": "Factuurdatum",
        "amount": "Bedrag",
        "paid_date": "Betaald",
    }
    result = load(ledger, path, mapping=mapping)
    assert result.rows_loaded == 2
    assert rows(ledger, "SELECT invoice_id, invoice_date, amount FROM invoices ORDER BY 1") == [
        ("007", dt.date(2025, 1, 5), Decimal("1234.56")),
        ("008", dt.date(2025, 2, 5), Decimal("10.10")),
    ]
    assert rows(ledger, "SELECT paid_date FROM payments") == [(dt.date(2025, 2, 1),)]


def test_excel_bad_cell_reports_sheet_row(ledger, tmp_path):
    frame = pd.DataFrame(
        {
            "invoice_id": ["1", "2"],
            "client_id": ["K", "K"],
            "invoice_date": ["2025-01-01", "gisteren"],
            "amount": [1, 2],
        }
    )
    path = tmp_path / "bad.xlsx"
    frame.to_excel(path, index=False)
    with pytest.raises(LoadError) as caught:
        load(ledger, path)
    assert [(r.file, r.line, r.column, r.value) for r in caught.value.rejections] == [
        ("bad.xlsx", 3, "invoice_date", "gisteren")
    ]


def test_parquet_and_dataframe_input(ledger, tmp_path):
    frame = pd.DataFrame(
        {
            "invoice_id": ["P1", "P2"],
            "client_id": ["K1", "K1"],
            "invoice_date": [dt.date(2025, 1, 1), dt.date(2025, 1, 2)],
            "amount": [Decimal("10.00"), Decimal("20.00")],
            "paid_date": [dt.date(2025, 1, 20), None],
        }
    )
    path = tmp_path / "h.parquet"
    frame.to_parquet(path)
    assert load(ledger, path).rows_loaded == 2
    frame["invoice_id"] = ["D1", "D2"]
    result = load(ledger, frame)
    assert (result.file_name, result.rows_loaded) == ("<DataFrame>", 2)
    assert rows(ledger, "SELECT count(*), sum(amount) FROM invoices") == [(4, Decimal("60.00"))]


def test_mapping_file_and_wrong_mapping_message(ledger, write):
    mapping = write(
        "map.toml",
        '[map]\ninvoice_id = "Nr"\nclient_id = "Klant"\n'
        'invoice_date = "Datum"\namount = "Bedrag"\n',
    )
    text = "Nr;Klant;Datum;Bedrag\n1;K;01-01-2025;5,00\n"
    from dunning_analytics.ingest.loading import read_mapping_file

    load(ledger, write("x.csv", text), mapping=read_mapping_file(mapping))
    with pytest.raises(LoadError) as caught:
        load(ledger, write("y.csv", text), mapping={"invoice_id": "Factuur"})
    assert "Factuur" in str(caught.value) and "Columns found: Nr, Klant, Datum, Bedrag" in str(
        caught.value
    )


def test_separate_payments_and_contacts_files(ledger, write):
    load(ledger, write("h.csv", HISTORY), mapping=MAP)
    payments = (
        "client_id,invoice_id,paid_date,amount\nK1,0002,2025-02-10,50.00\nK1,,2025-02-12,20.00\n"
    )
    result = load(ledger, write("p.csv", payments), kind="payments")
    assert result.rows_loaded == 2
    assert load(ledger, write("p.csv", payments), kind="payments", force=True).rows_loaded == 0
    contacts = (
        "invoice_id,contact_at,channel,kind,promised_date,promised_amount\n"
        "0002,2025-02-12 10:00,phone,promise_to_pay,2025-02-20,49.95\n"
    )
    load(ledger, write("c.csv", contacts), kind="contacts")
    assert rows(ledger, "SELECT client_id, kind, promised_amount FROM contacts") == [
        ("K1", "promise_to_pay", Decimal("49.95"))
    ]
    with pytest.raises(LoadError, match="contact kind must be one of"):
        load(ledger, write("c2.csv", contacts.replace("promise_to_pay", "gossip")), kind="contacts")


def test_locked_ledger_message(ledger, tmp_path):
    import subprocess
    import sys
    import textwrap

    open_ledger(ledger).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import duckdb, sys, time
            con = duckdb.connect({str(ledger)!r})
            print("ready", flush=True)
            time.sleep(30)
        """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(LedgerLockedError, match=f"in use by process {holder.pid}") as info:
            open_ledger(ledger)
        # which process, that a notebook holding it read-only blocks too, and what to do
        assert "python" in str(info.value) and "even read-only" in str(info.value)
        assert "restart that notebook's kernel" in str(info.value)
    finally:
        holder.kill()
        holder.wait()


def test_cp1252_file_with_bom_free_header(ledger, write):
    text = (
        "invoice_id;client_id;client_name;invoice_date;amount\n1;K;Café Überweg;01-01-2025;5,00\n"
    )
    load(ledger, write("w.csv", text, encoding="cp1252"))
    assert rows(ledger, "SELECT name FROM clients") == [("Café Überweg",)]


def test_a_file_staged_in_parts_keeps_every_row_and_its_line(ledger, write, monkeypatch):
    """The file's text moves into DuckDB a part at a time (to hold it once, not twice): with
    parts of two rows, every good row is loaded with its values and a bad row in the third
    part is still reported by its own line, column and value."""
    from dunning_analytics.ingest import loading

    monkeypatch.setattr(loading, "COPY_ROWS", 2)
    lines = [f"A{n},K{n % 3},2025-03-{n:02d},{n}.50" for n in range(1, 8)]
    lines[5] = "A6,K0,2025-03-06,zes"  # line 7 of the file, the third part
    text = "invoice_id,client_id,invoice_date,amount\n" + "\n".join(lines) + "\n"
    with pytest.raises(LoadError) as caught:
        load(ledger, write("parts.csv", text))
    assert [(r.line, r.column, r.value) for r in caught.value.rejections] == [(7, "amount", "zes")]
    result = load(ledger, write("parts.csv", text), skip_bad_rows=True)
    assert (result.rows_loaded, result.rows_rejected) == (6, 1)
    assert rows(ledger, "SELECT invoice_id, client_id, invoice_date, amount FROM invoices "
                "ORDER BY invoice_date") == [
        (f"A{n}", f"K{n % 3}", dt.date(2025, 3, n), Decimal(f"{n}.50")) for n in (1, 2, 3, 4, 5, 7)
    ]  # fmt: skip
