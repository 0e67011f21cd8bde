"""The province's agencies on one Prefect server: one deployment per agency, generated from the
agencies file, and a local run of every agency's report (no worker: a try-out, the demo)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tasks.agencies import AgencyEntry, Province, agency_environment

REPO_ROOT = Path(__file__).resolve().parent.parent
REPORT_ENTRYPOINT = "flows/report.py:report"
# The monthly report of every agency, as prefect.yaml's bao-cao-thang (the period closes on the
# 14th; the units' reports are due 3 working days later): the shared Sheets quota spreads them.
MONTHLY_CRON = "0 8 22 * *"
TIMEZONE = "Asia/Ho_Chi_Minh"


def deployment_name(code: str) -> str:
    return f"bao-cao-thang-{code}"


def deploy_agencies(
    province: Province, source: Path = REPO_ROOT, cron: str | None = MONTHLY_CRON
) -> list[str]:
    """Create or update one deployment of the report flow per agency on ``province.work_pool``
    (created as a ``process`` pool when missing), each with its own environment in
    ``job_variables.env``. Returns the deployments' full names (``bao-cao-cchc/<name>``).
    Re-running it updates them in place (the same names): adding an agency is one entry in the
    file and one run of this."""
    from prefect import deploy
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.client.schemas.schedules import CronSchedule
    from prefect.deployments.runner import RunnerDeployment
    from prefect.exceptions import ObjectNotFound
    from prefect.flows import Flow

    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(province.work_pool)
        except ObjectNotFound:
            client.create_work_pool(WorkPoolCreate(name=province.work_pool, type="process"))
    # Loaded from this checkout: a worker runs the flow from here (Prefect's LocalStorage, as a
    # `prefect deploy` without a pull section does).
    report = Flow.from_source(source=str(source), entrypoint=REPORT_ENTRYPOINT)
    assert isinstance(report, Flow)  # sync context: prefect 3.9 types it as maybe-awaitable
    deployments: list[RunnerDeployment] = [
        report.to_deployment(  # type: ignore[misc]  # sync context: a RunnerDeployment
            name=deployment_name(entry.code),
            description=_description(entry),
            tags=["cchc", "tinh", entry.code],
            parameters={"send": True, "kind": "month"},
            job_variables={"env": agency_environment(entry, province)},
            schedules=[CronSchedule(cron=cron, timezone=TIMEZONE)] if cron else None,
        )
        for entry in province.agencies
    ]
    ids = deploy(
        *deployments,
        work_pool_name=province.work_pool,
        print_next_steps_message=False,
        ignore_warnings=True,
    )
    assert len(ids) == len(deployments)  # type: ignore[arg-type]
    return [f"{report.name}/{deployment_name(e.code)}" for e in province.agencies]


def _description(entry: AgencyEntry) -> str:
    own = f" {entry.description}" if entry.description else ""
    return (
        f"Báo cáo tháng của {entry.name} ({entry.code}), 08:00 ngày 22 hằng tháng; "
        f"nguồn dữ liệu và tệp kế hoạch riêng (tệp danh sách cơ quan).{own}"
    )


@dataclass
class LocalRun:
    code: str
    returncode: int
    seconds: float
    output: str


def run_agencies_locally(
    province: Province,
    period: str,
    as_of: str | None = None,
    parallel: int = 2,
    extra_env: dict[str, str] | None = None,
    codes: list[str] | None = None,
) -> list[LocalRun]:
    """Run every agency's report (``cchc report --period ... --no-send``) as a process of its
    own with the environment its deployment would give it, ``parallel`` at a time. For a
    try-out without a worker and for the demo; production uses the deployments."""
    entries = [a for a in province.agencies if codes is None or a.code in codes]
    with _shared_server() as api_url:
        shared = {**(extra_env or {}), "PREFECT_API_URL": api_url}
        return _run_all(entries, province, period, as_of, parallel, shared)


@contextmanager
def _shared_server() -> Iterator[str]:
    """The Prefect API the runs share (so they share the Sheets rate limit and show in one UI):
    PREFECT_API_URL when set (``make up``'s server), else a temporary server started here for
    all of them (rather than one per run: each takes 10-60 s to start)."""
    from prefect.settings import PREFECT_API_URL

    configured = PREFECT_API_URL.value()
    if configured:
        yield configured
        return
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    server.start(timeout=300)
    try:
        yield server.api_url
    finally:
        server.stop()


def _run_all(
    entries: list[AgencyEntry],
    province: Province,
    period: str,
    as_of: str | None,
    parallel: int,
    extra_env: dict[str, str],
) -> list[LocalRun]:

    def one(entry: AgencyEntry) -> LocalRun:
        env = {**os.environ, **extra_env, **agency_environment(entry, province)}
        # This checkout's modules, whatever the working folder.
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        args = [sys.executable, "-c", "from flows.cli import main; main()"]
        args += ["report", "--period", period, "--no-send"]
        if as_of:
            args += ["--as-of", as_of]
        started = time.monotonic()
        done = subprocess.run(
            args, env=env, capture_output=True, text=True, cwd=os.getcwd(), check=False
        )
        return LocalRun(
            entry.code, done.returncode, time.monotonic() - started, done.stdout + done.stderr
        )

    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        return list(pool.map(one, entries))


def summary_line(runs: list[LocalRun]) -> dict[str, Any]:
    failed = [r.code for r in runs if r.returncode]
    return {"runs": len(runs), "failed": failed, "seconds": sum(r.seconds for r in runs)}
