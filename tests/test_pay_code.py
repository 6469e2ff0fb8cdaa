"""Pay from the letter (#38): every letter kind carries a SEPA payment QR code (EPC069-12)
that a banking app decodes to the sender's IBAN, the letter's total and its reference, and a
payment quoting that reference settles the invoices it names."""

import base64
import datetime as dt
import io
import re
import shutil
from decimal import Decimal

import pytest
from conftest import make_ledger

from dunning_analytics.act.letters import build_letter
from dunning_analytics.act.pay_code import epc_payload, letter_reference
from dunning_analytics.ingest.bank import load_statement
from dunning_analytics.ledger import connected

zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp decodes the QR codes")
Image = pytest.importorskip("PIL.Image", reason="pillow opens the QR code's PNG")

AS_OF = dt.date(2026, 11, 20)
INVOICES = [
    ("2026-101", "K1", "2026-09-01", "2026-10-01", Decimal("1210.00")),
    ("2026-102", "K1", "2026-09-20", "2026-10-20", Decimal("302.50")),
    ("2026-201", "K2", "2026-09-05", "2026-10-05", Decimal("605.00")),
]


@pytest.fixture
def books(tmp_path):
    path = tmp_path / "books.duckdb"
    make_ledger(path, invoices=INVOICES).close()
    return path


def decoded(html: str) -> list[str]:
    """The QR code in a letter's HTML, read as a banking app reads it: its lines."""
    uri = re.search(r'<img class="pay-qr" src="data:image/png;base64,([^"]+)"', html)
    assert uri, "the letter has no payment QR code"
    image = Image.open(io.BytesIO(base64.b64decode(uri.group(1))))
    codes = zxingcpp.read_barcodes(image)
    assert len(codes) == 1 and codes[0].format == zxingcpp.BarcodeFormat.QRCode
    return codes[0].text.split("\n")


@pytest.mark.parametrize(
    "client, kind",
    [("K1", "reminder"), ("K1", "formal_notice"), ("K2", "fourteen_day_letter"),
     ("K1", "statement")],
)  # fmt: skip
def test_every_letter_kind_carries_a_payment_code_for_its_total(books, client, kind):
    letter = build_letter(books, AS_OF, client, kind, lang="nl")
    lines = decoded(letter.html)
    assert lines[:4] == ["BCD", "002", "1", "SCT"]
    assert lines[5:8] == ["Studio Eigen", "NL44RABO0123456789", f"EUR{letter.total}"]
    assert letter.total > 0 and lines[10] == letter.reference
    expected = "2026-201" if client == "K2" else "2026-101 2026-102"
    assert letter.reference == expected
    assert f"Betalingskenmerk: <strong>{expected}</strong>" in letter.html


def test_an_rf_reference_is_structured_and_odd_amounts_are_refused():
    lines = epc_payload("Studio Eigen", "NL44RABO0123456789", Decimal("10"), "RF18 5390 0754 7034")
    assert lines.split("\n")[9:11] == ["RF18539007547034", ""]
    with pytest.raises(ValueError, match="EUR 0.01 to 999999999.99"):
        epc_payload("Studio Eigen", "NL44RABO0123456789", Decimal("1000000000"), "x")
    assert letter_reference([{"invoice_id": "7", "payment_reference": "RF18 5390"}]) == "RF18 5390"


CAMT = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
 <BkToCstmrStmt><GrpHdr><MsgId>S1</MsgId><CreDtTm>2026-11-30T23:00:00</CreDtTm></GrpHdr>
  <Stmt><Id>2026-11</Id><CreDtTm>2026-11-30T23:00:00</CreDtTm>
   <Acct><Id><IBAN>NL44RABO0123456789</IBAN></Id><Ccy>EUR</Ccy></Acct>
   <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">0.00</Amt>
    <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-01</Dt></Dt></Bal>
   <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{amount}</Amt>
    <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-30</Dt></Dt></Bal>
   <Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
    <BookgDt><Dt>2026-11-25</Dt></BookgDt><AcctSvcrRef>2026112500001</AcctSvcrRef>
    <NtryDtls><TxDtls><RltdPties><Dbtr><Nm>JANSEN</Nm></Dbtr>
     <DbtrAcct><Id><IBAN>NL20INGB0001234567</IBAN></Id></DbtrAcct></RltdPties>
     <RmtInf><Ustrd>{reference}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
  </Stmt></BkToCstmrStmt></Document>
"""


def test_a_payment_quoting_the_letters_reference_settles_its_invoices(books, tmp_path):
    """End to end: the reminder's code is paid as a banking app would (its amount and its
    text), the statement is loaded, and both invoices the letter named are settled."""
    letter = build_letter(books, AS_OF, "K1", "reminder", lang="nl")
    lines = decoded(letter.html)
    amount, reference = lines[7].removeprefix("EUR"), lines[10]
    statement = tmp_path / "camt053_2026-11.xml"
    statement.write_text(CAMT.format(amount=amount, reference=reference), encoding="utf-8")
    load_statement(books, statement)
    with connected(books, read_only=True) as con:
        paid = con.execute(
            "SELECT invoice_id, outstanding FROM invoice_settlement WHERE client_id = 'K1' "
            "ORDER BY 1"
        ).fetchall()
    assert paid == [("2026-101", Decimal("0.00")), ("2026-102", Decimal("0.00"))]


def test_a_template_that_reaches_for_python_is_refused_with_its_line(books, tmp_path):
    """--templates runs in jinja2's sandbox: formatting works, reaching Python's objects
    (the classic `__class__.__mro__` escape) is refused, naming the file and line."""
    import shutil

    from dunning_analytics import LedgerError
    from dunning_analytics.act.letters import DEFAULT_TEMPLATES

    mine = tmp_path / "my_letters"
    shutil.copytree(DEFAULT_TEMPLATES, mine)
    reminder = mine / "reminder.en.html.j2"
    text = reminder.read_text(encoding="utf-8")
    reminder.write_text(
        text.replace("{% block body %}", "{% block body %}\n{{ letter.__class__.__mro__ }}", 1),
        encoding="utf-8",
    )
    line = (
        reminder.read_text(encoding="utf-8").splitlines().index("{{ letter.__class__.__mro__ }}")
        + 1
    )
    with pytest.raises(LedgerError, match=rf"reminder\.en\.html\.j2:{line}: .*unsafe"):
        build_letter(books, AS_OF, "K1", "reminder", lang="en", templates=mine)


@pytest.mark.skipif(not shutil.which("chromium"), reason="PDFs need Chromium")
def test_the_printed_letters_carry_the_code_a_banking_app_reads(books, tmp_path):
    """The PDFs as the client gets them, printed in one browser session: each page image
    holds the QR code with the sender's IBAN and the letter's total."""
    pdfium = pytest.importorskip("pypdfium2", reason="pypdfium2 renders the PDF's page")
    from dunning_analytics.act.letters import write_letters

    letters = [build_letter(books, AS_OF, c, k, lang="nl")
               for c, k in (("K1", "formal_notice"), ("K2", "fourteen_day_letter"))]  # fmt: skip
    table = write_letters(letters, tmp_path / "brieven", ledger=books)
    assert list(table["status"]) == ["written", "written"]
    for letter, name in zip(letters, table["pdf"], strict=True):
        page = pdfium.PdfDocument(tmp_path / "brieven" / name)[0].render(scale=2).to_pil()
        codes = [r.text for r in zxingcpp.read_barcodes(page) if r.format.name == "QRCode"]
        assert len(codes) == 1, name
        lines = codes[0].split("\n")
        assert lines[5:8] == ["Studio Eigen", "NL44RABO0123456789", f"EUR{letter.total}"]
        assert lines[10] == letter.reference
