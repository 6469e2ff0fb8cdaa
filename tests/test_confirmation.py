"""Every agreement confirmed in writing (#38): saving a call's outcome writes the client an
e-mail draft that states what was agreed, in Dutch and English."""

import datetime as dt
import email
from decimal import Decimal
from email import policy

import pytest
from conftest import make_ledger

from dunning_analytics import LedgerError
from dunning_analytics.act.confirmation import confirmation_email, write_confirmation
from dunning_analytics.act.conversation import record_contacts
from dunning_analytics.cli import main

AT = dt.datetime(2026, 11, 16, 10, 30)
INVOICES = [
    ("2026-101", "K1", "2026-09-01", "2026-10-01", Decimal("1210.00")),
    ("2026-102", "K1", "2026-09-20", "2026-10-20", Decimal("302.50")),
]


@pytest.fixture
def books(tmp_path):
    path = tmp_path / "books.duckdb"
    con = make_ledger(path, invoices=INVOICES)
    con.execute("UPDATE clients SET email = 'info@jansen.example' WHERE client_id = 'K1'")
    con.close()
    return path


def promise(amount="1000.00", when=dt.date(2026, 11, 30)):
    return [
        {"client_id": "K1", "kind": "promise_to_pay", "at": AT, "invoice_id": "2026-101",
         "promised_date": when, "promised_amount": Decimal(amount)},
        {"client_id": "K1", "kind": "call", "at": AT, "invoice_id": "2026-102"},
    ]  # fmt: skip


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


@pytest.mark.parametrize(
    "lang, words",
    [
        ("nl", ["Bevestiging van ons gesprek van 16-11-2026", "U betaalt € 1.000,00 uiterlijk "
                "30-11-2026", "2026-101", "vervalt deze afspraak", "aanmaning"]),
        ("en", ["Confirmation of our call of 2026-11-16", "You will pay €1,000.00 by 2026-11-30",
                "2026-101", "this arrangement lapses", "formal notice"]),
    ],
)  # fmt: skip
def test_a_promise_is_confirmed_with_its_amount_date_and_invoices(books, lang, words):
    record_contacts(books, promise())
    message = confirmation_email(books, promise(), lang=lang)
    body = " ".join(text_of(message).split())
    for expected in words:
        assert expected in message["Subject"] + " " + body, expected
    assert "2026-102" not in body  # the promise covers one invoice; the other is not in it
    assert message["To"] == "Jansen <info@jansen.example>" and message["X-Unsent"] == "1"
    assert message["From"] == "Studio Eigen <eva@studio-eigen.example>"


def test_a_dispute_and_a_plan_say_what_follows(books):
    dispute = [{"client_id": "K1", "kind": "dispute", "at": AT, "invoice_id": "2026-102",
                "note": "uren niet afgesproken"}]  # fmt: skip
    body = " ".join(text_of(confirmation_email(books, dispute, lang="nl")).split())
    assert "bezwaar gemaakt tegen deze facturen: uren niet afgesproken" in body
    assert "2026-102" in body and "2026-101" not in body
    plan = [{"client_id": "K1", "kind": "payment_plan", "at": AT,
             "promised_date": dt.date(2026, 12, 1), "promised_amount": Decimal("500.00"),
             "note": "3 termijnen"}]  # fmt: skip
    body = " ".join(text_of(confirmation_email(books, plan, lang="nl")).split())
    assert "eerste termijn van € 500,00 uiterlijk 01-12-2026 (3 termijnen)" in body
    assert "2026-101" in body and "2026-102" in body  # a plan on the client: its open invoices


def test_the_command_line_writes_the_draft_and_never_over_another(books, tmp_path, capsys):
    out = tmp_path / "mail"
    argv = ["contact", "--ledger", str(books), "--client", "K1", "--invoice", "2026-101",
            "--kind", "promise", "--promised-date", "2026-11-30", "--promised-amount", "1000,00",
            "--at", "2026-11-16 10:30", "--email-out", str(out), "--lang", "nl"]  # fmt: skip
    assert main(argv) == 0
    first = sorted(out.glob("*.eml"))
    said = capsys.readouterr().out
    assert len(first) == 1 and "Concept-bevestiging voor de klant geschreven" in said
    assert "Vastgelegd: betaalbelofte met K1 op 16-11-2026 10:30" in said
    message = email.message_from_bytes(first[0].read_bytes(), policy=policy.default)
    assert "U betaalt € 1.000,00 uiterlijk 30-11-2026" in " ".join(text_of(message).split())
    second = write_confirmation(books, promise(), out, lang="en")
    assert second != first[0] and len(list(out.glob("*.eml"))) == 2


def test_a_call_nobody_answered_writes_no_confirmation(books, tmp_path, capsys):
    argv = ["contact", "--ledger", str(books), "--client", "K1", "--kind", "no_answer",
            "--at", "2026-11-16 10:30", "--email-out", str(tmp_path / "mail")]  # fmt: skip
    assert main(argv) == 0  # the attempt is recorded; there is nothing to confirm
    assert "No confirmation written: nothing is agreed in a no answer contact." in (
        capsys.readouterr().out
    )
    assert not list((tmp_path / "mail").glob("*.eml"))
    with pytest.raises(LedgerError, match="nothing was agreed in a no_answer contact"):
        confirmation_email(books, [{"client_id": "K1", "kind": "no_answer", "at": AT}])


def test_the_confirmation_carries_a_payment_code_for_what_was_promised(books):
    """The draft shows the SEPA payment QR code inline (a related image part, as mail
    programs show it): the sender's IBAN, the promised amount and the invoice's number."""
    zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp decodes the QR code")
    image = pytest.importorskip("PIL.Image", reason="pillow opens the PNG")
    import io

    record_contacts(books, promise("750.00"))
    message = confirmation_email(books, promise("750.00"), lang="nl")
    html = message.get_body(preferencelist=("html",))
    assert 'src="cid:image1@dunning-analytics"' in html.get_content()
    assert "data:image/png" not in html.get_content()
    (png,) = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert png["Content-ID"] == "<image1@dunning-analytics>"
    decoded = zxingcpp.read_barcodes(image.open(io.BytesIO(png.get_content())))
    lines = decoded[0].text.split("\n")
    assert lines[5:8] == ["Studio Eigen", "NL44RABO0123456789", "EUR750.00"]
    assert lines[10] == "2026-101"  # the invoice the promise is about
    assert "Betalingskenmerk: 2026-101" in " ".join(text_of(message).split())
    dispute = [{"client_id": "K1", "kind": "dispute", "at": AT, "invoice_id": "2026-102"}]
    quiet = confirmation_email(books, dispute, lang="nl")
    assert not [p for p in quiet.walk() if p.get_content_type() == "image/png"]  # nothing to pay
