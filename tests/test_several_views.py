"""Several views, one ledger (#32): explorers and notebooks never hold the ledger between
updates, and a writer waits a short, bounded time for a reader instead of failing."""

import datetime as dt
import subprocess
import sys
import textwrap
import time

import pytest
from conftest import make_ledger

import dunning_analytics.ledger as ledger_module
from dunning_analytics.cli import main
from dunning_analytics.ledger import LedgerLockedError, open_ledger


def _books(path):
    make_ledger(
        path,
        invoices=[
            ("A", "K1", "2026-08-01", "2026-08-31", 100),
            ("B", "K3", "2026-08-02", "2026-09-01", 50),
        ],
        contacts=[("r1", "K1", "A", dt.datetime(2026, 9, 2, 9), "reminder")],
    ).close()
    return path


def _reader(path, seconds: float) -> subprocess.Popen:
    """Another process (a notebook's kernel) reading the ledger for `seconds`."""
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, time
            con = duckdb.connect({str(path)!r}, read_only=True)
            print("reading", flush=True)
            time.sleep({seconds})
            con.close()
            time.sleep(30)
        """)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout.readline().strip() == "reading"
    return holder


def test_every_explorer_lets_go_of_the_ledger_between_updates(demo_ledger, tmp_path):
    from dunning_analytics.notebook.forecast_panel import CashForecastView, new_invoice_panel
    from dunning_analytics.notebook.widgets import aging_explorer, client_explorer, risk_explorer

    path = tmp_path / "books.duckdb"
    path.write_bytes(demo_ledger.read_bytes())
    views = [aging_explorer(path), client_explorer(path), risk_explorer(path)]
    views.append(new_invoice_panel(views[2]))
    views.append(CashForecastView(path))
    views[0].as_of.set(dt.date(2026, 9, 30))  # a date typed: the chart and table update
    views[0].pick(views[0].frame["client_id"].iloc[0])
    views[2].refresh()
    for view in (*views[:3], views[4]):  # each says up to which date the ledger has data
        assert view.widget.children[0].value == "<p class='da-data-note'>Data up to 2026-10-31.</p>"
    # with all of them shown, another program can write the ledger at once
    con = open_ledger(path, wait=0)
    con.close()


def test_a_contact_is_recorded_while_a_notebook_reads(monkeypatch, tmp_path, capsys):
    path = _books(tmp_path / "books.duckdb")
    monkeypatch.setattr(ledger_module, "WAIT_SECONDS", 10.0)
    holder = _reader(path, 1.5)
    try:
        started = time.monotonic()
        code = main(["contact", "--ledger", str(path), "--client", "K1", "--invoice", "A",
                     "--kind", "call", "--at", "2026-09-09 10:00"])  # fmt: skip
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert code == 0, capsys.readouterr().err
    assert 1.0 < waited < 10
    con = open_ledger(path, read_only=True)
    assert con.execute("SELECT count(*) FROM contacts WHERE kind = 'call'").fetchall() == [(1,)]
    con.close()


def test_a_writer_that_stays_blocked_names_the_notebook_that_holds_the_file(tmp_path):
    path = _books(tmp_path / "books.duckdb")
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, time
            con = duckdb.connect({str(path)!r})
            print("holding", flush=True)
            time.sleep(30)
        """)],
        stdout=subprocess.PIPE, text=True,
        env={"JPY_SESSION_NAME": "/home/me/notebooks/02_aging.ipynb", "PATH": "/usr/bin"},
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "holding"
        started = time.monotonic()
        with pytest.raises(LedgerLockedError) as info:
            open_ledger(path)
        assert time.monotonic() - started >= 0.9  # it waited (1 s in tests) before refusing
    finally:
        holder.kill()
        holder.wait()
    text = str(info.value)
    assert "the notebook /home/me/notebooks/02_aging.ipynb" in text and "kernel-" not in text


def test_acting_is_for_today_and_old_data_is_named(capsys, tmp_path):
    from dunning_analytics.ledger import data_note, working_day

    path = _books(tmp_path / "books.duckdb")  # data up to 02-09-2026
    today = dt.date(2026, 12, 3)
    assert working_day(path, today) == today
    note = data_note(path, "nl", today)
    assert (
        note
        == "Gegevens tot en met 02-09-2026. Dat is 92 dagen geleden: lees de nieuwste export in."
    )
    assert main(["calls", "--ledger", str(path)]) == 0
    captured = capsys.readouterr()
    assert "Data up to 2026-09-02" in captured.err and "load the newest export" in captured.err
    # the plan is for this week, not for the week of the ledger's last date
    this_week = dt.date.today() - dt.timedelta(days=dt.date.today().weekday())
    days = {line.split()[1] for line in captured.out.splitlines() if line[4:6] == "20"}
    assert days and all(dt.date.fromisoformat(d) >= this_week for d in days)


def test_the_demo_ledger_shows_a_full_working_week(demo_ledger):
    from dunning_analytics.ledger import data_note, working_day

    assert working_day(demo_ledger, dt.date(2026, 12, 3)) == dt.date(2026, 10, 26)
    assert data_note(demo_ledger, "en", dt.date(2026, 12, 3)) == "Data up to 2026-10-31."
