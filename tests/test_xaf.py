"""The XAF 3.2 auditfile as one import (#33): test files the official schema accepts, in the
shape Odoo's export writes (OCA l10n_nl_xaf_auditfile_export: custSupID on every line of a
partner's move, invRef on invoice moves, recRef on reconciled lines)."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from lxml import etree

from dunning_analytics import LoadError, load
from dunning_analytics.cli import main
from dunning_analytics.ingest.xaf import SCHEMA, load_xaf
from dunning_analytics.ledger import connected
from dunning_analytics.questions.aging import aging

AS_OF = dt.date(2026, 10, 31)
CLIENTS = [("11", "Bakkerij Jansen B.V.", "info@jansen.example"),
           ("12", "Studio Noord", None), ("13", "Garage Wielema", None)]  # fmt: skip
# invoice, client, date, amount (a credit note negative)
INVOICES = [
    ("INV/2026/0001", "11", "2026-09-01", Decimal("1210.00")),
    ("INV/2026/0002", "12", "2026-09-15", Decimal("605.00")),
    ("INV/2026/0003", "11", "2026-10-01", Decimal("2420.00")),
    ("INV/2026/0004", "13", "2026-10-12", Decimal("363.00")),
    ("RINV/2026/0001", "12", "2026-10-05", Decimal("-121.00")),
]
# client, date, amount, recRef (the match with the invoice), invRef
PAYMENTS = [
    ("11", "2026-09-25", Decimal("1210.00"), "A1", None),  # matched to INV/2026/0001
    ("12", "2026-10-20", Decimal("300.00"), None, None),  # not matched: the client's money
    ("11", "2026-02-01", Decimal("500.00"), None, "2025-099"),  # the opening invoice
]
OPENING = ("2025-099", "11", "2025-12-10", "2026-01-09", Decimal("500.00"))


def _line(number, account, amount, side, client=None, inv=None, rec=None, day="2026-01-01"):
    parts = [f"<nr>{number}</nr><accID>{account}</accID><docRef>{inv or number}</docRef>",
             f"<effDate>{day}</effDate><desc>regel {number}</desc>",
             f"<amnt>{amount:.2f}</amnt><amntTp>{side}</amntTp>"]  # fmt: skip
    if rec:
        parts.append(f"<recRef>{rec}</recRef>")
    if client:
        parts.append(f"<custSupID>{client}</custSupID>")
    if inv:
        parts.append(f"<invRef>{inv}</invRef>")
    return "<trLine>" + "".join(parts) + "</trLine>"


def _transaction(number, day, lines):
    return (f"<transaction><nr>{number}</nr><desc>boeking {number}</desc>"
            f"<periodNumber>{int(day[5:7])}</periodNumber><trDt>{day}</trDt>"
            + "".join(lines) + "</transaction>")  # fmt: skip


def sales_journal():
    moves = []
    for n, (invoice, client, day, amount) in enumerate(INVOICES, start=1):
        net = (abs(amount) / Decimal("1.21")).quantize(Decimal("0.01"))
        debtor, other = ("D", "C") if amount > 0 else ("C", "D")
        rec = "A1" if invoice == "INV/2026/0001" else None
        lines = [
            _line(f"{n}1", "1300", abs(amount), debtor, client, invoice, rec, day),
            _line(f"{n}2", "8000", net, other, client, invoice, None, day),
            _line(f"{n}3", "1600", abs(amount) - net, other, client, invoice, None, day),
        ]
        moves.append(_transaction(str(n), day, lines))
    return moves


def bank_journal():
    moves = []
    for n, (client, day, amount, rec, inv) in enumerate(PAYMENTS, start=101):
        lines = [_line(f"{n}1", "1100", amount, "D", client, None, None, day),
                 _line(f"{n}2", "1300", amount, "C", client, inv, rec, day)]  # fmt: skip
        moves.append(_transaction(str(n), day, lines))
    return moves


def auditfile(path: Path, tamper=None) -> Path:
    """Write the auditfile; `tamper(text)` changes it before it is written."""
    invoice, client, day, due, amount = OPENING
    clients = "".join(
        f"<customerSupplier><custSupID>{cid}</custSupID><custSupName>{name}</custSupName>"
        + (f"<eMail>{mail}</eMail>" if mail else "")
        + "<custSupTp>C</custSupTp><streetAddress><streetname>Dorpsstraat</streetname>"
        "<number>1</number><city>Utrecht</city><postalCode>3511 AA</postalCode>"
        "<country>NL</country></streetAddress></customerSupplier>"
        for cid, name, mail in CLIENTS
    ) + "<customerSupplier><custSupID>90</custSupID><custSupName>Papier B.V.</custSupName>" \
        "<custSupTp>S</custSupTp></customerSupplier>"  # fmt: skip
    accounts = "".join(
        f"<ledgerAccount><accID>{a}</accID><accDesc>{d}</accDesc><accTp>{t}</accTp></ledgerAccount>"
        for a, d, t in [("1100", "Bank", "B"), ("1300", "Debiteuren", "B"),
                        ("1600", "Te betalen btw", "B"), ("0500", "Eigen vermogen", "B"),
                        ("8000", "Omzet", "P")]
    )  # fmt: skip
    sales, bank = sales_journal(), bank_journal()
    all_lines = "".join(sales + bank)
    count = all_lines.count("<trLine>")
    debit = _sum(all_lines, "D")
    opening = (
        "<openingBalance><opBalDate>2026-01-01</opBalDate><opBalDesc>Opening balance"
        f"</opBalDesc><linesCount>2</linesCount><totalDebit>{amount:.2f}</totalDebit>"
        f"<totalCredit>{amount:.2f}</totalCredit>"
        f"<obLine><nr>1</nr><accID>1300</accID><amnt>{amount:.2f}</amnt><amntTp>D</amntTp></obLine>"
        f"<obLine><nr>2</nr><accID>0500</accID><amnt>{amount:.2f}</amnt><amntTp>C</amntTp></obLine>"
        "<obSubledgers><obSubledger><sbType>CU</sbType><linesCount>1</linesCount>"
        f"<totalDebit>{amount:.2f}</totalDebit><totalCredit>0.00</totalCredit>"
        f"<obSbLine><nr>1</nr><obLineNr>1</obLineNr><amnt>{amount:.2f}</amnt><amntTp>D</amntTp>"
        f"<custSupID>{client}</custSupID><invRef>{invoice}</invRef><invDt>{day}</invDt>"
        f"<invDueDt>{due}</invDueDt></obSbLine></obSubledger></obSubledgers></openingBalance>"
    )
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<auditfile xmlns="http://www.auditfiles.nl/XAF/3.2">\n'
        "<header><fiscalYear>2026</fiscalYear><startDate>2026-01-01</startDate>"
        "<endDate>2026-12-31</endDate><curCode>EUR</curCode><dateCreated>2026-11-01"
        "</dateCreated><softwareDesc>Odoo</softwareDesc><softwareVersion>17.0</softwareVersion>"
        "</header>\n<company><companyIdent>12345678</companyIdent><companyName>Voorbeeld Advies"
        "</companyName><taxRegistrationCountry>NL</taxRegistrationCountry><taxRegIdent>"
        "NL000099998B57</taxRegIdent>\n"
        f"<customersSuppliers>{clients}</customersSuppliers>\n"
        f"<generalLedger>{accounts}</generalLedger>\n{opening}\n"
        f"<transactions><linesCount>{count}</linesCount><totalDebit>{debit:.2f}</totalDebit>"
        f"<totalCredit>{debit:.2f}</totalCredit>\n"
        "<journal><jrnID>VRK</jrnID><desc>Verkoopboek</desc><jrnTp>S</jrnTp>\n"
        + "\n".join(sales)
        + "</journal>\n<journal><jrnID>BNK</jrnID><desc>Bank</desc><jrnTp>B</jrnTp>\n"
        + "\n".join(bank)
        + "</journal></transactions>\n</company>\n</auditfile>\n"
    )
    path.write_text(tamper(text) if tamper else text, encoding="utf-8")
    return path


def _sum(text, side):
    import re

    amounts = re.findall(r"<amnt>([\d.]+)</amnt><amntTp>" + side, text)
    return sum((Decimal(a) for a in amounts), Decimal(0))


def rows(ledger, sql):
    with connected(ledger, read_only=True) as con:
        return con.execute(sql).fetchall()


def test_the_test_file_is_valid_xaf_32(tmp_path):
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    tree = etree.parse(str(auditfile(tmp_path / "administratie.xaf")))
    assert schema.validate(tree), schema.error_log


def test_an_auditfile_loads_clients_invoices_and_payments(tmp_path, capsys):
    path, ledger = auditfile(tmp_path / "administratie.xaf"), tmp_path / "l.duckdb"
    assert main(["load", str(path), "--ledger", str(ledger), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert rows(ledger, "SELECT client_id, name, email, city FROM clients ORDER BY 1") == [
        ("11", "Bakkerij Jansen B.V.", "info@jansen.example", "Utrecht"),
        ("12", "Studio Noord", None, "Utrecht"),
        ("13", "Garage Wielema", None, "Utrecht"),
    ]  # the supplier is no client
    assert rows(ledger, "SELECT invoice_id, client_id, invoice_date, due_date, amount "
                "FROM invoices ORDER BY invoice_date, 1") == [
        ("2025-099", "11", dt.date(2025, 12, 10), dt.date(2026, 1, 9), Decimal("500.00")),
        ("INV/2026/0001", "11", dt.date(2026, 9, 1), dt.date(2026, 10, 1), Decimal("1210.00")),
        ("INV/2026/0002", "12", dt.date(2026, 9, 15), dt.date(2026, 10, 15), Decimal("605.00")),
        ("INV/2026/0003", "11", dt.date(2026, 10, 1), dt.date(2026, 10, 31), Decimal("2420.00")),
        ("RINV/2026/0001", "12", dt.date(2026, 10, 5), dt.date(2026, 11, 4), Decimal("-121.00")),
        ("INV/2026/0004", "13", dt.date(2026, 10, 12), dt.date(2026, 11, 11), Decimal("363.00")),
    ]  # fmt: skip
    assert rows(ledger, "SELECT invoice_id, client_id, paid_date, amount FROM payments "
                "ORDER BY paid_date") == [
        ("2025-099", "11", dt.date(2026, 2, 1), Decimal("500.00")),  # by its invRef
        ("INV/2026/0001", "11", dt.date(2026, 9, 25), Decimal("1210.00")),  # by its recRef
        (None, "12", dt.date(2026, 10, 20), Decimal("300.00")),  # the client's money
    ]  # fmt: skip
    assert "Debtor accounts read: 1300" in out
    assert "1 payments name their client but no invoice" in out


def test_the_same_books_as_csv_give_the_same_aging(tmp_path):
    """A ledger from the auditfile and one from the same invoices and payments as CSV files
    age the same, client by client, to the cent."""
    from_xaf = tmp_path / "xaf.duckdb"
    load_xaf(from_xaf, auditfile(tmp_path / "administratie.xaf"))
    from_csv = tmp_path / "csv.duckdb"
    opening_id, opening_client, opening_day, opening_due, opening_amount = OPENING
    invoices = (
        pd.DataFrame(
            [(opening_id, opening_client, opening_day, opening_due, opening_amount)]
            + [(i, c, d, None, a) for i, c, d, a in INVOICES],
            columns=["invoice_id", "client_id", "invoice_date", "due_date", "amount"],
        )
        .astype(str)
        .replace("None", "")
    )
    invoices["client_name"] = invoices["client_id"].map({c: n for c, n, _ in CLIENTS})
    load(from_csv, invoices, kind="invoices")
    payments = pd.DataFrame(
        [("INV/2026/0001" if rec else inv or "", "" if rec or inv else c, d, str(a))
         for c, d, a, rec, inv in PAYMENTS],
        columns=["invoice_id", "client_id", "paid_date", "amount"],
    )  # fmt: skip
    load(from_csv, payments, kind="payments")

    def aged(ledger):
        with connected(ledger, read_only=True) as con:
            frame = aging(con, AS_OF, by="client")
        return frame.sort_values("client_id").reset_index(drop=True)

    xaf, csv = aged(from_xaf), aged(from_csv)
    assert xaf["outstanding"].sum() == Decimal("605.00") - Decimal("121.00") - Decimal(
        "300.00"
    ) + Decimal("2420.00") + Decimal("363.00")
    pd.testing.assert_frame_equal(xaf, csv)


def test_a_file_that_does_not_add_up_is_refused_with_its_numbers(tmp_path):
    path = auditfile(
        tmp_path / "cut.xaf",
        tamper=lambda t: t.replace(bank_journal()[-1], ""),  # the last transaction lost
    )
    ledger = tmp_path / "l.duckdb"
    with pytest.raises(LoadError, match=r"does not add up(.|\n)*transactions says lines "
                       r"21, the lines give 19"):  # fmt: skip
        load_xaf(ledger, path)
    assert not ledger.exists()


def test_a_file_outside_the_schema_names_its_line(tmp_path):
    wrong = "<amntTp>X</amntTp>"  # neither debit nor credit
    path = auditfile(
        tmp_path / "bad.xaf", tamper=lambda t: t.replace("<amntTp>D</amntTp>", wrong, 1)
    )
    with pytest.raises(
        LoadError, match=r"does not follow the XAF 3\.2 schema:\n  .*bad\.xaf:\d+: "
    ):
        load_xaf(tmp_path / "l.duckdb", path)


def test_one_bad_payment_loads_nothing_at_all(tmp_path):
    """All three parts in one transaction: a payment dated 1980 (a typing error) is refused
    and leaves the ledger as it was, its clients and invoices included."""
    ledger = tmp_path / "l.duckdb"
    load(ledger, pd.DataFrame({"invoice_id": ["X1"], "client_id": ["99"],
                               "invoice_date": ["2026-09-01"], "amount": ["10.00"]}))  # fmt: skip
    path = auditfile(tmp_path / "a.xaf", tamper=lambda t: t.replace("2026-10-20", "1980-10-20"))
    with pytest.raises(LoadError, match=r"a\.xaf:\d+: column 'effDate' value '1980-10-20'"):
        load_xaf(ledger, path)
    assert rows(ledger, "SELECT client_id FROM clients") == [("99",)]
    assert rows(ledger, "SELECT count(*) FROM invoices") == [(1,)]
