import datetime as dt
from pathlib import Path

import pytest

from dunning_analytics.ledger import open_ledger
from dunning_analytics.ledger.demo import write_demo_ledger

SHARED = Path(__file__).resolve().parents[2] / "shared"
IBM_CSV = SHARED / "data" / "ibm-late-payment" / "WA_Fn-UseC_-Accounts-Receivable.csv"
DEMO_END = dt.date(2026, 10, 31)
# the sender details of the hand-made ledgers' owner (not the example firm's)
OWN_SENDER = """name = "Studio Eigen"
contact_person = "Eva Eigen"
address = "Lange Nieuwstraat 5"
postcode = "3512 PA"
city = "Utrecht"
email = "eva@studio-eigen.example"
iban = "NL44 RABO 0123 4567 89"
kvk = "87654321"
"""


@pytest.fixture(scope="session")
def demo_ledger(tmp_path_factory) -> Path:
    """A demo ledger of 150 clients ending 2026-10-31, built once per test run."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    write_demo_ledger(path, clients=150, seed=7, end=DEMO_END)
    return path


@pytest.fixture
def ledger(tmp_path) -> Path:
    """Path of a ledger that does not exist yet."""
    return tmp_path / "ledger.duckdb"


@pytest.fixture
def write(tmp_path):
    """Write `text` to a file in the test's folder and return its path."""

    def _write(name: str, text: str, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding=encoding)
        return path

    return _write


@pytest.fixture
def ibm_csv() -> Path:
    if not IBM_CSV.exists():
        pytest.skip("../shared/data/ibm-late-payment is not beside this checkout")
    return IBM_CSV


def make_ledger(path, invoices=(), payments=(), contacts=()):
    """A small hand-made ledger with clients K1 (business), K2 (consumer), K3 (business).

    invoices: (id, client, invoice_date, due_date, amount[, credits_invoice_id]);
    payments: (id, client, invoice_id or None, paid_date, amount);
    contacts: (id, client, invoice_id, contact_at, kind[, promised_date, promised_amount]).
    """
    con = open_ledger(path)
    # its owner's letterhead, as notebook 06's form writes it (letters refuse a ledger
    # without one)
    Path(f"{path}.sender.toml").write_text(OWN_SENDER, encoding="utf-8")
    con.execute(
        "INSERT INTO clients (client_id, name, kind) VALUES ('K1', 'Jansen', 'business'), "
        "('K2', 'de Vries', 'consumer'), ('K3', 'Bakker', 'business')"
    )
    for inv in invoices:
        credits = inv[5] if len(inv) > 5 else None
        con.execute(
            "INSERT INTO invoices (invoice_id, client_id, invoice_date, due_date, due_date_source, "
            "amount, credits_invoice_id) VALUES (?, ?, ?, ?, 'file', ?, ?)",
            [*inv[:5], credits],
        )
    for pay in payments:
        con.execute(
            "INSERT INTO payments (payment_id, client_id, invoice_id, paid_date, amount) "
            "VALUES (?, ?, ?, ?, ?)",
            list(pay),
        )
    for contact in contacts:
        contact = list(contact) + [None] * (7 - len(contact))
        con.execute(
            "INSERT INTO contacts (contact_id, client_id, invoice_id, contact_at, kind, "
            "promised_date, promised_amount) VALUES (?, ?, ?, ?, ?, ?, ?)",
            contact,
        )
    return con


@pytest.fixture(autouse=True)
def short_lock_wait(monkeypatch):
    """Opening a held ledger waits 1 s in tests (10 s for users), so refusals come quickly."""
    import dunning_analytics.ledger as ledger_module

    monkeypatch.setattr(ledger_module, "WAIT_SECONDS", 1.0)
