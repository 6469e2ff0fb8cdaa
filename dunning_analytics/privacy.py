"""Pseudonymised copies of a ledger, to share a notebook or review without exposing clients.

`pseudonymised_copy(ledger, out)` writes a new ledger file in which every
client id and name is replaced by an alias derived from a secret key with
HMAC-SHA256: the same client gets the same alias in every chart, table and
review made from the copy, and in every later copy made with the same key.
Free text that may name people (contact notes, bank counterparties and
descriptions, refused rows, file names) is left out; invoice, payment, contact and
bank transaction ids are replaced by a keyed hash, the same in every table.
The key stays beside the original ledger (`<ledger>.pseudonym-key`, readable
by its owner only) and never enters the copy; `alias_table(ledger)` maps
aliases back to clients, locally.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

import pandas as pd

from .ledger import LedgerError, open_ledger, refresh_index


def key_path(ledger: str | Path) -> Path:
    """Where the pseudonym key of `ledger` lives: beside it, `<ledger>.pseudonym-key`."""
    ledger = Path(ledger)
    return ledger.with_name(ledger.name + ".pseudonym-key")


def pseudonym_key(ledger: str | Path, path: str | Path | None = None) -> bytes:
    """Return the secret key for `ledger`'s aliases, creating it (mode 0600) on first use."""
    path = Path(path) if path else key_path(ledger)
    if path.exists():
        try:
            key = bytes.fromhex(path.read_text(encoding="ascii").strip())
        except (ValueError, UnicodeDecodeError):
            key = b""
        if len(key) != 32:
            raise LedgerError(
                f"{path}: not a pseudonym key (64 hex digits): it was replaced or damaged. "
                "Restore it from a backup; a new key (delete the file) gives every client a "
                "new alias"
            )
        return key
    key = secrets.token_bytes(32)
    path.write_text(key.hex() + "\n", encoding="ascii")
    os.chmod(path, 0o600)
    return key


def aliases(client_ids: list[str], key: bytes) -> dict[str, str]:
    """Return client id -> alias ('C-3F9A2C'); six hex digits, more where two would clash."""
    digests = {
        c: hmac.new(key, c.encode("utf-8"), hashlib.sha256).hexdigest().upper() for c in client_ids
    }
    width = 6
    while len({d[:width] for d in digests.values()}) < len(digests):
        width += 2
    return {c: f"C-{d[:width]}" for c, d in digests.items()}


def alias_table(ledger: str | Path, key_file: str | Path | None = None) -> pd.DataFrame:
    """Return alias, client_id and name of every client: the local way back from an alias."""
    key = pseudonym_key(ledger, key_file)
    con = open_ledger(ledger, read_only=True)
    try:
        clients = con.execute("SELECT client_id, name FROM clients ORDER BY client_id").fetchall()
    finally:
        con.close()
    names = aliases([c for c, _ in clients], key)
    return pd.DataFrame(
        [(names[c], c, n) for c, n in clients], columns=["alias", "client_id", "name"]
    ).sort_values("alias", ignore_index=True)


_COPY = {
    "clients": """
        SELECT a.alias AS client_id, 'Client ' || substr(a.alias, 3) AS name, c.kind,
               c.payment_term_days, c.since, c.credit_limit, c.source_load
        FROM src.clients AS c JOIN da_alias AS a USING (client_id)
    """,
    "invoices": """
        SELECT i.* REPLACE (a.alias AS client_id, da_id('F-', i.invoice_id) AS invoice_id,
                            da_id('F-', i.credits_invoice_id) AS credits_invoice_id)
        FROM src.invoices AS i JOIN da_alias AS a USING (client_id)
    """,
    "payments": """
        SELECT p.* REPLACE (a.alias AS client_id, da_id('p', p.payment_id) AS payment_id,
                            da_id('F-', p.invoice_id) AS invoice_id)
        FROM src.payments AS p JOIN da_alias AS a USING (client_id)
    """,
    "contacts": """
        SELECT c.* REPLACE (a.alias AS client_id, da_id('c', c.contact_id) AS contact_id,
                            da_id('F-', c.invoice_id) AS invoice_id, NULL::VARCHAR AS note)
        FROM src.contacts AS c JOIN da_alias AS a USING (client_id)
    """,
    "loads": "SELECT * REPLACE ('load-' || load_id AS file_name) FROM src.loads",
    "bank_transactions": """
        SELECT b.* REPLACE (a.alias AS client_id, da_id('b', b.transaction_id) AS transaction_id,
                            NULL::VARCHAR AS counterparty_name,
                            NULL::VARCHAR AS counterparty_iban, NULL::VARCHAR AS remittance,
                            NULL::VARCHAR AS note, NULL::VARCHAR AS end_to_end,
                            da_id('b', b.reverses) AS reverses,
                            (SELECT string_agg(da_id('F-', trim(v)), ', ')
                             FROM unnest(string_split(b.invoice_ids, ',')) AS t(v))
                                AS invoice_ids)
        FROM src.bank_transactions AS b LEFT JOIN da_alias AS a USING (client_id)
    """,
}


def pseudonymised_copy(
    ledger: str | Path, out: str | Path, key_file: str | Path | None = None
) -> Path:
    """Write a pseudonymised copy of `ledger` to `out` (replaced if present); return `out`.

    In: the ledger path; the copy's path; optionally the key file (default
    beside the ledger). Out: a ledger with the same invoices, amounts, dates
    and contacts, clients under their aliases, and no free text about people.
    """
    ledger, out = Path(ledger), Path(out)
    if not ledger.exists():
        raise LedgerError(f"{ledger}: no such ledger")
    if out.resolve() == ledger.resolve():
        raise LedgerError("the pseudonymised copy must be another file than the ledger")
    key_file_path = Path(key_file) if key_file else key_path(ledger)
    if out.resolve() == key_file_path.resolve():
        raise LedgerError(
            f"{out}: that is the pseudonym key; write the copy to another file "
            "(overwriting the key would make the aliases unrecoverable)"
        )
    key = pseudonym_key(ledger, key_file)
    out.unlink(missing_ok=True)
    con = open_ledger(out)
    try:
        con.execute("ATTACH ? AS src (READ_ONLY)", [str(ledger)])
        clients = [r[0] for r in con.execute("SELECT client_id FROM src.clients").fetchall()]
        frame = pd.DataFrame(list(aliases(clients, key).items()), columns=["client_id", "alias"])
        con.register("da_alias_frame", frame)
        con.execute("CREATE TEMP TABLE da_alias AS SELECT * FROM da_alias_frame")
        con.unregister("da_alias_frame")
        # ids that carry names (invoice numbers like JANSEN01-2024-001): a keyed hash,
        # the same id giving the same alias throughout the copy
        con.execute(
            f"CREATE TEMP MACRO da_id(prefix, v) AS "
            f"CASE WHEN v IS NOT NULL THEN prefix || upper(sha256('{key.hex()}' || v)[:12]) END"
        )
        tables = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = 'src'"
            ).fetchall()
        }
        con.execute("BEGIN TRANSACTION")
        for table, select in _COPY.items():
            if table in tables:
                con.execute(f"INSERT INTO {table} BY NAME {select}")
        refresh_index(con)
        con.execute("COMMIT")
        con.execute("DETACH src")
    finally:
        con.close()
    return out


def shared_ledger(ledger: str | Path) -> Path:
    """Return a pseudonymised copy of `ledger` beside it, rebuilt when the ledger is newer.

    What notebooks use when DUNNING_PSEUDONYMISE is set: the copy is
    `<ledger stem>.pseudonymised.duckdb`.
    """
    ledger = Path(ledger)
    out = ledger.with_name(ledger.stem + ".pseudonymised.duckdb")
    if not out.exists() or out.stat().st_mtime < ledger.stat().st_mtime:
        pseudonymised_copy(ledger, out)
    return out
