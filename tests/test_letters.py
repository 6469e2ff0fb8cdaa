"""Letters per ladder step and recording the conversation: the legally required elements
against `law` and `claim_statement`, the files written, and the ladder moving on."""

import csv
import datetime as dt
import email
import re
import shutil
from decimal import Decimal
from email import policy

import pytest
from conftest import make_ledger

from dunning_analytics.act.conversation import record_contact
from dunning_analytics.act.letters import (
    build_letter,
    due_letters,
    letters_due,
    mark_sent,
    write_letters,
)
from dunning_analytics.cli import main
from dunning_analytics.common.formatting import format_eur
from dunning_analytics.ingest.errors import LoadError
from dunning_analytics.ledger import LedgerError
from dunning_analytics.questions.aging import aging
from dunning_analytics.questions.claims import claim_statement
from dunning_analytics.questions.dunning import worklist
from dunning_analytics.questions.law import collection_costs

D = dt.date
E = Decimal
AS_OF = D(2025, 6, 16)  # a Monday
HAS_CHROMIUM = bool(shutil.which("chromium") or shutil.which("chromium-browser"))


def _ledger(path):
    return make_ledger(
        path,
        [
            ("A", "K1", D(2025, 3, 1), D(2025, 3, 31), E("1000.00")),
            ("B", "K1", D(2025, 4, 1), D(2025, 5, 1), E("2600.00")),
            ("C", "K2", D(2025, 3, 1), D(2025, 3, 15), E("3742.18")),
            ("CN", "K1", D(2025, 5, 5), D(2025, 5, 5), E("-100.00"), "B"),
        ],
        [
            ("p1", "K1", "A", D(2025, 4, 10), E("250.00")),
            ("p2", "K1", None, D(2025, 6, 1), E("75.00")),
        ],
    )


def test_fourteen_day_letter_states_the_exact_bik_costs_and_the_term(ledger):
    con = _ledger(ledger)
    letter = build_letter(con, AS_OF, "K2", "fourteen_day_letter", lang="nl")
    # BIK over 3,742.18: 15 % of 2,500 + 10 % of 1,242.18 = 375.00 + 124.218 -> 499.22
    assert letter.principal == E("3742.18")
    assert letter.costs == collection_costs(E("3742.18")) == E("499.22")
    text = letter.text
    assert "€ 3.742,18" in text and "precies € 499,22" in text
    assert "binnen 14 dagen, te rekenen vanaf de dag na ontvangst van deze brief" in text
    # received on the letter's date: the term runs from the next day, 14 days
    assert letter.deadline == AS_OF + dt.timedelta(days=14)
    assert f"dan is {letter.deadline:%d-%m-%Y} de laatste dag" in text
    assert "€ 4.241,40" in text  # what it becomes with the costs
    # the costs are announced, not claimed: no interest or costs column in the table
    assert "Incassokosten" not in letter.html.split("<table>")[1].split("</thead>")[0]
    english = build_letter(con, AS_OF, "K2", "fourteen_day_letter", lang="en").text
    assert "counted from the day after you receive this letter" in english
    assert "exactly €499.22" in english


def test_formal_notice_claims_what_the_claim_statement_says(ledger):
    con = _ledger(ledger)
    claim = claim_statement(con, AS_OF, "K1")
    letter = build_letter(con, AS_OF, "K1", "formal_notice", lang="nl")
    assert (letter.principal, letter.interest, letter.costs) == (
        claim.principal,
        claim.interest,
        claim.costs,
    )
    assert claim.interest > 0 and claim.costs >= E("80.00")  # at least € 40 per invoice
    text = letter.text
    for amount in (claim.interest, claim.costs, claim.total):
        assert format_eur(amount, "nl") in text
    assert "wettelijke handelsrente" in text and "in gebreke" in text
    assert letter.deadline == AS_OF + dt.timedelta(days=14)
    assert letter.deadline.strftime("%d-%m-%Y") in text
    # one row per overdue invoice with what is still open
    assert [row["invoice_id"] for row in letter.invoices] == ["A", "B"]
    # A: 1,000 - 250 paid - the unallocated 75 (applied to the oldest); B: 2,600 - 100 credit
    assert [row["principal"] for row in letter.invoices] == [E("675.00"), E("2500.00")]


def test_the_wrong_letter_for_the_client_kind_is_refused(ledger):
    con = _ledger(ledger)
    with pytest.raises(LedgerError, match="consumer"):
        build_letter(con, AS_OF, "K2", "formal_notice")
    with pytest.raises(LedgerError, match="business"):
        build_letter(con, AS_OF, "K1", "fourteen_day_letter")
    with pytest.raises(LedgerError, match="nothing open"):
        build_letter(con, AS_OF, "K3", "reminder")


def test_statement_lists_every_open_item_and_the_balance(ledger):
    con = _ledger(ledger)
    letter = build_letter(con, AS_OF, "K1", "statement", lang="en")
    items = aging(con, AS_OF, by="invoice", client_id="K1")
    assert letter.principal == sum(items["outstanding"], E("0"))
    rows = {row["invoice_id"]: row for row in letter.invoices}
    assert {row["item"] for row in letter.invoices} == {"invoice"}
    # what was paid or credited on each invoice, and what is left
    assert (rows["A"]["paid"], rows["A"]["principal"]) == (E("325.00"), E("675.00"))
    assert (rows["B"]["paid"], rows["B"]["principal"]) == (E("100.00"), E("2500.00"))
    assert format_eur(letter.principal, "en") in letter.text


def test_names_are_escaped_in_the_letter(ledger):
    con = _ledger(ledger)
    con.execute("UPDATE clients SET name = '<script>x</script>' WHERE client_id = 'K1'")
    letter = build_letter(con, AS_OF, "K1", "reminder")
    assert "<script>x" not in letter.html and "&lt;script&gt;x" in letter.html


def test_letters_written_as_eml_and_csv_and_marked_sent(ledger, tmp_path):
    con = _ledger(ledger)
    con.execute("UPDATE clients SET email = 'jansen@example.com' WHERE client_id = 'K1'")
    con.execute(
        "INSERT INTO contacts (contact_id, client_id, invoice_id, contact_at, kind) VALUES "
        "('r', 'K1', 'B', TIMESTAMP '2025-05-02 10:00', 'reminder'), "
        "('c', 'K1', 'B', TIMESTAMP '2025-06-02 10:00', 'call')"
    )
    letters = letters_due(con, AS_OF, lang="nl")
    kinds = {(letter.client_id, letter.kind) for letter in letters}
    assert ("K1", "formal_notice") in kinds and ("K1", "statement") in kinds
    assert ("K2", "reminder") in kinds
    table = write_letters(letters, tmp_path / "out", pdf=HAS_CHROMIUM)
    assert list(table.columns[:8]) == [
        "client_id",
        "kind",
        "principal",
        "interest",
        "costs",
        "deadline",
        "pdf",
        "eml",
    ]
    assert (tmp_path / "out" / "letters.csv").exists()
    notice = table[table["kind"] == "formal_notice"].iloc[0]
    message = email.message_from_bytes(
        (tmp_path / "out" / notice["eml"]).read_bytes(), policy=policy.default
    )
    assert message["To"].addresses[0].addr_spec == "jansen@example.com"
    assert message["Subject"] == "Aanmaning en ingebrekestelling"
    assert "in gebreke" in message.get_body(("plain",)).get_content()
    assert "<table>" in message.get_body(("html",)).get_content()
    attachments = [part.get_filename() for part in message.iter_attachments()]
    assert attachments == ([notice["pdf"]] if HAS_CHROMIUM else [])
    if HAS_CHROMIUM:
        assert (tmp_path / "out" / notice["pdf"]).read_bytes().startswith(b"%PDF")
    to_k2 = email.message_from_bytes(
        (tmp_path / "out" / table[table["client_id"] == "K2"].iloc[0]["eml"]).read_bytes(),
        policy=policy.default,
    )
    assert to_k2["To"] is None  # no address known: print and post it
    # marked sent: the ladder moves on and the contacts are a load like any other
    loads_before = con.execute("SELECT count(*) FROM loads").fetchone()[0]
    mark_sent(con, letters, dt.datetime(2025, 6, 16, 9, 0))
    assert con.execute("SELECT count(*) FROM loads").fetchone()[0] == loads_before + 1
    work = worklist(con, AS_OF).set_index("invoice_id")
    assert work.loc["B", "stage"] == "formal_notice"
    assert work.loc["C", "stage"] == "reminder"
    assert not due_letters(con, AS_OF)


def test_a_client_with_an_agency_gets_no_letters_of_ours(ledger):
    con = _ledger(ledger)
    con.execute(
        "INSERT INTO contacts (contact_id, client_id, invoice_id, contact_at, kind) VALUES "
        "('x', 'K1', 'A', TIMESTAMP '2025-05-20 10:00', 'collection')"
    )
    assert all(client != "K1" for client, _, _ in due_letters(con, AS_OF))


def test_the_demo_has_every_letter_due_in_its_last_week(demo_ledger):
    due = due_letters(demo_ledger, D(2026, 10, 26))
    assert {kind for _, kind, _ in due} == {
        "reminder",
        "formal_notice",
        "fourteen_day_letter",
        "statement",
    }


def test_record_contact_moves_the_ladder_and_refuses_bad_input(ledger):
    con = make_ledger(ledger, [("A", "K1", D(2025, 4, 1), D(2025, 5, 1), E("1000.00"))])
    assert worklist(con, AS_OF).iloc[0]["next_action"] == "reminder"
    record_contact(con, "K1", "reminder", dt.datetime(2025, 5, 2, 10, 0), invoice_id="A")
    record_contact(
        con,
        "K1",
        "promise",
        dt.datetime(2025, 6, 16, 9, 30),
        invoice_id="A",
        promised_date=D(2025, 6, 20),
        promised_amount="1000.00",
        note="pays Friday",
    )
    row = worklist(con, AS_OF).iloc[0]
    assert (row["next_action"], row["action_date"]) == ("wait", D(2025, 6, 20))
    before = con.execute("SELECT count(*) FROM contacts").fetchone()[0]
    with pytest.raises(LoadError, match="unknown client K9"):
        record_contact(con, "K9", "call", dt.datetime(2025, 6, 16, 9, 0))
    with pytest.raises(LoadError, match="belongs to client K1"):
        record_contact(con, "K3", "call", dt.datetime(2025, 6, 16, 9, 0), invoice_id="A")
    with pytest.raises(LoadError, match="promised date"):
        record_contact(con, "K1", "promise", dt.datetime(2025, 6, 16, 9, 0))
    assert con.execute("SELECT count(*) FROM contacts").fetchone()[0] == before


def test_letters_and_contact_commands(demo_ledger, tmp_path, capsys):
    ledger = tmp_path / "ledger.duckdb"
    shutil.copy(demo_ledger, ledger)
    out = tmp_path / "letters"
    args = ["letters", "--ledger", str(ledger), "--as-of", "26-10-2026", "--lang", "nl"]
    assert main([*args, "--out", str(out), "--no-pdf", "--mark-sent"]) == 0
    printed = capsys.readouterr().out
    assert "veertiendagenbrief" in printed and "vastgelegd als verstuurd" in printed
    assert (out / "letters.csv").read_text().startswith("client_id,kind,principal")
    with open(out / "letters.csv", newline="") as fh:
        written = list(csv.DictReader(fh))
    for row in written:  # money as money: 12553.80, never 12553.8
        for column in ("principal", "interest", "costs"):
            assert re.fullmatch(r"-?\d+\.\d\d", row[column]), (column, row[column])
    assert main([*args, "--out", str(tmp_path / "again"), "--no-pdf"]) == 0
    assert "Geen brieven aan de beurt" in capsys.readouterr().out
    code = main(
        [
            "contact",
            "--ledger",
            str(ledger),
            "--client",
            "C00008",
            "--kind",
            "promise",
            "--promised-date",
            "30-10-2026",
            "--promised-amount",
            "1.250,00",
            "--at",
            "26-10-2026 10:15",
        ]
    )
    assert code == 0
    import duckdb

    with duckdb.connect(str(ledger), read_only=True) as con:
        promised = con.execute(
            "SELECT promised_date, promised_amount FROM contacts WHERE client_id = 'C00008' "
            "AND kind = 'promise_to_pay' AND contact_at = TIMESTAMP '2026-10-26 10:15'"
        ).fetchall()
    assert promised == [(D(2026, 10, 30), E("1250.00"))]


@pytest.mark.skipif(not HAS_CHROMIUM, reason="PDFs need Chromium (apt-get install chromium)")
def test_letters_panel_previews_and_writes(demo_ledger, tmp_path):
    from dunning_analytics.notebook.widgets import LettersPanel

    letters = letters_due(demo_ledger, D(2026, 10, 26), lang="nl")
    panel = LettersPanel(letters[:2], folder=tmp_path / "brieven", lang="nl")
    panel.picker.value = 1
    assert "srcdoc" in panel.preview.value and letters[1].subject in panel.preview.value
    assert letters[0].subject not in panel.preview.value
    table = panel.write()
    assert len(table) == 2 and all((tmp_path / "brieven" / name).exists() for name in table["pdf"])
    assert "2 brieven" in panel.note.value
