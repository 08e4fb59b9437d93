"""Links in mails sign people in: no log line, at any level, carries a link, a password, a body
or the recipient's address, whether the mail goes to the outbox, is retried, arrives or is refused."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest
from eventlens.config import load_settings
from eventlens.errors import MailRejected
from eventlens.mail import Message, send
from eventlens.mail.service import RETRY

from tests.fakes.smtp_server import FakeSmtpServer
from tests.integration.mail.conftest import LINK

PASSWORD = "s3cret-smtp-pass"
FAST = replace(RETRY, base_s=0.01, cap_s=0.05)  # the production policy, without the waiting


def test_logs_name_kind_domain_and_outcome_but_never_the_link_password_or_address(
    trust, smtp_settings, sign_in_mail: Message, tmp_path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    login = {"EVENTLENS_SMTP_USER": "mailer", "EVENTLENS_SMTP_PASSWORD": PASSWORD}
    with FakeSmtpServer(tls="starttls", certificates=trust, users={"mailer": PASSWORD}) as server:
        server.fail("RCPT", 451)
        send(sign_in_mail, cfg=smtp_settings(server.port, **login), policy=FAST, sleep=lambda _: None)
        server.fail("RCPT", 550)
        with pytest.raises(MailRejected):
            send(sign_in_mail, cfg=smtp_settings(server.port, **login), policy=FAST)
    outbox = send(sign_in_mail, cfg=load_settings({"EVENTLENS_HOME": str(tmp_path / "embedded")}))

    logged = "\n".join([r.getMessage() for r in caplog.records] + [str(r.args) for r in caplog.records])
    mail_lines = [r.getMessage() for r in caplog.records if r.name.startswith("eventlens.mail")]
    assert any("magic_link to @example.com" in line and "attempt 1" in line for line in mail_lines)
    assert any("sent through" in line and "after 2 attempt(s)" in line for line in mail_lines)
    assert any("550" in line for line in mail_lines)
    assert any(str(outbox.path) in line for line in mail_lines)
    for secret in (LINK, "SECRET-TOKEN", PASSWORD, "ana@example.com", "Sign in to Gala Night"):
        assert secret not in logged
