"""'Take back a contact' in notebook 06: a client's last contacts, each with a button that
withdraws it (corrections.withdraw_contact: kept with who, when and why; the worklist no
longer counts it). Follows the call form: after a save it shows that client's contacts."""

from __future__ import annotations

import getpass
import html
from pathlib import Path

import ipywidgets as w
from IPython.display import display

from dunning_analytics.act.corrections import recent_contacts, withdraw_contact
from dunning_analytics.common.formatting import format_date, format_eur, plain_text, resolve_lang
from dunning_analytics.common.vocabulary import pick, word
from dunning_analytics.ledger import LedgerError, read_frame

_TEXT = {
    "client": ("Client", "Klant"),
    "reason": ("Why", "Waarom"),
    "withdraw": ("Withdraw", "Intrekken"),
    "none": ("No contacts recorded with this client.", "Geen contacten vastgelegd met deze klant."),
    "done": (
        "Withdrawn: {what}. Kept in withdrawn_contacts (by {by}); the worklist no longer "
        "counts it.",
        "Ingetrokken: {what}. Bewaard in withdrawn_contacts (door {by}); de werklijst telt het "
        "niet meer mee.",
    ),
    "failed": ("Not withdrawn: {why}", "Niet ingetrokken: {why}"),
    "default_reason": ("withdrawn in notebook 06", "ingetrokken in notebook 06"),
}


class ContactsPanel:
    """The last contacts of a client with a Withdraw button each.

    In: the ledger's path, the language, and optionally the CallPanel to follow (after a
    save there, this shows that client)."""

    def __init__(self, ledger: str | Path, lang: str | None = None, follow=None, limit: int = 8):
        self.ledger, self.lang, self.limit = ledger, resolve_lang(lang), limit
        clients = read_frame(
            ledger,
            "SELECT c.client_id, any_value(k.name) AS name, max(c.contact_at) AS last "
            "FROM contacts AS c JOIN clients AS k USING (client_id) "
            "GROUP BY c.client_id ORDER BY last DESC LIMIT 500",
        )
        options = [
            (f"{plain_text(n)} ({plain_text(c)})", c) for c, n, _ in clients.itertuples(index=False)
        ]
        self.client = w.Dropdown(
            description=pick(_TEXT["client"], self.lang), options=options, layout={"width": "520px"}
        )
        self.reason = w.Text(
            description=pick(_TEXT["reason"], self.lang),
            placeholder=pick(_TEXT["default_reason"], self.lang),
            layout={"width": "520px"},
        )
        self.rows = w.VBox()
        self.status = w.HTML()
        self.client.observe(lambda *_: self.show(), names="value")
        if follow is not None:
            follow.on_saved.append(self.show_client)
        self.widget = w.VBox([self.client, self.reason, self.rows, self.status])
        self.show()

    def show_client(self, client_id: str) -> None:
        """Show `client_id`'s contacts (after a save in the call form)."""
        if client_id not in [value for _, value in self.client.options]:
            self.client.options = [(client_id, client_id), *self.client.options]
        self.client.value = client_id
        self.show()

    def show(self) -> None:
        """List the picked client's last contacts, each with its Withdraw button."""
        if self.client.value is None:
            self.rows.children = [w.HTML(pick(_TEXT["none"], self.lang))]
            return
        frame = recent_contacts(self.ledger, self.client.value, self.limit)
        rows = []
        for row in frame.itertuples(index=False):
            button = w.Button(description=pick(_TEXT["withdraw"], self.lang), icon="undo")
            button.on_click(lambda _, cid=row.contact_id: self.withdraw(cid))
            rows.append(w.HBox([button, w.HTML(html.escape(self._describe(row)))]))
        self.rows.children = rows or [w.HTML(pick(_TEXT["none"], self.lang))]

    def _describe(self, row) -> str:
        text = f"{row.contact_at:%d-%m-%Y %H:%M} {word(row.kind, self.lang)}"
        if isinstance(row.invoice_id, str):
            text += f" · {row.invoice_id}"
        if row.promised_date is not None and row.promised_date == row.promised_date:
            text += f" · {format_date(row.promised_date, self.lang)}"
        if row.promised_amount is not None and row.promised_amount == row.promised_amount:
            text += f" · {format_eur(row.promised_amount, self.lang)}"
        if isinstance(row.note, str):
            text += f" · {plain_text(row.note)}"
        return text

    def withdraw(self, contact_id: str) -> dict | None:
        """Withdraw `contact_id` with the reason typed (or the default); return its row."""
        reason = self.reason.value.strip() or pick(_TEXT["default_reason"], self.lang)
        by = getpass.getuser()
        try:
            row = withdraw_contact(self.ledger, contact_id, by=by, reason=reason)
        except LedgerError as exc:
            why = html.escape(str(exc))
            self.status.value = f"<p>{pick(_TEXT['failed'], self.lang).format(why=why)}</p>"
            return None
        done = pick(_TEXT["done"], self.lang).format(what=self._describe_row(row), by=by)
        self.status.value = f"<p class='da-withdrawn'>{html.escape(done)}</p>"
        self.reason.value = ""
        self.show()
        return row

    def _describe_row(self, row: dict) -> str:
        return f"{row['contact_at']:%d-%m-%Y %H:%M} {word(row['kind'], self.lang)}"

    def _ipython_display_(self) -> None:
        display(self.widget)
