"""This week's dunning work: the ladder stage and next action per open invoice, the call plan.

- `worklist(ledger, as_of)`: every open invoice with its stage on the dunning
  ladder (the last step done, from the contacts log), the next action and its
  date. The ladder and its waiting days are in data/dunning.toml.
- `call_plan(ledger, as_of)`: one call per client with a call due this week,
  planned into the golden call hours (9:30-11:30, 13:30-15:30), Monday and
  Tuesday first, never on a weekend or a Dutch public holiday (`holidays`).
  Each call has a preparation sheet: amounts and invoices, the payment term,
  earlier contacts and promises, disputes, the goal and questions to ask.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import holidays
import pandas as pd

from dunning_analytics.common.formatting import client_text, format_date, format_eur, resolve_lang
from dunning_analytics.common.messages import marked
from dunning_analytics.common.settings_file import Setting, SettingsError, read_checked
from dunning_analytics.common.vocabulary import pick, word
from dunning_analytics.ledger import connected, query_frame

DEFAULT_LADDER = Path(__file__).resolve().parents[2] / "data" / "dunning.toml"
CALL_KINDS = ("service_call", "call")
# what we do ourselves, and leave to the agency once a client is with one
OWN_CONTACTS = ("service_call", "reminder", "call", "formal_notice", "fourteen_day_letter")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# ladder kind -> (English, Dutch): what to do
ACTION_TEXT = {
    "service_call": (
        "service call: is everything as agreed, did the invoice arrive?",
        "servicetelefoontje: is alles naar wens, is de factuur aangekomen?",
    ),
    "reminder": (
        "friendly reminder by e-mail: invoice number, date, amount, new payment date",
        "vriendelijke herinnering per e-mail: factuurnummer, datum, bedrag, nieuwe betaaldatum",
    ),
    "call": (
        "phone call: why is it not paid, and when will it be?",
        "bellen: waarom is er niet betaald, en wanneer wel?",
    ),
    "formal_notice": (
        "formal notice (aanmaning) by e-mail and post, announcing interest and costs",
        "aanmaning per e-mail en post, met aankondiging van rente en incassokosten",
    ),
    "fourteen_day_letter": (
        "14-day letter (veertiendagenbrief): last term of 14 days before costs",
        "veertiendagenbrief: een laatste termijn van 14 dagen voordat er kosten komen",
    ),
    "collection": (
        "hand over to a collection agency or lawyer",
        "uit handen geven aan een incassobureau of advocaat",
    ),
    "with_agency": (
        "none of our own: the client is with a collection agency",
        "niets zelf doen: de klant is bij een incassobureau",
    ),
}


# what every ladder value must be (settings_file.check_settings)
LADDER_SETTINGS = {
    "collection_min_principal": Setting("number", 0, 1e9, words="an amount in euros, 0 or more"),
    "plan_grace_days": Setting("int", 0, 60, words="whole days from 0 to 60"),
    "steps[].kind": Setting("choice", choices=(*OWN_CONTACTS, "collection")),
    "steps[].anchor": Setting("choice", choices=("due", "previous")),
    "steps[].days": Setting("int", -365, 365, words="a whole number of days from -365 to 365"),
    "steps[].channel": Setting("text"),
    "steps[].clients": Setting("choice", choices=("all", "business", "consumer")),
    "steps[].risky_only": Setting("bool"),
    "calls.golden_hours": Setting("texts", words='a list of times, e.g. ["09:30-11:30"]'),
    "calls.minutes_per_call": Setting("int", 5, 240, words="whole minutes from 5 to 240"),
    "calls.first_days": Setting("texts", words='a list of weekdays, e.g. ["Monday"]'),
}


def load_ladder(path: str | Path | None = None) -> dict:
    """Read the dunning ladder and call settings (TOML; see data/dunning.toml), every value
    checked (LADDER_SETTINGS, the golden hours as hh:mm-hh:mm, the first days as weekdays,
    at least one step). Raises SettingsError naming the file and line."""
    path = path or DEFAULT_LADDER
    ladder = read_checked(path, marked("ladder file"), LADDER_SETTINGS)
    calls = ladder.get("calls", {})
    bad_hours = [
        h for h in calls.get("golden_hours", []) if not re.fullmatch(r"\d\d:\d\d-\d\d:\d\d", h)
    ]
    bad_days = [d for d in calls.get("first_days", []) if d not in WEEKDAYS]
    if bad_hours or bad_days or not ladder.get("steps"):
        raise SettingsError(
            f"{path}: "
            + "; ".join(
                [f"golden hour {h!r} must read like 09:30-11:30" for h in bad_hours]
                + [f"first day {d!r} must be one of {', '.join(WEEKDAYS)}" for d in bad_days]
                + (["the ladder needs at least one [[steps]]"] if not ladder.get("steps") else [])
            )
        )
    return ladder


def plan_grace_days(ladder: dict | None = None) -> int:
    """How many days an instalment of a payment plan may be late and still count as paid:
    the ladder file's plan_grace_days (default 3). In: a ladder (default load_ladder())."""
    return int((ladder or load_ladder()).get("plan_grace_days", 3))


def _open_invoices(con, as_of: dt.date, grace_days: int = 3) -> pd.DataFrame:
    """Open invoices with client facts, the date each ladder step was last done, and the
    client's latest payment plan that covers the invoice (plan_instalment_status_at)."""
    return query_frame(
        con,
        """
        WITH
        open_invoices AS (
            SELECT * FROM invoice_settlement_at($as_of) WHERE outstanding > 0
        ),
        done AS (
            -- contacts on the invoice, or on the client without an invoice after it was issued
            SELECT o.invoice_id, c.kind, max(c.contact_at)::DATE AS last_on
            FROM open_invoices AS o
            JOIN contacts AS c
                ON c.client_id = o.client_id
                AND (c.invoice_id = o.invoice_id
                     OR (c.invoice_id IS NULL AND c.contact_at::DATE >= o.invoice_date))
            WHERE c.contact_at::DATE <= $as_of
            GROUP BY ALL
        ),
        complaints AS (
            -- a complaint recorded on the invoice holds the ladder until a later contact on
            -- it (a call, a promise) shows the conversation has moved on
            SELECT c.invoice_id, arg_max(c.kind, c.contact_at) = 'dispute' AS open_complaint
            FROM contacts AS c
            WHERE c.contact_at::DATE <= $as_of AND c.kind <> 'no_answer'  -- nobody spoke
                AND c.invoice_id IN (SELECT invoice_id FROM open_invoices)
            GROUP BY c.invoice_id
        ),
        promises AS (
            SELECT invoice_id, max(promised_date) AS promised_date
            FROM promise_outcome_at($as_of)
            WHERE outcome = 'pending' AND invoice_id IS NOT NULL
            GROUP BY invoice_id
        ),
        plan_facts AS (
            SELECT * FROM payment_plan_at($as_of, $grace)
        ),
        covering_plan AS (
            -- the latest plan agreed after the invoice was issued covers it
            SELECT o.invoice_id, arg_max(pf, pf.agreed_on) AS plan
            FROM open_invoices AS o
            JOIN plan_facts AS pf ON pf.client_id = o.client_id AND o.invoice_date <= pf.agreed_on
            GROUP BY o.invoice_id
        ),
        final AS (
            SELECT
                o.invoice_id, o.client_id, c.name, c.kind AS client_kind, c.payment_term_days,
                o.invoice_date, o.due_date, o.amount, o.outstanding,
                o.disputed OR coalesce(k.open_complaint, false) AS disputed,
                $as_of - o.due_date AS days_overdue,
                map_from_entries(list(struct_pack(k := d.kind, v := d.last_on))
                    FILTER (WHERE d.kind IS NOT NULL)) AS done_on,
                p.promised_date,
                cp.plan
            FROM open_invoices AS o
            JOIN clients AS c USING (client_id)
            LEFT JOIN done AS d USING (invoice_id)
            LEFT JOIN promises AS p USING (invoice_id)
            LEFT JOIN complaints AS k USING (invoice_id)
            LEFT JOIN covering_plan AS cp USING (invoice_id)
            GROUP BY ALL
        )
        SELECT * FROM final ORDER BY client_id, due_date, invoice_id
        """,
        {"as_of": as_of, "grace": grace_days},
    )


def risky_clients(flags: pd.DataFrame) -> set[str]:
    """Clients who get a service call before the due date: from risk.risk_flags, those with
    a deposit or stricter terms, grade C or D, or new (no track record yet: a call costs
    them nothing, where a deposit would)."""
    from dunning_analytics.questions.risk import LEVELS

    new = flags["rules"].map(lambda rules: "new_client" in rules)
    risky = flags[
        (flags["level_rank"] >= LEVELS.index("deposit")) | flags["grade"].isin(["C", "D"]) | new
    ]
    return set(risky["client_id"])


_ORDINALS = {
    "en": ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
           "tenth"],
    "nl": ["eerste", "tweede", "derde", "vierde", "vijfde", "zesde", "zevende", "achtste",
           "negende", "tiende"],
}  # fmt: skip


def _ordinal(n: int, lang: str) -> str:
    words = _ORDINALS[lang]
    return words[n - 1] if n <= len(words) else (f"{n}th" if lang == "en" else f"{n}e")


def plan_text(plan: dict, as_of: dt.date, lang: str) -> str:
    """How a payment plan stands, in words: '2 of 5 instalments paid, the third of €500,00
    due 01-12-2026 is 4 days late' (broken), or '... the next of €500,00 due ...'."""
    nl = lang == "nl"
    paid, count = int(plan["paid_count"]), int(plan["instalments"])
    head = (f"{paid} van {count} termijnen betaald" if nl
            else f"{paid} of {count} instalments paid")  # fmt: skip
    if plan["plan_status"] == "broken":
        n, due = int(plan["broken_number"]), plan["broken_due"]
        late = (as_of - due).days
        amount, day = format_eur(plan["broken_amount"], lang), format_date(due, lang)
        if nl:
            return f"betalingsregeling gebroken: {head}, de {_ordinal(n, 'nl')} van {amount} " \
                   f"op {day} is {late} dagen te laat"  # fmt: skip
        return f"payment plan broken: {head}, the {_ordinal(n, 'en')} of {amount} due {day} " \
               f"is {late} days late"  # fmt: skip
    if plan["next_due"] is None:
        return f"betalingsregeling: {head}" if nl else f"payment plan: {head}"
    amount, day = format_eur(plan["next_amount"], lang), format_date(plan["next_due"], lang)
    if nl:
        return f"betalingsregeling: {head}, de volgende van {amount} op {day}"
    return f"payment plan: {head}, the next of {amount} due {day}"


def _plan_step(plan, done: dict, as_of: dt.date, lang: str):
    """The next step a payment plan sets for an invoice it covers, or None (no plan, or one
    kept in full, or a broken one already called about: the ladder goes on): while the
    plan runs, wait for its next instalment; once broken, one call about it first."""
    if not isinstance(plan, dict) or plan.get("plan_status") is None:
        return None
    if plan["plan_status"] == "running":
        return "wait", plan["next_due"], plan_text(plan, as_of, lang)
    if plan["plan_status"] == "broken":
        called = max((done.get(k) for k in ("call", "promise_to_pay") if done.get(k)), default=None)
        if called is None or called <= plan["broken_deadline"]:
            return "call", as_of, plan_text(plan, as_of, lang)
    return None


def _next_step(
    row, steps: list[dict], risky: bool, as_of: dt.date, min_principal: Decimal, lang: str
):
    """Return (stage, next kind, next date, note in `lang`) for one open invoice."""
    entries = row.done_on if isinstance(row.done_on, (list, dict)) else []
    done = dict(entries.items() if isinstance(entries, dict) else entries)
    done = {k: (v.date() if isinstance(v, pd.Timestamp) else v) for k, v in done.items()}
    if "promise_to_pay" in done:  # a call that ended in a promise counts as the call
        done.setdefault("call", done["promise_to_pay"])
    applicable = [
        s
        for s in steps
        if s.get("clients", "all") in ("all", row.client_kind)
        and (not s.get("risky_only") or risky)
    ]
    kinds = [s["kind"] for s in applicable]
    last_index = max((kinds.index(k) for k in done if k in kinds), default=-1)
    stage = kinds[last_index] if last_index >= 0 else "none"
    if row.disputed:
        note = (
            "disputed: resolve the complaint before asking for payment",
            "betwist: los eerst de klacht op, vraag daarna om betaling",
        )
        return stage, "call", as_of, pick(note, lang)
    plan = _plan_step(row.plan, done, as_of, lang)
    if plan is not None:
        return (stage, *plan)
    if isinstance(row.promised_date, dt.date) and row.promised_date >= as_of:
        promised = format_date(row.promised_date, lang)
        note = (f"promised to pay by {promised}", f"belooft te betalen op uiterlijk {promised}")
        return stage, "wait", row.promised_date, pick(note, lang)
    previous_on = done.get(stage) if last_index >= 0 else None
    for step in applicable[last_index + 1 :]:
        if step["anchor"] == "due":
            when = row.due_date + dt.timedelta(days=int(step["days"]))
            if step["days"] < 0 and row.due_date < as_of:
                continue  # a step before the due date that was not done: too late for it
        else:
            anchor = previous_on or row.due_date
            when = anchor + dt.timedelta(days=int(step["days"]))
        note = ""
        if step["kind"] == "collection" and Decimal(row.outstanding) < min_principal:
            owed, floor = format_eur(row.outstanding, lang), format_eur(min_principal, lang)
            note = pick(
                (
                    f"weigh it: {owed} is below {floor}; a collection agency or lawyer may cost "
                    "more than it brings. Consider a last call, a payment plan or writing it off.",
                    f"afwegen: {owed} is minder dan {floor}; een incassobureau of advocaat kost "
                    "misschien meer dan het oplevert. Overweeg een laatste telefoontje, een "
                    "betalingsregeling of afboeken.",
                ),
                lang,
            )
        return stage, step["kind"], when, note
    done_note = (
        "every step taken: follow up the collection",
        "alle stappen gezet: volg de incasso",
    )
    return stage, "done", None, pick(done_note, lang)


def worklist(
    ledger,
    as_of: dt.date,
    ladder: dict | None = None,
    flags: pd.DataFrame | None = None,
    lang: str | None = None,
) -> pd.DataFrame:
    """Return every open invoice as of `as_of` with its stage and next action.

    `flags`: risk.risk_flags(ledger, as_of) when the caller has them already
    (they decide who gets a service call); computed here otherwise. `lang`: the
    language of action_text and note (else $DUNNING_LANG, else English).

    Out: client_id, name, client_kind, invoice_id, due_date, outstanding,
    days_overdue, stage (last ladder step done, or 'none'), next_action
    (a ladder kind, 'wait' for a pending promise, 'done'), action_date,
    action_text, due_now (action_date on or before as_of), note.
    """
    lang = resolve_lang(lang)
    ladder = ladder or load_ladder()
    steps = ladder["steps"]
    min_principal = Decimal(str(ladder.get("collection_min_principal", 250)))
    grace = plan_grace_days(ladder)
    with connected(ledger) as con:
        items = _open_invoices(con, as_of, grace)
        if items.empty:
            risky = set()
        else:
            from dunning_analytics.questions.risk import risk_flags

            risky = risky_clients(flags if flags is not None else risk_flags(con, as_of))
    rows = [
        _worklist_row(
            row, _next_step(row, steps, row.client_id in risky, as_of, min_principal, lang), lang
        )
        for row in items.itertuples(index=False)
    ]
    for row in rows:
        row["due_now"] = row["action_date"] is not None and row["action_date"] <= as_of
    _leave_to_agency(rows, lang)
    return pd.DataFrame(rows, columns=_WORKLIST_COLUMNS)


_WORKLIST_COLUMNS = [
    "client_id",
    "name",
    "client_kind",
    "payment_term_days",
    "invoice_id",
    "invoice_date",
    "due_date",
    "outstanding",
    "days_overdue",
    "disputed",
    "stage",
    "next_action",
    "action_date",
    "action_text",
    "due_now",
    "note",
]


def _worklist_row(row, step: tuple, lang: str) -> dict:
    """One open invoice's worklist row (without due_now); `step`: (stage, next action,
    its date, note)."""
    stage, kind, when, note = step
    return {
        "client_id": row.client_id,
        "name": row.name,
        "client_kind": row.client_kind,
        "payment_term_days": row.payment_term_days,
        "invoice_id": row.invoice_id,
        "invoice_date": row.invoice_date,
        "due_date": row.due_date,
        "outstanding": row.outstanding,
        "days_overdue": row.days_overdue,
        "disputed": row.disputed,
        "stage": stage,
        "next_action": kind,
        "action_date": when,
        "action_text": pick(ACTION_TEXT[kind], lang) if kind in ACTION_TEXT else note,
        "note": note,
    }


def _leave_to_agency(rows: list[dict], lang: str) -> None:
    """A client handed to a collection agency is contacted by the agency, not by us:
    their other invoices get no reminders or calls of our own (rows changed in place)."""
    agency = {r["client_id"] for r in rows if r["stage"] == "collection"}
    for r in rows:
        if r["client_id"] in agency and r["next_action"] in OWN_CONTACTS:
            r.update(
                next_action="with_agency",
                action_date=None,
                action_text=pick(ACTION_TEXT["with_agency"], lang),
                due_now=False,
                note=pick(
                    (
                        "the client is with a collection agency: contact goes through the agency",
                        "de klant is bij een incassobureau: contact loopt via het bureau",
                    ),
                    lang,
                ),
            )


def week_actions(work: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """The actions due by the end of the working week of `as_of`, the backlog first.

    Out: the worklist rows with an action date up to the week's last working day, and
    `backlog` True for those that were due before the week began (the Monday of `as_of`'s
    week): work left from earlier weeks, which a notebook shows under its own heading.
    """
    week_end = max(plan_days(as_of), default=as_of)
    monday = as_of - dt.timedelta(days=as_of.weekday())
    actionable = [k for k in ACTION_TEXT if k != "with_agency"]
    due = work[work["action_date"].notna() & work["next_action"].isin(actionable)]
    # boolean masks built as such: an empty object Series would select columns instead
    in_week = [d is not None and d <= week_end for d in due["action_date"]]
    due = due[pd.Series(in_week, index=due.index, dtype=bool)]
    due = due.assign(
        backlog=pd.Series([d < monday for d in due["action_date"]], dtype=bool, index=due.index)
    )
    return due.sort_values(["action_date", "outstanding"], ascending=[True, False])


def backlog_sentence(backlog: pd.DataFrame, as_of: dt.date, lang: str | None = None) -> str:
    """One sentence on the actions left from earlier weeks (from week_actions' backlog rows)."""
    from dunning_analytics.common.formatting import format_date, resolve_lang

    nl = resolve_lang(lang) == "nl"
    if backlog.empty:
        return "Geen achterstand uit eerdere weken." if nl else "No backlog from earlier weeks."
    oldest = format_date(min(backlog["action_date"]), lang)
    total = format_eur(backlog["outstanding"].sum(), lang)
    if nl:
        return (
            f"Achterstand: {len(backlog)} acties hadden al vóór deze week moeten gebeuren "
            f"(de oudste op {oldest}), samen {total} open. Ze staan hieronder apart."
        )
    return (
        f"Backlog: {len(backlog)} actions were due before this week (the oldest on {oldest}), "
        f"together {total} open. They are listed apart below."
    )


# ------------------------------------------------------------------ the call plan


def plan_days(as_of: dt.date, first_days=("Monday", "Tuesday")) -> list[dt.date]:
    """Working days to call on: from `as_of` to Friday of its week (the next week from a
    weekend), without Dutch public holidays; the `first_days` first."""
    start = as_of
    if start.weekday() >= 5:
        start += dt.timedelta(days=7 - start.weekday())
    friday = start + dt.timedelta(days=4 - start.weekday())
    nl_holidays = holidays.country_holidays("NL", years={start.year, friday.year})
    days = [
        start + dt.timedelta(days=i)
        for i in range((friday - start).days + 1)
        if (start + dt.timedelta(days=i)) not in nl_holidays
    ]
    first = [d for d in days if WEEKDAYS[d.weekday()] in first_days]
    return first + [d for d in days if d not in first]


def call_slots(day: dt.date, hours=("09:30-11:30", "13:30-15:30"), minutes: int = 15):
    """The start times of calls on `day` inside the golden hours."""
    slots = []
    for window in hours:
        begin, finish = (dt.time.fromisoformat(t) for t in window.split("-"))
        at = dt.datetime.combine(day, begin)
        while at + dt.timedelta(minutes=minutes) <= dt.datetime.combine(day, finish):
            slots.append(at)
            at += dt.timedelta(minutes=minutes)
    return slots


@dataclass
class PlannedCall:
    """One client's call: when, why, and the preparation sheet."""

    client_id: str
    name: str
    start: dt.datetime | None
    minutes: int
    total_open: Decimal
    total_overdue: Decimal
    goal: str
    invoices: pd.DataFrame
    contacts: pd.DataFrame
    payment_term_days: int | None
    disputes: list[str]
    open_questions: list[str] = field(default_factory=list)
    closed_questions: list[str] = field(default_factory=list)
    lang: str = "en"
    contact_person: str | None = None
    phone: str | None = None
    email: str | None = None

    def sheet(self) -> str:
        """The call-preparation sheet as plain text in the call's language (also the .ics
        event's description)."""
        say = self._say
        lines = self._head_lines() + self._invoice_lines() + self._contact_lines()
        plans = sorted(
            {n for n in self.invoices.get("note", []) if isinstance(n, str) and n.startswith(
                ("payment plan", "betalingsregeling"))}
        )  # fmt: skip
        lines += [n[0].upper() + n[1:] for n in plans]  # how the plan stands, broken or not
        if self.disputes:
            lines.append(
                say("Disputes or complaints: ", "Betwistingen of klachten: ")
                + "; ".join(self.disputes)
            )
        lines.append(say("Goal: ", "Doel: ") + self.goal)
        lines.append(say("Open questions: ", "Open vragen: ") + " / ".join(self.open_questions))
        lines.append(
            say("Closed questions: ", "Gesloten vragen: ") + " / ".join(self.closed_questions)
        )
        lines.append(
            say(
                "Afterwards: confirm what was agreed by e-mail today.",
                "Daarna: bevestig vandaag per e-mail wat er is afgesproken.",
            )
        )
        return "\n".join(lines)

    def _say(self, en: str, nl: str) -> str:
        return pick((en, nl), self.lang)

    def _head_lines(self) -> list[str]:
        """Who to call, what is open and overdue, the payment term, how to reach them."""
        say, eur = self._say, lambda value: format_eur(value, self.lang)
        term = self.payment_term_days
        if term is None or term != term:  # missing (None, or NaN from a frame): unknown
            term_text = say(
                "payment term unknown (30 days when none was agreed)",
                "betalingstermijn onbekend (30 dagen als er niets is afgesproken)",
            )
        else:
            term_text = say(
                f"agreed payment term {int(term)} days",
                f"afgesproken betalingstermijn {int(term)} dagen",
            )
        lines = [
            say(
                f"Call {client_text(self.name, self.client_id)}",
                f"Bellen: {client_text(self.name, self.client_id)}",
            ),  # fmt: skip
            say(
                f"Open {eur(self.total_open)}, of which overdue {eur(self.total_overdue)}; "
                f"{term_text}.",
                f"Open {eur(self.total_open)}, waarvan vervallen {eur(self.total_overdue)}; "
                f"{term_text}.",
            ),
        ]
        reach = [x for x in (self.contact_person, self.phone, self.email) if x]
        if reach:
            lines.append("Contact: " + ", ".join(reach))  # the same word in both languages
        return lines

    def _invoice_lines(self) -> list[str]:
        """A line per open invoice: due date, amount, days overdue or until due."""
        say = self._say
        lines = [say("Invoices:", "Facturen:")]
        for inv in self.invoices.itertuples(index=False):
            late = inv.days_overdue
            when = (
                say(f"{late} days overdue", f"{late} dagen over de vervaldatum")
                if late > 0
                else say(f"due in {-late} days", f"vervalt over {-late} dagen")
            )
            lines.append(
                f"  {inv.invoice_id} {say('due', 'vervaldatum')} "
                f"{format_date(inv.due_date, self.lang)}: "
                f"{format_eur(inv.outstanding, self.lang)} ({when})"
            )
        return lines

    def _contact_lines(self) -> list[str]:
        """A line per earlier contact, with a promise's date and outcome."""
        say = self._say
        if self.contacts.empty:
            return []
        lines = [say("Earlier contacts:", "Eerdere contacten:")]
        for c in self.contacts.itertuples(index=False):
            extra = ""
            if c.kind == "promise_to_pay" and isinstance(c.promised_date, dt.date):
                promised = format_date(c.promised_date, self.lang)
                outcome = word(c.outcome, self.lang)
                extra = say(
                    f", promised for {promised}: {outcome}",
                    f", beloofd voor {promised}: {outcome}",
                )
            elif c.kind == "payment_plan" and isinstance(c.promised_date, dt.date):
                first = format_date(c.promised_date, self.lang)
                extra = say(f", first payment {first}", f", eerste betaling {first}")
            if isinstance(c.note, str) and c.note and c.kind != "dispute":
                extra += f": {c.note}"  # a complaint's note is under the disputes below
            when = format_date(c.contact_at, self.lang)
            lines.append(f"  {when} {word(c.kind, self.lang)}{extra}")
        return lines

    def summary(self) -> str:
        """One line for a calendar or a list: who, and about how much."""
        overdue = format_eur(self.total_overdue, self.lang)
        return pick(
            (f"Call {self.name} about {overdue}", f"Bellen: {self.name} over {overdue}"), self.lang
        )


def _goal_and_questions(
    invoices: pd.DataFrame, contacts: pd.DataFrame, overdue: Decimal, lang: str = "en"
):
    """Return (goal, open questions, closed questions, broken promises) in `lang`; the
    questions hold {first}, {due}, {overdue} and {pay_by} to fill in."""
    broken = int((contacts["outcome"] == "broken").sum()) if not contacts.empty else 0
    oldest = int(invoices["days_overdue"].max()) if not invoices.empty else 0
    kinds = set(invoices["next_action"])
    owed = format_eur(overdue, lang)
    if "service_call" in kinds and overdue <= 0:
        goal = (
            "check that the work was delivered as agreed and the invoice arrived, before it is due",
            "nagaan of het werk naar wens is geleverd en de factuur is aangekomen, vóór de "
            "vervaldatum",
        )
        open_q = (
            [
                "How did the work go for you: is everything as agreed?",
                "Is there anything in the invoice that is unclear or that you disagree with?",
            ],
            [
                "Hoe is het werk bevallen: is alles zoals afgesproken?",
                "Is er iets in de factuur onduidelijk of bent u het ergens niet mee eens?",
            ],
        )
        closed_q = (
            ["Did you receive invoice {first}?", "Will it be paid by {due}?"],
            ["Heeft u factuur {first} ontvangen?", "Wordt die uiterlijk {due} betaald?"],
        )
    elif broken or oldest > 45:
        goal = (
            f"agree a payment plan for {owed}: the amounts and dates, confirmed in writing",
            f"een betalingsregeling afspreken voor {owed}: bedragen en data, schriftelijk "
            "bevestigd",
        )
        open_q = (
            [
                "What makes it hard to pay the open invoices now?",
                "What amount can you pay each week or month?",
            ],
            [
                "Wat maakt het moeilijk om de openstaande facturen nu te betalen?",
                "Welk bedrag kunt u per week of per maand betalen?",
            ],
        )
        closed_q = (
            [
                "Can you pay a first instalment this week?",
                "Shall I send the payment plan by e-mail today for you to confirm?",
            ],
            [
                "Kunt u deze week een eerste termijn betalen?",
                "Zal ik de regeling vandaag per e-mail sturen, zodat u die kunt bevestigen?",
            ],
        )
    else:
        goal = (
            f"get a payment commitment: {owed} on a date this week",
            f"een betaaltoezegging krijgen: {owed} op een datum deze week",
        )
        open_q = (
            [
                "What is holding up the payment of the open invoices?",
                "When can you pay the {overdue}?",
            ],
            [
                "Waardoor blijft de betaling van de openstaande facturen liggen?",
                "Wanneer kunt u de {overdue} betalen?",
            ],
        )
        closed_q = (
            ["Can you pay {overdue} by {pay_by}?", "Did you receive invoice {first}?"],
            ["Kunt u {overdue} uiterlijk {pay_by} betalen?", "Heeft u factuur {first} ontvangen?"],
        )
    return pick(goal, lang), pick(open_q, lang), pick(closed_q, lang), broken


def call_plan(
    ledger,
    as_of: dt.date,
    ladder: dict | None = None,
    work: pd.DataFrame | None = None,
    lang: str | None = None,
):
    """Plan one call per client whose next action is a call due by the end of the week.

    `lang`: the language of the goals, questions and sheets (else $DUNNING_LANG, else
    English).

    Out: (planned: list[PlannedCall] with a start time, unplanned: list[PlannedCall]
    that did not fit in this week's golden hours). Clients with the most overdue
    are called first; Monday and Tuesday are filled first.
    """
    lang = resolve_lang(lang)
    ladder = ladder or load_ladder()
    settings = ladder.get("calls", {})
    hours = settings.get("golden_hours", ["09:30-11:30", "13:30-15:30"])
    minutes = int(settings.get("minutes_per_call", 15))
    days = plan_days(as_of, tuple(settings.get("first_days", ["Monday", "Tuesday"])))
    work = worklist(ledger, as_of, ladder, lang=lang) if work is None else work
    clients = _clients_to_call(work, max(days, default=as_of))
    slots = [
        s
        for d in days
        for s in call_slots(d, hours, minutes)
        if s >= dt.datetime.combine(as_of, dt.time(0))
    ]
    history, reach = _call_history(ledger, as_of, clients)
    planned, unplanned = [], []
    starts = _assign_slots(clients, slots, history)
    for client_id in clients:
        call = _planned_call(
            client_id,
            work[work["client_id"] == client_id],
            history[history["client_id"] == client_id].head(8),
            reach,
            (as_of, starts.get(client_id), minutes),
            lang,
        )
        (planned if call.start else unplanned).append(call)
    return planned, unplanned


def _clients_to_call(work: pd.DataFrame, week_end: dt.date) -> list:
    """The clients with a call due by `week_end`, most overdue first."""
    due_calls = work[
        work["next_action"].isin(CALL_KINDS)
        & work["action_date"].map(lambda d: d is not None and d <= week_end)
    ]
    return list(
        due_calls.assign(overdue=due_calls["outstanding"].where(due_calls["days_overdue"] > 0, 0))
        .groupby("client_id")["overdue"]
        .sum()
        .sort_values(ascending=False)
        .index
    )


def _call_history(ledger, as_of: dt.date, clients: list):
    """(the contacts with `clients` up to `as_of`, newest first, with each promise's
    outcome; the clients' rows: how to reach them, indexed by client_id)."""
    with connected(ledger) as con:
        history = query_frame(
            con,
            """
            SELECT c.client_id, c.contact_at, c.kind, c.invoice_id, c.promised_date, p.outcome,
                   c.note
            FROM contacts AS c
            LEFT JOIN promise_outcome_at($as_of) AS p USING (contact_id)
            WHERE c.contact_at::DATE <= $as_of AND list_contains($clients, c.client_id)
            ORDER BY c.contact_at DESC
            """,
            {"as_of": as_of, "clients": clients},
        )
        # how to reach them (an older ledger may not have these columns yet)
        reach = query_frame(
            con,
            "SELECT * FROM clients WHERE list_contains($clients, client_id)",
            {"clients": clients},
        ).set_index("client_id")
    return history, reach


def _planned_call(client_id, invoices, contacts, reach, when: tuple, lang: str):
    """The PlannedCall of one client: its open invoices, recent contacts, goal, questions
    and disputes. `when`: (the as-of date, the call's start or None, its minutes)."""
    as_of, start, minutes = when
    overdue = sum(invoices.loc[invoices["days_overdue"] > 0, "outstanding"], Decimal("0"))
    goal, open_q, closed_q, _ = _goal_and_questions(invoices, contacts, overdue, lang)
    first = invoices.iloc[0]
    fill = {
        "first": first["invoice_id"],
        "due": format_date(first["due_date"], lang),
        "overdue": format_eur(overdue, lang),
        "pay_by": format_date(as_of + dt.timedelta(days=7), lang),
    }
    disputes = [
        pick((f"invoice {i} is disputed", f"factuur {i} is betwist"), lang)
        for i in invoices.loc[invoices["disputed"], "invoice_id"]
    ]
    logged = pick(("complaint logged", "klacht genoteerd"), lang)
    disputes += [
        f"{format_date(c.contact_at, lang)}: {c.note if isinstance(c.note, str) else logged}"
        for c in contacts.itertuples(index=False)
        if c.kind == "dispute"
    ]
    return PlannedCall(
        client_id=client_id,
        name=str(first["name"]),
        start=start,
        minutes=minutes,
        total_open=sum(invoices["outstanding"], Decimal("0")),
        total_overdue=overdue,
        goal=goal,
        invoices=invoices,
        contacts=contacts,
        payment_term_days=first["payment_term_days"],
        disputes=disputes,
        open_questions=[q.format(**fill) for q in open_q],
        closed_questions=[q.format(**fill) for q in closed_q],
        lang=lang,
        **{
            detail: _text_or_none(reach.at[client_id, detail])
            for detail in ("contact_person", "phone", "email")
            if detail in reach.columns
        },
    )


def _assign_slots(clients: list[str], slots: list[dt.datetime], history: pd.DataFrame) -> dict:
    """Give each client (most overdue first) the first free slot; a client whose call was
    not answered gets the first free slot after that attempt (the next try). Out: client
    -> start, for those who fit this week."""
    attempts = (
        history[history["kind"] == "no_answer"].groupby("client_id")["contact_at"].max()
        if not history.empty
        else pd.Series(dtype=object)
    )
    free, starts = list(slots), {}
    for client_id in clients:
        after = attempts.get(client_id)
        choice = next((s for s in free if after is None or s > after), None)
        if choice is not None:
            starts[client_id] = choice
            free.remove(choice)
    return starts


def _text_or_none(value) -> str | None:
    return value if isinstance(value, str) and value else None


def call_table(calls: list[PlannedCall]) -> pd.DataFrame:
    """The call plan as a table (one row per call) for display and export."""
    return pd.DataFrame(
        [
            {
                "start": c.start,
                "client_id": c.client_id,
                "name": c.name,
                "phone": c.phone,
                "open": c.total_open,
                "overdue": c.total_overdue,
                "invoices": ", ".join(c.invoices["invoice_id"]),
                "goal": c.goal,
                "sheet": c.sheet(),
            }
            for c in calls
        ],
        columns=[
            "start",
            "client_id",
            "name",
            "phone",
            "open",
            "overdue",
            "invoices",
            "goal",
            "sheet",
        ],
    )
