"""A tiny run of the scale benchmark, so it cannot rot (the real one: make bench)."""

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench.py"


def test_tiny_benchmark_run(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("bench", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    monkeypatch.setattr(bench, "RESULTS", tmp_path)
    result = bench.run_size(3000, repeat=1)
    assert 2000 <= result["invoices"] <= 4500
    assert result["aging_totals_match"] is True  # our aging equals the pandas way
    for key, _, _ in bench.ROWS:
        assert key in result, key
    assert result["load_rows_per_second"] > 0 and result["aging_seconds"] > 0
    (tmp_path / "size-3000.json").write_text(__import__("json").dumps(result))
    assert "3,000 invoices" in bench.report()
