"""E-mail (tasks/mail.py, mail_message.py, outbox.py) against a real local SMTP server
(tests/smtp_server.py)."""

from __future__ import annotations

import email
import email.policy
import getpass
import io
import json
import sys
import threading
import types
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import yagmail.sender

from tasks.errors import DeliveryError
from tasks.mail import SendResult, deliver_mail
from tasks.mail_message import OutgoingMail, Recipient
from tasks.outbox import read_send_log, safe_file_stem
from tasks.settings import Settings
from tests.smtp_server import (
    TEST_PASSWORD,
    TEST_USER,
    SelfSignedCertificate,
    SmtpTestServer,
    free_port,
    make_certificate,
)

pytestmark = pytest.mark.filterwarnings(
    "ignore:Requiring AUTH while not requiring TLS:UserWarning",
    "ignore::ResourceWarning",  # yagmail 0.16.0 re-login after a disconnect leaks the old socket
)

MAIL_FROM = "Văn phòng Sở Xây dựng <vanphong@sxd.daklak.gov.vn>"
SUBJECT = (
    "Báo cáo kết quả thông tin, tuyên truyền cải cách hành chính tháng 5/2026 "
    "của Sở Xây dựng tỉnh Đắk Lắk (bản cập nhật)"
)
LEADER = Recipient("giamdoc@sxd.daklak.gov.vn", "Nguyễn Văn Á, Giám đốc Sở Xây dựng tỉnh Đắk Lắk")
DEPUTY = Recipient("phogiamdoc@sxd.daklak.gov.vn", "Trần Thị Bích Ngọc")
OFFICE = Recipient("vanphong@sxd.daklak.gov.vn", "Văn phòng Sở")
TEXT = "Kính gửi Lãnh đạo Sở,\n\nSố tin bài tháng 5/2026: 12.\n/etc/hostname\n"
HTML = "<html><body><p>Kính gửi Lãnh đạo Sở,</p><p>&lt;b&gt; 12 &amp; 3</p></body></html>"
REPORT_NAME = "Báo cáo CCHC tháng 5-2026.docx"
REPORT_BYTES = b"PK\x03\x04" + bytes(range(256)) * 4


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No CCHC_* variable of the developer's shell may turn a test into a real send."""
    for name in list(__import__("os").environ):
        if name.startswith("CCHC_"):
            monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def yagmail_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """yagmail 0.16.0 sleeps 3 s, 6 s (time.sleep) between its own retries: record, don't wait."""
    slept: list[float] = []
    monkeypatch.setattr(yagmail.sender, "time", types.SimpleNamespace(sleep=slept.append))
    return slept


@pytest.fixture
def sleeps() -> list[float]:
    """Waits requested by deliver_mail's own backoff (pass ``sleep=sleeps.append``)."""
    return []


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> SelfSignedCertificate:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def start_server(certificate: SelfSignedCertificate) -> Iterator[Callable[..., SmtpTestServer]]:
    """``start_server(variant="auth", fault=None, port=None)``; every server stops at teardown."""
    running: list[SmtpTestServer] = []

    def start(variant: str = "auth", **options: Any) -> SmtpTestServer:
        server = SmtpTestServer(variant, certificate=certificate, **options).start()
        running.append(server)
        return server

    yield start
    for server in running:
        server.stop()


@pytest.fixture
def report_file(tmp_path: Path) -> Path:
    path = tmp_path / "bao-cao-2026-05.docx"
    path.write_bytes(REPORT_BYTES)
    return path


def make_mail(report: Path | None = None, **changes: Any) -> OutgoingMail:
    fields: dict[str, Any] = {
        "key": "report:2026-05",
        "to": [LEADER, DEPUTY],
        "cc": [OFFICE],
        "subject": SUBJECT,
        "text": TEXT,
        "html": HTML,
        "content_hash": "sha256:aaaa",
        "attachments": [(report, REPORT_NAME)] if report else [],
    }
    fields.update(changes)
    return OutgoingMail(**fields)


def smtp_settings(port: int, security: str = "none", **changes: Any) -> Settings:
    fields: dict[str, Any] = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_security": security,
        "smtp_user": TEST_USER,
        "smtp_password": TEST_PASSWORD,
        "mail_from": MAIL_FROM,
    }
    fields.update(changes)
    return Settings(_env_file=None, **fields)  # type: ignore[call-arg]


def outbox_settings() -> Settings:
    return Settings(_env_file=None, mail_from=MAIL_FROM)  # type: ignore[call-arg]


def parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def addresses(message: EmailMessage, header: str) -> list[tuple[str, str]]:
    return [(a.display_name, a.addr_spec) for a in message[header].addresses]


def body(message: EmailMessage, kind: str) -> str:
    part = message.get_body(preferencelist=(kind,))
    assert part is not None, kind
    return str(part.get_content()).replace("\r\n", "\n")


def attachments(message: EmailMessage) -> list[tuple[str | None, bytes]]:
    return [(part.get_filename(), part.get_content()) for part in message.iter_attachments()]


def statuses(output_dir: Path) -> list[str]:
    return [entry["status"] for entry in read_send_log(output_dir)]


def assert_is_the_report(message: EmailMessage) -> None:
    assert message["Subject"] == SUBJECT
    assert addresses(message, "To") == [(LEADER.name, LEADER.email), (DEPUTY.name, DEPUTY.email)]
    assert addresses(message, "Cc") == [(OFFICE.name, OFFICE.email)]
    assert addresses(message, "From") == [("Văn phòng Sở Xây dựng", "vanphong@sxd.daklak.gov.vn")]
    assert body(message, "plain") == TEXT
    assert body(message, "html").rstrip("\n") == HTML
    assert attachments(message) == [(REPORT_NAME, REPORT_BYTES)]
    assert message["Message-ID"].endswith("@sxd.daklak.gov.vn>")
    assert "Bcc" not in message


# --------------------------------------------------------------------------- outbox


def test_outbox_writes_the_message_as_an_eml_file(tmp_path: Path, report_file: Path) -> None:
    result = deliver_mail(make_mail(report_file), outbox_settings(), tmp_path / "var")

    assert result.status == "outbox"
    assert result.path == tmp_path / "var" / "outbox" / "report-2026-05.eml"
    data = result.path.read_bytes()
    assert data.isascii() and b"\r\n" in data  # RFC 5322 on the wire: 7-bit, CRLF
    message = parse(data)
    assert_is_the_report(message)
    assert message["Message-ID"] == result.message_id
    assert message.get_content_type() == "multipart/mixed"
    assert [p.get_content_type() for p in message.walk()] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ]
    [entry] = read_send_log(tmp_path / "var")
    assert entry["status"] == "outbox"
    assert entry["recipients"] == sorted([LEADER.email, DEPUTY.email, OFFICE.email])
    assert entry["content_hash"] == "sha256:aaaa"
    assert entry["message_id"] == result.message_id


def test_outbox_file_name_never_leaves_the_outbox(tmp_path: Path) -> None:
    mail = make_mail(key="../../../etc/cron.d/x\r\n\x00..\\..\\win:2026/05")
    result = deliver_mail(mail, outbox_settings(), tmp_path / "var")

    assert result.path is not None
    assert result.path.parent == tmp_path / "var" / "outbox"
    assert result.path.name == "etc-cron-d-x-win-2026-05.eml"
    assert [p.name for p in tmp_path.rglob("*.eml")] == [result.path.name]


@pytest.mark.parametrize(
    ("key", "stem"),
    [
        ("report:2026-05", "report-2026-05"),
        ("remind:QLXD:2026-11-20", "remind-QLXD-2026-11-20"),
        ("nhắc:Phòng Quản lý/đô thị", "nhac-Phong-Quan-ly-do-thi"),
        ("..", "thu"),
        ("/", "thu"),
        ("CON", "thu-CON"),
    ],
)
def test_safe_file_stem(key: str, stem: str) -> None:
    assert safe_file_stem(key) == stem


def test_deliveries_at_once_write_one_e_mail(tmp_path: Path) -> None:
    # Two scheduled runs after a redeploy: the send-log lock lets only the first one deliver.
    barrier = threading.Barrier(4)

    def deliver() -> SendResult:
        barrier.wait()
        return deliver_mail(make_mail(), outbox_settings(), tmp_path)

    with ThreadPoolExecutor(4) as pool:
        statuses = sorted(r.status for r in pool.map(lambda _: deliver(), range(4)))

    assert statuses == ["duplicate", "duplicate", "duplicate", "outbox"]
    assert len(list((tmp_path / "outbox").iterdir())) == 1


def test_outbox_mode_is_idempotent_too(tmp_path: Path) -> None:
    first = deliver_mail(make_mail(), outbox_settings(), tmp_path)
    again = deliver_mail(make_mail(), outbox_settings(), tmp_path)

    assert (first.status, again.status) == ("outbox", "duplicate")
    assert again.path == first.path and again.message_id == first.message_id
    assert len(list((tmp_path / "outbox").iterdir())) == 1


# --------------------------------------------------------------------------- SMTP delivery


def test_smtp_with_auth_delivers_the_same_message_as_the_outbox(
    tmp_path: Path, report_file: Path, start_server: Callable[..., SmtpTestServer]
) -> None:
    server = start_server("auth")
    result = deliver_mail(make_mail(report_file), smtp_settings(server.port), tmp_path / "smtp")

    assert result == SendResult("sent", "report:2026-05", result.message_id, None, None)
    [received] = server.messages
    assert received.authenticated_as == TEST_USER
    assert received.mail_from == TEST_USER
    assert sorted(received.rcpt_tos) == sorted([LEADER.email, DEPUTY.email, OFFICE.email])
    assert_is_the_report(received.message)
    assert received.message["Message-ID"] == result.message_id
    assert statuses(tmp_path / "smtp") == ["sent"]

    # The outbox holds the same message: same headers, same parts, same content.
    outbox = deliver_mail(make_mail(report_file), outbox_settings(), tmp_path / "outbox")
    assert outbox.path is not None
    written = parse(outbox.path.read_bytes())
    assert list(written.keys()) == list(received.message.keys())
    assert [p.get_content_type() for p in written.walk()] == [
        p.get_content_type() for p in received.message.walk()
    ]
    assert (body(written, "plain"), body(written, "html")) == (
        body(received.message, "plain"),
        body(received.message, "html"),
    )


def test_message_ids_are_unique_for_the_same_subject_and_recipients(
    tmp_path: Path, start_server: Callable[..., SmtpTestServer]
) -> None:
    server = start_server("auth")
    settings = smtp_settings(server.port)
    first = deliver_mail(make_mail(key="remind:VP:2026-11-20"), settings, tmp_path)
    second = deliver_mail(make_mail(key="remind:VP:2026-11-21"), settings, tmp_path)

    ids = [m.message["Message-ID"] for m in server.messages]
    assert len(ids) == 2 and ids[0] != ids[1]
    assert ids == [first.message_id, second.message_id]


def test_starttls_delivery_verifies_the_test_certificate(
    tmp_path: Path,
    certificate: SelfSignedCertificate,
    start_server: Callable[..., SmtpTestServer],
) -> None:
    server = start_server("starttls")
    settings = smtp_settings(server.port, "starttls")
    result = deliver_mail(make_mail(), settings, tmp_path, tls_context=certificate.client_context())

    assert result.status == "sent"
    [received] = server.messages
    assert received.tls and received.authenticated_as == TEST_USER
    assert received.message["Subject"] == SUBJECT


def test_starttls_rejects_an_unknown_certificate_by_default(
    tmp_path: Path, sleeps: list[float], start_server: Callable[..., SmtpTestServer]
) -> None:
    # smtplib (and so yagmail 0.16.0) would accept any certificate; deliver_mail verifies.
    server = start_server("starttls")
    with pytest.raises(DeliveryError, match="chứng chỉ TLS"):
        deliver_mail(
            make_mail(), smtp_settings(server.port, "starttls"), tmp_path, sleep=sleeps.append
        )
    assert server.messages == [] and sleeps == []


def test_implicit_tls_delivery(
    tmp_path: Path,
    certificate: SelfSignedCertificate,
    start_server: Callable[..., SmtpTestServer],
) -> None:
    server = start_server("ssl")
    settings = smtp_settings(server.port, "ssl")
    result = deliver_mail(make_mail(), settings, tmp_path, tls_context=certificate.client_context())

    assert result.status == "sent"
    assert [m.authenticated_as for m in server.messages] == [TEST_USER]


def test_relay_without_login(tmp_path: Path, start_server: Callable[..., SmtpTestServer]) -> None:
    server = start_server("plain")
    settings = smtp_settings(server.port, smtp_user=None, smtp_password=None)
    result = deliver_mail(make_mail(), settings, tmp_path)

    assert result.status == "sent"
    [received] = server.messages
    # yagmail 0.16.0 would make the sender "@gmail.com" when skipping login with no user.
    assert received.authenticated_as is None
    assert received.mail_from == "vanphong@sxd.daklak.gov.vn"


def test_login_name_without_at_sign_is_kept(
    tmp_path: Path, start_server: Callable[..., SmtpTestServer]
) -> None:
    # yagmail 0.16.0 turns the user "vanphong" into "vanphong@gmail.com".
    server = start_server("auth", user="vanphong")
    result = deliver_mail(make_mail(), smtp_settings(server.port, smtp_user="vanphong"), tmp_path)

    assert result.status == "sent"
    assert [m.authenticated_as for m in server.messages] == ["vanphong"]


def test_path_like_and_escaped_bodies_arrive_as_text(
    tmp_path: Path, start_server: Callable[..., SmtpTestServer]
) -> None:
    existing = tmp_path / "so-lieu.txt"
    existing.write_text("không được đính kèm", encoding="utf-8")
    server = start_server("auth")
    mail = make_mail(text=str(existing), html="&lt;b&gt;")  # whole bodies that yagmail would eat
    deliver_mail(mail, smtp_settings(server.port), tmp_path / "a")
    mail = make_mail(key="k2", text="/etc/hostname", html="<p>&lt;b&gt;\n/etc/hostname</p>")
    deliver_mail(mail, smtp_settings(server.port), tmp_path / "b")

    first, second = (m.message for m in server.messages)
    assert attachments(first) == [] and attachments(second) == []
    assert body(first, "plain") == f"{existing}\n"
    assert body(first, "html") == "&lt;b&gt;\n"  # not unescaped, no <div>, no premailer
    assert body(second, "plain") == "/etc/hostname\n"
    assert body(second, "html") == "<p>&lt;b&gt;\n/etc/hostname</p>\n"  # no <br> added


def test_crlf_in_subject_or_name_cannot_add_a_header(
    tmp_path: Path, start_server: Callable[..., SmtpTestServer]
) -> None:
    server = start_server("auth")
    mail = make_mail(
        subject="Báo cáo tháng 5\r\nBcc: ke-gian@evil.example\r\nX-Injected: 1",
        to=[Recipient(LEADER.email, "Giám đốc\nX-Injected: 2\r\nBcc: ke-gian@evil.example")],
        cc=[],
    )
    deliver_mail(mail, smtp_settings(server.port), tmp_path)

    [received] = server.messages
    message = received.message
    assert "Bcc" not in message and "X-Injected" not in message
    assert received.rcpt_tos == [LEADER.email]
    assert message["Subject"] == "Báo cáo tháng 5 Bcc: ke-gian@evil.example X-Injected: 1"
    assert addresses(message, "To") == [
        ("Giám đốc X-Injected: 2 Bcc: ke-gian@evil.example", LEADER.email)
    ]


def test_invalid_recipient_address_is_refused(tmp_path: Path) -> None:
    mail = make_mail(to=[Recipient("a@sxd.daklak.gov.vn, b@evil.example")])
    with pytest.raises(DeliveryError, match="không hợp lệ"):
        deliver_mail(mail, outbox_settings(), tmp_path)


# --------------------------------------------------------------------------- never twice


def test_never_twice_force_and_replacement(
    tmp_path: Path, start_server: Callable[..., SmtpTestServer]
) -> None:
    server = start_server("auth")
    settings = smtp_settings(server.port)

    first = deliver_mail(make_mail(), settings, tmp_path)
    again = deliver_mail(make_mail(), settings, tmp_path)
    assert (first.status, again.status) == ("sent", "duplicate")
    assert again.message_id == first.message_id
    assert len(server.messages) == 1

    forced = deliver_mail(make_mail(), settings, tmp_path, force=True)
    assert forced.status == "sent" and forced.replaces is None
    assert len(server.messages) == 2

    # Same key and recipients, new figures: sent, saying which e-mail it replaces.
    updated = deliver_mail(make_mail(content_hash="sha256:bbbb"), settings, tmp_path)
    sent_on = date.fromisoformat(read_send_log(tmp_path)[0]["at"][:10])
    assert updated.status == "sent" and updated.replaces == sent_on.isoformat()
    notice = f"Thư này thay thế thư đã gửi ngày {sent_on:%d/%m/%Y} (số liệu đã được cập nhật)."
    message = server.messages[2].message
    assert body(message, "plain") == f"{notice}\n\n{TEXT}"
    html = body(message, "html")
    assert html.startswith(f"<html><body>\n<p><strong>{notice}</strong></p>\n<p>Kính gửi")
    assert deliver_mail(make_mail(content_hash="sha256:bbbb"), settings, tmp_path).status == (
        "duplicate"
    )
    assert len(server.messages) == 3

    # Other recipients: a different e-mail, not a duplicate.
    other = deliver_mail(make_mail(content_hash="sha256:bbbb", cc=[]), settings, tmp_path)
    assert other.status == "sent" and other.replaces is None
    assert statuses(tmp_path) == ["sent"] * 4


def test_replacement_notice_is_html_escaped(tmp_path: Path) -> None:
    deliver_mail(make_mail(html="<p>x</p>"), outbox_settings(), tmp_path)
    result = deliver_mail(
        make_mail(html="<p>y</p>", content_hash="new"), outbox_settings(), tmp_path
    )

    assert result.status == "outbox" and result.replaces
    assert result.path is not None and result.path.name == "report-2026-05-2.eml"
    html = body(parse(result.path.read_bytes()), "html")
    assert html.startswith("<p><strong>Thư này thay thế thư đã gửi ngày ")
    assert html.endswith("</strong></p>\n<p>y</p>\n")


# --------------------------------------------------------------------------- failures


def test_server_down_then_up_sends_exactly_once(
    tmp_path: Path, sleeps: list[float], start_server: Callable[..., SmtpTestServer]
) -> None:
    port = free_port()  # nobody listens: connection refused
    with pytest.raises(DeliveryError) as failure:
        deliver_mail(make_mail(), smtp_settings(port), tmp_path, sleep=sleeps.append)

    assert "Không gửi được thư “report:2026-05” qua máy chủ SMTP 127.0.0.1" in str(failure.value)
    assert "từ chối kết nối" in str(failure.value)
    assert sleeps == [5.0, 15.0, 45.0]  # 1 + 3 retries, bounded backoff
    assert statuses(tmp_path) == ["failed"]

    server = start_server("auth", port=port)
    assert deliver_mail(make_mail(), smtp_settings(port), tmp_path).status == "sent"
    assert deliver_mail(make_mail(), smtp_settings(port), tmp_path).status == "duplicate"
    assert len(server.messages) == 1
    assert statuses(tmp_path) == ["failed", "sent"]


def test_auth_refused_is_not_retried_and_the_password_never_shows(
    tmp_path: Path,
    sleeps: list[float],
    caplog: pytest.LogCaptureFixture,
    start_server: Callable[..., SmtpTestServer],
) -> None:
    wrong = "Sai-Mat-Khau-0000"
    server = start_server("auth")
    with pytest.raises(DeliveryError) as failure:
        deliver_mail(
            make_mail(),
            smtp_settings(server.port, smtp_password=wrong),
            tmp_path,
            sleep=sleeps.append,
        )

    message = str(failure.value)
    assert "từ chối đăng nhập" in message and "535" in message
    # One login, no retry: smtplib tries each offered mechanism once (PLAIN, then LOGIN).
    assert server.authenticator.mechanisms == ["PLAIN", "LOGIN"] and sleeps == []
    assert server.messages == []
    log_text = (tmp_path / "send-log.jsonl").read_text(encoding="utf-8")
    for secret in (wrong, TEST_PASSWORD):
        assert secret not in message and secret not in log_text and secret not in caplog.text
    assert failure.value.__cause__ is None
    assert statuses(tmp_path) == ["failed"]


def test_disconnect_mid_send_is_retried_and_delivered_once(
    tmp_path: Path,
    sleeps: list[float],
    yagmail_sleeps: list[float],
    start_server: Callable[..., SmtpTestServer],
) -> None:
    server = start_server("auth", fault="disconnect")
    result = deliver_mail(make_mail(), smtp_settings(server.port), tmp_path, sleep=sleeps.append)

    assert result.status == "sent"
    assert server.handler.data_calls == 2 and len(server.messages) == 1
    # yagmail 0.16.0 itself catches SMTPServerDisconnected, logs in again and retries after
    # time.sleep(3); our own loop never saw an error.
    assert yagmail_sleeps == [3] and sleeps == []
    assert statuses(tmp_path) == ["sent"]


def test_temporary_4xx_answer_is_retried_with_our_backoff(
    tmp_path: Path, sleeps: list[float], start_server: Callable[..., SmtpTestServer]
) -> None:
    server = start_server("auth", fault="tempfail")
    result = deliver_mail(make_mail(), smtp_settings(server.port), tmp_path, sleep=sleeps.append)

    assert result.status == "sent"
    assert sleeps == [5.0]
    assert server.handler.data_calls == 2 and len(server.messages) == 1


def test_persistent_disconnect_becomes_a_delivery_error(
    tmp_path: Path,
    sleeps: list[float],
    yagmail_sleeps: list[float],
    start_server: Callable[..., SmtpTestServer],
) -> None:
    server = start_server("auth", fault="disconnect-always")
    with pytest.raises(DeliveryError, match="ngắt kết nối"):
        deliver_mail(make_mail(), smtp_settings(server.port), tmp_path, sleep=sleeps.append)

    # yagmail 0.16.0 returned False (no exception) after 3 attempts of its own.
    assert server.handler.data_calls == 3 and yagmail_sleeps == [3, 6, 9]
    assert sleeps == [] and server.messages == []
    assert statuses(tmp_path) == ["failed"]


def test_user_without_password_fails_at_once_without_prompting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_prompt(*args: object, **kwargs: object) -> str:
        raise AssertionError("prompted for a password")

    monkeypatch.setattr(getpass, "getpass", no_prompt)
    monkeypatch.setattr("builtins.input", no_prompt)
    closed = io.StringIO()
    closed.close()
    monkeypatch.setattr(sys, "stdin", closed)
    port = free_port()  # nothing listens: any connection attempt would fail differently

    with pytest.raises(DeliveryError, match="chưa có mật khẩu.*CCHC_SMTP_PASSWORD"):
        deliver_mail(make_mail(), smtp_settings(port, smtp_password=None), tmp_path)
    assert not (tmp_path / "send-log.jsonl").exists()


def test_password_from_a_prefect_secret_block_is_the_raw_string(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, start_server: Callable[..., SmtpTestServer]
) -> None:
    from prefect.blocks.system import Secret
    from pydantic import SecretStr

    loaded: list[str] = []

    def fake_load(cls: type, name: str, **kwargs: object) -> Secret:
        loaded.append(name)
        return Secret(value=SecretStr("12345"))  # Secret.get() would json-decode it to 12345

    monkeypatch.setattr(Secret, "load", classmethod(fake_load))
    server = start_server("auth", password="12345")
    settings = smtp_settings(server.port, smtp_password=None, smtp_password_block="smtp-sxd")

    assert deliver_mail(make_mail(), settings, tmp_path).status == "sent"
    assert loaded == ["smtp-sxd"] and len(server.messages) == 1


def test_send_log_survives_a_torn_line(tmp_path: Path) -> None:
    (tmp_path / "send-log.jsonl").write_text('{"key": "report:2026-04", "sta', encoding="utf-8")
    deliver_mail(make_mail(), outbox_settings(), tmp_path)

    lines = (tmp_path / "send-log.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and json.loads(lines[1])["status"] == "outbox"
    assert statuses(tmp_path) == ["outbox"]
