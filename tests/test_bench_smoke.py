"""The benchmark script (``make bench``) at its smallest size, so that it cannot rot.

Timings depend on the machine and are only checked for shape; the Sheets request counts do not,
and are checked exactly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks.run import main

TIMINGS = ("normalise_s", "verify_s", "compile_s", "end_to_end_s")


def test_bench_smallest_size_writes_the_table_and_counts_requests(
    tmp_path: Path, capsys: Any
) -> None:
    code = main(["--sizes", "300", "--no-prefect", "--repeat", "1", "--out", str(tmp_path)])

    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert code == (0 if results["ok"] else 1)
    assert results["machine"]["cpus"] >= 1
    assert results["prefect"] is None
    assert list(results["sizes"]) == ["300"]

    figures = results["sizes"]["300"]
    assert all(figures[name] > 0 for name in TIMINGS)
    assert 0 < figures["peak_rss_mb"] < 10_000
    assert figures["products"] == 300 and figures["problems"] >= 1
    assert figures["annex_products"] == 5000 and figures["annex_compile_s"] > 0

    # One report run: 1 metadata GET + 1 values:batchGet to read, at most 3 writes for
    # `Tổng hợp` (its metadata comes from the read), nothing else.
    requests = figures["requests"]
    assert requests["read_metadata"] == 1
    assert requests["read_values"] == 1
    assert requests["writeback_reads"] == 0 and requests["other"] == 0
    assert requests["reads"] == 2
    assert 1 <= requests["writes"] <= 3

    rows = results["rows"]
    assert all(
        set(row) == {"size", "figure", "value", "unit", "shown", "target", "status"} for row in rows
    )
    assert all(row["status"] in ("ok", "MISSED", "") for row in rows)
    assert results["ok"] == all(row["status"] != "MISSED" for row in rows)
    judged = {row["figure"]: row["status"] for row in rows if row["status"]}
    assert judged["Sheets reads per report run"] == "ok"
    assert judged["Sheets writes per report run"] == "ok"
    assert "monthly report with 5,000 products in annex (compile)" in judged

    printed = capsys.readouterr().out
    assert "Sheets reads per report run" in printed
    assert str(tmp_path / "results.json") in printed
