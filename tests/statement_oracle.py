"""An independent reading of bank statements, for the tests only.

It shares no code with dunning_analytics: regular expressions over the raw text
(MT940) or plain ElementTree (CAMT.053) count each statement's entries, credits,
reversals and balances, so the reader under test is checked against the file itself.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

_BAL = re.compile(r"^:6([02])[FM]:([CD])(\d{6})([A-Z]{3})(\d+(?:[,.]\d{0,2})?)\s*$", re.M)
_ENT = re.compile(r"^:61:\d{6}(?:\d{4})?\s*(R?[CD])[A-Z]?\s*(\d+(?:[,.]\d{0,2})?)\s?[NSF]", re.M)


@dataclass
class OracleStatement:
    opening: Decimal | None = None
    closing: Decimal | None = None
    currency: str | None = None
    amounts: list[Decimal] = field(default_factory=list)  # signed
    reversals: int = 0

    @property
    def balanced(self) -> bool:
        return (
            self.opening is not None
            and self.closing is not None
            and self.opening + sum(self.amounts, Decimal(0)) == self.closing
        )


def _num(text: str) -> Decimal:
    whole, _, cents = text.replace(".", ",").partition(",")
    return Decimal(f"{whole}.{cents or '0'}")


def mt940(path: Path) -> list[OracleStatement]:
    """Statements as the text says, from :60: to :62:, in file order."""
    text = path.read_bytes().decode("latin-1")
    events = sorted(
        [(m.start(), "bal", m) for m in _BAL.finditer(text)]
        + [(m.start(), "ent", m) for m in _ENT.finditer(text)],
        key=lambda e: e[0],
    )
    statements: list[OracleStatement] = []
    current = None
    for _, kind, m in events:
        if kind == "bal" and m.group(1) == "0":
            current = OracleStatement(currency=m.group(4))
            current.opening = _num(m.group(5)) * (-1 if m.group(2) == "D" else 1)
            statements.append(current)
        elif kind == "bal":
            if current is None:
                current = OracleStatement()
                statements.append(current)
            current.closing = _num(m.group(5)) * (-1 if m.group(2) == "D" else 1)
            current = None
        else:
            if current is None:
                current = OracleStatement()
                statements.append(current)
            mark = m.group(1)
            sign = -1 if mark in ("D", "RC") else 1
            current.amounts.append(_num(m.group(2)) * sign)
            current.reversals += mark.startswith("R")
    return statements


def camt053(path: Path) -> list[OracleStatement]:
    """Booked entries per <Stmt>: Ntry/Amt signed by CdtDbtInd; OPBD/CLBD balances."""
    root = ET.parse(path).getroot()

    def local(el):
        return el.tag.rsplit("}", 1)[-1]

    def child(el, name):
        return next((c for c in el if local(c) == name), None)

    statements = []
    for stmt in (el for el in root.iter() if local(el) == "Stmt"):
        st = OracleStatement()
        for bal in (c for c in stmt if local(c) == "Bal"):
            code = "".join(t.strip() for t in child(bal, "Tp").itertext())
            amt = child(bal, "Amt")
            sign = -1 if child(bal, "CdtDbtInd").text.strip() == "DBIT" else 1
            value = Decimal(amt.text.strip()) * sign
            if code in ("OPBD", "PRCD") and st.opening is None:
                st.opening = value
            if code == "CLBD":
                st.closing = value
            st.currency = amt.get("Ccy")
        for ntry in (c for c in stmt if local(c) == "Ntry"):
            status = "".join(child(ntry, "Sts").itertext()).strip()
            if status != "BOOK":
                continue
            sign = -1 if child(ntry, "CdtDbtInd").text.strip() == "DBIT" else 1
            st.amounts.append(Decimal(child(ntry, "Amt").text.strip()) * sign)
            rvsl = child(ntry, "RvslInd")
            st.reversals += rvsl is not None and rvsl.text.strip().lower() == "true"
        statements.append(st)
    return statements
