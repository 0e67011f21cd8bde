"""The province benchmark (``make bench-province``) at its smallest, so that it cannot rot: a real
Prefect server, one process worker, three agencies' reports against the loopback Sheets server
(about 40 s on the 2-core machine: with the 130-agency test in ``make test-slow``, to keep CI
short)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks.province_bench import main


@pytest.mark.slow
def test_three_agencies_on_one_worker_complete_within_the_quota(
    tmp_path: Path, capsys: Any
) -> None:
    code = main(["--agencies", "3", "--workers", "1", "--out", str(tmp_path)])

    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert code == 0 and results["ok"], capsys.readouterr().out
    [one] = results["results"]
    assert (one["workers"], one["agencies"], one["completed"]) == (1, 3, 3)
    assert one["reads"] == 2 * 3  # one metadata GET and one values:batchGet per report
    assert one["peak_reads"] == 6 and one["seconds"] > 0
    for code_ in ("SXD", "STC", "SNNMT"):
        assert (tmp_path / "ket-qua-1w" / code_ / "2026-05" / "ket-qua.json").exists()
    table = capsys.readouterr().out
    assert "runs Completed" in table and "peak Sheets reads in any 60 s" in table
