"""E-mail transport: one MIME message per mail, sent through yagmail or written to the outbox.

The content (subject, text and HTML bodies, attachments) is composed elsewhere. This module turns
it into one RFC 5322 message and then either hands that exact message to yagmail (an SMTP host is
configured) or writes the same bytes to ``<output>/outbox/<key>.eml`` (no SMTP host: DESIGN §5).

A durable send log, ``<output>/send-log.jsonl`` (append-only JSON lines), makes sending idempotent:
the same key, recipients and content are never sent twice unless forced, because a redeploy can
start two identical scheduled runs (DESIGN §7). New figures for an e-mail already sent go out as a
replacement that says which e-mail it replaces.

Every yagmail 0.16.0 surprise is handled here, once; each place is marked "yagmail 0.16.0".
"""

from __future__ import annotations

import base64
import html
import json
import logging
import mimetypes
import os
import re
import smtplib
import socket
import ssl
import sys
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from email import encoders
from email.charset import QP, Charset
from email.header import Header
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import compat32
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yagmail
from yagmail.error import YagAddressError

from tasks.errors import DeliveryError, OutputError
from tasks.settings import TIMEZONE, Settings
from tasks.text import is_email_address, strip_marks

if sys.platform == "win32":
    import msvcrt
else:
    import fcntl

logger = logging.getLogger(__name__)

SEND_LOG_NAME = "send-log.jsonl"
SEND_LOCK_NAME = "send-log.lock"
OUTBOX_DIR_NAME = "outbox"
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
SMTP_TIMEOUT_SECONDS = 60
# Waits between our own attempts (greylisting answers 4xx and wants a few minutes at most).
BACKOFF_SECONDS = (5.0, 15.0, 45.0)
REPLACEMENT_NOTICE = "Thư này thay thế thư đã gửi ngày {day} (số liệu đã được cập nhật)."

# Plain addr-spec only: no display name, no spaces, commas or angle brackets, ASCII (no SMTPUTF8).
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")
_BODY_OPEN = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {
    f"{p}{n}" for p in ("COM", "LPT") for n in "123456789"
}
# The wire format: CRLF line ends, and the compat32 folding (see _build_message for why).
_WIRE_POLICY = compat32.clone(linesep="\r\n")


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str = ""


@dataclass
class OutgoingMail:
    key: str  # idempotency key, e.g. "report:2026-05" or "remind:QLXD:2026-11-20"
    to: list[Recipient]
    cc: list[Recipient]
    subject: str  # Vietnamese, may contain diacritics
    text: str  # plain-text body
    html: str  # HTML body, already built and escaped by the caller
    content_hash: str  # the caller's hash of the content (the figures): "never twice" compares it
    # (file, readable Vietnamese file name shown to the recipient)
    attachments: list[tuple[Path, str]] = field(default_factory=list)


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


# --------------------------------------------------------------------------- public API


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
    to = _checked_recipients(mail.to, mail.key)
    if not to:
        raise DeliveryError(f"Thư “{mail.key}” không có người nhận (To) nên không gửi.")
    in_to = {r.email.lower() for r in to}
    cc = [r for r in _checked_recipients(mail.cc, mail.key) if r.email.lower() not in in_to]
    sender = _sender(settings.mail_from)
    envelope_to = [r.email for r in (*to, *cc)]
    recipients = sorted({address.lower() for address in envelope_to})
    # Credentials are resolved first, so a missing password fails at once, before anything else.
    smtp = _smtp_config(settings, sender[1], mail.key) if settings.sends_mail else None
    counted = {"sent"} if smtp else {"sent", "outbox"}

    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"Không tạo được thư mục kết quả {output_dir}: {err.strerror}") from err

    with _send_log_lock(output_dir):
        previous = _latest_delivery(read_send_log(output_dir), mail.key, recipients, counted)
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
            replaces = _entry_day(previous)
        message_id, message = _build_message(mail, sender, to, cc, replaces)
        entry: dict[str, Any] = {
            "key": mail.key,
            "recipients": recipients,
            "content_hash": mail.content_hash,
            "message_id": message_id,
            "subject": _one_line(mail.subject),
        }
        if replaces:
            entry["replaces"] = replaces

        if smtp is None:
            path = _write_outbox(output_dir, mail.key, message)
            _append_log(output_dir, {**entry, "status": "outbox", "path": str(path)})
            logger.info("Chưa cấu hình SMTP: thư “%s” được ghi vào %s.", mail.key, path)
            return SendResult("outbox", mail.key, message_id, path, replaces)

        try:
            refused = _send_with_retries(
                smtp, envelope_to, message, mail.key, retries, sleep, tls_context
            )
        except Exception as err:
            # Never "sent": the next run sends it. The message is already scrubbed of secrets.
            reason = str(err) if isinstance(err, DeliveryError) else type(err).__name__
            _append_log(output_dir, {**entry, "status": "failed", "error": reason})
            raise
        if refused:
            entry["refused"] = sorted(refused)
            logger.warning(
                "Máy chủ SMTP từ chối một số người nhận thư “%s”: %s", mail.key, sorted(refused)
            )
        _append_log(output_dir, {**entry, "status": "sent"})
        logger.info("Đã gửi thư “%s” tới %s.", mail.key, ", ".join(recipients))
        return SendResult("sent", mail.key, message_id, None, replaces)


def read_send_log(output_dir: Path) -> list[dict[str, Any]]:
    """Every entry of ``<output_dir>/send-log.jsonl``, oldest first ([] when there is none).

    A torn line (a crash while appending) is skipped with a warning, never fatal.
    """
    path = Path(output_dir) / SEND_LOG_NAME
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    entries = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            logger.warning("Bỏ qua dòng %d hỏng trong %s.", number, path)
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


def safe_file_stem(key: str) -> str:
    """A file name stem for ``key`` that cannot leave the outbox folder.

    Diacritics are dropped and anything but ASCII letters, digits, ``_`` and ``-`` (path
    separators, ``..``, ``:``, control characters) becomes ``-``.
    """
    text = strip_marks(unicodedata.normalize("NFC", key))
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", text)
    stem = re.sub(r"-{2,}", "-", stem).strip("-_")[:100].strip("-_")
    if not stem:
        return "thu"
    if stem.upper() in _WINDOWS_RESERVED:
        return f"thu-{stem}"
    return stem


# --------------------------------------------------------------------------- the message


def _build_message(
    mail: OutgoingMail,
    sender: tuple[str, str],
    to: Sequence[Recipient],
    cc: Sequence[Recipient],
    replaces: str | None,
) -> tuple[str, bytes]:
    """The one message that is either sent or written to the outbox: (Message-ID, CRLF bytes).

    yagmail 0.16.0's own builder (``prepare_send`` -> ``message.prepare_message``) is not used:
    it cannot carry a separate text part (the text/plain part is the HTML source), it wraps the
    HTML in ``<div>``, turns every newline into ``<br>`` and runs premailer over it, attaches any
    content string that happens to be an existing file path (a body line "/etc/hostname" is
    read and attached), names attachments after the file on disk, and writes ``to={addr: name}``
    as a To header holding only the names. So the message is built here with the stdlib.

    It is built with the compat32 MIME classes rather than ``EmailMessage``: on Python 3.11.7 the
    ``email.policy.default`` folder corrupts long Vietnamese headers (a folded Subject loses the
    space between two encoded words; a folded display name gains one when parsed back).
    ``Header`` splits encoded words correctly, and one encoded word per display name
    (``formataddr``) is read back exactly by every parser.
    """
    text = mail.text.replace("\r\n", "\n").replace("\r", "\n")
    html_body = mail.html
    if replaces:
        notice = REPLACEMENT_NOTICE.format(day=date.fromisoformat(replaces).strftime("%d/%m/%Y"))
        text = f"{notice}\n\n{text}"
        html_body = _prepend_html(html_body, f"<p><strong>{html.escape(notice)}</strong></p>\n")

    alternative = MIMEMultipart("alternative")
    alternative.attach(_text_part(text, "plain"))
    alternative.attach(_text_part(html_body, "html"))
    root = alternative
    if mail.attachments:
        root = MIMEMultipart("mixed")
        del alternative["MIME-Version"]
        root.attach(alternative)
        for file, readable_name in mail.attachments:
            root.attach(_attachment_part(Path(file), readable_name, mail.key))

    domain = sender[1].rpartition("@")[2]
    # yagmail 0.16.0 derives the Message-ID from md5(from + to + subject): the same report sent
    # twice gets the same Message-ID and clients drop the second. make_msgid is unique.
    message_id = make_msgid(domain=domain)
    root["Date"] = format_datetime(_now())
    root["From"] = _address(sender[0], sender[1])
    # yagmail 0.16.0 writes to={addr: name} as "name1,name2" (addresses lost); the headers carry
    # "name <addr>" pairs built here and yagmail only gets the plain envelope addresses.
    root["To"] = ", ".join(_address(r.name, r.email) for r in to)
    if cc:
        root["Cc"] = ", ".join(_address(r.name, r.email) for r in cc)
    subject = _one_line(mail.subject)
    if subject.isascii():
        root["Subject"] = subject
    else:
        # compat32 takes a Header here (typeshed only knows str).
        root["Subject"] = Header(subject, "utf-8", header_name="Subject")  # type: ignore[assignment]
    root["Message-ID"] = message_id
    root["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to robots
    data = root.as_bytes(policy=_WIRE_POLICY)
    data.decode("ascii")  # smtplib sends a str message as ASCII: every part must be encoded
    return message_id, data


def _text_part(body: str, subtype: str) -> MIMENonMultipart:
    charset = Charset("utf-8")
    charset.body_encoding = QP  # readable HTML tags in the .eml, 7-bit safe on the wire
    part = MIMENonMultipart("text", subtype, charset="utf-8")
    body = unicodedata.normalize("NFC", body)
    if not body.endswith("\n"):
        body += "\n"  # the CRLF before a MIME boundary belongs to the boundary, not the text
    part.set_payload(body, charset)
    del part["MIME-Version"]  # only the top level carries it
    return part


def _attachment_part(file: Path, readable_name: str, key: str) -> MIMEBase:
    name = _one_line(readable_name).replace("/", "-").replace("\\", "-").strip() or file.name
    try:
        data = file.read_bytes()
    except OSError as err:
        raise DeliveryError(
            f"Không đọc được tệp đính kèm “{name}” ({file}) của thư “{key}”: {err.strerror}"
        ) from err
    content_type = mimetypes.guess_type(name)[0] or mimetypes.guess_type(file.name)[0]
    maintype, _, subtype = (content_type or "application/octet-stream").partition("/")
    # RFC 2231 (filename*=utf-8''...) for a Vietnamese name; a plain one stays plain.
    param: str | tuple[str, str, str] = name if name.isascii() else ("utf-8", "", name)
    part = MIMEBase(maintype, subtype, name=param)
    part.set_payload(data)
    encoders.encode_base64(part)
    part.add_header("Content-Disposition", "attachment", filename=param)
    del part["MIME-Version"]
    return part


def _prepend_html(html_body: str, block: str) -> str:
    opening = _BODY_OPEN.search(html_body)
    if opening:
        return html_body[: opening.end()] + "\n" + block + html_body[opening.end() :]
    return block + html_body


def _address(name: str, address: str) -> str:
    """``name <address>`` with the name quoted or RFC 2047-encoded, or the bare address."""
    return formataddr((_one_line(name), address), charset="utf-8")


def _one_line(value: str) -> str:
    """NFC text on one line: CR, LF and other control characters become spaces.

    A subject or display name holding CR/LF would otherwise start a new header (injection).
    """
    text = _CONTROL.sub(" ", unicodedata.normalize("NFC", value))
    return re.sub(r"\s{2,}", " ", text).strip()


def _checked_recipients(people: Sequence[Recipient], key: str) -> list[Recipient]:
    checked: list[Recipient] = []
    seen: set[str] = set()
    for person in people:
        address = person.email.strip()
        if not is_email_address(address):
            raise DeliveryError(
                f"Địa chỉ người nhận “{_one_line(address)}” của thư “{key}” không hợp lệ."
            )
        if address.lower() not in seen:
            seen.add(address.lower())
            checked.append(Recipient(address, person.name))
    return checked


def _sender(mail_from: str) -> tuple[str, str]:
    name, address = parseaddr(mail_from)
    if not is_email_address(address):
        raise DeliveryError(
            f"Địa chỉ gửi CCHC_MAIL_FROM “{_one_line(mail_from)}” không hợp lệ; kiểm tra tệp .env."
        )
    return name, address


# --------------------------------------------------------------------------- outbox and log


def _write_outbox(output_dir: Path, key: str, message: bytes) -> Path:
    outbox = output_dir / OUTBOX_DIR_NAME
    stem = safe_file_stem(key)
    try:
        outbox.mkdir(parents=True, exist_ok=True)
        for number in range(1, 10_000):
            path = outbox / (f"{stem}.eml" if number == 1 else f"{stem}-{number}.eml")
            if path.resolve().parent != outbox.resolve():  # belt and braces: stay in outbox/
                raise OutputError(f"Tên thư “{key}” không dùng được làm tên tệp.")
            try:
                with open(path, "xb") as handle:  # never overwrite an earlier e-mail
                    handle.write(message)
                    handle.flush()
                    os.fsync(handle.fileno())
            except FileExistsError:
                continue
            return path
    except OSError as err:
        raise OutputError(f"Không ghi được thư vào thư mục {outbox}: {err.strerror}") from err
    raise OutputError(f"Thư mục {outbox} đã có quá nhiều thư “{key}”.")


def append_json_lines(path: Path, entries: list[dict[str, Any]]) -> None:
    """Append ``entries`` to a JSON-lines log, durably. A torn last line (a kill or a full
    disk while appending) gets its newline first, so it cannot swallow the new entries."""
    lines = "".join(json.dumps(entry, ensure_ascii=False) + "\n" for entry in entries)
    with open(path, "a+b") as handle:
        handle.seek(0, os.SEEK_END)
        if handle.tell():
            handle.seek(-1, os.SEEK_END)
            if handle.read(1) != b"\n":
                lines = "\n" + lines
        handle.write(lines.encode("utf-8"))
        handle.flush()
        os.fsync(handle.fileno())


def _append_log(output_dir: Path, entry: dict[str, Any]) -> None:
    path = output_dir / SEND_LOG_NAME
    try:
        append_json_lines(path, [{**entry, "at": _now().isoformat(timespec="seconds")}])
    except OSError as err:
        raise OutputError(f"Không ghi được nhật ký gửi thư {path}: {err.strerror}") from err


def _latest_delivery(
    entries: list[dict[str, Any]], key: str, recipients: list[str], statuses: set[str]
) -> dict[str, Any] | None:
    """The last e-mail with this key that reached exactly these recipients (or the outbox).

    The latest one decides: figures that changed and then changed back still go out again,
    since the recipients' latest e-mail holds the other figures.
    """
    for entry in reversed(entries):
        if (
            entry.get("key") == key
            and entry.get("status") in statuses
            and sorted(str(r).lower() for r in entry.get("recipients") or []) == recipients
        ):
            return entry
    return None


def _entry_day(entry: dict[str, Any]) -> str:
    at = str(entry.get("at") or "")
    try:
        return datetime.fromisoformat(at).date().isoformat()
    except ValueError:
        return _now().date().isoformat()


@contextmanager
def _send_log_lock(output_dir: Path) -> Iterator[None]:
    """One delivery at a time per output folder: two identical runs must not both send."""
    with open(output_dir / SEND_LOCK_NAME, "a+b") as handle:
        if sys.platform == "win32":
            handle.seek(0)
            while True:
                try:
                    msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
                    break
                except OSError:  # LK_LOCK gives up after ~10 s; keep waiting
                    continue
            try:
                yield
            finally:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _now() -> datetime:
    return datetime.now(ZoneInfo(TIMEZONE))


# --------------------------------------------------------------------------- SMTP via yagmail


class _PreparedMessageClient(yagmail.SMTP):
    """A yagmail client that sends one message built here, byte for byte.

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
        "soft_email_validation": False,  # addresses are checked here; a bare login name is fine
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
        return f"lỗi SMTP ({_one_line(str(err))}); kiểm tra CCHC_SMTP_SECURITY và cổng"
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
    return f"{code} {_one_line(text)}".strip()


def _scrub(text: str, password: str | None) -> str:
    """The reason without the password, even should a server echo it back."""
    if not password:
        return text
    for secret in {password, base64.b64encode(password.encode("utf-8")).decode("ascii")}:
        text = text.replace(secret, "***")
    return text
