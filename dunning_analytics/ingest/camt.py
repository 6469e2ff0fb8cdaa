"""CAMT.053 bank statements (any version 2 to 8), read with lxml: no entities, no network.

The booked entry's amount (`Ntry/Amt` with `CdtDbtInd`) is the truth. Its
transaction details (`NtryDtls/TxDtls`) split it into several payments only
when every part has an amount in the entry's currency and the parts add up
to the entry; otherwise the entry is one payment. `RvslInd` true, or return
information (`RtrInf`), marks a reversal. CAMT.052 (account reports) and
CAMT.054 (notifications) are not statements and are refused with that reason.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from pathlib import Path

from dunning_analytics.common.messages import marked, tr, tr_marked
from dunning_analytics.ingest.errors import Rejection
from dunning_analytics.ingest.statement import (
    BankEntry,
    Statement,
    StatementError,
    check_balances,
    entry_id,
)
from dunning_analytics.ingest.xmlsafe import exact_cents, safe_parser

# a statement file larger than this is refused before it is parsed (a year of a busy
# account is a few MB; lxml holds the whole tree in memory, about ten times the file)
MAX_STATEMENT_BYTES = 50 * 1024 * 1024

_NOT_STATEMENTS = {
    "BkToCstmrAcctRpt": marked("a CAMT.052 account report (intraday), not a statement"),
    "BkToCstmrDbtCdtNtfctn": marked("a CAMT.054 debit/credit notification, not a statement"),
}


def _strip_namespaces(root) -> None:
    from lxml import etree

    for element in root.iter():
        if isinstance(element.tag, str):
            element.tag = etree.QName(element).localname


def _text(element, path: str) -> str | None:
    found = element.findtext(path) if element is not None else None
    return found.strip() if found and found.strip() else None


def _date(element, path: str) -> dt.date | None:
    text = _text(element, f"{path}/Dt") or (_text(element, f"{path}/DtTm") or "")
    try:
        day = dt.date.fromisoformat(text[:10]) if text else None  # 2017-04-01+02:00 too
    except ValueError:
        return None
    # a booking in 9999 is a placeholder, not a day money moved (loads accept 1900-2199)
    return day if day is None or 1900 <= day.year <= 2199 else None


def _balance(statement, codes: tuple[str, ...]) -> tuple[Decimal | None, int | None]:
    for bal in statement.findall("Bal"):
        code = _text(bal, "Tp/CdOrPrtry/Cd") or _text(bal, "Tp/CdOrPrtry/Prtry")
        if code in codes:
            amount = exact_cents(bal.findtext("Amt"))
            if amount is not None:
                sign = -1 if _text(bal, "CdtDbtInd") == "DBIT" else 1
                return amount * sign, bal.sourceline
    return None, None


def _party(tx, role: str) -> tuple[str | None, str | None]:
    name = (
        _text(tx, f"RltdPties/{role}/Nm")
        or _text(tx, f"RltdPties/{role}/Pty/Nm")
        or _text(tx, f"RltdPties/Ultmt{role}/Nm")
        or _text(tx, f"RltdPties/Ultmt{role}/Pty/Nm")
    )
    iban = _text(tx, f"RltdPties/{role}Acct/Id/IBAN") or _text(
        tx, f"RltdPties/{role}Acct/Id/Othr/Id"
    )
    return name, iban.replace(" ", "").upper() if iban else None


def _parts(ntry, amount: Decimal, currency: str | None) -> list[tuple[object, Decimal]]:
    """(transaction details, amount) parts of an entry: its TxDtls when they split it exactly."""
    details = ntry.findall("NtryDtls/TxDtls")
    if len(details) <= 1:
        return [(details[0] if details else ntry, amount)]
    parts = []
    for tx in details:
        for path in ("Amt", "AmtDtls/TxAmt/Amt"):
            element = tx.find(path)
            if element is not None and element.get("Ccy", currency) == currency:
                value = exact_cents(element.text)
                if value is not None:
                    parts.append((tx, value))
                    break
        else:
            return [(ntry, amount)]  # a part without an amount in the entry's currency
    if sum(abs(v) for _, v in parts) != abs(amount):
        return [(ntry, amount)]  # parts that do not add up do not split the entry
    sign = 1 if amount >= 0 else -1
    return [(tx, abs(v) * sign) for tx, v in parts]


def _entries(statement: Statement, element, seen: Counter, problems: list[Rejection]) -> None:
    name = statement.file_name
    for ntry in element.findall("Ntry"):
        status = _text(ntry, "Sts/Cd") or _text(ntry, "Sts") or "BOOK"
        if status != "BOOK":
            continue  # pending or information only: not on the balance
        amount_element = ntry.find("Amt")
        amount = exact_cents(amount_element.text if amount_element is not None else None)
        if amount is None:
            problems.append(
                Rejection(
                    name,
                    ntry.sourceline,
                    "Ntry/Amt",
                    amount_element.text if amount_element is not None else None,
                    "not an amount in cents (a number like 1234.50)",
                )
            )
            continue
        direction = _text(ntry, "CdtDbtInd")
        if direction not in ("CRDT", "DBIT"):
            problems.append(
                Rejection(name, ntry.sourceline, "Ntry/CdtDbtInd", direction, "not CRDT or DBIT")
            )
            continue
        written = _text(ntry, "BookgDt/Dt") or _text(ntry, "BookgDt/DtTm")
        booking = _date(ntry, "BookgDt") if written else _date(ntry, "ValDt")
        if booking is None:
            problems.append(
                Rejection(
                    name,
                    ntry.sourceline,
                    "Ntry/BookgDt",
                    _text(ntry, "BookgDt/Dt") or _text(ntry, "BookgDt/DtTm"),
                    "no valid booking date (a real day between 1900 and 2199)",
                )
            )
            continue
        currency = amount_element.get("Ccy") or statement.currency or ""
        signed = amount if direction == "CRDT" else -amount
        reversed_flag = (_text(ntry, "RvslInd") or "").lower() in ("true", "1")
        entry_ref = _text(ntry, "AcctSvcrRef")
        parts = _parts(ntry, signed, currency)
        for tx, part in parts:
            returned = tx.find("RtrInf") is not None
            reversal = reversed_flag or returned
            # the payer: the debtor of money in, and of a credit taken back
            payer_role = "Dbtr" if (part > 0) != reversal else "Cdtr"
            payer, iban = _party(tx, payer_role)
            texts = [t.strip() for t in tx.xpath("RmtInf/Ustrd/text()") if t.strip()]
            refs = [t.strip() for t in tx.xpath("RmtInf/Strd/CdtrRefInf/Ref/text()") if t.strip()]
            remittance = " ".join(texts + refs) or (_text(ntry, "AddtlNtryInf") or "")
            end_to_end = _text(tx, "Refs/EndToEndId")
            if end_to_end and end_to_end.upper() in ("NOTPROVIDED", "NONREF"):
                end_to_end = None
            bank_ref = _text(tx, "Refs/AcctSvcrRef")
            if bank_ref is None and len(parts) == 1:
                bank_ref = entry_ref  # one reference for a whole batch: not unique per part
            statement.entries.append(
                BankEntry(
                    transaction_id=entry_id(
                        statement.account, booking, part, iban, remittance, bank_ref, seen
                    ),
                    account=statement.account,
                    currency=currency,
                    booking_date=booking,
                    value_date=_date(ntry, "ValDt"),
                    amount=part,
                    reversal=reversal,
                    counterparty_name=payer,
                    counterparty_iban=iban,
                    remittance=" ".join(remittance.split()),
                    end_to_end=end_to_end,
                    match_text=" ".join([remittance, end_to_end or "", *refs]),
                    line=tx.sourceline or ntry.sourceline or 0,
                )
            )


def read_camt053(path: str | Path, check: bool = True) -> list[Statement]:
    """Read every <Stmt> of a CAMT.053 file: account, currency, balances, booked entries
    (balances checked unless `check` is False: for looking into a refused file).

    In: the file. Out: its statements in file order. Raises StatementError
    (nothing loaded) for XML that is not a CAMT.053 statement, an entry
    without a valid amount, direction or booking date, or a statement whose
    opening balance plus its entries is not its closing balance.
    """
    from lxml import etree

    path = Path(path)
    size = path.stat().st_size
    if size > MAX_STATEMENT_BYTES:
        raise StatementError(
            tr(
                "{file}: {size} bytes, more than the {mb} MB a CAMT.053 statement "
                "file is read up to; export a shorter period per file",
                file=path.name,
                size=size,
                mb=MAX_STATEMENT_BYTES // 2**20,
            )
        )
    try:
        root = etree.parse(str(path), safe_parser()).getroot()
    except etree.XMLSyntaxError as exc:
        raise StatementError(
            tr(
                "{file}:{line}: not valid XML: {reason}",
                file=path.name,
                line=exc.lineno,
                reason=exc.msg,
            )
        ) from exc
    _strip_namespaces(root)
    for tag, why in _NOT_STATEMENTS.items():
        if root.find(f".//{tag}") is not None:
            raise StatementError(
                tr(
                    "{file}: {why}; export the account statement (CAMT.053) from your bank",
                    file=path.name,
                    why=tr_marked(why),
                )
            )
    elements = root.findall(".//Stmt")
    if not elements:
        raise StatementError(
            tr("{file}: no <Stmt> element: not a CAMT.053 bank statement", file=path.name)
        )
    statements, problems, seen = [], [], Counter()
    for element in elements:
        opening, _ = _balance(element, ("OPBD", "PRCD"))
        closing, closing_line = _balance(element, ("CLBD",))
        currency = _text(element, "Acct/Ccy")
        if currency is None:
            amount = element.find("Bal/Amt")
            currency = amount.get("Ccy") if amount is not None else None
        statement = Statement(
            path.name,
            element.sourceline or 0,
            _text(element, "Acct/Id/IBAN") or _text(element, "Acct/Id/Othr/Id"),
            currency,
            opening,
            closing,
            closing_line,
        )
        _entries(statement, element, seen, problems)
        statements.append(statement)
    if problems:
        raise StatementError(
            tr(
                "{file}: refused, {n} entries cannot be read; nothing loaded.",
                file=path.name,
                n=len(problems),
            ),
            problems,
        )
    if check:
        check_balances(statements, require=False)
    return statements
