"""`dunning-analytics check`: the declared data tests find what a hand edit broke, each in a
sentence with its examples, and find nothing on a ledger the kit wrote."""

import datetime as dt
import shutil

import duckdb
import pytest

from dunning_analytics.cli import main
from dunning_analytics.ledger.checks import check_ledger, declared_checks

# a hand edit, the test it breaks, and the example the finding names
EDITS = [
    ("INSERT INTO invoices SELECT * FROM invoices WHERE invoice_id = 'F00000034'",
     "unique invoices.invoice_id", "F00000034"),
    ("UPDATE invoices SET client_id = 'C99999' WHERE invoice_id = 'F00000034'",
     "relationships invoices.client_id", "C99999"),
    ("UPDATE payments SET invoice_id = 'F-TYPO' WHERE payment_id = 'P000000001'",
     "relationships payments.invoice_id", "F-TYPO"),
    ("UPDATE clients SET kind = 'zakelijk' WHERE client_id = 'C00001'",
     "accepted_values clients.kind", "zakelijk"),
    ("UPDATE clients SET name = NULL WHERE client_id = 'C00001'", "not_null clients.name", None),
    ("UPDATE invoices SET due_date = invoice_date - 5 WHERE invoice_id = 'F00000034'",
     "due_before_invoice", "F00000034"),
    ("UPDATE payments SET paid_date = DATE '1899-03-01' WHERE payment_id = 'P000000001'",
     "payment_before_1990", "P000000001"),
    ("UPDATE payments SET amount = 0 WHERE payment_id = 'P000000001'",
     "payment_not_positive", "P000000001"),
    ("UPDATE payments SET client_id = 'C00002' WHERE payment_id = (SELECT min(payment_id) "
     "FROM payments WHERE invoice_id IS NOT NULL AND client_id <> 'C00002')",
     "payment_other_client", None),
]  # fmt: skip


@pytest.fixture
def copy(demo_ledger, tmp_path):
    path = tmp_path / "mine.duckdb"
    shutil.copy(demo_ledger, path)
    return path


def test_a_ledger_the_kit_wrote_passes_every_check(demo_ledger):
    assert check_ledger(demo_ledger) == []
    assert check_ledger(demo_ledger, as_of=dt.date(2025, 6, 30)) == []
    assert len(declared_checks()) >= 20


@pytest.mark.parametrize(("edit", "name", "example"), EDITS, ids=[e[1] for e in EDITS])
def test_each_hand_edit_is_found_by_its_check(copy, edit, name, example):
    with duckdb.connect(str(copy)) as con:
        con.execute(edit)
    findings = {f.name: f for f in check_ledger(copy, lang="en")}
    assert name in findings, sorted(findings)
    found = findings[name]
    assert found.count >= 1 and found.sentence.endswith(").")
    if example is not None:
        assert example in found.examples and example in found.sentence


def test_a_paid_invoice_entered_twice_breaks_the_reconciliation_of_the_buckets(copy):
    """A paid invoice's row copied by hand: by the raw tables the client owes it once more,
    while the aging settles both rows with the one payment; the check names the client."""
    paid = "SELECT invoice_id FROM payments WHERE payment_id = 'P000000001'"
    with duckdb.connect(str(copy)) as con:
        con.execute(f"INSERT INTO invoices SELECT * FROM invoices WHERE invoice_id = ({paid})")
        client = con.execute(f"SELECT client_id FROM invoices WHERE invoice_id = ({paid})")
        client = client.fetchall()[0][0]
    findings = {f.name: f for f in check_ledger(copy)}
    assert client in findings["buckets_reconcile"].examples
    assert "unique invoices.invoice_id" in findings


def test_the_command_says_each_finding_in_dutch_and_fails(copy, capsys):
    assert main(["check", "--ledger", str(copy), "--lang", "nl"]) == 0
    assert "Alle" in capsys.readouterr().out
    with duckdb.connect(str(copy)) as con:
        con.execute(EDITS[3][0])
    assert main(["check", "--ledger", str(copy), "--lang", "nl"]) == 1
    said = capsys.readouterr().out
    assert "- clients.kind: een andere waarde dan business, consumer: 1 rij (zakelijk)." in said
    assert "1 van " in said and "controles vonden iets" in said
