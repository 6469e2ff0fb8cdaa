"""Bank statements as real banks write them: every public sample read exactly or refused
for a stated reason, payer fields per Dutch bank, reversals, currencies, several files."""

import datetime as dt
import re
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from dunning_analytics import LoadError, load
from dunning_analytics.cli import main
from dunning_analytics.ingest.bank import load_statement, load_statements, read_statement
from dunning_analytics.ingest.mt940 import read_mt940
from dunning_analytics.ledger import connected
from dunning_analytics.questions.aging import aging

sys.path.insert(0, str(Path(__file__).resolve().parent))
from statement_oracle import camt053, mt940  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "bank-statements"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared is not beside the repo")


def _samples() -> list[Path]:
    if not SHARED.is_dir():
        return []
    return sorted(
        p
        for p in SHARED.rglob("*")
        if p.is_file() and p.suffix not in (".md", ".json") and "exports-" not in str(p)
    )


def _is_camt(path: Path) -> bool:
    return path.read_bytes().lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"<")


@needs_shared
@pytest.mark.parametrize("path", _samples(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_public_statement_is_read_exactly_or_refused_for_a_stated_reason(path):
    """Compared with an independent reading of the same file (tests/statement_oracle.py)."""
    oracle = camt053(path) if _is_camt(path) else mt940(path)
    try:
        fmt, statements = read_statement(path)
    except LoadError as exc:  # refused: the reason must be one the file itself shows
        message = str(exc)
        assert path.name in message and "Traceback" not in message
        if "do not add up" in message or "has no opening" in message or "no closing" in message:
            assert not oracle or not all(s.balanced for s in oracle), message
        else:
            reasons = ("not a statement", "MT942", "not a CAMT.053", "no MT940 fields", "neither")
            reasons += ("not a balance",)  # the file's own balance line is malformed
            assert any(r in message for r in reasons + ("no statement",)), message
        return
    if fmt == "MT940":  # every statement exactly as the text says
        assert [(s.opening, s.closing) for s in statements] == [
            (o.opening, o.closing) for o in oracle
        ]
        for ours, theirs in zip(statements, oracle, strict=True):
            assert sorted(e.amount for e in ours.entries) == sorted(theirs.amounts)
            marked = sum(1 for e in ours.entries if e.reversal and e.amount != 0)
            assert marked >= theirs.reversals
    else:  # CAMT: the booked entries' money, however the details split it
        assert len(statements) == len(oracle)
        for ours, theirs in zip(statements, oracle, strict=True):
            assert sum(e.amount for e in ours.entries) == sum(theirs.amounts)
            incoming = sum(e.amount for e in ours.entries if e.amount > 0)
            assert incoming == sum(a for a in theirs.amounts if a > 0)
            assert sum(1 for e in ours.entries if e.reversal) >= theirs.reversals
    for statement in statements:
        assert statement.opening is None or statement.closing == statement.opening + sum(
            (e.amount for e in statement.entries), Decimal(0)
        )


# One entry per Dutch bank layout, checked by hand against the file: booking date, amount,
# payer name, payer account, description, and the invoice-like references a match can use.
GOLDEN = [
    (  # ABN AMRO, structured SEPA, a direct debit
        "derived/derived_abn_rc_storno.sta",
        0,
        (dt.date(2015, 1, 20), "121.00", "CAFE MON AMI", "NL57INGB0001212121", "FACTUUR 2015-0007"),
        "2015-0007",
    ),
    (  # ABN AMRO, SEPA as text with KEY: value
        "mt940-zilverline/abn__abn_sepa_overboeking.txt",
        0,
        (
            dt.date(2015, 1, 20),
            "10.50",
            "AA GHGHGH NETHERLANDS B.V.",
            "NL56CHAS0101010101",
            "SEPA OVERBOEKING 1412DEC 2015 CONSU LTING 7541410",
        ),
        "7541410",
    ),
    (  # ING, /CNTP/ with /REMI/USTD//
        "mt940-zilverline/ing__ing_purp.txt",
        0,
        (
            dt.date(2015, 3, 10),
            "-10.00",
            "T-Mobile Netherlands BV",
            "NL21BASN0272727272",
            "Factuurnummer 858585858585",
        ),
        "858585858585",
    ),
    (  # Triodos, /CNTP/ wrapped mid-word, an invoice number cut over two lines
        "mt940-zilverline/triodos_iban_2.txt",
        1,
        (
            dt.date(2018, 2, 27),
            "3456.29",
            "G-AAAAA N.V.",
            "NL21RABO0999999999",
            "Factuurnummer 201801-001",
        ),
        "201801-001",
    ),
    (  # Knab (older): REK: .. /NAAM: .. after a description, no glued words
        "mt940-zilverline/knab__knab.txt",
        1,
        (
            dt.date(2014, 10, 24),
            "10.00",
            "STICHTING DERDEN JAAP JANSSEN",
            "NL76INGB0444444444",
            "DIT IS EEN OMSCHRIJVING DIE BEST WEL LANG IS",
        ),
        "LANG",
    ),
    (  # Knab (SEPA): /TRTP/ with /EREF/ and /REMI/
        "mt940-zilverline/knab__knab_sepa_overboeking.txt",
        0,
        (
            dt.date(2016, 4, 22),
            "10.00",
            "ABABABABA AAAA SSSSSS",
            "NL61RABO0242424242",
            "201604-00 5",
        ),
        "3111211AA002222",
    ),
    (  # Rabobank (structured): account on the :61: continuation, /ORDP//NAME/
        "mt940-zilverline/rabobank_mt940_structured.txt",
        1,
        (
            dt.date(2013, 4, 3),
            "169.90",
            "Bedrijf B.V.",
            "0663616476",
            "NR.201303-111/11.3.2013 NR.201303-112/11.3.2013",
        ),
        "201303-112",
    ),
    (  # Rabobank (older): account and name in fixed columns of :61:
        "mt940-zilverline/two_accounts.txt",
        2,
        (
            dt.date(2012, 10, 28),
            "250.00",
            "ZILVERLINE B.V. /FREEMLE",
            "0156750961",
            "Saldo aanvullen",
        ),
        None,
    ),
    (  # SNS: the payer's IBAN on :61:, the name on the line after it
        "mt940-zilverline/sns__sns.txt",
        1,
        (
            dt.date(2014, 9, 10),
            "15000.00",
            "f. spark bedrijf n.v.",
            "NL11RABO0987654321",
            "358857495-nl11rabo0987654321-f. spark bedrijf n.v.",
        ),
        "358857495",
    ),
    (  # ASN: as SNS
        "mt940-wolph/ASNB__0708271685_09022020_164516.940.txt",
        4,
        (
            dt.date(2020, 1, 29),
            "828.72",
            "transfer solutions bv",
            "NL25INGB9999999999",
            None,
        ),
        None,
    ),
]


@needs_shared
@pytest.mark.parametrize("case", GOLDEN, ids=lambda c: c[0].split("/")[-1])
def test_payer_fields_per_dutch_bank_entry_by_entry(case):
    name, index, expected, reference = case
    entries = [e for s in read_mt940(SHARED / name, check=False) for e in s.entries]
    entry = entries[index]
    got = (
        entry.booking_date,
        f"{entry.amount:.2f}",
        entry.counterparty_name,
        entry.counterparty_iban,
        entry.remittance if expected[4] is not None else None,
    )
    assert got == expected
    if reference:
        assert reference in entry.match_text.replace(" ", "") or reference in entry.match_text


_NAMED = re.compile(
    r"/NAME/([^/]+)(?:/|$)|/CNTP/[^/]*/[^/]*/([^/]+)/|NAAM:\s*\S|:86:\d\d\.\d\d\.\d\d\.\d{3}\s+\S"
)
_NAME_ON_61 = re.compile(r"(NL\d\d[A-Z]{4}\d{10}|\d{9,10})\n[A-Za-z]")  # SNS, ASN


@needs_shared
@pytest.mark.parametrize(
    "name",
    [
        "mt940-zilverline/ing__mt940_iban.txt",
        "mt940-zilverline/triodos_iban_2.txt",
        "mt940-zilverline/knab__knab_with_iban.txt",
        "mt940-zilverline/knab__knab_two_blocks.txt",
        "mt940-zilverline/sns__sns.txt",
        "mt940-wolph/ASNB__0708271685_09022020_164516.940.txt",
        "mt940-zilverline/rabobank_mt940_structured.txt",
        "mt940-zilverline/abn__abnamro_structured.txt",
    ],
)
def test_a_payer_name_is_read_for_every_entry_that_has_one(name):
    """Count, straight from the text, the entries whose details name the payer (/NAME/,
    /CNTP/'s name, NAAM:, or the SNS/ASN line after :61:); each must come out with a name."""
    text = (SHARED / name).read_text(encoding="latin-1").replace("\r", "")
    blocks = text.split("\n:61:")[1:]
    expected = []
    for block in blocks:
        block = re.split(r"\n:6[2-5][FM]?:", block)[0]
        glued = block.replace("\n", "")
        head = block.split(":86:")[0]
        expected.append(
            bool(_NAMED.search(":86:" + glued.split(":86:")[-1]) or _NAME_ON_61.search(head))
        )
    entries = [e for s in read_mt940(SHARED / name, check=False) for e in s.entries]
    assert len(entries) == len(blocks)
    assert [bool(e.counterparty_name) for e in entries] == expected
    assert sum(expected) > 0


@needs_shared
def test_booking_date_is_the_entry_date_across_a_year_end():
    path = SHARED / "mt940-zilverline/knab__knab_date_and_accounting_date_different_year.txt"
    (entry,) = [e for s in read_mt940(path) for e in s.entries]
    assert (entry.value_date, entry.booking_date) == (dt.date(2014, 1, 1), dt.date(2013, 12, 29))


@needs_shared
def test_several_accounts_in_one_file_keep_their_own_account():
    _, statements = read_statement(SHARED / "mt940-zilverline/two_accounts.txt")
    assert [s.account for s in statements] == [
        "1567.50.961EUR",
        "9914.30.727EUR",
        "3462.483.153EUR",
        "1325.76.155EUR",
    ]
    assert [len(s.entries) for s in statements] == [2, 0, 0, 1]
    assert {e.account for e in statements[3].entries} == {"1325.76.155EUR"}


STORNO_HISTORY = """invoice_id;client_id;client_name;invoice_date;due_date;amount
2015-0007;K1;Cafe Mon Ami;02-01-2015;16-01-2015;121,00
2015-0009;K1;Cafe Mon Ami;05-01-2015;19-01-2015;50,00
"""


def owed(ledger, as_of, client="K1"):
    with connected(ledger, read_only=True) as con:
        frame = aging(con, as_of, by="client", client_id=client)
    return Decimal(0) if frame.empty else frame["outstanding"].iloc[0]


@needs_shared
def test_a_storno_reopens_the_invoice_from_its_booking_date(ledger, write):
    load(ledger, write("history.csv", STORNO_HISTORY))
    result = load_statement(ledger, SHARED / "derived" / "derived_abn_rc_storno.sta")
    assert (result.incoming, result.reversals) == (1, 1)
    assert dict(result.rules) == {"reference": 1, "reversal": 1}
    assert "invoice 2015-0007 open again" in result.summary()
    # paid on 20 January, the money taken back on 23 January
    assert owed(ledger, dt.date(2015, 1, 19)) == Decimal("171.00")
    assert owed(ledger, dt.date(2015, 1, 21)) == Decimal("50.00")
    assert owed(ledger, dt.date(2015, 1, 23)) == Decimal("171.00")
    with connected(ledger, read_only=True) as con:
        rows = con.execute(
            "SELECT match_rule, reversal, reverses IS NOT NULL FROM bank_transactions "
            "ORDER BY booking_date"
        ).fetchall()
    assert rows == [("reference", False, False), ("reversal", True, True)]


def _camt(entries: str, currency: str = "EUR", opening="0.00", closing="0.00") -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<Stmt><Id>1</Id><Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id><Ccy>{currency}</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="{currency}">{opening}</Amt>
<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2015-01-01</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="{currency}">{closing}</Amt>
<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2015-01-31</Dt></Dt></Bal>
{entries}
</Stmt></BkToCstmrStmt></Document>"""


def _ntry(amount, day, text, direction="CRDT", reversal=False, e2e="NOTPROVIDED"):
    return f"""<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>{direction}</CdtDbtInd>
<RvslInd>{"true" if reversal else "false"}</RvslInd><Sts>BOOK</Sts>
<BookgDt><Dt>2015-01-{day:02d}+01:00</Dt></BookgDt><NtryDtls><TxDtls>
<Refs><EndToEndId>{e2e}</EndToEndId></Refs><RltdPties><Dbtr><Nm>Cafe Mon Ami</Nm></Dbtr>
<DbtrAcct><Id><IBAN>NL57INGB0001212121</IBAN></Id></DbtrAcct></RltdPties>
<RmtInf><Ustrd>{text}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"""


def test_a_camt_reversal_found_by_end_to_end_reference_undoes_its_payment(ledger, write):
    load(ledger, write("history.csv", STORNO_HISTORY))
    paid = _ntry("121.00", 20, "factuur 2015-0007", e2e="E2E-77")
    back = _ntry("121.00", 23, "storno", direction="DBIT", reversal=True, e2e="E2E-77")
    load_statement(ledger, write("jan.xml", _camt(paid, closing="121.00")))
    result = load_statement(ledger, write("feb.xml", _camt(back, opening="121.00")))
    assert dict(result.rules) == {"reversal": 1}
    assert owed(ledger, dt.date(2015, 1, 22)) == Decimal("50.00")
    assert owed(ledger, dt.date(2015, 1, 24)) == Decimal("171.00")


def test_a_reversal_of_a_payment_not_in_the_ledger_changes_nothing_and_is_listed(ledger, write):
    load(ledger, write("history.csv", STORNO_HISTORY))
    back = _ntry("99.00", 23, "storno", direction="DBIT", reversal=True)
    result = load_statement(ledger, write("x.xml", _camt(back, closing="-99.00")))
    assert dict(result.rules) == {"reversal_unmatched": 1}
    assert "not in the ledger" in result.summary()
    assert owed(ledger, dt.date(2015, 1, 31)) == Decimal("171.00")


def test_a_second_payment_of_a_paid_invoice_is_listed_and_kept_as_credit(ledger, write):
    load(ledger, write("history.csv", STORNO_HISTORY))
    first = _ntry("121.00", 20, "factuur 2015-0007")
    again = _ntry("121.00", 27, "factuur 2015-0007")
    result = load_statement(ledger, write("jan.xml", _camt(first + again, closing="242.00")))
    assert dict(result.rules) == {"reference": 1, "paid_twice": 1}
    ((entry, why),) = result.paid_twice
    assert entry.booking_date == dt.date(2015, 1, 27)
    assert "2015-0007 was already paid on 20-01-2015; paid again on 27-01-2015" in why
    # the extra 121.00 pays the other open invoice (50.00); 71.00 is unapplied credit
    assert owed(ledger, dt.date(2015, 1, 31)) == Decimal("-71.00")


def test_a_payment_recorded_by_the_history_is_not_added_again(ledger, write):
    history = (
        STORNO_HISTORY.replace("amount\n", "amount;paid_date\n")
        .replace("121,00\n", "121,00;20-01-2015\n")
        .replace("50,00\n", "50,00;\n")
    )
    load(ledger, write("history.csv", history))
    first = _ntry("121.00", 20, "factuur 2015-0007")
    result = load_statement(ledger, write("jan.xml", _camt(first, closing="121.00")))
    assert dict(result.rules) == {"already_recorded": 1}
    assert owed(ledger, dt.date(2015, 1, 31)) == Decimal("50.00")
    # the history's payment is claimed once: the same invoice paid again is new money
    again = _ntry("121.00", 28, "factuur 2015-0007")
    result = load_statement(ledger, write("feb.xml", _camt(again, closing="121.00")))
    assert dict(result.rules) == {"paid_twice": 1}
    assert owed(ledger, dt.date(2015, 1, 31)) == Decimal("-71.00")
    # a storno takes back the latest payment of that amount from that payer: the credit
    back = _ntry("121.00", 30, "storno", direction="DBIT", reversal=True)
    result = load_statement(ledger, write("st.xml", _camt(back, closing="-121.00")))
    assert dict(result.rules) == {"reversal": 1}
    assert owed(ledger, dt.date(2015, 1, 31)) == Decimal("50.00")


def test_money_in_another_currency_is_refused(ledger, write):
    entry = _ntry("100.00", 5, "factuur 2015-0007").replace('Ccy="EUR"', 'Ccy="CHF"')
    with pytest.raises(LoadError, match="kept in CHF; invoices are in euros"):
        load_statement(ledger, write("chf.xml", _camt(entry, currency="CHF", closing="100.00")))


def test_details_split_an_entry_only_when_they_add_up(ledger, write):
    tx = """<TxDtls><Amt Ccy="EUR">{a}</Amt><RltdPties><Dbtr><Nm>{n}</Nm></Dbtr></RltdPties>
<RmtInf><Ustrd>factuur {i}</Ustrd></RmtInf></TxDtls>"""
    batch = (
        '<Ntry><Amt Ccy="EUR">300.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>'
        "<BookgDt><Dt>2015-01-05</Dt></BookgDt><NtryDtls>{parts}</NtryDtls></Ntry>"
    )
    split = batch.format(
        parts=tx.format(a="100.00", n="A", i="1") + tx.format(a="200.00", n="B", i="2")
    )
    _, (statement,) = read_statement(write("split.xml", _camt(split, closing="300.00")))
    assert [(e.amount, e.counterparty_name) for e in statement.entries] == [
        (Decimal("100.00"), "A"),
        (Decimal("200.00"), "B"),
    ]
    wrong = batch.format(
        parts=tx.format(a="100.00", n="A", i="1") + tx.format(a="100.00", n="B", i="2")
    )
    _, (statement,) = read_statement(write("wrong.xml", _camt(wrong, closing="300.00")))
    assert [e.amount for e in statement.entries] == [Decimal("300.00")]


@needs_shared
def test_a_batch_without_amounts_per_transaction_is_booked_once(ledger):
    path = SHARED / "derived" / "derived_camt053_batch_without_tx_amounts.xml"
    _, statements = read_statement(path)
    assert [e.amount for s in statements for e in s.entries] == [Decimal("300.00")]


def test_bad_camt_amounts_are_refused_with_element_and_value(write):
    for bad in ("NaN", "Infinity", "1E+30", "12.345"):
        entry = _ntry(bad, 5, "x")
        with pytest.raises(
            LoadError, match=rf"bad.xml:\d+: column 'Ntry/Amt' value '{re.escape(bad)}'"
        ):
            read_statement(write("bad.xml", _camt(entry)))


MT940_DAY = """:20:STMT
:25:NL91ABNA0417164300
:28C:1/1
:60F:C150105EUR100,00
{entries}:62F:C150105EUR{closing}
"""


def test_an_mt940_that_does_not_add_up_is_refused_with_the_numbers(write):
    text = MT940_DAY.format(
        entries=":61:1501050105C25,00NTRFNONREF\n:86:/NAME/X/REMI/f 1/\n", closing="120,00"
    )
    with pytest.raises(LoadError) as caught:
        read_statement(write("day.sta", text))
    message = str(caught.value)
    assert "day.sta:7: column 'closing balance' value '120.00'" in message
    assert "EUR 100.00 + 1 entries EUR 25.00 = EUR 125.00" in message


def test_a_day_without_movements_is_a_valid_statement(ledger, write):
    result = load_statement(
        ledger, write("empty.sta", MT940_DAY.format(entries="", closing="100,00"))
    )
    assert (result.statements, result.entries) == (1, 0)


def test_one_refused_file_stops_no_other(ledger, write, capsys):
    good = write("good.sta", MT940_DAY.format(entries="", closing="100,00"))
    bad = write("bad.sta", MT940_DAY.format(entries="", closing="1,00"))
    cp852 = write("oem.sta", "")
    cp852.write_bytes(MT940_DAY.format(entries="", closing="100,00").encode() + b"\x8e\xa0\n")
    outcome = load_statements(ledger, [bad, good, cp852])
    assert [type(o).__name__ for _, o in outcome] == [
        "StatementError",
        "StatementResult",
        "StatementResult",
    ]
    assert main(["bank", str(bad), str(good), "--ledger", str(ledger), "--force"]) == 1
    captured = capsys.readouterr()
    assert "refused: bad.sta" in captured.err and "Traceback" not in captured.err
    assert "1 of 2 files loaded; refused: bad.sta" in captured.out


def test_not_a_statement_is_refused_in_words(write):
    for name, text, words in (
        ("report.xml", _camt("").replace("BkToCstmrStmt", "BkToCstmrAcctRpt"), "CAMT.052"),
        ("notes.txt", "date,amount\n2026-10-01,5\n", "neither a CAMT.053"),
        ("interim.sta", ":20:X\n:25:NL1\n:28C:1\n:34F:EUR0,\n:13D:1501051200+0100\n", "MT942"),
    ):
        with pytest.raises(LoadError, match=words):
            read_statement(write(name, text))
