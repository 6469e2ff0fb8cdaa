"""Write output files without ever destroying an input.

Every file the kit writes (a review, an Excel or CSV table, a calendar, a letter, a
pseudonymised copy) goes through `replacing(path, ledger=..., force=...)`:

- never the ledger itself, its ``.wal`` (DuckDB's write-ahead log), its ``.tmp`` folder or
  its pseudonym key, nor any DuckDB database or write-ahead log the kit did not write,
  whatever ``force`` says;
- never anything that is not a plain file (a folder, a device, a pipe, a link);
- an existing file only when the kit wrote it, unchanged since (its name, size and sha256
  are in the folder's ``.dunning-outputs.json``), or with ``force``;
- through a temporary file in the same folder, renamed into place once complete, so a
  failure (a full disk, a refused command, Ctrl-C) leaves the old file or nothing, never
  half a file.

`unique_path(path, ...)` gives the next free name (``aging-2026-10-31 (2).xlsx``) where the
name is taken by a file the kit may not replace: for buttons, which cannot ask.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from dunning_analytics.common.messages import marked, tr, tr_marked
from dunning_analytics.ledger import LedgerError, ledger_files

MANIFEST = ".dunning-outputs.json"
_DUCKDB_MAGIC_OFFSET = 8  # a DuckDB file holds b"DUCK" at bytes 8-11


# what each of ledger.ledger_files is, for the refusal
_LEDGER_FILE_WORDS = (
    marked("the ledger itself"),
    marked("the ledger's write-ahead log, which holds changes not yet in the ledger"),
    marked("the ledger's spill folder"),
    marked("the pseudonym key (overwriting it would make the aliases unrecoverable)"),
)


class OutputRefused(LedgerError):
    """An output path that would destroy an input or a file the kit did not write."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _manifest(folder: Path) -> dict:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _is_own(path: Path) -> bool:
    """True when the kit wrote `path` and nobody changed it since."""
    entry = _manifest(path.parent).get(path.name)
    if not isinstance(entry, dict):
        return False
    try:
        if path.stat().st_size != entry.get("size"):
            return False
        return _sha256(path) == entry.get("sha256")
    except OSError:
        return False


def _record(path: Path) -> None:
    """Note in the folder's manifest that the kit wrote `path` (as it is now)."""
    folder = path.parent
    manifest = _manifest(folder)
    manifest[path.name] = {"size": path.stat().st_size, "sha256": _sha256(path)}
    text = json.dumps(manifest, indent=1, sort_keys=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".dunning-outputs.", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, folder / MANIFEST)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _is_database(path: Path) -> bool:
    """True for a DuckDB database file or a DuckDB write-ahead log beside one."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(12)
    except OSError:
        return False
    if head[_DUCKDB_MAGIC_OFFSET:12] == b"DUCK":
        return True
    return path.suffix == ".wal" and _is_database(path.with_suffix(""))


def _inside(path: Path, protected: Path) -> bool:
    return path == protected or protected in path.parents


def check_output(path: str | Path, ledger=None, force: bool = False) -> Path:
    """Return `path` when the kit may write it; raise OutputRefused saying why not.

    In: the output path; the ledger (path, or a list of paths) whose files it must never
    be; `force` to replace an existing plain file the kit did not write.
    """
    path = Path(path)
    real = Path(os.path.realpath(path))
    ledgers = [] if ledger is None else ledger if isinstance(ledger, list | tuple) else [ledger]
    for one in ledgers:
        if not isinstance(one, str | Path):
            continue  # a connection: nothing on disk to protect by name
        for protected, what in zip(ledger_files(one), _LEDGER_FILE_WORDS, strict=True):
            if _inside(real, Path(os.path.realpath(protected))):
                raise OutputRefused(
                    tr(
                        "{path}: that is {what} ({name}); an output never "
                        "replaces the ledger, its .wal or its key. Give another "
                        "file name",
                        path=path,
                        what=tr_marked(what),
                        name=protected.name,
                    )
                )
    if path.is_symlink():
        raise OutputRefused(tr("{path}: that is a link; give the real file's path", path=path))
    if not path.exists():
        return path
    mode = path.stat().st_mode
    if not stat.S_ISREG(mode):
        what = (
            marked("a folder")
            if stat.S_ISDIR(mode)
            else marked("not a plain file (a device or pipe)")
        )
        raise OutputRefused(
            tr("{path}: that is {what}; give a file name to write", path=path, what=tr_marked(what))
        )
    if _is_own(path):
        return path
    if _is_database(path):
        raise OutputRefused(
            tr(
                "{path}: that is a DuckDB database (or its .wal) the kit did not "
                "write, perhaps a ledger; an output never replaces one. Give "
                "another file name",
                path=path,
            )
        )
    if not force:
        raise OutputRefused(
            tr(
                "{path} exists and was not written by dunning-analytics (or was "
                "changed since); it is left as it is. Give another file name, or "
                "--force to replace it",
                path=path,
            )
        )
    return path


@contextlib.contextmanager
def replacing(path: str | Path, ledger=None, force: bool = False) -> Iterator[Path]:
    """Yield a temporary path to write the output to; once the block ends without an error,
    move it onto `path` (checked by `check_output` first) and note it as the kit's own.
    On any error the temporary file is removed and `path` is as it was."""
    path = check_output(path, ledger, force)
    if not path.parent.is_dir():
        raise OutputRefused(
            tr(
                "{path}: the folder {folder} does not exist; create it first",
                path=path,
                folder=path.parent,
            )
        )
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        if not tmp_path.exists() or tmp_path.stat().st_size == 0:
            raise OutputRefused(
                tr("{path}: nothing was written (an empty file is not kept)", path=path)
            )
        with open(tmp_path, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    _record(path)


def write_bytes(path: str | Path, data: bytes, ledger=None, force: bool = False) -> Path:
    """Write `data` to `path` the safe way (`replacing`); return the path."""
    with replacing(path, ledger, force) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def unique_path(path: str | Path, ledger=None) -> Path:
    """Return `path`, or `stem (2).suffix`, `stem (3).suffix`, ... : the first name the kit
    may write without force (a free name or one of its own unchanged outputs)."""
    path = Path(path)
    for n in range(1, 1000):
        candidate = path if n == 1 else path.with_name(f"{path.stem} ({n}){path.suffix}")
        try:
            return check_output(candidate, ledger)
        except OutputRefused:
            continue
    raise OutputRefused(tr("{path}: no free file name beside it; clear the folder", path=path))
