"""An independent replay of the README's settlement rules, day by day, in plain Python.

It shares no code with the SQL models: it reads lists of invoices and payments and
answers, for one as-of day, what each invoice still owes and the client's unapplied
credit, and over a range of days, on which day each invoice was last settled.

Rules (README, "Aging" and "Settlement"):
- as of a day, later invoices, credit notes and payments do not exist;
- money naming an invoice (payments with its id, credit notes correcting it) pays it
  from the invoice's date on (money dated earlier waits in the pool until then);
  what it pays beyond the invoice is the client's credit;
- all other money is the client's credit pool, applied to the client's open invoices
  oldest due date first (ties: invoice date, invoice id); what is left is unapplied;
- an invoice is open when something is left to pay; its settled date as of a day is
  the first day of the unbroken run of days, up to that day, on which it was not open.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Invoice:
    invoice_id: str
    client_id: str
    invoice_date: dt.date
    due_date: dt.date
    amount: Decimal
    credits_invoice_id: str | None = None


@dataclass(frozen=True)
class Payment:
    payment_id: str
    client_id: str
    invoice_id: str | None
    paid_date: dt.date
    amount: Decimal


def replay(invoices: list[Invoice], payments: list[Payment], day: dt.date):
    """Return ({invoice_id: outstanding}, {client_id: unapplied credit}) as of `day`."""
    receivables = {i.invoice_id: i for i in invoices if i.amount >= 0 and i.invoice_date <= day}
    direct = dict.fromkeys(receivables, Decimal(0))
    pool: dict[str, Decimal] = {}

    def to_pool(client, amount):
        pool[client] = pool.get(client, Decimal(0)) + amount

    for p in payments:
        if p.paid_date > day:
            continue
        if p.invoice_id in receivables:
            direct[p.invoice_id] += p.amount
        else:  # no invoice, an unknown one, or one that does not exist yet
            to_pool(p.client_id, p.amount)
    for c in invoices:
        if c.amount >= 0 or c.invoice_date > day:
            continue
        if c.credits_invoice_id in receivables:
            direct[c.credits_invoice_id] += -c.amount
        else:
            to_pool(c.client_id, -c.amount)
    residual = {}
    for inv_id, inv in receivables.items():
        paid = direct[inv_id]
        if paid > inv.amount:
            to_pool(inv.client_id, paid - inv.amount)
            paid = inv.amount
        residual[inv_id] = inv.amount - paid
    outstanding = dict(residual)
    unapplied = {}
    for client in {i.client_id for i in receivables.values()} | set(pool):
        credit = pool.get(client, Decimal(0))
        left = credit
        owing = [i for i in receivables.values() if i.client_id == client]
        queue = sorted(
            (i for i in owing if residual[i.invoice_id] > 0),
            key=lambda i: (i.due_date, i.invoice_date, i.invoice_id),
        )
        for inv in queue:
            applied = min(residual[inv.invoice_id], max(left, Decimal(0)))
            outstanding[inv.invoice_id] -= applied
            left -= applied
        if left != 0:
            unapplied[client] = -left
    return outstanding, unapplied


def settled_dates(invoices, payments, days: list[dt.date]):
    """Return {(day, invoice_id): settled date or None} for every receivable issued by
    each day of `days` (consecutive days), from the day-by-day replay."""
    result = {}
    run_start: dict[str, dt.date | None] = {}
    for day in days:
        outstanding, _ = replay(invoices, payments, day)
        for inv_id, left in outstanding.items():
            if left > 0:
                run_start[inv_id] = None
            elif run_start.get(inv_id) is None:
                run_start[inv_id] = day
            result[(day, inv_id)] = run_start[inv_id]
    return result
