"""`send` through a real SMTP server: what arrives, how it is secured, and which failures are
retried (4xx, a refused connection), refused for good (5xx: MailRejected) or never retried
(a wrong password, an untrusted certificate)."""

from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import replace
from datetime import timedelta
from http import HTTPStatus

import pytest
from eventlens.errors import MailRejected
from eventlens.mail import Message, compose, send
from eventlens.mail.service import RETRY

from tests.fakes.smtp_server import FakeSmtpServer
from tests.integration.mail.conftest import LINK

USERS = {"mailer": "s3cret-smtp-pass"}
LOGIN = {"EVENTLENS_SMTP_USER": "mailer", "EVENTLENS_SMTP_PASSWORD": "s3cret-smtp-pass"}
WRONG_LOGIN = {"EVENTLENS_SMTP_USER": "mailer", "EVENTLENS_SMTP_PASSWORD": "wrong"}


def no_retry(seconds: float) -> None:
    pytest.fail(f"retried after {seconds}s")


FAST = replace(RETRY, base_s=0.01, cap_s=0.05)  # the production policy, without the waiting


def test_starttls_with_login_delivers_headers_the_link_and_escaped_html(trust, smtp_settings) -> None:
    message = compose.invitation(
        "ana@example.com",
        LINK,
        timedelta(days=7),
        inviter="Eve <script>alert(1)</script>",
        role="EDITOR",
        place="Gala & Friends",
    )
    with FakeSmtpServer(tls="starttls", certificates=trust, users=USERS) as server:
        delivery = send(message, cfg=smtp_settings(server.port, **LOGIN))

    (got,) = server.received
    assert (got.tls, got.user, got.mail_from, got.rcpt_to) == (
        True,
        "mailer",
        "noreply@gallery.example.test",
        ("ana@example.com",),
    )
    assert server.verbs[:4] == ["EHLO", "STARTTLS", "EHLO", "AUTH"]
    email = got.email()
    assert email["To"] == "ana@example.com"
    assert email["From"] == "EventLens <noreply@gallery.example.test>"
    assert email["Subject"] == "Eve <script>alert(1)</script> invited you to Gala & Friends"
    assert email["Message-ID"] == delivery.message_id
    assert email["X-EventLens-Kind"] == "invitation"
    assert email["X-EventLens-Link"] is None  # only outbox copies carry the link in a header
    text = email.get_body(preferencelist=("plain",)).get_content()
    html = email.get_body(preferencelist=("html",)).get_content()
    assert LINK in text
    assert "as an editor" in text
    assert "<script>" not in html
    assert "Eve &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Gala &amp; Friends" in html
    assert f'href="{LINK}"' in html
    assert (delivery.via, delivery.attempts, delivery.path) == ("smtp", 1, None)


def test_tls_from_the_first_byte_delivers(trust, smtp_settings, sign_in_mail: Message) -> None:
    with FakeSmtpServer(tls="ssl", certificates=trust, users=USERS) as server:
        send(sign_in_mail, cfg=smtp_settings(server.port, EVENTLENS_SMTP_TLS="ssl", **LOGIN))
    (got,) = server.received
    assert (got.tls, got.user) == (True, "mailer")
    assert "STARTTLS" not in server.verbs
    assert LINK in got.email().get_body(preferencelist=("plain",)).get_content()


@pytest.mark.parametrize(
    ("stage", "code"), [("CONNECT", 421), ("MAIL", 451), ("RCPT", 451), ("DATA", 452), ("AUTH", 454)]
)
def test_a_transient_reply_is_retried_and_the_mail_arrives_once(
    trust, smtp_settings, sign_in_mail: Message, stage, code
) -> None:
    slept: list[float] = []
    with FakeSmtpServer(tls="starttls", certificates=trust, users=USERS) as server:
        server.fail(stage, code)
        delivery = send(
            sign_in_mail, cfg=smtp_settings(server.port, **LOGIN), policy=FAST, sleep=slept.append
        )
    assert delivery.attempts == 2
    assert server.connections == 2
    assert len(server.received) == 1
    assert len(slept) == 1


def test_a_refused_connection_is_retried_until_the_server_listens(smtp_settings, sign_in_mail) -> None:
    with socket.socket() as probe:  # a free port nobody listens on yet
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = FakeSmtpServer(port=port)
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 2:
            server.start()  # the server comes up during the second backoff

    try:
        delivery = send(
            sign_in_mail, cfg=smtp_settings(port, EVENTLENS_SMTP_TLS="none"), policy=FAST, sleep=sleep
        )
    finally:
        server.stop()
    assert delivery.attempts == 3
    assert len(server.received) == 1
    assert waits[1] > waits[0]  # backoff grows


def test_transient_failures_stop_after_the_bounded_attempts(trust, smtp_settings, sign_in_mail) -> None:
    slept: list[float] = []
    with FakeSmtpServer(tls="starttls", certificates=trust, users=USERS) as server:
        server.fail("RCPT", 451, times=10)
        with pytest.raises(smtplib.SMTPRecipientsRefused) as raised:
            send(sign_in_mail, cfg=smtp_settings(server.port, **LOGIN), policy=FAST, sleep=slept.append)
    assert server.connections == FAST.max_attempts
    assert len(slept) == FAST.max_attempts - 1
    assert server.received == []
    assert "gave up after 3 attempt(s)" in raised.value.__notes__


@pytest.mark.parametrize(("stage", "code"), [("RCPT", 550), ("DATA", 554), ("MAIL", 553)])
def test_a_permanent_refusal_raises_mail_rejected_without_retrying(
    trust, smtp_settings, sign_in_mail, stage, code
) -> None:
    with FakeSmtpServer(tls="starttls", certificates=trust, users=USERS) as server:
        server.fail(stage, code)
        with pytest.raises(MailRejected) as raised:
            send(sign_in_mail, cfg=smtp_settings(server.port, **LOGIN), policy=FAST, sleep=no_retry)
    assert server.connections == 1
    assert raised.value.status == HTTPStatus.BAD_REQUEST
    assert f"({code})" in raised.value.message
    assert "ana@example.com" in raised.value.message
    assert LINK not in raised.value.message


def test_a_wrong_password_is_neither_retried_nor_blamed_on_the_address(
    trust, smtp_settings, sign_in_mail
) -> None:
    with (
        FakeSmtpServer(tls="starttls", certificates=trust, users=USERS) as server,
        pytest.raises(smtplib.SMTPAuthenticationError),
    ):
        send(sign_in_mail, cfg=smtp_settings(server.port, **WRONG_LOGIN), policy=FAST, sleep=no_retry)
    assert server.connections == 1
    assert server.received == []


def test_an_untrusted_certificate_fails_before_any_login(
    certificates, smtp_settings, sign_in_mail, monkeypatch
) -> None:
    """No SSL_CERT_FILE: the test CA is unknown, so the client stops at the handshake, once."""
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with (
        FakeSmtpServer(tls="starttls", certificates=certificates, users=USERS) as server,
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        send(sign_in_mail, cfg=smtp_settings(server.port, **LOGIN), policy=FAST, sleep=no_retry)
    assert "AUTH" not in server.verbs
    assert server.connections == 1


def test_the_password_can_come_from_secrets_manager(trust, smtp_settings, sign_in_mail, monkeypatch) -> None:
    import json

    import boto3
    from moto import mock_aws

    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        arn = boto3.client("secretsmanager").create_secret(
            Name="eventlens/smtp",
            SecretString=json.dumps({"username": "mailer", "password": USERS["mailer"]}),
        )["ARN"]
        with FakeSmtpServer(tls="starttls", certificates=trust, users=USERS) as server:
            send(sign_in_mail, cfg=smtp_settings(server.port, EVENTLENS_SMTP_SECRET_ARN=arn))
    (got,) = server.received
    assert got.user == "mailer"


def test_a_login_is_never_sent_in_clear_to_another_host(tmp_path, sign_in_mail) -> None:
    from eventlens.config import load_settings

    cfg = load_settings(
        {
            "EVENTLENS_HOME": str(tmp_path),
            "EVENTLENS_SMTP_HOST": "mail.example.test",
            "EVENTLENS_SMTP_TLS": "none",
            **LOGIN,
        }
    )
    with pytest.raises(RuntimeError, match="in clear"):
        send(sign_in_mail, cfg=cfg, sleep=no_retry)


def test_a_server_that_drops_starttls_gets_no_password_and_no_retry(smtp_settings, sign_in_mail) -> None:
    """A server (or a man in the middle) that stops offering STARTTLS: the client refuses to go on
    in clear rather than log in over plain text."""
    with (
        FakeSmtpServer(tls="none", users=USERS) as server,
        pytest.raises(smtplib.SMTPNotSupportedError),
    ):
        send(sign_in_mail, cfg=smtp_settings(server.port, **LOGIN), policy=FAST, sleep=no_retry)
    assert "AUTH" not in server.verbs
    assert server.connections == 1
    assert server.received == []
