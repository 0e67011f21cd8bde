"""The benchmark script (``make bench``) at its smallest size, so that it cannot rot.

Timings depend on the machine and are only checked for shape; the Sheets request counts do not,
and are checked exactly. The commands timed end to end (benchmarks/commands.py) are not run
here: a Prefect server and a dozen ``cchc`` processes take minutes even on a 300-product sheet;
their history set-up and their table are checked without processes.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.commands import prefill_history, stage_summary
from benchmarks.run import command_rows, main
from tasks.collect import snapshot_files

TIMINGS = ("normalise_s", "verify_s", "compile_s", "end_to_end_s")


def test_bench_smallest_size_writes_the_table_and_counts_requests(
    tmp_path: Path, capsys: Any
) -> None:
    code = main(
        ["--sizes", "300", "--no-prefect", "--no-commands", "--repeat", "1", "--out", str(tmp_path)]
    )

    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert code == (0 if results["ok"] else 1)
    assert results["machine"]["cpus"] >= 1
    assert results["prefect"] is None and results["commands"] is None
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


def test_earlier_snapshots_are_found_as_a_check_or_reminder_left_them(tmp_path: Path) -> None:
    snapshot = tmp_path / "du-lieu-20261202T090000.json.gz"
    snapshot.write_bytes(b"same bytes")
    before = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # 09:00 in Đắk Lắk

    made = prefill_history(snapshot, tmp_path / "out", 250, before)

    found = snapshot_files(tmp_path / "out")
    assert len(made) == len(found) == 250
    assert [path for _, path in found] == made[::-1]  # one a day, made newest first
    assert found[-1][0].isoformat() == "2026-12-01T08:00:00+07:00"
    assert found[0][0].isoformat() == "2026-03-27T08:00:00+07:00"  # 250 days back
    assert {p.parent.parent.name for p in made} == {"kiem-tra", "nhac-viec"}
    assert all(p.read_bytes() == b"same bytes" for p in made)


def _run(seconds: float, peak: float = 300.0) -> dict[str, Any]:
    stages = [
        {"name": "Doc bang tinh", "seconds": 1.0},
        {"name": "Gui thu", "seconds": 0.25},
        {"name": "Gui thu", "seconds": 0.5},
    ]
    return {"seconds": seconds, "peak_mb": peak, "flow_run_s": seconds - 2, "stages": stages}


def test_command_targets_are_judged_against_the_floor() -> None:
    # floor 2 s: report at 100 000 <= 10 s, check <= 6 s; 250 snapshots at most 10 % dearer.
    # At 10 000, floor 0.5 s and a 4 s start-up: report <= 3 x 0.5 + 4 = 5.5 s.
    sizes = {
        "10000": {
            "floor": {"floor_s": 0.5},
            "report_none": [_run(5.0)],
            "report_history": [_run(5.6), _run(7.0)],
            "check": {"seconds": 5.0},
            "remind": {"seconds": 5.0},
        },
        "100000": {
            "floor": {"floor_s": 2.0},
            "report_none": [_run(9.5), _run(9.0)],
            "report_history": [_run(9.8, peak=650.0), _run(12.0)],
            "check": {"seconds": 6.5},
            "remind": {"seconds": 5.0},
        },
    }
    demo = [{"seconds": 19.0}, {"seconds": 15.0}]
    commands = {"startup_s": 4.0, "help_s": 0.3, "history": 250, "sizes": sizes, "demo": demo}

    rows = command_rows(commands)
    judged = {(r.size, r.figure): r.status for r in rows if r.status}

    small = judged.pop((10_000, "cchc report --period 2026-05 --no-send, 250 earlier snapshots"))
    assert small == "MISSED"  # 5.6 > 5.5
    judged = {figure: status for (_, figure), status in judged.items()}
    assert judged == {
        "cchc report --period 2026-05 --no-send, 250 earlier snapshots": "ok",  # 9.8 <= 10
        "peak memory of cchc report (ru_maxrss)": "MISSED",  # 650 MB
        "cchc report, 250 earlier snapshots vs none": "ok",  # 9.8 / 9.0 = +8.9 %
        "cchc check": "MISSED",  # 6.5 > 6
        "make demo (installed; a fresh PREFECT_HOME)": "ok",
    }
    assert stage_summary(_run(1)["stages"]) == [("Doc bang tinh", 1.0), ("Gui thu", 0.75)]
