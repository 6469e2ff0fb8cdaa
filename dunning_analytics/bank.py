"""Bank statements (CAMT.053 XML and MT940) loaded as payments, matched to invoices.

`read_statement(path)` returns the statement's booked entries (`BankEntry`);
`load_statement(ledger, path)` stores the incoming ones once each (an
overlapping statement adds only what is new) and matches each to the ledger:

1. reference: an invoice number in the remittance text (or the structured
   reference) names the invoice(s); the money goes to them, oldest due first,
   up to what each still owes; a rest stays with the client as unallocated.
   When every named invoice is already paid the entry is `already_recorded`
   (the payment is in the ledger already, e.g. from an invoice history) and
   no payment is added.
2. client_amount: the payer is a known client (a bank account seen paying
   that client before, else the account holder's name equals the client's
   name) and exactly one of the client's open invoices owes exactly this
   amount.
3. client_only: the payer is a known client but no single invoice fits: the
   payment is the client's, unallocated (aging applies it oldest due first).
4. unmatched: the payer is not recognised; nothing is added to payments and
   the entry is listed for the user.

Nothing is guessed beyond these rules; `StatementResult.summary()` counts the
entries per rule and lists the unmatched ones.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from .ledger import connected, refresh_index, transaction
from .loading import LoadError, Rejection

RULES = ("reference", "client_amount", "client_only", "already_recorded", "unmatched")
RULE_WORDS = {
    "reference": "matched by an invoice number in the description",
    "client_amount": "matched by client and exact amount",
    "client_only": "client known, no single invoice of that amount: left unallocated",
    "already_recorded": "invoice already paid in the ledger: not added again",
    "unmatched": "payer not recognised: not added",
}
_LEGAL_FORMS = {"bv", "nv", "vof", "cv", "eenmanszaak", "bvba", "holding"}
_RUN = re.compile(r"[A-Za-z0-9]+(?:[-/._][A-Za-z0-9]+)*")


@dataclass(frozen=True)
class BankEntry:
    """One booked statement entry; amount is positive for money coming in."""

    transaction_id: str
    account: str | None
    booking_date: dt.date
    amount: Decimal
    counterparty_name: str | None
    counterparty_iban: str | None
    remittance: str
    line: int  # where it starts in the file


@dataclass
class StatementResult:
    """What a statement load did: counts per rule, and the entries left for the user."""

    file_name: str
    format: str
    entries: int = 0
    incoming: int = 0
    outgoing: int = 0
    already_loaded: int = 0
    load_id: int | None = None
    file_already_loaded: bool = False
    rules: Counter = field(default_factory=Counter)
    unmatched: list[BankEntry] = field(default_factory=list)
    unallocated: list[tuple[BankEntry, str]] = field(default_factory=list)

    def summary(self) -> str:
        """A few lines for a person: counts per rule, then every entry not matched."""
        if self.file_already_loaded:
            return f"{self.file_name} was already loaded (load {self.load_id}); nothing changed."
        new = self.incoming - self.already_loaded
        lines = [
            f"{self.file_name} ({self.format}): {self.entries} booked entries, "
            f"{self.incoming} incoming, {self.outgoing} outgoing (ignored); "
            f"{self.already_loaded} incoming already loaded from an earlier statement, "
            f"{new} new."
        ]
        for rule in RULES:
            if self.rules[rule]:
                lines.append(f"  {self.rules[rule]:>5}  {RULE_WORDS[rule]}")
        for entry in self.unmatched:
            lines.append(f"  unmatched: {_entry_text(entry)}")
        for entry, why in self.unallocated:
            lines.append(f"  unallocated: {_entry_text(entry)} ({why})")
        return "\n".join(lines)


def _entry_text(entry: BankEntry) -> str:
    from .formatting import format_eur

    who = entry.counterparty_name or entry.counterparty_iban or "unknown payer"
    return (
        f"{entry.booking_date:%d-%m-%Y} {format_eur(entry.amount)} from {who}: "
        f"{entry.remittance or '(no description)'}"
    )


# --------------------------------------------------------------------------- reading


def _entry_id(account, booking_date, amount, iban, remittance, bank_ref, seen: Counter) -> str:
    """The bank's own reference when it gives one, else a hash of the contents.

    Identical entries on one day are told apart by their order, so a later
    statement repeating that day yields the same ids.
    """
    if bank_ref and bank_ref.upper() not in ("NONREF", "NOTPROVIDED"):
        return f"{account or ''}:{bank_ref}"
    content = "|".join(str(x or "") for x in (account, booking_date, amount, iban, remittance))
    seen[content] += 1
    digest = hashlib.sha1(f"{content}|{seen[content]}".encode()).hexdigest()[:20]
    return f"{account or ''}:h{digest}"


def _strip_namespaces(root) -> None:
    from lxml import etree

    for element in root.iter():
        if isinstance(element.tag, str):
            element.tag = etree.QName(element).localname


def read_camt053(path: str | Path) -> list[BankEntry]:
    """Read the booked entries of a CAMT.053 file (any version: namespaces are ignored).

    Batch entries are split into their transactions. Raises LoadError with the
    line of every entry that lacks an amount, a direction or a booking date.
    """
    from lxml import etree

    path = Path(path)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
    try:
        root = etree.parse(str(path), parser).getroot()
    except etree.XMLSyntaxError as exc:
        raise LoadError(f"{path.name}:{exc.lineno}: not valid XML: {exc.msg}") from exc
    _strip_namespaces(root)
    statements = root.findall(".//Stmt")
    if not statements:
        raise LoadError(f"{path.name}: no <Stmt> element: not a CAMT.053 bank statement")
    entries: list[BankEntry] = []
    problems: list[Rejection] = []
    seen: Counter = Counter()
    for statement in statements:
        account = statement.findtext("Acct/Id/IBAN") or statement.findtext("Acct/Id/Othr/Id")
        for ntry in statement.findall("Ntry"):
            status = ntry.findtext("Sts/Cd") or ntry.findtext("Sts") or "BOOK"
            if status.strip() != "BOOK":
                continue
            booked = ntry.findtext("BookgDt/Dt") or (ntry.findtext("BookgDt/DtTm") or "")[:10]
            sign = {"CRDT": 1, "DBIT": -1}.get((ntry.findtext("CdtDbtInd") or "").strip())
            details = ntry.findall("NtryDtls/TxDtls") or [ntry]
            for tx in details:
                amount_text = (
                    tx.findtext("AmtDtls/TxAmt/Amt") or tx.findtext("Amt") or ntry.findtext("Amt")
                )
                try:
                    amount = Decimal(amount_text.strip())
                    booking_date = dt.date.fromisoformat(booked.strip())
                except (AttributeError, InvalidOperation, ValueError):
                    problems.append(
                        Rejection(
                            path.name,
                            tx.sourceline,
                            "Ntry",
                            amount_text or booked or None,
                            "entry without a valid amount (Amt) or booking date (BookgDt)",
                        )
                    )
                    continue
                if sign is None:
                    problems.append(
                        Rejection(path.name, ntry.sourceline, "CdtDbtInd", None, "no CRDT/DBIT")
                    )
                    continue
                tx_sign = {"CRDT": 1, "DBIT": -1}.get((tx.findtext("CdtDbtInd") or "").strip())
                amount = amount * (tx_sign or sign)
                party = "Dbtr" if amount > 0 else "Cdtr"
                name = tx.findtext(f"RltdPties/{party}/Nm") or tx.findtext(
                    f"RltdPties/{party}/Pty/Nm"
                )
                iban = tx.findtext(f"RltdPties/{party}Acct/Id/IBAN")
                remittance = " ".join(
                    [t.strip() for t in tx.xpath("RmtInf/Ustrd/text()")]
                    + [t.strip() for t in tx.xpath("RmtInf/Strd/CdtrRefInf/Ref/text()")]
                )
                bank_ref = tx.findtext("Refs/AcctSvcrRef") or ntry.findtext("AcctSvcrRef")
                if len(details) > 1 and bank_ref == ntry.findtext("AcctSvcrRef"):
                    bank_ref = None  # one reference for a whole batch: not unique per payment
                entries.append(
                    BankEntry(
                        _entry_id(account, booking_date, amount, iban, remittance, bank_ref, seen),
                        account,
                        booking_date,
                        amount,
                        name.strip() if name else None,
                        iban.strip().replace(" ", "") if iban else None,
                        remittance,
                        tx.sourceline,
                    )
                )
    if problems:
        raise LoadError(f"{path.name}: {len(problems)} entries refused; nothing loaded.", problems)
    return entries


_MT940_FIELD = re.compile(r"/(TRTP|IBAN|BIC|NAME|REMI|EREF|MARF|CSID|ORDP|BENM|ADDR|ISDT)/")


def _mt940_details(text: str) -> tuple[str | None, str | None, str]:
    """Split a :86: text into (name, IBAN, description).

    Structured Dutch texts (/TRTP/.../IBAN/.../NAME/.../REMI/...) give their
    parts; any other text is the description as it stands.
    """
    if not _MT940_FIELD.search(text):
        return None, None, " ".join(text.split())
    parts: dict[str, str] = {}
    pieces = _MT940_FIELD.split(text)
    for key, value in zip(pieces[1::2], pieces[2::2], strict=True):
        parts.setdefault(key, value.strip().strip("/"))
    remittance = parts.get("REMI", "")
    remittance = re.sub(r"^(USTD|STRD)//?", "", remittance)
    remittance = re.sub(r"^CUR/?", "", remittance).replace("//", " ")
    name = parts.get("NAME") or parts.get("ORDP", "").replace("/NAME", "") or None
    return name, parts.get("IBAN") or None, " ".join(remittance.split())


def read_mt940(path: str | Path) -> list[BankEntry]:
    """Read the entries of an MT940 file with the `mt-940` package."""
    import mt940

    path = Path(path)
    raw = path.read_bytes()
    text = raw.decode("utf-8") if _is_utf8(raw) else raw.decode("cp1252")
    try:
        statement = mt940.parse(text)
    except Exception as exc:  # the parser raises plain exceptions on broken files
        raise LoadError(f"{path.name}: not a readable MT940 statement: {exc}") from exc
    account = statement.data.get("account_identification")
    if not account or not len(statement):
        raise LoadError(f"{path.name}: no :25: account or no :61: entries: not an MT940 statement")
    starts = [i + 1 for i, line in enumerate(text.splitlines()) if line.startswith(":61:")]
    entries = []
    seen: Counter = Counter()
    for number, tx in enumerate(statement):
        data = tx.data
        amount = Decimal(str(data["amount"].amount))
        details = (data.get("transaction_details") or "").replace("\n", "")
        name, iban, remittance = _mt940_details(details)
        booking_date = dt.date(data["date"].year, data["date"].month, data["date"].day)
        entries.append(
            BankEntry(
                _entry_id(
                    account,
                    booking_date,
                    amount,
                    iban,
                    remittance,
                    data.get("bank_reference"),
                    seen,
                ),
                account,
                booking_date,
                amount,
                name,
                iban,
                remittance,
                starts[number] if number < len(starts) else 0,
            )
        )
    return entries


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def read_statement(path: str | Path) -> tuple[str, list[BankEntry]]:
    """Return ('CAMT.053' or 'MT940', the booked entries) of a statement file."""
    path = Path(path)
    if not path.is_file():
        raise LoadError(f"{path}: no such file")
    head = path.read_bytes()[:2048].lstrip(b"\xef\xbb\xbf \r\n\t")
    if head.startswith(b"<"):
        return "CAMT.053", read_camt053(path)
    if b":20:" in head or b":25:" in head or head.startswith(b"{1:"):
        return "MT940", read_mt940(path)
    raise LoadError(f"{path.name}: neither a CAMT.053 (XML) nor an MT940 bank statement")


# --------------------------------------------------------------------------- matching


def normal_party_name(name: str | None) -> str:
    """Lower-case words of a name without punctuation and legal forms ('B.V.' etc.)."""
    if not name:
        return ""
    words = re.sub(r"[^\w\s]", "", name.lower().replace(".", "")).split()
    return " ".join(w for w in words if w not in _LEGAL_FORMS)


def reference_tokens(text: str) -> set[str]:
    """Every run of letters and digits in `text`, and every part of a run joined by - / . _.

    'Factuur INV-2026-0012.' gives FACTUUR, INV-2026-0012, INV-2026, 2026-0012, INV, 2026,
    0012, ... so an invoice number is found however it is embedded.
    """
    tokens = set()
    for match in _RUN.finditer(text.upper()):
        run = match.group(0)
        cuts = [0] + [m.end() for m in re.finditer(r"[-/._]", run)]
        ends = [m.start() for m in re.finditer(r"[-/._]", run)] + [len(run)]
        for i, start in enumerate(cuts):
            for end in ends[i:]:
                token = run[start:end]
                if len(token) >= 3:
                    tokens.add(token)
    return tokens


def _candidates(con, entries: list[BankEntry]):
    """Invoices named in the entries, clients' names and accounts, and open invoices."""
    tokens = {t for e in entries for t in reference_tokens(e.remittance)}
    con.execute(
        "CREATE OR REPLACE TEMP TABLE da_tokens AS SELECT unnest(?::VARCHAR[]) AS token",
        [sorted(tokens)],
    )
    clients = con.execute("SELECT client_id, name FROM clients").fetchall()
    accounts = dict(con.execute("SELECT iban, client_id FROM client_bank_accounts").fetchall())
    by_name: dict[str, set[str]] = defaultdict(set)
    for client_id, name in clients:
        for key in {normal_party_name(name), normal_party_name(client_id)} - {""}:
            by_name[key].add(client_id)
    named = {normal_party_name(e.counterparty_name) for e in entries} - {""}
    wanted = {c for key in named for c in by_name.get(key, ())} | set(accounts.values())
    con.execute(
        "CREATE OR REPLACE TEMP TABLE da_wanted AS SELECT unnest(?::VARCHAR[]) AS client_id",
        [sorted(wanted)],
    )
    invoices = con.execute(
        """
        WITH
        candidate AS (
            SELECT i.invoice_id, i.client_id, i.due_date, i.invoice_date, i.amount,
                   upper(i.invoice_id) AS token
            FROM invoices AS i
            WHERE i.amount > 0
              AND (upper(i.invoice_id) IN (SELECT token FROM da_tokens)
                   OR i.client_id IN (SELECT client_id FROM da_wanted))
        ),
        direct_money AS (
            SELECT invoice_id, amount FROM receivable_direct_money_live
            WHERE invoice_id IN (SELECT invoice_id FROM candidate)
        ),
        final AS (
            SELECT c.token, c.invoice_id, c.client_id, c.due_date, c.invoice_date,
                   c.amount - coalesce(sum(d.amount), 0) AS remaining
            FROM candidate AS c LEFT JOIN direct_money AS d USING (invoice_id)
            GROUP BY c.token, c.invoice_id, c.client_id, c.due_date, c.invoice_date, c.amount
        )
        SELECT * FROM final ORDER BY due_date, invoice_date, invoice_id
        """
    ).fetchall()
    con.execute("DROP TABLE da_tokens")
    con.execute("DROP TABLE da_wanted")
    return invoices, by_name, accounts


@dataclass
class _Match:
    rule: str
    client_id: str | None
    allocations: list[tuple[str | None, Decimal]]  # (invoice or None = unallocated, amount)
    note: str


def match_entries(con, entries: list[BankEntry]) -> list[_Match]:
    """Match incoming entries (oldest first) to invoices by the rules in this module's doc."""
    invoices, by_name, accounts = _candidates(con, entries)
    by_token = {row[0]: row for row in invoices}
    remaining = {row[1]: row[5] for row in invoices}
    open_by_client: dict[str, list[tuple]] = defaultdict(list)
    for row in invoices:
        open_by_client[row[2]].append(row)
    matches = []
    for entry in entries:
        named = [by_token[t] for t in reference_tokens(entry.remittance) if t in by_token]
        named.sort(key=lambda r: (r[3], r[4], r[1]))
        if named:
            client = named[0][2]
            rest = entry.amount
            allocations = []
            for row in named:
                take = min(rest, max(remaining[row[1]], Decimal(0)))
                if take > 0:
                    allocations.append((row[1], take))
                    remaining[row[1]] -= take
                    rest -= take
            ids = ", ".join(r[1] for r in named)
            if not allocations:
                matches.append(
                    _Match("already_recorded", client, [], f"invoice {ids} already paid")
                )
                continue
            if rest > 0:
                allocations.append((None, rest))
            matches.append(_Match("reference", client, allocations, f"names invoice {ids}"))
            continue
        client = accounts.get(entry.counterparty_iban or "")
        how = "its bank account"
        if client is None:
            found = by_name.get(normal_party_name(entry.counterparty_name), set())
            client = next(iter(found)) if len(found) == 1 else None
            how = "its name"
        if client is None:
            matches.append(_Match("unmatched", None, [], "payer not recognised"))
            continue
        fits = [r for r in open_by_client[client] if remaining[r[1]] == entry.amount and r[5] > 0]
        if len(fits) == 1:
            remaining[fits[0][1]] -= entry.amount
            matches.append(
                _Match(
                    "client_amount",
                    client,
                    [(fits[0][1], entry.amount)],
                    f"client by {how}, the one open invoice of this amount",
                )
            )
            continue
        why = (
            f"{len(fits)} open invoices of this amount"
            if fits
            else "no open invoice of this amount"
        )
        matches.append(_Match("client_only", client, [(None, entry.amount)], why))
    return matches


# --------------------------------------------------------------------------- loading


def load_statement(ledger, path: str | Path, force: bool = False) -> StatementResult:
    """Load a CAMT.053 or MT940 statement's incoming payments into `ledger` and match them.

    In: a ledger path or writable connection; the statement file. Out: a
    StatementResult (counts per rule, unmatched entries). One transaction:
    a statement that cannot be read raises LoadError and changes nothing.
    Entries already loaded from an earlier (overlapping) statement are skipped.
    """
    path = Path(path)
    fmt, entries = read_statement(path)
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    result = StatementResult(path.name, fmt, entries=len(entries))
    incoming = sorted(
        (e for e in entries if e.amount > 0), key=lambda e: (e.booking_date, e.transaction_id)
    )
    result.incoming = len(incoming)
    result.outgoing = len(entries) - len(incoming)
    with connected(ledger, read_only=False) as con:
        previous = con.execute(
            "SELECT load_id FROM loads WHERE sha256 = ? AND kind = 'bank' ORDER BY load_id DESC",
            [sha256],
        ).fetchall()
        if previous and not force:
            result.file_already_loaded = True
            result.load_id = previous[0][0]
            return result
        known = {
            row[0]
            for row in con.execute(
                "SELECT transaction_id FROM bank_transactions WHERE transaction_id IN "
                "(SELECT unnest(?::VARCHAR[]))",
                [[e.transaction_id for e in incoming]],
            ).fetchall()
        }
        new = [e for e in incoming if e.transaction_id not in known]
        result.already_loaded = len(incoming) - len(new)
        matches = match_entries(con, new)
        with transaction(con):
            load_id = con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM loads").fetchall()[0][
                0
            ]
            result.load_id = load_id
            _write(con, new, matches, load_id)
            con.execute(
                "INSERT INTO loads VALUES (?, ?, ?, 'bank', ?, ?, 0, ?, 0, ?)",
                [
                    load_id,
                    path.name,
                    sha256,
                    len(entries),
                    len(new),
                    result.already_loaded,
                    dt.datetime.now(dt.UTC).replace(tzinfo=None),
                ],
            )
            refresh_index(con)
    for entry, match in zip(new, matches, strict=True):
        result.rules[match.rule] += 1
        if match.rule == "unmatched":
            result.unmatched.append(entry)
        elif match.rule == "client_only":
            result.unallocated.append((entry, f"client {match.client_id}: {match.note}"))
    return result


def _write(con, entries: list[BankEntry], matches: list[_Match], load_id: int) -> None:
    """Insert the bank transactions, their payments and newly learned client accounts."""
    transactions, payments, accounts = [], [], {}
    for entry, match in zip(entries, matches, strict=True):
        invoice_ids = ", ".join(i for i, _ in match.allocations if i) or None
        transactions.append(
            [
                entry.transaction_id,
                entry.account,
                entry.booking_date,
                entry.amount,
                entry.counterparty_name,
                entry.counterparty_iban,
                entry.remittance,
                match.rule,
                match.client_id,
                invoice_ids,
                match.note,
                load_id,
            ]
        )
        for invoice_id, amount in match.allocations:
            payment_id = f"bank:{entry.transaction_id}" + (f":{invoice_id}" if invoice_id else "")
            payments.append(
                [payment_id, match.client_id, invoice_id, entry.booking_date, amount, load_id]
            )
        if match.rule in ("reference", "client_amount") and entry.counterparty_iban:
            accounts.setdefault(entry.counterparty_iban, (match.client_id, entry.transaction_id))
    if transactions:
        con.executemany(
            "INSERT INTO bank_transactions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            transactions,
        )
    if payments:
        con.executemany(
            "INSERT INTO payments (payment_id, client_id, invoice_id, paid_date, amount, "
            "source_load) VALUES (?, ?, ?, ?, ?, ?)",
            payments,
        )
    known = {row[0] for row in con.execute("SELECT iban FROM client_bank_accounts").fetchall()}
    rows = [[c, iban, t] for iban, (c, t) in accounts.items() if iban not in known]
    if rows:
        con.executemany("INSERT INTO client_bank_accounts VALUES (?, ?, ?)", rows)
