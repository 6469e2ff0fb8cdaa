"""The `dunning-analytics` command: a thin layer over the package's functions.

Every sub-command takes the ledger path with --ledger and speaks the language of --lang
(else DUNNING_LANG, else English): its help, its messages and its errors. Reports look
from the ledger's last date; acting (calls, letters, the worklist) from today.
"""

from __future__ import annotations

import errno
import os
import re
import sys

from dunning_analytics.cli.parser import build_parser
from dunning_analytics.common.formatting import LANGS
from dunning_analytics.common.messages import speaking, tr
from dunning_analytics.ledger import LedgerError, damaged

__all__ = ["build_parser", "main"]


class _InertStream:
    """A text stream that drops the control characters a terminal would act on (escape
    sequences, bell, backspace, C1, bidi overrides) from everything written to it; line
    breaks and tabs stay (the values that carry them are made plain_text where printed)."""

    _CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(self._CONTROL.sub("", text))

    def __getattr__(self, name):
        return getattr(self._stream, name)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (1 with a clear message on a ledger error,
    130 after Ctrl-C). Nothing from a ledger or a file reaches the terminal as a control
    sequence (_InertStream)."""
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _InertStream(out), _InertStream(err)
    try:
        with speaking(_argv_lang(sys.argv[1:] if argv is None else argv)):
            return _run(argv)
    except ValueError as exc:  # DUNNING_LANG holds neither en nor nl
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        sys.stdout, sys.stderr = out, err


def _argv_lang(argv: list[str]) -> str | None:
    """The --lang the command line gives (before parsing: the help is in it too); None for
    none or one argparse will refuse."""
    for i, arg in enumerate(argv):
        value = arg.partition("=")[2] if arg.startswith("--lang=") else None
        if arg == "--lang" and i + 1 < len(argv):
            value = argv[i + 1]
        if value is not None:
            return value if value in LANGS else None
    return None


def _run(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print(
            tr(
                "\nStopped (Ctrl-C). A load, a bank statement or a recorded contact is one "
                "transaction: what was not finished was not written, the ledger is as it was "
                "before it. Output files are written whole or not at all."
            ),
            file=sys.stderr,
        )
        return 130
    except LedgerError as exc:
        print(tr("error: {reason}", reason=exc), file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except OSError as exc:  # a file or folder the system refused
        print(_system_refusal(exc), file=sys.stderr)
        return 1
    except Exception as exc:  # a problem without a message of its own: one line, no traceback
        damage = damaged(getattr(args, "ledger", ""), exc)
        if damage is not None:
            print(tr("error: {reason}", reason=damage), file=sys.stderr)
            return 1
        if os.environ.get("DUNNING_DEBUG"):
            raise
        print(
            tr(
                "error: an unexpected problem ({problem}); loads are all or nothing, so the "
                "ledger is as it was. Run again with DUNNING_DEBUG=1 to see where, and "
                "report it",
                problem=f"{type(exc).__name__}: {exc}",
            ),
            file=sys.stderr,
        )
        return 2


def _system_refusal(exc: OSError) -> str:
    """What a file or folder the system refused says: where, why, and that nothing was lost."""
    where = f"{exc.filename}: " if exc.filename else ""
    if exc.errno == errno.ENOSPC:
        return tr(
            "error: {where}the disk is full; nothing half-written was left and the "
            "ledger is as it was: free some space and run it again",
            where=where,
        )
    return tr(
        "error: {where}{reason}; nothing half-written was left and the ledger is as it was",
        where=where,
        reason=exc.strerror or exc,
    )
