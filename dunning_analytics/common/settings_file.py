"""Read the user's settings files (policy, ladder, sender, mapping, preset: TOML) with
messages a person can act on instead of parser tracebacks, and check every value against
what it means (`Setting`: type and range) with the file, line and allowed range."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dunning_analytics.common.errors import LedgerError
from dunning_analytics.common.messages import tr, tr_marked


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
        raise SettingsError(tr("{path}: no such {what}", path=path, what=tr_marked(what))) from None
    except UnicodeDecodeError:
        raise SettingsError(
            tr(
                "{path}: the {what} is not UTF-8 text; save it as UTF-8",
                path=path,
                what=tr_marked(what),
            )
        ) from None
    except OSError as exc:
        raise SettingsError(
            tr(
                "{path}: the {what} cannot be read ({reason})",
                path=path,
                what=tr_marked(what),
                reason=exc.strerror,
            )
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(
            tr(
                "{path}: the {what} is not valid TOML: {reason}. Fix that line (text "
                'values in double quotes, e.g. amount = "Bedrag")',
                path=path,
                what=tr_marked(what),
                reason=exc,
            )
        ) from None


@dataclass(frozen=True)
class Setting:
    """What one settings value must be: its type (bool, int, number, text, choice, email,
    texts: a list of texts, text_or_texts: either), its range (low..high, inclusive) or
    choices, and how a person says it ("a percentage from 0 to 100")."""

    kind: str
    low: float | None = None
    high: float | None = None
    choices: tuple = ()
    words: str = ""

    def problem(self, value) -> str | None:
        """Return what is wrong with `value` in words, or None when it fits."""
        if self.kind == "bool":
            return None if isinstance(value, bool) else tr("true or false (no quotes)")
        if self.kind in ("int", "number"):
            whole = self.kind == "int"
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            if not numeric or (whole and not float(value).is_integer()) or value != value:
                return tr_marked(self.words) or (tr("a whole number") if whole else tr("a number"))
            if (self.low is not None and value < self.low) or (
                self.high is not None and value > self.high
            ):
                return tr_marked(self.words) or tr(
                    "a number from {low} to {high}", low=self.low, high=self.high
                )
            return None
        if self.kind == "choice":
            choices = ", ".join(map(str, self.choices))
            return None if value in self.choices else tr("one of {choices}", choices=choices)
        if self.kind == "text_or_texts":
            ok = isinstance(value, str) or (
                isinstance(value, list) and value and all(isinstance(v, str) for v in value)
            )
            return (
                None
                if ok
                else tr_marked(self.words) or tr('a text or a list of texts, e.g. ["a", "b"]')
            )
        if self.kind == "texts":
            ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
            return None if ok else tr_marked(self.words) or tr('a list of texts, e.g. ["a", "b"]')
        if self.kind == "email":
            from dunning_analytics.common.formatting import is_email_address

            return None if is_email_address(value) else tr("one e-mail address (name@domain.nl)")
        return (
            None
            if isinstance(value, str)
            else tr_marked(self.words) or tr('a text in double quotes ("...")')
        )


def _flatten(data: dict, prefix: str = "") -> Iterator[tuple[str, object]]:
    """Yield (dotted key, value) for every value in `data`; arrays of tables as key[i]."""
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _flatten(value, f"{name}.")
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for i, item in enumerate(value):
                yield from _flatten(item, f"{name}[{i}].")
        else:
            yield name, value


def _line_of(text: str, dotted: str) -> int | None:
    """The line of `text` (TOML) that sets the dotted key, or None."""
    table, _, key = dotted.rpartition(".")
    current, counts = "", {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = re.fullmatch(
            r"\[\[\s*([^\]]+?)\s*\]\]|\[\s*([^\]]+?)\s*\]", stripped.split("#")[0].strip()
        )
        if header:
            array, plain = header.groups()
            if array:
                counts[array] = counts.get(array, -1) + 1
                current = f"{array}[{counts[array]}]"
            else:
                current = plain
            continue
        if current == table and re.match(rf'\s*"?{re.escape(key)}"?\s*=', line):
            return number
    return None


def check_settings(data: dict, schema: dict[str, Setting], path=None, text: str = "") -> None:
    """Raise SettingsError naming the file, the line, the key, its value and what it must
    be for every value in `data` whose key matches a pattern of `schema` (dotted keys, `*`
    for any name, `[]` for any item of an array of tables) and does not fit."""
    import fnmatch

    problems = []
    for dotted, value in _flatten(data):
        generic = re.sub(r"\[\d+\]", "[]", dotted)
        for pattern, setting in schema.items():
            if fnmatch.fnmatchcase(generic, pattern.replace("[]", "[[]]")):
                problem = setting.problem(value)
                if problem:
                    line = _line_of(text, dotted) if text else None
                    where = (
                        tr("{path}, line {line}", path=path, line=line)
                        if line
                        else str(path or tr("settings"))
                    )
                    problems.append(
                        tr(
                            "{where}: {key} = {value!r} must be {problem}",
                            where=where,
                            key=dotted,
                            value=value,
                            problem=problem,
                        )
                    )
                break
    if problems:
        raise SettingsError("; ".join(problems))


def read_checked(path: str | Path, what: str, schema: dict[str, Setting]) -> dict:
    """read_toml, then check_settings against `schema` (file and line in the message)."""
    data = read_toml(path, what)
    check_settings(data, schema, path, Path(path).read_text(encoding="utf-8"))
    return data
