"""A real SMTP server on a free local port, so smtplib is tested as it talks to any server.

It speaks what smtplib sends (EHLO/HELO, STARTTLS or TLS from the first byte, AUTH PLAIN, MAIL,
RCPT, DATA, RSET, NOOP, QUIT), records every message it accepts with how it arrived, and can be
scripted to answer a stage with a given reply code the next n times (421 on connect, 451 on RCPT,
550 on RCPT, 554 after DATA, ...). Certificates come from `make_certificates`: a private CA and a
server certificate for 127.0.0.1, so the client's verification is real too.
"""

from __future__ import annotations

import base64
import datetime
import socket
import socketserver
import ssl
import threading
from collections import defaultdict, deque
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Literal

HOST = "127.0.0.1"
Stage = Literal["CONNECT", "AUTH", "MAIL", "RCPT", "DATA"]


@dataclass(frozen=True)
class Received:
    """One accepted message: the envelope, the bytes after DATA, and how the session was secured."""

    mail_from: str
    rcpt_to: tuple[str, ...]
    data: bytes
    user: str | None
    tls: bool

    def email(self) -> EmailMessage:
        parsed = BytesParser(policy=policy.default).parsebytes(self.data)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Certificates:
    ca: Path
    cert: Path
    key: Path


def make_certificates(folder: Path) -> Certificates:
    """A CA and a server certificate it signed, valid for 127.0.0.1 and localhost."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "EventLens test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    found = Certificates(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    found.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    found.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    found.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return found


@dataclass
class _State:
    received: list[Received] = field(default_factory=list)
    verbs: list[str] = field(default_factory=list)
    connections: int = 0
    script: dict[str, deque[int]] = field(default_factory=lambda: defaultdict(deque))
    lock: threading.Lock = field(default_factory=threading.Lock)


class FakeSmtpServer:
    """`with FakeSmtpServer(...) as server:` serves on `server.port` until the block ends."""

    def __init__(
        self,
        *,
        tls: Literal["starttls", "ssl", "none"] = "none",
        certificates: Certificates | None = None,
        users: dict[str, str] | None = None,
        port: int = 0,
    ) -> None:
        if tls != "none" and certificates is None:
            raise ValueError("TLS needs certificates")
        self.tls = tls
        self.users = users or {}
        self.state = _State()
        self.context: ssl.SSLContext | None = None
        if certificates is not None:
            self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self.context.load_cert_chain(certificates.cert, certificates.key)
        self._requested_port = port
        self._server: socketserver.ThreadingTCPServer | None = None
        self.port = port

    # -- scripting and inspection ---------------------------------------------------------

    def fail(self, stage: Stage, code: int, times: int = 1) -> None:
        """Answer `stage` with `code` the next `times` times it is reached."""
        with self.state.lock:
            self.state.script[stage].extend([code] * times)

    @property
    def received(self) -> list[Received]:
        with self.state.lock:
            return list(self.state.received)

    @property
    def verbs(self) -> list[str]:
        """Every command verb received, in order (never an argument: AUTH carries a password)."""
        with self.state.lock:
            return list(self.state.verbs)

    @property
    def connections(self) -> int:
        with self.state.lock:
            return self.state.connections

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> FakeSmtpServer:
        fake = self

        class Handler(_Session):
            server_fake = fake

        server = _Server((HOST, self._requested_port), Handler)
        self._server = server
        self.port = server.server_address[1]
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeSmtpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _scripted(self, stage: Stage) -> int | None:
        with self.state.lock:
            queue = self.state.script.get(stage)
            return queue.popleft() if queue else None


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True  # a test may start a server on a port it reserved a moment ago
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that drops the connection or rejects our certificate: what a test provokes."""


class _Session(socketserver.StreamRequestHandler):
    server_fake: FakeSmtpServer
    timeout = 10

    def setup(self) -> None:
        fake = self.server_fake
        self.secure = False
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # replies go out at once
        if fake.tls == "ssl":
            assert fake.context is not None
            self.request = fake.context.wrap_socket(self.request, server_side=True)
            self.secure = True
        super().setup()

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def read_line(self) -> str | None:
        raw = self.rfile.readline(65536)
        return raw.decode("utf-8", "replace").rstrip("\r\n") if raw else None

    def handle(self) -> None:
        fake = self.server_fake
        with fake.state.lock:
            fake.state.connections += 1
        if (code := fake._scripted("CONNECT")) is not None:
            self.reply(f"{code} fake.test service not available, try later")
            return
        self.reply("220 fake.test ESMTP ready")
        user: str | None = None
        mail_from: str | None = None
        rcpt: list[str] = []
        while (line := self.read_line()) is not None:
            verb, _, argument = line.partition(" ")
            verb = verb.upper()
            with fake.state.lock:
                fake.state.verbs.append(verb)
            if verb == "EHLO":
                features = ["8BITMIME", "SMTPUTF8"]
                if fake.tls == "starttls" and not self.secure:
                    features.append("STARTTLS")
                if fake.users and (self.secure or fake.tls == "none"):
                    features.append("AUTH PLAIN")
                lines = ["fake.test", *features]
                # One write for the whole reply: line by line, Nagle's algorithm and the client's
                # delayed ACK would add 40 ms to every EHLO.
                self.reply("\r\n".join(f"250-{text}" for text in lines[:-1]) + f"\r\n250 {lines[-1]}")
            elif verb == "HELO":
                self.reply("250 fake.test")
            elif verb == "STARTTLS" and fake.tls == "starttls" and not self.secure:
                self.reply("220 go ahead")
                assert fake.context is not None
                self.request = fake.context.wrap_socket(self.request, server_side=True)
                self.rfile = self.request.makefile("rb")
                self.wfile = self.request.makefile("wb")
                self.secure, user, mail_from, rcpt = True, None, None, []
            elif verb == "AUTH":
                mechanism, _, initial = argument.partition(" ")
                if mechanism.upper() != "PLAIN":
                    self.reply("504 5.5.4 mechanism not supported")
                    continue
                if not initial:
                    self.reply("334 ")
                    initial = self.read_line() or ""
                if (code := fake._scripted("AUTH")) is not None:
                    self.reply(f"{code} scripted auth reply")
                    continue
                try:
                    _, name, password = base64.b64decode(initial).decode().split("\0")
                except ValueError:
                    self.reply("501 5.5.2 cannot decode")
                    continue
                if fake.users.get(name) == password:
                    user = name
                    self.reply("235 2.7.0 authenticated")
                else:
                    self.reply("535 5.7.8 authentication credentials invalid")
            elif verb == "MAIL":
                if fake.users and user is None:
                    self.reply("530 5.7.0 authentication required")
                elif (code := fake._scripted("MAIL")) is not None:
                    self.reply(f"{code} scripted sender reply")
                else:
                    mail_from, rcpt = _path(argument), []
                    self.reply("250 2.1.0 ok")
            elif verb == "RCPT":
                if mail_from is None:
                    self.reply("503 5.5.1 MAIL first")
                elif (code := fake._scripted("RCPT")) is not None:
                    self.reply(f"{code} scripted recipient reply")
                else:
                    rcpt.append(_path(argument))
                    self.reply("250 2.1.5 ok")
            elif verb == "DATA":
                if mail_from is None or not rcpt:
                    self.reply("503 5.5.1 RCPT first")
                    continue
                self.reply("354 end with <CRLF>.<CRLF>")
                data = self._read_data()
                if (code := fake._scripted("DATA")) is not None:
                    self.reply(f"{code} scripted data reply")
                else:
                    with fake.state.lock:
                        fake.state.received.append(Received(mail_from, tuple(rcpt), data, user, self.secure))
                    self.reply("250 2.0.0 queued")
                mail_from, rcpt = None, []
            elif verb == "RSET":
                mail_from, rcpt = None, []
                self.reply("250 2.0.0 ok")
            elif verb == "NOOP":
                self.reply("250 2.0.0 ok")
            elif verb == "QUIT":
                self.reply("221 2.0.0 bye")
                return
            else:
                self.reply("502 5.5.2 command not recognized")

    def _read_data(self) -> bytes:
        lines = []
        while True:
            raw = self.rfile.readline(1 << 20)
            if not raw or raw in (b".\r\n", b".\n"):
                return b"".join(lines)
            lines.append(raw[1:] if raw.startswith(b"..") else raw)


def _path(argument: str) -> str:
    """The address in `FROM:<a@b> SIZE=1` or `TO:<a@b>`."""
    start, end = argument.find("<"), argument.find(">")
    return argument[start + 1 : end] if 0 <= start < end else ""
