"""Presets for accounting package exports: one sample file per package, and the wrong preset."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from dunning_analytics import LoadError, load
from dunning_analytics.aging import aging
from dunning_analytics.cli import main
from dunning_analytics.ingest.presets import available_presets, load_preset
from dunning_analytics.ledger import connected

EXPORTS = Path(__file__).resolve().parent / "data" / "exports"
EXPORT_DATE = dt.date(2026, 10, 31)


def table(ledger, sql):
    with connected(ledger, read_only=True) as con:
        return con.execute(sql).fetchall()


def open_total(ledger, as_of=EXPORT_DATE):
    with connected(ledger, read_only=True) as con:
        frame = aging(con, as_of, by="client")
    return sum(frame["outstanding"], Decimal(0))


def test_every_shipped_preset_reads_and_names_its_limits():
    presets = available_presets()
    assert {"exact_online", "moneybird", "e_boekhouden", "snelstart", "twinfield"} <= set(presets)
    for key in presets:
        preset = load_preset(key)
        assert {"invoice_id", "client_id", "invoice_date", "amount"} <= set(preset.columns)
        assert preset.limits, f"{key} says nothing about what its export cannot tell"


def test_exact_online_receivables_list(ledger):
    result = load(ledger, EXPORTS / "exact_online_receivables.csv", preset="exact_online")
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
    assert table(ledger, "SELECT count(*) FROM payments") == [(0,)]
    assert open_total(ledger) == Decimal("1210.00") + Decimal("302.50") + Decimal(
        "4537.50"
    ) - Decimal("121.00")
    assert any("payment behaviour" in text for text in result.limits)
    assert "What this Exact Online export cannot tell:" in result.summary()


def test_moneybird_sales_invoices_with_paid_dates_and_a_partial_payment(ledger):
    with pytest.raises(LoadError, match=r"partly paid \(lines 3\).*--export-date"):
        load(ledger, EXPORTS / "moneybird_sales_invoices.csv", preset="moneybird")
    assert not ledger.exists()  # nothing was loaded: a failed first load leaves no file

    result = load(
        ledger,
        EXPORTS / "moneybird_sales_invoices.csv",
        preset="Moneybird",
        export_date=EXPORT_DATE,
    )
    assert (result.rows_loaded, result.paid_on_export_date, result.left_out_paid) == (4, 1, 0)
    assert table(ledger, "SELECT invoice_id, paid_date, amount FROM payments ORDER BY 1") == [
        ("2026-0101", dt.date(2026, 9, 10), Decimal("1210.00")),
        ("2026-0102", EXPORT_DATE, Decimal("200.00")),
    ]
    assert table(ledger, "SELECT DISTINCT client_id FROM invoices ORDER BY 1") == [
        ("Fietsenmaker Jansen",),
        ("Studio Noord",),
        ("Van Dam Advies",),
    ]
    # the open balance equals the file's total_unpaid
    assert open_total(ledger) == Decimal("405") + Decimal("363") + Decimal("2420")
    with connected(ledger, read_only=True) as con:
        settled = con.execute(
            "SELECT days_late FROM invoice_settlement WHERE invoice_id = '2026-0101'"
        ).fetchall()
    assert settled == [(8,)]


def test_e_boekhouden_open_posten_without_due_dates(ledger):
    result = load(
        ledger,
        EXPORTS / "e_boekhouden_open_posten.csv",
        preset="e_boekhouden",
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


def test_snelstart_leaves_out_paid_invoices_without_a_date(ledger):
    result = load(
        ledger,
        EXPORTS / "snelstart_verkoopfacturen.csv",
        preset="snelstart",
        export_date=EXPORT_DATE,
    )
    assert (result.rows_read, result.rows_loaded, result.left_out_paid) == (3, 2, 1)
    assert "1 invoices paid in full on a date the file does not give were left out" in (
        result.summary()
    )
    assert table(ledger, "SELECT invoice_id FROM invoices ORDER BY 1") == [
        ("20260202",),
        ("20260203",),
    ]
    assert table(ledger, "SELECT paid_date, amount FROM payments") == [
        (EXPORT_DATE, Decimal("3000.00"))
    ]
    assert open_total(ledger) == Decimal("3050.00") + Decimal("847.00")


def twinfield_workbook(path: Path, rows: list[list]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Openstaande posten"
    sheet.append(
        [
            "Datum",
            "Relatie",
            "Naam",
            "Factuurnummer",
            "Vervaldatum",
            "Valuta",
            "Bedrag",
            "Openstaand bedrag",
        ]
    )
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def test_twinfield_open_items_browse_from_excel(ledger, tmp_path):
    path = twinfield_workbook(
        tmp_path / "twinfield_openstaande_posten.xlsx",
        [
            [
                dt.datetime(2026, 9, 1),
                "10010",
                "Transport Bos",
                "2026-0301",
                dt.datetime(2026, 10, 1),
                "EUR",
                968.0,
                968.0,
            ],
            [
                dt.datetime(2026, 9, 18),
                "10020",
                "Cafe De Zwaan",
                "2026-0307",
                dt.datetime(2026, 10, 2),
                "EUR",
                1573.0,
                573.0,
            ],
        ],
    )
    result = load(ledger, path, preset="twinfield", export_date=EXPORT_DATE)
    assert (result.rows_loaded, result.paid_on_export_date) == (2, 1)
    assert table(
        ledger, "SELECT invoice_id, client_id, due_date, amount FROM invoices ORDER BY 1"
    ) == [
        ("2026-0301", "10010", dt.date(2026, 10, 1), Decimal("968.00")),
        ("2026-0307", "10020", dt.date(2026, 10, 2), Decimal("1573.00")),
    ]
    assert open_total(ledger) == Decimal("968.00") + Decimal("573.00")


def test_wrong_preset_names_expected_and_found_columns(ledger):
    with pytest.raises(LoadError) as caught:
        load(ledger, EXPORTS / "moneybird_sales_invoices.csv", preset="exact_online")
    message = str(caught.value)
    assert "does not look like Exact Online's Receivables list" in message
    assert "Columns the preset expects: InvoiceNumber, AccountCode" in message
    assert "Columns found: invoice_id, contact, invoice_date" in message
    assert not Path(ledger).exists() or not table(ledger, "SELECT * FROM invoices")


def test_open_amount_larger_than_the_invoice_is_refused(ledger, write):
    path = write(
        "open.csv",
        "MutDatum;MutFactuur;RelCode;RelBedrijf;Bedrag;Voldaan;Openstaand\n"
        "05-09-2026;F1;D1;Krul;100,00;0,00;150,00\n",
    )
    with pytest.raises(LoadError) as caught:
        load(ledger, path, preset="e_boekhouden", export_date=EXPORT_DATE)
    assert "open.csv:2: column 'Openstaand' value '150,00': open amount" in str(caught.value)


def test_a_copied_preset_file_and_the_command_line(ledger, tmp_path, capsys):
    own = tmp_path / "my_export.toml"
    text = load_preset("snelstart").path.read_text(encoding="utf-8")
    own.write_text(text.replace('"relatienaam"', '"naam"'), encoding="utf-8")
    csv = tmp_path / "snel.csv"
    csv.write_text(
        (EXPORTS / "snelstart_verkoopfacturen.csv")
        .read_text(encoding="utf-8")
        .replace("relatienaam", "naam"),
        encoding="utf-8",
    )
    code = main(
        [
            "load",
            str(csv),
            "--ledger",
            str(ledger),
            "--preset",
            str(own),
            "--export-date",
            "2026-10-31",
            "--quiet",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "cannot tell" in out and "left out" in out
    assert table(ledger, "SELECT name FROM clients WHERE client_id = '3002'") == [
        ("Architectenbureau Kade",)
    ]
    assert main(["presets"]) == 0
    assert "moneybird" in capsys.readouterr().out
