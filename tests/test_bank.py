"""Bank statements: CAMT.053 and MT940 samples, matching rules, overlapping reloads."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from dunning_analytics import LoadError, load
from dunning_analytics.cli import main
from dunning_analytics.ingest.bank import load_statement, read_statement, reference_tokens
from dunning_analytics.ledger import connected
from dunning_analytics.questions.aging import aging

BANK = Path(__file__).resolve().parent / "data" / "bank"
HISTORY = """invoice_id;client_id;client_name;invoice_date;due_date;amount;paid_date
2026-0012;K100;Bakkerij de Vries B.V.;01-09-2026;01-10-2026;1.210,00;
2026-0020;K100;Bakkerij de Vries B.V.;15-09-2026;15-10-2026;500,00;
2026-0015;K200;Jansen Installatietechniek;05-09-2026;05-10-2026;726,00;
2026-0016;K200;Jansen Installatietechniek;20-09-2026;20-10-2026;300,00;
2026-0018;K300;Studio Noord;10-09-2026;10-10-2026;1.000,00;09-10-2026
"""


@pytest.fixture
def books(ledger, write):
    load(ledger, write("history.csv", HISTORY))
    return ledger


def rows(ledger, sql):
    with connected(ledger, read_only=True) as con:
        return con.execute(sql).fetchall()


def outstanding(ledger, client_id, as_of=dt.date(2026, 11, 30)):
    with connected(ledger, read_only=True) as con:
        frame = aging(con, as_of, by="client", client_id=client_id)
    return Decimal(0) if frame.empty else frame["outstanding"].iloc[0]


def test_camt053_matches_by_reference_by_amount_and_not_at_all(books):
    result = load_statement(books, BANK / "camt053_2026-10.xml")
    assert result.format == "CAMT.053"
    assert (result.entries, result.incoming, result.outgoing) == (6, 5, 1)  # pending left out
    assert dict(result.rules) == {
        "reference": 1,
        "client_amount": 1,
        "unmatched": 1,
        "already_recorded": 1,
        "client_only": 1,
    }
    assert rows(
        books,
        "SELECT client_id, invoice_id, paid_date, amount FROM payments "
        "WHERE payment_id LIKE 'bank:%' ORDER BY paid_date",
    ) == [
        ("K100", "2026-0012", dt.date(2026, 10, 2), Decimal("1210.00")),
        ("K200", "2026-0015", dt.date(2026, 10, 5), Decimal("726.00")),
        ("K200", None, dt.date(2026, 10, 20), Decimal("150.00")),
    ]
    # Studio Noord's invoice was already paid in the history: not paid twice
    assert rows(books, "SELECT count(*) FROM payments WHERE client_id = 'K300'") == [(1,)]
    summary = result.summary()
    assert "1  matched by an invoice number in the description" in summary
    assert "unmatched: 07-10-2026 €99.00 from P. Onbekend: gift" in summary
    assert "unallocated: 20-10-2026 €150.00 from JANSEN INSTALLATIETECHNIEK" in summary
    # what the user sees next: Bakkerij owes only 2026-0020, Jansen 300 - 150
    assert outstanding(books, "K100") == Decimal("500.00")
    assert outstanding(books, "K200") == Decimal("150.00")
    # the payer's account is remembered for the client
    assert rows(books, "SELECT client_id, iban FROM client_bank_accounts ORDER BY 1") == [
        ("K100", "NL20INGB0001234567"),
        ("K200", "NL44RABO0123456789"),
    ]


def test_mt940_matches_and_an_overlapping_statement_adds_no_duplicates(books):
    october = load_statement(books, BANK / "mt940_2026-10.sta")
    assert october.format == "MT940"
    assert dict(october.rules) == {"reference": 1, "client_amount": 1, "unmatched": 2}
    assert rows(
        books, "SELECT invoice_id, amount FROM payments WHERE payment_id LIKE 'bank:%' ORDER BY 1"
    ) == [("2026-0016", Decimal("300.00")), ("2026-0020", Decimal("500.00"))]
    payments_before = rows(books, "SELECT count(*) FROM payments")[0][0]

    november = load_statement(books, BANK / "mt940_2026-11.sta")  # repeats 6 October
    assert (november.incoming, november.already_loaded) == (3, 2)
    assert dict(november.rules) == {"reference": 1}
    assert rows(books, "SELECT count(*) FROM payments")[0][0] == payments_before + 1
    # both identical 42,00 entries of 6 October are kept, once each
    assert rows(books, "SELECT count(*) FROM bank_transactions WHERE amount = 42") == [(2,)]
    assert rows(
        books, "SELECT count(*), count(DISTINCT transaction_id) FROM bank_transactions"
    ) == [(5, 5)]
    # the same file again changes nothing
    again = load_statement(books, BANK / "mt940_2026-11.sta")
    assert again.file_already_loaded
    assert outstanding(books, "K100") == Decimal("0")


def test_camt_after_mt940_recognises_an_account_seen_before(books, tmp_path):
    load_statement(books, BANK / "mt940_2026-10.sta")  # learns Jansen's account
    text = (BANK / "camt053_2026-10.xml").read_text(encoding="utf-8")
    renamed = tmp_path / "camt.xml"
    renamed.write_text(text.replace("JANSEN INSTALLATIETECHNIEK", "J. J. Jansen"), encoding="utf-8")
    result = load_statement(books, renamed)
    unallocated = [entry for entry, _ in result.unallocated]
    assert [e.counterparty_name for e in unallocated] == ["J. J. Jansen"]
    assert rows(
        books, "SELECT client_id FROM bank_transactions WHERE counterparty_name = 'J. J. Jansen'"
    ) == [("K200",)]


def test_broken_statements_are_refused_with_file_and_line(books, tmp_path):
    broken = tmp_path / "broken.xml"
    text = (BANK / "camt053_2026-10.xml").read_text(encoding="utf-8")
    broken.write_text(text.replace('<Amt Ccy="EUR">726.00</Amt>', '<Amt Ccy="EUR">7,26</Amt>'))
    with pytest.raises(LoadError, match=r"broken.xml:\d+: column 'Ntry/Amt' value '7,26'"):
        load_statement(books, broken)
    not_xml = tmp_path / "cut.xml"
    not_xml.write_text(text[:400])
    with pytest.raises(LoadError, match=r"cut.xml:\d+: not valid XML"):
        load_statement(books, not_xml)
    other = tmp_path / "other.txt"
    other.write_text("date,amount\n2026-10-01,5\n")
    with pytest.raises(LoadError, match="neither a CAMT.053"):
        read_statement(other)
    assert rows(books, "SELECT count(*) FROM bank_transactions") == [(0,)]


def test_reference_tokens_find_embedded_invoice_numbers():
    tokens = reference_tokens("Betaling fact.nr INV-2026-0012/0013, dank!")
    assert {"INV-2026-0012", "2026-0012", "0013", "BETALING"} <= tokens
    assert "20260012" not in tokens


def test_bank_command_prints_counts_and_unmatched(books, capsys):
    assert main(["bank", str(BANK / "camt053_2026-10.xml"), "--ledger", str(books)]) == 0
    out = capsys.readouterr().out
    assert "matched by client and exact amount" in out
    assert "unmatched: 07-10-2026" in out
