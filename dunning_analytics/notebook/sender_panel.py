"""'Your details' in notebook 06: a small form for the letterhead every letter carries.

`SenderForm(ledger, lang)` shows the details saved beside the ledger (or the empty
fields), checks them on Save (sender.save_sender: IBAN with schwifty, KvK number, VAT
number with python-stdnum, e-mail address) and writes `<ledger>.sender.toml`; letters and
e-mail drafts on this ledger then carry them.
"""

from __future__ import annotations

import html
from pathlib import Path

import ipywidgets as w
from IPython.display import display

from dunning_analytics.act.sender import (
    OPTIONAL_FIELDS,
    SENDER_FIELDS,
    load_sender,
    save_sender,
    sender_path,
)
from dunning_analytics.common.formatting import resolve_lang
from dunning_analytics.common.vocabulary import pick
from dunning_analytics.ledger import LedgerError

# field -> (English, Dutch) label
LABELS = {
    "name": ("Business name", "Bedrijfsnaam"),
    "contact_person": ("Who signs", "Wie ondertekent"),
    "address": ("Street and number", "Straat en huisnummer"),
    "postcode": ("Postcode", "Postcode"),
    "city": ("City", "Plaats"),
    "email": ("E-mail", "E-mail"),
    "phone": ("Phone", "Telefoon"),
    "iban": ("IBAN", "IBAN"),
    "kvk": ("KvK number", "KvK-nummer"),
    "vat": ("VAT number", "Btw-nummer"),
}
_TEXT = {
    "save": ("Save my details", "Mijn gegevens opslaan"),
    "saved": (
        "Saved to {path}: letters and e-mails on this ledger carry these details.",
        "Opgeslagen in {path}: brieven en e-mails bij dit debiteurenbestand gebruiken deze "
        "gegevens.",
    ),
    "not_saved": ("Not saved: {why}", "Niet opgeslagen: {why}"),
    "none_yet": (
        "No details saved yet: letters on this ledger are refused until you save yours.",
        "Nog geen gegevens opgeslagen: brieven bij dit debiteurenbestand worden pas gemaakt "
        "als u de uwe opslaat.",
    ),
}


class SenderForm:
    """The sender details of `ledger` as a form: one text field per detail and Save."""

    def __init__(self, ledger: str | Path, lang: str | None = None):
        self.ledger = Path(ledger)
        self.lang = resolve_lang(lang)
        saved = self._saved()
        self.fields = {
            name: w.Text(
                value=str(saved.get(name, "")),
                description=pick(LABELS[name], self.lang),
                style={"description_width": "160px"},
                layout={"width": "520px"},
            )
            for name in (*SENDER_FIELDS, *OPTIONAL_FIELDS)
        }
        self.button = w.Button(description=pick(_TEXT["save"], self.lang), icon="save")
        self.status = w.HTML("" if saved else f"<p>{pick(_TEXT['none_yet'], self.lang)}</p>")
        self.button.on_click(self.save)
        self.widget = w.VBox([*self.fields.values(), self.button, self.status])

    def _saved(self) -> dict:
        path = sender_path(self.ledger)
        try:
            return load_sender(path) if path.exists() else {}
        except LedgerError:
            return {}  # a damaged file: the form starts empty and Save writes a good one

    def save(self, *_) -> Path | None:
        """Check and save what is typed; return the file, or None (the status says why)."""
        details = {name: field.value for name, field in self.fields.items()}
        try:
            path = save_sender(self.ledger, details)
        except LedgerError as exc:
            why = html.escape(str(exc))
            self.status.value = f"<p>{pick(_TEXT['not_saved'], self.lang).format(why=why)}</p>"
            return None
        text = pick(_TEXT["saved"], self.lang).format(path=html.escape(path.name))
        self.status.value = f"<p>{text}</p>"
        return path

    def _ipython_display_(self) -> None:
        display(self.widget)
