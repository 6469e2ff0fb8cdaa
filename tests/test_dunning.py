"""The dunning ladder, the weekly call plan, exports and the claim statement."""

import csv
import datetime as dt
from decimal import Decimal

import holidays
import openpyxl
import pytest
from conftest import make_ledger

from dunning_analytics.present.exports import write_ics, write_table
from dunning_analytics.questions.claims import claim_statement
from dunning_analytics.questions.dunning import (
    ACTION_TEXT,
    call_plan,
    call_table,
    plan_days,
    worklist,
)

D = dt.date
E = Decimal
AS_OF = D(2025, 6, 16)  # a Monday


def _step(con, invoice_id, as_of=AS_OF):
    row = worklist(con, as_of).set_index("invoice_id").loc[invoice_id]
    return row["stage"], row["next_action"], row["action_date"], row["note"]


def test_ladder_from_reminder_to_collection(ledger):
    invoices = [("A", "K1", D(2025, 4, 1), D(2025, 5, 1), E("1000.00"))]
    con = make_ledger(ledger, invoices)
    assert _step(con, "A")[:3] == ("none", "reminder", D(2025, 5, 2))
    con.execute(
        "INSERT INTO contacts (contact_id, client_id, invoice_id, contact_at, kind) "
        "VALUES ('r', 'K1', 'A', TIMESTAMP '2025-05-02 10:00', 'reminder')"
    )
    assert _step(con, "A")[:3] == ("reminder", "call", D(2025, 5, 9))
    con.execute(
        "INSERT INTO contacts (contact_id, client_id, invoice_id, contact_at, kind) "
        "VALUES ('c', 'K1', 'A', TIMESTAMP '2025-05-09 10:00', 'call')"
    )
    assert _step(con, "A")[:3] == ("call", "formal_notice", D(2025, 5, 16))
    con.execute(
        "INSERT INTO contacts (contact_id, client_id, invoice_id, contact_at, kind) "
        "VALUES ('f', 'K1', 'A', TIMESTAMP '2025-05-16 10:00', 'formal_notice')"
    )
    stage, action, when, note = _step(con, "A")
    assert (stage, action, when, note) == ("formal_notice", "collection", D(2025, 5, 31), "")


def test_consumers_get_the_fourteen_day_letter(ledger):
    con = make_ledger(ledger, [("B", "K2", D(2025, 4, 1), D(2025, 5, 1), E("100.00"))])
    con.execute(
        "INSERT INTO contacts (contact_id, client_id, invoice_id, contact_at, kind) "
        "VALUES ('c', 'K2', 'B', TIMESTAMP '2025-05-09 10:00', 'call')"
    )
    assert _step(con, "B")[1:3] == ("fourteen_day_letter", D(2025, 5, 16))
    con.execute(
        "INSERT INTO contacts (contact_id, client_id, invoice_id, contact_at, kind) "
        "VALUES ('l', 'K2', 'B', TIMESTAMP '2025-05-16 10:00', 'fourteen_day_letter')"
    )
    stage, action, when, note = _step(con, "B")
    assert (stage, action, when) == ("fourteen_day_letter", "collection", D(2025, 5, 31))
    assert "weigh it" in note  # 100.00 is below the 250.00 worth a collection agency


def test_promise_pending_and_dispute(ledger):
    con = make_ledger(
        ledger,
        [
            ("A", "K1", D(2025, 4, 1), D(2025, 5, 1), E("1000.00")),
            ("X", "K1", D(2025, 4, 1), D(2025, 5, 1), E("500.00")),
        ],
        contacts=[
            (
                "p",
                "K1",
                "A",
                dt.datetime(2025, 6, 10, 10),
                "promise_to_pay",
                D(2025, 6, 20),
                E("1000.00"),
            )
        ],
    )
    con.execute("UPDATE invoices SET disputed = true WHERE invoice_id = 'X'")
    assert _step(con, "A")[1:3] == ("wait", D(2025, 6, 20))
    assert _step(con, "X")[1] == "call" and "disputed" in _step(con, "X")[3]


def test_service_call_before_the_due_date_for_a_risky_client(ledger):
    # K3 is new (one invoice): flagged deposit by the policy, so risky
    con = make_ledger(ledger, [("N", "K3", D(2025, 6, 1), D(2025, 6, 30), E("800.00"))])
    assert _step(con, "N")[1:3] == ("service_call", D(2025, 6, 25))
    # after the due date a missed service call is skipped
    assert _step(con, "N", D(2025, 7, 2))[1:3] == ("reminder", D(2025, 7, 1))


def test_plan_days_skip_weekends_and_dutch_holidays():
    assert plan_days(D(2026, 4, 27)) == [
        D(2026, 4, 28),
        D(2026, 4, 29),
        D(2026, 4, 30),
        D(2026, 5, 1),
    ]
    assert plan_days(D(2026, 11, 21))[0] == D(2026, 11, 23)  # Saturday: next week, Monday first
    assert plan_days(D(2026, 11, 25)) == [D(2026, 11, 25), D(2026, 11, 26), D(2026, 11, 27)]


@pytest.mark.parametrize(
    "as_of", [D(2026, 10, 26), D(2026, 10, 28), D(2026, 10, 31), D(2026, 4, 27)]
)
def test_call_plan_only_in_golden_hours_on_working_days(demo_ledger, as_of):
    planned, unplanned = call_plan(demo_ledger, as_of)
    assert planned
    nl = holidays.country_holidays("NL", years=as_of.year)
    windows = [(dt.time(9, 30), dt.time(11, 30)), (dt.time(13, 30), dt.time(15, 30))]
    starts = [c.start for c in planned]
    assert len(set(starts)) == len(starts)
    for call in planned:
        end = call.start + dt.timedelta(minutes=call.minutes)
        assert call.start.weekday() < 5 and call.start.date() not in nl
        assert call.start.date() >= as_of or as_of.weekday() >= 5
        assert any(lo <= call.start.time() and end.time() <= hi for lo, hi in windows)
    # Monday and Tuesday are filled before the rest of the week
    days = sorted({s.date() for s in starts})
    late_week = [d for d in days if d.weekday() >= 2]
    if late_week:
        early = [d for d in plan_days(as_of) if d.weekday() < 2]
        assert all(sum(s.date() == d for s in starts) == 16 for d in early)
    one = planned[0].sheet()
    assert "Goal:" in one and "Open questions:" in one and "agreed payment term" in one


def test_exports_neutralise_formula_injection(ledger, tmp_path):
    con = make_ledger(
        ledger,
        [
            ("A", "K1", D(2025, 4, 1), D(2025, 5, 1), E("1000.00")),
            ("B", "K2", D(2025, 4, 1), D(2025, 5, 1), E("300.00")),
        ],
    )
    con.execute("UPDATE clients SET name = '=HYPERLINK(\"http://x\",\"y\")' WHERE client_id = 'K1'")
    con.execute("UPDATE clients SET name = '@SUM(A1:A9)' WHERE client_id = 'K2'")
    con.execute(
        "INSERT INTO contacts (contact_id, client_id, invoice_id, contact_at, kind) VALUES "
        "('r1', 'K1', 'A', TIMESTAMP '2025-05-02 10:00', 'reminder'), "
        "('r2', 'K2', 'B', TIMESTAMP '2025-05-02 10:00', 'reminder')"
    )
    planned, unplanned = call_plan(con, AS_OF)
    table = call_table(planned + unplanned)
    assert set(table["name"]) == {'=HYPERLINK("http://x","y")', "@SUM(A1:A9)"}
    with open(write_table(table, tmp_path / "calls.csv"), newline="") as fh:
        names = {row["name"] for row in csv.DictReader(fh)}
    assert names == {'\'=HYPERLINK("http://x","y")', "'@SUM(A1:A9)"}
    sheet = openpyxl.load_workbook(write_table(table, tmp_path / "calls.xlsx")).active
    header = [c.value for c in sheet[2]]  # row 1: the title
    cells = [row[header.index("name")] for row in sheet.iter_rows(min_row=3)]
    assert all(c.data_type == "s" and c.value.startswith("'") for c in cells)
    ics = write_ics(planned, tmp_path / "calls.ics").read_bytes().decode("utf-8")
    assert ics.startswith("BEGIN:VCALENDAR") and ics.count("BEGIN:VEVENT") == len(planned) == 2
    assert "DTSTART:20250616T093000" in ics
    assert all(len(line.encode()) <= 75 for line in ics.split("\r\n"))


def test_claim_statement_worked_by_hand(ledger):
    con = make_ledger(
        ledger,
        [
            ("A", "K1", D(2024, 5, 1), D(2024, 5, 31), E("1000.00")),
            ("B", "K1", D(2024, 6, 1), D(2024, 7, 1), E("200.00")),
            ("C", "K2", D(2024, 5, 1), D(2024, 5, 31), E("1000.00")),
        ],
        [("p", "K1", "B", D(2024, 7, 10), E("100.00"))],
    )
    claim = claim_statement(con, D(2024, 7, 31), "K1")
    rows = claim.invoices.set_index("invoice_id")
    # A: interest from 1 June to 31 July: 30 d x 12.50 % = 10.27, 31 d x 12.25 % = 10.40
    assert rows.loc["A", "interest"] == E("20.67")
    # B: interest runs on what is really open: 200 from 2 to 9 July (8 d x 12.25 % = 0.537
    # -> 0.54), 100 from 10 to 31 July (22 d = 0.738 -> 0.74); the payment came before any
    # claim, so it paid the principal
    assert rows.loc["B", "principal"] == E("100.00") and rows.loc["B", "interest"] == E("1.28")
    # costs over 1,100: 15 % = 165.00 (> 2 x 40), shared pro rata
    assert claim.costs == E("165.00")
    assert sum(rows["costs"]) == E("165.00") and rows.loc["A", "costs"] == E("150.00")
    assert claim.total == E("1100.00") + E("21.95") + E("165.00")
    consumer = claim_statement(con, D(2024, 7, 31), "K2")
    assert consumer.costs == E("0.00") and consumer.interest > 0
    assert any("14-day letter" in w for w in consumer.warnings)
    con.execute(
        "INSERT INTO contacts (contact_id, client_id, contact_at, kind) VALUES "
        "('l', 'K2', TIMESTAMP '2024-07-10 10:00', 'fourteen_day_letter')"
    )
    assert claim_statement(con, D(2024, 7, 24), "K2").costs == E("0.00")  # 14 days: not yet
    assert claim_statement(con, D(2024, 7, 25), "K2").costs == E("150.00")  # expired


def test_a_client_with_a_collection_agency_gets_no_calls_or_reminders_of_ours(ledger):
    invoices = [
        ("A", "K1", D(2025, 3, 1), D(2025, 4, 1), E("1000.00")),
        ("B", "K1", D(2025, 5, 1), D(2025, 6, 1), E("400.00")),
        ("C", "K3", D(2025, 5, 1), D(2025, 6, 1), E("400.00")),
    ]
    con = make_ledger(ledger, invoices)
    con.execute(
        "INSERT INTO contacts (contact_id, client_id, invoice_id, contact_at, kind) "
        "VALUES ('x', 'K1', 'A', TIMESTAMP '2025-06-02 10:00', 'collection')"
    )
    assert _step(con, "A")[:2] == ("collection", "done")
    stage, action, when, note = _step(con, "B")
    assert (action, when) == ("with_agency", None) and "collection agency" in note
    assert _step(con, "C")[1] == "reminder"  # another client is untouched
    planned, unplanned = call_plan(con, AS_OF)
    assert "K1" not in {c.client_id for c in planned + unplanned}
    from dunning_analytics.questions.dunning import week_actions

    actions = week_actions(worklist(con, AS_OF), AS_OF)
    assert "K1" not in set(actions["client_id"])


def test_week_actions_mark_the_backlog_from_earlier_weeks(ledger):
    from dunning_analytics.questions.dunning import week_actions

    invoices = [
        ("old", "K1", D(2025, 4, 1), D(2025, 5, 1), E("100.00")),  # reminder due 2 May
        ("new", "K2", D(2025, 5, 10), D(2025, 6, 9), E("100.00")),  # call due 17 June
    ]
    con = make_ledger(ledger, invoices)
    con.execute(
        "INSERT INTO contacts (contact_id, client_id, invoice_id, contact_at, kind) "
        "VALUES ('r', 'K2', 'new', TIMESTAMP '2025-06-10 10:00', 'reminder')"
    )
    actions = week_actions(worklist(con, AS_OF), AS_OF).set_index("invoice_id")
    assert bool(actions.loc["old", "backlog"]) and not bool(actions.loc["new", "backlog"])


ENGLISH_ON_A_SHEET = ("Goal", "Invoices:", "days overdue", "due in", "questions", "Afterwards")


def test_call_sheets_calendar_and_notes_in_dutch(demo_ledger, tmp_path):
    as_of = D(2026, 10, 26)
    planned, _ = call_plan(demo_ledger, as_of, lang="nl")
    assert planned
    for call in planned:
        sheet = call.sheet()
        assert sheet.startswith(f"Bellen: {call.name}")
        assert "Doel: " in sheet and "Open vragen: " in sheet and "Gesloten vragen: " in sheet
        assert not any(word in sheet for word in ENGLISH_ON_A_SHEET), sheet
        # every invoice line: its due date as dd-mm-jjjj and its amount as € 1.234,56
        for inv in call.invoices.itertuples(index=False):
            euros = f"{inv.outstanding:,.2f}".replace(",", "_").replace(".", ",")
            line = f"{inv.invoice_id} vervaldatum {inv.due_date:%d-%m-%Y}: € " + euros.replace(
                "_", "."
            )
            assert line in sheet
    # the same plan in English keeps the English words
    english, _ = call_plan(demo_ledger, as_of, lang="en")
    assert [c.client_id for c in english] == [c.client_id for c in planned]
    assert "Goal: " in english[0].sheet() and "Doel" not in english[0].sheet()
    ics = write_ics(planned, tmp_path / "calls.ics").read_bytes().decode("utf-8")
    assert ics.count("SUMMARY:Bellen: ") == len(planned)
    # the worklist's texts follow the language too
    work = worklist(demo_ledger, as_of, lang="nl")
    english_texts = {en for en, _ in ACTION_TEXT.values()}
    assert not set(work["action_text"]) & english_texts
    waiting = work[work["next_action"] == "wait"]
    assert not waiting.empty and waiting["note"].str.startswith("belooft te betalen op").all()
    assert (
        work.loc[work["next_action"] == "reminder", "action_text"]
        .str.startswith("vriendelijke herinnering")
        .all()
    )


def test_claim_summary_in_dutch(ledger):
    con = make_ledger(
        ledger,
        [
            ("A", "K1", D(2024, 5, 1), D(2024, 5, 31), E("1000.00")),
            ("C", "K2", D(2024, 5, 1), D(2024, 5, 31), E("1000.00")),
        ],
    )
    business = claim_statement(con, D(2024, 7, 31), "K1", lang="nl").summary()
    assert "hoofdsom € 1.000,00" in business and "per 31-07-2024" in business
    assert "wettelijke rente € 20,67" in business and "incassokosten € 150,00" in business
    consumer = claim_statement(con, D(2024, 7, 31), "K2", lang="nl")
    assert any("veertiendagenbrief" in w for w in consumer.warnings)
    assert "let op: geen incassokosten" in consumer.summary()


def test_a_payment_after_the_formal_notice_pays_costs_and_interest_first(ledger):
    """Art. 6:44 BW end to end: the client pays the invoice's amount after the formal
    notice; the ledger counts the invoice as paid, the claim keeps what the law says is
    left, and the next formal notice explains where the money went."""
    from dunning_analytics.act.letters import build_letter
    from dunning_analytics.questions.aging import aging

    con = make_ledger(
        ledger,
        [("A", "K1", D(2024, 5, 1), D(2024, 5, 31), E("1000.00"))],
        [("p", "K1", "A", D(2024, 7, 15), E("1000.00"))],
        [("n", "K1", "A", dt.datetime(2024, 7, 1, 10), "formal_notice")],
    )
    assert aging(con, D(2024, 7, 31))["outstanding"].sum() == 0  # the invoice view: paid
    claim = claim_statement(con, D(2024, 7, 31), "K1")
    row = claim.invoices.iloc[0]
    # costs 150 and interest 14.97 were paid first: 164.97 principal left, 0.94 interest on it
    assert (row["paid_costs"], row["paid_interest"], row["paid_principal"]) == (
        E("150.00"), E("14.97"), E("835.03"))  # fmt: skip
    assert (claim.principal, claim.interest, claim.costs) == (E("164.97"), E("0.94"), E("0.00"))
    assert "applied by art. 6:44 BW: costs €150.00" in claim.summary()
    letter = build_letter(con, D(2024, 7, 31), "K1", "formal_notice", lang="nl")
    text = " ".join(letter.text.split())
    assert "Sinds onze eerdere aanmaning hebben wij € 1.000,00 van u ontvangen" in text
    assert (
        "€ 150,00 ging naar de kosten, € 14,97 naar de rente en € 835,03 naar de hoofdsom" in text
    )
    assert letter.total == E("165.91")
    assert "€ " not in letter.html  # € stays with its amount on one line (a no-break space)
    # the same payment before the notice pays the invoice: nothing is claimed
    con.execute("UPDATE contacts SET contact_at = TIMESTAMP '2024-07-20 10:00'")
    assert claim_statement(con, D(2024, 7, 31), "K1").invoices.empty
