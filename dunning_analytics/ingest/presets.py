"""Presets: column mappings for the exports of Dutch accounting packages.

A preset is a TOML file (see dunning_analytics/ingest/preset_files/) naming, for each ledger
field, the column an export calls it, plus what the export cannot tell
(`limits`). `load_preset(name_or_path)` reads one; `preset_mapping(preset,
columns)` matches it to a file's columns, or raises LoadError naming the
columns the preset expects and those the file has.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dunning_analytics.common.messages import current_lang, marked, tr
from dunning_analytics.common.settings_file import Setting, read_checked
from dunning_analytics.ingest.errors import LoadError
from dunning_analytics.ingest.fields import FIELDS, normal_name

PRESET_DIR = Path(__file__).resolve().parent / "preset_files"


@dataclass(frozen=True)
class Preset:
    """One accounting package's export: field -> column (or the names it goes by in
    different offices, first found wins), what to export, what it lacks, and how its rows
    are laid out (`layout`: which rows are invoices, a credit column, when a paid date
    counts)."""

    key: str
    name: str
    file: str
    kind: str
    columns: dict[str, list[str]]
    optional: dict[str, list[str]]
    limits: list[str]
    date_format: str | None
    path: Path
    menu: str = ""
    layout: dict = field(default_factory=dict)
    # what was sent, as the export records it: [{kind, date, count}] -> contacts
    contacts: list[dict] = field(default_factory=list)


def available_presets() -> dict[str, Path]:
    """Return preset key (e.g. 'exact_online') -> its TOML file, for the shipped presets."""
    return {p.stem: p for p in sorted(PRESET_DIR.glob("*.toml"))}


_TEXT = Setting("text")
_COLUMN = Setting(
    "text_or_texts",
    words='a column name in double quotes (amount = "Bedrag"), or a list of the names it '
    'goes by (open_amount = ["Openstaand bedrag", "Openstaand"])',
)
# what every preset value must be (settings_file.check_settings)
PRESET_SETTINGS = {
    **dict.fromkeys(("name", "file", "file_nl", "kind", "date_format", "menu", "menu_nl"), _TEXT),
    "columns.*": _COLUMN,
    "optional.*": _COLUMN,
    "limits.text": Setting("texts"),
    "limits.text_nl": Setting("texts"),
    **dict.fromkeys(
        ("layout.keep_column", "layout.credit_column", "layout.paid_when_column"), _TEXT
    ),
    **dict.fromkeys(("layout.keep_values", "layout.paid_when_values"), Setting("texts")),
}


def _in_language(data: dict, key: str):
    """A preset's text `key` in the current language: `key_nl` in Dutch when the file has
    it, else `key`."""
    if current_lang() == "nl" and f"{key}_nl" in data:
        return data[f"{key}_nl"]
    return data.get(key)


def _names(value) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value]


def load_preset(name: str | Path) -> Preset:
    """Read a shipped preset by key (or name, any case) or a preset TOML file by path."""
    shipped = available_presets()
    key = normal_name(str(name))
    by_key = {normal_name(k): p for k, p in shipped.items()}
    path = by_key.get(key)
    if path is None:
        path = Path(name)
        if not path.is_file():
            raise LoadError(
                tr(
                    "Unknown preset {name!r}. Presets: {presets} (or the path of a "
                    "preset .toml file).",
                    name=name,
                    presets=", ".join(shipped),
                )
            )
    data = read_checked(path, marked("preset file"), PRESET_SETTINGS)
    kind = data.get("kind", "history")
    if kind not in FIELDS:
        raise LoadError(
            tr(
                "{path}: kind must be one of {kinds}, not {kind!r}",
                path=path,
                kinds=", ".join(FIELDS),
                kind=kind,
            )
        )
    columns = {str(k): _names(v) for k, v in data.get("columns", {}).items()}
    optional = {str(k): _names(v) for k, v in data.get("optional", {}).items()}
    unknown = sorted((set(columns) | set(optional)) - set(FIELDS[kind]))
    if unknown:
        raise LoadError(
            tr(
                "{path}: unknown field(s) {unknown}; fields for {kind}: {fields}",
                path=path,
                unknown=", ".join(unknown),
                kind=kind,
                fields=", ".join(FIELDS[kind]),
            )
        )
    return Preset(
        key=path.stem,
        name=str(data.get("name", path.stem)),
        file=str(_in_language(data, "file") or ""),
        kind=kind,
        columns=columns,
        optional=optional,
        limits=[str(t) for t in _in_language(data.get("limits", {}), "text") or []],
        date_format=data.get("date_format"),
        path=path,
        menu=str(_in_language(data, "menu") or ""),
        layout=dict(data.get("layout", {})),
        contacts=[dict(c) for c in data.get("contacts", [])],
    )


def preset_columns(preset: Preset) -> list[str]:
    """Every name the preset's required columns go by (to find a report's header row)."""
    return [names[0] for names in preset.columns.values()]


def preset_mapping(preset: Preset, columns: list[str]) -> dict[str, str]:
    """Return field -> the file's column for `preset`.

    Column names match ignoring case, spaces, '_' and '-'; of a column's alternative names
    the first the file has wins. Raises LoadError naming the expected, missing and found
    columns when a required column is absent (the wrong preset for this file, or a
    changed export).
    """
    by_normal = {normal_name(c): c for c in columns}

    def found(names: list[str]) -> str | None:
        return next((by_normal[normal_name(n)] for n in names if normal_name(n) in by_normal), None)

    either = tr(" or ")
    missing = [either.join(names) for names in preset.columns.values() if found(names) is None]
    if missing:
        expected = ", ".join(either.join(names) for names in preset.columns.values())
        raise LoadError(
            tr(
                "This file does not look like {name}'s {file}.\n  Columns the preset expects: "
                "{expected}\n  Missing: {missing}\n  Columns found: {columns}\nChoose another "
                "preset, or copy this one and adapt its column names ({path}).",
                name=preset.name,
                file=preset.file,
                expected=expected,
                missing=", ".join(missing),
                columns=", ".join(columns),
                path=preset.path,
            )
        )
    mapping = {f: found(names) for f, names in preset.columns.items()}
    for field_name, names in preset.optional.items():
        if found(names) is not None:
            mapping[field_name] = found(names)
    return mapping
