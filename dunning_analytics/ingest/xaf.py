"""The XAF 3.2 auditfile (XML Auditfile Financieel), which every Dutch bookkeeping package
exports for the Belastingdienst, as one import of clients, invoices and payments.

`read_xaf(path)` parses the file safely (lxml, no entities, no network), validates it
against the official schema (schemas/XmlAuditfileFinancieel3.2.xsd), checks the totals
the file states (line counts, debit and credit totals of the transactions and of the
opening balance) and returns `XafBooks`: three RawTables (clients, invoices, payments)
whose lines are the elements' lines in the file, the debtor accounts used and notes on
what could not be linked. `load_xaf(ledger, path)` loads the three in one transaction.

- Clients: `customersSuppliers/customerSupplier` (custSupID, name, e-mail, phone, address,
  credit limit).
- Invoices: the lines on a debtor account in the sales journals (jrnTp S) with a custSupID,
  by invRef (else docRef): effDate, the amount debit as an invoice, credit as a credit
  note; a due date from the subledger line (invDueDt) when the file has one. The opening
  balance's customer subledger lines (obSbLine) are the invoices open at the year's start.
- Payments: the lines on a debtor account in the other journals: credit is money in, debit
  money back. Linked to the invoice whose debtor line has the same recRef (the match),
  else the same invRef, else the client's money, applied to its oldest open invoice.
- The debtor accounts: named with `debtor_accounts`, else the ledger accounts described as
  debiteuren (or with an RGS code BVorDeb), else the account that stands alone on its side
  in the sales journal's transactions.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa

from dunning_analytics.common.messages import tr
from dunning_analytics.ingest.errors import LoadError
from dunning_analytics.ingest.reading import RawTable, file_sha256
from dunning_analytics.ingest.xmlsafe import exact_cents, safe_parser

NS = "http://www.auditfiles.nl/XAF/3.2"
SCHEMA = Path(__file__).resolve().parent / "schemas" / "XmlAuditfileFinancieel3.2.xsd"
MAX_XAF_BYTES = 1 << 30  # a year of a small firm's books is megabytes, not gigabytes
_Q = f"{{{NS}}}"


@dataclass
class XafBooks:
    """An auditfile's receivables: clients, invoices and payments as RawTables (each row's
    line is its element's line in the file), the debtor accounts, and what was not linked."""

    clients: RawTable
    invoices: RawTable
    payments: RawTable
    debtor_accounts: list[str]
    notes: list[str] = field(default_factory=list)


def is_xaf(path: Path) -> bool:
    """True for an .xaf file, or an .xml file whose start names the XAF 3.2 namespace."""
    path = Path(path)
    if path.suffix.lower() == ".xaf":
        return True
    if path.suffix.lower() != ".xml" or not path.is_file():
        return False
    with open(path, "rb") as fh:
        return b"auditfiles.nl/XAF/3.2" in fh.read(4096)


def _text(element, name: str) -> str | None:
    found = element.find(_Q + name)
    if found is None or found.text is None or not found.text.strip():
        return None
    return found.text.strip()


def _parse(path: Path):
    """The file's XML tree, parsed safely and validated against the XAF 3.2 schema."""
    from lxml import etree

    if not path.is_file():
        raise LoadError(tr("{path}: no such file", path=path))
    if path.stat().st_size > MAX_XAF_BYTES:
        raise LoadError(tr("{path}: larger than {mb} MB", path=path, mb=MAX_XAF_BYTES >> 20))
    try:
        tree = etree.parse(str(path), safe_parser())
    except etree.XMLSyntaxError as exc:
        raise LoadError(
            tr(
                "{path}:{line}: not readable XML ({reason})",
                path=path,
                line=exc.lineno,
                reason=exc.msg,
            )
        ) from None
    if tree.getroot().tag != _Q + "auditfile":
        raise LoadError(
            tr(
                "{path}: not an XAF 3.2 auditfile (its root is {root!r}; expected "
                "auditfile in {ns}; XAF 4.0 is not read yet)",
                path=path,
                root=tree.getroot().tag,
                ns=NS,
            )
        )
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    if not schema.validate(tree):
        shown = "\n".join(f"  {path}:{e.line}: {e.message}" for e in list(schema.error_log)[:20])
        raise LoadError(
            tr(
                "{path}: the file does not follow the XAF 3.2 schema:\n{errors}",
                path=path,
                errors=shown,
            )
        )
    return tree


def _signed(line) -> Decimal:
    """A line's amount, debit positive and credit negative."""
    amount = exact_cents(_text(line, "amnt")) or Decimal("0")
    return amount if _text(line, "amntTp") == "D" else -amount


def _check_totals(root, path: Path) -> None:
    """Refuse a file whose transactions or opening balance do not add up to what it says."""
    problems = []
    blocks = {
        "transactions": f"{_Q}journal/{_Q}transaction/{_Q}trLine",
        "openingBalance": f"{_Q}obLine",
    }
    for block, line_path in blocks.items():
        part = root.find(f"{_Q}company/{_Q}{block}")
        if part is None:
            continue
        lines = part.findall(line_path)
        debit = sum((_signed(x) for x in lines if _text(x, "amntTp") == "D"), Decimal(0))
        credit = -sum((_signed(x) for x in lines if _text(x, "amntTp") == "C"), Decimal(0))
        stated = (
            int(_text(part, "linesCount") or 0),
            exact_cents(_text(part, "totalDebit")),
            exact_cents(_text(part, "totalCredit")),
        )
        for what, said, found in zip(
            ("lines", "total debit", "total credit"), stated, (len(lines), debit, credit),
            strict=True,
        ):  # fmt: skip
            if said != found:
                problems.append(
                    f"  {path}:{part.sourceline}: {block} says {what} {said}, the lines give "
                    f"{found}"
                )
    if problems:
        raise LoadError(
            tr(
                "{path}: the auditfile does not add up (a damaged or cut-off file); "
                "nothing was loaded:\n{problems}",
                path=path,
                problems="\n".join(problems),
            )
        )


_DEBTOR_WORDS = re.compile(r"(?i)debiteur|debtor|receivable|vorderingen op handelsdebiteuren")
_NOT_DEBTOR = re.compile(r"(?i)dubieu|voorziening|doubtful|allowance")


def _journal_lines(root) -> list[dict]:
    """Every transaction line with its journal: journal id and type, transaction number."""
    found = []
    for journal in root.iterfind(f"{_Q}company/{_Q}transactions/{_Q}journal"):
        kind, jrn = _text(journal, "jrnTp"), _text(journal, "jrnID")
        for transaction in journal.iterfind(_Q + "transaction"):
            number = _text(transaction, "nr")
            for line in transaction.iterfind(_Q + "trLine"):
                found.append({"journal": jrn, "type": kind, "tr": number, "el": line})
    return found


def _debtor_accounts(root, lines: list[dict], path: Path) -> list[str]:
    """The debtor accounts: described as debiteuren (or RGS BVorDeb), else the account
    standing alone on its side of the sales journal's transactions of three or more lines."""
    named = [
        _text(a, "accID")
        for a in root.iterfind(f"{_Q}company/{_Q}generalLedger/{_Q}ledgerAccount")
        if (
            _DEBTOR_WORDS.search(_text(a, "accDesc") or "")
            or (_text(a, "leadCode") or "").startswith("BVorDeb")
        )
        and not _NOT_DEBTOR.search(_text(a, "accDesc") or "")
        and _text(a, "accTp") != "P"
    ]
    if named:
        return named
    alone: Counter = Counter()
    by_transaction: dict = {}
    for line in lines:
        if line["type"] == "S":
            by_transaction.setdefault((line["journal"], line["tr"]), []).append(line["el"])
    for members in by_transaction.values():
        sides = Counter(_text(m, "amntTp") for m in members)
        for m in members:
            if len(members) >= 3 and sides[_text(m, "amntTp")] == 1 and _text(m, "custSupID"):
                alone[_text(m, "accID")] += 1
    if not alone:
        seen = sorted({_text(x["el"], "accID") for x in lines if x["type"] == "S"})
        raise LoadError(
            tr(
                "{path}: cannot tell which account holds the debtors; name it with "
                "--debtor-account (accounts in the sales journals: {accounts})",
                path=path,
                accounts=", ".join(seen) or tr("none"),
            )
        )
    return [alone.most_common(1)[0][0]]


def _clients(root, path: Path) -> RawTable:
    """customersSuppliers as a clients table (custSupID, name, contact details)."""
    names = ["custSupID", "custSupName", "contact", "eMail", "telephone", "streetname",
             "postalCode", "city", "custCreditLimit"]  # fmt: skip
    rows, lines = [], []
    for client in root.iterfind(f"{_Q}company/{_Q}customersSuppliers/{_Q}customerSupplier"):
        if _text(client, "custSupTp") == "S":  # a supplier only
            continue
        address = client.find(_Q + "streetAddress")
        street = None
        if address is not None:
            parts = [_text(address, "streetname"), _text(address, "number")]
            street = " ".join(p for p in parts if p) or None
        values = {n: _text(client, n) for n in names}
        values["streetname"] = street
        for name in ("postalCode", "city"):
            values[name] = _text(address, name) if address is not None else None
        rows.append(values)
        lines.append(client.sourceline)
    return _raw(path, "clients", names, rows, lines)


def _raw(path: Path, part: str, names: list[str], rows: list[dict], lines: list[int]):
    """A RawTable of text columns `names` from `rows`, each row's line its element's."""
    table = pa.table({n: pa.array([r.get(n) for r in rows], type=pa.string()) for n in names})
    sha = f"{file_sha256(path)}:{part}"  # each part is a load of its own kind
    return RawTable(str(path), sha, table, np.asarray(lines, dtype=np.int64))


def _due_dates(root) -> dict:
    """(journal, transaction, line number) -> invDueDt, from the customer subledger."""
    due = {}
    for line in root.iterfind(
        f"{_Q}company/{_Q}transactions/{_Q}subledgers/{_Q}subledger/{_Q}sbLine"
    ):
        if _text(line, "invDueDt"):
            key = (_text(line, "jrnID"), _text(line, "trNr"), _text(line, "trLineNr"))
            due[key] = _text(line, "invDueDt")
    return due


def _invoice_rows(root, lines: list[dict], accounts: set[str], notes: list[str]):
    """Invoices from the sales journals' debtor lines, summed per invRef (else docRef)."""
    due = _due_dates(root)
    invoices: dict[str, dict] = {}
    without_client = 0
    for line in lines:
        el = line["el"]
        if line["type"] != "S" or _text(el, "accID") not in accounts:
            continue
        if not _text(el, "custSupID"):
            without_client += 1
            continue
        number = _text(el, "invRef") or _text(el, "docRef") or f"{line['journal']}-{line['tr']}"
        row = invoices.setdefault(
            number,
            {"invRef": number, "custSupID": _text(el, "custSupID"), "effDate": _text(el, "effDate"),
             "invDueDt": due.get((line["journal"], line["tr"], _text(el, "nr"))),
             "amount": Decimal(0), "line": el.sourceline, "recRefs": set()},
        )  # fmt: skip
        row["amount"] += _signed(el)
        if _text(el, "recRef"):
            row["recRefs"].add(_text(el, "recRef"))
    if without_client:
        notes.append(
            f"{without_client} sales journal lines on a debtor account name no client "
            "(custSupID): not loaded"
        )
    return invoices


def _opening_rows(root, accounts: set[str], notes: list[str]) -> dict[str, dict]:
    """The invoices open at the start of the year: the opening balance's customer
    subledger lines; a debtor account's opening balance without them is noted."""
    opening = root.find(f"{_Q}company/{_Q}openingBalance")
    if opening is None:
        return {}
    start = _text(opening, "opBalDate")
    rows: dict[str, dict] = {}
    for book in opening.iterfind(f"{_Q}obSubledgers/{_Q}obSubledger"):
        if _text(book, "sbType") != "CU":
            continue
        for el in book.iterfind(_Q + "obSbLine"):
            number = _text(el, "invRef") or _text(el, "docRef") or f"opening-{_text(el, 'nr')}"
            rows[number] = {"invRef": number, "custSupID": _text(el, "custSupID"),
                            "effDate": _text(el, "invDt") or start,
                            "invDueDt": _text(el, "invDueDt"), "amount": _signed(el),
                            "line": el.sourceline, "recRefs": set()}  # fmt: skip
    if not rows:
        total = sum(
            (_signed(x) for x in opening.iterfind(_Q + "obLine") if _text(x, "accID") in accounts),
            Decimal(0),
        )
        if total:
            notes.append(
                f"the opening balance of the debtor accounts (EUR {total:.2f} on {start}) is "
                "not split per client and invoice in this file: not loaded; payments this year "
                "of older invoices are the clients' unapplied money"
            )
    return rows


def _invoices(path, invoices: dict[str, dict]) -> RawTable:
    names = ["invRef", "custSupID", "effDate", "invDueDt", "amnt"]
    rows = [{**r, "amnt": f"{r['amount']:.2f}"} for r in invoices.values()]
    return _raw(path, "invoices", names, rows, [r["line"] for r in invoices.values()])


def _payment_rows(lines: list[dict], accounts: set[str], invoices: dict, notes: list[str]):
    """Payments: debtor-account lines outside the sales journals (credit: money in),
    linked by recRef, else invRef, else left to the client."""
    by_match = {ref: number for number, r in invoices.items() for ref in r["recRefs"]}
    rows, lines_of, unlinked, lost = [], [], 0, Decimal(0)
    for line in lines:
        el = line["el"]
        if line["type"] == "S" or _text(el, "accID") not in accounts:
            continue
        invoice = by_match.get(_text(el, "recRef")) or (
            _text(el, "invRef") if _text(el, "invRef") in invoices else None
        )
        client = None if invoice else _text(el, "custSupID")
        if invoice is None and client is None:
            lost += -_signed(el)
            continue
        unlinked += invoice is None
        rows.append({"payment": f"xaf:{line['journal']}:{line['tr']}:{_text(el, 'nr')}",
                     "custSupID": client, "invRef": invoice, "effDate": _text(el, "effDate"),
                     "amnt": f"{-_signed(el):.2f}"})  # fmt: skip
        lines_of.append(el.sourceline)
    if unlinked:
        notes.append(
            f"{unlinked} payments name their client but no invoice (no matching recRef or "
            "invRef): each is the client's money, applied to its oldest open invoice first"
        )
    if lost:
        notes.append(
            f"EUR {lost:.2f} on the debtor accounts names neither client nor invoice: not loaded"
        )
    return rows, lines_of


def read_xaf(path, debtor_accounts: list[str] | None = None) -> XafBooks:
    """Read an XAF 3.2 auditfile's receivables (see the module's docstring).

    In: the file, and optionally the debtor account ids (accID) to read. Out: XafBooks.
    Raises LoadError naming the file and line when it is no valid XAF 3.2 file, does
    not add up, or no debtor account can be told."""
    path = Path(path)
    root = _parse(path).getroot()
    _check_totals(root, path)
    lines = _journal_lines(root)
    accounts = list(debtor_accounts or _debtor_accounts(root, lines, path))
    notes: list[str] = []
    invoices = {**_opening_rows(root, set(accounts), notes)}
    invoices.update(_invoice_rows(root, lines, set(accounts), notes))
    payments, payment_lines = _payment_rows(lines, set(accounts), invoices, notes)
    names = ["payment", "custSupID", "invRef", "effDate", "amnt"]
    return XafBooks(
        clients=_clients(root, path),
        invoices=_invoices(path, invoices),
        payments=_raw(path, "payments", names, payments, payment_lines),
        debtor_accounts=accounts,
        notes=notes,
    )


# each part's kind and field -> the element (column) it comes from
XAF_PARTS = {
    "clients": ("clients", {"client_id": "custSupID", "name": "custSupName",
                            "contact_person": "contact", "email": "eMail", "phone": "telephone",
                            "address": "streetname", "postcode": "postalCode", "city": "city",
                            "credit_limit": "custCreditLimit"}),
    "invoices": ("invoices", {"invoice_id": "invRef", "client_id": "custSupID",
                              "invoice_date": "effDate", "due_date": "invDueDt",
                              "amount": "amnt"}),
    "payments": ("payments", {"payment_id": "payment", "client_id": "custSupID",
                              "invoice_id": "invRef", "paid_date": "effDate", "amount": "amnt"}),
}  # fmt: skip


def load_xaf(ledger, path, debtor_accounts: list[str] | None = None, **options) -> list:
    """Load an auditfile's clients, invoices and payments into `ledger` in one transaction:
    all three or nothing. In: a ledger path or writable connection, the file, the debtor
    accounts (default: told from the file), and load()'s options (force, skip_bad_rows,
    allow_far_dates, today, ...). Out: the three LoadResults, the notes of what could not
    be linked in the invoices' `limits`."""
    from dunning_analytics.ingest.loading import load, no_ledger_left_on_failure
    from dunning_analytics.ledger import connected, transaction

    books = read_xaf(path, debtor_accounts)
    with (
        no_ledger_left_on_failure(ledger),
        connected(ledger, read_only=False) as con,
        transaction(con),
    ):
        results = [
            load(con, getattr(books, part), kind=kind, mapping=mapping, **options)
            for part, (kind, mapping) in XAF_PARTS.items()
        ]
    results[1].limits = [
        f"Debtor accounts read: {', '.join(books.debtor_accounts)} (name others with "
        "--debtor-account).",
        *books.notes,
    ]
    return results
