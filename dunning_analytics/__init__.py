"""dunning_analytics: debtor aging, payment behaviour and prepayment flags on a DuckDB ledger."""

from . import formatting, vocabulary
from .aging import aging, aging_trend, bucket_labels
from .ingest import LoadError, load, load_xaf
from .law import collection_costs, statutory_interest
from .ledger import LedgerError, LedgerLockedError, ledger_end_date, open_ledger

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
        from .privacy import shared_ledger

        return str(shared_ledger(path))
    return path
