"""Presets: column mappings for the exports of Dutch accounting packages.

A preset is a TOML file (see dunning_analytics/ingest/preset_files/) naming, for each ledger
field, the column an export calls it, plus what the export cannot tell
(`limits`). `load_preset(name_or_path)` reads one; `preset_mapping(preset,
columns)` matches it to a file's columns, or raises LoadError naming the
columns the preset expects and those the file has.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..settings_file import Setting, read_checked
from .errors import LoadError
from .fields import FIELDS, normal_name

PRESET_DIR = Path(__file__).resolve().parent / "preset_files"


@dataclass(frozen=True)
class Preset:
    """One accounting package's export: field -> column, and what it lacks."""

    key: str
    name: str
    file: str
    kind: str
    columns: dict[str, str]
    optional: dict[str, str]
    limits: list[str]
    date_format: str | None
    path: Path


def available_presets() -> dict[str, Path]:
    """Return preset key (e.g. 'exact_online') -> its TOML file, for the shipped presets."""
    return {p.stem: p for p in sorted(PRESET_DIR.glob("*.toml"))}


_TEXT = Setting("text")
# what every preset value must be (settings_file.check_settings)
PRESET_SETTINGS = {
    **dict.fromkeys(("name", "file", "kind", "date_format"), _TEXT),
    "columns.*": Setting("text", words='a column name in double quotes (amount = "Bedrag")'),
    "optional.*": Setting("text", words='a column name in double quotes (amount = "Bedrag")'),
    "limits.text": Setting("texts"),
}


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
                f"Unknown preset {name!r}. Presets: {', '.join(shipped)} "
                "(or the path of a preset .toml file)."
            )
    data = read_checked(path, "preset file", PRESET_SETTINGS)
    kind = data.get("kind", "history")
    if kind not in FIELDS:
        raise LoadError(f"{path}: kind must be one of {', '.join(FIELDS)}, not {kind!r}")
    columns = {str(k): str(v) for k, v in data.get("columns", {}).items()}
    optional = {str(k): str(v) for k, v in data.get("optional", {}).items()}
    unknown = sorted((set(columns) | set(optional)) - set(FIELDS[kind]))
    if unknown:
        raise LoadError(
            f"{path}: unknown field(s) {', '.join(unknown)}; fields for {kind}: "
            f"{', '.join(FIELDS[kind])}"
        )
    return Preset(
        key=path.stem,
        name=str(data.get("name", path.stem)),
        file=str(data.get("file", "")),
        kind=kind,
        columns=columns,
        optional=optional,
        limits=[str(t) for t in data.get("limits", {}).get("text", [])],
        date_format=data.get("date_format"),
        path=path,
    )


def preset_mapping(preset: Preset, columns: list[str]) -> dict[str, str]:
    """Return field -> the file's column for `preset`.

    Column names match ignoring case, spaces, '_' and '-'. Raises LoadError
    naming the expected, missing and found columns when a required column
    is absent (the wrong preset for this file, or a changed export).
    """
    by_normal = {normal_name(c): c for c in columns}
    missing = [col for col in preset.columns.values() if normal_name(col) not in by_normal]
    if missing:
        raise LoadError(
            f"This file does not look like {preset.name}'s {preset.file}.\n"
            f"  Columns the preset expects: {', '.join(preset.columns.values())}\n"
            f"  Missing: {', '.join(missing)}\n"
            f"  Columns found: {', '.join(columns)}\n"
            "Choose another preset, or copy this one and adapt its column names "
            f"({preset.path})."
        )
    mapping = {f: by_normal[normal_name(c)] for f, c in preset.columns.items()}
    for field, col in preset.optional.items():
        if normal_name(col) in by_normal:
            mapping[field] = by_normal[normal_name(col)]
    return mapping
