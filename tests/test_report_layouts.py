"""Files as report exports write them (#33): title and filter rows above the header, a totals
row below, `code - name` relations, a heading twice and a heading merged over two columns."""

import datetime as dt
from decimal import Decimal

import openpyxl
import pytest

from dunning_analytics import LoadError, load
from dunning_analytics.cli import main
from dunning_analytics.ingest.reading import read_source
from dunning_analytics.ledger import connected

# Exact Online's "Openstaande posten debiteuren" exported to Excel and saved as CSV: a block
# of title and filter rows, the header, the items, a totals row (SOURCES.md)
TITLE_ROWS = [
    ["Openstaande posten debiteuren"],
    ["Administratie: 123 - Voorbeeld Advies B.V."],
    ["Afgedrukt op: 03-12-2026 16:20"],
    [],
    ["Rapportagedatum:", "t/m 30-11-2026"],
    ["Relatie:", "Alle"],
    ["Valuta:", "EUR"],
    ["Status:", "Openstaand"],
    [],
]
HEADER = ["Relatie", "Bkst.nr.", "Uw ref.", "Datum", "Vervaldatum", "Omschrijving", "Bedrag"]
ITEMS = [
    ["1003 - Bakkerij Jansen B.V.", "26100035", "PO-881", "15-09-2026", "29-09-2026",
     "Advies september", "4.537,50"],
    ["1003 - Bakkerij Jansen B.V.", "26100041", "", "01-10-2026", "31-10-2026",
     "Advies oktober", "1.210,00"],
    ["1010 - Total Energies Nederland", "26100050", "", "12-10-2026", "11-11-2026",
     "Workshop", "302,50"],
    ["2001 - Stichting Groen Dorp", "26100052", "", "20-10-2026", "19-11-2026",
     "Creditnota workshop", "-121,00"],
]  # fmt: skip
TOTALS = ["Totaal", "", "", "", "", "", "5.929,00"]
MAPPING = [
    "--map", "invoice_id=Bkst.nr.", "--map", "client_id=Relatie", "--map", "invoice_date=Datum",
    "--map", "due_date=Vervaldatum", "--map", "amount=Bedrag",
]  # fmt: skip


def rows(ledger, sql):
    with connected(ledger, read_only=True) as con:
        return con.execute(sql).fetchall()


def write_csv(path, lines):
    path.write_text("\n".join(";".join(cells) for cells in lines) + "\n", encoding="utf-8")
    return path


def check_loaded(ledger, out, totals_line):
    assert rows(ledger, "SELECT client_id, name FROM clients ORDER BY 1") == [
        ("1003", "Bakkerij Jansen B.V."),
        ("1010", "Total Energies Nederland"),
        ("2001", "Stichting Groen Dorp"),
    ]
    assert rows(ledger, "SELECT invoice_id, client_id, due_date, amount FROM invoices ORDER BY 1")[
        :2
    ] == [
        ("26100035", "1003", dt.date(2026, 9, 29), Decimal("4537.50")),
        ("26100041", "1003", dt.date(2026, 10, 31), Decimal("1210.00")),
    ]
    assert rows(ledger, "SELECT sum(amount), count(*) FROM invoices") == [(Decimal("5929.00"), 4)]
    assert (
        f"Rows skipped, not loaded: 1 (line {totals_line}: a totals or footer row ('Totaal'," in out
    )


def test_a_report_csv_with_title_rows_relations_and_a_totals_row_loads(tmp_path, capsys):
    path = write_csv(tmp_path / "openstaande posten.csv", TITLE_ROWS + [HEADER] + ITEMS + [TOTALS])
    ledger = tmp_path / "l.duckdb"
    assert main(["load", "--ledger", str(ledger), str(path), *MAPPING]) == 0
    check_loaded(ledger, capsys.readouterr().out, totals_line=len(TITLE_ROWS) + len(ITEMS) + 2)


def test_the_same_report_as_excel_with_a_merged_amount_heading(tmp_path, capsys):
    """Exact Online's Excel: `Bedrag (Debet / Credit)` merged over the debit and credit
    columns; the first is `Bedrag (Debet / Credit)`, the second `... (2)`."""
    book = openpyxl.Workbook()
    sheet = book.active
    for line in TITLE_ROWS:
        sheet.append(line or [None])
    sheet.append(HEADER[:-1] + ["Bedrag (Debet / Credit)", None])
    row = len(TITLE_ROWS) + 1
    sheet.merge_cells(start_row=row, start_column=7, end_row=row, end_column=8)
    for item in ITEMS[:3]:  # invoices: their amounts in the debit column
        amount = float(item[-1].replace(".", "").replace(",", "."))
        dates = [dt.datetime.strptime(d, "%d-%m-%Y") for d in item[3:5]]
        sheet.append([*item[:3], *dates, item[5], amount, None])
    sheet.append(["Totaal", None, None, None, None, None, 6050.00, None])
    path = tmp_path / "openstaande posten.xlsx"
    book.save(path)
    ledger = tmp_path / "l.duckdb"
    mapping = [m.replace("amount=Bedrag", "amount=Bedrag (Debet / Credit)") for m in MAPPING]
    assert main(["load", "--ledger", str(ledger), str(path), *mapping]) == 0
    out = capsys.readouterr().out
    assert rows(ledger, "SELECT invoice_id, client_id, invoice_date, amount FROM invoices") == [
        ("26100035", "1003", dt.date(2026, 9, 15), Decimal("4537.50")),
        ("26100041", "1003", dt.date(2026, 10, 1), Decimal("1210.00")),
        ("26100050", "1010", dt.date(2026, 10, 12), Decimal("302.50")),
    ]
    assert rows(ledger, "SELECT name FROM clients WHERE client_id = '1010'") == [
        ("Total Energies Nederland",)
    ]
    assert f"line {row + 4}: a totals or footer row ('Totaal'" in out
    # the merged heading names both its columns; the title rows are no columns
    header = read_source(path, is_header=lambda names: "Bkst.nr." in names).table.column_names
    assert header == HEADER[:-1] + ["Bedrag (Debet / Credit)", "Bedrag (Debet / Credit) (2)"]


def test_a_heading_twice_is_addressed_by_position(tmp_path):
    """Twinfield's debtor card writes `Naam` twice (the journal's, then the debtor's)."""
    path = write_csv(
        tmp_path / "kaart.csv",
        [
            ["Dagboek", "Naam", "Debiteur", "Naam", "Factuurnr.", "Boekdatum", "Euro"],
            ["VRK", "Verkoopboek", "1003", "Bakkerij Jansen B.V.", "2026-041", "01-10-2026",
             "1.210,00"],
        ],
    )  # fmt: skip
    ledger = tmp_path / "l.duckdb"
    base = {
        "client_id": "Debiteur",
        "invoice_id": "Factuurnr.",
        "invoice_date": "Boekdatum",
        "amount": "Euro",
    }
    load(ledger, path, mapping={**base, "client_name": "Naam (2)"})
    assert rows(ledger, "SELECT client_id, name FROM clients") == [("1003", "Bakkerij Jansen B.V.")]


def test_a_keyless_row_between_items_is_refused_not_skipped(tmp_path):
    """Only rows after the last invoice, or labelled as totals, are footers: an item that
    lost its number in the middle of the list is refused with its line."""
    middle = ["1003 - Bakkerij Jansen B.V.", "", "", "05-10-2026", "04-11-2026", "Advies", "99,00"]
    path = write_csv(tmp_path / "r.csv", TITLE_ROWS + [HEADER, ITEMS[0], middle, ITEMS[1], TOTALS])
    ledger = tmp_path / "l.duckdb"
    mapping = dict(m.split("=", 1) for m in MAPPING[1::2])
    with pytest.raises(LoadError) as refused:
        load(ledger, path, mapping=mapping)
    assert f"r.csv:{len(TITLE_ROWS) + 3}: column 'Bkst.nr.'" in str(refused.value)
    assert not ledger.exists()


def test_a_column_of_names_with_a_dash_is_not_split(tmp_path):
    path = write_csv(
        tmp_path / "n.csv",
        [
            ["invoice_id", "client_id", "invoice_date", "amount"],
            ["1", "Jansen - de Vries Advocaten", "01-10-2026", "100,00"],
            ["2", "1003 - Bakkerij Jansen B.V.", "01-10-2026", "100,00"],
        ],
    )
    ledger = tmp_path / "l.duckdb"
    load(ledger, path)
    assert rows(ledger, "SELECT client_id FROM clients ORDER BY 1") == [
        ("1003 - Bakkerij Jansen B.V.",),
        ("Jansen - de Vries Advocaten",),
    ]
