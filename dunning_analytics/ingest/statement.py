"""What a bank statement says, whatever its format: accounts, balances and booked entries.

The MT940 and CAMT.053 readers return `Statement`s; `check_balances` refuses
any statement whose opening balance plus its entries is not its closing
balance, so nothing misread is ever loaded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from dunning_analytics.common.messages import tr
from dunning_analytics.ingest.errors import LoadError, Rejection


class StatementError(LoadError):
    """A statement file was refused as a whole; nothing of it was loaded."""


@dataclass(frozen=True)
class BankEntry:
    """One booked entry of a statement.

    amount: signed as the money moved on our account (positive = money came in).
    reversal: the bank reverses an earlier entry (MT940 RC/RD, CAMT RvslInd, a
    return such as ING's /RTRN/); a reversal of a credit has a negative amount.
    booking_date: the day the bank booked it (what the ledger dates payments
    with); value_date: the interest date, kept beside it.
    match_text: every text that may name an invoice (description, end-to-end
    reference, structured reference), for the matching rules.
    """

    transaction_id: str
    account: str | None
    currency: str
    booking_date: dt.date
    value_date: dt.date | None
    amount: Decimal
    reversal: bool
    counterparty_name: str | None
    counterparty_iban: str | None
    remittance: str
    end_to_end: str | None
    match_text: str
    line: int  # where it starts in the file

    @property
    def incoming(self) -> bool:
        """Money a client paid us: a credit that is not itself a reversal."""
        return self.amount > 0 and not self.reversal

    @property
    def reverses_credit(self) -> bool:
        """A credit taken back (a storno of a direct debit, a returned transfer)."""
        return self.reversal and self.amount < 0


@dataclass
class Statement:
    """One account's statement: its balances and its booked entries, in file order."""

    file_name: str
    line: int
    account: str | None
    currency: str | None
    opening: Decimal | None
    closing: Decimal | None
    closing_line: int | None = None
    entries: list[BankEntry] = field(default_factory=list)


def entry_id(account, booking_date, amount, iban, text, bank_ref, seen: Counter) -> str:
    """The bank's own reference when it gives one, else a hash of the contents.

    Identical entries on one day are told apart by their order, so a later
    statement repeating that day yields the same ids.
    """
    if bank_ref and bank_ref.strip().upper() not in ("NONREF", "NOTPROVIDED", ""):
        return f"{account or ''}:{bank_ref.strip()}"
    content = "|".join(str(x or "") for x in (account, booking_date, amount, iban, text))
    seen[content] += 1
    digest = hashlib.sha1(f"{content}|{seen[content]}".encode()).hexdigest()[:20]
    return f"{account or ''}:h{digest}"


def check_balances(statements: list[Statement], require: bool = True) -> None:
    """Refuse (StatementError) statements whose entries do not lead from opening to closing.

    With `require`, a statement without an opening or closing balance cannot be
    checked and is refused too (MT940: a misread would go unnoticed); without it
    (CAMT.053, whose entries are explicit elements) such a statement passes.
    """
    problems = []
    for st in statements:
        if (st.opening is None or st.closing is None) and not require:
            continue
        if st.opening is None or st.closing is None:
            missing = "opening" if st.opening is None else "closing"
            problems.append(
                Rejection(
                    st.file_name,
                    st.line,
                    "balance",
                    None,
                    f"statement of account {st.account or '?'} has no {missing} balance, so "
                    "its entries cannot be checked",
                )
            )
            continue
        moved = sum((e.amount for e in st.entries), Decimal(0))
        cur = st.currency or ""

        def money(amount, cur=cur):
            return f"{cur} {amount:,.2f}".strip()

        if st.opening + moved != st.closing:
            problems.append(
                Rejection(
                    st.file_name,
                    st.closing_line or st.line,
                    "closing balance",
                    str(st.closing),
                    f"account {st.account or '?'}: opening balance {money(st.opening)} "
                    f"+ {len(st.entries)} entries {money(moved)} = "
                    f"{money(st.opening + moved)}, but the bank's closing balance is "
                    f"{money(st.closing)}: the file is not read as the bank meant it",
                )
            )
    if problems:
        raise StatementError(
            tr(
                "{file}: refused, {n} statement(s) do not add up; nothing loaded. Export the "
                "statement again from your bank; if it still does not add up, send the bank "
                "these numbers.",
                file=statements[0].file_name,
                n=len(problems),
            ),
            problems,
        )
