"""UBL 2.1 e-invoices in: the public Peppol BIS 3 samples (../shared) and SI-UBL 2.0 cases of
our own, checked field by field against the XML; refusals naming file and element; reloads;
bank matching by payment reference."""

import datetime as dt
import shutil
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import SHARED
from lxml import etree

from dunning_analytics import LoadError, load
from dunning_analytics.cli import main
from dunning_analytics.ingest.bank import load_statement
from dunning_analytics.ledger import connected
from dunning_analytics.questions.aging import aging

PEPPOL = SHARED / "data" / "e-invoices"
OWN = Path(__file__).resolve().parent / "data" / "ubl"
NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
}
E = Decimal
D = dt.date


def line_of(name: str, text: str) -> int:
    """The first line of tests/data/ubl/bad/`name` holding `text`."""
    lines = (OWN / "bad" / name).read_text().splitlines()
    return next(i for i, line in enumerate(lines, start=1) if text in line)


def rows(ledger, sql, params=None):
    with connected(ledger, read_only=True) as con:
        return con.execute(sql, params).fetchall()


def xml_values(path: Path) -> dict:
    """What the document says, read with XPath here (independently of the reader)."""
    root = etree.parse(str(path)).getroot()

    def one(xpath):
        found = root.xpath(xpath, namespaces=NS)
        return found[0].strip() if found else None

    buyer = "cac:AccountingCustomerParty/cac:Party/"
    return {
        "type": etree.QName(root).localname,
        "id": one("cbc:ID/text()"),
        "issue": D.fromisoformat(one("cbc:IssueDate/text()")),
        "due": one("cbc:DueDate/text()") or one("cac:PaymentMeans/cbc:PaymentDueDate/text()"),
        "payable": E(one("cac:LegalMonetaryTotal/cbc:PayableAmount/text()")),
        "buyer_id": one(buyer + "cac:PartyIdentification/cbc:ID/text()"),
        "buyer_name": one(buyer + "cac:PartyLegalEntity/cbc:RegistrationName/text()"),
        "email": one(buyer + "cac:Contact/cbc:ElectronicMail/text()"),
        "phone": one(buyer + "cac:Contact/cbc:Telephone/text()"),
        "payment_id": one("cac:PaymentMeans/cbc:PaymentID/text()"),
        "corrects": one("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID/text()"),
    }


PEPPOL_INVOICES = ["base-example.xml", "Allowance-example.xml", "Vat-category-S.xml"]


@pytest.mark.skipif(not PEPPOL.exists(), reason="../shared/data/e-invoices is not there")
@pytest.mark.parametrize("name", PEPPOL_INVOICES)
def test_every_peppol_invoice_loads_with_its_values(tmp_path, name):
    path = PEPPOL / name
    want = xml_values(path)
    ledger = tmp_path / "ledger.duckdb"
    result = load(ledger, path)
    assert (result.kind, result.rows_loaded, result.rows_rejected) == ("invoices", 1, 0)
    got = rows(
        ledger,
        "SELECT i.invoice_id, i.invoice_date, i.due_date, i.amount, i.client_id, c.name, c.kind, "
        "c.email, c.phone, i.payment_reference FROM invoices AS i JOIN clients AS c "
        "USING (client_id)",
    )
    assert got == [
        (
            want["id"],
            want["issue"],
            D.fromisoformat(want["due"]),
            want["payable"],
            want["buyer_id"],
            want["buyer_name"],
            "business",
            want["email"],
            want["phone"],
            want["payment_id"],
        )
    ]


@pytest.mark.skipif(not PEPPOL.exists(), reason="../shared/data/e-invoices is not there")
def test_the_peppol_credit_note_is_negative_and_settles_the_invoice_it_corrects(tmp_path):
    invoice, credit = PEPPOL / "base-example.xml", PEPPOL / "base-creditnote-correction.xml"
    want = xml_values(credit)
    assert want["type"] == "CreditNote" and want["corrects"] == want["id"] == "Snippet1"
    ledger = tmp_path / "ledger.duckdb"
    load(ledger, invoice)
    load(ledger, credit)
    # the credit note carries the number of the invoice it corrects: it gets '-CN'
    assert rows(
        ledger,
        "SELECT invoice_id, invoice_date, due_date, amount, credits_invoice_id, client_id "
        "FROM invoices WHERE amount < 0",
    ) == [("Snippet1-CN", want["issue"], want["issue"], -want["payable"], "Snippet1", "FR23342")]
    with connected(ledger, read_only=True) as con:
        assert aging(con, D(2018, 1, 31), by="client").empty  # fully credited: nothing owed


@pytest.mark.skipif(not PEPPOL.exists(), reason="../shared/data/e-invoices is not there")
def test_the_peppol_folder_is_refused_whole_because_its_samples_share_one_number(tmp_path):
    """The public samples all carry the number Snippet1 with different amounts."""
    ledger = tmp_path / "ledger.duckdb"
    with pytest.raises(LoadError) as refused:
        load(ledger, PEPPOL)
    text = str(refused.value)
    assert "base-example.xml:7: column 'cbc:ID' value 'Snippet1': document number" in text
    assert "also used by Allowance-example.xml, Vat-category-S.xml with other contents" in text
    assert not ledger.exists()  # a refused first load leaves no file behind


def test_si_ubl_folder_loads_business_consumer_and_credit_note(tmp_path, capsys):
    ledger = tmp_path / "ledger.duckdb"
    assert main(["load", str(OWN / "si-ubl"), "--ledger", str(ledger), "--quiet"]) == 0
    said = capsys.readouterr().out
    assert "si-ubl: 4 rows read, 4 loaded" in said
    assert "Prepaid amounts stated on 1 e-invoices (€200.00 in all)" in said
    assert rows(
        ledger,
        "SELECT invoice_id, client_id, invoice_date, due_date, amount, credits_invoice_id, "
        "payment_reference FROM invoices ORDER BY invoice_id",
    ) == [
        # the terms note "binnen 14 dagen" gives the due date
        ("2026-0101", "NL001234567B01", D(2026, 9, 1), D(2026, 9, 15), E("1210.00"), None,
         "1234 5678 9012 3456"),
        # PaymentMeans/PaymentDueDate; the payable amount is what the deposit left
        ("2026-0102", "NL001234567B01", D(2026, 9, 20), D(2026, 10, 20), E("1010.00"), None,
         "2026-0102"),
        ("2026-0103", "M. Jansen", D(2026, 9, 15), D(2026, 10, 15), E("363.00"), None,
         "2026-0103"),
        ("2026-C001", "NL001234567B01", D(2026, 9, 10), D(2026, 9, 10), E("-121.00"),
         "2026-0101", None),
    ]  # fmt: skip
    assert rows(
        ledger,
        "SELECT client_id, name, kind, contact_person, email, phone, address, postcode, city "
        "FROM clients ORDER BY client_id",
    ) == [
        ("M. Jansen", "M. Jansen", "consumer", None, "m.jansen@example.nl", None,
         "Lindenlaan 7", "8011 CD", "Zwolle"),
        ("NL001234567B01", "Bakkerij de Vries B.V.", "business", "J. de Vries",
         "administratie@bakkerijdevries.nl", "030-1234567", "Dorpsstraat 12", "3511 AB",
         "Utrecht"),
    ]  # fmt: skip


def test_a_zip_of_e_invoices_loads_like_the_folder_and_reloads_change_nothing(tmp_path):
    archive = tmp_path / "sent.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in sorted((OWN / "si-ubl").glob("*.xml")):
            z.write(path, f"2026/{path.name}")
    ledger = tmp_path / "ledger.duckdb"
    first = load(ledger, archive)
    assert (first.rows_loaded, first.rows_rejected) == (4, 0)
    contents = "SELECT * EXCLUDE (source_load) FROM invoices ORDER BY invoice_id"
    before = rows(ledger, contents)
    assert load(ledger, archive).already_loaded
    forced = load(ledger, archive, force=True)
    assert (forced.rows_loaded, forced.rows_updated, forced.rows_unchanged) == (0, 0, 4)
    # the same documents from the folder: nothing new either
    again = load(ledger, OWN / "si-ubl")
    assert (again.rows_loaded, again.rows_updated, again.rows_unchanged) == (0, 0, 4)
    assert rows(ledger, contents) == before


def test_bad_documents_are_refused_with_file_line_and_element(tmp_path):
    ledger = tmp_path / "ledger.duckdb"
    load(ledger, OWN / "si-ubl")
    before = rows(ledger, "SELECT count(*), sum(amount) FROM invoices")
    with pytest.raises(LoadError) as refused:
        load(ledger, OWN / "bad")
    found = {(r.file, r.column, r.value): r.reason for r in refused.value.rejections}
    payable = "cac:LegalMonetaryTotal/cbc:PayableAmount"
    assert found == {
        ("comma-amount.xml", payable, "363,00"): "not an amount in euros and cents (1234.50)",
        ("entity.xml", "cbc:ID", None): "missing the document number",
        ("no-amount.xml", payable, None): "missing the payable amount",
        ("order.xml", "Order", None): (
            "a UBL Order, not an invoice: only UBL 2.1 Invoice and CreditNote load"
        ),
        ("usd.xml", "cbc:DocumentCurrencyCode", "USD"): (
            "an invoice in USD: invoices are kept in euros; record it by hand at its euro value"
        ),
    }
    # the line: the element's own, or (when it is missing) the document's root start tag
    lines = {r.file: r.line for r in refused.value.rejections}
    assert lines["comma-amount.xml"] == line_of("comma-amount.xml", "<cbc:PayableAmount")
    assert lines["usd.xml"] == line_of("usd.xml", "<cbc:DocumentCurrencyCode")
    for name, root in [("entity.xml", "<Invoice"), ("no-amount.xml", "<Invoice"),
                       ("order.xml", "<Order")]:  # fmt: skip
        assert line_of(name, root) <= lines[name] <= line_of(name, root) + 2, name
    assert rows(ledger, "SELECT count(*), sum(amount) FROM invoices") == before  # unchanged
    # the external entity was never read: the document number stayed empty
    assert "entity.xml" in str(refused.value)

    kept = load(ledger, OWN / "bad", skip_bad_rows=True)
    assert (kept.rows_loaded, kept.rows_rejected) == (0, 5)
    assert rows(
        ledger,
        'SELECT file_name, line, "column", value, reason FROM rejected_rows '
        "WHERE load_id = ? ORDER BY file_name",
        [kept.load_id],
    ) == [(r.file, r.line, r.column, r.value, r.reason) for r in refused.value.rejections]


def test_a_credit_note_never_replaces_an_invoice_of_the_same_number(tmp_path):
    ledger = tmp_path / "ledger.duckdb"
    load(ledger, OWN / "si-ubl")
    folder = tmp_path / "later"
    folder.mkdir()
    text = (OWN / "si-ubl" / "2026-C001.xml").read_text()
    (folder / "credit.xml").write_text(
        text.replace("<cbc:ID>2026-C001</cbc:ID>", "<cbc:ID>2026-0102</cbc:ID>")
    )
    with pytest.raises(LoadError, match="is in the ledger as an invoice of 1010.00; a credit"):
        load(ledger, folder)
    assert rows(ledger, "SELECT amount FROM invoices WHERE invoice_id = '2026-0102'") == [
        (E("1010.00"),)
    ]


def test_a_statement_is_not_an_e_invoice(tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(Path(__file__).parent / "data" / "bank" / "camt053_2026-10.xml", folder)
    with pytest.raises(LoadError, match="bank statements with `dunning-analytics bank`"):
        load(tmp_path / "ledger.duckdb", folder)


CAMT = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt><Stmt><Id>2026-10</Id>
    <Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id><Ccy>EUR</Ccy></Acct>
    <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">0.00</Amt>
      <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-10-01</Dt></Dt></Bal>
    <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">2099.00</Amt>
      <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-10-31</Dt></Dt></Bal>
    <Ntry><Amt Ccy="EUR">1089.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
      <BookgDt><Dt>2026-10-02</Dt></BookgDt>
      <NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Bakkerij de Vries</Nm></Dbtr></RltdPties>
        <RmtInf><Ustrd>Betalingskenmerk 1234 5678 9012 3456</Ustrd></RmtInf>
      </TxDtls></NtryDtls></Ntry>
    <Ntry><Amt Ccy="EUR">1010.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
      <BookgDt><Dt>2026-10-21</Dt></BookgDt>
      <NtryDtls><TxDtls><RltdPties><Dbtr><Nm>BV Onbekend</Nm></Dbtr></RltdPties>
        <RmtInf><Strd><CdtrRefInf><Ref>20260102</Ref></CdtrRefInf></Strd></RmtInf>
      </TxDtls></NtryDtls></Ntry>
  </Stmt></BkToCstmrStmt>
</Document>
"""


def test_bank_payments_are_matched_by_the_e_invoices_payment_reference(tmp_path):
    ledger = tmp_path / "ledger.duckdb"
    load(ledger, OWN / "si-ubl")
    statement = tmp_path / "camt.xml"
    statement.write_text(CAMT)
    result = load_statement(ledger, statement)
    assert dict(result.rules) == {"reference": 2}
    # the kenmerk written in groups finds 2026-0101 (1,210 less the 121 credit note); the
    # reference 20260102 (PaymentID 2026-0102 without its dash) finds 2026-0102
    assert rows(
        ledger,
        "SELECT invoice_id, paid_date, amount FROM payments ORDER BY paid_date",
    ) == [("2026-0101", D(2026, 10, 2), E("1089.00")), ("2026-0102", D(2026, 10, 21), E("1010.00"))]
    with connected(ledger, read_only=True) as con:
        owed = aging(con, D(2026, 10, 31), by="client")
    assert owed[["client_id", "outstanding"]].values.tolist() == [["M. Jansen", E("363.00")]]
