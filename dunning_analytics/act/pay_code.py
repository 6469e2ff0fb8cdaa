"""Pay from the letter: the payment reference a letter asks to quote, and a SEPA payment QR
code (EPC069-12, the "girocode" European banking apps read) with segno.

`epc_payload(name, iban, amount, reference)` is the QR code's text, version 002: the
beneficiary's name and IBAN, the amount in euros and the reference (an RF creditor
reference as structured remittance, anything else as the payment's description).
`pay_qr(payload)` is the code as a PNG data URI for a letter's HTML.
`invoice_references(con, ids)` and `payment_code(sender, amount, invoices)` give a letter or a
confirmation its reference and code in one go.
"""

from __future__ import annotations

from decimal import Decimal

MAX_EPC_AMOUNT = Decimal("999999999.99")  # EPC069-12: EUR 0.01 to 999999999.99
MAX_TEXT = 140  # the unstructured remittance's length


def letter_reference(invoices: list[dict]) -> str:
    """In: a letter's invoices (invoice_id, payment_reference when known). Out: what the
    client quotes when paying: one invoice's own payment reference, else the invoice
    numbers separated by spaces (whole references, as bank matching reads them)."""
    if len(invoices) == 1 and invoices[0].get("payment_reference"):
        return str(invoices[0]["payment_reference"]).strip()
    text = " ".join(str(row["invoice_id"]) for row in invoices)
    return text if len(text) <= MAX_TEXT else text[: text.rfind(" ", 0, MAX_TEXT)]


def _is_rf(reference: str) -> bool:
    from stdnum import iso11649

    return iso11649.is_valid(reference)


def epc_payload(name: str, iban: str, amount: Decimal, reference: str, bic: str = "") -> str:
    """In: the beneficiary's name and IBAN (BIC optional), the amount in euros and the
    payment reference. Out: the EPC069-12 version 002 payload, or ValueError when the
    amount lies outside what the standard allows."""
    amount = Decimal(amount).quantize(Decimal("0.01"))
    if not Decimal("0.01") <= amount <= MAX_EPC_AMOUNT:
        raise ValueError(f"an EPC payment code holds EUR 0.01 to {MAX_EPC_AMOUNT}, not {amount}")
    structured = reference.replace(" ", "").upper()
    rf = _is_rf(structured)
    lines = [
        "BCD",
        "002",
        "1",  # UTF-8
        "SCT",
        bic.strip(),
        " ".join(name.split())[:70],
        iban.replace(" ", "").upper(),
        f"EUR{amount}",
        "",  # purpose
        structured if rf else "",
        "" if rf else " ".join(reference.split())[:MAX_TEXT],
    ]
    return "\n".join(lines)


def pay_qr(payload: str) -> str:
    """The payload as a QR code (error correction M, as EPC069-12 asks), a PNG data URI."""
    import segno

    return segno.make(payload, error="m", micro=False).png_data_uri(scale=4, border=4)


def invoice_references(con, invoice_ids: list[str]) -> list[dict]:
    """In: a ledger connection and invoice ids. Out: [{invoice_id, payment_reference}] in the
    ids' order (payment_reference None where the invoice asks for none)."""
    known = dict(
        con.execute(
            "SELECT invoice_id, payment_reference FROM invoices "
            "WHERE list_contains($ids, invoice_id)",
            {"ids": list(invoice_ids)},
        ).fetchall()
    )
    return [{"invoice_id": i, "payment_reference": known.get(i)} for i in invoice_ids]


def payment_code(sender: dict, amount: Decimal, invoices: list[dict]) -> tuple[str, str | None]:
    """In: the sender's details, the amount to pay and the invoices (invoice_references).
    Out: (the reference to quote, the SEPA payment QR code as a PNG data URI, or None when
    the sender has no IBAN or the amount lies outside what the standard carries)."""
    reference = letter_reference(invoices)
    if not sender.get("iban"):
        return reference, None
    try:
        payload = epc_payload(sender["name"], sender["iban"], amount, reference,
                              sender.get("bic") or "")  # fmt: skip
    except ValueError:
        return reference, None
    return reference, pay_qr(payload)
