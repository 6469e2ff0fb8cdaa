"""Corrections (#32): a recorded promise can be withdrawn, from notebook 06 and the command
line; the withdrawal is kept (who, when, why) and the worklist shows the earlier step again."""

import datetime as dt
from decimal import Decimal

import duckdb
import pytest
from conftest import make_ledger

from dunning_analytics.act.conversation import record_contact
from dunning_analytics.act.corrections import recent_contacts, withdraw_contact
from dunning_analytics.cli import main
from dunning_analytics.ledger import LedgerError
from dunning_analytics.notebook.contacts_panel import ContactsPanel
from dunning_analytics.questions.dunning import worklist

AS_OF = dt.date(2025, 6, 16)  # a Monday


def _books(path):
    make_ledger(
        path,
        invoices=[("A", "K1", "2025-05-01", "2025-05-31", 1000)],
        contacts=[("r1", "K1", "A", dt.datetime(2025, 6, 2, 9), "reminder")],
    ).close()
    return path


def _next(path):
    row = worklist(path, AS_OF).set_index("invoice_id").loc["A"]
    return row["next_action"], row["action_date"]


def _promise(path):
    record_contact(
        path, "K1", "promise", dt.datetime(2025, 6, 16, 10), invoice_id="A",
        promised_date=dt.date(2025, 6, 30), promised_amount=Decimal("1000.00"),
    )  # fmt: skip
    return recent_contacts(path, "K1")["contact_id"].iloc[0]


def test_a_withdrawn_promise_brings_back_the_earlier_next_step(tmp_path):
    path = _books(tmp_path / "books.duckdb")
    before = _next(path)
    assert before[0] == "call"
    contact = _promise(path)
    assert _next(path) == ("wait", dt.date(2025, 6, 30))
    row = withdraw_contact(path, contact, by="eva", reason="wrong date",
                           at=dt.datetime(2025, 6, 16, 11))  # fmt: skip
    assert row["kind"] == "promise_to_pay"
    assert _next(path) == before
    con = duckdb.connect(str(path), read_only=True)
    kept = con.execute(
        "SELECT kind, promised_date, withdrawn_by, withdrawn_reason, withdrawn_at "
        "FROM withdrawn_contacts"
    ).fetchall()
    con.close()
    assert kept == [("promise_to_pay", dt.date(2025, 6, 30), "eva", "wrong date",
                     dt.datetime(2025, 6, 16, 11))]  # fmt: skip
    with pytest.raises(LedgerError, match="withdrawn already"):
        withdraw_contact(path, contact, by="eva")
    with pytest.raises(LedgerError, match="no contact nope"):
        withdraw_contact(path, "nope", by="eva")


def test_the_command_line_lists_and_withdraws_contacts(tmp_path, capsys):
    path = _books(tmp_path / "books.duckdb")
    contact = _promise(path)
    assert main(["contacts", "--ledger", str(path), "--client", "K1"]) == 0
    listed = capsys.readouterr().out
    assert contact in listed and "promise to pay on A promised 2025-06-30" in listed
    args = ["withdraw", "--ledger", str(path), "--contact", contact, "--reason", "wrong client"]
    assert main([*args, "--by", "eva"]) == 0
    assert "Withdrawn: promise to pay with K1" in capsys.readouterr().out
    assert _next(path)[0] == "call"
    assert main(args) == 1
    assert "withdrawn already" in capsys.readouterr().err


def test_the_notebook_panel_withdraws_with_one_click(tmp_path):
    path = _books(tmp_path / "books.duckdb")
    contact = _promise(path)
    panel = ContactsPanel(path, lang="nl")
    assert panel.client.value == "K1"
    assert len(panel.rows.children) == 2  # the promise and the reminder, newest first
    panel.reason.value = "verkeerde datum"
    panel.rows.children[0].children[0].click()
    assert "Ingetrokken" in panel.status.value
    assert len(panel.rows.children) == 1
    assert contact not in set(recent_contacts(path, "K1")["contact_id"])
    assert _next(path)[0] == "call"


def test_a_withdrawn_contact_does_not_come_back_with_a_reload(tmp_path, write):
    path = _books(tmp_path / "books.duckdb")
    contacts = write(
        "contacts.csv",
        "contact_id,client_id,invoice_id,contact_at,kind,promised_date\n"
        "x1,K1,A,2025-06-16 10:00,promise_to_pay,2025-06-30\n",
    )
    from dunning_analytics import load

    load(path, contacts, kind="contacts")
    withdraw_contact(path, "x1", by="eva", reason="wrong date")
    again = load(path, contacts, kind="contacts", force=True)
    assert again.withdrawn_skipped == 1 and again.rows_loaded == 0
    assert "withdrawn earlier and are not loaded again" in again.summary()
    assert "x1" not in set(recent_contacts(path, "K1")["contact_id"])
    assert _next(path)[0] == "call"
