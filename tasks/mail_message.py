"""The e-mail itself: recipients, content, and the one RFC 5322 message built from them.

The content (subject, text and HTML bodies, attachments) is composed elsewhere; tasks.mail sends
the bytes built here or writes them to the outbox. yagmail 0.16.0's own builder is not used (see
``build_message``); each place shaped by yagmail is marked "yagmail 0.16.0".
"""

from __future__ import annotations

import html
import mimetypes
import re
import unicodedata
from collections.abc import Sequence
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
from zoneinfo import ZoneInfo

from tasks.errors import DeliveryError
from tasks.settings import TIMEZONE
from tasks.text import is_email_address

REPLACEMENT_NOTICE = "Thư này thay thế thư đã gửi ngày {day} (số liệu đã được cập nhật)."

# Plain addr-spec only: no display name, no spaces, commas or angle brackets, ASCII (no SMTPUTF8).
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")
_BODY_OPEN = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
# The wire format: CRLF line ends, and the compat32 folding (see build_message for why).
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


def build_message(
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
    root["Date"] = format_datetime(datetime.now(ZoneInfo(TIMEZONE)))
    root["From"] = _address(sender[0], sender[1])
    # yagmail 0.16.0 writes to={addr: name} as "name1,name2" (addresses lost); the headers carry
    # "name <addr>" pairs built here and yagmail only gets the plain envelope addresses.
    root["To"] = ", ".join(_address(r.name, r.email) for r in to)
    if cc:
        root["Cc"] = ", ".join(_address(r.name, r.email) for r in cc)
    subject = one_line(mail.subject)
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
    name = one_line(readable_name).replace("/", "-").replace("\\", "-").strip() or file.name
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
    return formataddr((one_line(name), address), charset="utf-8")


def one_line(value: str) -> str:
    """NFC text on one line: CR, LF and other control characters become spaces.

    A subject or display name holding CR/LF would otherwise start a new header (injection).
    """
    text = _CONTROL.sub(" ", unicodedata.normalize("NFC", value))
    return re.sub(r"\s{2,}", " ", text).strip()


def checked_recipients(people: Sequence[Recipient], key: str) -> list[Recipient]:
    """``people`` without repeated addresses; DeliveryError names an invalid one."""
    checked: list[Recipient] = []
    seen: set[str] = set()
    for person in people:
        address = person.email.strip()
        if not is_email_address(address):
            raise DeliveryError(
                f"Địa chỉ người nhận “{one_line(address)}” của thư “{key}” không hợp lệ."
            )
        if address.lower() not in seen:
            seen.add(address.lower())
            checked.append(Recipient(address, person.name))
    return checked


def parse_sender(mail_from: str) -> tuple[str, str]:
    """(display name, address) of CCHC_MAIL_FROM; DeliveryError when the address is invalid."""
    name, address = parseaddr(mail_from)
    if not is_email_address(address):
        raise DeliveryError(
            f"Địa chỉ gửi CCHC_MAIL_FROM “{one_line(mail_from)}” không hợp lệ; kiểm tra tệp .env."
        )
    return name, address
