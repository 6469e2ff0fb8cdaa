"""MT940 bank statements read as Dutch (and other) banks write them.

`read_mt940(path)` returns the file's statements (one per account and day or
period) with their balances and entries. It reads what the `mt-940` package
misread on real files: RC/RD reversals, the booking date beside the value
date, several accounts in one file, SNS/ASN payers on the `:61:` line, the
old Rabobank layout, and each bank's payer fields in `:86:`:

- ABN AMRO, Rabobank, bunq, Knab (SEPA): `/TRTP/../IBAN/../NAME/../REMI/../EREF/..`
  (Rabobank: `/ORDP//NAME/`, `/BENM//NAME/`)
- ING and Triodos: `/CNTP/IBAN/BIC/NAME/CITY/` with `/REMI/USTD//text/`, returns `/RTRN/`
- Knab (older): `REK: IBAN/NAAM: name`
- SNS and ASN: the payer's account on the `:61:` line, the name on the line after it
- Rabobank (older): account and name in fixed columns of the `:61:` line
- Triodos (older): `>10` account, `>20`.. text, `>21` IBAN; German banks: `?20`.. `?32` name

Every statement's opening balance plus its entries must equal its closing
balance (statement.check_balances); a file that cannot be read is refused
with the line, the field, the value and the reason.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

from dunning_analytics.common.messages import tr
from dunning_analytics.ingest.errors import Rejection
from dunning_analytics.ingest.statement import (
    BankEntry,
    Statement,
    StatementError,
    check_balances,
    entry_id,
)

# tags of MT940 (and MT942, which is refused); anything else at a line start is text
_TAGS = {"20", "21", "25", "28", "28C", "60F", "60M", "61", "62F", "62M", "64", "65", "86"}
_INTERIM_TAGS = {"13", "13D", "34F", "90C", "90D"}
_TAG_LINE = re.compile(r"^:(\d{2}[A-Z]?):(.*)$")
_ENVELOPE = re.compile(r"^(?:\{[1-35]:[^{}]*\})*(?:\{4:)?")
_BALANCE = re.compile(r"^([CD])(\d{6})([A-Z]{3})(\d+(?:[,.]\d*)?)$")
_ENTRY = re.compile(
    r"^(?P<vdate>\d{6})(?P<edate>\d{4})?(?P<mark>RC|RD|EC|ED|C|D)(?P<funds>[A-Z])?"
    r"(?P<amount>\d+(?:[,.]\d*)?) ?(?P<type>[NSF][A-Z0-9 ]{3})(?P<rest>.*)$"
)
_ACCOUNT = re.compile(r"^(?:[A-Z]{2}\d{2}[A-Z0-9]{10,30}|\d{7,10}|P\d{6,9})$")
_KEYS = (
    "TRTP|IBAN|BIC|NAME|REMI|EREF|MARF|CSID|ORDP|BENM|ADDR|ISDT|CNTP|PURP|RTRN|ULTC|ULTD|"
    "ULTB|ULTE|SVCL|PREF|KREF|TRCD|BUSP|IREF|CDTRREF|CDTRREFTP|CD|FX|COAM|OAMT|CHGS|EXCH|"
    "CUSTREF|RRSN"
)
_STRUCTURED = re.compile(rf"/({_KEYS})/")
# searched in the /TRTP/ words; returns are read from /RTRN/ itself
_REVERSAL_WORDS = re.compile(r"STORNO|TERUGBOEKING|TERUGGAAF|RETOUR", re.IGNORECASE)
_WRAP = 65  # SWIFT lines are at most 65 characters; a full line may be cut mid-word


# the longest :86: field read (the standard allows 6 lines of 65 characters; banks write a
# little more): a longer one is refused, so a hostile field costs no time or memory
MAX_86_CHARS = 4000


def decode(raw: bytes) -> str:
    """Bytes as text: UTF-8 (BOM dropped), else Windows-1252, else Latin-1 (never fails).

    Control characters other than line ends and tabs become spaces.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    for encoding in ("utf-8", "cp1252", "latin-1"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", " ", text)


def _amount(text: str) -> Decimal | None:
    """'1.234,5' never occurs in MT940: one separator, ',' (or '.' in old exports)."""
    whole, _, cents = text.replace(".", ",").partition(",")
    if len(cents) > 2 or not whole.isdigit() or (cents and not cents.isdigit()):
        return None
    if len(whole.lstrip("0")) > 16:  # SWIFT allows 15 characters; the ledger 16 digits
        return None
    return Decimal(f"{whole}.{cents or '0'}").quantize(Decimal("0.01"))


def _date(yymmdd: str) -> dt.date | None:
    try:
        return dt.date(2000 + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6]))
    except ValueError:
        return None


def _booking_date(value: dt.date | None, vdate: str, mmdd: str | None) -> dt.date | None:
    """The entry (booking) date MMDD, in the value date's year or the one beside it."""
    if not mmdd:
        return value
    year = 2000 + int(vdate[:2])
    month, day = int(mmdd[:2]), int(mmdd[2:])
    if month == 12 and int(vdate[2:4]) == 1:
        year -= 1
    elif month == 1 and int(vdate[2:4]) == 12:
        year += 1
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    return dt.date(year, month, day)


def _fields(text: str) -> list[tuple[str, int, list[str]]]:
    """The file as (tag, line number, its lines), envelopes and message ends left out."""
    fields: list[tuple[str, int, list[str]]] = []
    current: list[str] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        line = _ENVELOPE.sub("", line)
        if line.startswith("{5:") or re.fullmatch(r"-\}?(\{5:.*)?\s*|-XXX\s*", line):
            current = None  # the end of a message
            continue
        match = _TAG_LINE.match(line)
        if match and (match.group(1) in _TAGS or match.group(1) in _INTERIM_TAGS):
            current = [match.group(2)]
            fields.append((match.group(1), number, current))
        elif current is not None:
            current.append(line)
    return fields


def _is_account(text: str | None) -> bool:
    return bool(text) and bool(_ACCOUNT.match(text.replace(" ", "")))


def _joined(lines: list[str], first_prefix: int = 4) -> str:
    """Lines of a field as one text: a full (65) line continues mid-word, a shorter one
    ends a word."""
    out = ""
    for i, line in enumerate(lines):
        if i:
            full = len(lines[i - 1]) + (first_prefix if i == 1 else 0) >= _WRAP
            out += "" if full else " "
        out += line
    return out


def _squash(text: str | None) -> str:
    return " ".join((text or "").split())


def _structured(text: str) -> dict[str, str]:
    pieces = _STRUCTURED.split(text)
    parts: dict[str, str] = {}
    for key, value in zip(pieces[1::2], pieces[2::2], strict=True):
        parts.setdefault(key, value)
    return parts


def _coded(text: str, marker: str) -> dict[str, str]:
    """'>20text>21text' (Triodos) or '?20text?32name' (German banks) as code -> text."""
    pieces = re.split(rf"\{marker}(\d{{2}})" if marker == "?" else rf"{marker}(\d{{2}})", text)
    parts: dict[str, str] = {}
    for code, value in zip(pieces[1::2], pieces[2::2], strict=True):
        parts[code] = parts.get(code, "") + value
    return parts


_COLON_KEY = re.compile(
    r"(?:(?<=[\s/])|^)(IBAN|BIC|NAAM|OMSCHRIJVING|MACHTIGING|INCASSANT|KENMERK|"
    r"BETALINGSKENM\.|REK):"
)


def _colon_keys(text: str) -> tuple[str, dict[str, str]] | None:
    """'SEPA OVERBOEKING IBAN: NL.. BIC: .. NAAM: .. OMSCHRIJVING: ..' (ABN AMRO) or
    'text REK: NL../NAAM: ..' (Knab) as (the text before the keys, key -> value)."""
    text = re.sub(
        r"(?<=\S)(REK:|NAAM:|OMSCHRIJVING:|KENMERK:|MACHTIGING:|INCASSANT:)", r" \1", text
    )
    pieces = _COLON_KEY.split(text)
    if len(pieces) < 3 or not {"NAAM", "REK", "IBAN"} & set(pieces[1::2]):
        return None
    parts: dict[str, str] = {}
    for key, value in zip(pieces[1::2], pieces[2::2], strict=True):
        parts.setdefault(key, _squash(value.strip().rstrip("/")))
    return pieces[0], parts


def details(lines: list[str]) -> dict[str, str | None]:
    """Split a :86: text into name, iban, description and end-to-end reference.

    Out: dict with keys name, iban, description, end_to_end, kind (the bank's
    transaction type words, e.g. 'SEPA INCASSO STORNO'), returned (a /RTRN/ code).
    """
    glued = "".join(lines)
    spaced = _joined(lines)
    out: dict[str, str | None] = dict.fromkeys(
        ("name", "iban", "description", "end_to_end", "kind", "returned")
    )
    if _STRUCTURED.search(glued):
        parts = _structured(glued)
        # the same parse of the text with word breaks reads better where the keys agree
        readable = _structured(spaced)
        if set(readable) == set(parts):
            parts = readable
        if "CNTP" in parts:  # ING, Triodos: account/BIC/name/city
            cntp = (parts["CNTP"].split("/") + ["", "", ""])[:4]
            out["iban"], out["name"] = cntp[0].strip() or None, cntp[2].strip() or None
        name = parts.get("NAME") or ""
        out["name"] = out["name"] or _squash(name.strip("/")) or None
        out["iban"] = out["iban"] or _squash(parts.get("IBAN", "").strip("/")) or None
        remittance = parts.get("REMI", "").strip()
        remittance = re.sub(r"^(USTD|STRD)//?", "", remittance)
        remittance = re.sub(r"^(CUR|ISO)/+", "", remittance)
        remittance = re.sub(r"/+$", "", remittance).replace("//", " ")
        out["description"] = _squash(remittance)
        eref = _squash(parts.get("EREF", "").strip("/"))
        out["end_to_end"] = eref if eref.upper() not in ("", "NOTPROVIDED", "NONREF") else None
        out["kind"] = _squash(parts.get("TRTP", "").strip("/")) or None
        out["returned"] = _squash(parts.get("RTRN", "").strip("/")) or None
        return out
    if re.match(r"^\d{3}>\d{2}", glued) or glued.startswith(">2"):  # Triodos (older)
        parts = _coded(glued, ">")
        account = parts.get("10", "").strip()
        if _is_account(parts.get("21", "").strip()):
            out["iban"] = parts["21"].strip()
            text = "".join(parts.get(str(c), "") for c in range(22, 30))
        else:
            out["iban"] = account if account.strip("0") else None
            text = "".join(parts.get(str(c), "") for c in range(20, 30))
        out["description"] = _squash(text)
        return out
    if re.match(r"^\d{3}\?\d{2}", glued):  # German banks (Sparkasse, Volksbank, ...)
        parts = _coded(glued, "?")
        out["name"] = _squash(parts.get("32", "") + parts.get("33", "")) or None
        out["iban"] = parts.get("31", "").strip() or None
        codes = [str(c) for c in range(20, 30)] + [str(c) for c in range(60, 64)]
        out["description"] = _squash(" ".join(parts.get(c, "") for c in codes))
        return out
    keyed = _colon_keys(spaced)
    if keyed is not None:  # ABN AMRO (SEPA, text), Knab (older): KEY: value
        lead, parts = keyed
        out["iban"] = (parts.get("IBAN") or parts.get("REK") or "").replace(" ", "") or None
        out["name"] = parts.get("NAAM") or None
        words = [parts.get(k, "") for k in ("OMSCHRIJVING", "KENMERK", "BETALINGSKENM.")]
        out["description"] = _squash(" ".join([lead.strip(" /"), *words]))
        return out
    giro = re.match(r"^\s*(GIRO\s+\d+|\d{2}\.\d{2}\.\d{2}\.\d{3})\s+(.+?)(?:\s{2,}(.*)|$)", spaced)
    if giro:  # ABN AMRO (older): account, name, then the description
        out["iban"] = re.sub(r"\D", "", giro.group(1))
        out["name"] = _squash(giro.group(2))
        out["description"] = _squash(giro.group(3))
        return out
    out["description"] = _squash(spaced)
    return out


def _entry(
    statement: Statement, number: int, lines: list[str], info: list[list[str]], seen: Counter
) -> BankEntry | Rejection:
    """One :61: line (its continuation, and its :86: lines) as a BankEntry, or why not."""
    name = statement.file_name
    head = lines[0].strip()
    match = _ENTRY.match(head)
    if not match and len(lines) > 1:  # a :61: line wrapped before its amount
        head = head + lines[1].strip()
        match = _ENTRY.match(head)
        lines = [head, *lines[2:]]
    if not match:
        return Rejection(
            name,
            number,
            ":61: entry",
            head,
            "not an entry line (date, optional booking date, C/D/RC/RD, amount, type)",
        )
    amount = _amount(match["amount"])
    if amount is None:
        return Rejection(
            name,
            number,
            ":61: amount",
            match["amount"],
            "not an amount (digits, a decimal comma, at most two decimals and 16 digits)",
        )
    value_date = _date(match["vdate"])
    booking_date = _booking_date(value_date, match["vdate"], match["edate"])
    if booking_date is None:
        booking_date = value_date
    if booking_date is None:
        return Rejection(name, number, ":61: date", match["vdate"], "not a valid date")
    mark = match["mark"]
    sign = -1 if mark in ("D", "RC", "ED") else 1
    rest = match["rest"]
    reference_part, _, bank_ref = rest.partition("//")
    layout = re.match(r"(\S*)(?:\s{2,}(.*))?", reference_part.strip())
    reference, fixed_name = layout.group(1), _squash(layout.group(2)) or None
    supplement = _squash(" ".join(lines[1:])) or None
    text_lines = [line for block in info for line in block]
    found = details(text_lines) if text_lines else dict.fromkeys(("name", "iban", "description"))
    iban = found["iban"]
    payer = found["name"] or fixed_name
    if _is_account(reference):  # SNS, ASN, Rabobank (older): the account on the :61: line
        iban = iban or reference
        if supplement and not _is_account(supplement) and not supplement.startswith("/"):
            payer = payer or supplement
    if supplement and _is_account(supplement):  # Rabobank: the account on the next line
        iban = iban or supplement.replace(" ", "")
    description = found["description"] or ""
    if iban and payer and description.upper().startswith(f"{iban} {payer}".upper()):
        description = description[len(iban) + len(payer) + 1 :].strip()  # SNS/ASN first line
    kind = found.get("kind") or ""
    reversal = mark in ("RC", "RD") or bool(found.get("returned"))
    reversal = reversal or bool(_REVERSAL_WORDS.search(kind))
    signed = amount * sign
    glued, spaced = "".join(text_lines), _joined(text_lines)
    return BankEntry(
        transaction_id=entry_id(
            statement.account,
            booking_date,
            f"{mark}{signed}",
            iban,
            description,
            bank_ref.strip() or None,
            seen,
        ),
        account=statement.account,
        currency=statement.currency or "",
        booking_date=booking_date,
        value_date=value_date,
        amount=signed,
        reversal=reversal,
        counterparty_name=payer,
        counterparty_iban=iban.replace(" ", "").upper() if iban else None,
        remittance=description,
        end_to_end=found.get("end_to_end"),
        match_text=" ".join(
            t for t in (description, glued, spaced, found.get("end_to_end") or "") if t
        ),
        line=number,
    )


def _balance(
    file_name: str, tag: str, number: int, value: str, which: str, problems: list[Rejection]
) -> tuple[Decimal, str] | None:
    """A :60:/:62: balance as (signed amount, currency); None, with the reason kept, if not."""
    balance = _BALANCE.match(value.replace(" ", ""))
    amount = _amount(balance.group(4)) if balance else None
    if amount is None:
        problems.append(
            Rejection(
                file_name,
                number,
                f":{tag}: {which} balance",
                value,
                "not a balance (C/D, date YYMMDD, currency, amount)",
            )
        )
        return None
    return amount * (-1 if balance.group(1) == "D" else 1), balance.group(3)


def read_mt940(path: str | Path, check: bool = True) -> list[Statement]:
    """Read every statement of an MT940 file, balances checked (unless `check` is False:
    for looking into a refused file, never for loading).

    In: the file. Out: its statements in file order (a day without movements
    is a statement with no entries). Raises StatementError naming the line,
    field, value and reason when anything cannot be read exactly, when a
    statement does not add up, or when the file is not an MT940 statement.
    """
    path = Path(path)
    fields = _fields(decode(path.read_bytes()))
    _check_is_statement(path.name, fields)
    reader = _StatementReader(path.name)
    for tag, number, lines in fields:
        reader.take(tag, number, lines)
    statements = reader.finish()
    if check:
        check_balances(statements)
    return statements


def _check_is_statement(file: str, fields: list) -> None:
    """Raise StatementError when `fields` are no MT940 statement (none of its fields, or
    an MT942 interim report)."""
    tags = {tag for tag, _, _ in fields}
    if not fields or not ({"61", "60F", "62F", "25"} & tags):
        raise StatementError(
            tr("{file}: no MT940 fields (:25:, :60F:, :61:, :62F:) found", file=file)
        )
    if tags & _INTERIM_TAGS and not tags & {"60F", "60M"}:
        raise StatementError(
            tr(
                "{file}: an MT942 interim report, not an account statement (no "
                "opening and closing balance); load the day's MT940 statement "
                "instead",
                file=file,
            )
        )


class _StatementReader:
    """Reads an MT940 file's fields in order into statements, collecting each field that
    cannot be read as a Rejection: `take` each field, then `finish`."""

    def __init__(self, file: str):
        self.file = file
        self.statements: list[Statement] = []
        self.problems: list[Rejection] = []
        self.seen: Counter = Counter()
        self.current: Statement | None = None
        self.pending: tuple[int, list[str], list[list[str]]] | None = None  # :61: + :86:

    def flush(self) -> None:
        """Turn the pending :61: line (and its :86: details) into an entry."""
        if self.pending is not None and self.current is not None:
            made = _entry(self.current, *self.pending, self.seen)
            if isinstance(made, Rejection):
                self.problems.append(made)
            else:
                self.current.entries.append(made)
        self.pending = None

    def start(self, number: int) -> Statement:
        """Begin a new statement at field line `number`."""
        self.flush()
        self.current = Statement(self.file, number, None, None, None, None)
        self.statements.append(self.current)
        return self.current

    def take(self, tag: str, number: int, lines: list[str]) -> None:
        """Read one field: its tag, line number and lines."""
        if tag == "20":
            self.start(number)
            return
        current = self.current or self.start(number)
        value = lines[0].strip()
        if tag == "25":
            if current.account is not None and (current.entries or self.pending or current.closing):
                current = self.start(number)
            current.account = re.sub(r"\s+", "", value) or None
        elif tag in ("60F", "60M"):
            self._opening(current, tag, number, value)
        elif tag == "61":
            self.flush()
            self.pending = (number, lines, [])
        elif tag == "86":
            self._details(number, lines)
        elif tag in ("62F", "62M"):
            self.flush()
            self._closing(current, tag, number, value)
        elif tag in ("64", "65"):
            self.flush()  # available balances: not used, never a reason to refuse

    def _opening(self, current: Statement, tag: str, number: int, value: str) -> None:
        if current.opening is not None:
            current = self.start(number)
        balance = _balance(self.file, tag, number, value, "opening", self.problems)
        if balance is not None:
            current.opening, current.currency = balance

    def _details(self, number: int, lines: list[str]) -> None:
        size = sum(len(line) for line in lines)
        if size > MAX_86_CHARS:
            self.problems.append(
                Rejection(
                    self.file,
                    number,
                    ":86:",
                    f"{size:,} characters",
                    f"longer than {MAX_86_CHARS:,} characters: the MT940 standard "
                    "allows 6 lines of 65; not a bank's statement",
                )  # fmt: skip
            )
        elif self.pending is not None:
            self.pending[2].append(lines)

    def _closing(self, current: Statement, tag: str, number: int, value: str) -> None:
        balance = _balance(self.file, tag, number, value, "closing", self.problems)
        if balance is None:
            return
        current.closing, currency = balance
        current.closing_line = number
        if current.currency and currency != current.currency:
            self.problems.append(
                Rejection(
                    self.file,
                    number,
                    f":{tag}: currency",
                    currency,
                    f"the opening balance is in {current.currency}",
                )
            )

    def finish(self) -> list[Statement]:
        """The statements read (empty ones left out); raises StatementError with every
        field that could not be read, or when there is no statement."""
        self.flush()
        statements = [s for s in self.statements if s.account or s.entries or s.opening is not None]
        if self.problems:
            raise StatementError(
                tr(
                    "{file}: refused, {n} field(s) cannot be read; nothing loaded.",
                    file=self.file,
                    n=len(self.problems),
                ),
                self.problems,
            )
        if not statements:
            raise StatementError(tr("{file}: no statement (:20: .. :62F:) found", file=self.file))
        return statements
