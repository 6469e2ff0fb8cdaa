"""The week's calls in a notebook: pick a call, read its sheet, and record how it went.

Under each call sheet a small form (outcome, when, promise date and amount, note) writes
the call to the ledger's `contacts` through conversation.record_contacts: the validated
load (one transaction, refusals named, a row in `loads`). The panel then recomputes the
worklist and the call plan, so the user sees the ladder move on: a called client leaves
the plan, a promise makes its invoices wait until the promised date.

The panel holds the ledger's path, not an open connection: it opens the file only while
it reads or writes, so other notebooks that read the ledger are not blocked by it (and
a notebook or command holding the file is named in the message when a save must wait).
"""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

import ipywidgets as w
import pandas as pd
from IPython.display import display

from dunning_analytics.act.conversation import CALL_OUTCOMES, call_contacts, record_contacts
from dunning_analytics.common.formatting import (
    client_text,
    format_date,
    format_eur,
    format_start,
    parse_amount,
    resolve_lang,
)
from dunning_analytics.common.vocabulary import heading, pick, word
from dunning_analytics.ingest.errors import LoadError
from dunning_analytics.ledger import LedgerError
from dunning_analytics.notebook.widgets import DateControl, ui_text
from dunning_analytics.present.pages import render_page
from dunning_analytics.questions.dunning import call_plan, worklist

# texts: key -> (English, Dutch)
_TEXT = {
    "call": ("Call", "Gesprek"),
    "outcome": ("Outcome", "Uitkomst"),
    "promise_to_pay": ("promised to pay", "betaalbelofte"),
    "call_reached": ("reached, no promise yet", "gesproken, nog geen belofte"),
    "payment_plan": ("payment plan agreed", "betalingsregeling afgesproken"),
    "dispute": ("complaint or dispute", "klacht of betwisting"),
    "no_answer": (
        "no answer: try again at the next slot",
        "geen gehoor: opnieuw in het volgende belblok",
    ),
    "about": ("About", "Over"),
    "all_invoices": ("every invoice on the sheet", "alle facturen op het overzicht"),
    "on": ("Called on", "Gebeld op"),
    "time": ("at", "om"),
    "promised_date": ("Pay by", "Betaalt op"),
    "amount": ("Amount €", "Bedrag €"),
    "instalments": ("Instalments", "Termijnen"),
    "instalments_hint": (
        "one per line or separated by ';': date=amount, e.g. 15-12-2026=500,00 (empty: one "
        "instalment, the date and amount above)",
        "één per regel of gescheiden door ';': datum=bedrag, bijv. 15-12-2026=500,00 (leeg: "
        "één termijn, de datum en het bedrag hierboven)",
    ),
    "bad_instalment": (
        "instalment {text!r}: write it as date=amount, e.g. 15-12-2026=500,00",
        "termijn {text!r}: schrijf datum=bedrag, bijv. 15-12-2026=500,00",
    ),
    "note": ("Note", "Notitie"),
    "save": ("Save", "Opslaan"),
    "no_calls": ("No calls planned this week.", "Deze week staan er geen gesprekken gepland."),
    "calls_left": (
        "{n} calls planned this week; pick one, make the call, record how it went.",
        "{n} gesprekken gepland deze week; kies er een, bel, en leg vast hoe het ging.",
    ),
    "saved": (
        "Saved in the ledger: {what} with {name} ({n} invoices).",
        "Vastgelegd in de administratie: {what} met {name} ({n} facturen).",
    ),
    "confirmation": (
        "Confirmation for the client, to check and send: {path}",
        "Bevestiging voor de klant, om na te lezen en te versturen: {path}",
    ),
    "open_draft": (
        "Open the draft in your mail program",
        "Open het concept in uw e-mailprogramma",
    ),
    "no_confirmation": (
        "No written confirmation: {reason}",
        "Geen schriftelijke bevestiging: {reason}",
    ),
    "saved_one": (
        "Saved in the ledger: {what} with {name} (invoice {invoice}).",
        "Vastgelegd in de administratie: {what} met {name} (factuur {invoice}).",
    ),
    "now": ("What happens next for {name}", "Wat er nu gebeurt bij {name}"),
    "moved_on": (
        "The worklist as of {day}: {name} is no longer on this week's call plan.",
        "De werklijst per {day}: {name} staat niet meer op de belplanning van deze week.",
    ),
    "still_planned": (
        "The worklist as of {day}: {name} is still to be called this week ({why}).",
        "De werklijst per {day}: {name} moet deze week nog gebeld worden ({why}).",
    ),
    "bad_time": ("{text!r} is not a time (hh:mm)", "{text!r} is geen tijd (uu:mm)"),
    "need_note": (
        "Write down the complaint in the note.",
        "Schrijf de klacht op in de notitie.",
    ),
    "when": ("when", "wanneer"),
    "not_saved": ("Not saved: {reason}", "Niet opgeslagen: {reason}"),
}


def _text(key: str, lang: str) -> str:
    return pick(_TEXT[key], lang)


class CallPanel:
    """The week's call plan, one call at a time: its sheet and a form to record the call.

    In: the ledger's path, the as-of date (the Monday of the week planned), the
    language, and the planned calls when the notebook has them already
    (dunning.call_plan); computed here otherwise. `save()` records the form's contents;
    `calls` is the plan as it stands after the last save.
    """

    def __init__(
        self,
        ledger: str | Path,
        as_of: dt.date,
        lang: str | None = None,
        calls: list | None = None,
        confirmations: str | Path | None = "confirmations",
    ):
        self.ledger = ledger
        self.as_of = as_of
        self.confirmations = confirmations  # the folder of the confirmation drafts (None: none)
        self.confirmation: Path | None = None  # the last one written
        self.lang = resolve_lang(lang)
        self.on_saved: list = []  # called with the client id after each save
        t = lambda key: _text(key, self.lang)  # noqa: E731
        self.calls = calls if calls is not None else call_plan(ledger, as_of, lang=self.lang)[0]
        self.intro = w.HTML()
        self.picker = w.Dropdown(description=t("call"), layout={"width": "640px"})
        self.sheet = w.HTML()
        self.outcome = w.Dropdown(
            description=t("outcome"),
            options=[
                (t("call_reached" if kind == "call" else kind), kind) for kind in CALL_OUTCOMES
            ],
        )
        self.about = w.Dropdown(description=t("about"), layout={"width": "420px"})
        self.on = DateControl(as_of, self.lang, label=t("on"))
        self.time = w.Text(description=t("time"), layout={"width": "150px"})
        self.pay_by = as_of + dt.timedelta(days=7)  # the sheet's "can you pay by ...?"
        self.promised_date = DateControl(self.pay_by, self.lang, t("promised_date"))
        self.amount = w.Text(description=t("amount"), layout={"width": "260px"})
        self.instalments = w.Textarea(
            description=t("instalments"),
            placeholder=t("instalments_hint"),
            layout={"width": "640px", "height": "60px"},
        )
        self.note = w.Textarea(description=t("note"), layout={"width": "640px", "height": "60px"})
        self.button = w.Button(description=t("save"), icon="check", button_style="primary")
        self.status = w.HTML()
        self.next_steps = w.HTML()
        self.promise_row = w.HBox([self.promised_date.widget, self.amount])
        self.form = w.VBox(
            [
                w.HBox([self.outcome, self.about]),
                w.HBox([self.on.widget, self.time]),
                self.promise_row,
                self.instalments,
                self.note,
                self.button,
            ],
            layout={"border": "1px solid #ccc", "padding": "6px", "width": "680px"},
        )
        self.picker.observe(self.show, names="value")
        self.outcome.observe(self._outcome_changed, names="value")
        self.button.on_click(self.save)
        self.widget = w.VBox(
            [self.intro, self.picker, self.sheet, self.form, self.status, self.next_steps]
        )
        self._fill_picker()
        self._outcome_changed()

    @property
    def call(self):
        """The call picked (None when none is planned)."""
        index = self.picker.value
        return self.calls[index] if index is not None and self.calls else None

    def _fill_picker(self) -> None:
        lang = self.lang
        self.intro.value = html.escape(
            _text("calls_left", lang).format(n=len(self.calls))
            if self.calls
            else _text("no_calls", lang)
        )
        self.picker.options = [
            (
                f"{format_start(c.start, lang)} · {client_text(c.name, c.client_id)} · "
                f"{format_eur(c.total_overdue, lang)}",
                i,
            )
            for i, c in enumerate(self.calls)
        ]
        self.picker.value = 0 if self.calls else None
        self.form.layout.display = None if self.calls else "none"
        self.show()

    def _outcome_changed(self, *_) -> None:
        with_date = self.outcome.value in ("promise_to_pay", "payment_plan")
        self.promise_row.layout.display = None if with_date else "none"
        plan = self.outcome.value == "payment_plan"
        self.instalments.layout.display = None if plan else "none"

    def show(self, *_) -> None:
        """Show the picked call's sheet and fill the form's defaults from it."""
        call = self.call
        if call is None:
            self.sheet.value = ""
            return
        self.sheet.value = (
            "<pre style='white-space:pre-wrap;font-size:12px;margin:4px 0'>"
            f"{html.escape(call.sheet())}</pre>"
        )
        self.about.options = [(_text("all_invoices", self.lang), "")] + [
            (f"{row.invoice_id} ({format_eur(row.outstanding, self.lang)})", row.invoice_id)
            for row in call.invoices.itertuples(index=False)
        ]
        self.about.value = ""
        self.time.value = f"{call.start:%H:%M}"
        self.on.set(call.start.date())
        amount = call.total_overdue or call.total_open
        self.amount.value = format_eur(amount, self.lang).replace("€", "").strip()
        self.promised_date.set(self.pay_by)
        self.note.value = ""
        self.instalments.value = ""

    def _form_values(self) -> dict:
        """The form's contents as record_contacts arguments; ValueError says what is wrong."""
        lang = self.lang
        day = self.on.value
        if day is None:
            raise ValueError(ui_text("bad_date", lang).format(text=self.on.input.value))
        try:
            at = dt.datetime.combine(day, dt.time.fromisoformat(self.time.value.strip()))
        except ValueError:
            raise ValueError(_text("bad_time", lang).format(text=self.time.value)) from None
        values = {
            "at": at,
            "note": self.note.value.strip() or None,
            "invoice_id": self.about.value or None,
        }
        if self.outcome.value == "dispute" and not values["note"]:
            raise ValueError(_text("need_note", lang))
        if self.outcome.value in ("promise_to_pay", "payment_plan"):
            promised = self.promised_date.value
            if promised is None:
                text = self.promised_date.input.value
                raise ValueError(ui_text("bad_date", lang).format(text=text))
            values["promised_date"] = promised
            values["promised_amount"] = parse_amount(self.amount.value, lang)
        if self.outcome.value == "payment_plan":
            values["instalments"] = self._instalments() or [
                (values["promised_date"], values["promised_amount"])
            ]
        return values

    def _instalments(self) -> list[tuple[dt.date, object]]:
        """The instalments typed in the form (date=amount, a line or ';' each)."""
        from dunning_analytics.common.formatting import parse_date

        found: list[tuple[dt.date, object]] = []
        for text in re.split(r"[;\n]", self.instalments.value):
            if not text.strip():
                continue
            day, sep, amount = text.partition("=")
            bad = _text("bad_instalment", self.lang).format(text=text.strip())
            if not sep:
                raise ValueError(bad)
            try:
                found.append((parse_date(day), parse_amount(amount.strip(), self.lang)))
            except ValueError:
                raise ValueError(bad) from None
        return found

    def save(self, *_) -> pd.DataFrame | None:
        """Record the picked call as the form says; then recompute the worklist and the
        plan and show what happens next for the client.

        Out: the client's worklist rows after the save (None when nothing was saved; the
        status line says why and the form keeps what was typed).
        """
        call, lang = self.call, self.lang
        if call is None:
            return None
        try:
            values = self._form_values()
            contacts = call_contacts(call, self.outcome.value, **values)
            record_contacts(
                self.ledger, contacts, source=f"call {call.client_id} {values['at']:%Y-%m-%d %H:%M}"
            )
        except (ValueError, LoadError, LedgerError) as exc:
            reason = html.escape(str(exc))
            self.status.value = (
                f"<span style='color:#b3261e'>{_text('not_saved', lang).format(reason=reason)}"
                "</span>"
            )
            return None
        invoices = sorted({c["invoice_id"] for c in contacts if c.get("invoice_id")})
        what = self.outcome.label
        if self.outcome.value == "promise_to_pay":
            amount = format_eur(values["promised_amount"], lang)
            what = f"{what} ({amount}, {format_date(values['promised_date'], lang)})"
        saved = _text("saved_one" if len(invoices) == 1 else "saved", lang).format(
            what=what, name=call.name, n=len(invoices), invoice=invoices[0] if invoices else ""
        )
        # the worklist as of the call's day (a call on Tuesday is seen from Tuesday on)
        as_of = max(self.as_of, values["at"].date())
        work = worklist(self.ledger, as_of, lang=lang)
        self.calls = call_plan(self.ledger, as_of, work=work, lang=lang)[0]
        mine = work[work["client_id"] == call.client_id]
        self.status.value = html.escape(saved) + self._confirm(contacts)
        self.next_steps.value = self._next_steps_html(call, mine, as_of)
        self._fill_picker()
        for callback in self.on_saved:
            callback(call.client_id)
        return mine

    def _confirm(self, contacts: list[dict]) -> str:
        """Write the call's confirmation draft (confirmation.write_confirmation); out: the
        line saying where it is, or why there is none (the call is saved either way)."""
        from dunning_analytics.act.confirmation import write_confirmation

        self.confirmation = None
        if self.confirmations is None or self.outcome.value == "no_answer":
            return ""  # nothing was agreed, so nothing to confirm
        try:
            self.confirmation = write_confirmation(
                self.ledger, contacts, self.confirmations, lang=self.lang
            )
        except (LedgerError, OSError, ValueError) as exc:
            reason = html.escape(str(exc))
            return f"<br>{_text('no_confirmation', self.lang).format(reason=reason)}"
        line = _text("confirmation", self.lang).format(path=html.escape(str(self.confirmation)))
        return f"<br><span class='da-confirmation'>{line}</span>" + self._draft_html()

    def _draft_html(self) -> str:
        """The draft shown in the form (its subject and text) with a link that opens it: the
        browser hands the .eml to the mail program, which opens it as a draft to send."""
        import email
        import os
        from email import policy

        message = email.message_from_bytes(self.confirmation.read_bytes(), policy=policy.default)
        text = message.get_body(preferencelist=("plain",)).get_content()
        try:  # a link relative to the notebook's folder, as JupyterLab and Voila serve files
            href = Path(os.path.relpath(self.confirmation)).as_posix()
        except ValueError:  # another drive (Windows): the file's own address
            href = self.confirmation.resolve().as_uri()
        return render_page(
            "confirmation_draft.html.j2",
            subject=str(message["Subject"]),
            text=text,
            href=href,
            file_name=self.confirmation.name,
            open_text=_text("open_draft", self.lang),
        )

    def _next_steps_html(self, call, mine: pd.DataFrame, as_of: dt.date) -> str:
        lang = self.lang
        planned = [c for c in self.calls if c.client_id == call.client_id]
        day = format_date(as_of, lang)
        if planned:
            why = "; ".join(sorted({n for n in mine["note"] if n})) or word("call", lang)
            line = _text("still_planned", lang).format(day=day, name=call.name, why=why)
        else:
            line = _text("moved_on", lang).format(day=day, name=call.name)
        return render_page(
            "next_steps.html.j2",
            line=line,
            title=_text("now", lang).format(name=call.name),
            headings=[
                *(heading(h, lang) for h in ("invoice_id", "outstanding", "next_action")),
                _text("when", lang),
                heading("note", lang),
            ],
            rows=[
                {
                    "invoice": str(r.invoice_id),
                    "outstanding": format_eur(r.outstanding, lang),
                    "action": word(r.next_action, lang),
                    "when": format_date(r.action_date, lang) if r.action_date else "",
                    "note": r.note or "",
                }
                for r in mine.itertuples(index=False)
            ],
        )

    def _ipython_display_(self) -> None:
        display(self.widget)
