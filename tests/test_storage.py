"""The shared storage (tasks/storage.py) on a folder and on S3 (moto's server on 127.0.0.1):
what one machine stores another one finds, logs keep every machine's lines, an e-mail is never
sent twice from two machines, and a report run stores what it made."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from flows.report import report
from tasks import storage as storage_module
from tasks.errors import OutputError
from tasks.limits import ensure_limit
from tasks.mail import deliver_mail
from tasks.mail_message import OutgoingMail, Recipient
from tasks.outbox import SEND_LOG_NAME, append_json_lines, read_send_log
from tasks.settings import Settings, _export_storage_settings
from tasks.storage import SENDING_LIMIT, Storage
from tests.s3_server import make_bucket
from tests.smtp_server import SmtpTestServer, to_leaders, use_smtp_server

BUCKET = "cchc-chung"


@pytest.fixture
def s3_url(s3_environment: dict[str, str], request: pytest.FixtureRequest) -> str:
    """A fresh bucket on the session's S3 server, as CCHC_STORAGE would name it."""
    name = f"{BUCKET}-{abs(hash(request.node.name)) % 10**8}"
    make_bucket(s3_environment, name)
    return f"s3://{name}/so-xay-dung"


@pytest.fixture(params=["folder", "s3"])
def storage_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "folder":  # a share mounted on every machine
        return str(tmp_path / "o-chung")
    return str(request.getfixturevalue("s3_url"))


def test_without_storage_the_output_folder_is_the_storage(tmp_path: Path) -> None:
    storage = Storage(None, tmp_path)
    report_file = tmp_path / "2026-05" / "ket-qua.json"
    report_file.parent.mkdir()
    report_file.write_text("{}")

    storage.store([report_file])
    storage.remove([report_file])  # only the storage's copy would go: there is none

    assert not storage.shared and report_file.exists()
    assert storage.fetch_missing("*/*") == []


def test_what_one_machine_stores_another_finds(storage_url: str, tmp_path: Path) -> None:
    first, second = (
        Storage(storage_url, tmp_path / "may-1"),
        Storage(storage_url, tmp_path / "may-2"),
    )
    made = first.local / "2026-05" / "snapshots" / "du-lieu-20260605T080000.json.gz"
    made.parent.mkdir(parents=True)
    made.write_bytes(b"\x1f\x8b bytes as they are")

    first.store([made])
    fetched = second.fetch_missing("*/snapshots/*")

    copy = second.local / "2026-05" / "snapshots" / made.name
    assert fetched == [copy]
    assert copy.read_bytes() == made.read_bytes()
    assert second.fetch_missing("*/snapshots/*") == []  # already here: not fetched again

    first.remove([made])
    third = Storage(storage_url, tmp_path / "may-3")
    assert third.fetch_missing("*/snapshots/*") == []
    if "://" not in storage_url:  # a folder: stored through a rename, no temp file left over
        assert [p.name for p in Path(storage_url).rglob("*") if p.is_file()] == []


def test_a_log_keeps_the_lines_of_every_machine(storage_url: str, tmp_path: Path) -> None:
    machines = [Storage(storage_url, tmp_path / f"may-{n}") for n in (1, 2, 1)]

    for number, storage in enumerate(machines, start=1):
        log = storage.local / "nhac-viec.jsonl"
        with storage.exclusive(log):
            append_json_lines(log, [{"unit": f"DV{number}", "item": "quota:2026-05"}])

    reader = Storage(storage_url, tmp_path / "may-moi")
    log = reader.local / "nhac-viec.jsonl"
    reader.fetch(log)
    units = [json.loads(line)["unit"] for line in log.read_text().splitlines()]
    assert units == ["DV1", "DV2", "DV3"]


def test_two_machines_never_send_the_same_e_mail_twice(s3_url: str, tmp_path: Path) -> None:
    mail = OutgoingMail(
        key="report:2026-05",
        to=[Recipient("giamdoc@sxd.daklak.gov.vn", "Giám đốc Sở")],
        cc=[],
        subject="Báo cáo kết quả tuyên truyền CCHC tháng 5/2026",
        text="Kính gửi Lãnh đạo Sở.",
        html="<p>Kính gửi Lãnh đạo Sở.</p>",
        content_hash="sha256:bbbb",
    )
    with SmtpTestServer("plain") as server:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            storage=s3_url,
            smtp_host="127.0.0.1",
            smtp_port=server.port,
            smtp_security="none",
            smtp_retries=0,
        )
        first = deliver_mail(mail, settings, tmp_path / "may-1")
        second = deliver_mail(mail, settings, tmp_path / "may-2")

    assert (first.status, second.status) == ("sent", "duplicate")
    assert len(server.messages) == 1
    # The second machine's copy of the log is the storage's: the e-mail it did not send.
    assert [e["status"] for e in read_send_log(tmp_path / "may-2")] == ["sent"]


def test_a_storage_that_cannot_be_written_says_so(tmp_path: Path) -> None:
    blocked = tmp_path / "tep-thuong"
    blocked.write_text("not a folder")
    storage = Storage(str(blocked / "o-chung"), tmp_path / "may-1")
    log = storage.local / SEND_LOG_NAME
    log.parent.mkdir(parents=True)
    log.write_text("{}\n")

    with pytest.raises(OutputError, match="kho lưu trữ chung") as caught:
        storage.store([log])
    assert "thư mục" in str(caught.value)


def test_storage_keys_in_dot_env_reach_the_storage_library(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "AWS_ENDPOINT_URL=http://minio.sxd.local:9000\n"
        "AWS_ACCESS_KEY_ID=tu-dot-env\n"
        "CCHC_SMTP_PASSWORD=khong-xuat-ra\n"
    )
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "tu-moi-truong")
    monkeypatch.delenv("CCHC_SMTP_PASSWORD", raising=False)

    _export_storage_settings(env_file)

    assert os.environ["AWS_ENDPOINT_URL"] == "http://minio.sxd.local:9000"
    assert os.environ["AWS_ACCESS_KEY_ID"] == "tu-moi-truong"  # the environment wins
    assert "CCHC_SMTP_PASSWORD" not in os.environ  # our settings stay with pydantic-settings
    monkeypatch.delenv("AWS_ENDPOINT_URL")


@pytest.mark.usefixtures("prefect_harness")
def test_a_sending_slot_never_freed_fails_the_run_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect import flow
    from prefect.concurrency.sync import concurrency

    monkeypatch.setattr(storage_module, "SLOT_WAIT_SECONDS", 2)
    storage = Storage(str(tmp_path / "o-chung"), tmp_path / "may-1")

    @flow
    def sending() -> None:
        with storage.exclusive(storage.local / SEND_LOG_NAME):
            raise AssertionError("the slot is held elsewhere: never here")

    ensure_limit(SENDING_LIMIT, 1)
    with concurrency(SENDING_LIMIT, occupy=1, strict=True):  # a run killed while holding it
        state = sending(return_state=True)

    assert state.is_failed()
    assert "chưa tới lượt gửi thư" in str(state.message) + repr(
        state.result(raise_on_failure=False)
    )


@pytest.mark.usefixtures("prefect_harness")
def test_a_report_run_on_another_machine_finds_what_the_first_stored(
    out: Path, s3_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CCHC_STORAGE", s3_url)
    with SmtpTestServer("auth") as server:
        use_smtp_server(monkeypatch, server.port)
        first = report(period="2026-05", as_of="2026-06-05", send=True, return_state=True)
        monkeypatch.setenv("CCHC_OUTPUT_DIR", str(out.parent / "may-2"))
        second = report(period="2026-05", as_of="2026-06-05", send=True, return_state=True)

    assert first.is_completed() and second.is_completed(), second.message
    assert len(to_leaders(server.messages)) == 1  # the second machine saw the send log
    assert second.result()["mail"].startswith("không gửi lại")
    elsewhere = out.parent / "may-3"
    names = sorted(
        p.relative_to(elsewhere).as_posix() for p in Storage(s3_url, elsewhere).fetch_missing("*")
    )
    assert "2026-05/ket-qua.json" in names and SEND_LOG_NAME in names
    assert any(n.startswith("2026-05/Bao-cao-CCHC-") and n.endswith(".docx") for n in names)
    assert len([n for n in names if "/snapshots/du-lieu-" in n]) == 2  # one per run
