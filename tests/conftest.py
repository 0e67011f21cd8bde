from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from tasks.plan import Plan, load_plan
from tasks.settings import DEFAULT_PLAN
from tests.sheets_emulator import ACCOUNT_EMAIL, ACCOUNT_KEY_ID, SheetsEmulator

# The shared Sheets rate limit (tasks/sheets_quota.py) would pace every test's requests at
# Google's 60 a minute on the session's Prefect server; the tests of the quota set their own.
os.environ.setdefault("CCHC_SHEETS_QUOTA", "0")


@pytest.fixture(scope="session")
def plan() -> Plan:
    return load_plan(DEFAULT_PLAN)


@pytest.fixture
def plan_file(tmp_path: Path) -> Path:
    """A writable copy of the real plan, for tests that change it."""
    path = tmp_path / "plan.yaml"
    path.write_text(DEFAULT_PLAN.read_text(encoding="utf-8"), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def private_key_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())


@pytest.fixture
def emulator(private_key_pem: bytes) -> Iterator[SheetsEmulator]:
    """The loopback Sheets API server, trusting the test service account."""
    with SheetsEmulator() as emu:
        emu.trust(ACCOUNT_EMAIL, private_key_pem)  # the token endpoint verifies the JWT signature
        yield emu


@pytest.fixture
def account_info(emulator: SheetsEmulator, private_key_pem: bytes) -> dict[str, str]:
    """A real service-account JSON whose token_uri points at the emulator."""
    return {
        "type": "service_account",
        "project_id": "cchc-daklak",
        "private_key_id": ACCOUNT_KEY_ID,
        "private_key": private_key_pem.decode(),
        "client_email": ACCOUNT_EMAIL,
        "client_id": "104563271895623874512",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": emulator.url + "/token",
    }


@pytest.fixture
def key_file(tmp_path: Path, account_info: dict[str, Any]) -> Path:
    path = tmp_path / "service-account.json"
    path.write_text(json.dumps(account_info), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """A temporary Prefect server (SQLite) for the whole session: flows run for real."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean environment for a flow run; returns its output folder."""
    monkeypatch.chdir(tmp_path)  # no stray .env from a developer's checkout
    for name in (
        "CCHC_SOURCE",
        "CCHC_SMTP_HOST",
        "CCHC_PLAN",
        "CCHC_STORAGE",
        "GOOGLE_APPLICATION_CREDENTIALS",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CCHC_OUTPUT_DIR", str(tmp_path / "var"))
    return tmp_path / "var"


def artifacts_of(state: Any) -> dict[str, str]:
    """Artifact key -> type of a finished flow run."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id])
            )
        )
    return {a.key: a.type for a in found}


def serve_sample_sheet(
    emulator: SheetsEmulator, key: str, key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bundled sample workbook served as Google Sheet ``key``, and the settings pointing
    the product at it (URL source, endpoint, service-account key file)."""
    from tasks.collect import read_workbook
    from tasks.settings import SAMPLE_WORKBOOK

    sample = read_workbook(SAMPLE_WORKBOOK)
    emulator.add_book(key, {title: tab.rows for title, tab in sample.tabs.items()})
    monkeypatch.setenv("CCHC_SOURCE", f"https://docs.google.com/spreadsheets/d/{key}/edit#gid=0")
    monkeypatch.setenv("CCHC_SHEETS_ENDPOINT", emulator.url)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))


@pytest.fixture(scope="session")
def s3_environment() -> Iterator[dict[str, str]]:
    """S3 on 127.0.0.1 (moto), its endpoint and keys set in this process's environment."""
    from tests.s3_server import s3_server

    with s3_server() as environment:
        before = {name: os.environ.get(name) for name in environment}
        os.environ.update(environment)
        yield environment
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
