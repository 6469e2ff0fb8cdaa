"""The ledger's fields per kind of file, and how source column names are matched to them.

Shared by the loader and the presets; imports only the package's formatting limits.
"""

from __future__ import annotations

from dunning_analytics.common.formatting import (  # noqa: F401 (re-exported: the loader's names for them)
    EMAIL_PATTERN,
    FIRST_YEAR,
    FUTURE_MARGIN_DAYS,
    is_email_address,
)
from dunning_analytics.common.messages import marked

KINDS = ("history", "invoices", "payments", "contacts", "clients")
CONTACT_KINDS = (
    "service_call",
    "reminder",
    "call",
    "formal_notice",
    "fourteen_day_letter",
    "collection",
    "promise_to_pay",
    "payment_plan",
    "dispute",
    "no_answer",  # a call attempt nobody answered: the ladder does not move
)
CHANNELS = ("email", "phone", "letter", "post")
DEFAULT_TERM_DAYS = 30  # art. 6:119a lid 2 BW: the B2B term when none was agreed
MAX_TERM_DAYS = 365  # a longer payment term is a typing error, not a term
# Dates far outside a ledger's own range are typing errors (2199 for 2019): refused, or
# loaded with --allow-far-dates. No date before EARLIEST_YEAR; none more than
# FUTURE_MARGIN_DAYS after the day of the load (the margin is the load's future_days);
# no payment or promise more than LATE_YEARS after its invoice or contact.
EARLIEST_YEAR = FIRST_YEAR
LATE_YEARS = 10

# how to reach a client: clients field -> words for messages
CONTACT_DETAILS = {
    "contact_person": marked("contact person"),
    "email": marked("e-mail address"),
    "phone": marked("phone number"),
    "address": marked("address"),
    "postcode": marked("postcode"),
    "city": marked("city"),
}

# field -> (type, required, words for messages)
_INVOICE_FIELDS = {
    "invoice_id": ("text", True, marked("invoice id")),
    "client_id": ("text", True, marked("client id")),
    "invoice_date": ("date", True, marked("invoice date")),
    "due_date": ("date", False, marked("due date")),
    "amount": ("money", True, marked("amount")),
    "client_name": ("text", False, marked("client name")),
    "client_kind": ("client_kind", False, marked("client kind")),
    "payment_term_days": ("int", False, marked("payment term")),
    "disputed": ("bool", False, marked("disputed")),
    "currency": ("text", False, marked("currency")),
    "credits_invoice_id": ("text", False, marked("credited invoice id")),
    "payment_reference": ("text", False, marked("payment reference")),
    # how to reach the client (an e-invoice's buyer contact; any invoice file may have them)
    **{f"client_{name}": ("text", False, words) for name, words in CONTACT_DETAILS.items()},
}
FIELDS: dict[str, dict[str, tuple[str, bool, str]]] = {
    "history": {
        **_INVOICE_FIELDS,
        "paid_date": ("date", False, marked("paid date")),
        "paid_amount": ("money", False, marked("paid amount")),
        # what was still open on the export date (open-items lists)
        "open_amount": ("money", False, marked("open amount")),
    },
    "invoices": _INVOICE_FIELDS,
    "payments": {
        "payment_id": ("text", False, marked("payment id")),
        "client_id": ("text", False, marked("client id")),
        "invoice_id": ("text", False, marked("invoice id")),
        "paid_date": ("date", True, marked("paid date")),
        "amount": ("money", True, marked("amount")),
    },
    "contacts": {
        "contact_id": ("text", False, marked("contact id")),
        "client_id": ("text", False, marked("client id")),
        "invoice_id": ("text", False, marked("invoice id")),
        "contact_at": ("timestamp", True, marked("contact time")),
        "channel": ("channel", False, marked("channel")),
        "kind": ("contact_kind", True, marked("contact kind")),
        "promised_date": ("date", False, marked("promised date")),
        "promised_amount": ("money", False, marked("promised amount")),
        "note": ("text", False, marked("note")),
    },
    "clients": {
        "client_id": ("text", True, marked("client id")),
        "name": ("text", False, marked("name")),
        "kind": ("client_kind", False, marked("client kind")),
        "payment_term_days": ("int", False, marked("payment term")),
        "since": ("date", False, marked("client since")),
        "credit_limit": ("money", False, marked("credit limit")),
        **{name: ("text", False, words) for name, words in CONTACT_DETAILS.items()},
    },
}


def normal_name(name: str) -> str:
    """Return `name` lower-cased with only letters and digits (to match column names)."""
    return "".join(ch for ch in name.lower() if ch.isalnum())
