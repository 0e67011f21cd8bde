"""`make up` for real (deploy/up.sh, then down.sh) in a copy of the checkout: the API and the UI
ask for Prefect's own login, whose password is made on the first run and printed only then."""

from __future__ import annotations

import base64
import os
import shutil
import stat
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from dotenv import dotenv_values

from tests.test_deploy import REPO, free_port

VENV = Path(sys.executable).parent.parent


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    """The checkout's files (tracked and new, nothing git ignores: no .env, no var/) and .venv."""
    copy = tmp_path_factory.mktemp("checkout")
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        if (REPO / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, copy / name)
    (copy / ".venv").symlink_to(VENV)
    return copy


@pytest.fixture(scope="module")
def env(checkout) -> dict[str, str]:
    port = free_port()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CCHC_", "GOOGLE_"))
    }
    env.update(CCHC_UI_PORT=str(port), CCHC_POOL="cchc-office")
    return env


def run(script: str, checkout: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", f"deploy/{script}"],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.fixture(scope="module")
def up(checkout, env):
    """Two `make up`s in a row, then `make down` at the end: (first output, second output)."""
    first = run("up.sh", checkout, env)
    try:
        assert first.returncode == 0, first.stdout + first.stderr
        second = run("up.sh", checkout, env)
        assert second.returncode == 0, second.stdout + second.stderr
        yield first.stdout + first.stderr, second.stdout + second.stderr
    finally:
        down = run("down.sh", checkout, env)
        assert down.returncode == 0, down.stdout + down.stderr


def auth_string(checkout: Path) -> str:
    return dotenv_values(checkout / ".env")["PREFECT_SERVER_API_AUTH_STRING"] or ""


def api(env, path: str, auth: str | None) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{env['CCHC_UI_PORT']}/api/{path}",
        data=b'{"include_secrets": true}',
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    if auth is not None:
        token = base64.b64encode(auth.encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as err:
        return err.code


def test_the_first_make_up_makes_a_password_and_prints_it_once(checkout, up):
    first, second = up
    saved = dotenv_values(checkout / ".env")
    password = saved["PREFECT_SERVER_API_AUTH_STRING"]
    assert password and password.startswith("cchc:") and len(password) > 30
    assert saved["PREFECT_API_AUTH_STRING"] == password
    assert stat.S_IMODE((checkout / ".env").stat().st_mode) == 0o600
    assert first.count(password) == 1 and "chỉ hiện MỘT lần này" in first
    assert password not in second
    assert "Xong." in second


def test_the_api_answers_only_with_the_password(checkout, env, up):
    password = auth_string(checkout)
    assert api(env, "block_documents/filter", None) == 401
    assert api(env, "block_documents/filter", "cchc:wrong") == 401
    assert api(env, "block_documents/filter", password) == 200
    # The health check up.sh and `cchc` use stays open.
    health = f"http://127.0.0.1:{env['CCHC_UI_PORT']}/api/health"
    with urllib.request.urlopen(health, timeout=10) as answer:
        assert answer.status == 200


def test_the_workers_and_the_deploy_use_the_password(checkout, env, up):
    """up.sh says "Xong" only once each worker's heartbeat reached the server (through the API)."""
    from prefect.client.orchestration import SyncPrefectClient

    client = SyncPrefectClient(
        f"http://127.0.0.1:{env['CCHC_UI_PORT']}/api", auth_string=auth_string(checkout)
    )
    with client:
        names = {d.name for d in client.read_deployments()}
        workers = client.read_workers_for_work_pool("cchc-office")
    assert "bao-cao-thang" in names
    assert [w.status.value for w in workers] == ["ONLINE"]


def test_the_password_is_in_no_log(checkout, up):
    password = auth_string(checkout)
    logs = list((checkout / "var" / "log").glob("*.log"))
    assert {p.name for p in logs} >= {"server.log", "worker.log", "watchdog.log", "deploy.log"}
    for log in logs:
        assert password not in log.read_text(encoding="utf-8", errors="replace"), log.name


def test_make_down_stops_everything_with_the_login_on(checkout, env, up):
    done = run("down.sh", checkout, env)
    assert done.returncode == 0, done.stdout + done.stderr
    for name in ("worker", "watchdog", "server"):
        assert f"Đã dừng {name}" in done.stdout
    assert not list((checkout / "var" / "run").glob("*.pid"))
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{env['CCHC_UI_PORT']}/api/health", timeout=2)


def auth_py(cwd: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    return subprocess.run(
        [sys.executable, str(REPO / "deploy" / "auth.py"), *args],
        cwd=cwd,
        env={**env, **extra},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def test_a_password_already_in_env_is_kept_and_the_file_made_owner_only(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("CCHC_SMTP_HOST=mail\nPREFECT_SERVER_API_AUTH_STRING='cchc:cu'", "utf-8")
    env_file.chmod(0o644)  # as `cp .env.example .env` leaves it
    done = auth_py(tmp_path, "--shell")
    assert done.stdout.splitlines() == [
        "export PREFECT_SERVER_API_AUTH_STRING=cchc:cu",
        "export PREFECT_API_AUTH_STRING=cchc:cu",
    ]
    assert "cchc:cu" not in done.stderr and "quyền 600" in done.stderr
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert dotenv_values(env_file) == {
        "CCHC_SMTP_HOST": "mail",
        "PREFECT_SERVER_API_AUTH_STRING": "cchc:cu",
        "PREFECT_API_AUTH_STRING": "cchc:cu",
    }


def test_without_shell_the_password_is_printed_only_when_made(tmp_path):
    made = auth_py(tmp_path)
    password = dotenv_values(tmp_path / ".env")["PREFECT_SERVER_API_AUTH_STRING"] or ""
    assert made.stdout == "" and made.stderr.count(password) == 1
    again = auth_py(tmp_path)
    assert again.stdout == again.stderr == ""
    # A password given in the environment (e.g. by a service manager) wins; nothing is written.
    other = tmp_path / "other"
    other.mkdir()
    given = auth_py(other, "--shell", PREFECT_SERVER_API_AUTH_STRING="cchc:moi")
    assert "export PREFECT_API_AUTH_STRING=cchc:moi" in given.stdout
    assert not (other / ".env").exists()
