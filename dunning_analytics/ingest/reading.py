"""Read a user's file (CSV, Excel, Parquet) or a pandas DataFrame as text.

Every value arrives as a string (or None), so nothing is guessed before the
loader validates it: invoice numbers keep their leading zeros, and a bad
value can be reported exactly as it stood in the file.

`read_source(source)` returns a `RawTable`: an Arrow table of strings, the
file's line number of every row, its sha256, and rows the reader itself
could not split (wrong number of fields) as problems.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import itertools
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from tqdm.auto import tqdm

from dunning_analytics.common.messages import tr


@dataclass
class RawTable:
    """A source read as text. `lines[i]` is the file line (or sheet row) of row i."""

    name: str
    sha256: str
    table: pa.Table
    lines: np.ndarray
    delimiter: str | None = None
    problems: list[tuple[int, str | None, str | None, str]] = field(default_factory=list)
    # sources of documents (e-invoices): the kind of load they are, each row's
    # (file, line, {field: (element, line)}), and notes such as prepaid amounts
    kind: str | None = None
    origins: dict[int, tuple[str, int, dict]] | None = None
    prepaid: list = field(default_factory=list)


class SourceError(Exception):
    """The source cannot be read at all (missing file, unknown type, no header)."""


def file_sha256(path: Path) -> str:
    """Return the hex sha256 of the file's bytes."""
    return _scan(path)[0]


def _scan(path: Path) -> tuple[str, int]:
    """Return the file's hex sha256 and its number of lines (a last line without a
    break counts), in one pass over its bytes."""
    digest, count, last = hashlib.sha256(), 0, b"\n"
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
            count += block.count(b"\n")
            last = block[-1:]
    return digest.hexdigest(), count + (last != b"\n")


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (";", ",", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


HEADER_SEARCH_ROWS = 30  # report exports put title and filter rows above the header


def unique_names(names) -> list[str]:
    """Return the headings with every repeat numbered as Exact Online writes it: the second
    `Naam` becomes `Naam (2)` (a mapping or preset names it so); an empty heading is
    `column_N` (N counts from 1)."""
    out: list[str] = []
    taken: set[str] = set()
    for number, name in enumerate(names, start=1):
        base = str(name).strip() if name is not None else ""
        base = base or f"column_{number}"
        unique, repeat = base, 1
        while unique in taken:
            repeat += 1
            unique = f"{base} ({repeat})"
        taken.add(unique)
        out.append(unique)
    return out


def _check_header(path, names: list) -> None:
    """Refuse a header without names."""
    if not any(str(h).strip() for h in names if h is not None):
        raise SourceError(tr("{path}: the first line must name the columns", path=path))


def _header_index(rows: list[list], is_header) -> int:
    """The index of the header among the first rows of a file: the first row (of the first
    HEADER_SEARCH_ROWS) whose headings `is_header` accepts, else the first row."""
    if is_header is not None:
        for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
            if any(v is not None and str(v).strip() for v in row) and is_header(unique_names(row)):
                return index
    return 0


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def _read_csv(path: Path, progress: bool, is_header=None) -> RawTable:
    raw = path.read_bytes()[:65536]
    data = None  # the file's bytes when they must be converted before reading
    if raw.startswith(_UTF16_BOMS):  # Excel's "Unicode text": UTF-16 with a byte order mark
        try:
            data = path.read_bytes().decode("utf-16").encode("utf-8")
        except UnicodeDecodeError as exc:
            raise SourceError(
                tr(
                    "{path}: starts as UTF-16 text but byte {byte} is not UTF-16; "
                    "save the file as CSV UTF-8",
                    path=path,
                    byte=exc.start,
                )
            ) from None
        raw = data[:65536]
    encoding = "utf-8"
    try:
        head = raw.decode("utf-8-sig", errors="strict")
    except UnicodeDecodeError as exc:
        if exc.start < len(raw) - 4:  # not just a character cut at the buffer end
            encoding = "cp1252"
        head = raw.decode(encoding if encoding != "utf-8" else "utf-8-sig", errors="replace")
    lines = head.splitlines()
    if not lines:
        raise SourceError(tr("{path}: the file is empty", path=path))
    if len(raw) == 65536 and len(lines) == 1:
        raise SourceError(
            tr(
                "{path}: no line break in the first 64 KB: the first line must name "
                "the columns and each row must be a line of its own",
                path=path,
            )
        )
    rows = [
        next(csv.reader([line], delimiter=_sniff_delimiter(line)), [])
        for line in lines[:HEADER_SEARCH_ROWS]
    ]
    skip = _header_index(rows, is_header)  # title and filter rows above the header
    delimiter = _sniff_delimiter(lines[skip])
    header = next(csv.reader([lines[skip]], delimiter=delimiter))
    _check_header(path, header)
    header = unique_names(header)
    try:
        return _read_csv_as(path, data, encoding, delimiter, header, progress, skip)
    except pa.ArrowInvalid as exc:
        text = str(exc)
        if "invalid UTF8" in text and encoding == "utf-8" and head.isascii():
            # the first 64 KB were plain ASCII; the rest is Windows text (cp1252)
            return _read_csv_as(path, data, "cp1252", delimiter, header, progress, skip)
        if "invalid UTF8" in text:
            raise SourceError(
                tr(
                    "{path}: {where}: the file mixes UTF-8 with another encoding; "
                    "save it as CSV UTF-8",
                    path=path,
                    where=text.split(":", 1)[-1].strip(),
                )
            ) from None
        raise SourceError(
            tr("{path}: not a readable CSV file ({reason})", path=path, reason=text)
        ) from None


def _read_csv_as(path, data, encoding, delimiter, header, progress, skip=0) -> RawTable:
    """Read the CSV at `path` (or its converted bytes `data`) with the given encoding, its
    header (`header`, repeats numbered) on line `skip` + 1."""

    problems: list[tuple[int, str | None, str | None, str]] = []
    skipped_lines: list[int] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        line = row.number if row.number is not None else -1
        skipped_lines.append(line)
        if row.text.strip():
            problems.append(
                (
                    line,
                    None,
                    row.text[:200],
                    f"expected {row.expected_columns} fields separated by "
                    f"'{delimiter}', found {row.actual_columns}",
                )
            )
        return "skip"

    size = path.stat().st_size if data is None else len(data)
    with (
        open(path, "rb") if data is None else io.BytesIO(data) as fh,
        tqdm.wrapattr(
            fh,
            "read",
            total=size,
            desc=tr("reading {name}", name=path.name),
            unit="B",
            unit_scale=True,
            disable=not progress,
        ) as stream,
    ):
        # single-threaded, so that the reader knows the line of every bad row
        table = pacsv.read_csv(
            stream,
            read_options=pacsv.ReadOptions(
                encoding=encoding,
                block_size=8 << 20,
                use_threads=False,
                skip_rows=skip + 1,
                column_names=header,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, invalid_row_handler=on_invalid, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    row_lines = np.arange(table.num_rows, dtype=np.int64) + 2 + skip
    for line in sorted(x for x in skipped_lines if x > 0):
        row_lines[row_lines >= line] += 1
    sha256, line_count = _scan(path)
    if data is not None:  # converted text: count its lines, not the original bytes'
        line_count = data.count(b"\n") + (not data.endswith(b"\n"))
    if table.num_rows and row_lines[-1] < line_count:
        # a quoted value spans lines: number the rows by the line they start on
        starts = _record_start_lines(path, data, encoding, delimiter, skipped_lines, skip)
        if len(starts) == table.num_rows:
            row_lines = starts
    # blank lines are no data: drop them (the others keep their true line numbers)
    blank = None
    for column in table.columns:
        empty = pc.equal(pc.utf8_trim_whitespace(pc.fill_null(column, "")), "")
        blank = empty if blank is None else pc.and_(blank, empty)
    if blank is not None and table.num_rows:
        keep = pc.invert(blank)
        row_lines = row_lines[np.asarray(keep.to_numpy(zero_copy_only=False), dtype=bool)]
        table = table.filter(keep)
    return RawTable(
        name=str(path),
        sha256=sha256,
        table=table,
        lines=row_lines,
        delimiter=delimiter,
        problems=problems,
    )


def _record_start_lines(path, data, encoding, delimiter, skipped_lines, skip=0) -> np.ndarray:
    """Return the line each data row starts on, read with the csv module (slow; only
    when quoted values span lines), leaving out the `skip` rows above the header and the
    rows the reader skipped."""
    skipped = set(skipped_lines)
    starts = []
    with (
        open(path, "rb") if data is None else io.BytesIO(data) as binary,
        io.TextIOWrapper(binary, encoding=encoding, newline="") as text,
    ):
        reader = csv.reader(text, delimiter=delimiter)
        for _ in range(skip + 1):
            next(reader, None)
        previous_end = reader.line_num
        for _ in reader:
            start = previous_end + 1
            previous_end = reader.line_num
            if start not in skipped:
                starts.append(start)
    return np.asarray(starts, dtype=np.int64)


def _cell_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(round(value, 6))
    return str(value)


def _read_excel(path: Path, sheet: str | None, progress: bool, is_header=None) -> RawTable:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        with open(path, "rb") as fh:
            start = fh.read(4)
        hint = (
            tr("it looks like text: if it is CSV, name it .csv")
            if start and start.isascii() and not start.startswith(b"PK")
            else tr("open it in Excel and save it again as .xlsx")
        )
        raise SourceError(
            tr(
                "{path}: not a readable Excel workbook ({reason}); {hint}",
                path=path,
                reason=exc,
                hint=hint,
            )
        ) from None
    try:
        if sheet and sheet not in book.sheetnames:
            raise SourceError(
                tr(
                    "{path}: no sheet named {sheet!r}; the sheets are {sheets}",
                    path=path,
                    sheet=sheet,
                    sheets=", ".join(repr(n) for n in book.sheetnames),
                )
            )
        ws = book[sheet] if sheet else book.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        first = [list(row or ()) for _, row in zip(range(HEADER_SEARCH_ROWS), rows, strict=False)]
        if not first:
            raise SourceError(tr("{path}: the sheet {sheet!r} is empty", path=path, sheet=ws.title))
        skip = _header_index(first, is_header)  # title and filter rows above the header
        header = _merged_headings(ws, first[skip], skip + 1)
        _check_header(f"{path} (sheet {ws.title!r})", header)
        names = unique_names(header)
        columns: list[list[str | None]] = [[] for _ in names]
        lines: list[int] = []
        total = (ws.max_row or 1) - 1 - skip
        data_rows = itertools.chain(first[skip + 1 :], rows)
        for number, row in enumerate(
            tqdm(
                data_rows,
                total=total,
                desc=tr("reading {name}", name=path.name),
                disable=not progress,
            ),
            start=skip + 2,
        ):
            if row is None or all(v is None or str(v).strip() == "" for v in row):
                continue
            lines.append(number)
            for i in range(len(names)):
                columns[i].append(_cell_text(row[i]) if i < len(row) else None)
    finally:
        book.close()
    table = pa.table(
        {n: pa.array(c, type=pa.string()) for n, c in zip(names, columns, strict=True)}
    )
    return RawTable(str(path), file_sha256(path), table, np.asarray(lines, dtype=np.int64))


_MERGE_REF = re.compile(rb'<(?:\w+:)?mergeCell ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')


def _merged_headings(ws, header: list, row: int) -> list:
    """The header row's headings, a heading merged over several columns given to each of
    them (`Bedrag (Debet / Credit)` over two columns is that heading twice, the second
    numbered by unique_names). Only read when the row has an empty heading after a full
    one: the sheet's merged ranges are found in its XML."""
    from openpyxl.utils import column_index_from_string

    header = list(header)
    gaps = [i for i in range(1, len(header)) if header[i] is None and header[i - 1] is not None]
    if not gaps:
        return header
    tail = b""
    with ws._get_source() as source:  # the sheet's XML in the workbook's zip
        for block in iter(lambda: source.read(1 << 20), b""):
            chunk = tail + block
            for match in _MERGE_REF.finditer(chunk):
                first_row, last_row = int(match[2]), int(match[4])
                if first_row <= row <= last_row:
                    start = column_index_from_string(match[1].decode()) - 1
                    end = column_index_from_string(match[3].decode())
                    for i in range(start + 1, min(end, len(header))):
                        if header[i] is None:
                            header[i] = header[start]
            tail = chunk[-200:]
    return header


def _arrow_as_text(table: pa.Table) -> pa.Table:
    columns = {}
    for name, column in zip(unique_names(table.column_names), table.columns, strict=True):
        kind = column.type
        if pa.types.is_timestamp(kind):
            # a timestamp at midnight is a date; others keep their time to the second
            seconds = pc.cast(column, pa.timestamp("s", tz=kind.tz), safe=False)
            at_midnight = pc.all(pc.equal(seconds, pc.floor_temporal(seconds, unit="day"))).as_py()
            if at_midnight is not False:
                column = pc.cast(pc.cast(seconds, pa.date32()), pa.string())
            else:
                column = pc.strftime(seconds, format="%Y-%m-%d %H:%M:%S")
        elif not pa.types.is_string(kind):
            column = pc.cast(column, pa.string())
        columns[str(name)] = column
    return pa.table(columns)


def _read_parquet(path: Path) -> RawTable:
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise SourceError(
            tr("{path}: not a readable Parquet file ({reason})", path=path, reason=exc)
        ) from None
    _check_header(path, table.column_names)
    table = _arrow_as_text(table)
    lines = np.arange(table.num_rows, dtype=np.int64) + 1
    return RawTable(str(path), file_sha256(path), table, lines)


MAX_JSON_BYTES = 200 << 20  # an API export larger than this is no export of receivables
_JSON_DATE = re.compile(r"/Date\((-?\d+)([+-]\d{4})?\)/")


def _json_records(data, path) -> list:
    """The records of an API export: a list of objects, or the list inside an OData wrapper
    (`{"d": {"results": [...]}}`, `{"d": [...]}`) or inside an object's only list."""
    while isinstance(data, dict):
        if "d" in data:
            data = data["d"]
        elif "results" in data:
            data = data["results"]
        else:
            lists = [v for v in data.values() if isinstance(v, list)]
            if len(lists) != 1:
                break
            data = lists[0]
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise SourceError(
            tr("{path}: a JSON source must be a list of records (objects)", path=path)
        )
    return data


def _json_text(value) -> str | None:
    """A JSON value as text: `/Date(1780185600000)/` as its ISO date (or time), lists and
    objects left in a record as JSON text, numbers and booleans as _cell_text writes them."""
    if isinstance(value, str):
        match = _JSON_DATE.fullmatch(value.strip())
        if match:
            moment = dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=int(match[1]))
            return _cell_text(moment)
        return value
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float) and value != value:  # pandas' NaN for a missing key
        return None
    return _cell_text(value)


def _read_json(path: Path) -> RawTable:
    """Read an API export (.json): one row per record, nested objects flattened with dots
    (`contact.company_name`); each row's line is its record's number."""
    if path.stat().st_size > MAX_JSON_BYTES:
        raise SourceError(tr("{path}: larger than {mb} MB", path=path, mb=MAX_JSON_BYTES >> 20))
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise SourceError(
            tr("{path}: not readable JSON ({reason})", path=path, reason=str(exc)[:200])
        ) from None
    records = _json_records(data, path)
    frame = pd.json_normalize(records, sep=".") if records else pd.DataFrame()
    names = unique_names(frame.columns)
    _check_header(path, names)
    table = pa.table(
        {
            name: pa.array([_json_text(v) for v in frame[column]], type=pa.string())
            for name, column in zip(names, frame.columns, strict=True)
        }
    )
    lines = np.arange(table.num_rows, dtype=np.int64) + 1
    return RawTable(str(path), file_sha256(path), table, lines)


def _read_dataframe(frame: pd.DataFrame) -> RawTable:
    frame = frame.reset_index(drop=True)
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        table = pa.Table.from_pandas(frame.astype("string"), preserve_index=False)
    table = _arrow_as_text(table)
    sink = io.BytesIO()
    pq.write_table(table, sink)
    sha = hashlib.sha256(sink.getvalue()).hexdigest()
    lines = np.arange(table.num_rows, dtype=np.int64) + 1
    return RawTable("<DataFrame>", sha, table, lines)


def read_source(
    source, sheet: str | None = None, progress: bool = False, is_header=None
) -> RawTable:
    """Read `source` (a path to .csv/.txt/.xlsx/.parquet, UBL e-invoices as an .xml file,
    a folder or a .zip of them (ingest.ubl), or a DataFrame) as text.

    In: the source, an Excel sheet name (default the first), whether to show a
    progress bar, and `is_header(names) -> bool`: which row of a CSV or Excel file is
    its header (the first of the first 30 it accepts, below a report's title and filter
    rows; default the first row). Repeated headings are numbered (`Naam`, `Naam (2)`).
    Out: a RawTable. Raises SourceError when it cannot be read.
    """
    if isinstance(source, pd.DataFrame):
        return _read_dataframe(source)
    path = Path(source)
    if not path.exists():
        raise SourceError(tr("{path}: no such file", path=path))
    suffix = path.suffix.lower()
    from dunning_analytics.ingest.ubl import is_ubl_source, read_ubl

    if is_ubl_source(path):
        return read_ubl(path)
    if suffix in (".csv", ".txt", ".tsv"):
        return _read_csv(path, progress, is_header)
    if suffix in (".xlsx", ".xlsm"):
        return _read_excel(path, sheet, progress, is_header)
    if suffix in (".parquet", ".pq"):
        return _read_parquet(path)
    if suffix == ".json":
        return _read_json(path)
    if suffix == ".xaf":
        raise SourceError(
            tr(
                "{path}: an XAF auditfile holds clients, invoices and payments at "
                "once: load it with dunning_analytics.load_xaf (or "
                "`dunning-analytics load`)",
                path=path,
            )
        )
    raise SourceError(
        tr(
            "{path}: unknown file type {suffix!r}; use .csv, .xlsx, .parquet, .json, "
            "or UBL e-invoices (.xml, a folder or a .zip of them)",
            path=path,
            suffix=suffix,
        )
    )
