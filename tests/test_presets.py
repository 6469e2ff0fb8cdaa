"""Presets for accounting package exports: one sample file per package, and the wrong preset."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from dunning_analytics import LoadError, load
from dunning_analytics.cli import main
from dunning_analytics.ingest.presets import available_presets, load_preset
from dunning_analytics.ledger import connected
from dunning_analytics.questions.aging import aging
from dunning_analytics.questions.dunning import worklist

EXPORTS = Path(__file__).resolve().parent / "data" / "exports"
EXPORT_DATE = dt.date(2026, 10, 31)


def table(ledger, sql):
    with connected(ledger, read_only=True) as con:
        return con.execute(sql).fetchall()


def open_total(ledger, as_of=EXPORT_DATE):
    with connected(ledger, read_only=True) as con:
        frame = aging(con, as_of, by="client")
    return sum(frame["outstanding"], Decimal(0))


# every shipped preset and the test file written in its source's layout (SOURCES.md)
PRESET_FILES = {
    "afas": "afas_openstaande_posten.csv",
    "e_boekhouden": "e_boekhouden_facturen.csv",
    "e_boekhouden_open_posten": "e_boekhouden_open_posten.csv",
    "exact_online": "(the Excel report, written by exact_report below)",
    "exact_online_receivables": "exact_online_cashflow_receivables.json",
    "exact_online_receivables_list": "exact_online_receivables_list.csv",
    "moneybird": "moneybird_sales_invoices.json",
    "snelstart": "snelstart_verkoopfacturen.json",
    "snelstart_relaties": "snelstart_relaties.json",
    "twinfield": "(the debtor card, written by twinfield_card below)",
    "visma_eaccounting": "visma_customerledgeritems.json",
    "wefact": "wefact_invoices.json",
    "yuki": "yuki_outstanding_debtor_items.csv",
}


def test_every_shipped_preset_has_a_file_in_its_layout_and_says_what_to_export():
    presets = available_presets()
    assert set(presets) == set(PRESET_FILES)
    for key in presets:
        preset = load_preset(key)
        assert preset.menu, f"{key} does not say what to export"
        assert preset.limits, f"{key} says nothing about what its export cannot tell"
        if preset.kind == "history":
            assert {"invoice_id", "client_id", "invoice_date", "amount"} <= set(preset.columns)
        if not PRESET_FILES[key].startswith("("):
            assert (EXPORTS / PRESET_FILES[key]).is_file(), key


def payments(ledger):
    return table(ledger, "SELECT invoice_id, paid_date, amount FROM payments ORDER BY 1, 2")


def test_exact_online_receivables_list(ledger):
    path = EXPORTS / "exact_online_receivables_list.csv"
    result = load(ledger, path, preset="exact_online_receivables_list")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (4, 4, 0)
    assert table(ledger, "SELECT client_id, name FROM clients ORDER BY 1") == [
        ("1001", "Bakkerij de Vries B.V."),
        ("1002", "Klussenbedrijf Oost"),
        ("1003", "Stichting Groen Dorp"),
    ]
    assert table(
        ledger, "SELECT invoice_date, due_date, amount FROM invoices WHERE invoice_id = '26100035'"
    ) == [(dt.date(2026, 9, 15), dt.date(2026, 9, 29), Decimal("4537.50"))]
    # an open-items list: nothing paid, everything in it is open (the credit note too)
    assert payments(ledger) == []
    assert open_total(ledger) == Decimal("1210.00") + Decimal("302.50") + Decimal(
        "4537.50"
    ) - Decimal("121.00")
    assert "What this Exact Online API (ReceivablesList) export cannot tell:" in result.summary()


def exact_report(path: Path) -> Path:
    """Exact Online's report Openstaande posten debiteuren as its Excel export: title and
    filter rows, `Bedrag (Debet / Credit)` merged over two columns, `code - name`
    relations, a totals row."""
    book = openpyxl.Workbook()
    sheet = book.active
    for line in (
        ["Openstaande posten debiteuren"],
        ["Administratie: 123 - Voorbeeld Advies B.V."],
        [None],
        ["Datum t/m:", "31-10-2026"],
        ["Relatie:", "Alle"],
        ["Valuta:", "EUR"],
        ["Afgedrukt op:", "31-10-2026 17:02"],
        [None],
    ):
        sheet.append(line)
    sheet.append(["Relatie", "Bkst.nr.", "Datum", "Vervaldatum", "Omschrijving",
                  "Bedrag (Debet / Credit)", None])  # fmt: skip
    sheet.merge_cells(start_row=9, start_column=6, end_row=9, end_column=7)
    day = dt.datetime
    for row in (
        ["1001 - Bakkerij de Vries B.V.", "26100031", day(2026, 9, 2), day(2026, 10, 2),
         "Website onderhoud", 1210.00, None],
        ["1002 - Klussenbedrijf Oost", "26100035", day(2026, 9, 15), day(2026, 9, 29),
         "Verbouwing fase 2", 4537.50, None],
        ["1003 - Stichting Groen Dorp", "26100038", day(2026, 9, 24), day(2026, 10, 24),
         "Creditnota 26100012", None, 121.00],
        ["Totaal", None, None, None, None, 5747.50, 121.00],
    ):  # fmt: skip
        sheet.append(row)
    book.save(path)
    return path


def test_exact_online_report_export(ledger, tmp_path):
    path = exact_report(tmp_path / "Openstaande posten debiteuren.xlsx")
    result = load(ledger, path, preset="exact_online")
    assert (result.rows_loaded, result.rows_rejected) == (3, 0)
    assert [(r.line, r.value) for r in result.skipped_rows] == [(13, "Totaal")]
    assert table(
        ledger, "SELECT invoice_id, client_id, due_date, amount FROM invoices ORDER BY 1"
    ) == [
        ("26100031", "1001", dt.date(2026, 10, 2), Decimal("1210.00")),
        ("26100035", "1002", dt.date(2026, 9, 29), Decimal("4537.50")),
        ("26100038", "1003", dt.date(2026, 10, 24), Decimal("-121.00")),  # the credit column
    ]
    assert table(ledger, "SELECT name FROM clients WHERE client_id = '1002'") == [
        ("Klussenbedrijf Oost",)
    ]
    assert open_total(ledger) == Decimal("1210.00") + Decimal("4537.50") - Decimal("121.00")


def test_exact_online_api_receivables_with_paid_items(ledger):
    """cashflow/Receivables as JSON (OData wrapper, /Date(ms)/): an invoice fully paid has
    its LastPaymentDate as paid date; one with a part payment stays open in full."""
    result = load(ledger, EXPORTS / "exact_online_cashflow_receivables.json",
                  preset="exact_online_receivables")  # fmt: skip
    assert result.rows_loaded == 3
    assert table(
        ledger, "SELECT invoice_id, client_id, invoice_date, due_date FROM invoices ORDER BY 1"
    ) == [
        ("26100031", "1001", dt.date(2026, 9, 2), dt.date(2026, 10, 2)),
        ("26100035", "1002", dt.date(2026, 9, 15), dt.date(2026, 9, 29)),
        ("26100040", "1001", dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
    ]
    assert payments(ledger) == [("26100031", dt.date(2026, 10, 9), Decimal("1210.00"))]
    assert open_total(ledger) == Decimal("4537.50") + Decimal("302.50")


def test_moneybird_api_sales_invoices(ledger):
    """The API's JSON: the contact nested (its id is the client, its company name the
    name), amounts as strings, a partly paid invoice's paid part on the export date."""
    path = EXPORTS / "moneybird_sales_invoices.json"
    with pytest.raises(LoadError, match=r"partly paid \(lines 2\).*--export-date"):
        load(ledger, path, preset="moneybird")
    assert not ledger.exists()  # nothing was loaded: a failed first load leaves no file
    result = load(ledger, path, preset="Moneybird", export_date=EXPORT_DATE)
    assert (result.rows_loaded, result.paid_on_export_date) == (3, 1)
    assert payments(ledger) == [
        ("2026-0101", dt.date(2026, 9, 10), Decimal("1210.00")),
        ("2026-0102", EXPORT_DATE, Decimal("200.00")),
    ]
    # two contacts of the same name stay two clients
    assert table(ledger, "SELECT client_id, name FROM clients ORDER BY 1") == [
        ("389000000000000001", "Studio Noord"),
        ("389000000000000002", "Van Dam Advies"),
        ("389000000000000003", "Studio Noord"),
    ]
    assert open_total(ledger) == Decimal("405") + Decimal("363")
    with connected(ledger, read_only=True) as con:
        settled = con.execute(
            "SELECT days_late FROM invoice_settlement WHERE invoice_id = '2026-0101'"
        ).fetchall()
    assert settled == [(8,)]


def test_e_boekhouden_facturen_due_date_from_the_term(ledger):
    result = load(ledger, EXPORTS / "e_boekhouden_facturen.csv", preset="e_boekhouden",
                  export_date=EXPORT_DATE)  # fmt: skip
    assert (result.rows_loaded, result.left_out_paid, result.paid_on_export_date) == (2, 1, 1)
    assert table(ledger, "SELECT invoice_id, due_date, amount FROM invoices ORDER BY 1") == [
        ("F2026-031", dt.date(2026, 9, 19), Decimal("1452.00")),  # 05-09 + 14 days
        ("F2026-034", dt.date(2026, 10, 12), Decimal("3025.00")),  # 12-09 + 30 days
    ]
    assert payments(ledger) == [("F2026-034", EXPORT_DATE, Decimal("1000.00"))]
    assert open_total(ledger) == Decimal("1452.00") + Decimal("2025.00")


def test_e_boekhouden_open_posten_without_due_dates(ledger):
    result = load(
        ledger,
        EXPORTS / "e_boekhouden_open_posten.csv",
        preset="e_boekhouden_open_posten",
        export_date=EXPORT_DATE,
    )
    assert result.rows_loaded == 3
    assert result.due_dates_derived == {"client_term": 0, "default_30_days": 3}
    assert table(
        ledger, "SELECT due_date, due_date_source FROM invoices WHERE invoice_id = 'F2026-031'"
    ) == [(dt.date(2026, 10, 5), "default_30_days")]
    assert table(ledger, "SELECT name FROM clients WHERE client_id = 'DEB002'") == [
        ("Drukkerij Het Anker",)
    ]
    assert open_total(ledger) == Decimal("1452.00") + Decimal("2025.00") + Decimal("181.50")
    assert "30 days" in result.summary()


def test_snelstart_verkoopfacturen_with_their_relaties(ledger):
    result = load(ledger, EXPORTS / "snelstart_verkoopfacturen.json", preset="snelstart",
                  export_date=EXPORT_DATE)  # fmt: skip
    assert (result.rows_read, result.rows_loaded, result.left_out_paid) == (3, 2, 1)
    assert "1 invoices paid in full on a date the file does not give were left out" in (
        result.summary()
    )
    assert table(ledger, "SELECT invoice_id, invoice_date, due_date FROM invoices ORDER BY 1") == [
        ("20260202", dt.date(2026, 8, 14), dt.date(2026, 9, 13)),
        ("20260203", dt.date(2026, 10, 2), dt.date(2026, 11, 1)),
    ]
    assert payments(ledger) == [("20260202", EXPORT_DATE, Decimal("3000.00"))]
    assert open_total(ledger) == Decimal("3050.00") + Decimal("847.00")
    load(ledger, EXPORTS / "snelstart_relaties.json", preset="snelstart_relaties")
    assert table(ledger, "SELECT name, email, city FROM clients ORDER BY name") == [
        ("Architectenbureau Kade", None, "Amsterdam"),
        ("Hoveniersbedrijf Linde", "info@linde.example", "Utrecht"),
    ]


TWINFIELD_HEADER = [
    "Dagboek", "Naam", "Boekst.nr.", "Status", "Boekdatum", "Debiteur", "Naam", "Euro",
    "Openstaand bedrag", "Factuurnr.", "Vervaldatum", "Betaalstatus", "Betaalnr.",
    "Betaaldatum", "Wijzigingsdatum",
]  # fmt: skip


def twinfield_card(path: Path, open_label="Openstaand bedrag") -> Path:
    """Twinfield's Debiteurenkaart as its export writes it: the sales journal's invoices and
    the bank's lines on the same debtor card, `Naam` twice."""
    day = dt.datetime
    rows = [
        ["VRK", "Verkoopboek", 202600011, "Definitief", day(2026, 9, 1), "10010",
         "Transport Bos", 968.0, 0.0, "2026-0301", day(2026, 10, 1), "Betaald", 202600045,
         day(2026, 10, 8), day(2026, 10, 8)],
        ["BNK", "ING Bank", 202600045, "Definitief", day(2026, 10, 8), "10010",
         "Transport Bos", -968.0, 0.0, "2026-0301", None, "Betaald", 202600045,
         day(2026, 10, 8), day(2026, 10, 8)],
        ["VRK", "Verkoopboek", 202600014, "Definitief", day(2026, 9, 18), "10020",
         "Cafe De Zwaan", 1573.0, 573.0, "2026-0307", day(2026, 10, 2), "Beschikbaar", None,
         None, day(2026, 10, 20)],
        ["BNK", "ING Bank", 202600051, "Definitief", day(2026, 10, 20), "10020",
         "Cafe De Zwaan", -1000.0, 0.0, "2026-0307", None, "Beschikbaar", None, None,
         day(2026, 10, 20)],
        ["VRK", "Verkoopboek", 202600019, "Definitief", day(2026, 10, 6), "10020",
         "Cafe De Zwaan", 605.0, 605.0, "2026-0312", day(2026, 11, 5), "Beschikbaar", None,
         None, day(2026, 10, 6)],
    ]  # fmt: skip
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Debiteurenkaart"
    sheet.append([open_label if h == "Openstaand bedrag" else h for h in TWINFIELD_HEADER])
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


@pytest.mark.parametrize("open_label", ["Openstaand bedrag", "Openstaand"])
def test_twinfield_debtor_card(ledger, tmp_path, open_label):
    path = twinfield_card(tmp_path / "Debiteurenkaart.xlsx", open_label)
    result = load(ledger, path, preset="twinfield", export_date=EXPORT_DATE)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (5, 3, 0)
    assert [(r.line, r.value) for r in result.skipped_rows] == [(3, "BNK"), (5, "BNK")]
    assert table(ledger, "SELECT client_id, name FROM clients ORDER BY 1") == [
        ("10010", "Transport Bos"),  # the debtor's name, not the journal's
        ("10020", "Cafe De Zwaan"),
    ]
    assert table(ledger, "SELECT invoice_id, due_date, amount FROM invoices ORDER BY 1") == [
        ("2026-0301", dt.date(2026, 10, 1), Decimal("968.00")),
        ("2026-0307", dt.date(2026, 10, 2), Decimal("1573.00")),
        ("2026-0312", dt.date(2026, 11, 5), Decimal("605.00")),
    ]
    assert payments(ledger) == [
        ("2026-0301", dt.date(2026, 10, 8), Decimal("968.00")),  # Betaaldatum
        ("2026-0307", EXPORT_DATE, Decimal("1000.00")),  # a part payment not yet matched
    ]
    assert open_total(ledger) == Decimal("573.00") + Decimal("605.00")


def test_wefact_invoices(ledger):
    result = load(ledger, EXPORTS / "wefact_invoices.json", preset="wefact")
    assert result.rows_loaded == 2
    assert table(ledger, "SELECT invoice_id, client_id, due_date FROM invoices ORDER BY 1") == [
        ("F2026-0050", "DB0004", dt.date(2026, 9, 15)),
        ("F2026-0057", "DB0005", dt.date(2026, 10, 10)),
    ]
    assert payments(ledger) == [("F2026-0050", dt.date(2026, 9, 22), Decimal("1210.00"))]
    assert open_total(ledger) == Decimal("605.00")
    # the reminder WeFact sent is a contact: the ladder knows it was sent
    assert result.contacts_loaded == 1
    assert table(ledger, "SELECT invoice_id, client_id, contact_at, kind, note FROM contacts") == [
        ("F2026-0057", "DB0005", dt.datetime(2026, 10, 17), "reminder",
         "WeFact: 1 sent, the last on this date")
    ]  # fmt: skip
    work = worklist(ledger, EXPORT_DATE)
    row = work.loc[work["invoice_id"] == "F2026-0057"].iloc[0]
    assert row["stage"] == "reminder" and row["next_action"] != "reminder", row.to_dict()


def test_afas_open_items_with_a_leading_index_column(ledger):
    result = load(ledger, EXPORTS / "afas_openstaande_posten.csv", preset="afas",
                  export_date=EXPORT_DATE)  # fmt: skip
    assert (result.rows_loaded, result.paid_on_export_date) == (2, 1)
    assert table(ledger, "SELECT client_id, name FROM clients ORDER BY 1") == [
        ("20031", "Garage Wielema"),
        ("20044", "Bouwbedrijf Stam"),
    ]
    assert table(ledger, "SELECT invoice_id, invoice_date, due_date FROM invoices ORDER BY 1") == [
        ("70012", dt.date(2026, 9, 3), dt.date(2026, 10, 3)),
        ("70019", dt.date(2026, 9, 15), dt.date(2026, 10, 15)),
    ]
    assert open_total(ledger) == Decimal("968.00") + Decimal("2655.00")


def test_yuki_outstanding_debtor_items(ledger):
    load(ledger, EXPORTS / "yuki_outstanding_debtor_items.csv", preset="yuki",
         export_date=EXPORT_DATE)  # fmt: skip
    assert table(ledger, "SELECT client_id, name FROM clients ORDER BY 1") == [
        ("8f2c11aa", "Houtbewerking Smit"),
        ("8f2c11bb", "Dierenkliniek Oost"),
    ]
    assert payments(ledger) == [("2026-131", EXPORT_DATE, Decimal("300.00"))]
    assert open_total(ledger) == Decimal("1089.00") + Decimal("150.00")


def test_visma_credit_invoice_is_a_credit(ledger):
    load(ledger, EXPORTS / "visma_customerledgeritems.json", preset="visma_eaccounting")
    assert table(ledger, "SELECT invoice_id, amount FROM invoices ORDER BY 1") == [
        ("1043", Decimal("1815.00")),
        ("1049", Decimal("-242.00")),  # IsCreditInvoice with a positive amount
    ]
    assert open_total(ledger) == Decimal("1815.00") - Decimal("242.00")


def test_wrong_preset_names_expected_and_found_columns(ledger):
    with pytest.raises(LoadError) as caught:
        load(ledger, EXPORTS / "yuki_outstanding_debtor_items.csv", preset="twinfield")
    message = str(caught.value)
    assert "does not look like Twinfield's Debtor card (Debiteurenkaart" in message
    assert "Columns the preset expects: Factuurnr., Debiteur, Boekdatum, Euro, " in message
    assert "Openstaand bedrag or Openstaand" in message
    assert "Columns found: Date, Description, Contact, ContactID" in message
    assert not Path(ledger).exists() or not table(ledger, "SELECT * FROM invoices")


def test_open_amount_larger_than_the_invoice_is_refused(ledger, write):
    path = write(
        "open.csv",
        "MutDatum;MutFactuur;RelCode;RelBedrijf;Bedrag;Voldaan;Openstaand\n"
        "05-09-2026;F1;D1;Krul;100,00;0,00;150,00\n",
    )
    with pytest.raises(LoadError) as caught:
        load(ledger, path, preset="e_boekhouden_open_posten", export_date=EXPORT_DATE)
    assert "open.csv:2: column 'Openstaand' value '150,00': open amount" in str(caught.value)


def test_a_copied_preset_file_and_the_command_line(ledger, tmp_path, capsys):
    """An office that renamed a column: a copy of the preset with that name loads it."""
    own = tmp_path / "my_export.toml"
    text = load_preset("yuki").path.read_text(encoding="utf-8")
    own.write_text(text.replace('"Contact"', '"Klant"'), encoding="utf-8")
    csv = tmp_path / "yuki.csv"
    csv.write_text(
        (EXPORTS / "yuki_outstanding_debtor_items.csv")
        .read_text(encoding="utf-8")
        .replace(";Contact;", ";Klant;"),
        encoding="utf-8",
    )
    argv = ["load", str(csv), "--ledger", str(ledger), "--preset", str(own), "--quiet"]
    assert main([*argv, "--export-date", "2026-10-31"]) == 0
    out = capsys.readouterr().out
    assert "cannot tell" in out
    assert table(ledger, "SELECT name FROM clients WHERE client_id = '8f2c11bb'") == [
        ("Dierenkliniek Oost",)
    ]
    assert main(["presets"]) == 0
    listed = capsys.readouterr().out
    assert "twinfield: Twinfield, Debtor card (Debiteurenkaart, browse 100)" in listed
    assert "Export: Twinfield: browse 100 Debiteurenkaart" in listed
