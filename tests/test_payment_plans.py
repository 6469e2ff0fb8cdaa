"""Payment plans in instalments (#38): a plan is kept, pending or broken from the ledger's
payments as of any date; while it runs its invoices wait, a broken instalment brings one call
about the broken plan first, and then the ladder goes on."""

import datetime as dt
from decimal import Decimal

import pytest
from conftest import make_ledger

from dunning_analytics import LoadError
from dunning_analytics.act.conversation import record_contacts
from dunning_analytics.cli import main
from dunning_analytics.ledger import connected
from dunning_analytics.questions.dunning import call_plan, worklist

AGREED = dt.datetime(2026, 10, 1, 10, 0)
INSTALMENTS = [
    (dt.date(2026, 10, 15), Decimal("500.00")),
    (dt.date(2026, 11, 15), Decimal("500.00")),
    (dt.date(2026, 12, 15), Decimal("500.00")),
]


@pytest.fixture
def books(tmp_path):
    path = tmp_path / "books.duckdb"
    make_ledger(
        path,
        invoices=[
            ("A", "K1", "2026-08-01", "2026-09-01", Decimal("1000.00")),
            ("B", "K1", "2026-08-15", "2026-09-15", Decimal("500.00")),
        ],
    ).close()
    record_contacts(path, [{"client_id": "K1", "kind": "payment_plan", "at": AGREED,
                            "instalments": INSTALMENTS, "note": "drie termijnen"}])  # fmt: skip
    return path


def pay(ledger, *payments):
    with connected(ledger, read_only=False) as con:
        for n, (day, amount) in enumerate(payments, start=1):
            con.execute(
                "INSERT INTO payments (payment_id, client_id, invoice_id, paid_date, amount) "
                "VALUES (?, 'K1', NULL, ?, ?)",
                [f"pay{n}", day, amount],
            )


def plan(ledger, as_of):
    with connected(ledger, read_only=True) as con:
        return con.execute(
            "SELECT number, status, plan_status FROM plan_instalment_status_at(?, 3) "
            "ORDER BY number",
            [as_of],
        ).fetchall()


def k1(ledger, as_of, lang="en"):
    work = worklist(ledger, as_of, lang=lang)
    return work[work["client_id"] == "K1"].set_index("invoice_id")


def test_while_the_plan_runs_its_invoices_wait_for_the_next_instalment(books):
    rows = k1(books, dt.date(2026, 10, 10))
    assert list(rows["next_action"]) == ["wait", "wait"]
    assert set(rows["action_date"]) == {dt.date(2026, 10, 15)}
    assert rows.loc["A", "note"] == (
        "payment plan: 0 of 3 instalments paid, the next of €500.00 due 2026-10-15"
    )
    assert plan(books, dt.date(2026, 10, 10)) == [
        (1, "pending", "running"), (2, "pending", "running"), (3, "pending", "running")
    ]  # fmt: skip


def test_a_missed_instalment_brings_one_call_about_the_broken_plan(books):
    pay(books, (dt.date(2026, 10, 14), Decimal("500.00")))
    # 15-11 plus 3 days' grace has passed without the second instalment
    rows = k1(books, dt.date(2026, 11, 20), lang="nl")
    assert list(rows["next_action"]) == ["call", "call"]  # both invoices are still open
    assert set(rows["note"]) == {
        "betalingsregeling gebroken: 1 van 3 termijnen betaald, de tweede van € 500,00 op "
        "15-11-2026 is 5 dagen te laat"
    }
    assert plan(books, dt.date(2026, 11, 20))[:2] == [
        (1, "paid", "broken"),
        (2, "broken", "broken"),
    ]
    # the call sheet says how the plan stands
    sheet = call_plan(books, dt.date(2026, 11, 20), lang="en")[0][0].sheet()
    assert (
        "Payment plan broken: 1 of 3 instalments paid, the second of €500.00 due 2026-11-15 "
        "is 5 days late"
    ) in sheet
    # after the call about it, the ladder goes on (no second call about the same plan)
    record_contacts(books, [{"client_id": "K1", "kind": "call",
                             "at": dt.datetime(2026, 11, 21, 9, 30)}])  # fmt: skip
    after = k1(books, dt.date(2026, 11, 23))
    assert list(after["next_action"]) == ["formal_notice", "formal_notice"]  # 7 days on
    assert set(after["action_date"]) == {dt.date(2026, 11, 28)}


def test_a_plan_paid_on_time_is_kept_and_settles_its_invoices(books):
    days = [dt.date(2026, 10, 14), dt.date(2026, 11, 17), dt.date(2026, 12, 15)]
    pay(books, *[(day, Decimal("500.00")) for day in days])
    assert plan(books, dt.date(2026, 12, 31)) == [
        (1, "paid", "kept"), (2, "paid", "kept"), (3, "paid", "kept")
    ]  # the second within its 3 days' grace  # fmt: skip
    assert k1(books, dt.date(2026, 12, 31)).empty  # nothing open: nothing on the worklist


def test_instalments_from_the_command_line_as_dutch_people_write_them(tmp_path, capsys):
    path = tmp_path / "books.duckdb"
    make_ledger(path, invoices=[("A", "K1", "2026-08-01", "2026-09-01", Decimal("900.00"))]).close()
    argv = ["contact", "--ledger", str(path), "--client", "K1", "--kind", "payment_plan",
            "--at", "2026-10-01 10:00", "--instalment", "15-10-2026=300,00",
            "--instalment", "15-11-2026=300,00", "--instalment", "2026-12-15=300.00"]  # fmt: skip
    assert main(argv) == 0
    with connected(path, read_only=True) as con:
        assert con.execute(
            "SELECT number, due_date, amount FROM plan_instalments ORDER BY number"
        ).fetchall() == [
            (1, dt.date(2026, 10, 15), Decimal("300.00")),
            (2, dt.date(2026, 11, 15), Decimal("300.00")),
            (3, dt.date(2026, 12, 15), Decimal("300.00")),
        ]
        assert con.execute(
            "SELECT promised_date, promised_amount FROM contacts WHERE kind = 'payment_plan'"
        ).fetchall() == [(dt.date(2026, 10, 15), Decimal("300.00"))]


def test_instalments_out_of_order_are_refused_and_nothing_is_recorded(books):
    wrong = [(dt.date(2026, 11, 15), Decimal("500")), (dt.date(2026, 10, 15), Decimal("500"))]
    with pytest.raises(LoadError, match="instalment 2 dated 2026-10-15 must fall after"):
        at = dt.datetime(2026, 10, 2, 9, 0)
        record_contacts(
            books, [{"client_id": "K1", "kind": "payment_plan", "at": at, "instalments": wrong}]
        )
    with connected(books, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM contacts").fetchall() == [(1,)]
        assert con.execute("SELECT count(*) FROM plan_instalments").fetchall() == [(3,)]


def test_the_quarterly_review_lists_a_broken_plan_once_with_its_missed_instalment(books):
    from dunning_analytics.present.review import broken_agreements, build_review, render_html

    pay(books, (dt.date(2026, 10, 14), Decimal("500.00")))
    with connected(books, read_only=False) as con:  # another client's invoice: data to 31-12
        con.execute("INSERT INTO invoices (invoice_id, client_id, invoice_date, due_date, "
                    "due_date_source, amount) VALUES ('Z', 'K3', '2026-12-31', '2027-01-30', "
                    "'file', 10)")  # fmt: skip
    with connected(books, read_only=True) as con:
        broken = broken_agreements(con, dt.date(2026, 10, 1), dt.date(2026, 12, 31))
        kept_so_far = broken_agreements(con, dt.date(2026, 10, 1), dt.date(2026, 11, 17))
    # the second and third instalments are both missed by 31-12: one row, the second
    rows = broken[["client_id", "promised_date", "promised_amount", "instalment"]]
    assert rows.values.tolist() == [["K1", dt.date(2026, 11, 15), Decimal("500.00"), 2]]
    assert kept_so_far.empty  # on 17-11 the second was still within its 3 days' grace
    review = build_review(books, "2026Q4", lang="nl")
    html = render_html(review)
    assert "betalingsregeling: termijn 2 van 3" in html
    assert "Gebroken betaalbeloftes of betalingsregelingen dit kwartaal: 1;" in html


def test_the_claim_statement_and_the_notice_tell_the_broken_plan(books):
    from dunning_analytics.act.letters import build_letter
    from dunning_analytics.questions.claims import claim_statement

    pay(books, (dt.date(2026, 10, 14), Decimal("500.00")))
    as_of = dt.date(2026, 11, 20)
    claim = claim_statement(books, as_of, "K1", lang="nl")
    assert (
        "betalingsregeling gebroken: 1 van 3 termijnen betaald, de tweede van € 500,00 op "
        "15-11-2026 is 5 dagen te laat (afgesproken op 01-10-2026)"
    ) in claim.summary()
    notice = build_letter(books, as_of, "K1", "formal_notice", lang="nl")
    text = " ".join(notice.text.split())
    assert (
        "Op 01-10-2026 hebben wij een betalingsregeling afgesproken. De tweede termijn van "
        "€ 500,00, te betalen uiterlijk 15-11-2026, hebben wij niet ontvangen."
    ) in text
    running = build_letter(books, dt.date(2026, 11, 10), "K1", "reminder", lang="en")
    assert "the next instalment of €500.00 is due by 2026-11-15" in " ".join(running.text.split())
    assert claim_statement(books, as_of, "K3").plan is None  # another client: no plan
