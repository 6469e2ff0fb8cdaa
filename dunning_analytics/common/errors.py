"""The errors the kit explains to its user: every layer raises them, so they live below all."""


class LedgerError(Exception):
    """A ledger problem explained in words a user can act on."""


class LedgerLockedError(LedgerError):
    """Another process holds the ledger file open for writing."""
