"""What the XML readers (CAMT.053 statements, UBL e-invoices) share: a parser that never
expands entities or reaches the network, and amounts read exactly to the cent."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation


def safe_parser():
    """An lxml parser without entity expansion, network access, comments or huge trees."""
    from lxml import etree

    return etree.XMLParser(
        resolve_entities=False, no_network=True, remove_comments=True, huge_tree=False
    )


def exact_cents(text: str | None) -> Decimal | None:
    """An XML amount ('1234.50', '25'), exact to the cent; None for anything else (a comma,
    NaN, 1E+30, thousandths)."""
    try:
        value = Decimal((text or "").strip())
    except InvalidOperation:
        return None
    if not value.is_finite() or abs(value) >= 10**16 or value != value.quantize(Decimal("0.01")):
        return None
    return value.quantize(Decimal("0.01"))
