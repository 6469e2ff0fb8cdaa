"""What comes in: files a user gives the ledger, read, checked and loaded.

- `reading`: CSV, Excel, Parquet, JSON or a DataFrame as text (nothing guessed yet).
- `layout`: reports as packages write them (header below title rows, totals rows, a
  preset's row layout, `code - name` relations).
- `xaf`: the XAF 3.2 auditfile's clients, invoices and payments, loaded together.
- `fields`, `errors`: the ledger's fields per kind of file; what a refusal says.
- `presets`: column mappings for Dutch accounting packages' exports.
- `loading`: invoice histories, invoices, payments, contacts, clients into the ledger.
- `mt940`, `camt`: bank statements read exactly (balances checked), or refused.
- `bank`: statements' incoming money (and reversals) matched to invoices as payments.
"""

from dunning_analytics.ingest.errors import LoadError, Rejection
from dunning_analytics.ingest.loading import load
from dunning_analytics.ingest.xaf import load_xaf

__all__ = ["LoadError", "Rejection", "load", "load_xaf"]
