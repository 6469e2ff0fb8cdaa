"""A deterministic synthetic ledger with clients a credit manager recognises.

`write_demo_ledger(path, clients=150, seed=7, end=date(2026, 10, 31))` writes
about three years of history ending on `end`. Archetypes (kept in the extra
table `demo_archetype` so the demo can be explained; real ledgers lack it):

- punctual: pays around the due date;
- slow_steady: pays 2-4 weeks late, every time;
- erratic: mostly on time, sometimes very late;
- deteriorating: starts on time and pays later and later;
- disputer: disputes a quarter of its invoices; credit notes follow;
- new: first invoice in the last 90 days;
- collection: stopped paying 8 months before the end; escalated to a
  formal notice and a collection agency;
- installments: pays large invoices in parts under a payment plan.

The mix (_WEIGHTS) follows published Dutch figures: on a 3,000-client demo 42 % of the
invoices are paid after their due date, 20 % more than 14 days and 0.5 % more than 90 days
late; between Altares Dun & Bradstreet's payment study of Dutch businesses (19.8 % of invoices
paid late in 2024, 0.3 % more than 90 days; very small firms 82 % on time, large ones 39 %:
accountancyvanmorgen.nl, 2 July 2025) and Payt's 1.8 million invoices of Dutch SMEs (more than
half paid after the term, about 5 % only after the last reminder, 1 % to collection:
ondernemeneninternet.nl, March 2019), the side a freelancer sees. Most clients pay on time;
a few pay late every time and carry most of the late money.

Some clients pay without quoting the invoice number (unallocated payments).
Contacts: service calls, reminders, calls with promises to pay (some
broken), formal notices, disputes, collection. Everything is generated with
numpy per chunk of clients and written straight into DuckDB, so the same
code builds 10 million invoices without holding them all in memory.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from dunning_analytics.common.messages import tr
from dunning_analytics.ledger import open_ledger, refresh_index, transaction

ARCHETYPES = (
    "punctual",
    "slow_steady",
    "erratic",
    "deteriorating",
    "disputer",
    "new",
    "collection",
    "installments",
)
_WEIGHTS = np.array([0.55, 0.07, 0.13, 0.04, 0.06, 0.07, 0.02, 0.06])
_PREFIX = np.array(
    [
        "Bakkerij",
        "Studio",
        "Bouwbedrijf",
        "Adviesbureau",
        "Kapsalon",
        "Installatietechniek",
        "Webbureau",
        "Transport",
        "Fotografie",
        "Schildersbedrijf",
        "Hoveniers",
        "Administratiekantoor",
    ]
)
_SURNAME = np.array(
    [
        "de Vries",
        "Jansen",
        "Bakker",
        "Visser",
        "Smit",
        "Meijer",
        "de Boer",
        "Mulder",
        "de Groot",
        "Bos",
        "Vos",
        "Peters",
        "Hendriks",
        "van Leeuwen",
        "Dekker",
        "Brouwer",
        "van Dijk",
        "Willems",
    ]
)
_INITIALS = np.array(list("ABCDEFGHJKLMNPRSTW"))
_STREETS = ("Kerkstraat", "Dorpsstraat", "Molenweg", "Stationsweg", "Nieuwstraat", "Industrieweg")
_CITIES = ("Utrecht", "Amersfoort", "Zwolle", "Haarlem", "Breda", "Arnhem", "Leiden", "Delft")
_YEARS = 3
_CHUNK_CLIENTS = 20_000
_INVOICES_PER_CLIENT = 26  # about, on average: used to scale --invoices


def _days(dates: np.ndarray, base: np.datetime64) -> np.ndarray:
    return (dates - base).astype("timedelta64[D]").astype(np.int64)


def _chunk(seed: int, index: int, first_client: int, n: int, end: dt.date, n_total: int):
    """Generate clients [first_client, first_client + n) and their documents, in steps that
    draw from one random generator in a fixed order (the same seed, the same ledger).

    Returns DataFrames (clients, invoices, credit notes, payments, contacts) with day
    numbers relative to the epoch; ids are built in SQL.
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, index]))
    end_day = int(np.datetime64(end, "D").astype(np.int64))
    start_day = end_day - 365 * _YEARS
    people = _clients(rng, np.arange(first_client, first_client + n), start_day, end_day)
    docs = _invoice_facts(rng, people, n_total, start_day, end_day)
    payments, plans = _payments(rng, people, docs, end_day)
    invoices, credit_notes = _invoice_frames(people, docs)
    contacts = _contacts(rng, people, docs, plans, end_day)
    return people["frame"], invoices, credit_notes, payments, contacts


def _clients(rng, client_no: np.ndarray, start_day: int, end_day: int) -> dict:
    """Step 1: each client's archetype, kind, term, start, name and credit limit. Out: the
    arrays the next steps use and the clients' frame."""
    n = client_no.size
    archetype = rng.choice(len(ARCHETYPES), size=n, p=_WEIGHTS)
    # The first clients of a ledger cover every archetype, so a small demo has them all.
    fixed = client_no < len(ARCHETYPES)
    archetype[fixed] = client_no[fixed]
    consumer = (rng.random(n) < 0.25) & ~np.isin(archetype, [6])
    # and one consumer who pays later and later, so the ladder reaches the 14-day letter
    late_consumer = client_no == len(ARCHETYPES)
    archetype[late_consumer] = ARCHETYPES.index("deteriorating")
    consumer[late_consumer] = True
    term = np.where(consumer, 14, rng.choice([14, 30, 30, 30, 30, 45, 60], size=n))
    since = start_day + rng.integers(0, 365 * 2, size=n)
    is_new = archetype == ARCHETYPES.index("new")
    since[is_new] = end_day - rng.integers(20, 90, size=is_new.sum())
    unallocated = (rng.random(n) < 0.08) & ~np.isin(archetype, [5, 6])
    name = _client_names(rng, consumer)
    frame = pd.DataFrame(
        {
            "client_no": client_no,
            "name": name,
            "kind": np.where(consumer, "consumer", "business"),
            "payment_term_days": term,
            "since": since,
            "credit_limit": np.where(consumer, 0, rng.choice([5000, 10000, 25000], size=n)),
            "archetype": np.asarray(ARCHETYPES)[archetype],
        }
    )
    return {"client_no": client_no, "archetype": archetype, "consumer": consumer,
            "late_consumer": late_consumer, "term": term, "since": since,
            "unallocated": unallocated, "frame": frame}  # fmt: skip


def _client_names(rng, consumer: np.ndarray) -> np.ndarray:
    """A Dutch firm's name ('Bakkerij de Vries B.V.') or a person's ('J. Bakker')."""
    n = consumer.size
    prefix = _PREFIX[rng.integers(0, len(_PREFIX), n)]
    surname = _SURNAME[rng.integers(0, len(_SURNAME), n)]
    initial = _INITIALS[rng.integers(0, len(_INITIALS), n)]
    suffix = np.where(rng.random(n) < 0.5, " B.V.", "")
    return np.where(
        consumer,
        np.char.add(np.char.add(initial, ". "), surname),
        np.char.add(np.char.add(np.char.add(prefix, " "), surname), suffix),
    )


def _invoice_facts(rng, people: dict, n_total: int, start_day: int, end_day: int) -> dict:
    """Step 2: invoices (a Poisson number per client over its active months), their amounts,
    when each archetype pays them, disputes and credit notes. Out: arrays per invoice."""
    n, since, consumer = people["client_no"].size, people["since"], people["consumer"]
    months = np.maximum((end_day - since) / 30.4, 0.5)
    rate = np.where(consumer, 0.35, rng.lognormal(np.log(1.2), 0.5, size=n))
    rate[people["late_consumer"]] = 2.0  # a regular: a lesson every two weeks, say
    count = np.maximum(rng.poisson(rate * months), 1)
    if n_total > 50_000:  # big ledgers: keep the expected size steady
        count = np.minimum(count, 120)
    owner = np.repeat(np.arange(n), count)
    m = owner.size
    inv_day = since[owner] + (rng.random(m) * (end_day - since[owner] + 1)).astype(np.int64)
    inv_day = np.minimum(inv_day, end_day)
    due_day = inv_day + people["term"][owner]
    amount = np.round(
        np.where(
            consumer[owner],
            rng.lognormal(np.log(250), 0.6, size=m),
            rng.lognormal(np.log(1400), 0.8, size=m),
        ),
        2,
    )
    arch = people["archetype"][owner]
    progress = (inv_day - start_day) / (end_day - start_day)
    pay_day, disputed = _pay_days(rng, arch, progress, inv_day, due_day, end_day)
    # credit notes: disputed invoices and a few others, linked to the invoice
    credit = disputed & (rng.random(m) < 0.7) | (rng.random(m) < 0.02)
    credit_share = np.where(rng.random(m) < 0.3, 1.0, rng.uniform(0.1, 0.5, m))
    credit_amount = np.round(amount * credit_share, 2)
    credit_day = np.minimum(inv_day + rng.integers(7, 40, m), pay_day)
    credit &= credit_day <= end_day
    return {"owner": owner, "m": m, "inv_day": inv_day, "due_day": due_day, "amount": amount,
            "arch": arch, "pay_day": pay_day, "disputed": disputed, "credit": credit,
            "credit_day": credit_day, "credit_amount": credit_amount,
            "remaining": np.where(credit, amount - credit_amount, amount)}  # fmt: skip


def _pay_days(rng, arch, progress, inv_day, due_day, end_day: int):
    """When each invoice is paid, by its client's archetype (a disputed one weeks later, a
    stopped client's never), and which are disputed."""
    m = arch.size
    delay = np.select(
        [arch == 0, arch == 1, arch == 2, arch == 3, arch == 4, arch == 5, arch == 6, arch == 7],
        [
            rng.normal(-3, 3, m),
            rng.normal(21, 6, m),
            np.where(rng.random(m) < 0.7, rng.normal(1, 4, m), rng.exponential(45, m)),
            2 + 75 * progress**1.5 + rng.normal(0, 4, m),
            rng.normal(8, 6, m),
            rng.normal(6, 8, m),
            rng.normal(28, 10, m),
            rng.normal(12, 8, m),
        ],
    ).round()
    pay_day = np.maximum(due_day + delay.astype(np.int64), inv_day)
    stopped = (arch == 6) & (inv_day > end_day - 240)
    pay_day[stopped] = end_day + 10_000  # never paid
    disputed = (arch == 4) & (rng.random(m) < 0.25)
    disputed |= rng.random(m) < 0.01
    pay_day[disputed] += rng.integers(20, 60, size=disputed.sum())
    return pay_day, disputed


def _payments(rng, people: dict, docs: dict, end_day: int) -> tuple[pd.DataFrame, dict]:
    """Step 3: the payments: one, or two parts (the installments archetype and some
    others; open invoices of installment clients already got their first part). Out: the
    payments' frame and the parts' facts the payment plans need."""
    m, arch, amount, remaining = docs["m"], docs["arch"], docs["amount"], docs["remaining"]
    pay_day, inv_day, due_day = docs["pay_day"], docs["inv_day"], docs["due_day"]
    paid = pay_day <= end_day
    split = paid & (remaining > 0) & ((arch == 7) & (amount > 800) | (rng.random(m) < 0.04))
    first_share = np.round(remaining * rng.uniform(0.3, 0.7, m), 2)
    first_day = np.maximum(pay_day - rng.integers(15, 45, m), inv_day)
    open_split = ~paid & (arch == 7) & (amount > 800) & (due_day < end_day - 20)
    first_day_open = np.minimum(due_day + 10, end_day)
    inv_index = np.arange(m)
    whole = paid & ~split & (remaining > 0)
    parts = [
        (inv_index[whole], pay_day[whole], remaining[whole]),
        (inv_index[split], first_day[split], first_share[split]),
        (inv_index[split], pay_day[split], (remaining - first_share)[split]),
        (inv_index[open_split], first_day_open[open_split], first_share[open_split]),
    ]
    pay_inv = np.concatenate([p[0] for p in parts])
    owner = docs["owner"]
    payments = pd.DataFrame(
        {
            "inv": pay_inv,
            "client_no": people["client_no"][owner[pay_inv]],
            "paid_day": np.concatenate([p[1] for p in parts]),
            "amount": np.concatenate([p[2] for p in parts]),
            "unallocated": people["unallocated"][owner[pay_inv]],
        }
    )
    return payments, {"split": split, "open_split": open_split, "first_day": first_day}


def _invoice_frames(people: dict, docs: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Step 4: the invoices' and the credit notes' frames."""
    inv_index, owner, credit = np.arange(docs["m"]), docs["owner"], docs["credit"]
    client_no = people["client_no"]
    invoices = pd.DataFrame(
        {
            "inv": inv_index,
            "client_no": client_no[owner],
            "invoice_day": docs["inv_day"],
            "due_day": docs["due_day"],
            "amount": docs["amount"],
            "disputed": docs["disputed"],
        }
    )
    credit_notes = pd.DataFrame(
        {
            "inv": inv_index[credit],
            "client_no": client_no[owner[credit]],
            "invoice_day": docs["credit_day"][credit],
            "amount": -docs["credit_amount"][credit],
        }
    )
    return invoices, credit_notes


def _contacts(rng, people: dict, docs: dict, plans: dict, end_day: int) -> pd.DataFrame:
    """Step 5: the contacts, from how late each invoice is (as of its payment or the end):
    service calls, disputes, reminders, calls with promises, notices, collection, plans."""
    inv_index, owner, due_day = np.arange(docs["m"]), docs["owner"], docs["due_day"]
    arch, client_no = docs["arch"], people["client_no"]
    late_by = np.minimum(docs["pay_day"], end_day + 1) - due_day
    rows = []

    def add(mask, day, kind, channel, promised_day=None, promised_amount=None):
        mask = mask & (day <= end_day)
        k = int(mask.sum())
        rows.append(
            pd.DataFrame(
                {
                    "inv": inv_index[mask],
                    "client_no": client_no[owner[mask]],
                    "contact_day": day[mask],
                    "minute": rng.integers(9 * 60, 17 * 60, k),
                    "kind": kind,
                    "channel": channel,
                    "promised_day": promised_day[mask] if promised_day is not None else -1,
                    "promised_amount": promised_amount[mask]
                    if promised_amount is not None
                    else -1.0,
                }
            )
        )

    risky = np.isin(arch, [1, 2, 3, 6])
    add(risky & (rng.random(docs["m"]) < 0.3), due_day - 5, "service_call", "phone")
    add(docs["disputed"], due_day - 3, "dispute", "email")
    add(late_by > 3, due_day + 3, "reminder", "email")
    call_day = due_day + 17
    add(late_by > 17, call_day, "call", "phone")
    add(late_by > 17, call_day, "promise_to_pay", "phone", call_day + 10, docs["remaining"])
    # the notice after the call: a formal notice to a business, a 14-day letter to a consumer
    by_consumer = people["consumer"][owner]
    add((late_by > 45) & ~by_consumer, due_day + 45, "formal_notice", "letter")
    add((late_by > 45) & by_consumer, due_day + 45, "fourteen_day_letter", "letter")
    add((arch == 6) & (late_by > 75), due_day + 75, "collection", "letter")
    plan = plans["split"] & (arch == 7) | plans["open_split"]
    add(plan, plans["first_day"] - 3, "payment_plan", "phone")
    return pd.concat(rows, ignore_index=True)


def write_demo_ledger(
    path: str | Path,
    clients: int = 150,
    seed: int = 7,
    end: dt.date = dt.date(2026, 10, 31),
    invoices: int | None = None,
    progress: bool = False,
) -> dict[str, int]:
    """Write a demo ledger to `path` (a new file, or an empty ledger).

    In: number of clients (or `invoices` to scale to about that many
    invoices), the seed, the last day of history. Out: row counts per table.
    The same arguments always give the same ledger.
    """
    if invoices:
        clients = max(clients, int(np.ceil(invoices / _INVOICES_PER_CLIENT)))
    con = open_ledger(path)
    try:
        con.execute(
            "CREATE TABLE IF NOT EXISTS demo_archetype (client_id VARCHAR, archetype VARCHAR)"
        )
        epoch = dt.date(1970, 1, 1)
        starts = range(0, clients, _CHUNK_CLIENTS)
        with transaction(con):
            offset = 0
            for index, first in enumerate(
                tqdm(starts, desc=tr("demo ledger"), disable=not progress)
            ):
                n = min(_CHUNK_CLIENTS, clients - first)
                cl, inv, cn, pay, ct = _chunk(seed, index, first, n, end, clients)
                _insert_chunk(con, cl, inv, cn, pay, ct, offset, epoch, client_id_width(clients))
                offset += len(inv)
            refresh_index(con)
        counts = {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
            for t in ("clients", "invoices", "payments", "contacts")
        }
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return counts


def client_id_width(clients: int) -> int:
    """Digits of the client number in a client id ('C00042'): at least 5, more for big ledgers
    (lpad would cut a longer number and make two clients one)."""
    return max(5, len(str(max(clients - 1, 0))))


def _insert_chunk(con, cl, inv, cn, pay, ct, offset: int, epoch: dt.date, width: int) -> None:
    """Write one chunk; ids and dates are built in SQL from numbers."""
    con.register("d_clients", cl)
    con.register("d_invoices", inv)
    con.register("d_credit_notes", cn)
    con.register("d_payments", pay)
    con.register("d_contacts", ct)
    params = {"offset": offset, "epoch": epoch, "width": width}
    _insert_clients(con, epoch, width)
    _insert_invoices(con, params)
    _insert_payments(con, params)
    _insert_contacts(con, params)
    for name in ("d_clients", "d_invoices", "d_credit_notes", "d_payments", "d_contacts"):
        con.unregister(name)


def _insert_clients(con, epoch: dt.date, width: int) -> None:
    """The chunk's clients (contact details made from their numbers) and archetypes."""
    con.execute(
        """
        INSERT INTO clients BY NAME
        SELECT 'C' || lpad(client_no::VARCHAR, $width, '0') AS client_id, name, kind,
               payment_term_days, $epoch::DATE + since::INTEGER AS since,
               credit_limit::DECIMAL(18, 2) AS credit_limit,
               CASE WHEN kind = 'consumer' THEN name
                    ELSE $initials[client_no * 7 % len($initials) + 1] || '. '
                         || $surnames[client_no * 5 % len($surnames) + 1] END AS contact_person,
               -- one client in ten without an e-mail address; .example is a reserved domain
               CASE WHEN client_no % 10 = 9 THEN NULL
                    WHEN kind = 'consumer'
                        THEN trim(lower(regexp_replace(name, '[^A-Za-z]+', '.', 'g')), '.')
                             || '@mail.example'
                    ELSE 'info@' || trim(lower(regexp_replace(name, '[^A-Za-z]+', '-', 'g')), '-')
                         || '.example' END AS email,
               '06-' || lpad(((12345678 + client_no * 7919) % 100000000)::VARCHAR, 8, '0') AS phone,
               $streets[client_no % len($streets) + 1] || ' ' || (client_no % 180 + 1) AS address,
               (1000 + client_no * 37 % 8999)::VARCHAR || ' '
                   || chr((65 + client_no % 26)::INTEGER)
                   || chr((65 + client_no // 26 % 26)::INTEGER) AS postcode,
               $cities[client_no * 3 % len($cities) + 1] AS city
        FROM d_clients
        """,
        {
            "epoch": epoch,
            "width": width,
            "initials": list(_INITIALS),
            "surnames": list(_SURNAME),
            "streets": list(_STREETS),
            "cities": list(_CITIES),
        },
    )
    con.execute(
        """
        INSERT INTO demo_archetype
        SELECT 'C' || lpad(client_no::VARCHAR, $width, '0'), archetype FROM d_clients
        """,
        {"width": width},
    )


def _insert_invoices(con, params: dict) -> None:
    """The chunk's invoices and credit notes (each linked to its invoice)."""
    con.execute(
        """
        INSERT INTO invoices BY NAME
        SELECT 'F' || lpad((inv + $offset + 1)::VARCHAR, 8, '0') AS invoice_id,
               'C' || lpad(client_no::VARCHAR, $width, '0') AS client_id,
               $epoch::DATE + invoice_day::INTEGER AS invoice_date,
               $epoch::DATE + due_day::INTEGER AS due_date,
               'file' AS due_date_source,
               amount::DECIMAL(18, 2) AS amount, 'EUR' AS currency, disputed
        FROM d_invoices
        ORDER BY invoice_date
        """,
        params,
    )
    con.execute(
        """
        INSERT INTO invoices BY NAME
        SELECT 'CN' || lpad((inv + $offset + 1)::VARCHAR, 8, '0') AS invoice_id,
               'C' || lpad(client_no::VARCHAR, $width, '0') AS client_id,
               $epoch::DATE + invoice_day::INTEGER AS invoice_date,
               $epoch::DATE + invoice_day::INTEGER AS due_date,
               'file' AS due_date_source,
               amount::DECIMAL(18, 2) AS amount,
               'F' || lpad((inv + $offset + 1)::VARCHAR, 8, '0') AS credits_invoice_id,
               'EUR' AS currency, false AS disputed
        FROM d_credit_notes
        """,
        params,
    )


def _insert_payments(con, params: dict) -> None:
    """The chunk's payments, numbered by date (never overlapping another chunk's)."""
    con.execute(
        """
        INSERT INTO payments BY NAME
        -- at most 2 payments per invoice, so ids of chunks never overlap
        SELECT 'P' || lpad(
                   (row_number() OVER (ORDER BY paid_day, inv) + $offset * 2)::VARCHAR, 9, '0'
               ) AS payment_id,
               'C' || lpad(client_no::VARCHAR, $width, '0') AS client_id,
               CASE WHEN NOT unallocated
                    THEN 'F' || lpad((inv + $offset + 1)::VARCHAR, 8, '0') END AS invoice_id,
               $epoch::DATE + paid_day::INTEGER AS paid_date,
               amount::DECIMAL(18, 2) AS amount
        FROM d_payments
        """,
        params,
    )


def _insert_contacts(con, params: dict) -> None:
    """The chunk's contacts, numbered by date (never overlapping another chunk's)."""
    con.execute(
        """
        INSERT INTO contacts BY NAME
        -- at most 8 contacts per invoice, so ids of chunks never overlap
        SELECT 'K' || lpad(
                   (row_number() OVER (ORDER BY contact_day, inv, kind) + $offset * 8)::VARCHAR,
                   10, '0'
               ) AS contact_id,
               'C' || lpad(client_no::VARCHAR, $width, '0') AS client_id,
               'F' || lpad((inv + $offset + 1)::VARCHAR, 8, '0') AS invoice_id,
               ($epoch::DATE + contact_day::INTEGER)::TIMESTAMP + to_minutes(minute::BIGINT)
                   AS contact_at,
               channel, kind,
               CASE WHEN promised_day >= 0 THEN $epoch::DATE + promised_day::INTEGER END
                   AS promised_date,
               CASE WHEN promised_amount >= 0 THEN promised_amount::DECIMAL(18, 2) END
                   AS promised_amount
        FROM d_contacts
        """,
        params,
    )
