"""E-mail transport: a mail sent through yagmail or written to the outbox, at most once.

``deliver_mail`` checks the recipients, builds the message (tasks.mail_message) and, under the
send log's lock (tasks.outbox), either hands that exact message to yagmail (an SMTP host is
configured) or writes the same bytes to the outbox. New figures for an e-mail already sent go out
as a replacement that says which e-mail it replaces.

Every yagmail 0.16.0 surprise of the SMTP conversation is handled here, once; each place is
marked "yagmail 0.16.0".
"""

from __future__ import annotations

import base64
import logging
import smtplib
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yagmail
from yagmail.error import YagAddressError

from tasks.errors import DeliveryError, OutputError
from tasks.mail_message import (
    OutgoingMail,
    build_message,
    checked_recipients,
    one_line,
    parse_sender,
)
from tasks.outbox import (
    SEND_LOG_NAME,
    append_send_log,
    entry_day,
    latest_delivery,
    read_send_log,
    write_outbox,
)
from tasks.settings import Settings
from tasks.storage import Storage

logger = logging.getLogger(__name__)

DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
SMTP_TIMEOUT_SECONDS = 60
# Waits between our own attempts (greylisting answers 4xx and wants a few minutes at most).
BACKOFF_SECONDS = (5.0, 15.0, 45.0)


@dataclass
class SendResult:
    status: str  # "sent" | "outbox" | "duplicate"
    key: str
    message_id: str | None
    path: Path | None  # the .eml file in outbox mode
    replaces: str | None  # ISO date of the earlier e-mail this one replaces


@dataclass(frozen=True)
class _SmtpConfig:
    host: str
    port: int
    security: str
    user: str | None
    password: str | None = field(repr=False)
    envelope_from: str


class _YagmailGaveUp(Exception):
    """yagmail's ``send`` returned False: it swallowed the error after its own retries."""


def deliver_mail(
    mail: OutgoingMail,
    settings: Settings,
    output_dir: Path,
    *,
    force: bool = False,
    retries: int = 3,
    sleep: Callable[[float], object] = time.sleep,
    tls_context: ssl.SSLContext | None = None,
) -> SendResult:
    """Send ``mail`` (SMTP configured) or write it to the outbox, at most once per content.

    In: the mail, the settings (SMTP host/port/security/user/password, ``mail_from``), the output
    folder holding ``send-log.jsonl`` and ``outbox/``. ``force`` sends even an e-mail already
    sent with the same content; ``retries`` bounds the extra attempts after a transient SMTP error,
    waiting with ``sleep``; ``tls_context`` replaces the system trust store (tests only).
    Out: a SendResult with status ``sent``, ``outbox`` or ``duplicate``.
    Raises DeliveryError (Vietnamese, never containing the password) when the e-mail cannot be
    sent; the failure is logged and the next run tries again.
    """
    output_dir = Path(output_dir)
    to = checked_recipients(mail.to, mail.key)
    if not to:
        raise DeliveryError(f"Thư “{mail.key}” không có người nhận (To) nên không gửi.")
    in_to = {r.email.lower() for r in to}
    cc = [r for r in checked_recipients(mail.cc, mail.key) if r.email.lower() not in in_to]
    sender = parse_sender(settings.mail_from)
    envelope_to = [r.email for r in (*to, *cc)]
    recipients = sorted({address.lower() for address in envelope_to})
    # Credentials are resolved first, so a missing password fails at once, before anything else.
    smtp = _smtp_config(settings, sender[1], mail.key) if settings.sends_mail else None
    counted = {"sent"} if smtp else {"sent", "outbox"}

    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"Không tạo được thư mục kết quả {output_dir}: {err.strerror}") from err

    storage = Storage.of(settings, output_dir)
    with storage.exclusive(output_dir / SEND_LOG_NAME):
        previous = latest_delivery(read_send_log(output_dir), mail.key, recipients, counted)
        if previous and previous.get("content_hash") == mail.content_hash and not force:
            logger.info(
                "Thư “%s” đã %s ngày %s với cùng nội dung và người nhận; không gửi lại.",
                mail.key,
                "được gửi" if previous.get("status") == "sent" else "được ghi vào outbox",
                previous.get("at"),
            )
            earlier_path = previous.get("path")
            return SendResult(
                status="duplicate",
                key=mail.key,
                message_id=previous.get("message_id"),
                path=Path(earlier_path) if earlier_path else None,
                replaces=None,
            )
        replaces = None
        if previous and previous.get("content_hash") != mail.content_hash:
            replaces = entry_day(previous)
        message_id, message = build_message(mail, sender, to, cc, replaces)
        entry: dict[str, Any] = {
            "key": mail.key,
            "recipients": recipients,
            "content_hash": mail.content_hash,
            "message_id": message_id,
            "subject": one_line(mail.subject),
        }
        if replaces:
            entry["replaces"] = replaces

        if smtp is None:
            path = write_outbox(output_dir, mail.key, message)
            append_send_log(output_dir, {**entry, "status": "outbox", "path": str(path)})
            storage.store([path])
            logger.info("Chưa cấu hình SMTP: thư “%s” được ghi vào %s.", mail.key, path)
            return SendResult("outbox", mail.key, message_id, path, replaces)

        try:
            refused = _send_with_retries(
                smtp, envelope_to, message, mail.key, retries, sleep, tls_context
            )
        except Exception as err:
            # Never "sent": the next run sends it. The message is already scrubbed of secrets.
            reason = str(err) if isinstance(err, DeliveryError) else type(err).__name__
            append_send_log(output_dir, {**entry, "status": "failed", "error": reason})
            raise
        if refused:
            entry["refused"] = sorted(refused)
            logger.warning(
                "Máy chủ SMTP từ chối một số người nhận thư “%s”: %s", mail.key, sorted(refused)
            )
        append_send_log(output_dir, {**entry, "status": "sent"})
        logger.info("Đã gửi thư “%s” tới %s.", mail.key, ", ".join(recipients))
        return SendResult("sent", mail.key, message_id, None, replaces)


# --------------------------------------------------------------------------- SMTP via yagmail


class _PreparedMessageClient(yagmail.SMTP):
    """A yagmail client that sends one message built by build_message, byte for byte.

    yagmail 0.16.0 ``send`` = ``login`` + ``prepare_send`` (its builder) + ``_attempt_send``.
    Only ``prepare_send`` is replaced, so the connection, TLS, login and the SMTP conversation
    stay yagmail's and the bytes sent are the bytes the outbox would hold.
    """

    def __init__(self, envelope_to: list[str], message: str, **options: Any) -> None:
        super().__init__(**options)
        self._prepared = (list(envelope_to), message)
        # yagmail 0.16.0 puts its own stderr handler on its logger; let ours decide.
        self.set_logging(None)

    def prepare_send(self, *args: Any, **kwargs: Any) -> tuple[list[str], str]:
        return list(self._prepared[0]), self._prepared[1]


def _smtp_config(settings: Settings, mail_from: str, key: str) -> _SmtpConfig:
    host = str(settings.smtp_host)
    security = settings.smtp_security
    port = settings.smtp_port or DEFAULT_PORTS[security]
    user = (settings.smtp_user or "").strip() or None
    password = None
    if user:
        password = _smtp_password(settings)
        if not password:
            # yagmail 0.16.0 with no password reads a keyring or prompts on stdin
            # (getpass + input): an unattended run would hang. Fail at once instead.
            raise DeliveryError(
                f"Có tài khoản SMTP “{user}” nhưng chưa có mật khẩu: đặt CCHC_SMTP_PASSWORD hoặc "
                f"CCHC_SMTP_PASSWORD_BLOCK (khối Secret của Prefect). Thư “{key}” chưa được gửi."
            )
        if not (user.isascii() and password.isascii()):
            # smtplib (Python 3.11, under yagmail 0.16.0) encodes every AUTH exchange as ASCII:
            # a login with diacritics raises UnicodeEncodeError mid-conversation. Say so here.
            raise DeliveryError(
                "Tên đăng nhập hoặc mật khẩu SMTP có ký tự ngoài bảng mã ASCII (chữ có dấu, ký tự "
                "đặc biệt Unicode) nên không đăng nhập được máy chủ thư: đổi mật khẩu chỉ gồm chữ "
                f"không dấu, số và ký hiệu rồi cập nhật CCHC_SMTP_PASSWORD. Thư “{key}” chưa được "
                "gửi."
            )
        if security == "none":
            logger.warning("CCHC_SMTP_SECURITY=none: mật khẩu SMTP đi qua mạng không mã hóa.")
    return _SmtpConfig(host, port, security, user, password, envelope_from=mail_from)


def _smtp_password(settings: Settings) -> str | None:
    """The password from a Prefect Secret block when one is named, else CCHC_SMTP_PASSWORD."""
    block = settings.smtp_password_block
    if block:
        try:
            from prefect.blocks.system import Secret

            # _sync=True: inside an async flow prefect 3.9.1 would hand back a coroutine.
            secret: Any = Secret.load(block, _sync=True)  # type: ignore[call-arg]
            value = secret.value.get_secret_value()
        except Exception as err:
            raise DeliveryError(
                f"Không đọc được mật khẩu SMTP từ khối Secret “{block}” của Prefect "
                f"({type(err).__name__}); kiểm tra tên khối và kết nối tới Prefect."
            ) from None
        # Not Secret.get(): prefect 3.9.1 json-decodes it, so a password "12345" comes back as
        # the int 12345 and "null" as None. The raw string is the password.
        if isinstance(value, str):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        raise DeliveryError(f"Khối Secret “{block}” không chứa mật khẩu dạng chuỗi.")
    if settings.smtp_password is not None:
        return settings.smtp_password.get_secret_value()
    return None


def _send_with_retries(
    smtp: _SmtpConfig,
    envelope_to: list[str],
    message: bytes,
    key: str,
    retries: int,
    sleep: Callable[[float], object],
    tls_context: ssl.SSLContext | None,
) -> dict[str, Any]:
    attempts = max(0, retries) + 1
    text = message.decode("ascii")
    for attempt in range(1, attempts + 1):
        try:
            return _send_once(smtp, envelope_to, text, tls_context)
        except (_YagmailGaveUp, smtplib.SMTPException, OSError, YagAddressError) as err:
            reason = _scrub(_describe(err), smtp.password)
            if _is_transient(err) and attempt < attempts:
                delay = BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS)) - 1]
                logger.warning(
                    "Lần gửi thứ %d thư “%s” không thành công (%s); thử lại sau %.0f giây.",
                    attempt,
                    key,
                    reason,
                    delay,
                )
                sleep(delay)
                continue
            raise DeliveryError(
                f"Không gửi được thư “{key}” qua máy chủ SMTP {smtp.host}:{smtp.port} "
                f"(sau {attempt} lần thử): {reason}"
            ) from None  # the cause is described above; its traceback adds nothing a user needs
    raise AssertionError("unreachable")  # pragma: no cover


def _send_once(
    smtp: _SmtpConfig, envelope_to: list[str], message: str, tls_context: ssl.SSLContext | None
) -> dict[str, Any]:
    # yagmail 0.16.0 and smtplib verify no certificate by default (smtplib falls back to an
    # unverified context): always pass a verifying one.
    context = tls_context or ssl.create_default_context()
    options: dict[str, Any] = {
        # yagmail 0.16.0 appends "@gmail.com" to a user name without "@", and with
        # smtp_skip_login and no user its sender becomes "@gmail.com". The {name: name} form is
        # taken as is. The login name is also the envelope sender (MAIL FROM) in yagmail.
        "user": {smtp.user or smtp.envelope_from: smtp.user or smtp.envelope_from},
        "password": smtp.password,
        "host": smtp.host,  # yagmail 0.16.0 defaults to smtp.gmail.com, SSL, 465/587
        "port": smtp.port,
        "smtp_ssl": smtp.security == "ssl",
        "smtp_starttls": {"context": context} if smtp.security == "starttls" else False,
        "smtp_skip_login": smtp.user is None,
        "soft_email_validation": False,  # addresses are checked already; a bare login name is fine
        "timeout": SMTP_TIMEOUT_SECONDS,  # passed on to smtplib: never hang an unattended run
    }
    if smtp.security == "ssl":
        options["context"] = context  # yagmail passes unknown options on to smtplib.SMTP_SSL
    client = _PreparedMessageClient(envelope_to, message, **options)
    try:
        # yagmail 0.16.0 retries a disconnect during DATA itself (3 attempts, sleeping 3 s and
        # 6 s with time.sleep) and then returns False instead of raising.
        result = client.send()
    finally:
        try:
            client.close()
        except (smtplib.SMTPException, OSError):
            pass  # yagmail 0.16.0 close() lets these through after a broken conversation
    # yagmail 0.16.0 returns sendmail's dict of refused recipients on success, {} when all were
    # accepted: falsy. Only False is failure.
    if result is False:
        raise _YagmailGaveUp()
    return dict(result) if isinstance(result, dict) else {}


def _is_transient(err: BaseException) -> bool:
    """Worth another attempt: connection refused/reset, disconnects, timeouts, 4xx answers."""
    if isinstance(err, _YagmailGaveUp):
        return False  # yagmail already made 3 attempts
    if isinstance(err, ssl.SSLError):
        return False  # a certificate or TLS setting problem does not fix itself
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in err.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    if isinstance(err, smtplib.SMTPResponseException):
        return 400 <= err.smtp_code < 500  # 535 (auth refused) and every 5xx are final
    if isinstance(err, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(err, smtplib.SMTPException):
        return False  # e.g. no STARTTLS or AUTH offered. SMTPException is an OSError: test first
    if isinstance(err, socket.gaierror):
        return err.errno == socket.EAI_AGAIN
    return isinstance(err, OSError)


def _describe(err: BaseException) -> str:
    """A Vietnamese reason for the Office (no secrets: server answers and error names only)."""
    if isinstance(err, _YagmailGaveUp):
        return "máy chủ ngắt kết nối khi đang nhận thư (yagmail đã tự thử lại 3 lần)"
    if isinstance(err, smtplib.SMTPAuthenticationError):
        return "máy chủ từ chối đăng nhập (sai tên đăng nhập hoặc mật khẩu): " + _answer(
            err.smtp_code, err.smtp_error
        )
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        refused = ", ".join(
            f"{address} ({_answer(code, text)})" for address, (code, text) in err.recipients.items()
        )
        return f"máy chủ từ chối mọi người nhận: {refused}"
    if isinstance(err, smtplib.SMTPResponseException):
        return "máy chủ trả lời " + _answer(err.smtp_code, err.smtp_error)
    if isinstance(err, smtplib.SMTPServerDisconnected):
        return "máy chủ ngắt kết nối giữa chừng"
    if isinstance(err, smtplib.SMTPException):
        return f"lỗi SMTP ({one_line(str(err))}); kiểm tra CCHC_SMTP_SECURITY và cổng"
    if isinstance(err, ssl.SSLCertVerificationError):
        return f"chứng chỉ TLS của máy chủ không hợp lệ ({err.verify_message})"
    if isinstance(err, ssl.SSLError):
        return f"lỗi TLS ({err.reason}); kiểm tra CCHC_SMTP_SECURITY và cổng"
    if isinstance(err, ConnectionRefusedError):
        return "máy chủ từ chối kết nối (máy chủ tắt hoặc sai cổng)"
    if isinstance(err, ConnectionError):
        return "kết nối tới máy chủ bị ngắt"
    if isinstance(err, TimeoutError):
        return "quá thời gian chờ máy chủ trả lời"
    if isinstance(err, socket.gaierror):
        return "không tìm thấy máy chủ (kiểm tra CCHC_SMTP_HOST)"
    if isinstance(err, OSError):
        return f"lỗi mạng ({err.strerror or type(err).__name__})"
    return f"{type(err).__name__}: {err}"


def _answer(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {one_line(text)}".strip()


def _scrub(text: str, password: str | None) -> str:
    """The reason without the password, even should a server echo it back."""
    if not password:
        return text
    for secret in {password, base64.b64encode(password.encode("utf-8")).decode("ascii")}:
        text = text.replace(secret, "***")
    return text
