"""A real SMTP server on 127.0.0.1 for the e-mail tests (aiosmtpd 1.4.6), in every shape we need.

``SmtpTestServer(variant=...)`` runs one aiosmtpd ``Controller`` in a thread and keeps every message
it accepts (envelope plus the parsed message). Variants:

- ``plain``: no TLS, no AUTH (a port-25 relay);
- ``auth``: AUTH LOGIN/PLAIN required over plain text (aiosmtpd refuses AUTH without TLS unless
  ``auth_require_tls=False``, which this variant sets);
- ``starttls``: STARTTLS required, then AUTH, with a self-signed certificate;
- ``ssl``: implicit TLS (port-465 style), then AUTH.

``refuse=`` lists recipients the server answers with "550 no such mailbox" (a mistyped address in
the roster). Fault modes (``fault=``): ``disconnect`` drops the connection when the first
message's data has arrived (before any answer), ``disconnect-always`` does so every time,
``tempfail`` answers the first DATA with 451; after the first, messages are accepted. "Auth
refused" is simply a wrong password; "server down" is ``free_port()`` with nobody listening.

The client trusts the self-signed certificate through an SSL context that has it as its only CA
(``SelfSignedCertificate.client_context()``), handed to ``deliver_mail(tls_context=...)``:
verification stays on, only the trust store is test-only.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import socket
import ssl
import threading
import warnings
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

TEST_USER = "vanphong@sxd.daklak.gov.vn"
TEST_PASSWORD = "Mk-bi-mat-7531!"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on (right now)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class SelfSignedCertificate:
    """A self-signed certificate for 127.0.0.1 / localhost, written as PEM files."""

    cert_path: Path
    key_path: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_path, self.key_path)
        return context

    def client_context(self) -> ssl.SSLContext:
        """Verifies the server (hostname included) against this certificate only."""
        return ssl.create_default_context(cafile=str(self.cert_path))


def make_certificate(directory: Path) -> SelfSignedCertificate:
    """Generate a throwaway EC key and a self-signed certificate valid for one day."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "smtp-test.crt", directory / "smtp-test.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return SelfSignedCertificate(cert_path, key_path)


@dataclass
class ReceivedMessage:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage
    authenticated_as: str | None
    tls: bool  # the session ran STARTTLS or implicit TLS


@dataclass
class CapturingHandler:
    """aiosmtpd handler: keeps accepted messages; optionally fails the first DATA."""

    fault: str | None = None
    refuse: frozenset[str] = frozenset()  # recipients answered "550 no such mailbox"
    messages: list[ReceivedMessage] = field(default_factory=list)
    data_calls: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address.lower() in self.refuse:
            return "550 5.1.1 Hop thu khong ton tai"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.data_calls += 1
            first = self.data_calls == 1
        if (first and self.fault == "disconnect") or self.fault == "disconnect-always":
            # Drop the connection before any answer: the client sees the server vanish mid-send.
            # abort() marks the transport lost at once, so aiosmtpd's "250" is never written.
            server.transport.abort()
            return "421 4.3.0 Connection dropped by test"
        if first and self.fault == "tempfail":
            return "451 4.3.0 Tam thoi khong nhan thu, thu lai sau"
        raw = bytes(envelope.original_content)
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        login = getattr(session.auth_data, "login", None)
        with self.lock:
            self.messages.append(
                ReceivedMessage(
                    mail_from=envelope.mail_from,
                    rcpt_tos=list(envelope.rcpt_tos),
                    raw=raw,
                    message=parsed,  # type: ignore[arg-type]
                    authenticated_as=login.decode() if login else None,
                    tls=session.ssl is not None,
                )
            )
        return "250 2.0.0 OK"


@dataclass
class PasswordAuthenticator:
    """Accepts exactly one user/password (AUTH LOGIN and PLAIN); records every AUTH command."""

    user: str = TEST_USER
    password: str = TEST_PASSWORD
    mechanisms: list[str] = field(default_factory=list)  # one entry per AUTH command

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        self.mechanisms.append(mechanism)
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == self.user.encode()
            and auth_data.password == self.password.encode()
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


def to_leaders(messages: list[ReceivedMessage]) -> list[ReceivedMessage]:
    """The e-mails a run sent, but for the Office's own copy of a report (its subject starts
    "[Văn phòng]"): a test that counts report e-mails counts the leaders' one."""
    return [m for m in messages if not m.message["Subject"].startswith("[Văn phòng]")]


class SmtpTestServer:
    """One aiosmtpd Controller on 127.0.0.1; a context manager (``start``/``stop`` also work)."""

    def __init__(
        self,
        variant: str = "auth",
        *,
        fault: str | None = None,
        refuse: tuple[str, ...] = (),
        port: int | None = None,
        certificate: SelfSignedCertificate | None = None,
        user: str = TEST_USER,
        password: str = TEST_PASSWORD,
    ) -> None:
        if variant not in {"plain", "auth", "starttls", "ssl"}:
            raise ValueError(variant)
        if variant in {"starttls", "ssl"} and certificate is None:
            raise ValueError(f"variant {variant!r} needs a certificate")
        self.variant = variant
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.handler = CapturingHandler(fault=fault, refuse=frozenset(a.lower() for a in refuse))
        self.authenticator = PasswordAuthenticator(user, password)
        options: dict[str, Any] = {"server_hostname": "smtp.test.local", "ready_timeout": 5.0}
        if variant != "plain":
            options.update(authenticator=self.authenticator, auth_required=True)
        if variant == "auth":
            options["auth_require_tls"] = False
        if variant == "starttls":
            assert certificate is not None
            options.update(tls_context=certificate.server_context(), require_starttls=True)
        if variant == "ssl":
            assert certificate is not None
            # aiosmtpd only counts STARTTLS as TLS; on an implicit-TLS socket it would hide AUTH.
            options.update(ssl_context=certificate.server_context(), auth_require_tls=False)
        self.controller = Controller(self.handler, hostname=self.host, port=self.port, **options)

    @property
    def messages(self) -> list[ReceivedMessage]:
        return self.handler.messages

    def start(self) -> SmtpTestServer:
        with warnings.catch_warnings():
            # aiosmtpd warns that AUTH without TLS is unsafe: that is the point of "auth".
            warnings.simplefilter("ignore", UserWarning)
            self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self) -> SmtpTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def use_smtp_server(monkeypatch: Any, port: int, password: str = TEST_PASSWORD) -> None:
    """Point the product's settings at a test server on ``port``: plain SMTP with login, and
    no retries (a failure test must not wait 5 + 15 + 45 s)."""
    monkeypatch.setenv("CCHC_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CCHC_SMTP_PORT", str(port))
    monkeypatch.setenv("CCHC_SMTP_SECURITY", "none")
    monkeypatch.setenv("CCHC_SMTP_USER", TEST_USER)
    monkeypatch.setenv("CCHC_SMTP_PASSWORD", password)
    monkeypatch.setenv("CCHC_SMTP_RETRIES", "0")
