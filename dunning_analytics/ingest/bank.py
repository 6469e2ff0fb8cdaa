"""Bank statements (CAMT.053 and MT940) loaded as payments, matched to invoices.

`read_statement(path)` returns the file's statements, read exactly and with
their balances checked (mt940.py, camt.py); `load_statement(ledger, path)`
stores every incoming entry and every reversal once (an overlapping
statement adds only what is new) and matches each to the ledger:

1. reference: an invoice number in the description (or the structured or
   end-to-end reference) names the invoice(s); the money goes to them,
   oldest due first, up to what each still owes; a rest stays with the client
   as unallocated credit. When the named invoices are already paid:
   `already_recorded` if the ledger holds a payment for them that no bank
   entry has claimed yet (e.g. from an invoice history; no payment is added),
   else `paid_twice`: the money is the client's credit and the entry is listed
   with the invoice and both dates.
2. client_amount: the payer is a known client (a bank account seen paying
   that client before, else the account holder's name equals the client's
   name) and exactly one of the client's open invoices owes exactly this
   amount.
3. client_only: the payer is a known client but no single invoice fits: the
   payment is the client's, unallocated (aging applies it oldest due first).
4. unmatched: the payer is not recognised; nothing is added to payments and
   the entry is listed for the user.

A reversal (storno of a direct debit, a returned transfer) undoes the payment
it reverses, found by its end-to-end reference, else by the payer's account
(or name) and amount, latest first: negative payments on the same invoices,
dated the reversal's booking date, so the invoice is open again from that day
and an as-of replay before it still shows it paid (`reversal`). A reversal
whose payment is not in the ledger changes nothing and is listed
(`reversal_unmatched`).

Money in another currency than the euro is never applied to invoices: such a
statement is refused with that reason. Each file is its own transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

from dunning_analytics.common.formatting import format_eur, format_number, plain_text
from dunning_analytics.common.messages import current_lang, marked, tr, tr_marked
from dunning_analytics.ingest.camt import read_camt053
from dunning_analytics.ingest.errors import LoadError
from dunning_analytics.ingest.mt940 import read_mt940
from dunning_analytics.ingest.statement import BankEntry, Statement, StatementError
from dunning_analytics.ledger import connected, refresh_index, transaction

RULES = (
    "reference",
    "client_amount",
    "client_only",
    "paid_twice",
    "already_recorded",
    "unmatched",
    "reversal",
    "reversal_unmatched",
)
RULE_WORDS = {
    "reference": marked("matched by an invoice number in the description"),
    "client_amount": marked("matched by client and exact amount"),
    "client_only": marked("client known, no single invoice of that amount: left unallocated"),
    "paid_twice": marked("invoice already paid before: the money is kept as the client's credit"),
    "already_recorded": marked(
        "invoice already paid in the ledger (the same payment): not added again"
    ),
    "unmatched": marked("payer not recognised: not added"),
    "reversal": marked("reversal (storno, return): the payment it takes back is undone"),
    "reversal_unmatched": marked(
        "reversal of a payment that is not in the ledger: nothing changed"
    ),
}
_LEGAL_FORMS = {"bv", "nv", "vof", "cv", "eenmanszaak", "bvba", "holding"}
_RUN = re.compile(r"[A-Za-z0-9]+(?:[-/._][A-Za-z0-9]+)*")
# the longest reference looked for (an invoice number or a payment reference): longer runs
# of letters and digits are no reference, and skipping them keeps matching linear in the text
MAX_REFERENCE = 80
# the part of a description searched for references: SEPA allows 140 characters, an
# MT940 :86: field 6 lines of 65; a longer text is no bank's (and would cost time)
MAX_MATCH_TEXT = 1000
_AFTER_SEPARATOR = re.compile(r"(?<=[-._])")
# a period from one date to another ('2026-10-01 t/m 2026-10-31', '10/2026 - 12/2026')
_DATE_LIKE = r"\d{1,4}[-/.]\d{1,2}(?:[-/.]\d{1,4})?"
_PERIOD = re.compile(
    rf"{_DATE_LIKE}\s*(?:t/m|tm|tot en met|tot|to|until|-|–)\s*{_DATE_LIKE}", re.IGNORECASE
)
_DIGIT_GROUPS = re.compile(r"\b\d{3,4}(?: \d{3,4}){2,}\b")
HOME_CURRENCY = "EUR"
_MT940_TAG = re.compile(rb"(^|[\r\n{]):(20|25|28C?|60[FM]|61|62[FM]|64|65|86):")


@dataclass
class StatementResult:
    """What a statement load did: counts per rule, and the entries left for the user."""

    file_name: str
    format: str
    statements: int = 0
    accounts: list[str] = field(default_factory=list)
    entries: int = 0
    incoming: int = 0
    reversals: int = 0
    outgoing: int = 0
    already_loaded: int = 0
    load_id: int | None = None
    file_already_loaded: bool = False
    rules: Counter = field(default_factory=Counter)
    unmatched: list[BankEntry] = field(default_factory=list)
    unallocated: list[tuple[BankEntry, str]] = field(default_factory=list)
    paid_twice: list[tuple[BankEntry, str]] = field(default_factory=list)
    reversed: list[tuple[BankEntry, str]] = field(default_factory=list)

    def summary(self) -> str:
        """A few lines for a person: counts per rule, then every entry to look at."""
        if self.file_already_loaded:
            return tr(
                "{file} was already loaded (load {load_id}); nothing changed.",
                file=self.file_name,
                load_id=self.load_id,
            )
        new = self.incoming + self.reversals - self.already_loaded
        accounts = ", ".join(self.accounts) or tr("no account number")
        lines = [
            tr(
                "{file} ({format}): {statements} statement(s) of {accounts}, balances "
                "checked; {entries} booked entries: {incoming} incoming, {reversals} "
                "reversals, {outgoing} outgoing (ignored); {earlier} already loaded from an "
                "earlier statement, {new} new.",
                file=self.file_name,
                format=self.format,
                statements=self.statements,
                accounts=accounts,
                entries=self.entries,
                incoming=self.incoming,
                reversals=self.reversals,
                outgoing=self.outgoing,
                earlier=self.already_loaded,
                new=new,
            )
        ]
        for rule in RULES:
            if self.rules[rule]:
                lines.append(f"  {self.rules[rule]:>5}  {tr_marked(RULE_WORDS[rule])}")
        lines += [tr("  unmatched: {entry}", entry=_entry_text(e)) for e in self.unmatched]
        for title, found in (
            (tr("unallocated"), self.unallocated),
            (tr("paid twice"), self.paid_twice),
            (tr("reversal"), self.reversed),
        ):
            lines += [f"  {title}: {_entry_text(entry)} ({why})" for entry, why in found]
        return "\n".join(lines)


def _entry_text(entry: BankEntry) -> str:

    # one line each, whatever the statement held (a CR/LF in a name fakes report lines)
    lang = current_lang()
    who = plain_text(entry.counterparty_name or entry.counterparty_iban) or tr("unknown payer")
    what = plain_text(entry.remittance) or tr("(no description)")
    if len(what) > 200:
        what = what[:200] + tr("... ({n} characters)", n=format_number(len(what), 0, lang))
    return tr(
        "{date} {amount} from {who}: {what}",
        date=f"{entry.booking_date:%d-%m-%Y}",
        amount=format_eur(entry.amount, lang),
        who=who[:100],
        what=what,
    )


# --------------------------------------------------------------------------- reading


def read_statement(path: str | Path) -> tuple[str, list[Statement]]:
    """Return ('CAMT.053' or 'MT940', the file's statements, balances checked).

    Raises StatementError (a LoadError) naming the file, and where it can the
    line, field and value, for anything that is not read exactly.
    """
    path = Path(path)
    if not path.is_file():
        raise StatementError(tr("{path}: no such file", path=path))
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096).lstrip(b"\xef\xbb\xbf \r\n\t")
    except OSError as exc:
        raise StatementError(
            tr("{path}: cannot be read ({reason})", path=path, reason=exc.strerror)
        ) from exc
    if head.startswith(b"<"):
        return "CAMT.053", read_camt053(path)
    if _MT940_TAG.search(head) or head.startswith(b"{1:"):
        return "MT940", read_mt940(path)
    raise StatementError(
        tr(
            "{file}: neither a CAMT.053 (XML) nor an MT940 bank statement; "
            "export the statement from your bank's internet banking as CAMT.053 "
            "or MT940",
            file=path.name,
        )
    )


def _check_currency(path: Path, statements: list[Statement]) -> None:
    """Refuse a statement with money in another currency than the euro (never applied as euros)."""
    for st in statements:
        currencies = {st.currency or HOME_CURRENCY} | {
            e.currency or HOME_CURRENCY for e in st.entries
        }
        other = sorted(currencies - {HOME_CURRENCY})
        if other:
            raise StatementError(
                tr(
                    "{file}: the account {account} is kept in {currencies}; invoices are in euros, "
                    "so its money is never applied to them as if it were euros. Nothing loaded: "
                    "record such payments by hand (a payments CSV) at their euro value.",
                    file=path.name,
                    account=st.account or "?",
                    currencies=", ".join(other),
                )
            )


# --------------------------------------------------------------------------- matching


def normal_party_name(name: str | None) -> str:
    """Lower-case words of a name without punctuation and legal forms ('B.V.' etc.)."""
    if not name:
        return ""
    words = re.sub(r"[^\w\s]", "", name.lower().replace(".", "")).split()
    return " ".join(w for w in words if w not in _LEGAL_FORMS)


def reference_tokens(text: str) -> set[str]:
    """Every whole reference in `text`, upper-cased: each run of letters and digits joined
    by - . _ or /, each part of a run between slashes (which list references: 0012/0013),
    and each of these without leading words of letters only ('INV-2026-0012' also gives
    2026-0012). Never a piece cut from a longer reference, so a date ('2026-10-01') does not
    give the invoice number 2026-10; periods written from date to date ('2026-10 t/m
    2026-12') are no reference at all. Groups of digits written apart ('1234 5678 9012
    3456', a betalingskenmerk) also give them joined.
    """
    text = _PERIOD.sub(" ", text[:MAX_MATCH_TEXT])
    tokens = {re.sub(r"\D", "", m.group(0)) for m in _DIGIT_GROUPS.finditer(text)}
    for match in _RUN.finditer(text.upper()):
        run = match.group(0)
        if len(run) > MAX_REFERENCE:  # no reference: a long run costs time, finds nothing
            continue
        for part in {run, *run.split("/")}:
            segments = _AFTER_SEPARATOR.split(part)  # each keeps its trailing separator
            for start, segment in enumerate(segments):
                token = "".join(segments[start:])
                if len(token) >= 3:
                    tokens.add(token)
                if not segment.rstrip("-._").isalpha():
                    break  # only leading words of letters are dropped
    return tokens


def _candidates(con, entries: list[BankEntry]):
    """Invoices named in the entries (by number or payment reference), clients' names and
    accounts, and open invoices. Each invoice row starts with its tokens (number, reference)."""
    tokens = {t for e in entries for t in reference_tokens(e.match_text)}
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
        invoice_tokens AS (
            -- the invoice number, and the payment reference an e-invoice gave (without spaces)
            SELECT i.*, list_distinct(list_filter([
                upper(i.invoice_id),
                upper(regexp_replace(i.payment_reference, '[^A-Za-z0-9]', '', 'g'))
            ], lambda t: t IS NOT NULL AND t <> '')) AS tokens
            FROM invoices AS i
            WHERE i.amount > 0
        ),
        candidate AS (
            SELECT invoice_id, client_id, due_date, invoice_date, amount, tokens AS token
            FROM invoice_tokens
            WHERE list_has_any(tokens, (SELECT list(token) FROM da_tokens))
               OR client_id IN (SELECT client_id FROM da_wanted)
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
    invoices = [(tuple(row[0]), *row[1:]) for row in invoices]  # hashable: rows go in sets
    return invoices, by_name, accounts


@dataclass
class _Match:
    rule: str
    client_id: str | None
    allocations: list[tuple[str | None, Decimal]]  # (invoice or None = unallocated, amount)
    note: str
    reverses: str | None = None  # the transaction a reversal takes back
    claims: str | None = None  # already_recorded: the invoice whose recorded payment it is


def _recorded(con, invoice_ids: set[str]) -> tuple[Counter, dict[str, dt.date]]:
    """Per invoice: payments not from a bank statement that no bank entry has claimed yet,
    and the day it was last paid."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE da_named AS SELECT unnest(?::VARCHAR[]) AS invoice_id",
        [sorted(invoice_ids)],
    )
    rows = con.execute(
        """
        WITH
        named AS (SELECT invoice_id FROM da_named),
        recorded AS (
            SELECT invoice_id, count(*) FILTER (WHERE payment_id NOT LIKE 'bank:%') AS n,
                   max(paid_date) AS last_paid
            FROM payments WHERE invoice_id IN (SELECT invoice_id FROM named)
            GROUP BY invoice_id
        ),
        claimed AS (
            SELECT invoice_ids AS invoice_id, count(*) AS n
            FROM bank_transactions
            WHERE match_rule = 'already_recorded' AND invoice_ids IN (SELECT invoice_id FROM named)
            GROUP BY invoice_ids
        ),
        final AS (
            SELECT r.invoice_id, r.n - coalesce(c.n, 0) AS unclaimed, r.last_paid
            FROM recorded AS r LEFT JOIN claimed AS c USING (invoice_id)
        )
        SELECT * FROM final
        """
    ).fetchall()
    con.execute("DROP TABLE da_named")
    return Counter({r[0]: r[1] for r in rows}), {r[0]: r[2] for r in rows}


def match_entries(con, entries: list[BankEntry]) -> list[_Match]:
    """Match incoming entries (oldest first) to invoices by the rules in this module's doc."""
    matcher = _Matcher(con, entries)
    return [matcher.match(entry) for entry in entries]


class _Matcher:
    """What is open and recorded for the entries' candidates, updated as each entry is
    matched (oldest first): `match` one entry at a time."""

    def __init__(self, con, entries: list[BankEntry]):
        invoices, self.by_name, self.accounts = _candidates(con, entries)
        self.by_token = {token: row for row in invoices for token in row[0]}
        self.remaining = {row[1]: row[5] for row in invoices}
        self.unclaimed, self.last_paid = _recorded(con, {row[1] for row in invoices if row[5] <= 0})
        self.open_by_client: dict[str, list[tuple]] = defaultdict(list)
        for row in invoices:
            self.open_by_client[row[2]].append(row)

    def match(self, entry: BankEntry) -> _Match:
        """The match of one entry: by the invoices its text names, else by its client."""
        named = [self.by_token[t] for t in reference_tokens(entry.match_text) if t in self.by_token]
        if named:
            return self._by_reference(entry, sorted(set(named), key=lambda r: (r[3], r[4], r[1])))
        return self._by_client(entry)

    def _by_reference(self, entry: BankEntry, named: list[tuple]) -> _Match:
        """Pay the named invoices oldest due first; what is left is the client's credit. An
        entry naming only paid invoices is one already recorded, or paid twice."""
        client, rest, allocations = named[0][2], entry.amount, []
        for row in named:
            take = min(rest, max(self.remaining[row[1]], Decimal(0)))
            if take > 0:
                allocations.append((row[1], take))
                self.remaining[row[1]] -= take
                rest -= take
                self.last_paid[row[1]] = entry.booking_date
        ids = ", ".join(r[1] for r in named)
        if allocations:
            if rest > 0:
                allocations.append((None, rest))
            return _Match("reference", client, allocations, tr("names invoice {ids}", ids=ids))
        claim = next((r[1] for r in named if self.unclaimed[r[1]] > 0), None)
        if claim is not None:
            self.unclaimed[claim] -= 1
            return _Match(
                "already_recorded",
                client,
                [],
                tr("invoice {invoice} already paid", invoice=claim),
                claims=claim,
            )
        when = max(self.last_paid.get(r[1]) or entry.booking_date for r in named)
        return _Match(
            "paid_twice",
            client,
            [(None, entry.amount)],
            tr(
                "invoice {ids} was already paid on {when}; paid again on {again}: "
                "kept as client {client}'s credit",
                ids=ids,
                when=f"{when:%d-%m-%Y}",
                again=f"{entry.booking_date:%d-%m-%Y}",
                client=client,
            ),
        )

    def _by_client(self, entry: BankEntry) -> _Match:
        """The client by the paying account, else by a name only one client has; then the
        one open invoice of exactly this amount, else the client only."""
        client = self.accounts.get(entry.counterparty_iban or "")
        how = tr("its bank account")
        if client is None:
            found = self.by_name.get(normal_party_name(entry.counterparty_name), set())
            client = next(iter(found)) if len(found) == 1 else None
            how = tr("its name")
        if client is None:
            return _Match("unmatched", None, [], tr("payer not recognised"))
        fits = [
            r
            for r in self.open_by_client[client]
            if self.remaining[r[1]] == entry.amount and r[5] > 0
        ]
        if len(fits) == 1:
            self.remaining[fits[0][1]] -= entry.amount
            return _Match(
                "client_amount",
                client,
                [(fits[0][1], entry.amount)],
                tr("client by {how}, the one open invoice of this amount", how=how),
            )
        why = (
            tr("{n} open invoices of this amount", n=len(fits))
            if fits
            else tr("no open invoice of this amount")
        )
        return _Match("client_only", client, [(None, entry.amount)], why)


def _originals(con, reversals: list[BankEntry]) -> list[tuple]:
    """Incoming transactions in the ledger that reversals may take back, with their payments:
    (transaction_id, booking_date, amount, iban, name, end_to_end, rule, client, invoice_ids,
    [(invoice, amount)])."""
    ibans = sorted({e.counterparty_iban for e in reversals if e.counterparty_iban})
    refs = sorted({e.end_to_end for e in reversals if e.end_to_end})
    amounts = sorted({str(-e.amount) for e in reversals})
    rows = con.execute(
        """
        WITH
        candidate AS (
            SELECT transaction_id, booking_date, amount, counterparty_iban, counterparty_name,
                   end_to_end, match_rule, client_id, invoice_ids
            FROM bank_transactions AS b
            WHERE amount > 0 AND NOT coalesce(reversal, false)
              AND (counterparty_iban IN (SELECT unnest(?::VARCHAR[]))
                   OR end_to_end IN (SELECT unnest(?::VARCHAR[]))
                   OR amount IN (SELECT unnest(?::VARCHAR[])::DECIMAL(18, 2)))
              AND transaction_id NOT IN (
                  SELECT reverses FROM bank_transactions WHERE reverses IS NOT NULL)
        ),
        allocated AS (
            SELECT c.transaction_id,
                   list(struct_pack(invoice_id := p.invoice_id, amount := p.amount)) AS allocations
            FROM candidate AS c
            JOIN payments AS p ON p.payment_id = 'bank:' || c.transaction_id
                               OR p.payment_id LIKE 'bank:' || c.transaction_id || ':%'
            GROUP BY c.transaction_id
        ),
        final AS (
            SELECT c.*, coalesce(a.allocations, []) AS allocations
            FROM candidate AS c LEFT JOIN allocated AS a USING (transaction_id)
        )
        SELECT * FROM final ORDER BY booking_date DESC, transaction_id DESC
        """,
        [ibans, refs, amounts],
    ).fetchall()
    return [(*r[:9], [(a["invoice_id"], a["amount"]) for a in r[9]]) for r in rows]


def _find_original(reversal: BankEntry, originals: list[tuple]) -> tuple | None:
    """The payment a reversal takes back: same end-to-end reference, else same payer
    (account, else name) and amount, booked on or before it; the latest first."""
    earlier = [o for o in originals if o[1] <= reversal.booking_date and o[2] == -reversal.amount]
    if reversal.end_to_end:
        same = [o for o in earlier if o[5] == reversal.end_to_end]
        if same:
            return same[0]
    if reversal.counterparty_iban:
        same = [o for o in earlier if o[3] == reversal.counterparty_iban]
        if same:
            return same[0]
    name = normal_party_name(reversal.counterparty_name)
    same = [o for o in earlier if name and normal_party_name(o[4]) == name]
    return same[0] if same else None


def match_reversals(con, reversals, incoming, matches) -> list[_Match]:
    """Undo, for each reversal of a credit, the payment it takes back (module doc)."""
    batch = [
        (
            e.transaction_id,
            e.booking_date,
            e.amount,
            e.counterparty_iban,
            e.counterparty_name,
            e.end_to_end,
            m.rule,
            m.client_id,
            ", ".join(i for i, _ in m.allocations if i) or None,
            list(m.allocations),
        )
        for e, m in zip(incoming, matches, strict=True)
    ]
    originals = sorted(batch + _originals(con, reversals), key=lambda o: (o[1], o[0]), reverse=True)
    taken: set[str] = set()
    out = []
    for reversal in reversals:
        original = _find_original(reversal, [o for o in originals if o[0] not in taken])
        if original is None:
            out.append(
                _Match(
                    "reversal_unmatched",
                    None,
                    [],
                    tr(
                        "the payment it takes back is not in the ledger (load the earlier "
                        "statement first, then this one with --force)"
                    ),
                )
            )
            continue
        taken.add(original[0])
        tx_id, booked, _, _, _, _, rule, client, invoice_ids, allocations = original
        undo = [(invoice, -amount) for invoice, amount in allocations]
        if rule == "already_recorded" and invoice_ids:
            undo = [(invoice_ids.split(", ")[0], reversal.amount)]
        what = (
            tr("invoice {ids} open again", ids=invoice_ids)
            if invoice_ids
            else (tr("the client's credit taken back") if undo else tr("nothing had been added"))
        )
        out.append(
            _Match(
                "reversal",
                client,
                undo,
                tr(
                    "takes back the payment of {date}: {what}", date=f"{booked:%d-%m-%Y}", what=what
                ),
                reverses=tx_id,
            )
        )
    return out


# --------------------------------------------------------------------------- loading


def load_statement(ledger, path: str | Path, force: bool = False) -> StatementResult:
    """Load a CAMT.053 or MT940 statement's incoming payments and reversals into `ledger`.

    In: a ledger path or writable connection; the statement file. Out: a
    StatementResult (counts per rule, entries to look at). One transaction:
    a statement that cannot be read exactly, does not add up, or is kept in
    another currency raises StatementError (a LoadError) and changes nothing.
    Entries already loaded from an earlier (overlapping) statement are skipped.
    """
    path = Path(path)
    fmt, statements = read_statement(path)
    _check_currency(path, statements)
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    entries = [e for st in statements for e in st.entries]
    result = StatementResult(path.name, fmt, statements=len(statements), entries=len(entries))
    result.accounts = sorted({st.account for st in statements if st.account})
    order = lambda e: (e.booking_date, e.transaction_id)  # noqa: E731
    incoming = sorted((e for e in entries if e.incoming), key=order)
    reversals = sorted((e for e in entries if e.reverses_credit), key=order)
    result.incoming, result.reversals = len(incoming), len(reversals)
    result.outgoing = len(entries) - len(incoming) - len(reversals)
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
                [[e.transaction_id for e in incoming + reversals]],
            ).fetchall()
        }
        new_in = [e for e in incoming if e.transaction_id not in known]
        new_rev = [e for e in reversals if e.transaction_id not in known]
        result.already_loaded = len(incoming) + len(reversals) - len(new_in) - len(new_rev)
        with transaction(con):
            matches = match_entries(con, new_in)
            undone = match_reversals(con, new_rev, new_in, matches)
            load_id = con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM loads").fetchall()
            result.load_id = load_id[0][0]
            _write(con, new_in + new_rev, matches + undone, result.load_id)
            con.execute(
                "INSERT INTO loads VALUES (?, ?, ?, 'bank', ?, ?, 0, ?, 0, ?)",
                [
                    result.load_id,
                    path.name,
                    sha256,
                    len(entries),
                    len(new_in) + len(new_rev),
                    result.already_loaded,
                    dt.datetime.now(dt.UTC).replace(tzinfo=None),
                ],
            )
            refresh_index(con)
    for entry, match in zip(new_in + new_rev, matches + undone, strict=True):
        result.rules[match.rule] += 1
        if match.rule == "unmatched":
            result.unmatched.append(entry)
        elif match.rule == "client_only":
            result.unallocated.append(
                (entry, tr("client {client}: {note}", client=match.client_id, note=match.note))
            )
        elif match.rule == "paid_twice":
            result.paid_twice.append((entry, match.note))
        elif match.rule.startswith("reversal"):
            result.reversed.append((entry, match.note))
    return result


def load_statements(ledger, paths, force: bool = False) -> list[tuple[Path, object]]:
    """Load several statements, each in its own transaction: a refused file stops no other.

    Out: (path, StatementResult) for each loaded file and (path, LoadError) for
    each refused one, in the order given.
    """
    out = []
    for path in paths:
        try:
            out.append((Path(path), load_statement(ledger, path, force=force)))
        except LoadError as exc:
            out.append((Path(path), exc))
    return out


_DECIMAL = pa.decimal128(18, 2)
_TRANSACTION_COLUMNS = {
    "transaction_id": pa.string(),
    "account": pa.string(),
    "booking_date": pa.date32(),
    "value_date": pa.date32(),
    "amount": _DECIMAL,
    "currency": pa.string(),
    "reversal": pa.bool_(),
    "counterparty_name": pa.string(),
    "counterparty_iban": pa.string(),
    "remittance": pa.string(),
    "end_to_end": pa.string(),
    "match_rule": pa.string(),
    "client_id": pa.string(),
    "invoice_ids": pa.string(),
    "note": pa.string(),
    "reverses": pa.string(),
    "source_load": pa.int32(),
}
_PAYMENT_COLUMNS = {
    "payment_id": pa.string(),
    "client_id": pa.string(),
    "invoice_id": pa.string(),
    "paid_date": pa.date32(),
    "amount": _DECIMAL,
    "source_load": pa.int32(),
}


def _insert(con, table: str, columns: dict, rows: list[list]) -> None:
    """Insert rows in one statement through Arrow (no per-row round trip)."""
    if not rows:
        return
    arrow = pa.table(
        {
            name: pa.array([r[i] for r in rows], kind)
            for i, (name, kind) in enumerate(columns.items())
        }
    )
    con.register("da_rows", arrow)
    names = ", ".join(columns)
    con.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM da_rows")
    con.unregister("da_rows")


def _write(con, entries: list[BankEntry], matches: list[_Match], load_id: int) -> None:
    """Insert the bank transactions, their payments and newly learned client accounts."""
    transactions, payments, accounts = [], [], {}
    for entry, match in zip(entries, matches, strict=True):
        invoice_ids = ", ".join(dict.fromkeys(i for i, _ in match.allocations if i)) or match.claims
        transactions.append(
            [
                entry.transaction_id,
                entry.account,
                entry.booking_date,
                entry.value_date,
                entry.amount,
                entry.currency or HOME_CURRENCY,
                entry.reversal,
                entry.counterparty_name,
                entry.counterparty_iban,
                entry.remittance,
                entry.end_to_end,
                match.rule,
                match.client_id,
                invoice_ids,
                match.note,
                match.reverses,
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
    _insert(con, "bank_transactions", _TRANSACTION_COLUMNS, transactions)
    _insert(con, "payments", _PAYMENT_COLUMNS, payments)
    known = {row[0] for row in con.execute("SELECT iban FROM client_bank_accounts").fetchall()}
    rows = [[c, iban, t] for iban, (c, t) in accounts.items() if iban not in known]
    if rows:
        con.executemany("INSERT INTO client_bank_accounts VALUES (?, ?, ?)", rows)
