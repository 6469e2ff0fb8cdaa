"""The real IBM late-payment sample: loading, settlement and aging against the file's own truth."""

import datetime as dt
from decimal import Decimal

import duckdb
import pandas as pd
import pytest

from dunning_analytics import aging
from dunning_analytics.cli import main

IBM_MAP = [
    "invoice_id=invoiceNumber",
    "client_id=customerID",
    "invoice_date=InvoiceDate",
    "due_date=DueDate",
    "amount=InvoiceAmount",
    "paid_date=SettledDate",
    "disputed=Disputed",
]


def load_ibm(csv, path):
    """Load the IBM export `csv` into a new ledger at `path` with the command line, as a
    user would (columns mapped, US dates); return `path`."""
    argv = ["load", str(csv), "--ledger", str(path), "--date-format", "%m/%d/%Y", "--quiet"]
    for pair in IBM_MAP:
        argv += ["--map", pair]
    assert main(argv) == 0, f"{csv} did not load"
    return path


@pytest.fixture
def ibm_ledger(ibm_csv, tmp_path):
    return load_ibm(ibm_csv, tmp_path / "ibm.duckdb")


@pytest.fixture
def ibm_truth(ibm_csv):
    frame = pd.read_csv(ibm_csv, dtype=str)
    for column in ("InvoiceDate", "DueDate", "SettledDate"):
        frame[column] = pd.to_datetime(frame[column], format="%m/%d/%Y").dt.date
    return frame


def test_settlement_matches_the_files_days_late_and_days_to_settle(ibm_ledger, ibm_truth):
    con = duckdb.connect(str(ibm_ledger), read_only=True)
    got = con.execute(
        "SELECT invoice_id, days_late, days_to_pay, disputed FROM invoice_settlement"
    ).df()
    con.close()
    merged = ibm_truth.merge(got, left_on="invoiceNumber", right_on="invoice_id", how="outer")
    assert len(merged) == 2466
    assert (merged["days_late"].clip(lower=0) == merged["DaysLate"].astype(int)).all()
    assert (merged["days_to_pay"] == merged["DaysToSettle"].astype(int)).all()
    assert (merged["disputed"] == (merged["Disputed"] == "Yes")).all()
    assert (
        merged["invoice_id"].str.startswith("0").sum()
        == ibm_truth["invoiceNumber"].str.startswith("0").sum()
    )


@pytest.mark.parametrize(
    "as_of", [dt.date(2012, 3, 31), dt.date(2012, 12, 31), dt.date(2013, 6, 30)]
)
def test_open_items_are_exactly_the_invoices_open_on_the_date(ibm_ledger, ibm_truth, as_of):
    expected = ibm_truth[(ibm_truth["InvoiceDate"] <= as_of) & (ibm_truth["SettledDate"] > as_of)]
    items = aging(ibm_ledger, as_of, by="invoice")
    assert sorted(items["invoice_id"]) == sorted(expected["invoiceNumber"])
    expected_amounts = dict(
        zip(expected["invoiceNumber"], expected["InvoiceAmount"].map(Decimal), strict=True)
    )
    assert dict(zip(items["invoice_id"], items["outstanding"], strict=True)) == expected_amounts
    by_client = aging(ibm_ledger, as_of)
    assert sum(by_client["outstanding"]) == sum(expected_amounts.values())


def test_client_profiles_match_the_files_days_late(ibm_ledger, ibm_truth):
    from dunning_analytics.questions.behaviour import client_profiles

    profiles = client_profiles(ibm_ledger, dt.date(2014, 1, 31), window_days=1000)
    profiles = profiles.set_index("client_id")
    truth = ibm_truth.assign(late=ibm_truth["DaysLate"].astype(int))
    per_client = truth.groupby("customerID")["late"]
    assert len(profiles) == per_client.ngroups == 100
    expected_avg = per_client.mean()
    expected_late_share = per_client.apply(lambda s: (s > 0).mean())
    for client, avg in expected_avg.items():
        row = profiles.loc[client]
        assert row["avg_days_late"] == pytest.approx(avg), client
        assert 1 - row["on_time_share"] == pytest.approx(expected_late_share[client]), client
        assert row["settled_invoices"] == per_client.size()[client]
