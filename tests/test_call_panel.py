"""The call form under each call sheet (notebook 06): what it writes, what the worklist does
after it, and what the user reads when a save cannot happen."""

import datetime as dt
import email
import html
import subprocess
import sys
import time
from decimal import Decimal
from email import policy
from pathlib import Path

import duckdb
import pytest
from conftest import make_ledger

from dunning_analytics.common.formatting import parse_amount
from dunning_analytics.ledger import LedgerLockedError, ledger_end_date, open_ledger
from dunning_analytics.notebook.call_panel import CallPanel
from dunning_analytics.questions.dunning import call_plan, worklist

D = dt.date
E = Decimal
AS_OF = D(2025, 6, 16)  # a Monday


def _ledger(path):
    """K1 owes two overdue invoices, K3 one; each had its reminder, so each is to be called."""
    con = make_ledger(
        path,
        [
            ("A", "K1", D(2025, 5, 1), D(2025, 5, 31), E("1000.00")),
            ("B", "K1", D(2025, 5, 6), D(2025, 6, 5), E("2600.00")),
            ("D", "K3", D(2025, 5, 2), D(2025, 6, 1), E("480.00")),
        ],
        contacts=[
            ("r1", "K1", "A", dt.datetime(2025, 6, 6, 9), "reminder"),
            ("r2", "K1", "B", dt.datetime(2025, 6, 6, 9), "reminder"),
            ("r3", "K3", "D", dt.datetime(2025, 6, 2, 9), "reminder"),
        ],
    )
    con.close()
    return path


def _panel(path, lang):
    """The call form on `path`, its confirmation drafts in a folder beside the ledger."""
    return CallPanel(path, AS_OF, lang=lang, confirmations=Path(path).parent / "mail")


def _pick(panel, client_id):
    panel.picker.value = next(i for i, c in enumerate(panel.calls) if c.client_id == client_id)
    assert panel.call.client_id == client_id


def _contacts(path):
    con = open_ledger(path, read_only=True)
    try:
        return con.execute(
            "SELECT client_id, invoice_id, kind, contact_at, promised_date, promised_amount, "
            "note FROM contacts WHERE contact_id NOT IN ('r1', 'r2', 'r3') "
            "ORDER BY invoice_id NULLS LAST, kind"
        ).fetchall()
    finally:
        con.close()


def test_a_promise_covers_the_oldest_invoices_and_their_ladder_waits(ledger):
    path = _ledger(ledger)
    panel = _panel(path, "nl")
    assert [c.client_id for c in panel.calls] == ["K1", "K3"]  # most overdue first
    _pick(panel, "K1")
    assert "Bellen: Jansen (K1)" in panel.sheet.value
    assert panel.amount.value == "3.600,00"  # the overdue total, as a Dutch person writes it
    panel.outcome.value = "promise_to_pay"
    panel.promised_date.input.value = "20-06-2025"
    panel.amount.value = "1.500,00"
    panel.note.value = "betaalt in twee delen"
    mine = panel.save()

    # 1,500 covers A (1,000) and 500 of B, oldest due date first; the call is made at 09:30
    at = dt.datetime(2025, 6, 16, 9, 30)
    assert _contacts(path) == [
        ("K1", "A", "promise_to_pay", at, D(2025, 6, 20), E("1000.00"), "betaalt in twee delen"),
        ("K1", "B", "promise_to_pay", at, D(2025, 6, 20), E("500.00"), "betaalt in twee delen"),
    ]
    assert list(mine["next_action"]) == ["wait", "wait"]
    assert list(mine["action_date"]) == [D(2025, 6, 20)] * 2
    # the worklist moved on: K1 is off this week's plan, K3 is still to be called
    assert [c.client_id for c in panel.calls] == ["K3"]
    assert "staat niet meer op de belplanning" in panel.next_steps.value
    assert "wachten op de belofte" in panel.next_steps.value
    assert panel.status.value.startswith(
        "Vastgelegd in de administratie: betaalbelofte (€ 1.500,00, 20-06-2025) met Jansen "
        "(2 facturen).<br>"
    )
    # and the client's written confirmation of it, beside the ledger as asked
    assert panel.confirmation.parent == Path(path).parent / "mail"
    assert f"om na te lezen en te versturen: {panel.confirmation}" in panel.status.value
    # the form shows the draft and offers to open it
    assert "Bevestiging van ons gesprek" in panel.status.value and "<pre" in panel.status.value
    assert f'download="{panel.confirmation.name}"' in panel.status.value
    assert "Open het concept in uw e-mailprogramma" in panel.status.value
    draft = panel.confirmation.read_text(encoding="utf-8")
    assert "Bevestiging van ons gesprek van 16-06-2025" in draft
    con = open_ledger(path, read_only=True)
    source = con.execute(
        "SELECT file_name, kind, rows_read FROM loads ORDER BY load_id DESC LIMIT 1"
    ).fetchone()
    con.close()
    assert source == ("call K1 2025-06-16 09:30", "contacts", 2)


def test_a_call_without_promise_moves_the_invoice_to_the_next_step(ledger):
    path = _ledger(ledger)
    panel = _panel(path, "en")
    _pick(panel, "K3")
    panel.outcome.value = "call"
    panel.on.input.value = D(2025, 6, 17)  # made on Tuesday
    panel.time.value = "10:05"
    mine = panel.save()
    assert _contacts(path) == [
        ("K3", "D", "call", dt.datetime(2025, 6, 17, 10, 5), None, None, None)
    ]
    # the formal notice follows the call by the ladder's 7 days
    assert mine[["invoice_id", "stage", "next_action", "action_date"]].values.tolist() == [
        ["D", "call", "formal_notice", D(2025, 6, 24)]
    ]
    # seen from the day of the call: K3 is no longer planned, K1 still is
    assert [c.client_id for c in panel.calls] == ["K1"]
    assert [c.client_id for c in call_plan(path, D(2025, 6, 17))[0]] == ["K1"]


def test_a_complaint_needs_a_note_and_a_refused_form_writes_nothing(ledger):
    path = _ledger(ledger)
    panel = _panel(path, "en")
    _pick(panel, "K1")
    panel.outcome.value = "dispute"
    assert panel.save() is None
    assert "Not saved: Write down the complaint" in panel.status.value
    panel.outcome.value = "promise_to_pay"
    panel.amount.value = "12,5,0"
    assert panel.save() is None
    assert "is not an amount" in panel.status.value
    panel.time.value = "9.30h"
    assert panel.save() is None
    assert "is not a time" in panel.status.value
    assert _contacts(path) == []
    assert [c.client_id for c in panel.calls] == ["K1", "K3"]

    panel.time.value = "09:30"
    panel.outcome.value = "dispute"
    panel.about.value = "B"
    panel.note.value = "factuur B: uren klopten niet"
    mine = panel.save()
    kinds = [(invoice, kind) for _, invoice, kind, *_ in _contacts(path)]
    assert kinds == [("B", "dispute")]
    # the complaint holds B's ladder (a call to resolve it), A was not called about yet:
    # the client stays on the plan and the sheet shows the complaint
    assert mine[["invoice_id", "disputed", "next_action"]].values.tolist() == [
        ["A", False, "call"],
        ["B", True, "call"],
    ]
    assert [c.client_id for c in panel.calls] == ["K1", "K3"]
    assert "factuur B: uren klopten niet" in panel.calls[0].sheet()
    assert "still to be called this week" in panel.next_steps.value

    # resolved on the next call: a promise on B is a later contact, so the ladder waits for it
    _pick(panel, "K1")
    panel.about.value = "B"
    panel.outcome.value = "promise_to_pay"
    panel.time.value = "11:00"
    panel.promised_date.input.value = D(2025, 6, 27)
    panel.amount.value = "2600"
    mine = panel.save()
    assert mine[["invoice_id", "disputed", "next_action"]].values.tolist() == [
        ["A", False, "call"],
        ["B", False, "wait"],
    ]
    # the next sheet shows the promise with its note, and the complaint under the disputes
    sheet = call_plan(path, D(2025, 6, 17), lang="en")[0][0].sheet()
    assert "2025-06-16 promise to pay, promised for 2025-06-27: pending" in sheet
    assert "2025-06-16 dispute\n" in sheet and "2025-06-16: factuur B: uren klopten niet" in sheet


def test_a_save_while_another_program_holds_the_ledger_names_it_and_keeps_the_form(ledger):
    path = _ledger(ledger)
    panel = _panel(path, "en")
    _pick(panel, "K3")
    panel.outcome.value = "call"
    panel.note.value = "voicemail, called back at 10"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True); "
            "print('open', flush=True); time.sleep(60)",
            str(path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        assert panel.save() is None
        assert "Not saved: The ledger" in panel.status.value
        assert f"in use by process {holder.pid}" in panel.status.value
        assert "Shut Down Kernel" in panel.status.value
        assert panel.note.value == "voicemail, called back at 10"  # nothing typed is lost
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.2)
    assert _contacts(path) == []
    panel.save()  # the same form, once the other program has let go
    assert [kind for _, _, kind, *_ in _contacts(path)] == ["call"]


def test_writing_while_this_process_reads_the_ledger_says_what_to_close(ledger):
    path = _ledger(ledger)
    reader = duckdb.connect(str(path), read_only=True)
    try:
        with pytest.raises(LedgerLockedError, match=r"already open in this notebook.*con.close"):
            open_ledger(path)
    finally:
        reader.close()


def test_the_worklist_and_end_date_read_a_path_and_let_go_of_the_file(ledger):
    path = _ledger(ledger)
    assert ledger_end_date(path) == D(2025, 6, 6)
    assert len(worklist(path, AS_OF)) == 3
    open_ledger(path).close()  # writable again: nothing holds the file


@pytest.mark.parametrize(
    ("text", "lang", "amount"),
    [
        ("1.250,00", "nl", "1250.00"),
        ("€ 1.250,00", "en", "1250.00"),
        ("1250,5", "nl", "1250.5"),
        ("1,250.00", "nl", "1250.00"),
        ("1250.00", "nl", "1250.00"),
        ("1.250", "nl", "1250"),
        ("1,250", "en", "1250"),
        ("12", "en", "12"),
    ],
)
def test_amounts_read_as_people_type_them(text, lang, amount):
    assert parse_amount(text, lang) == E(amount)


@pytest.mark.parametrize("text", ["1.2.3", "12,5,0", "abc", "1.25,00", ""])
def test_an_unreadable_amount_is_refused(text):
    with pytest.raises(ValueError, match="is not an amount"):
        parse_amount(text, "nl")


def test_a_payment_plan_in_instalments_from_the_form_pauses_the_ladder(ledger):
    """The form's payment plan with its instalments typed as Dutch people write them: the
    plan is stored, its invoices wait for the next instalment, and the confirmation lists
    the first one."""
    path = _ledger(ledger)
    panel = _panel(path, "nl")
    _pick(panel, "K1")
    panel.outcome.value = "payment_plan"
    assert panel.instalments.layout.display is None  # shown for a plan only
    panel.instalments.value = "30-06-2025=1.200,00; 31-07-2025=1.200,00\n31-08-2025=1.200,00"
    mine = panel.save()
    con = open_ledger(path, read_only=True)
    try:
        stored = con.execute(
            "SELECT number, due_date, amount FROM plan_instalments ORDER BY number"
        ).fetchall()
    finally:
        con.close()
    assert stored == [
        (1, D(2025, 6, 30), E("1200.00")),
        (2, D(2025, 7, 31), E("1200.00")),
        (3, D(2025, 8, 31), E("1200.00")),
    ]
    assert list(mine["next_action"]) == ["wait", "wait"]
    assert set(mine["note"]) == {
        "betalingsregeling: 0 van 3 termijnen betaald, de volgende van € 1.200,00 op 30-06-2025"
    }
    draft = email.message_from_bytes(panel.confirmation.read_bytes(), policy=policy.default)
    text = " ".join(draft.get_body(preferencelist=("plain",)).get_content().split())
    assert "eerste termijn van € 1.200,00 uiterlijk 30-06-2025" in text
    assert "3 31-08-2025 € 1.200,00" in text  # every instalment listed


def test_an_instalment_typed_wrong_is_refused_and_nothing_is_saved(ledger):
    path = _ledger(ledger)
    panel = _panel(path, "en")
    _pick(panel, "K1")
    panel.outcome.value = "payment_plan"
    panel.instalments.value = "30-06-2025 1200"
    assert panel.save() is None
    assert "instalment '30-06-2025 1200': write it as date=amount" in html.unescape(
        panel.status.value
    )
    assert _contacts(path) == []


def test_no_answer_keeps_the_ladder_and_plans_the_next_try(ledger):
    """Nobody picked up: the attempt is recorded, the invoices stay at their step, and the
    call plan tries again in the first free slot after the attempt; no confirmation."""
    path = _ledger(ledger)
    panel = _panel(path, "en")
    _pick(panel, "K1")
    first = panel.call.start
    panel.outcome.value = "no_answer"
    mine = panel.save()
    assert [k for _, _, k, *_ in _contacts(path)] == ["no_answer", "no_answer"]
    assert list(mine["next_action"]) == ["call", "call"]  # still to be called
    assert panel.confirmation is None
    again = next(c for c in call_plan(path, AS_OF)[0] if c.client_id == "K1")
    assert again.start > first  # a later slot than the one that was not answered
    assert "no answer" in again.sheet()  # the attempt shows among the earlier contacts
