"""Read the user's settings files (policy, ladder, mapping, preset: TOML) with
messages a person can act on instead of parser tracebacks."""

from __future__ import annotations

import tomllib
from pathlib import Path

from .ledger import LedgerError


class SettingsError(LedgerError, ValueError):
    """A settings file is missing, unreadable or says something the kit cannot use."""


def read_toml(path: str | Path, what: str) -> dict:
    """Return the TOML file at `path` as a dict.

    In: the path and what the file is for a person ("policy", "mapping file").
    Raises SettingsError naming the file, the line and column, and what to do.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SettingsError(f"{path}: no such {what}") from None
    except UnicodeDecodeError:
        raise SettingsError(f"{path}: the {what} is not UTF-8 text; save it as UTF-8") from None
    except OSError as exc:
        raise SettingsError(f"{path}: the {what} cannot be read ({exc.strerror})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(
            f"{path}: the {what} is not valid TOML: {exc}. Fix that line (text values in "
            'double quotes, e.g. amount = "Bedrag")'
        ) from None
