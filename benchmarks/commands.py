"""The commands as the Office runs them, timed as child processes (issue 18).

Each command is a fresh ``cchc`` process against a running Prefect server (``PREFECT_API_URL``)
and the loopback Sheets server, like a scheduled or typed run on the office PC. Its wall time
and peak memory (``ru_maxrss`` from ``os.wait4``: the child and its waited-for descendants) are
measured here; the per-stage breakdown of a report run comes from the server (task runs of its
flow run, their start and end times).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tasks.collect import SNAPSHOT_SUFFIX, snapshot_files
from tasks.settings import TIMEZONE

REPO_ROOT = Path(__file__).resolve().parent.parent
REPORT_FLOW = "bao-cao-cchc"
# Daily checks and reminders keep their snapshots in these folders (flows/check.py, remind.py).
HISTORY_FOLDERS = ("kiem-tra", "nhac-viec")


@dataclass
class Timed:
    """One command run: wall time from spawn to exit, and its peak resident memory."""

    argv: list[str]
    seconds: float
    peak_mb: float
    exit_code: int
    log: str
    stages: list[dict[str, Any]] = field(default_factory=list)
    flow_run_s: float | None = None


def cchc_executable() -> str:
    found = Path(sys.executable).with_name("cchc")
    return str(found) if found.exists() else shutil.which("cchc") or "cchc"


def time_command(argv: list[str], env: dict[str, str], cwd: Path, log: Path) -> Timed:
    """Run ``argv`` to its end; its output goes to ``log``. The exit code is recorded, not
    raised: the caller decides what a failure means."""
    cwd.mkdir(parents=True, exist_ok=True)
    with log.open("w", encoding="utf-8") as out:
        started = time.perf_counter()
        child = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        # wait4, not Popen.wait: it gives this child's own rusage (ru_maxrss in KiB on Linux).
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    return Timed(argv, seconds, usage.ru_maxrss * 1024 / 1e6, child.returncode, str(log))


def prefill_history(snapshot: Path, output: Path, count: int, before: datetime) -> list[Path]:
    """``count`` earlier snapshots in ``output``: the bytes of ``snapshot`` under the names a
    daily check or reminder would have given them, one a day at 08:00 going back from
    ``before``, alternately in each history folder. Hard links where the file system allows
    (250 copies of a 100 000-product snapshot would be about a gigabyte)."""
    made = []
    local = before.astimezone(ZoneInfo(TIMEZONE))
    for day in range(1, count + 1):
        at = (local - timedelta(days=day)).replace(hour=8, minute=0, second=0)
        folder = output / HISTORY_FOLDERS[day % len(HISTORY_FOLDERS)] / "snapshots"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"du-lieu-{at:%Y%m%dT%H%M%S}{SNAPSHOT_SUFFIX}"
        try:
            os.link(snapshot, path)
        except OSError:
            shutil.copyfile(snapshot, path)
        made.append(path)
    return made


def index_history(snapshot: Path, made: list[Path]) -> None:
    """What each prefilled snapshot would have beside it had its run recorded its read when
    saving it (``tasks.history.record_read``): its entry in its folder's index. The copies hold
    the same read, so it is normalised once."""
    from tasks.collect import load_snapshot
    from tasks.history import record_reads
    from tasks.normalize import normalize
    from tasks.plan import load_plan
    from tasks.settings import load_settings

    plan = load_plan(load_settings().plan)
    record_reads(normalize(load_snapshot(snapshot), plan)[0], made, plan)


def newest_snapshot(output: Path) -> Path:
    found = snapshot_files(output)
    if not found:
        raise FileNotFoundError(f"no snapshot under {output}")
    return found[-1][1]


def _post(url: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def _seconds(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def report_stages(
    api_url: str, started_after: datetime
) -> tuple[float | None, list[dict[str, Any]]]:
    """The newest report flow run that started after ``started_after``: its duration and its
    task runs in the order they started (name, seconds), from the Prefect API."""
    runs = _post(
        f"{api_url}/flow_runs/filter",
        {"flows": {"name": {"any_": [REPORT_FLOW]}}, "limit": 200},
    )
    runs = [
        r
        for r in runs
        if r.get("start_time") and datetime.fromisoformat(r["start_time"]) >= started_after
    ]
    if not runs:
        return None, []
    run = max(runs, key=lambda r: r["start_time"])
    tasks = _post(
        f"{api_url}/task_runs/filter",
        {"flow_runs": {"id": {"any_": [run["id"]]}}, "limit": 200},
    )
    stages = [
        {"name": t["name"], "seconds": _seconds(t.get("start_time"), t.get("end_time"))}
        for t in sorted(tasks, key=lambda t: t.get("start_time") or "")
    ]
    return _seconds(run.get("start_time"), run.get("end_time")), stages


def stage_summary(stages: list[dict[str, Any]]) -> list[tuple[str, float]]:
    """Task runs of the same name (the two e-mails) added up, in the order of the first one."""
    totals: dict[str, float] = {}
    for stage in stages:
        name = str(stage["name"])
        totals[name] = totals.get(name, 0.0) + (stage["seconds"] or 0.0)
    return list(totals.items())
