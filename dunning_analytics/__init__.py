"""dunning_analytics: debtor aging, payment behaviour and prepayment flags on a DuckDB ledger."""

from dunning_analytics.common import formatting, vocabulary
from dunning_analytics.ingest import LoadError, load, load_xaf
from dunning_analytics.ledger import LedgerError, LedgerLockedError, ledger_end_date, open_ledger
from dunning_analytics.questions.aging import aging, aging_trend, bucket_labels
from dunning_analytics.questions.law import collection_costs, statutory_interest

__all__ = [
    "LedgerError",
    "LedgerLockedError",
    "LoadError",
    "aging",
    "aging_trend",
    "bucket_labels",
    "collection_costs",
    "formatting",
    "vocabulary",
    "statutory_interest",
    "ledger_end_date",
    "load",
    "load_xaf",
    "open_ledger",
    "default_ledger_path",
]


def default_ledger_path() -> str:
    """Return the ledger notebooks use: $DUNNING_LEDGER, else data/demo.duckdb of this checkout.

    With DUNNING_PSEUDONYMISE=1, a pseudonymised copy of it (privacy.shared_ledger), so
    every notebook shows clients under aliases only.
    """
    import os
    from pathlib import Path

    env = os.environ.get("DUNNING_LEDGER")
    path = env or str(Path(__file__).resolve().parent.parent / "data" / "demo.duckdb")
    if os.environ.get("DUNNING_PSEUDONYMISE", "").lower() in ("1", "true", "yes"):
        from dunning_analytics.ledger.privacy import shared_ledger

        return str(shared_ledger(path))
    return path


# Where the modules went when the package was laid out by layer: `from dunning_analytics
# import charts` (the public API of notebooks and users' scripts) keeps working.
MOVED = {
    **dict.fromkeys(("errors", "messages", "settings_file"), "common"),
    **dict.fromkeys(("index_update", "checks", "privacy", "demo", "outputs"), "ledger"),
    **dict.fromkeys(("behaviour", "risk", "forecast", "law", "claims", "dunning"), "questions"),
    **dict.fromkeys(("charts", "exports", "review", "pdf", "pages"), "present"),
    **dict.fromkeys(
        ("conversation", "corrections", "confirmation", "letters", "pay_code", "sender"), "act"
    ),
    **dict.fromkeys(
        (
            "widgets",
            "call_panel",
            "contacts_panel",
            "forecast_panel",
            "sender_panel",
            "start_page",
            "notebook_text",
            "lab_settings",
            "ledger_view",
        ),
        "notebook",
    ),  # fmt: skip
}


def __getattr__(name: str):
    """A module by its name before the layers (dunning_analytics.charts and the like)."""
    import importlib

    if name in MOVED:
        return importlib.import_module(f"dunning_analytics.{MOVED[name]}.{name}")
    raise AttributeError(f"module 'dunning_analytics' has no attribute {name!r}")
