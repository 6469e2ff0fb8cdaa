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
from collections import Counter
from pathlib import Path

import pandas as pd

from dunning_analytics.common.messages import tr
from dunning_analytics.ledger import LedgerError, ledger_files, open_ledger, refresh_index
from dunning_analytics.ledger.outputs import OutputRefused, check_output, replacing


def key_path(ledger: str | Path) -> Path:
    """Where the pseudonym key of `ledger` lives: beside it, `<ledger>.pseudonym-key`."""
    return ledger_files(ledger)[3]


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
                tr(
                    "{path}: not a pseudonym key (64 hex digits): it was replaced or "
                    "damaged. Restore it from a backup; a new key (delete the file) "
                    "gives every client a new alias",
                    path=path,
                )
            )
        return key
    key = secrets.token_bytes(32)
    path.write_text(key.hex() + "\n", encoding="ascii")
    os.chmod(path, 0o600)
    return key


ALIAS_HEX = 12  # hex digits of an alias: 48 bits, a clash is rare even at a million clients


def aliases(client_ids: list[str], key: bytes) -> dict[str, str]:
    """Return client id -> alias ('C-3F9A2C81D04B'): twelve hex digits of the client id's
    HMAC-SHA256 under `key`, so a client's alias depends on it and the key alone and stays
    the same however the ledger grows. Only clients whose twelve digits clash with
    another's (about one pair in 280 million at 2,000 clients) get sixteen."""
    digests = {
        c: hmac.new(key, c.encode("utf-8"), hashlib.sha256).hexdigest().upper() for c in client_ids
    }
    seen = Counter(d[:ALIAS_HEX] for d in digests.values())
    return {
        c: f"C-{d[: ALIAS_HEX if seen[d[:ALIAS_HEX]] == 1 else ALIAS_HEX + 4]}"
        for c, d in digests.items()
    }


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


# What the copy keeps of each column of each table: every column of the ledger's tables
# is listed (a test fails on a new column that is not), as an SQL expression over the
# source row `t` and the client's alias `a.alias`, and a few words for the README.
KEPT = ("{c}", "kept")
DROPPED = ("NULL", "left out (free text, contact details or names)")
ALIAS = ("a.alias", "the client's alias")
INVOICE = ("da_id('F-', {c})", "a keyed hash, the same invoice the same hash")
COPY_COLUMNS = {
    "clients": {
        "client_id": ALIAS,
        "name": ("'Client ' || substr(a.alias, 3)", "'Client' and the alias"),
        **dict.fromkeys(("kind", "payment_term_days", "since", "credit_limit"), KEPT),
        "source_load": KEPT,
        **dict.fromkeys(
            ("contact_person", "email", "phone", "address", "postcode", "city"), DROPPED
        ),
    },
    "invoices": {
        "invoice_id": INVOICE,
        "client_id": ALIAS,
        **dict.fromkeys(("invoice_date", "due_date", "due_date_source", "amount"), KEPT),
        "credits_invoice_id": INVOICE,
        **dict.fromkeys(("currency", "disputed", "source_load"), KEPT),
        # often the invoice number itself (e-invoices): kept, it would undo the hashing
        "payment_reference": DROPPED,
    },
    "payments": {
        "payment_id": ("da_id('p', {c})", "a keyed hash"),
        "client_id": ALIAS,
        "invoice_id": INVOICE,
        **dict.fromkeys(("paid_date", "amount", "source_load"), KEPT),
    },
    "contacts": {
        "contact_id": ("da_id('c', {c})", "a keyed hash"),
        "client_id": ALIAS,
        "invoice_id": INVOICE,
        **dict.fromkeys(("contact_at", "channel", "kind", "promised_date"), KEPT),
        "promised_amount": KEPT,
        "note": DROPPED,
        "source_load": KEPT,
    },
    "plan_instalments": {
        "contact_id": ("da_id('c', {c})", "a keyed hash"),  # the same hash as its contact's
        **dict.fromkeys(("number", "due_date", "amount", "source_load"), KEPT),
    },
    "loads": {
        "load_id": KEPT,
        "file_name": ("'load-' || t.load_id", "'load-' and its number"),
        "sha256": ("da_id('', {c})", "a keyed hash"),
        **dict.fromkeys(
            ("kind", "rows_read", "rows_loaded", "rows_updated", "rows_unchanged"), KEPT
        ),
        **dict.fromkeys(("rows_rejected", "loaded_at"), KEPT),
    },
    "bank_transactions": {
        "transaction_id": ("da_id('b', {c})", "a keyed hash"),
        "account": DROPPED,
        **dict.fromkeys(("booking_date", "amount"), KEPT),
        **dict.fromkeys(("counterparty_name", "counterparty_iban", "remittance"), DROPPED),
        "match_rule": KEPT,
        "client_id": ALIAS,
        "invoice_ids": (
            "(SELECT string_agg(da_id('F-', trim(v)), ', ') "
            "FROM unnest(string_split({c}, ',')) AS s(v))",
            "each invoice's keyed hash",
        ),
        "note": DROPPED,
        "source_load": KEPT,
        **dict.fromkeys(("value_date", "currency", "reversal"), KEPT),
        "end_to_end": DROPPED,
        "reverses": ("da_id('b', {c})", "a keyed hash"),
    },
}
# tables the copy leaves out whole: refused rows hold the files' raw values, learned bank
# accounts are the clients' IBANs, withdrawn contacts are mistakes (with their notes);
# ledger_meta and the index are rebuilt in the copy
NOT_COPIED = ("rejected_rows", "client_bank_accounts", "withdrawn_contacts")


def _copy_select(table: str) -> str:
    """The SELECT that copies `table` from the attached source `src` as COPY_COLUMNS says."""
    columns = ", ".join(
        f'{expr.format(c=f"t.{name}")} AS "{name}"'
        for name, (expr, _) in COPY_COLUMNS[table].items()
    )
    join = "LEFT JOIN" if table == "bank_transactions" else "JOIN"
    alias = f"{join} da_alias AS a USING (client_id)" if "client_id" in COPY_COLUMNS[table] else ""
    return f"SELECT {columns} FROM src.{table} AS t {alias}"


def pseudonymised_copy(
    ledger: str | Path,
    out: str | Path,
    key_file: str | Path | None = None,
    force: bool = False,
) -> Path:
    """Write a pseudonymised copy of `ledger` to `out`; return `out`.

    In: the ledger path; the copy's path (never the ledger's own files or the key; an
    existing file only when it is an earlier copy the kit wrote, or with `force`);
    optionally the key file (default beside the ledger). Out: a ledger with the same
    invoices, amounts, dates and contacts, every column as COPY_COLUMNS says: clients under
    their aliases, no free text, contact details or references. Written to a temporary
    file and renamed into place, so a failure leaves `out` as it was.
    """
    ledger, out = Path(ledger), Path(out)
    if not ledger.exists():
        raise LedgerError(tr("{ledger}: no such ledger", ledger=ledger))
    protected = [ledger, *([Path(key_file)] if key_file else [])]
    check_output(out, protected, force)
    if out.with_name(out.name + ".wal").exists():
        raise OutputRefused(
            tr(
                "{out}.wal exists (left by a crash): it would be replayed onto the "
                "new copy. Give another file name for the copy",
                out=out,
            )
        )
    key = pseudonym_key(ledger, key_file)
    with replacing(out, protected, force) as tmp:
        tmp.unlink()  # DuckDB creates the file itself
        _write_copy(ledger, tmp, key)
    return out


def _write_copy(ledger: Path, out: Path, key: bytes) -> None:
    """Copy `ledger` into the new ledger file `out` as COPY_COLUMNS says, aliases under `key`."""
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
        for table in COPY_COLUMNS:
            if table in tables:
                con.execute(f"INSERT INTO {table} BY NAME {_copy_select(table)}")
        refresh_index(con)
        con.execute("COMMIT")
        con.execute("DETACH src")
    finally:
        con.close()


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
