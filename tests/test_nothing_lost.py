"""Nothing a user types or loads destroys, silently changes or leaks the ledger (#36).

Each test is a user's ordinary mistake or a hostile file, run the way a user would (the
command line in this process, or the function a notebook calls), and checks what the
user would check afterwards: the ledger's bytes or numbers, the files on disk, the
message.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import re
import struct
import zipfile
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import OWN_SENDER, make_ledger
from test_bad_input import refused, run

from dunning_analytics import cli
from dunning_analytics.ingest.bank import reference_tokens
from dunning_analytics.ledger import MODELS_VERSION, ledger_end_date, open_ledger

DAY = dt.date(2026, 10, 15)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def rows(ledger, sql, params=None):
    con = duckdb.connect(str(ledger), read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


@pytest.fixture
def books(tmp_path) -> Path:
    """A small ledger: two open invoices of K1 (one overdue), one paid of K3."""
    ledger = tmp_path / "books.duckdb"
    make_ledger(
        ledger,
        invoices=[
            ("2026-10", "K1", "2026-08-01", "2026-08-31", 500),
            ("F-2", "K1", "2026-09-20", "2026-10-20", 300),
            ("F-3", "K3", "2026-07-01", "2026-07-31", 200),
        ],
        payments=[("p1", "K3", "F-3", "2026-08-05", 200)],
    ).close()
    return ledger


# ------------------------------------------------------------------ outputs never destroy inputs


@pytest.mark.parametrize("which", ["ledger", "wal", "key", "tmp"])
def test_an_output_onto_the_ledgers_own_files_is_refused_and_the_ledger_is_untouched(
    capsys, books, which
):
    targets = {
        "ledger": books,
        "wal": Path(f"{books}.wal"),
        "key": Path(f"{books}.pseudonym-key"),
        "tmp": Path(f"{books}.tmp") / "x.html",
    }
    before = digest(books)
    out = targets[which]
    out.parent.mkdir(exist_ok=True)  # DuckDB's spill folder exists while it spills
    for argv in (
        ["review", "--ledger", books, "--quarter", "2026Q3", "--out", out, "--quiet"],
        ["share", "--ledger", books, "--out", out],
        ["aging", "--ledger", books, "--out", out.with_suffix(".csv") if which == "tmp" else out],
    ):
        err = refused(capsys, *argv, "--force")  # not even with --force
        assert "never replaces the ledger" in err or "cannot write a" in err
    assert digest(books) == before
    assert rows(books, "SELECT count(*) FROM invoices") == [(3,)]


def test_an_existing_file_the_kit_did_not_write_is_kept_unless_forced(capsys, books, tmp_path):
    mine = tmp_path / "notes.csv"
    mine.write_text("my own notes\n")
    err = refused(capsys, "aging", "--ledger", books, "--as-of", "2026-09-20", "--out", mine)
    assert "was not written by dunning-analytics" in err and "--force" in err
    assert mine.read_text() == "my own notes\n"
    code, _, _ = run(
        capsys, "aging", "--ledger", books, "--as-of", "2026-09-20", "--out", mine, "--force"
    )
    assert code == 0 and "K1" in mine.read_text()
    # the kit's own output is replaced without asking; once the user edits it, it is theirs
    code, _, _ = run(capsys, "aging", "--ledger", books, "--as-of", "2026-09-19", "--out", mine)
    assert code == 0
    mine.write_text(mine.read_text() + "checked by me\n")
    refused(capsys, "aging", "--ledger", books, "--as-of", "2026-09-20", "--out", mine)
    assert mine.read_text().endswith("checked by me\n")


def test_share_never_replaces_a_database_a_device_or_a_folder(capsys, books, tmp_path):
    other = tmp_path / "other-books.duckdb"
    make_ledger(other, invoices=[("X", "K1", "2026-01-01", "2026-01-31", 10)]).close()
    before = digest(other)
    err = refused(capsys, "share", "--ledger", books, "--out", other, "--force")
    assert "DuckDB database" in err and digest(other) == before
    err = refused(capsys, "share", "--ledger", books, "--out", "/dev/null", "--force")
    assert "not a plain file" in err
    err = refused(capsys, "share", "--ledger", books, "--out", tmp_path, "--force")
    assert "a folder" in err
    # its own earlier copy is replaced
    copy = tmp_path / "shared.duckdb"
    assert run(capsys, "share", "--ledger", books, "--out", copy)[0] == 0
    assert run(capsys, "share", "--ledger", books, "--out", copy)[0] == 0


def test_a_full_disk_leaves_the_old_file_and_no_half_file(capsys, books, tmp_path, monkeypatch):
    import dunning_analytics.present.exports as exports

    out = tmp_path / "aging.xlsx"
    assert run(capsys, "aging", "--ledger", books, "--as-of", "2026-10-31", "--out", out)[0] == 0
    before = digest(out)

    def disk_full(safe, path, *args):
        path.write_bytes(b"PK\x03\x04 half")
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(exports, "_write_table_file", disk_full)
    code, _, err = run(capsys, "aging", "--ledger", books, "--as-of", "2026-10-30", "--out", out)
    assert code == 1 and "the disk is full" in err
    assert digest(out) == before
    new = tmp_path / "new.xlsx"
    assert run(capsys, "aging", "--ledger", books, "--out", new)[0] == 1
    assert not new.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith((".xlsx", ".part"))) == [
        "aging.xlsx"
    ]


def test_letters_of_clients_whose_ids_differ_only_in_signs_get_their_own_files(capsys, tmp_path):
    ledger = tmp_path / "l.duckdb"
    con = make_ledger(ledger)
    con.execute(
        "INSERT INTO clients (client_id, name, kind) VALUES ('K 1', 'Een', 'business'), "
        "('K/1', 'Twee', 'business')"
    )
    for number, client in (("A1", "K 1"), ("A2", "K/1")):
        con.execute(
            "INSERT INTO invoices (invoice_id, client_id, invoice_date, due_date, due_date_source,"
            " amount) VALUES (?, ?, DATE '2026-08-01', DATE '2026-08-31', 'file', 100)",
            [number, client],
        )
    con.close()
    folder = tmp_path / "letters"
    code, out, _ = run(
        capsys, "letters", "--ledger", ledger, "--as-of", "2026-09-02", "--out", folder,
        "--no-pdf", "--kind", "reminder", "--mark-sent",
    )  # fmt: skip
    assert code == 0
    emls = sorted(p.name for p in folder.glob("*.eml"))
    assert len(emls) == 2 and len(set(emls)) == 2
    sent = rows(ledger, "SELECT client_id FROM contacts WHERE kind = 'reminder' ORDER BY 1")
    assert sent == [("K 1",), ("K/1",)]


def test_one_bad_client_never_stops_the_others_letters(capsys, tmp_path):
    ledger = tmp_path / "l.duckdb"
    con = make_ledger(
        ledger,
        invoices=[
            ("A1", "K1", "2026-08-01", "2026-08-31", 100),
            ("A3", "K3", "2026-08-01", "2026-08-31", 100),
        ],
    )
    # what a hand edit (or an older kit's load) left: a name with a line break and a
    # header-injecting address
    con.execute(
        "UPDATE clients SET name = 'Bakker\r\nBcc: all@evil.example', "
        "email = 'a,b<c>@evil.example' WHERE client_id = 'K3'"
    )
    con.execute("UPDATE clients SET email = 'jansen@example.nl' WHERE client_id = 'K1'")
    con.close()
    folder = tmp_path / "out"
    code, out, err = run(
        capsys, "letters", "--ledger", ledger, "--as-of", "2026-09-02", "--out", folder,
        "--no-pdf", "--kind", "reminder", "--mark-sent",
    )  # fmt: skip
    letters = pd.read_csv(folder / "letters.csv", dtype=str)
    assert set(letters["client_id"]) == {"K1", "K3"}
    assert (letters["status"] == "written").all()
    k3 = (folder / letters.loc[letters["client_id"] == "K3", "eml"].iloc[0]).read_bytes()
    headers = k3.replace(b"\r\n", b"\n").split(b"\n\n")[0].decode().splitlines()
    assert not [h for h in headers if h.startswith(("Bcc:", "To:"))]  # no address is made up
    assert letters.set_index("client_id")["email"].fillna("")["K3"] == ""
    assert rows(ledger, "SELECT count(*) FROM contacts WHERE kind = 'reminder'") == [(2,)]


def test_a_letter_that_cannot_be_built_is_listed_and_not_marked_sent(capsys, tmp_path):
    ledger = tmp_path / "l.duckdb"
    make_ledger(
        ledger,
        invoices=[
            ("A1", "K1", "2026-08-01", "2026-08-31", 100),
            ("A3", "K3", "2026-08-01", "2026-08-31", 100),
        ],
    ).close()
    templates = tmp_path / "templates"
    templates.mkdir()
    source = Path(cli.__file__).resolve().parents[2] / "data" / "letters"
    for page in source.iterdir():
        text = page.read_text()
        if page.name == "reminder.en.html.j2":  # a user's edit that breaks for one client
            text = text.replace(
                "{{ client.contact_person or client.name }}",
                "{{ client.name }}{% if client.client_id == 'K3' %}{{ nope }}{% endif %}",
                1,
            )
            assert "nope" in text
        (templates / page.name).write_text(text)
    folder = tmp_path / "out"
    code, out, err = run(
        capsys, "letters", "--ledger", ledger, "--as-of", "2026-09-02", "--out", folder,
        "--no-pdf", "--kind", "reminder", "--templates", templates, "--mark-sent",
    )  # fmt: skip
    assert code == 1
    assert "reminder to K3: not written" in err and "nope" in err
    letters = pd.read_csv(folder / "letters.csv", dtype=str)
    assert letters.set_index("client_id")["status"]["K1"] == "written"
    assert letters.set_index("client_id")["status"]["K3"].startswith("not written")
    assert rows(ledger, "SELECT client_id FROM contacts") == [("K1",)]


# ------------------------------------------------------------------ no silent changes


HISTORY = "invoice_id,client_id,invoice_date,due_date,amount,paid_date\n"


def test_an_older_export_loaded_after_a_newer_one_keeps_the_recorded_payment(
    capsys, tmp_path, write
):
    ledger = tmp_path / "l.duckdb"
    newer = write("export-nov.csv", HISTORY + "F1,K1,2026-09-01,2026-10-01,400.00,2026-10-20\n")
    older = write("export-oct.csv", HISTORY + "F1,K1,2026-09-01,2026-10-01,400.00,\n")
    assert run(capsys, "load", newer, "--ledger", ledger, "--quiet")[0] == 0
    code, out, _ = run(capsys, "load", older, "--ledger", ledger, "--quiet")
    assert code == 0
    assert "1 invoices are recorded in the ledger as paid more than this file says" in out
    assert "--accept-older" in out
    paid = "SELECT paid_date, amount FROM payments WHERE invoice_id = 'F1'"
    assert rows(ledger, paid) == [(dt.date(2026, 10, 20), Decimal("400.00"))]
    code, out, _ = run(
        capsys, "load", older, "--ledger", ledger, "--quiet", "--force", "--accept-older"
    )
    assert code == 0 and "replaced by this file's" in out
    assert rows(ledger, paid) == []


def test_a_hand_edit_that_keeps_the_sums_is_seen_by_every_view(books):
    from dunning_analytics.questions.aging import aging

    con = open_ledger(books)  # as after a load: the index is up to date
    aging(con, dt.date(2026, 10, 31))
    con.close()
    con = duckdb.connect(str(books))  # a hand edit in plain SQL
    con.execute("UPDATE invoices SET amount = amount + 50 WHERE invoice_id = '2026-10'")
    con.execute("UPDATE invoices SET amount = amount - 50 WHERE invoice_id = 'F-2'")
    con.close()
    for read_only in (True, False):
        con = open_ledger(books, read_only=read_only)
        try:
            items = aging(con, dt.date(2026, 10, 31), by="invoice").set_index("invoice_id")
        finally:
            con.close()
        assert items.loc["2026-10", "outstanding"] == Decimal("550.00")
        assert items.loc["F-2", "outstanding"] == Decimal("250.00")


def test_an_invoice_number_is_matched_only_as_a_whole_reference():
    assert "2026-10" not in reference_tokens("termijn 2026-10-01 t/m 2026-10-31")
    assert "2026-10" not in reference_tokens("huur oktober 2026-10-15")
    assert "2026-10" not in reference_tokens("periode 2026-10 t/m 2026-12")
    assert "2026-10" in reference_tokens("factuur 2026-10, dank u")
    assert "2026-10" in reference_tokens("Fact.nr. INV-2026-10")
    assert "2026-0012" in reference_tokens("betaling INV-2026-0012/0013")


def test_a_bank_payment_describing_a_period_is_not_booked_on_an_invoice(books, tmp_path):
    from dunning_analytics.ingest.bank import load_statement

    statement = tmp_path / "okt.sta"
    statement.write_text(
        ":20:940S261031\n:25:NL39RABO0300065264\n:28C:10/1\n:60F:C261001EUR0,00\n"
        ":61:2610021002C500,00N541NONREF\n"
        ":86:/TRTP/SEPA OVERBOEKING/IBAN/NL20INGB0001234567/BIC/INGBNL2A/NAME/O\n"
        "nbekend/REMI/USTD//termijn 2026-10-01 t/m 2026-10-31/EREF/NOTPROVIDED\n"
        ":62F:C261002EUR500,00\n-\n"
    )
    load_statement(books, statement)
    assert rows(books, "SELECT count(*) FROM payments WHERE invoice_id = '2026-10'") == [(0,)]


@pytest.mark.parametrize(
    ("line", "column", "words"),
    [
        ("F9,K1,2199-01-01,2199-01-31,100.00,", "invoice_date", "more than 62 days after today"),
        ("F9,K1,1985-01-01,1985-01-31,100.00,", "invoice_date", "before 1990"),
        ("F9,K1,2020-01-01,2020-01-31,100.00,2072-01-01", "paid_date", "more than 10 years after"),
    ],
)
def test_far_dates_are_refused_with_their_reason(capsys, tmp_path, write, line, column, words):
    ledger = tmp_path / "l.duckdb"
    assert run(capsys, "load", write("a.csv", HISTORY + "F1,K1,2026-09-01,2026-10-01,400.00,\n"),
               "--ledger", ledger, "--quiet")[0] == 0  # fmt: skip
    err = refused(
        capsys, "load", write("b.csv", HISTORY + line + "\n"), "--ledger", ledger, "--quiet"
    )
    assert f"b.csv:2: column '{column}'" in err and words in err and "--allow-far-dates" in err
    assert rows(ledger, "SELECT count(*) FROM invoices") == [(1,)]


def test_one_outlier_loaded_on_purpose_never_moves_the_default_date(capsys, tmp_path, write):
    ledger = tmp_path / "l.duckdb"
    text = HISTORY + "F1,K1,2026-09-01,2026-10-01,400.00,\nF2,K1,2199-09-01,2199-10-01,10.00,\n"
    code, out, _ = run(capsys, "load", write("a.csv", text), "--ledger", ledger, "--quiet",
                       "--allow-far-dates")  # fmt: skip
    assert code == 0 and "Loaded with --allow-far-dates: 2 dates" in out
    assert ledger_end_date(ledger, today=dt.date(2026, 12, 3)) == dt.date(2026, 9, 1)
    contact = ["contact", "--ledger", str(ledger), "--client", "K1", "--kind", "call", "--at"]
    with pytest.raises(SystemExit):  # argparse answers a date outside 1990-2099 itself
        cli.main([*contact, "2199-01-01 10:00"])
    assert "give a date from 1990 to 2099" in capsys.readouterr().err
    err = refused(capsys, *contact, "2098-01-01 10:00")
    assert "contact time 01-01-2098 is more than 62 days after today" in err


def test_the_largest_amounts_sum_in_every_view_and_larger_ones_are_refused(capsys, tmp_path, write):
    ledger = tmp_path / "l.duckdb"
    err = refused(capsys, "load", write("huge.csv", HISTORY + "F1,K1,2026-09-01,2026-10-01,"
                  "9999999999999999.99,\n"), "--ledger", ledger, "--quiet")  # fmt: skip
    assert "the largest amount the ledger takes" in err
    big = "999999999.99"
    text = HISTORY + f"F1,K1,2026-08-01,2026-09-01,{big},\nF2,K1,2026-08-02,2026-09-02,{big},\n"
    assert run(capsys, "load", write("big.csv", text), "--ledger", ledger, "--quiet")[0] == 0
    Path(f"{ledger}.sender.toml").write_text(OWN_SENDER)  # the owner's letterhead
    as_of = ("--as-of", "2026-10-05")
    code, out, _ = run(capsys, "aging", "--ledger", ledger, *as_of)
    assert code == 0 and "€1,999,999,999.98" in out
    for argv in (["risk", *as_of], ["calls", *as_of], ["forecast", *as_of],
                 ["letters", *as_of, "--out", tmp_path / "l", "--no-pdf"],
                 ["review", "--quarter", "2026Q3", "--out", tmp_path / "r.html", "--quiet",
                  "--allow-partial"]):  # fmt: skip
        assert run(capsys, argv[0], "--ledger", ledger, *argv[1:])[0] == 0, argv


# ------------------------------------------------------------------ values inside their meaning


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            "[terms]\ndeposit_percent = 250\n",
            "line 2: terms.deposit_percent = 250 must be a percentage from 0 to 100",
        ),
        (
            "[terms]\nstaged_parts = 0\n",
            "terms.staged_parts = 0 must be a whole number of parts from 1 to 12",
        ),
        (
            '[rules.overdue_now]\nenabled = "no"\n',
            "line 2: rules.overdue_now.enabled = 'no' must be true or false",
        ),
        ('[terms]\ndeposit_percent = "thirty"\n', "terms.deposit_percent = 'thirty' must be"),
        ("[rules.chronic_late]\nmin_late_share = 50\n", "must be a fraction from 0 to 1"),
    ],
)
def test_policy_values_outside_their_meaning_are_refused_with_their_line(
    capsys, books, write, text, words
):
    err = refused(capsys, "risk", "--ledger", books, "--policy", write("p.toml", text))
    assert "p.toml" in err and words in err


def test_a_percentage_for_the_vat_fraction_is_refused_before_any_letter(capsys, books, write):
    sender = (Path(cli.__file__).resolve().parents[2] / "data" / "sender.toml").read_text()
    path = write("me.toml", sender + "vat_rate_on_costs = 21\n")
    err = refused(capsys, "letters", "--ledger", books, "--out", books.parent / "x",
                  "--sender", path, "--no-pdf")  # fmt: skip
    assert "vat_rate_on_costs = 21 must be a fraction from 0 to 1: 0.21 for 21 %" in err
    assert f"line {len(sender.splitlines()) + 1}:" in err
    assert not (books.parent / "x").exists()


@pytest.mark.parametrize(
    ("flag", "text", "words"),
    [
        ("--mapping", "invoice_id = 3\n", "invoice_id = 3 must be a column name in double quotes"),
        ("--preset", "[columns]\ninvoice_id = 12\n", "line 2: columns.invoice_id = 12"),
    ],
)
def test_mapping_and_preset_values_of_the_wrong_type_are_refused(
    capsys, tmp_path, write, flag, text, words
):
    data = write("x.csv", "a,b\n1,2\n")
    err = refused(
        capsys, "load", data, "--ledger", tmp_path / "l.duckdb", flag, write("m.toml", text)
    )
    assert words in err


def test_a_ladder_value_of_the_wrong_type_is_refused_with_its_line(write):
    from dunning_analytics.common.settings_file import SettingsError
    from dunning_analytics.questions.dunning import load_ladder

    default = (Path(cli.__file__).resolve().parents[2] / "data" / "dunning.toml").read_text()
    broken = default.replace("minutes_per_call = 15", 'minutes_per_call = "15"')
    with pytest.raises(SettingsError, match=r"line \d+: calls.minutes_per_call = '15' must be"):
        load_ladder(write("ladder.toml", broken))
    broken = default.replace('"13:30-15:30"', '"half twee"')
    with pytest.raises(SettingsError, match="golden hour 'half twee' must read like 09:30-11:30"):
        load_ladder(write("ladder.toml", broken))


def test_a_call_sheet_without_a_payment_term_says_it_is_unknown(books):
    from dunning_analytics.questions.dunning import call_plan

    planned, unplanned = call_plan(books, dt.date(2026, 10, 12))
    sheets = [call.sheet() for call in planned + unplanned]
    assert sheets and all("nan" not in sheet for sheet in sheets)
    assert any("payment term unknown" in sheet for sheet in sheets)


# ------------------------------------------------------------------ shared copies leak nothing


def test_every_column_of_every_table_has_a_stated_fate_in_a_shared_copy(books, tmp_path):
    from dunning_analytics.ledger import TABLES
    from dunning_analytics.ledger.privacy import COPY_COLUMNS, NOT_COPIED

    con = duckdb.connect(str(books), read_only=True)
    columns = {
        (t, c)
        for t, c in con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = "
            "current_database()"
        ).fetchall()
        if t in TABLES
    }
    con.close()
    stated = {(t, c) for t, cols in COPY_COLUMNS.items() for c in cols}
    assert {t for t, _ in columns} == set(COPY_COLUMNS) | set(NOT_COPIED)
    assert {(t, c) for t, c in columns if t not in NOT_COPIED} == stated


def test_a_shared_copy_holds_no_payment_reference_name_or_contact_detail(capsys, books, tmp_path):
    con = duckdb.connect(str(books))
    con.execute("UPDATE invoices SET payment_reference = 'RF18-2026-10-JANSEN'")
    con.execute(
        "UPDATE clients SET email = 'info@jansen.example', phone = '06-12345678', "
        "address = 'Dorpsstraat 1', contact_person = 'Piet Jansen'"
    )
    con.execute(
        "INSERT INTO contacts (contact_id, client_id, contact_at, kind, note) VALUES "
        "('c1', 'K1', TIMESTAMP '2026-09-10 10:00', 'call', 'Piet zegt morgen')"
    )
    con.close()
    copy = tmp_path / "shared.duckdb"
    assert run(capsys, "share", "--ledger", books, "--out", copy)[0] == 0
    raw = copy.read_bytes()
    for secret in ("RF18", "JANSEN", "Jansen", "jansen.example", "12345678", "Dorpsstraat",
                   "Piet", "2026-10", "Bakker"):  # fmt: skip
        assert secret.encode() not in raw, secret
    assert rows(copy, "SELECT count(*), sum(amount) FROM invoices") == [(3, Decimal("1000.00"))]


def test_aliases_stay_the_same_when_the_ledger_grows(tmp_path):
    import hmac

    from dunning_analytics.ledger.privacy import aliases

    key = bytes(range(32))
    clients = [f"C{i:05d}" for i in range(2000)]

    def head(client):  # the six hex digits short aliases were cut to
        return hmac.new(key, client.encode(), "sha256").hexdigest()[:6]

    heads = {head(c) for c in clients}
    # a new client whose first six digits are an existing client's: the case that
    # renamed every alias when aliases grew to stay apart
    newcomer = next(f"N{i}" for i in range(10**6) if head(f"N{i}") in heads)
    before = aliases(clients, key)
    after = aliases([*clients, newcomer], key)
    assert {c: after[c] for c in clients} == before
    assert len(set(after.values())) == 2001


# ------------------------------------------------------------------ text from files is inert


def test_escape_sequences_and_line_breaks_in_names_never_reach_the_terminal(capsys, books):
    con = duckdb.connect(str(books))
    con.execute(
        "UPDATE clients SET name = 'Jansen\x1b[2J\x1b]0;owned\x07\r\nK9  Fake  [stop]' "
        "WHERE client_id = 'K1'"
    )
    con.close()
    for command in ("aging", "risk", "calls"):
        code, out, err = run(capsys, command, "--ledger", books, "--as-of", "2026-10-12")
        assert code == 0
        assert "\x1b" not in out + err and "\x07" not in out + err and "\r" not in out
        assert not any(line.startswith("K9  Fake") for line in out.splitlines()), command


def test_a_line_break_in_a_payers_name_fakes_no_line_in_the_bank_report(capsys, books, tmp_path):
    statement = tmp_path / "okt.xml"
    source = (Path(__file__).parent / "data" / "bank" / "camt053_2026-10.xml").read_text()
    name = source.split("<Nm>", 1)[1].split("</Nm>", 1)[0]
    statement.write_text(
        source.replace(f"<Nm>{name}</Nm>", f"<Nm>{name}&#13;&#10;  unmatched: fake line</Nm>", 1)
    )
    code, out, err = run(capsys, "bank", statement, "--ledger", books)
    assert not any(line.startswith("  unmatched: fake line") for line in out.splitlines())


def test_an_email_address_with_a_display_name_trick_is_refused_at_the_load(capsys, tmp_path, write):
    text = 'client_id,name,email\nK1,Jansen,"a,b<c>@evil.example"\nK2,Smit,smit@example.nl\n'
    err = refused(capsys, "load", write("c.csv", text), "--ledger", tmp_path / "l.duckdb",
                  "--kind", "clients", "--quiet")  # fmt: skip
    assert "c.csv:2: column 'email'" in err and "not an e-mail address" in err


def test_names_become_no_markup_in_chart_labels():
    from dunning_analytics.present.charts import client_label

    assert client_label("<b>Big</b> & Co", "K1") == "&lt;b&gt;Big&lt;/b&gt; &amp; Co (K1)"
    assert client_label("Studio Brouwer", "Studio Brouwer") == "Studio Brouwer"
    assert client_label("Jansen\r\n<a href='x'>", "K1") == "Jansen &lt;a href='x'&gt; (K1)"


# ------------------------------------------------------------------ hostile files are bounded


def lying_zip(path: Path, size: int, declared: int) -> Path:
    """A zip whose one member unpacks to `size` bytes but declares `declared`."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("invoice.xml", b"<Invoice>" + b" " * size + b"</Invoice>")
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature)
        data[at + offset : at + offset + 4] = struct.pack("<I", declared)
    path.write_bytes(bytes(data))
    return path


def test_a_zip_member_that_lies_about_its_size_is_never_unpacked_past_the_limit(capsys, tmp_path):
    import tracemalloc

    bomb = lying_zip(tmp_path / "facturen.zip", 200 * 2**20, 1000)
    assert bomb.stat().st_size < 2 * 2**20
    tracemalloc.start()
    err = refused(capsys, "load", bomb, "--ledger", tmp_path / "l.duckdb", "--quiet")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "facturen.zip:invoice.xml" in err
    assert "too large for an invoice" in err or "cannot be unpacked" in err
    assert peak < 80 * 2**20


def test_an_archive_inside_an_archive_is_reported_not_skipped(capsys, tmp_path):
    inner = tmp_path / "inner.zip"
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("a.xml", "<Invoice/>")
    outer = tmp_path / "outer.zip"
    with zipfile.ZipFile(outer, "w") as archive:
        archive.write(inner, "inner.zip")
    err = refused(capsys, "load", outer, "--ledger", tmp_path / "l.duckdb", "--quiet")
    assert "outer.zip:inner.zip" in err and "an archive inside an archive" in err


def test_a_huge_plain_xml_and_a_huge_mt940_field_are_refused_quickly(capsys, tmp_path):
    big = tmp_path / "groot.xml"
    big.write_bytes(b"<Invoice>" + b" " * (21 * 2**20) + b"</Invoice>")
    err = refused(capsys, "load", big, "--ledger", tmp_path / "l.duckdb", "--quiet")
    assert "groot.xml" in err and "too large for an invoice" in err
    sta = tmp_path / "lang.sta"
    sta.write_text(
        ":20:940S261031\n:25:NL39RABO0300065264\n:28C:10/1\n:60F:C261001EUR0,00\n"
        ":61:2610021002C5,00N541NONREF\n:86:/REMI/" + "ab " * 2_000_000 + "\n"
        ":62F:C261002EUR5,00\n-\n"
    )
    code, out, err = run(capsys, "bank", sta, "--ledger", tmp_path / "l.duckdb")
    assert (
        code == 1 and "lang.sta:6: column ':86:'" in err and "longer than 4,000 characters" in err
    )


# ------------------------------------------------------------------ every refusal is a sentence


@pytest.mark.parametrize(
    "argv",
    [
        ["forecast", "--weeks", "-3"],
        ["review", "--quarter", "0001Q1", "--out", "{tmp}/r.html"],
        ["contact", "--client", "K1", "--kind", "promise", "--promised-amount", "NaN"],
        ["contact", "--client", "K1", "--kind", "promise", "--promised-amount", "1e400"],
        ["calls", "--as-of", "9999-12-31"],
        ["aging", "--as-of", "0001-01-01"],
        ["load", "{tmp}/x.csv", "--date-format", "%Q"],
        ["letters", "--out", "{tmp}/l", "--templates", "{tmp}/no-such-folder", "--no-pdf"],
    ],
)
def test_what_a_user_can_type_is_answered_in_a_sentence(capsys, books, tmp_path, argv):
    (tmp_path / "x.csv").write_text("invoice_id,client_id,invoice_date,amount\nA,K1,01-01-2026,1\n")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    try:
        code = cli.main([argv[0], "--ledger", str(books), *argv[1:]])
    except SystemExit as exc:  # argparse refuses a malformed option itself, with usage
        code = exc.code
    out, err = capsys.readouterr()
    assert code in (1, 2) and "unexpected problem" not in err and "Traceback" not in err
    assert err.strip(), "a refusal says why"


def test_a_damaged_ledger_is_reported_as_damaged_not_as_in_use(capsys, books):
    data = bytearray(books.read_bytes())
    data[5000:200000] = bytes(len(data[5000:200000]))
    books.write_bytes(bytes(data))
    err = refused(capsys, "aging", "--ledger", books)
    assert "is damaged" in err and "in use" not in err and "Restore it from a backup" in err


def test_a_ledger_from_a_newer_kit_is_refused_naming_both_versions(capsys, books):
    con = duckdb.connect(str(books))
    con.execute("UPDATE ledger_meta SET value = '999' WHERE key = 'models_version'")
    con.close()
    before = digest(books)
    for argv in (["aging", "--ledger", books], ["share", "--ledger", books, "--aliases"]):
        err = refused(capsys, *argv)
        assert f"ledger version 999; this kit knows up to {MODELS_VERSION}" in err
    assert digest(books) == before


def test_ctrl_c_during_a_load_says_what_was_kept(capsys, books, write, monkeypatch):
    import dunning_analytics.ingest.loading as loading

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(loading, "_write_invoices", interrupted)
    before = rows(books, "SELECT count(*), sum(amount) FROM invoices")
    code = cli.main(["load", str(write("n.csv", HISTORY + "N1,K1,2026-09-01,,5.00,\n")),
                     "--ledger", str(books), "--quiet"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 130 and "Stopped (Ctrl-C)" in err and "the ledger is as it was" in err
    assert "Traceback" not in err
    assert rows(books, "SELECT count(*), sum(amount) FROM invoices") == before


def test_letters_on_a_ledger_with_nothing_open_say_so(capsys, tmp_path):
    ledger = tmp_path / "paid.duckdb"
    make_ledger(
        ledger,
        invoices=[("A1", "K1", "2026-08-01", "2026-08-31", 100)],
        payments=[("p1", "K1", "A1", "2026-08-20", 100)],
    ).close()
    code, out, _ = run(capsys, "letters", "--ledger", ledger, "--out", tmp_path / "l", "--no-pdf")
    assert code == 0 and "No letters due" in out
    assert run(capsys, "forecast", "--ledger", ledger)[0] == 0


def test_the_excel_button_never_replaces_a_file_of_the_users(books, tmp_path):
    from dunning_analytics.notebook.widgets import AgingExplorer

    explorer = AgingExplorer(books, as_of=dt.date(2026, 9, 20), export_folder=tmp_path)
    mine = tmp_path / "aging-2026-09-20.xlsx"
    mine.write_bytes(b"my own workbook")
    written = explorer.export()
    assert written.name == "aging-2026-09-20 (2).xlsx"
    assert mine.read_bytes() == b"my own workbook"
    assert explorer.export() == written  # its own file is replaced, not multiplied


def test_a_client_whose_id_is_its_name_is_named_once(tmp_path):
    from dunning_analytics.common.formatting import client_text
    from dunning_analytics.questions.dunning import call_plan

    assert client_text("Studio Brouwer", "Studio Brouwer") == "Studio Brouwer"
    assert client_text("Jansen", "K1") == "Jansen (K1)"
    ledger = tmp_path / "l.duckdb"
    con = make_ledger(ledger, invoices=[("A1", "Studio Brouwer", "2026-08-01", "2026-08-31", 90)])
    con.execute("INSERT INTO clients (client_id, name) VALUES ('Studio Brouwer', 'Studio Brouwer')")
    con.execute(
        "INSERT INTO contacts (contact_id, client_id, invoice_id, contact_at, kind) VALUES "
        "('r', 'Studio Brouwer', 'A1', TIMESTAMP '2026-09-01 09:00', 'reminder')"
    )
    con.close()
    planned, unplanned = call_plan(ledger, dt.date(2026, 9, 14))
    sheet = (planned + unplanned)[0].sheet()
    assert "Studio Brouwer" in sheet and "Studio Brouwer (Studio Brouwer)" not in sheet


def test_tables_outside_the_explorers_keep_dates_and_euros_on_one_line():
    from dunning_analytics.present.charts import shown_table

    frame = pd.DataFrame(
        {
            "as_of": [dt.date(2026, 10, 31)],
            "revenue_share": [0.27],
            "revenue": [Decimal("4271172.50")],
        }
    )
    page = shown_table(frame, money=["revenue"], lang="nl").to_html()
    assert "0,27" in page and "0.270000" not in page  # rounded, the Dutch way
    assert "€ 4.271.172,50" in page and "4271172.50" not in page
    assert "31-10-2026" in page
    rules = re.findall(r"([^{}]+)\{([^}]*)\}", page.split("</style>")[0])
    unwrapped = ",".join(selectors for selectors, props in rules if "nowrap" in props)
    for column in ("col0", "col1", "col2"):  # the date, the share and the euros
        assert f"_row0_{column}" in unwrapped, column
