"""A tiny run of the scale benchmark, so it cannot rot (the real one: make bench)."""

import datetime as dt
import importlib.util
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _module(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tiny_benchmark_run(tmp_path, monkeypatch):
    bench = _module("bench")
    monkeypatch.setattr(bench, "RESULTS", tmp_path)
    result = bench.run_size(3000, repeat=1)
    assert 2000 <= result["invoices"] <= 4500
    # our aging and profiles equal the pandas and polars peers' to the cent
    assert result["pandas_aging_cells_differ"] == 0 and result["polars_aging_cells_differ"] == 0
    assert result["profile_clients_compared"] > 20
    assert result["peers_agree"] is True
    for key, _, _ in bench.ROWS:
        assert key in result, key
    assert result["load_rows_per_second"] > 0 and result["aging_seconds"] > 0
    (tmp_path / "size-3000.json").write_text(__import__("json").dumps(result))
    assert "3,000 invoices" in bench.report()
    assert "polars" in bench.ratios(result)


@pytest.mark.parametrize("as_of", ["2025-12-31", "2026-06-30", "2026-10-31"])
def test_the_peers_compute_our_aging_and_profiles_to_the_cent(demo_ledger, as_of):
    """The benchmark's pandas and polars peers are only a fair comparison if they compute the
    same thing: every client's every bucket, and nine profile measures."""
    from dunning_analytics.questions.aging import aging
    from dunning_analytics.questions.behaviour import client_profiles

    peers = _module("peers")
    day = dt.date.fromisoformat(as_of)
    ours = peers.our_aging_cents(aging(demo_ledger, day))
    profiles = client_profiles(demo_ledger, day)
    skip = peers.pool_clients(demo_ledger, day)
    for peer in ("pandas", "polars"):
        tables = getattr(peers, f"{peer}_tables")(demo_ledger)
        theirs = getattr(peers, f"{peer}_aging")(tables, day)
        assert theirs.to_numpy().sum() == ours.to_numpy().sum()
        assert peers.aging_differences(ours, theirs) == 0, peer
        compared, wrong = peers.profile_differences(
            profiles, getattr(peers, f"{peer}_profiles")(tables, day), skip
        )
        assert compared > 100 and wrong == 0, (peer, compared, wrong)
    # the numpy floor of the aging (what a pandas expert drops to)
    floor = peers.numpy_aging(peers.pandas_tables(demo_ledger), day)
    assert peers.aging_differences(ours, floor) == 0
    assert floor.to_numpy().sum() == ours.to_numpy().sum()


def test_the_peers_bench_checks_every_peer_and_reports_both_columns(demo_ledger, tmp_path):
    """make bench-peers on the demo ledger, one round: every peer equals ours cell by cell
    before anything is timed, and the table has the loaded and the cold rows and the ratios."""
    peers_bench = _module("peers_bench")
    ledger = tmp_path / "demo.duckdb"
    ledger.write_bytes(demo_ledger.read_bytes())
    result = peers_bench.run_one(3000, threads=1, rounds=1, ledger=ledger)
    differ = {key: value for key, value in result.items() if key.endswith("_differ")}
    assert len(differ) == 5 and set(differ.values()) == {0}, differ
    assert result["profile_clients_compared"] > 20
    table = peers_bench.report([result])
    for key, label in peers_bench.ROWS:
        assert result[key] > 0, key
        assert label in table
    assert "| every peer equals ours cell by cell | yes |" in table
    assert "cold nine vs polars" in table
