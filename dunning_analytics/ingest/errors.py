"""What a refused load says: every refused value (Rejection) and the error (LoadError)."""

from __future__ import annotations

from dataclasses import dataclass

from dunning_analytics.common.formatting import plain_text
from dunning_analytics.common.messages import tr
from dunning_analytics.ledger import LedgerError


@dataclass(frozen=True)
class Rejection:
    """One refused value: where it stood, what it was, and why."""

    file: str
    line: int
    column: str | None
    value: str | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        what = tr(" column {column!r}", column=self.column) if self.column else ""
        value = tr(" value {value!r}", value=self.value) if self.value is not None else ""
        # one line whatever the file held: the reason may quote the file's text
        return f"{where}:{what}{value}: {plain_text(self.reason)}"


class LoadError(LedgerError):
    """The load was refused; the ledger is unchanged. `rejections` says why, row by row."""

    def __init__(self, message: str, rejections: list[Rejection] | None = None):
        self.rejections = rejections or []
        shown = "\n".join(f"  {r}" for r in self.rejections[:50])
        more = len(self.rejections) - 50
        if more > 0:
            shown += "\n" + tr("  ... and {n} more", n=more)
        super().__init__(message + ("\n" + shown if shown else ""))
