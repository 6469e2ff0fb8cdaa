"""Load a user's invoice history (or invoices, payments, contacts, clients) into the ledger.

`load(ledger, source, kind=..., mapping=..., date_format=..., skip_bad_rows=...)`
reads the source as text (reading.py), maps its columns to the ledger's
fields, parses and validates every value in DuckDB, and writes the good rows
in one transaction. By default a load is all or nothing: any bad row raises
LoadError listing every refused row with file, line, column, value and
reason, and the ledger stays as it was. With skip_bad_rows the good rows are
loaded and every refused row is kept in `rejected_rows`.

A simple invoice history (one row per invoice with a paid date and
optionally a paid amount) becomes invoices plus one payment per paid invoice
(payment_id 'paid:' + invoice_id). Loading the same file again changes
nothing; a newer export of the same invoices updates them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb

from dunning_analytics.common.formatting import MAX_AMOUNT, format_eur
from dunning_analytics.common.messages import (
    current_lang,
    marked,
    sql_quoted,
    sql_text,
    tr,
    tr_marked,
)
from dunning_analytics.common.settings_file import Setting, read_checked
from dunning_analytics.ingest.errors import LoadError, Rejection
from dunning_analytics.ingest.fields import (
    CHANNELS,
    CONTACT_DETAILS,
    CONTACT_KINDS,
    DEFAULT_TERM_DAYS,
    EARLIEST_YEAR,
    EMAIL_PATTERN,
    FIELDS,
    FUTURE_MARGIN_DAYS,
    KINDS,
    LATE_YEARS,
    MAX_TERM_DAYS,
    normal_name,
)
from dunning_analytics.ingest.layout import (
    apply_layout,
    drop_footer_rows,
    header_test,
    sent_contacts,
    split_relations,
)
from dunning_analytics.ingest.presets import Preset, load_preset, preset_mapping
from dunning_analytics.ingest.reading import RawTable, SourceError, read_source
from dunning_analytics.ledger import connected, refresh_index, transaction

DEFAULT_DATE_FORMATS = ["%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d"]
_TIME_SUFFIXES = [" %H:%M:%S", " %H:%M", "T%H:%M:%S"]
# a date written as an API's timestamp (2026-08-01T00:00:00, ...Z, with milliseconds)
_ISO_SUFFIXES = ["T%H:%M:%S", "T%H:%M:%S.%f", "T%H:%M:%SZ", "T%H:%M:%S.%fZ"]

_BOOL_TRUE = ("yes", "true", "ja", "j", "y", "1", "waar")
_BOOL_FALSE = ("no", "false", "nee", "n", "0", "onwaar")
_CLIENT_KIND_WORDS = {
    "business": "business",
    "zakelijk": "business",
    "b2b": "business",
    "company": "business",
    "bedrijf": "business",
    "consumer": "consumer",
    "particulier": "consumer",
    "b2c": "consumer",
    "private": "consumer",
}


@dataclass
class LoadResult:
    """What a load did. `rejections` lists every refused value."""

    file_name: str
    sha256: str
    kind: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_updated: int = 0
    rows_unchanged: int = 0
    rows_rejected: int = 0
    load_id: int | None = None
    already_loaded: bool = False
    due_dates_derived: dict[str, int] = field(default_factory=dict)
    rejections: list[Rejection] = field(default_factory=list)
    preset: str | None = None
    left_out_paid: int = 0  # fully paid on a date the file does not give
    paid_on_export_date: int = 0  # partly paid: the paid part dated the export date
    export_date: dt.date | None = None
    limits: list[str] = field(default_factory=list)  # what this file cannot tell
    due_dates_rederived: int = 0  # derived due dates that followed a changed term
    paid_before_invoice: int = 0  # payments of this load dated before their invoice
    overpaid: int = 0  # invoices this load touched that are paid more than their amount
    prepaid: list = field(default_factory=list)  # e-invoices: (invoice, amount paid before)
    kept_newer: int = 0  # invoices the ledger records as paid more than this (older) file
    accept_older: bool = False  # ... and they took this file's word
    far_dates: list = field(default_factory=list)  # far dates loaded as asked (Rejection)
    withdrawn_skipped: int = 0  # contacts taken back earlier, not loaded again
    skipped_rows: list = field(default_factory=list)  # totals and footer rows (Rejection)
    contacts_loaded: int = 0  # reminders and aanmaningen the export records (presets)

    def summary(self) -> str:
        """One paragraph for a person, in the current language: the counts, and what was
        derived, kept or left out."""
        if self.already_loaded:
            return tr("{file} was already loaded (load {load_id}, same sha256); nothing changed.",
                      file=self.file_name, load_id=self.load_id)  # fmt: skip
        text = tr(
            "{file}: {read} rows read, {loaded} loaded, {updated} updated, {unchanged} "
            "unchanged, {rejected} rejected.",
            file=self.file_name, read=self.rows_read, loaded=self.rows_loaded,
            updated=self.rows_updated, unchanged=self.rows_unchanged,
            rejected=self.rows_rejected,
        )  # fmt: skip
        text += "".join(" " + part for part in self._notes() if part)
        if self.limits:
            source = tr("this {preset} export", preset=self.preset) if self.preset else tr(
                "this file")  # fmt: skip
            text += "\n" + tr("What {source} cannot tell:", source=source) + "\n"
            text += "\n".join(f"  - {t}" for t in self.limits)
        return text

    # Longer than a screen on purpose: one sentence per case, in the order the summary
    # shows them, so the summary reads top to bottom here as it does on the screen.
    def _notes(self) -> list[str]:
        """The summary's sentences after the counts (empty where nothing is to be said)."""
        more = "; ..."
        skipped = "; ".join(
            tr("line {line}: {reason}", line=r.line, reason=r.reason) for r in self.skipped_rows[:5]
        ) + (more if len(self.skipped_rows) > 5 else "")
        far = "; ".join(str(r) for r in self.far_dates[:5]) + (
            more if len(self.far_dates) > 5 else "")  # fmt: skip
        derived = ", ".join(
            tr("{n} from the client's payment term", n=n) if k == "client_term"
            else tr("{n} with the {days}-day default term", n=n, days=DEFAULT_TERM_DAYS)
            for k, n in self.due_dates_derived.items() if n
        )  # fmt: skip
        prepaid = sum((amount for _, amount in self.prepaid), Decimal("0"))
        kept = self.kept_newer and not self.accept_older
        return [
            self.contacts_loaded
            and tr(
                "Reminders and aanmaningen recorded in the export: {n} loaded as contacts (the "
                "ladder goes on from them).",
                n=self.contacts_loaded,
            ),
            self.skipped_rows
            and tr(
                "Rows skipped, not loaded: {n} ({rows}).", n=len(self.skipped_rows), rows=skipped
            ),
            derived and tr("Due dates derived (missing in the file): {parts}.", parts=derived),
            self.left_out_paid
            and tr(
                "{n} invoices paid in full on a date the file does not give were left out.",
                n=self.left_out_paid,
            ),
            self.paid_on_export_date
            and tr(
                "{n} partly paid invoices: the paid part is recorded as paid on the export "
                "date {date} (the file has no date).",
                n=self.paid_on_export_date,
                date=self.export_date and f"{self.export_date:%d-%m-%Y}",
            ),
            self.due_dates_rederived
            and tr(
                "Due dates recomputed from a changed payment term: {n}.", n=self.due_dates_rederived
            ),
            self.paid_before_invoice
            and tr(
                "Payments dated before their invoice: {n} (each counts from the invoice date: "
                "settled on it, 0 days to pay).",
                n=self.paid_before_invoice,
            ),
            self.overpaid
            and tr(
                "Invoices paid more than their amount: {n} (each is settled; the excess is the "
                "client's credit, applied to the oldest due invoice first, the rest shown as "
                "unapplied credit).",
                n=self.overpaid,
            ),
            self.prepaid
            and tr(
                "Prepaid amounts stated on {n} e-invoices ({total} in all) are not owed: each "
                "invoice's amount is its payable amount, what was left to pay.",
                n=len(self.prepaid),
                total=format_eur(prepaid, current_lang()),
            ),
            kept
            and tr(
                "{n} invoices are recorded in the ledger as paid more than this file says (it "
                "looks older than what was loaded before): their recorded payments were kept. "
                "Load with --accept-older to take this file's word.",
                n=self.kept_newer,
            ),
            self.kept_newer
            and self.accept_older
            and tr(
                "{n} recorded payments were replaced by this file's, which shows less paid "
                "(--accept-older).",
                n=self.kept_newer,
            ),
            self.withdrawn_skipped
            and tr(
                "{n} contacts were withdrawn earlier and are not loaded again (they are in "
                "withdrawn_contacts).",
                n=self.withdrawn_skipped,
            ),
            self.far_dates
            and tr(
                "Loaded with --allow-far-dates: {n} dates far outside the ledger's range "
                "({dates}).",
                n=len(self.far_dates),
                dates=far,
            ),
        ]


# --------------------------------------------------------------------------- mapping


_COLUMN_NAME = 'a column name in double quotes (amount = "Bedrag")'


def read_mapping_file(path: str | Path) -> dict[str, str]:
    """Read a mapping file: TOML with `field = "SourceColumn"` lines (optionally under [map])."""
    data = read_checked(path, marked("mapping file"), {"*": Setting("text", words=_COLUMN_NAME)})
    data = data.get("map", data)
    return {str(k): str(v) for k, v in data.items()}


def resolve_mapping(
    kind: str, columns: list[str], mapping: dict[str, str] | None
) -> dict[str, str]:
    """Return field -> source column for this kind.

    Explicit `mapping` entries win; other fields match a column with the same
    name (ignoring case, spaces, '_' and '-'). Raises LoadError naming the
    expected and found columns when a mapped column is absent or a required
    field has no column.
    """
    fields = FIELDS[kind]
    mapping = dict(mapping or {})
    unknown = sorted(set(mapping) - set(fields))
    if unknown:
        raise LoadError(tr("Unknown field(s) in the mapping: {unknown}. Fields for {kind}: "
                           "{fields}.", unknown=", ".join(unknown), kind=kind,
                           fields=", ".join(fields)))  # fmt: skip
    missing_columns = sorted(src for src in mapping.values() if src not in columns)
    if missing_columns:
        raise LoadError(tr("The mapping names column(s) not in the file: {missing}. Columns "
                           "found: {columns}.", missing=", ".join(missing_columns),
                           columns=", ".join(columns)))  # fmt: skip
    by_normal = {normal_name(c): c for c in columns}
    used = set(mapping.values())
    for name in fields:
        if name not in mapping and normal_name(name) in by_normal:
            column = by_normal[normal_name(name)]
            if f"{column} (2)" in columns:  # a heading twice: which one is meant?
                raise LoadError(
                    tr(
                        "The column name {column!r} appears twice; say which one holds the {what}: "
                        "--map {name}='{column}' (the first) or --map {name}='{column} (2)' (the "
                        "second).",
                        column=column,
                        what=tr_marked(fields[name][2]),
                        name=name,
                    )
                )
            if column not in used:
                mapping[name] = column
                used.add(column)
    required = [f for f, (_, req, _) in fields.items() if req and f not in mapping]
    if (
        kind in ("payments", "contacts")
        and "client_id" not in mapping
        and "invoice_id" not in mapping
    ):
        required.append("client_id or invoice_id")
    if required:
        raise LoadError(
            tr(
                "No column for required field(s) {required} ({kind}). Columns found: "
                "{columns}. Map them with --map field=Column.",
                required=", ".join(required),
                kind=kind,
                columns=", ".join(columns),
            )
        )
    return mapping


# --------------------------------------------------------------------------- parsing


_PARSE_MACROS = r"""
CREATE OR REPLACE TEMP MACRO da_money(s, dec) AS (
    WITH cleaned AS (
        SELECT regexp_replace(upper(s), '(€|EUR|\s)', '', 'g') AS c
    ), signed AS (
        SELECT CASE
            WHEN c LIKE '(%)' THEN '-' || c[2:-2]
            WHEN c LIKE '%-' AND c NOT LIKE '-%' THEN '-' || c[1:-2]
            ELSE c END AS c
        FROM cleaned
    )
    SELECT CASE
        WHEN regexp_full_match(c, '[+-]?\d{1,3}[.,]\d{3}') THEN NULL  -- 1.500: ambiguous
        WHEN dec = ',' AND regexp_full_match(c, '[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d{1,2}0*)?')
            THEN TRY_CAST(replace(replace(c, '.', ''), ',', '.') AS DECIMAL(18, 2))
        WHEN dec = '.' AND regexp_full_match(c, '[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2}0*)?')
            THEN TRY_CAST(replace(c, ',', '') AS DECIMAL(18, 2))
        END
    FROM signed
);
-- why an amount da_money refuses is refused, when it is for a reason of its own
CREATE OR REPLACE TEMP MACRO da_money_problem(s) AS (
    WITH cleaned AS (
        SELECT regexp_replace(upper(s), '(€|EUR|\s|\(|\)|-$)', '', 'g') AS c
    ), parts AS (
        SELECT
            c,
            length(c) - length(replace(replace(c, '.', ''), ',', '')) AS separators,
            regexp_extract(c, '[.,](\d+)$', 1) AS decimals
        FROM cleaned
    )
    SELECT CASE
        WHEN regexp_full_match(c, '[+-]?\d{1,3}[.,]\d{3}')
            THEN {ambiguous}
        WHEN separators = 1 AND regexp_full_match(c, '[+-]?\d*[.,]\d+')
             AND length(rtrim(decimals, '0')) > 2
            THEN {decimals}
        WHEN length(regexp_replace(regexp_replace(c, '[.,]\d{1,2}$', ''), '[^0-9]', '', 'g'))
             > 16
            THEN {too_large}
    END
    FROM parts
);
CREATE OR REPLACE TEMP MACRO da_date(s, formats) AS (
    CASE WHEN year(try_strptime(s, formats)) BETWEEN 1900 AND 2199
         THEN try_strptime(s, formats)::DATE END
);
CREATE OR REPLACE TEMP MACRO da_timestamp(s, formats) AS (
    CASE WHEN year(try_strptime(s, formats)) BETWEEN 1900 AND 2199
         THEN try_strptime(s, formats) END
);
"""


_DATE_TOKENS = (
    ("yyyy", "%Y"),
    ("jjjj", "%Y"),
    ("yy", "%y"),
    ("jj", "%y"),
    ("mm", "%m"),
    ("dd", "%d"),
)


# the strptime codes a date format may use (DuckDB's strptime reads them all)
_DATE_CODES = set("dmYybBHMSfpIjaAzZe%")


def _check_date_format(date_format: str | None) -> None:
    """Refuse a date format without strptime codes ('dd-mm-yyyy') or with a code that is no
    date code ('%Q'), saying how to write it."""
    if not date_format:
        return
    unknown = [c for c in re.findall(r"%-?(.?)", date_format) if c not in _DATE_CODES]
    if unknown:
        raise LoadError(
            tr(
                "--date-format {format!r}: %{code} is no date code; use %d day, %m "
                "month, %Y four-digit year, %y two-digit year, %b month name (e.g. "
                "%d-%m-%Y)",
                format=date_format,
                code=unknown[0],
            )
        )
    if "%" in date_format:
        return
    hint = date_format
    for token, code in _DATE_TOKENS:
        hint = re.sub(token, code, hint, flags=re.IGNORECASE)
    raise LoadError(
        tr(
            "--date-format {format!r} has no strptime codes; write {hint!r} (%d day, "
            "%m month, %Y four-digit year)",
            format=date_format,
            hint=hint,
        )
    )


def _date_formats(date_format: str | None) -> tuple[list[str], list[str]]:
    """Return the date formats and the timestamp formats to try, in order."""
    base = [date_format, "%Y-%m-%d"] if date_format else list(DEFAULT_DATE_FORMATS)
    timestamps = [f + s for f in base for s in _TIME_SUFFIXES] + base
    dates = base + [f + s for f in base for s in _TIME_SUFFIXES[:1]]
    dates += ["%Y-%m-%d" + s for s in _ISO_SUFFIXES]
    return dates, timestamps


def _parse_expr(kind: str, raw: str) -> str:
    """SQL turning the trimmed text column `raw` into a value of `kind` (NULL when invalid)."""
    if kind == "text":
        return raw
    if kind == "date":
        return f"da_date({raw}, $date_formats)"
    if kind == "timestamp":
        return f"da_timestamp({raw}, $timestamp_formats)"
    if kind == "money":
        return f"da_money({raw}, $decimal)"
    if kind == "int":
        return f"TRY_CAST({raw} AS INTEGER)"
    if kind == "bool":
        return (
            f"CASE WHEN lower({raw}) IN {_BOOL_TRUE} THEN true "
            f"WHEN lower({raw}) IN {_BOOL_FALSE} THEN false END"
        )
    if kind == "client_kind":
        cases = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in _CLIENT_KIND_WORDS.items())
        return f"CASE lower({raw}) {cases} END"
    if kind == "channel":
        return f"CASE WHEN lower({raw}) IN {CHANNELS} THEN lower({raw}) END"
    if kind == "contact_kind":
        return f"CASE WHEN lower({raw}) IN {CONTACT_KINDS} THEN lower({raw}) END"
    raise ValueError(kind)


def _invalid_reason(kind: str, date_format: str | None, decimal: str) -> str:
    if kind in ("date", "timestamp"):
        if date_format:
            return tr("not a date in the format {format} (or yyyy-mm-dd)", format=date_format)
        return tr("not a date (expected dd-mm-yyyy or yyyy-mm-dd; give --date-format for others)")
    if kind == "money":
        example = "1.234,56" if decimal == "," else "1,234.56"
        return tr(
            "not an amount in euros and cents (this file writes amounts like {example})",
            example=example,
        )
    if kind == "int":
        return tr("not a whole number")
    if kind == "bool":
        return tr("not yes/no, true/false or ja/nee")
    if kind == "client_kind":
        return tr("client kind must be business or consumer (zakelijk/particulier)")
    if kind == "channel":
        return tr("channel must be one of {kinds}", kinds=", ".join(CHANNELS))
    if kind == "contact_kind":
        return tr("contact kind must be one of {kinds}", kinds=", ".join(CONTACT_KINDS))
    return tr("invalid value")


def _detect_decimal(con: duckdb.DuckDBPyConnection, money_fields: list[str], default: str) -> str:
    """Return ',' or '.': the decimal separator the file's amounts use."""
    if not money_fields:
        return default
    values = " UNION ALL ".join(f'SELECT "{f}" AS v FROM da_raw' for f in money_fields)
    comma, dot = con.execute(
        f"""
        SELECT
            count(*) FILTER (WHERE regexp_matches(v, ',\\d{{1,2}}\\s*$')),
            count(*) FILTER (WHERE regexp_matches(v, '\\.\\d{{1,2}}\\s*$'))
        FROM ({values})
        """
    ).fetchall()[0]
    if comma > dot:
        return ","
    if dot > comma:
        return "."
    return default


# --------------------------------------------------------------------------- the load


def _stage(
    con: duckdb.DuckDBPyConnection,
    raw: RawTable,
    kind: str,
    mapping: dict[str, str],
    date_format: str | None,
    decimal: str | None,
) -> str:
    """Create temp table da_staged (parsed fields + `<field>__raw` text).

    Returns the decimal separator the amounts were read with.
    """
    import pyarrow as pa

    fields = FIELDS[kind]
    columns = {"_line": pa.array(raw.lines)}
    for name in fields:
        if name in mapping:
            columns[name] = raw.table.column(mapping[name])
        else:
            columns[name] = pa.nulls(raw.table.num_rows, type=pa.string())
    raw.table = raw.table.schema.empty_table()
    _copy_into_duckdb(con, columns, "da_raw")
    con.execute(_parse_macros())

    money = [f for f, (t, _, _) in fields.items() if t == "money" and f in mapping]
    default_decimal = "," if raw.delimiter == ";" else "."
    decimal = decimal or _detect_decimal(con, money, default_decimal)
    date_formats, timestamp_formats = _date_formats(date_format)
    params = {
        "date_formats": date_formats,
        "timestamp_formats": timestamp_formats,
        "decimal": decimal,
    }
    selects = ["_line"]
    for name, (ftype, _, _) in fields.items():
        text = f"nullif(trim(\"{name}\"), '')"
        selects.append(f'{text} AS "{name}__raw"')
        selects.append(f'{_parse_expr(ftype, text)} AS "{name}"')
    used = {k: v for k, v in params.items() if any(f"${k}" in s for s in selects)}
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE da_staged AS SELECT {', '.join(selects)} FROM da_raw",
        used,
    )
    con.execute("DROP TABLE da_raw")
    return decimal


# rows per step when the file's text moves from Arrow into DuckDB
COPY_ROWS = 500_000


def _copy_into_duckdb(con: duckdb.DuckDBPyConnection, columns: dict, name: str) -> None:
    """Move `columns` (name -> Arrow column; emptied here, the caller holding no other
    reference) into the temp table `name` a few hundred thousand rows at a time, letting go
    of each part's Arrow memory once it is in DuckDB: the file's text is not held twice
    (10 million rows: about a gigabyte each)."""
    import pyarrow as pa

    table = pa.table(columns)
    columns.clear()
    batches = table.to_batches(max_chunksize=COPY_ROWS)
    schema = table.schema
    del table
    batches.reverse()  # popped from the end: the file's order
    con.register("da_raw_arrow", schema.empty_table())
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM da_raw_arrow")
    con.unregister("da_raw_arrow")
    while batches:
        part, rows = [], 0
        while batches and rows < COPY_ROWS:
            part.append(batches.pop())
            rows += part[-1].num_rows
        con.register("da_raw_arrow", pa.Table.from_batches(part, schema))
        con.execute(f"INSERT INTO {name} SELECT * FROM da_raw_arrow")
        con.unregister("da_raw_arrow")
        del part
        pa.default_memory_pool().release_unused()


def _parse_macros() -> str:
    """The parsing macros, their refusals in the current language."""
    reasons = {
        "{ambiguous}": sql_text("ambiguous: one separator followed by three digits may be a "
                                "thousands separator or decimals; write the amount with cents "
                                "(e.g. 1500.00 or 1.50)"),
        "{decimals}": sql_text("more than two decimals: amounts are euros and cents, nothing "
                               "is rounded"),
        "{too_large}": sql_text("too large: at most 16 digits before the decimals"),
    }  # fmt: skip
    text = _PARSE_MACROS
    for place, reason in reasons.items():
        text = text.replace(place, reason)
    return text


def _far_dates(today: dt.date | None, margin_days: int, allowed: bool) -> dict:
    """The far-date settings of one load: the last date a file may hold (`today` plus the
    margin), the margin, and whether far dates are loaded (with a warning) or refused."""
    if not isinstance(margin_days, int) or margin_days < 0:
        raise LoadError(
            f"the future margin must be a whole number of days >= 0, not {margin_days!r}"
        )
    today = today or dt.date.today()
    latest = today + dt.timedelta(days=margin_days)
    return {"latest": latest, "margin": margin_days, "allowed": allowed}


def _far_date_checks(kind: str) -> list[str]:
    """Checks (line, field, value, reason) for dates far outside any ledger's range: before
    EARLIEST_YEAR, more than the margin after the day of the load ($latest), a payment or
    promise more than LATE_YEARS after its invoice or contact."""
    checks = []
    for name, (ftype, _, words) in FIELDS[kind].items():
        if ftype not in ("date", "timestamp"):
            continue
        day = {"date": f"strftime(\"{name}\", '%d-%m-%Y')"}
        early = sql_text(
            "{what} {date} is before {year}: a typing error? (load it anyway with "
            "--allow-far-dates)",
            sql=day,
            what=tr_marked(words),
            year=EARLIEST_YEAR,
        )
        late = sql_text("{what} {date} is more than {days} days after today: a typing error? "
                        "(load it anyway with --allow-far-dates)", sql={**day, "days": "$margin"},
                        what=tr_marked(words))  # fmt: skip
        checks.append(
            f'SELECT _line, \'{name}\', "{name}__raw", CASE WHEN "{name}" < DATE '
            f"'{EARLIEST_YEAR}-01-01' THEN {early} ELSE {late} END FROM da_staged "
            f'WHERE "{name}" < DATE \'{EARLIEST_YEAR}-01-01\' OR "{name}"::DATE > $latest'
        )
    late = f"INTERVAL {LATE_YEARS} YEAR"
    pairs = {
        "history": [("paid_date", "s.invoice_date", "da_staged AS s", marked("its invoice date"))],
        "payments": [
            (
                "paid_date",
                "i.invoice_date",
                "da_staged AS s JOIN invoices AS i USING (invoice_id)",
                marked("the date of its invoice"),
            )  # fmt: skip
        ],
        "contacts": [
            ("promised_date", "s.contact_at::DATE", "da_staged AS s", marked("the contact on"))
        ],
    }
    for name, start, source, words in pairs.get(kind, []):
        reason = sql_text("more than {years} years after {what} {date}: a typing error? (load "
                          "it anyway with --allow-far-dates)", sql={"date": f"strftime({start}, "
                          "'%d-%m-%Y')"}, years=LATE_YEARS, what=tr_marked(words))  # fmt: skip
        checks.append(
            f"SELECT _line, '{name}', s.\"{name}__raw\", {reason} FROM {source} "
            f'WHERE s."{name}" > {start} + {late}'
        )
    return checks


def _invoice_checks(fields) -> list[str]:
    """Checks (line, field, value, reason) of invoice rows: due before invoice date, an
    invoice id twice with different contents, credit notes that name no known invoice or
    take an invoice's number."""
    day = "strftime({}, '%d-%m-%Y')".format
    early = sql_text(
        "due date {due} is before invoice date {invoiced}",
        sql={"due": day("due_date"), "invoiced": day("invoice_date")},
    )
    twice = sql_text(
        "invoice id {id} appears {n} times in this file with different contents (lines {lines})",
        sql={"id": "s.invoice_id", "n": "d.n", "lines": "d.lines"},
    )
    unknown = sql_text("credit note for unknown invoice {id}", sql={"id": "credits_invoice_id"})
    taken = sql_text(
        "invoice {id} is in the ledger as an invoice of {amount}; a credit note "
        "needs a number of its own",
        sql={"id": "s.invoice_id", "amount": "e.amount"},
    )
    return [
        f"SELECT _line, 'due_date', due_date__raw, {early} FROM da_staged "
        "WHERE due_date < invoice_date",
        # the same invoice id twice with different contents: refuse every such row (the
        # contents compared only for ids that occur more than once: a light count first)
        f"""
        SELECT s._line, 'invoice_id', s.invoice_id, {twice}
        FROM da_staged AS s
        JOIN (
            SELECT invoice_id, count(*) AS n, string_agg(_line::VARCHAR, ', ' ORDER BY _line)
                AS lines
            FROM da_staged
            SEMI JOIN (
                SELECT invoice_id FROM da_staged
                WHERE invoice_id IS NOT NULL
                GROUP BY invoice_id
                HAVING count(*) > 1
            ) USING (invoice_id)
            GROUP BY invoice_id
            HAVING count(DISTINCT row({", ".join(fields)})) > 1
        ) AS d USING (invoice_id)
        """,
        # a credit note must name an invoice that exists (in the file or the ledger)
        f"""
        SELECT _line, 'credits_invoice_id', credits_invoice_id, {unknown}
        FROM da_staged AS s
        WHERE credits_invoice_id IS NOT NULL
          AND credits_invoice_id NOT IN (
              SELECT invoice_id FROM da_staged WHERE invoice_id IS NOT NULL
          )
          AND credits_invoice_id NOT IN (SELECT invoice_id FROM invoices)
        """,
        # an invoice in the ledger is never replaced by a credit note of the same number
        f"""
        SELECT s._line, 'invoice_id', s.invoice_id, {taken}
        FROM da_staged AS s JOIN invoices AS e USING (invoice_id)
        WHERE s.amount < 0 AND e.amount > 0
        """,
    ]


def _history_checks(export_date: dt.date | None) -> list[str]:
    """Checks of invoice history rows: a paid amount without paid date, an open amount that
    does not fit the invoice, (with an export date) an invoice dated after the export."""
    no_date = sql_text("paid amount given but no paid date")
    misfit = sql_text("open amount {open} does not fit the invoice amount {amount} (it must lie "
                      "between 0 and the amount)", sql={"open": "open_amount__raw",
                                                         "amount": "amount__raw"})  # fmt: skip
    checks = [
        f"SELECT _line, 'paid_amount', paid_amount__raw, {no_date} "
        "FROM da_staged WHERE paid_amount__raw IS NOT NULL AND paid_date__raw IS NULL",
        f"SELECT _line, 'open_amount', open_amount__raw, {misfit} FROM da_staged "
        "WHERE abs(open_amount) > abs(amount) OR sign(open_amount) * sign(amount) < 0",
    ]
    if export_date is not None:
        after = sql_text(
            "invoice date is after the export date {date}",
            sql={"date": "strftime($export_date::DATE, '%d-%m-%Y')"},
        )
        checks.append(
            f"SELECT _line, 'invoice_date', invoice_date__raw, {after} FROM da_staged "
            f"WHERE {_PARTLY_PAID} AND invoice_date > $export_date::DATE"
        )
    return checks


def _link_checks() -> list[str]:
    """Checks of payment and contact rows: the invoice and client they name exist and agree."""
    unknown_invoice = sql_text("unknown invoice {id}", sql={"id": "s.invoice_id"})
    other_client = sql_text("invoice {id} belongs to client {owner}, not to {client}",
                            sql={"id": "s.invoice_id", "owner": "i.client_id",
                                 "client": "s.client_id"})  # fmt: skip
    no_client = sql_text("missing client id (and no invoice id to find it by)")
    unknown_client = sql_text("unknown client {id}", sql={"id": "s.client_id"})
    return [
        f"""
        SELECT _line, 'invoice_id', s.invoice_id, {unknown_invoice}
        FROM da_staged AS s
        WHERE s.invoice_id IS NOT NULL
          AND s.invoice_id NOT IN (SELECT invoice_id FROM invoices)
        """,
        f"""
        SELECT _line, 'client_id', s.client_id, {other_client}
        FROM da_staged AS s JOIN invoices AS i USING (invoice_id)
        WHERE s.client_id IS NOT NULL AND s.client_id <> i.client_id
        """,
        f"""
        SELECT _line, 'client_id', NULL, {no_client}
        FROM da_staged WHERE client_id__raw IS NULL AND invoice_id__raw IS NULL
        """,
        f"""
        SELECT _line, 'client_id', s.client_id, {unknown_client}
        FROM da_staged AS s
        WHERE s.client_id IS NOT NULL AND s.client_id NOT IN (SELECT client_id FROM clients)
        """,
    ]


def _collect_errors(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    mapping: dict[str, str],
    reasons: dict[str, str],
    export_date: dt.date | None = None,
    far_dates: dict | None = None,
) -> None:
    """Fill temp table da_errors(line, field, value, reason) with every refused value.

    `far_dates` holds `latest` (the last date a file may hold) and `margin` (days after
    today), and `allowed`: then dates far outside the range go to da_far_dates (loaded,
    and the load says so) instead of da_errors.
    """
    fields = FIELDS[kind]
    far_dates = far_dates or _far_dates(None, FUTURE_MARGIN_DAYS, False)
    far = _far_date_checks(kind)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE da_far_dates AS SELECT * FROM ("
        + " UNION ALL ".join(far)
        + ") AS e(line, field, value, reason)",
        {"latest": far_dates["latest"], "margin": far_dates["margin"]},
    )
    checks = [] if far_dates["allowed"] else ["SELECT * FROM da_far_dates"]
    checks += _field_checks(fields, reasons)
    if kind in ("history", "invoices"):
        checks += _invoice_checks(fields)
    if kind == "history":
        checks += _history_checks(export_date)
    if kind in ("payments", "contacts"):
        checks += _link_checks()
    checks += _email_checks(kind, mapping)
    if kind == "payments" and "payment_id" in mapping:
        checks.append(_payment_twice_check())
    sql = " UNION ALL ".join(checks)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE da_errors AS SELECT * FROM ({sql}) "
        "AS e(line, field, value, reason)",
        {
            name: value
            for name, value in {"export_date": export_date, "email_pattern": EMAIL_PATTERN}.items()
            if f"${name}" in sql
        }
        or None,
    )


def _field_checks(fields: dict, reasons: dict[str, str]) -> list[str]:
    """SQL selects of da_errors rows for each field: missing when required, a value that
    cannot be read (`reasons`), an amount too large, a payment term out of range."""
    checks = []
    for name, (_, required, words) in fields.items():
        if required:
            missing = sql_text("missing {what}", what=tr_marked(words))
            checks.append(
                f"SELECT _line, '{name}', NULL, {missing} FROM da_staged "
                f'WHERE "{name}__raw" IS NULL'
            )
        reason = sql_quoted(reasons[name])
        if fields[name][0] == "money":
            reason = f'coalesce(da_money_problem("{name}__raw"), {reason})'
            largest = sql_text(
                "more than {most}: the largest amount the ledger takes",
                most=format_eur(MAX_AMOUNT, current_lang()),
            )
            checks.append(
                f"SELECT _line, '{name}', \"{name}__raw\", {largest} FROM da_staged "
                f'WHERE abs("{name}") > {MAX_AMOUNT}'
            )
        checks.append(
            f"SELECT _line, '{name}', \"{name}__raw\", {reason} FROM da_staged "
            f'WHERE "{name}__raw" IS NOT NULL AND "{name}" IS NULL'
        )
    if "payment_term_days" in fields:
        term = sql_text(
            "a payment term of {days} days: terms run from 0 to {most} days",
            sql={"days": "payment_term_days"},
            most=MAX_TERM_DAYS,
        )
        checks.append(
            f"SELECT _line, 'payment_term_days', payment_term_days__raw, {term} FROM da_staged "
            f"WHERE payment_term_days NOT BETWEEN 0 AND {MAX_TERM_DAYS}"
        )
    return checks


def _email_checks(kind: str, mapping: dict[str, str]) -> list[str]:
    """The select of e-mail addresses that are none, when the file has such a column."""
    checks = []
    email = {"clients": "email", "history": "client_email", "invoices": "client_email"}
    if email.get(kind) in mapping:
        reason = sql_text("not an e-mail address (name@domain.nl)")
        checks.append(
            f"SELECT _line, '{email[kind]}', {email[kind]}, {reason} FROM da_staged "
            f"WHERE {email[kind]} IS NOT NULL "
            f"AND NOT regexp_full_match({email[kind]}, $email_pattern)"
        )
    return checks


def _payment_twice_check() -> str:
    """The select of a payment id that appears twice with different contents."""
    twice = sql_text(
        "payment id {id} appears more than once with different contents",
        sql={"id": "s.payment_id"},
    )
    return f"""
        SELECT s._line, 'payment_id', s.payment_id, {twice}
        FROM da_staged AS s
        JOIN (
            SELECT payment_id FROM da_staged WHERE payment_id IS NOT NULL GROUP BY payment_id
            HAVING count(DISTINCT row(client_id, invoice_id, paid_date, amount)) > 1
        ) USING (payment_id)
        """


_PARTLY_PAID = "paid_date IS NULL AND amount > 0 AND open_amount < amount AND open_amount > 0"
_PAID_UNKNOWN_DATE = "paid_date IS NULL AND open_amount = 0 AND amount <> 0"


def _write_invoices(
    con,
    kind: str,
    mapping: dict[str, str],
    load_id: int,
    export_date: dt.date | None = None,
    accept_older: bool = False,
) -> dict[str, int]:
    """Upsert clients, invoices (and for a history its paid-date payments).

    A history row that shows its invoice paid less than the ledger's recorded payment
    (an older export loaded after a newer one) keeps the recorded payment, unless
    `accept_older`. Returns counts: loaded, updated, unchanged, kept_newer (such rows),
    and due dates derived by source.
    """
    has = set(mapping)
    _write_clients_from_invoices(con, has, load_id)
    _stage_incoming(con, kind, has, export_date, accept_older)
    _keep_file_due_dates(con)
    counts = _incoming_counts(con)
    _write_incoming(con, kind, load_id)
    return counts


def _incoming_value(has: set[str], field_name: str, existing: str, default: str) -> str:
    """SQL for a field the file may carry: the file's value, else the ledger's, else
    `default`."""
    if field_name in has:
        return f"coalesce(s.{field_name}, {default})"
    return f"coalesce({existing}, {default})"


def _history_columns() -> str:
    """SQL (the rest of `good`'s SELECT and its FROM) for a history's payment columns.

    A history row's payment: on its paid date (the paid amount, else what is no longer
    open, else the whole amount); without a paid date, the part an open-items list shows
    as paid, on the export date. Rows fully paid on an unknown date are left out; a
    credit note keeps only what is still open.
    """
    return f""",
            CASE WHEN paid_date IS NOT NULL THEN paid_date
                 WHEN {_PARTLY_PAID} THEN $export_date::DATE END AS new_paid_date,
            nullif(CASE WHEN paid_date IS NOT NULL
                        THEN coalesce(paid_amount, amount - coalesce(open_amount, 0))
                        WHEN {_PARTLY_PAID} THEN amount - open_amount END, 0)
                AS new_paid_amount
        FROM (
            SELECT * REPLACE (
                CASE WHEN amount < 0 AND paid_date IS NULL AND open_amount IS NOT NULL
                     THEN open_amount ELSE amount END AS amount)
            FROM da_staged
            WHERE NOT coalesce({_PAID_UNKNOWN_DATE}, false)
        )"""


# a history row that shows less paid than recorded: an older file
_OLDER = "p.payment_id IS NOT NULL AND abs(coalesce(s.new_paid_amount, 0)) < abs(p.amount)"


def _compared(kind: str) -> str:
    """SQL of `compared`: each good row, a history's older row keeping the recorded
    payment unless $accept_older, with `older` saying which rows were older."""
    if kind != "history":
        return "SELECT *, false AS older FROM good"
    return f"""
        SELECT s.* REPLACE (
                CASE WHEN {_OLDER} AND NOT $accept_older THEN p.paid_date
                     ELSE s.new_paid_date END AS new_paid_date,
                CASE WHEN {_OLDER} AND NOT $accept_older THEN p.amount
                     ELSE s.new_paid_amount END AS new_paid_amount),
            {_OLDER} AS older
        FROM good AS s LEFT JOIN payments AS p ON p.payment_id = 'paid:' || s.invoice_id
        """


# Longer than a screen on purpose: one SQL statement, whose CTEs (good, compared, final)
# are its parts; split into Python pieces it would no longer read as one query.
def _stage_incoming(
    con, kind: str, has: set[str], export_date: dt.date | None, accept_older: bool
) -> None:
    """Build temp table da_incoming: each good staged row as the invoice it becomes (due
    date and its source, fields the file lacks from the ledger), with its payment for a
    history, and whether it is new (`existed`), `changed` or `older`."""

    def incoming(field_name: str, existing: str, default: str) -> str:
        return _incoming_value(has, field_name, existing, default)

    term = (
        "coalesce(s.payment_term_days, c.payment_term_days)"
        if "payment_term_days" in has
        else ("c.payment_term_days")
    )
    paid = (
        "s.new_paid_date AS paid_date, s.new_paid_amount AS paid_amount"
        if kind == "history"
        else "p.paid_date AS paid_date, p.amount AS paid_amount"
    )
    history_columns = _history_columns() if kind == "history" else " FROM da_staged"
    compared = _compared(kind)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE da_incoming AS
        WITH
        good AS (
            SELECT *{history_columns}
            WHERE _line NOT IN (SELECT line FROM da_errors)
            QUALIFY row_number() OVER (PARTITION BY invoice_id ORDER BY _line) = 1
        ),
        compared AS ({compared}),
        final AS (
            SELECT
                s.invoice_id,
                s.client_id,
                s.invoice_date,
                coalesce(s.due_date, s.invoice_date + coalesce({term}, {
            DEFAULT_TERM_DAYS
        })::INTEGER)
                    AS due_date,
                CASE
                    WHEN s.due_date IS NOT NULL THEN 'file'
                    WHEN {term} IS NOT NULL THEN 'client_term'
                    ELSE 'default_30_days'
                END AS due_date_source,
                s.amount,
                {
            incoming("credits_invoice_id", "e.credits_invoice_id", "NULL")
        } AS credits_invoice_id,
                {incoming("currency", "e.currency", "'EUR'")} AS currency,
                {incoming("disputed", "e.disputed", "false")} AS disputed,
                {incoming("payment_reference", "e.payment_reference", "NULL")}
                    AS payment_reference,
                {paid},
                e.invoice_id IS NOT NULL AS existed,
                s.older,
                e.invoice_id IS NOT NULL AND (
                    row(e.client_id, e.invoice_date, e.due_date, e.amount, e.credits_invoice_id,
                        e.currency, e.disputed, e.payment_reference)
                    IS DISTINCT FROM
                    row(s.client_id, s.invoice_date, coalesce(s.due_date, e.due_date), s.amount,
                        {incoming("credits_invoice_id", "e.credits_invoice_id", "NULL")},
                        {incoming("currency", "e.currency", "'EUR'")},
                        {incoming("disputed", "e.disputed", "false")},
                        {incoming("payment_reference", "e.payment_reference", "NULL")})
                    {
            "OR row(p.paid_date, p.amount) IS DISTINCT FROM row(s.new_paid_date, s.new_paid_amount)"
            if kind == "history"
            else ""
        }
                ) AS changed
            FROM compared AS s
            LEFT JOIN invoices AS e USING (invoice_id)
            LEFT JOIN clients AS c ON c.client_id = s.client_id
            LEFT JOIN payments AS p ON p.payment_id = 'paid:' || s.invoice_id
        )
        SELECT * FROM final
        """,
        {"export_date": export_date, "accept_older": accept_older} if kind == "history" else None,
    )


def _keep_file_due_dates(con) -> None:
    """An existing invoice keeps the due date an earlier file gave when the newer one has
    none; a derived one follows the client's term as it is now."""
    con.execute(
        """
        UPDATE da_incoming AS n SET due_date = e.due_date, due_date_source = e.due_date_source
        FROM invoices AS e
        WHERE e.invoice_id = n.invoice_id AND n.due_date_source <> 'file'
          AND e.due_date_source = 'file'
        """
    )


def _incoming_counts(con) -> dict[str, int]:
    """Counts of da_incoming: loaded, updated, unchanged, due dates derived by source,
    kept_newer."""
    return dict(
        zip(
            ("loaded", "updated", "unchanged", "client_term", "default_30_days", "kept_newer"),
            con.execute(
                """
                SELECT
                    count(*) FILTER (WHERE NOT existed),
                    count(*) FILTER (WHERE changed),
                    count(*) FILTER (WHERE existed AND NOT changed),
                    count(*) FILTER (WHERE NOT existed AND due_date_source = 'client_term'),
                    count(*) FILTER (WHERE NOT existed AND due_date_source = 'default_30_days'),
                    count(*) FILTER (WHERE older)
                FROM da_incoming
                """
            ).fetchall()[0],
            strict=True,
        )
    )


def _write_incoming(con, kind: str, load_id: int) -> None:
    """Replace the changed invoices and insert the new ones (a history's paid-date
    payments too) from da_incoming, then drop it."""
    con.execute(
        "DELETE FROM invoices WHERE invoice_id IN "
        "(SELECT invoice_id FROM da_incoming WHERE changed)"
    )
    con.execute(
        """
        INSERT INTO invoices BY NAME
        SELECT invoice_id, client_id, invoice_date, due_date, due_date_source, amount,
               credits_invoice_id, currency, disputed, payment_reference, ? AS source_load
        FROM da_incoming WHERE changed OR NOT existed
        """,
        [load_id],
    )
    if kind == "history":
        con.execute(
            "DELETE FROM payments WHERE payment_id IN "
            "(SELECT 'paid:' || invoice_id FROM da_incoming WHERE changed)"
        )
        con.execute(
            """
            INSERT INTO payments BY NAME
            SELECT 'paid:' || invoice_id AS payment_id, client_id, invoice_id, paid_date,
                   paid_amount AS amount, ? AS source_load
            FROM da_incoming
            WHERE (changed OR NOT existed) AND paid_date IS NOT NULL AND paid_amount IS NOT NULL
            """,
            [load_id],
        )
    con.execute("DROP TABLE da_incoming")


def _rederive_due_dates(con) -> int:
    """Recompute the due dates derived from a client's term (or the default term) for
    every invoice whose file gave none, after the terms may have changed; return how
    many changed."""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE da_due AS
        SELECT i.invoice_id,
               i.invoice_date + coalesce(c.payment_term_days, {DEFAULT_TERM_DAYS})::INTEGER
                   AS due_date,
               CASE WHEN c.payment_term_days IS NOT NULL THEN 'client_term'
                    ELSE 'default_30_days' END AS due_date_source
        FROM invoices AS i
        LEFT JOIN clients AS c USING (client_id)
        WHERE i.due_date_source <> 'file'
          AND i.due_date <> i.invoice_date
              + coalesce(c.payment_term_days, {DEFAULT_TERM_DAYS})::INTEGER
        """
    )
    count = con.execute("SELECT count(*) FROM da_due").fetchall()[0][0]
    if count:
        con.execute(
            """
            UPDATE invoices AS i SET due_date = d.due_date, due_date_source = d.due_date_source
            FROM da_due AS d WHERE d.invoice_id = i.invoice_id
            """
        )
    con.execute("DROP TABLE da_due")
    return count


def _write_clients_from_invoices(con, has: set[str], load_id: int) -> None:
    """Insert clients first seen in this file; update name, kind, term and contact details
    where given (the file's last row per client wins)."""

    def last(column: str) -> str:
        return f"arg_max({column}, _line) FILTER (WHERE {column} IS NOT NULL)"

    details = [d for d in CONTACT_DETAILS if f"client_{d}" in has]
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE da_clients AS
        SELECT client_id, {last("client_name")} AS name, {last("client_kind")} AS kind,
               {last("payment_term_days")} AS payment_term_days,
               {"".join(f"{last(f'client_{d}')} AS {d}, " for d in details)}
               min(invoice_date) AS since
        FROM da_staged
        WHERE _line NOT IN (SELECT line FROM da_errors)
        GROUP BY client_id
        """
    )
    con.execute(
        f"""
        UPDATE clients AS c SET
            name = coalesce(n.name, c.name),
            kind = coalesce(n.kind, c.kind),
            payment_term_days = coalesce(n.payment_term_days, c.payment_term_days),
            {"".join(f"{d} = coalesce(n.{d}, c.{d}), " for d in details)}
            since = least(c.since, n.since)
        FROM da_clients AS n
        WHERE n.client_id = c.client_id
        """
    )
    con.execute(
        f"""
        INSERT INTO clients BY NAME
        SELECT client_id, coalesce(name, client_id) AS name, coalesce(kind, 'business') AS kind,
               payment_term_days, since, {"".join(f"{d}, " for d in details)}? AS source_load
        FROM da_clients WHERE client_id NOT IN (SELECT client_id FROM clients)
        """,
        [load_id],
    )
    con.execute("DROP TABLE da_clients")


def _write_keyed(con, table: str, key: str, columns: list[str], load_id: int) -> dict[str, int]:
    """Upsert da_keyed (key + columns) into `table`; return loaded/updated/unchanged counts."""
    cols = ", ".join(columns)
    e_cols = ", ".join(f"e.{c}" for c in columns)
    n_cols = ", ".join(f"n.{c}" for c in columns)
    differs = f"row({e_cols}) IS DISTINCT FROM row({n_cols})"
    loaded, updated, unchanged = con.execute(
        f"""
        SELECT
            count(*) FILTER (WHERE e.{key} IS NULL),
            count(*) FILTER (WHERE e.{key} IS NOT NULL AND {differs}),
            count(*) FILTER (WHERE e.{key} IS NOT NULL AND NOT ({differs}))
        FROM da_keyed AS n LEFT JOIN {table} AS e USING ({key})
        """
    ).fetchall()[0]
    con.execute(
        f"""
        DELETE FROM {table} AS e USING da_keyed AS n
        WHERE e.{key} = n.{key} AND row({e_cols}) IS DISTINCT FROM row({n_cols})
        """
    )
    con.execute(
        f"""
        INSERT INTO {table} BY NAME
        SELECT {key}, {cols}, ? AS source_load FROM da_keyed AS n
        WHERE {key} NOT IN (SELECT {key} FROM {table})
        """,
        [load_id],
    )
    con.execute("DROP TABLE da_keyed")
    return {"loaded": loaded, "updated": updated, "unchanged": unchanged}


def _write_client_rows(
    con,
    load_id: int,
    table: str,
    key: str,
    identity: list[str],
    columns: list[str],
    withdrawn: str | None = None,
) -> dict[str, int]:
    """Write the good staged rows of payments or contacts: rows of a client (given, or the
    client of their invoice), keyed by `key` when the file gives it, else by a hash of the
    client, the invoice, the `identity` fields and the row's number among identical ones
    (so a reload finds the same ids). `columns`: what the table holds besides the key.
    Rows whose key is in the table `withdrawn` (taken back earlier) are not written again;
    the counts say how many (`withdrawn`)."""
    fields = ", ".join(identity)
    rest = ", ".join(c for c in columns if c not in ("client_id", "invoice_id"))
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE da_keyed AS
        WITH
        good AS (
            SELECT s.*, coalesce(s.client_id, i.client_id) AS client
            FROM da_staged AS s LEFT JOIN invoices AS i USING (invoice_id)
            WHERE _line NOT IN (SELECT line FROM da_errors)
        ),
        numbered AS (
            SELECT *, row_number() OVER (
                PARTITION BY client, invoice_id, {fields} ORDER BY _line) AS nth
            FROM good
        ),
        final AS (
            SELECT
                coalesce({key}, '{key[0]}:' || md5(concat_ws('|', client, invoice_id, {fields},
                    nth))) AS {key},
                client AS client_id, invoice_id, {rest}, _line
            FROM numbered
        )
        SELECT * EXCLUDE (_line) FROM final
        QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY _line) = 1
        """
    )
    skipped = 0
    if withdrawn:
        skipped = con.execute(
            f"SELECT count(*) FROM da_keyed WHERE {key} IN (SELECT {key} FROM {withdrawn})"
        ).fetchall()[0][0]
        con.execute(f"DELETE FROM da_keyed WHERE {key} IN (SELECT {key} FROM {withdrawn})")
    return _write_keyed(con, table, key, columns, load_id) | {"withdrawn": skipped}


def _write_payments(con, load_id: int) -> dict[str, int]:
    return _write_client_rows(
        con,
        load_id,
        "payments",
        "payment_id",
        identity=["paid_date", "amount"],
        columns=["client_id", "invoice_id", "paid_date", "amount"],
    )


def _write_contacts(con, load_id: int) -> dict[str, int]:
    return _write_client_rows(
        con,
        load_id,
        "contacts",
        "contact_id",
        identity=["contact_at", "kind"],
        columns=[
            "client_id",
            "invoice_id",
            "contact_at",
            "channel",
            "kind",
            "promised_date",
            "promised_amount",
            "note",
        ],
        withdrawn="withdrawn_contacts",
    )


def _write_clients(con, mapping: dict[str, str], load_id: int) -> dict[str, int]:
    def keep(name: str, default: str = "NULL") -> str:
        return f"s.{name}" if name in mapping else f"coalesce(e.{name}, {default})"

    details = ", ".join(f"{keep(name)} AS {name}" for name in CONTACT_DETAILS)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE da_keyed AS
        SELECT s.client_id, coalesce({keep("name")}, s.client_id) AS name,
               coalesce({keep("kind")}, 'business') AS kind,
               {keep("payment_term_days")} AS payment_term_days, {keep("since")} AS since,
               {keep("credit_limit")} AS credit_limit, {details}
        FROM da_staged AS s LEFT JOIN clients AS e USING (client_id)
        WHERE _line NOT IN (SELECT line FROM da_errors)
        QUALIFY row_number() OVER (PARTITION BY s.client_id ORDER BY _line DESC) = 1
        """
    )
    return _write_keyed(
        con,
        "clients",
        "client_id",
        ["name", "kind", "payment_term_days", "since", "credit_limit", *CONTACT_DETAILS],
        load_id,
    )


def load(
    ledger,
    source,
    kind: str = "history",
    mapping: dict[str, str] | None = None,
    date_format: str | None = None,
    decimal: str | None = None,
    skip_bad_rows: bool = False,
    sheet: str | None = None,
    progress: bool = False,
    force: bool = False,
    preset=None,
    export_date: dt.date | None = None,
    source_name: str | None = None,
    accept_older: bool = False,
    allow_far_dates: bool = False,
    future_days: int = FUTURE_MARGIN_DAYS,
    today: dt.date | None = None,
) -> LoadResult:
    """Load `source` into `ledger` as one transaction.

    In: a ledger path or open writable connection; a file path (.csv, .xlsx,
    .parquet) or DataFrame; `kind` one of history/invoices/payments/contacts/
    clients; `mapping` field -> source column; `date_format` (strptime, e.g.
    '%m/%d/%Y') when dates are not dd-mm-yyyy or ISO; `decimal` ',' or '.'
    when the amounts' decimal separator should not be detected.
    Out: a LoadResult with the counts. Raises LoadError (ledger unchanged)
    when any row is bad and `skip_bad_rows` is False, or when the columns do
    not fit. A file already loaded (same sha256 and kind) changes nothing
    unless `force`. `preset` (a key like 'moneybird', a preset file, or a
    Preset) supplies kind, mapping and date format for an accounting
    package's export; `mapping` entries still win. `export_date` is the day
    an open-items list was exported: the paid part of a partly paid
    invoice is recorded as paid on it (required when there are such rows).
    `source_name` names a DataFrame source in messages and in `loads`.

    Nothing recorded is silently undone: a history row that shows an invoice paid less
    (or not at all) than the ledger records keeps the ledger's payment and is counted in
    `kept_newer` (the file is older than what was loaded before), unless `accept_older`.
    Dates before 1990, more than `future_days` after `today` (default: the calendar's),
    or a payment or promise decades after its invoice or contact are refused, or with
    `allow_far_dates` loaded and counted in `far_dates`.
    """
    far_dates = _far_dates(today, future_days, allow_far_dates)
    preset, kind, date_format = _with_preset(preset, kind, date_format)
    if decimal not in (None, ",", "."):
        raise LoadError(tr("decimal must be ',' or '.'"))
    _check_date_format(date_format)
    raw = _read_raw(source, kind, mapping, preset, sheet, progress, source_name)
    kind = _kind_held(raw, kind)
    file_name = raw.name if raw.name == "<DataFrame>" else Path(raw.name).name
    result = LoadResult(
        file_name=file_name,
        sha256=raw.sha256,
        kind=kind,
        prepaid=raw.prepaid,
        rows_read=raw.table.num_rows + len(raw.problems),
        preset=preset.name if preset is not None else None,
        export_date=export_date,
        limits=list(preset.limits if preset is not None else []),
    )
    mapping = _source_mapping(raw, result, mapping, preset)
    sent = sent_contacts(raw, preset, mapping, file_name) if preset is not None else []
    with no_ledger_left_on_failure(ledger):
        if sent:  # the invoices and what was sent about them: one transaction
            return _load_with_sent(ledger, sent, skip_bad_rows, force, far_dates, lambda con:
                _load_into(con, raw, result, kind, mapping, date_format, decimal,
                           skip_bad_rows, force, export_date, file_name,
                           far_dates=far_dates, accept_older=accept_older))  # fmt: skip
        return _load_into(
            ledger,
            raw,
            result,
            kind,
            mapping,
            date_format,
            decimal,
            skip_bad_rows,
            force,
            export_date,
            file_name,
            far_dates=far_dates,
            accept_older=accept_older,
        )


def _with_preset(preset, kind: str, date_format: str | None):
    """The Preset (loaded from a key or file), the kind and the date format to load with:
    a preset's own unless a date format was given. Raises LoadError on an unknown kind."""
    if preset is not None:
        if not isinstance(preset, Preset):
            preset = load_preset(preset)
        kind = preset.kind
        date_format = date_format or preset.date_format
    if kind not in KINDS:
        raise LoadError(
            tr("Unknown kind {kind!r}; use one of {kinds}.", kind=kind, kinds=", ".join(KINDS))
        )
    return preset, kind, date_format


def _read_raw(source, kind, mapping, preset, sheet, progress, source_name) -> RawTable:
    """Read `source` (a file, a DataFrame, or a RawTable read already) as a RawTable whose
    header is the row holding the columns asked for; a DataFrame named `source_name`."""
    named = list((mapping or {}).values())
    if preset is not None:  # the header is the row that holds the columns asked for
        named += [c for f, c in preset.columns.items() if f not in (mapping or {})]
    try:
        raw = (
            source
            if isinstance(source, RawTable)  # read already (the parts of an auditfile)
            else read_source(
                source, sheet=sheet, progress=progress, is_header=header_test(kind, named)
            )
        )
    except SourceError as exc:
        raise LoadError(str(exc)) from exc
    if source_name and raw.name == "<DataFrame>":
        raw.name = source_name
    return raw


def _kind_held(raw: RawTable, kind: str) -> str:
    """The kind to load `raw` as: what the source says it holds when `kind` is the default
    (history); a LoadError when it holds something else than the kind asked for."""
    if not raw.kind or kind == raw.kind:
        return kind
    if kind != "history":
        raise LoadError(
            tr(
                "{file} holds {found}, not {kind}: load it as {found}",
                file=raw.name,
                found=raw.kind,
                kind=kind,
            )
        )
    return raw.kind


def _source_mapping(raw: RawTable, result: LoadResult, mapping, preset) -> dict[str, str]:
    """field -> column of `raw` (a preset's columns, `mapping` winning); drops footer rows
    and applies a preset's layout to `raw` (the rows skipped go into `result`)."""
    kind, file_name = result.kind, result.file_name
    if preset is not None:
        mapping = {**preset_mapping(preset, raw.table.column_names), **(mapping or {})}
    try:
        mapping = resolve_mapping(kind, raw.table.column_names, mapping)
    except LoadError as exc:
        raise LoadError(f"{file_name}: {exc}") from None
    result.skipped_rows = drop_footer_rows(raw, kind, mapping, file_name)
    if preset is not None and preset.layout:
        result.skipped_rows += apply_layout(raw, preset.layout, mapping, file_name)
    return split_relations(raw, kind, mapping)


@contextlib.contextmanager
def no_ledger_left_on_failure(ledger):
    """Run a load; when it fails on a ledger file that did not exist before, remove the
    file and its .wal again (a refused first load leaves nothing behind)."""
    new_file = None if hasattr(ledger, "execute") else Path(ledger)
    if new_file is not None and new_file.exists():
        new_file = None
    try:
        yield
    except BaseException:
        if new_file is not None:
            for leftover in (new_file, new_file.with_name(new_file.name + ".wal")):
                leftover.unlink(missing_ok=True)
        raise


def _load_with_sent(ledger, sent, skip_bad_rows, force, far_dates, load_invoices):
    """Load the invoices (`load_invoices(con)`), then the reminders and aanmaningen the
    export records about them (`sent`, RawTables of contacts), all in one transaction.
    Out: the invoices' LoadResult, `contacts_loaded` counting the contacts written."""
    with connected(ledger, read_only=False) as con, transaction(con):
        result = load_invoices(con)
        for part in sent:
            done = load(
                con,
                part,
                kind="contacts",
                mapping={n: n for n in part.table.column_names},
                skip_bad_rows=skip_bad_rows,
                force=force,
                allow_far_dates=far_dates["allowed"],
                future_days=far_dates["margin"],
                today=far_dates["latest"] - dt.timedelta(days=far_dates["margin"]),
            )
            result.contacts_loaded += done.rows_loaded + done.rows_updated
    return result


def _load_into(
    ledger,
    raw,
    result,
    kind,
    mapping,
    date_format,
    decimal,
    skip_bad_rows,
    force,
    export_date,
    file_name,
    *,
    far_dates: dict,
    accept_older: bool,
) -> LoadResult:
    """Stage, check and write one read source into the ledger (all or nothing)."""
    with connected(ledger, read_only=False) as con:
        previous = con.execute(
            "SELECT load_id FROM loads WHERE sha256 = ? AND kind = ? ORDER BY load_id DESC LIMIT 1",
            [raw.sha256, kind],
        ).fetchall()
        if previous and not force:
            result.already_loaded = True
            result.load_id = previous[0][0]
            return result
        try:
            _stage_and_check(
                con, raw, result, kind, mapping, (date_format, decimal), export_date, far_dates
            )
            if result.rejections and not skip_bad_rows:
                raise LoadError(
                    tr(
                        "{file}: {refused} of {read} rows refused; nothing was loaded. Fix them, "
                        "or load the good rows with --skip-bad-rows (the refused rows are then "
                        "kept in the table rejected_rows).",
                        file=file_name,
                        refused=result.rows_rejected,
                        read=result.rows_read,
                    ),
                    result.rejections,
                )
            with transaction(con):
                load_id = con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM loads")
                load_id = load_id.fetchall()[0][0]
                _write_rows(con, result, kind, mapping, load_id, export_date, accept_older)
                _record_load(con, result, raw.sha256, load_id)
                if kind in ("history", "invoices", "payments") or result.due_dates_rederived:
                    refresh_index(con)
                    result.paid_before_invoice, result.overpaid = _odd_money(con, load_id)
        finally:
            for temp in ("da_staged", "da_errors"):
                con.execute(f"DROP TABLE IF EXISTS {temp}")
    return result


def _stage_and_check(
    con, raw, result, kind, mapping, formats, export_date, far_dates: dict
) -> None:
    """Stage `raw` (temp table da_staged) and find its bad rows (da_errors); put the
    refused rows, far dates and the count of rejected rows into `result`.
    `formats`: the date format and the decimal separator asked for (None: detect)."""
    date_format, decimal = formats
    file_name = result.file_name
    decimal_used = _stage(con, raw, kind, mapping, date_format, decimal)
    reasons = {
        name: _invalid_reason(ftype, date_format, decimal_used)
        for name, (ftype, _, _) in FIELDS[kind].items()
    }
    if kind == "history" and "open_amount" in mapping:
        _check_export_date(con, export_date, file_name)
    _collect_errors(con, kind, mapping, reasons, export_date, far_dates)
    result.rejections = _rejections(con, raw, mapping, file_name)
    if far_dates["allowed"]:
        result.far_dates = _rejections(con, raw, mapping, file_name, "da_far_dates")
    bad_lines = {line for (line,) in con.execute("SELECT line FROM da_errors").fetchall()}
    result.rows_rejected = len(bad_lines | {problem[0] for problem in raw.problems})


def _write_rows(con, result, kind, mapping, load_id, export_date, accept_older) -> None:
    """Write the good staged rows of `kind` into the ledger's tables; put the counts
    (loaded, updated, unchanged, kept newer, due dates derived) into `result`."""
    if kind in ("history", "invoices"):
        if kind == "history":
            result.left_out_paid, result.paid_on_export_date = con.execute(
                f"""
                SELECT count(*) FILTER (WHERE {_PAID_UNKNOWN_DATE}),
                       count(*) FILTER (WHERE {_PARTLY_PAID})
                FROM da_staged WHERE _line NOT IN (SELECT line FROM da_errors)
                """
            ).fetchall()[0]
        counts = _write_invoices(con, kind, mapping, load_id, export_date, accept_older)
        result.kept_newer = counts.pop("kept_newer")
        result.accept_older = accept_older
        result.due_dates_derived = {
            "client_term": counts.pop("client_term"),
            "default_30_days": counts.pop("default_30_days"),
        }
    elif kind == "payments":
        counts = _write_payments(con, load_id)
    elif kind == "contacts":
        counts = _write_contacts(con, load_id)
    else:
        counts = _write_clients(con, mapping, load_id)
    if kind in ("history", "invoices", "clients"):
        result.due_dates_rederived = _rederive_due_dates(con)
    result.withdrawn_skipped = counts.pop("withdrawn", 0)
    result.rows_loaded = counts["loaded"]
    result.rows_updated = counts["updated"]
    result.rows_unchanged = (
        result.rows_read
        - result.rows_rejected
        - result.left_out_paid
        - result.rows_loaded
        - result.rows_updated
        - result.withdrawn_skipped
        - len(result.skipped_rows)
    )


def _record_load(con, result, sha256: str, load_id: int) -> None:
    """Add the load to `loads` and its refused rows to `rejected_rows`."""
    result.load_id = load_id
    con.execute(
        "INSERT INTO loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            load_id,
            result.file_name,
            sha256,
            result.kind,
            result.rows_read,
            result.rows_loaded,
            result.rows_updated,
            result.rows_unchanged,
            result.rows_rejected,
            dt.datetime.now(dt.UTC).replace(tzinfo=None),
        ],
    )
    if result.rejections:
        con.executemany(
            "INSERT INTO rejected_rows VALUES (?, ?, ?, ?, ?, ?)",
            [[load_id, r.file, r.line, r.column, r.value, r.reason] for r in result.rejections],
        )


def _odd_money(con, load_id: int) -> tuple[int, int]:
    """Return (payments of load `load_id` dated before their invoice, invoices paid
    more than their amount among those the load wrote or paid)."""
    return con.execute(
        """
        WITH
        touched AS (
            SELECT invoice_id FROM invoices WHERE source_load = $load
            UNION
            SELECT invoice_id FROM payments WHERE source_load = $load
        ),

        early AS (
            SELECT count(*) AS n
            FROM payments AS p
            JOIN invoices AS i USING (invoice_id)
            WHERE p.source_load = $load AND i.amount >= 0 AND p.paid_date < i.invoice_date
        ),

        overpaid AS (
            SELECT invoice_id
            FROM receivable_direct_money_live
            SEMI JOIN touched USING (invoice_id)
            GROUP BY invoice_id, invoice_amount
            HAVING sum(amount) > invoice_amount
        )

        SELECT (SELECT n FROM early), (SELECT count(*) FROM overpaid)
        """,
        {"load": load_id},
    ).fetchall()[0]


def _check_export_date(con, export_date: dt.date | None, file_name: str) -> None:
    """Refuse an open-items list with partly paid invoices when no export date is given."""
    if export_date is not None:
        return
    lines = [
        row[0]
        for row in con.execute(
            f"SELECT _line FROM da_staged WHERE {_PARTLY_PAID} ORDER BY _line"
        ).fetchall()
    ]
    if lines:
        shown = ", ".join(map(str, lines[:10])) + (" ..." if len(lines) > 10 else "")
        raise LoadError(
            tr(
                "{file}: {n} invoices are partly paid (lines {lines}), but the file does not say "
                "when. Give the day the file was exported with --export-date yyyy-mm-dd "
                "(export_date=...): the paid part is recorded as paid on that day. Nothing was "
                "loaded.",
                file=file_name,
                n=len(lines),
                lines=shown,
            )
        )


def _rejections(
    con, raw: RawTable, mapping: dict[str, str], file_name: str, table: str = "da_errors"
) -> list[Rejection]:
    """The refusals in `table` (da_errors; with the reader's own problems) or the far
    dates loaded as asked (da_far_dates), each with file, line, column, value and reason."""
    rows = con.execute(
        f"SELECT DISTINCT line, field, value, reason FROM {table} ORDER BY line, field"
    ).fetchall()
    found = [
        Rejection(file_name, int(line), mapping.get(fld, fld), value, reason)
        for line, fld, value, reason in rows
    ]
    if table == "da_errors":
        found += [
            Rejection(file_name, line, col, value, reason)
            for line, col, value, reason in raw.problems
        ]
    if raw.origins:  # documents (e-invoices): name the document's file, line and element
        found = [_in_document(r, raw.origins[r.line]) for r in found]
        return sorted(found, key=lambda r: (r.file, r.line, r.column or ""))
    return sorted(found, key=lambda r: (r.line, r.column or ""))


def _in_document(rejection: Rejection, origin: tuple[str, int, dict]) -> Rejection:
    """A refusal of a document's row, placed at the element the field came from."""
    name, line, elements = origin
    by_path = {path: at for path, at in elements.values()}
    element, element_line = elements.get(
        rejection.column, (rejection.column, by_path.get(rejection.column, line))
    )
    return Rejection(name, element_line, element, rejection.value, rejection.reason)
