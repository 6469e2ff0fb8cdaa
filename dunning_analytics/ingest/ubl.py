"""Sent e-invoices: UBL 2.1 Invoice and CreditNote documents (Peppol BIS Billing 3.0, SI-UBL 2.0).

Read with lxml, safely (no entities, no network, no huge trees), from one .xml file, a
folder (every .xml inside, and .zip archives of them) or a .zip archive. Each document
becomes one row of an invoices load; what each UBL element becomes:

- invoice_id: `cbc:ID`. A credit note that carries the same number as the invoice it
  corrects gets `<number>-CN`: one ledger id cannot be both.
- invoice_date: `cbc:IssueDate`.
- due_date: `cbc:DueDate`, else `cac:PaymentMeans/cbc:PaymentDueDate`, else
  `cac:PaymentTerms/cbc:PaymentDueDate`, else the issue date plus the days of
  `cac:PaymentTerms/cac:SettlementPeriod` or of a terms note such as "binnen 14 dagen"
  (not a discount condition such as "within 10 days, 2% discount"), else none: the
  loader takes the client's term or 30 days. A credit note without one is due at issue.
- amount: `cac:LegalMonetaryTotal/cbc:PayableAmount` (what is left to pay: a
  `cbc:PrepaidAmount` is already paid and noted); negative for a credit note.
- currency: `cbc:DocumentCurrencyCode` (the amount's currencyID too); only euros load.
- client: the buyer (`cac:AccountingCustomerParty/cac:Party`): `cac:PartyIdentification/
  cbc:ID`, else the VAT number (`cac:PartyTaxScheme/cbc:CompanyID`), else the KvK or other
  legal number (`cac:PartyLegalEntity/cbc:CompanyID`), else the name. Name:
  `cac:PartyLegalEntity/cbc:RegistrationName`, else `cac:PartyName/cbc:Name`, else the
  contact's name. Kind: business when the buyer has any of those identifiers or an
  electronic address (`cbc:EndpointID`, other than an e-mail address), else consumer.
- the buyer's `cac:Contact` (name, telephone, e-mail) and postal address: the client's
  contact person, phone, e-mail, address, postcode and city (for call sheets and letters).
- payment_reference: `cac:PaymentMeans/cbc:PaymentID` (the betalingskenmerk), which the
  bank matching looks for besides the invoice number.
- credits_invoice_id (credit notes): `cac:BillingReference/cac:InvoiceDocumentReference/
  cbc:ID`.

A document that is not a UBL Invoice or CreditNote, lacks its number, date, amount or
buyer, or is in another currency is refused with its file, line and element.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa

from dunning_analytics.ingest.reading import RawTable, SourceError
from dunning_analytics.ingest.xmlsafe import exact_cents, safe_parser

UBL_NS = {
    "Invoice": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "CreditNote": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
}
NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
}
HOME_CURRENCY = "EUR"
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024  # a document larger than this is not an invoice
_ARCHIVES = (".zip", ".gz", ".tgz", ".tar", ".7z", ".rar")  # not read inside an archive
# roots that are well known but not what this reader loads -> what they are
_OTHER_DOCUMENTS = {
    "Order": "a UBL Order, not an invoice",
    "OrderResponse": "a UBL order response, not an invoice",
    "DespatchAdvice": "a UBL despatch advice, not an invoice",
    "ApplicationResponse": "a UBL application response (an invoice response), not an invoice",
    "CrossIndustryInvoice": "a UN/CEFACT CII invoice, not UBL; export the invoice as UBL",
    "Document": "an ISO 20022 bank file; load bank statements with `dunning-analytics bank`",
}
COLUMNS = [
    "invoice_id",
    "client_id",
    "invoice_date",
    "due_date",
    "amount",
    "currency",
    "credits_invoice_id",
    "client_name",
    "client_kind",
    "client_contact_person",
    "client_email",
    "client_phone",
    "client_address",
    "client_postcode",
    "client_city",
    "payment_reference",
]
_TERM_DAYS = re.compile(r"\b(\d{1,3})\s*(?:days?|dagen|dgn|calendar days)\b", re.IGNORECASE)
_DISCOUNT = re.compile(r"%|discount|korting|skonto", re.IGNORECASE)


@dataclass
class Document:
    """One e-invoice read: its row for the loader, where each field came from, and notes."""

    source: str  # the file (a folder's relative path, or archive.zip:member)
    line: int  # the root element's line
    row: dict[str, str | None]
    elements: dict[str, tuple[str, int]] = field(default_factory=dict)  # field -> (path, line)
    prepaid: Decimal | None = None
    number: int = 0  # its place among the documents read (the loader's line)


def is_ubl_source(path: Path) -> bool:
    """True for what this reader takes: a folder, an .xml file or a .zip archive."""
    return path.is_dir() or path.suffix.lower() in (".xml", ".zip")


def _files(path: Path):
    """Yield (name, bytes) of every XML document under `path`, in name order; a member too
    large or unreadable yields (name, None-reason)."""
    if path.is_dir():
        for item in sorted(p for p in path.rglob("*") if p.is_file()):
            suffix = item.suffix.lower()
            name = item.relative_to(path).as_posix()
            if suffix == ".xml":
                yield name, _read_capped(item)
            elif suffix == ".zip":
                yield from _zip_members(item, name)
        return
    if path.suffix.lower() == ".zip":
        yield from _zip_members(path, path.name)
        return
    yield path.name, _read_capped(path)


def _too_large(size: int) -> str:
    return (
        f"more than {size:,} bytes: too large for an invoice (e-invoices are read up to "
        f"{MAX_DOCUMENT_BYTES // 2**20} MB each)"
    )


def _read_capped(path: Path) -> bytes | str:
    """The file's bytes, or why not: read at most MAX_DOCUMENT_BYTES + 1 bytes, whatever
    the file system says its size is."""
    with open(path, "rb") as fh:
        data = fh.read(MAX_DOCUMENT_BYTES + 1)
    return data if len(data) <= MAX_DOCUMENT_BYTES else _too_large(MAX_DOCUMENT_BYTES)


def _zip_members(path: Path, name: str):
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        yield name, "not a readable zip archive"
        return
    with archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            member = f"{name}:{info.filename}"
            if info.filename.lower().endswith(_ARCHIVES):
                yield member, "an archive inside an archive: unpack it and load its files"
            if info.is_dir() or not info.filename.lower().endswith(".xml"):
                continue
            if info.file_size > MAX_DOCUMENT_BYTES:
                yield member, _too_large(info.file_size)
                continue
            # the size a member declares may lie: never unpack more than the limit
            try:
                with archive.open(info) as fh:
                    data = fh.read(MAX_DOCUMENT_BYTES + 1)
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
                yield member, f"cannot be unpacked ({exc})"
                continue
            yield (
                member,
                data if len(data) <= MAX_DOCUMENT_BYTES else _too_large(MAX_DOCUMENT_BYTES),
            )


def read_ubl(path: str | Path) -> RawTable:
    """Read every e-invoice under `path` (an .xml file, a folder, or a .zip archive).

    Out: a RawTable for an invoices load: one row per document read (COLUMNS as text),
    `lines` the document's number in file order, `problems` the documents refused
    (number, element, value, reason), `origins` each number's file, line and the element
    each field came from (so a refusal names the file and element), and a sha256 over
    every document's name and bytes (the same folder again: the same sha256).
    Raises SourceError for a missing path.
    """
    path = Path(path)
    if not path.exists():
        raise SourceError(f"{path}: no such file or folder")
    digest = hashlib.sha256()
    documents, problems, origins = [], [], {}
    for number, (name, content) in enumerate(_files(path), start=1):
        origins[number] = (name, 0, {})
        if isinstance(content, str):  # a reason the member could not be read
            problems.append((number, None, None, content))
            continue
        digest.update(name.encode() + b"\0" + content + b"\0")
        try:
            doc = _document(name, content)
        except _Refused as refused:
            origins[number] = (name, refused.line, {})
            problems.append((number, refused.element, refused.value, refused.reason))
            continue
        doc.number = number
        documents.append(doc)
        origins[number] = (name, doc.line, doc.elements)
    documents = _without_conflicts(documents, problems)
    numbers = [d.number for d in documents]
    if not origins:
        raise SourceError(f"{path}: no .xml e-invoices found (nor .zip archives of them)")
    table = pa.table(
        {c: pa.array([d.row.get(c) for d in documents], type=pa.string()) for c in COLUMNS}
    )
    raw = RawTable(str(path), digest.hexdigest(), table, np.array(numbers, dtype=np.int64))
    raw.problems = problems
    raw.origins = origins
    raw.kind = "invoices"
    raw.prepaid = [(d.row["invoice_id"], d.prepaid) for d in documents if d.prepaid]
    return raw


def _without_conflicts(documents: list[Document], problems: list) -> list[Document]:
    """Refuse every document whose number another document uses with other contents (naming
    those files); of identical copies (a file and its copy in a .zip) keep the first."""
    by_id: dict[str, list[Document]] = {}
    for doc in documents:
        by_id.setdefault(doc.row["invoice_id"], []).append(doc)
    kept = []
    for doc in documents:
        same = by_id[doc.row["invoice_id"]]
        if len({tuple(sorted(d.row.items())) for d in same}) > 1:
            others = ", ".join(d.source for d in same if d is not doc)
            path, line = doc.elements.get("invoice_id", ("cbc:ID", doc.line))
            reason = (
                f"document number {doc.row['invoice_id']} is also used by {others} with other "
                "contents; each invoice and credit note needs a number of its own"
            )
            problems.append((doc.number, path, doc.row["invoice_id"], reason))
        elif doc is same[0]:
            kept.append(doc)
    problems.sort(key=lambda p: p[0])
    return kept


class _Refused(Exception):
    def __init__(self, line: int, element: str | None, value: str | None, reason: str):
        super().__init__(reason)
        self.line, self.element, self.value, self.reason = line, element, value, reason


def _document(name: str, content: bytes) -> Document:
    """Read one UBL document into a loader row; raises _Refused naming the element."""
    from lxml import etree

    try:
        root = etree.fromstring(content, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise _Refused(exc.lineno or 0, None, None, f"not valid XML: {exc.msg}") from None
    if root is None:
        raise _Refused(0, None, None, "an empty document")
    local = etree.QName(root).localname
    namespace = etree.QName(root).namespace
    if local not in UBL_NS or namespace != UBL_NS[local]:
        what = _OTHER_DOCUMENTS.get(local)
        if what is None and local in UBL_NS:
            what = f"an {local} in the namespace {namespace!r}, not UBL 2.1"
        raise _Refused(
            root.sourceline or 1,
            local,
            None,
            f"{what or f'a <{local}> document'}: only UBL 2.1 Invoice and CreditNote load",
        )
    credit = local == "CreditNote"
    doc = Document(name, root.sourceline or 1, {})

    def find(path: str, at=root):
        return at.find(path, NS) if at is not None else None

    def take(column: str, path: str, at=root, required: str | None = None) -> str | None:
        element = find(path, at)
        text = element.text.strip() if element is not None and element.text else None
        if text:
            doc.elements[column] = (path, element.sourceline or doc.line)
        elif required:
            raise _Refused(doc.line, path, None, f"missing {required}")
        return text

    row = doc.row
    row["invoice_id"] = take("invoice_id", "cbc:ID", required="the document number")
    issue = take("invoice_date", "cbc:IssueDate", required="the issue date")
    row["invoice_date"] = issue
    issued = _iso_date(issue, "cbc:IssueDate", doc)
    currency = take("currency", "cbc:DocumentCurrencyCode") or HOME_CURRENCY
    payable_path = "cac:LegalMonetaryTotal/cbc:PayableAmount"
    payable = find(payable_path)
    text = take("amount", payable_path, required="the payable amount")
    amount = _amount(text, payable_path, doc, "amount")
    for given in (currency, payable.get("currencyID") or currency):
        if given.upper() != HOME_CURRENCY:
            raise _Refused(
                doc.elements.get("currency", (None, doc.line))[1],
                "cbc:DocumentCurrencyCode",
                given,
                f"an invoice in {given}: invoices are kept in euros; record it by hand "
                "at its euro value",
            )
    row["currency"] = HOME_CURRENCY
    prepaid = take("prepaid", "cac:LegalMonetaryTotal/cbc:PrepaidAmount")
    if prepaid:
        doc.prepaid = _amount(prepaid, "cac:LegalMonetaryTotal/cbc:PrepaidAmount", doc, "prepaid")
    row["amount"] = str(-amount if credit else amount)
    if credit:
        corrected = take(
            "credits_invoice_id", "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID"
        )
        row["credits_invoice_id"] = corrected
        if corrected and corrected == row["invoice_id"]:
            row["invoice_id"] = f"{row['invoice_id']}-CN"
    row["due_date"] = _due_date(doc, take, find, issued, credit)
    _buyer(doc, take, find)
    row["payment_reference"] = take("payment_reference", "cac:PaymentMeans/cbc:PaymentID")
    for column in COLUMNS:
        row.setdefault(column, None)
    return doc


def _iso_date(text: str | None, path: str, doc: Document) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        line = doc.elements.get(path, (None, doc.line))[1]
        raise _Refused(line, path, text, "not a date as yyyy-mm-dd") from None


def _amount(text: str, path: str, doc: Document, column: str) -> Decimal:
    value = exact_cents(text)
    if value is None:
        line = doc.elements.get(column, (path, doc.line))[1]
        raise _Refused(line, path, text, "not an amount in euros and cents (1234.50)")
    return value


def _due_date(doc: Document, take, find, issued: date | None, credit: bool) -> str | None:
    """The due date from the document (see the module's doc), as yyyy-mm-dd, or None."""
    for path in (
        "cbc:DueDate",
        "cac:PaymentMeans/cbc:PaymentDueDate",
        "cac:PaymentTerms/cbc:PaymentDueDate",
    ):
        text = take("due_date", path)
        if text:
            _iso_date(text, path, doc)
            return text[:10]
    days = None
    period = find("cac:PaymentTerms/cac:SettlementPeriod/cbc:DurationMeasure")
    if period is not None and (period.text or "").strip().isdigit():
        days = int(period.text.strip())
        doc.elements["due_date"] = (
            "cac:PaymentTerms/cac:SettlementPeriod/cbc:DurationMeasure",
            period.sourceline or doc.line,
        )
    else:
        note = take("payment_terms", "cac:PaymentTerms/cbc:Note")
        found = _TERM_DAYS.search(note or "")
        if found and not _DISCOUNT.search(note):
            days = int(found.group(1))
            doc.elements["due_date"] = doc.elements["payment_terms"]
    if days is not None and issued is not None:
        return (issued + timedelta(days=days)).isoformat()
    if credit and issued is not None:
        return issued.isoformat()  # a credit note is there to be used at once
    return None


def _buyer(doc: Document, take, find) -> None:
    party = find("cac:AccountingCustomerParty/cac:Party")
    base = "cac:AccountingCustomerParty/cac:Party/"
    if party is None:
        raise _Refused(doc.line, base.rstrip("/"), None, "missing the buyer (the client)")
    row = doc.row

    def buyer(column: str, path: str) -> str | None:
        text = take(column, path, party)
        if text:
            doc.elements[column] = (base + path, doc.elements[column][1])
        return text

    identifier = buyer("party_id", "cac:PartyIdentification/cbc:ID")
    vat = buyer("vat", "cac:PartyTaxScheme/cbc:CompanyID")
    legal = buyer("legal_id", "cac:PartyLegalEntity/cbc:CompanyID")
    endpoint = buyer("endpoint", "cbc:EndpointID")
    name = (
        buyer("client_name", "cac:PartyLegalEntity/cbc:RegistrationName")
        or buyer("client_name", "cac:PartyName/cbc:Name")
        or buyer("client_name", "cac:Contact/cbc:Name")
    )
    client_id = identifier or vat or legal or name
    if client_id is None:
        raise _Refused(
            party.sourceline or doc.line,
            base.rstrip("/"),
            None,
            "the buyer has no identifier, VAT or KvK number, or name",
        )
    source = next(c for c in ("party_id", "vat", "legal_id", "client_name") if c in doc.elements)
    doc.elements["client_id"] = doc.elements[source]
    row["client_id"] = client_id
    row["client_name"] = name
    # an electronic address that is only an e-mail address (scheme EM) does not make a business
    endpoint_scheme = (find("cbc:EndpointID", party).get("schemeID") or "") if endpoint else ""
    business = identifier or vat or legal or (endpoint and endpoint_scheme.upper() != "EM")
    row["client_kind"] = "business" if business else "consumer"
    row["client_contact_person"] = buyer("client_contact_person", "cac:Contact/cbc:Name")
    row["client_phone"] = buyer("client_phone", "cac:Contact/cbc:Telephone")
    row["client_email"] = buyer("client_email", "cac:Contact/cbc:ElectronicMail")
    street = buyer("client_address", "cac:PostalAddress/cbc:StreetName")
    number = take("building", "cac:PostalAddress/cbc:BuildingNumber", party)
    row["client_address"] = " ".join(x for x in (street, number) if x) or None
    row["client_postcode"] = buyer("client_postcode", "cac:PostalAddress/cbc:PostalZone")
    row["client_city"] = buyer("client_city", "cac:PostalAddress/cbc:CityName")
