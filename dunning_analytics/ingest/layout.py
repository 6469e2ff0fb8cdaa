"""Files as report exports write them: which row is the header, which rows are totals or
footers, and relation cells written as `code - name`.

Used by the loader between reading a file (ingest.reading) and staging its rows:
`header_test` says which of a report's first rows is its header; `drop_footer_rows`
takes totals and footer rows out of a read table (each reported, never loaded);
`split_relations` turns a client column of `1003 - Bakkerij Jansen B.V.` cells into the
client id `1003` and the name `Bakkerij Jansen B.V.`.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dunning_analytics.common.messages import tr, tr_marked
from dunning_analytics.ingest.errors import LoadError, Rejection
from dunning_analytics.ingest.fields import FIELDS, normal_name

# what names a row's key: a row without it is no data row of that kind
KEY_FIELD = {
    "history": "invoice_id",
    "invoices": "invoice_id",
    "payments": "paid_date",
    "contacts": "contact_at",
    "clients": "client_id",
}
# a cell that says the row adds others up (Dutch and English reports)
TOTALS_LABEL = r"(?i)\s*(sub|eind|grand\s*)?(totaal|totalen|total|totals)\b.*"
# `1003 - Bakkerij Jansen B.V.`: a code with a digit in it, " - ", the name
RELATION = r"\s*(\S*\d\S*)\s+-\s+(\S.*?)\s*"


def header_test(kind: str, columns: list):
    """In: the kind of load and the columns a preset or mapping names (each a name or a list
    of the names it goes by; empty: none named). Out: `is_header(names) -> bool` for
    ingest.reading: a row is the header when it holds every named column (ignoring case,
    spaces and signs), or, with none named, when every required field of `kind` finds a
    column of its own name."""
    if not columns:
        required = [f for f, (_, req, _) in FIELDS[kind].items() if req]
        columns = [f for f in required if kind not in ("payments", "contacts") or f != "client_id"]
    wanted = [{normal_name(n) for n in ([c] if isinstance(c, str) else c)} for c in columns]
    return lambda names: all(group & {normal_name(n) for n in names} for group in wanted)


def _trimmed(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A text column with missing values as '' and no surrounding spaces."""
    return pc.utf8_trim_whitespace(pc.fill_null(column, ""))


def _empty(column: pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.equal(_trimmed(column), "").to_numpy(zero_copy_only=False), dtype=bool)


def _labelled_totals(table: pa.Table) -> np.ndarray:
    labelled = np.zeros(table.num_rows, dtype=bool)
    for column in table.columns:
        match = pc.match_substring_regex(pc.fill_null(column, ""), f"^{TOTALS_LABEL}$")
        labelled |= np.asarray(match.to_numpy(zero_copy_only=False), dtype=bool)
    return labelled


def drop_footer_rows(raw, kind: str, mapping: dict[str, str], file_name: str) -> list[Rejection]:
    """Take the totals and footer rows out of `raw` (a RawTable of a CSV or Excel file):
    rows without the kind's key (an invoice number for invoices) that come after the last
    row with one, or that hold a cell labelled Totaal/Total/Subtotaal. A keyless row in
    the middle without such a label stays (the checks refuse it as a row missing its key).
    Out: one Rejection per row taken out (file, line, the cell that said so, reason)."""
    key = mapping.get(KEY_FIELD[kind])
    if raw.origins is not None or key is None or not raw.table.num_rows:
        return []
    keyless = _empty(raw.table.column(key))
    if not keyless.any():
        return []
    with_key = np.flatnonzero(~keyless)
    after_last = np.arange(raw.table.num_rows) > (with_key[-1] if len(with_key) else -1)
    footer = keyless & (after_last | _labelled_totals(raw.table))
    skipped = []
    for index in np.flatnonzero(footer):
        row = {n: raw.table.column(n)[int(index)].as_py() for n in raw.table.column_names}
        label = next((v for v in row.values() if v and str(v).strip()), None)
        column = next((n for n, v in row.items() if v == label), None)
        skipped.append(
            Rejection(
                file_name,
                int(raw.lines[index]),
                column,
                label,
                tr(
                    "a totals or footer row ({label!r}, no {what})",
                    label=label,
                    what=tr_marked(FIELDS[kind][KEY_FIELD[kind]][2]),
                ),
            )
        )
    keep = pa.array(~footer)
    raw.table = raw.table.filter(keep)
    raw.lines = raw.lines[~footer]
    return skipped


def split_relations(raw, kind: str, mapping: dict[str, str]) -> dict[str, str]:
    """When every filled cell of the client column reads `code - name` (a code with a digit,
    as Exact Online writes `1003 - Bakkerij Jansen B.V.`), make the code the client id and,
    unless a name column is mapped, the rest the client's name (a new column `<column>
    (name)`). A column of plain ids or names is left as it is. Out: the mapping to use."""
    column = mapping.get("client_id")
    if column is None or not raw.table.num_rows:
        return mapping
    text = pc.fill_null(raw.table.column(column), "")
    filled = pc.invert(pc.equal(_trimmed(text), ""))
    relation = pc.match_substring_regex(text, f"^{RELATION}$")
    if not pc.any(filled).as_py() or pc.any(pc.and_(filled, pc.invert(relation))).as_py():
        return mapping

    def part(number: int):
        return pc.if_else(
            filled, pc.replace_substring_regex(text, f"^{RELATION}$", f"\\{number}"), None
        )

    raw.table = raw.table.set_column(raw.table.column_names.index(column), column, part(1))
    name_field = "name" if kind == "clients" else "client_name"
    mapping = dict(mapping)
    if name_field in FIELDS[kind] and name_field not in mapping:
        name_column = f"{column} (name)"
        if name_column in raw.table.column_names:
            raise LoadError(
                tr(
                    "{file}: the file has a column {column!r} already",
                    file=raw.name,
                    column=name_column,
                )
            )
        raw.table = raw.table.append_column(name_column, part(2))
        mapping[name_field] = name_column
    return mapping


def _text(raw, column: str) -> pa.ChunkedArray:
    return _trimmed(raw.table.column(column))


def apply_layout(raw, layout: dict, mapping: dict[str, str], file_name: str) -> list[Rejection]:
    """Apply a preset's `layout` to `raw` before staging:
    `keep_column`/`keep_values`: only rows whose column holds one of the values are
    invoices (Twinfield's debtor card also lists the bank lines; each other row is taken
    out and reported); `credit_column`: an amount empty in the amount column and written
    in this credit column is a credit (minus that amount); `paid_when_column`/
    `paid_when_values`: the paid date counts only on rows whose column holds one of the
    values (Exact's LastPaymentDate of an invoice not yet paid in full);
    `credit_when_column`/`credit_when_values`: a row whose column holds one of the values is
    a credit note, its amounts made negative (Visma's IsCreditInvoice). Out: the rows
    taken out, as Rejections."""
    names = raw.table.column_names
    for key in ("keep_column", "paid_when_column", "credit_when_column"):
        if key in layout and layout[key] not in names:
            raise LoadError(
                tr(
                    "{file}: the preset's {key} {column!r} is not a column",
                    file=file_name,
                    key=key,
                    column=layout[key],
                )
            )
    skipped: list[Rejection] = []
    if "keep_column" in layout and raw.table.num_rows:
        column, values = layout["keep_column"], list(layout.get("keep_values", []))
        keep = np.asarray(pc.is_in(_text(raw, column), pa.array(values)), dtype=bool)
        for index in np.flatnonzero(~keep):
            value = raw.table.column(column)[int(index)].as_py()
            skipped.append(
                Rejection(
                    file_name,
                    int(raw.lines[index]),
                    column,
                    value,
                    tr(
                        "not an invoice line ({column} {value!r}, not {values})",
                        column=column,
                        value=value,
                        values=tr(" or ").join(values),
                    ),
                )
            )
        raw.table, raw.lines = raw.table.filter(pa.array(keep)), raw.lines[keep]
    amount = mapping.get("amount")
    if layout.get("credit_column") in names and amount is not None:
        debit, credit = _text(raw, amount), _text(raw, layout["credit_column"])
        use_credit = pc.and_(pc.equal(debit, ""), pc.not_equal(credit, ""))
        signed = pc.if_else(use_credit, pc.binary_join_element_wise("-", credit, ""), debit)
        raw.table = raw.table.set_column(names.index(amount), amount, signed)
    paid = mapping.get("paid_date")
    if "paid_when_column" in layout and paid is not None:
        values = [v.lower() for v in layout.get("paid_when_values", [])]
        counts = pc.is_in(pc.utf8_lower(_text(raw, layout["paid_when_column"])), pa.array(values))
        dates = pc.if_else(counts, raw.table.column(paid), pa.scalar(None, pa.string()))
        raw.table = raw.table.set_column(names.index(paid), paid, dates)
    if "credit_when_column" in layout:
        values = [v.lower() for v in layout.get("credit_when_values", [])]
        credit = pc.is_in(pc.utf8_lower(_text(raw, layout["credit_when_column"])), pa.array(values))
        for name in {mapping.get("amount"), mapping.get("open_amount")} - {None}:
            text = _text(raw, name)
            positive = pc.and_(credit, pc.invert(pc.starts_with(text, "-")))
            positive = pc.and_(positive, pc.not_equal(text, ""))
            minus = pc.binary_join_element_wise("-", text, "")
            column = pc.if_else(positive, minus, raw.table.column(name))
            raw.table = raw.table.set_column(names.index(name), name, column)
    return skipped


def sent_contacts(raw, preset, mapping: dict[str, str], file_name: str) -> list:
    """The reminders and aanmaningen an export records per invoice (WeFact's ReminderDate
    and SummationDate, with their counts), as RawTables of contacts: one contact per
    invoice and kind, on the last date sent, named `<preset>:<kind>:<invoice>`. Read
    before the invoices are staged; loaded after them (ingest.loading)."""
    parts = []
    invoice = mapping.get("invoice_id")
    for contact in preset.contacts if invoice else []:
        date, count = contact["date"], contact.get("count")
        if date not in raw.table.column_names:
            continue
        dates = _text(raw, date)
        sent = np.asarray(pc.not_equal(dates, ""), dtype=bool)
        numbers = _text(raw, invoice).filter(pa.array(sent))
        counts = (
            _text(raw, count).filter(pa.array(sent)).to_pylist()
            if count in raw.table.column_names
            else [""] * int(sent.sum())
        )
        ids = [f"{preset.key}:{contact['kind']}:{n}" for n in numbers.to_pylist()]
        notes = [f"{preset.name}: {c or 'at least 1'} sent, the last on this date" for c in counts]
        table = pa.table(
            {
                "contact_id": pa.array(ids, pa.string()),
                "invoice_id": numbers,
                "contact_at": dates.filter(pa.array(sent)),
                "kind": pa.array([contact["kind"]] * len(ids), pa.string()),
                "note": pa.array(notes, pa.string()),
            }
        )
        sha = f"{raw.sha256}:{contact['kind']}"
        parts.append(type(raw)(file_name, sha, table, raw.lines[sent]))
    return parts
