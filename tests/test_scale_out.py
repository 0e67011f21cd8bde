"""More than one machine, on Prefect's own engine (DESIGN §8): a Prefect server on PostgreSQL,
two process workers with working folders of their own, one S3 storage (moto's server), one SMTP
server. The same monthly report is started twice at once: each worker runs one, both end
Completed, the leadership gets exactly one e-mail, and the storage holds one report."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tasks.storage import SENDING_LIMIT, Storage
from tests.postgres_server import postgres_server
from tests.s3_server import make_bucket
from tests.smtp_server import TEST_PASSWORD, TEST_USER, SmtpTestServer, to_leaders
from tests.test_deploy import AUTH, PREFECT, client_call, free_port, prefect, prefect_server

POOL = "cchc-office"
BUCKET = "cchc-nhieu-may"
STORAGE = f"s3://{BUCKET}/so-xay-dung"
PARAMETERS = {"period": "2026-05", "as_of": "2026-06-05", "send": True}


@pytest.fixture(scope="module")
def server_on_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A Prefect server whose database is PostgreSQL; yields the environment to reach it."""
    home = tmp_path_factory.mktemp("prefect-pg")
    port = free_port()
    with postgres_server() as database_url:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("PREFECT_", "CCHC_"))
        }
        env.update(
            PREFECT_HOME=str(home),
            PREFECT_API_URL=f"http://127.0.0.1:{port}/api",
            PREFECT_API_DATABASE_CONNECTION_URL=database_url,
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            PREFECT_UI_ENABLED="false",
            PREFECT_SERVER_API_AUTH_STRING=AUTH,  # as make up runs it
            PREFECT_API_AUTH_STRING=AUTH,
        )
        with prefect_server(env, port, home / "server.log"):
            yield env


def test_two_workers_share_one_storage_and_send_once(
    server_on_postgres: dict[str, str], s3_environment: dict[str, str], tmp_path: Path
) -> None:
    env = server_on_postgres
    make_bucket(s3_environment, BUCKET)
    prefect(env, "work-pool", "create", POOL, "--type", "process")
    prefect(env, "--no-prompt", "deploy", "--name", "bao-cao-thang")  # the repo's prefect.yaml
    deployment = client_call(env, lambda c: c.read_deployment_by_name("bao-cao-cchc/bao-cao-thang"))
    runs = [
        client_call(
            env,
            lambda c: c.create_flow_run_from_deployment(deployment.id, parameters=PARAMETERS),
        )
        for _ in range(2)
    ]

    with SmtpTestServer("auth") as smtp:
        workers = [
            start_worker(env, s3_environment, smtp.port, tmp_path / f"may-{n}") for n in (1, 2)
        ]
        try:
            states = [final_state(env, run.id) for run in runs]
        finally:
            for worker in workers:
                os.killpg(worker.pid, signal.SIGTERM)
                worker.wait(timeout=60)
        received = list(smtp.messages)

    assert [s.type.value for s in states] == ["COMPLETED", "COMPLETED"], [s.message for s in states]
    assert len(to_leaders(received)) == 1  # never twice, across workers
    assert len(received) == 2  # and the Office's own copy, once
    # Each worker ran one of the two, in its own folder.
    made_here = [list((tmp_path / f"may-{n}" / "var" / "2026-05").glob("*.docx")) for n in (1, 2)]
    assert all(made_here), made_here
    stored = Storage(STORAGE, tmp_path / "doc-lai").fetch_missing("2026-05/Bao-cao-CCHC-*")
    assert len(stored) == 1
    limit = client_call(env, lambda c: c.read_global_concurrency_limit_by_name(SENDING_LIMIT))
    assert limit.limit == 1
    assert rows_in_postgres(env, "flow_run") >= 2  # the runs' history is in PostgreSQL


def rows_in_postgres(env: dict[str, str], table: str) -> int:
    import anyio
    import asyncpg

    async def count() -> int:
        url = env["PREFECT_API_DATABASE_CONNECTION_URL"].replace("+asyncpg", "")
        connection = await asyncpg.connect(url)
        try:
            return int(await connection.fetchval(f"SELECT count(*) FROM {table}"))
        finally:
            await connection.close()

    return anyio.run(count)


def start_worker(
    env: dict[str, str], s3: dict[str, str], smtp_port: int, folder: Path
) -> subprocess.Popen[bytes]:
    """A process worker as on another machine: its own folder and output, the shared storage and
    mail server in its environment (its .env there), one run at a time."""
    folder.mkdir(parents=True)
    worker_env = {
        **env,
        **s3,
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "CCHC_OUTPUT_DIR": str(folder / "var"),
        "CCHC_STORAGE": STORAGE,
        "CCHC_SMTP_HOST": "127.0.0.1",
        "CCHC_SMTP_PORT": str(smtp_port),
        "CCHC_SMTP_SECURITY": "none",
        "CCHC_SMTP_USER": TEST_USER,
        "CCHC_SMTP_PASSWORD": TEST_PASSWORD,
        "CCHC_SMTP_RETRIES": "0",
    }
    command = [
        PREFECT,
        "worker",
        "start",
        "--pool",
        POOL,
        "--limit",
        "1",
        "--name",
        folder.name,
    ]
    log = (folder / "worker.log").open("w")
    return subprocess.Popen(
        command, env=worker_env, cwd=folder, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


def final_state(env: dict[str, str], run_id: Any, timeout: float = 300) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client_call(env, lambda c: c.read_flow_run(run_id))
        if run.state and run.state.is_final():
            return run.state
        time.sleep(1)
    pytest.fail(f"run {run_id} did not finish in {timeout} s (still {run.state})")
