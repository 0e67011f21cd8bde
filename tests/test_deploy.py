"""prefect.yaml for real: a Prefect server, `prefect deploy --all`, a worker running a run."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
PREFECT = str(Path(sys.executable).parent / "prefect")
POOL = "cchc-office"
EXPECTED = {  # deployment -> cron; every one in Vietnam's time zone
    "bao-cao-thang": "0 8 22 * *",
    "bao-cao-6-thang": "30 7 22 6 *",
    "bao-cao-nam": "30 7 22 12 *",
    "nhac-viec-hang-ngay": "30 7 * * 1-6",
    "kiem-tra-bang-tinh": "30 11 * * 1-5",
    "canh-bao-hang-ngay": "0 9 * * 1-6",
}
WATCH_POOL = "cchc-canh-bao"  # the watchdog's own pool: it must run when the main worker is down
AUTH = "cchc:kiem-thu"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("prefect-home")
    port = free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "2",
        "CCHC_OUTPUT_DIR": str(home / "var"),
        # With Prefect's own login on, as `make up` runs it: the server, `prefect deploy`, the
        # workers, the runs and `cchc` must all send it (and a developer's .env cannot differ).
        "PREFECT_SERVER_API_AUTH_STRING": AUTH,
        "PREFECT_API_AUTH_STRING": AUTH,
    }
    # Plain `prefect deploy --all`, as any Prefect user runs it: nothing of ours in the environment.
    for name in ("CCHC_HOME", "CCHC_SOURCE", "CCHC_SMTP_HOST", "CCHC_PLAN"):
        env.pop(name, None)
    with prefect_server(env, port, home / "server.log"):
        env["TEST_PORT"] = str(port)
        yield env


@contextmanager
def prefect_server(env: dict[str, str], port: int, log: Path) -> Iterator[None]:
    """`prefect server start` with ``env`` on ``port``, once /api/health answers; stopped (its
    process group) afterwards."""
    with log.open("w") as out:
        proc = subprocess.Popen(
            [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("Prefect server did not start: " + log.read_text()[-3000:])
                time.sleep(0.5)
        yield
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def prefect(env, *args, timeout=300, cwd=REPO) -> str:
    done = subprocess.run(
        [PREFECT, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def deployed(server):
    for pool in (POOL, WATCH_POOL):
        prefect(server, "work-pool", "create", pool, "--type", "process")
    prefect(server, "--no-prompt", "deploy", "--all")
    return server


def client_call(env, coro_fn):
    """Run an async client call against the test server."""
    import anyio
    from prefect.client.orchestration import PrefectClient

    async def run():
        async with PrefectClient(
            api=env["PREFECT_API_URL"], auth_string=env["PREFECT_API_AUTH_STRING"]
        ) as client:
            return await coro_fn(client)

    return anyio.run(run)


def test_prefect_yaml_names_every_deployment_with_description_and_tags():
    spec = yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))
    names = {d["name"]: d for d in spec["deployments"]}
    assert set(names) == set(EXPECTED)
    for d in names.values():
        assert d["description"] and "cchc" in d["tags"]
        expected_pool = WATCH_POOL if d["name"] == "canh-bao-hang-ngay" else POOL
        assert d["work_pool"]["name"] == expected_pool


def test_every_schedule_and_timezone_as_the_server_has_them(deployed):
    deployments = client_call(deployed, lambda c: c.read_deployments())
    got = {
        d.name: [(s.schedule.cron, s.schedule.timezone, s.active) for s in d.schedules]
        for d in deployments
    }
    assert got == {name: [(cron, "Asia/Ho_Chi_Minh", True)] for name, cron in EXPECTED.items()}


def test_next_monthly_run_is_on_the_22nd_at_8_local_time(deployed):
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName

    async def scheduled(client):
        return await client.read_flow_runs(
            deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=["bao-cao-thang"]))
        )

    deadline = time.monotonic() + 60  # the scheduler service fills in runs every 2 s here
    runs = []
    while time.monotonic() < deadline and not runs:
        runs = [r for r in client_call(deployed, scheduled) if r.state_type.value == "SCHEDULED"]
        time.sleep(1)
    assert runs, "the scheduler created no run for the monthly report"
    first = min(r.expected_start_time for r in runs).astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    now = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh"))
    assert (first.day, first.hour, first.minute) == (22, 8, 0)
    assert first > now and (first - now).days <= 31


def test_a_worker_runs_the_monthly_deployment_to_completion(deployed):
    out = prefect(
        deployed,
        "deployment",
        "run",
        "bao-cao-cchc/bao-cao-thang",
        "--param",
        "period=2026-05",
        "--param",
        "as_of=2026-11-28",
    )
    run_id = next(line.split()[-1] for line in out.splitlines() if "UUID" in line)
    # The worker starts elsewhere: the run finds the code through the pull step that
    # `prefect deploy` recorded (the checkout it was run from), not through the worker's folder.
    elsewhere = Path(deployed["PREFECT_HOME"])
    prefect(deployed, "worker", "start", "--pool", POOL, "--run-once", timeout=600, cwd=elsewhere)
    run = client_call(deployed, lambda c: c.read_flow_run(run_id))
    assert run.state_type.value == "COMPLETED", run.state.message if run.state else run
    assert run.name == "bao-cao-2026-05"

    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    artifacts = client_call(
        deployed,
        lambda c: c.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run.id]))
        ),
    )
    assert {a.key for a in artifacts} >= {
        "tom-tat-2026-05",
        "don-vi-2026-05",
        "loi-du-lieu-2026-05",
    }
    output = Path(deployed["CCHC_OUTPUT_DIR"])
    assert (output / "2026-05" / "ket-qua.json").exists()
    assert list((output / "outbox").glob("*.eml")), "send=true with no SMTP host: the outbox"


def test_the_deployments_run_from_the_folder_they_were_deployed_from(deployed):
    deployments = client_call(deployed, lambda c: c.read_deployments())
    assert {str(d.name): d.pull_steps for d in deployments} == {
        name: [{"prefect.deployments.steps.set_working_directory": {"directory": str(REPO)}}]
        for name in EXPECTED
    }


def test_the_command_uses_the_server_make_up_started(server, tmp_path):
    """`cchc` with no PREFECT_API_URL finds the local server (as `make up` starts it) instead of
    starting a temporary one, so the run shows in the Office's UI."""
    env = {k: v for k, v in server.items() if k != "PREFECT_API_URL"}
    env["CCHC_UI_PORT"] = server["TEST_PORT"]
    done = subprocess.run(
        [str(Path(sys.executable).parent / "cchc"), "check"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Dùng Prefect server đang chạy: http://127.0.0.1:{server['TEST_PORT']}" in done.stderr
    assert "Starting temporary server" not in done.stderr

    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

    runs = client_call(
        server,
        lambda c: c.read_flow_runs(
            flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=["kiem-tra-bang-tinh"]))
        ),
    )
    assert [r.state_type.value for r in runs] == ["COMPLETED"]


@pytest.fixture
def waiting_run(deployed):
    """A run of a flow that waits, Running under a worker started in its own session as up.sh
    starts it: (run id, the run's session, the worker)."""
    subprocess.run(
        [sys.executable, "tests/slow_flow.py", POOL],
        env=deployed,
        cwd=REPO,
        check=True,
        timeout=300,
    )
    out = prefect(deployed, "deployment", "run", "cho-lau/cho-lau")
    run_id = next(line.split()[-1] for line in out.splitlines() if "UUID" in line)
    worker = subprocess.Popen(
        [PREFECT, "worker", "start", "--pool", POOL, "--name", "may-vp-worker"],
        env=deployed,
        cwd=Path(deployed["PREFECT_HOME"]),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # as up.sh starts it (setsid)
    )
    try:
        deadline = time.monotonic() + 240
        run = client_call(deployed, lambda c: c.read_flow_run(run_id))
        while run.state_type.value != "RUNNING" and time.monotonic() < deadline:
            time.sleep(1)
            run = client_call(deployed, lambda c: c.read_flow_run(run_id))
        assert run.state_type.value == "RUNNING" and run.infrastructure_pid
        session = int(run.infrastructure_pid)
        assert os.getsid(session) == session != os.getsid(worker.pid)  # its own session
        yield run_id, session, worker
    finally:
        os.killpg(worker.pid, 15)
        worker.wait(timeout=60)


def alerts_for(env, run_id) -> list[Path]:
    return list((Path(env["CCHC_OUTPUT_DIR"]) / "outbox").glob(f"alert-{run_id}*.eml"))


def final_state(env, run_id, timeout=30):
    deadline = time.monotonic() + timeout
    while True:  # the dying run's last report may still be on its way
        run = client_call(env, lambda c: c.read_flow_run(run_id))
        if run.state.is_final() or time.monotonic() > deadline:
            return run.state
        time.sleep(1)


def test_stopping_the_system_stops_a_run_in_progress(deployed, waiting_run):
    """down.sh's step for flow runs: stopping the worker's process group alone would leave the
    run going (and "Running" in the UI)."""
    run_id, session, worker = waiting_run
    done = subprocess.run(
        [sys.executable, "deploy/stop_runs.py", str(worker.pid)],
        env=deployed,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Đã dừng các lần chạy đang dở" in done.stdout
    with pytest.raises(ProcessLookupError):
        os.kill(session, 0)
    assert worker.poll() is None  # the worker itself is down.sh's next step
    state = final_state(deployed, run_id)
    assert state.type.value == "CANCELLED", state
    assert "make down" in state.message
    # Its process has exited (above), hooks included: a stop that was asked for is not a crash.
    assert not alerts_for(deployed, run_id)


def test_a_run_killed_under_the_worker_crashes_and_e_mails_the_office(deployed, waiting_run):
    from email import message_from_bytes, policy

    run_id, session, _ = waiting_run
    os.killpg(session, signal.SIGTERM)  # what a shutdown or an out-of-memory killer does
    state = final_state(deployed, run_id)
    assert state.type.value == "CRASHED", state
    # The dying run reports Crashed first, then runs its on_crashed hook: give it the time.
    deadline = time.monotonic() + 60
    while not alerts_for(deployed, run_id) and time.monotonic() < deadline:
        time.sleep(1)
    [alert] = alerts_for(deployed, run_id)
    text = message_from_bytes(alert.read_bytes(), policy=policy.default).get_body(("plain",))
    assert "bị dừng đột ngột (Crashed)" in text.get_content()
    assert "Lý do: Lần chạy bị dừng đột ngột (máy tắt, tiến trình bị dừng" in text.get_content()


def test_a_monthly_run_started_days_late_fails_and_e_mails_the_office_once(deployed):
    """The machine was off for 10 days: the run Prefect still has for then starts when the
    worker does, refuses to report (reporting.max_delay_days = 7) and the Office gets one e-mail."""
    from email import message_from_bytes, policy

    from prefect.states import Scheduled

    # Half a day more than 10: under libfaketime (make test-later) each process's clock starts
    # at the faked time when that process starts, so the worker's "now" may lag the test's.
    scheduled = datetime.now(ZoneInfo("UTC")) - timedelta(days=10, hours=12)

    async def late_run(client):
        deployment = await client.read_deployment_by_name("bao-cao-cchc/bao-cao-thang")
        return await client.create_flow_run_from_deployment(
            deployment.id, state=Scheduled(scheduled_time=scheduled)
        )

    run_id = client_call(deployed, late_run).id
    elsewhere = Path(deployed["PREFECT_HOME"])
    console = prefect(
        deployed, "worker", "start", "--pool", POOL, "--run-once", timeout=600, cwd=elsewhere
    )
    run = client_call(deployed, lambda c: c.read_flow_run(run_id))
    assert run.state_type.value == "FAILED", run.state
    assert "bắt đầu trễ 10 ngày" in run.state.message

    # A user error: its reason in the run's logs, without Prefect's traceback after it.
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    logs = client_call(
        deployed,
        lambda c: c.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id]))),
    )
    messages = "\n".join(log.message for log in logs)
    assert "Lần chạy thất bại: Lần chạy theo lịch lúc" in messages, messages
    assert "Traceback" not in messages and "FailedRun" not in messages
    assert "Traceback" not in console, console

    alerts = list((Path(deployed["CCHC_OUTPUT_DIR"]) / "outbox").glob(f"alert-{run_id}*.eml"))
    assert len(alerts) == 1
    message = message_from_bytes(alerts[0].read_bytes(), policy=policy.default)
    text = message.get_body(("plain",)).get_content()
    assert "bắt đầu trễ 10 ngày" in text and "Tham số: send=true, kind=month" in text
    assert f"http://127.0.0.1:{deployed['TEST_PORT']}/runs/flow-run/{run_id}" in text


def test_every_deployment_example_in_the_docs_puts_job_variables_under_work_pool():
    """At a deployment's top level Prefect 3.9 silently ignores job_variables."""
    text = (REPO / "docs" / "deploy.md").read_text(encoding="utf-8")
    blocks = text.split("```yaml\n")[1:]
    examples = [yaml.safe_load(block.split("```")[0]) for block in blocks]
    deployments = [e[0] for e in examples if isinstance(e, list) and "entrypoint" in e[0]]
    assert deployments, "the per-agency example is gone"
    for deployment in deployments:
        assert "job_variables" not in deployment
        assert deployment["work_pool"]["job_variables"]["env"]["CCHC_PLAN"]


def test_the_services_and_the_image_recipe_keep_secrets_where_the_docs_say(tmp_path):
    import re

    for unit in sorted((REPO / "deploy" / "systemd").glob("*.service")):
        lines = unit.read_text(encoding="utf-8").splitlines()
        workdir = next(x.split("=", 1)[1] for x in lines if x.startswith("WorkingDirectory="))
        # "-": a unit still starts before the .env exists (deploy/auth.py writes it)
        assert f"EnvironmentFile=-{workdir}/.env" in lines, unit.name
    # What deploy/auth.py writes is what systemd's EnvironmentFile= reads: NAME=value lines.
    done = subprocess.run(
        [sys.executable, str(REPO / "deploy" / "auth.py")], cwd=tmp_path, capture_output=True
    )
    assert done.returncode == 0, done.stderr
    written = [x for x in (tmp_path / ".env").read_text().splitlines() if not x.startswith("#")]
    assert len(written) == 2
    assert all(re.fullmatch(r"PREFECT_(SERVER_)?API_AUTH_STRING=cchc:[\w-]+", x) for x in written)
    ignored = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert {".env", "*.db", "var/", ".venv/", ".git/"} <= set(ignored)
