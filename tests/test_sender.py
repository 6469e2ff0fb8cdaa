"""Your letterhead (#32): outside the demo no letter carries the example firm's details;
the details you give are checked (IBAN, KvK, VAT) and every letter carries them."""

import email
import shutil
from email import policy
from pathlib import Path

import pytest
from conftest import OWN_SENDER, make_ledger

from dunning_analytics.act.sender import EXAMPLE_SENDER, save_sender, sender_for, sender_path
from dunning_analytics.cli import main
from dunning_analytics.common.settings_file import SettingsError

LETTERS = ["--as-of", "2026-09-02", "--no-pdf", "--kind", "reminder"]


def _books(path):
    make_ledger(path, invoices=[("A1", "K1", "2026-08-01", "2026-08-31", 100)]).close()
    return path


def test_letters_on_your_own_ledger_without_your_details_are_refused(capsys, tmp_path):
    ledger = _books(tmp_path / "books.duckdb")
    sender_path(ledger).unlink()
    out = tmp_path / "letters"
    assert main(["letters", "--ledger", str(ledger), "--out", str(out), *LETTERS]) == 1
    err = capsys.readouterr().err
    assert "No sender details for this ledger" in err and "notebook 06" in err
    assert str(sender_path(ledger)) in err
    assert not out.exists()
    # a copy of the example, not filled in, is refused too
    shutil.copy(EXAMPLE_SENDER, sender_path(ledger))
    assert main(["letters", "--ledger", str(ledger), "--out", str(out), *LETTERS]) == 1
    assert "still carry the example firm's IBAN" in capsys.readouterr().err


def test_every_letter_carries_your_own_iban(capsys, tmp_path):
    ledger = _books(tmp_path / "books.duckdb")
    out = tmp_path / "letters"
    assert main(["letters", "--ledger", str(ledger), "--out", str(out), *LETTERS]) == 0
    drafts = list(out.glob("*.eml"))
    assert drafts
    for draft in drafts:
        message = email.message_from_bytes(draft.read_bytes(), policy=policy.default)
        text = message.get_body(("plain",)).get_content()
        assert "NL44 RABO 0123 4567 89" in text and "Studio Eigen" in text
        assert "NL91" not in text and "Voorbeeld" not in text
        assert message["From"].addresses[0].addr_spec == "eva@studio-eigen.example"


def test_the_demo_ledger_may_use_the_example_firm(demo_ledger):
    assert sender_for(demo_ledger)["name"] == "Studio Voorbeeld"


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("iban", "NL91 ABNA 0417 1643 01", "not a valid IBAN"),
        ("kvk", "1234", "not a KvK number"),
        ("vat", "NL001234567B01", "not a valid VAT number"),
        ("email", "eva at studio", "must be one e-mail address"),
        ("name", "", "missing name"),
    ],
)
def test_your_details_are_checked_before_they_are_saved(tmp_path, field, value, words):
    ledger = _books(tmp_path / "books.duckdb")
    sender_path(ledger).unlink()
    details = dict(line.split(" = ", 1) for line in OWN_SENDER.strip().splitlines())
    details = {k: v.strip('"') for k, v in details.items()} | {field: value}
    with pytest.raises(SettingsError, match=words):
        save_sender(ledger, details)
    assert not sender_path(ledger).exists()


def test_saved_details_are_what_letters_use(tmp_path):
    ledger = _books(tmp_path / "books.duckdb")
    details = {
        "name": 'Bureau "Hoek" & Zn.',
        "contact_person": "Jan Hoek",
        "address": "Markt 1",
        "postcode": "1011 AA",
        "city": "Amsterdam",
        "email": "jan@hoek.example",
        "iban": "NL20INGB0001234567",
        "kvk": "12345678",
        "vat": "NL000099998B57",
    }
    path = save_sender(ledger, details)
    assert path == Path(f"{ledger}.sender.toml")
    assert sender_for(ledger) == details


def test_the_form_in_notebook_06_checks_and_saves_your_details(tmp_path):
    from dunning_analytics.notebook.sender_panel import SenderForm

    ledger = _books(tmp_path / "books.duckdb")
    sender_path(ledger).unlink()
    form = SenderForm(ledger, lang="nl")
    assert "Nog geen gegevens opgeslagen" in form.status.value
    typed = {
        "name": "Studio Nieuw",
        "contact_person": "Noor",
        "address": "Kade 2",
        "postcode": "9711 AA",
        "city": "Groningen",
        "email": "noor@nieuw.example",
        "iban": "NL91 ABNA 0417 1643 01",  # one digit off
    }
    for name, value in typed.items():
        form.fields[name].value = value
    assert form.save() is None
    assert "Niet opgeslagen" in form.status.value and "IBAN" in form.status.value
    assert form.fields["name"].value == "Studio Nieuw"  # nothing typed is lost
    form.fields["iban"].value = "NL20 INGB 0001 2345 67"
    assert form.save() == sender_path(ledger)
    assert sender_for(ledger)["iban"] == "NL20 INGB 0001 2345 67"
    assert SenderForm(ledger).fields["city"].value == "Groningen"  # shown again on reopening
