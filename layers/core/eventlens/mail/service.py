"""`send`: the one way a mail leaves EventLens, through SMTP when a server is configured, else
into the local outbox.

Links in these mails sign people in, so logs say only the kind, the recipient's domain, and
where the mail went (the outbox file, or the server and its answer); never a body, a link, an
address or a password.
"""

from __future__ import annotations

import logging
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from eventlens.config import Settings, settings
from eventlens.errors import MailRejected
from eventlens.mail import outbox, smtp
from eventlens.mail.message import MailKind, Message, to_email
from eventlens.resilience import RetryPolicy, call_with_retry

log = logging.getLogger(__name__)

RETRY = RetryPolicy(base_s=0.5, cap_s=4.0, max_attempts=3, retry_statuses=smtp.TRANSIENT)
"""Three attempts over about 1.5 s plus timeouts: a sign-in request waits for its mail, and
API Gateway gives it 29 s. A server that stays down fails the request; the person asks again."""


@dataclass(frozen=True)
class Delivery:
    """Where a mail went: `outbox` (with its file) or `smtp` (after `attempts` tries)."""

    kind: MailKind
    to: str
    via: Literal["smtp", "outbox"]
    message_id: str
    attempts: int = 1
    path: Path | None = None


def send(
    message: Message,
    *,
    cfg: Settings | None = None,
    policy: RetryPolicy = RETRY,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery:
    """Deliver `message`; raises MailRejected when the server refuses it for good (5xx).

    Transient failures (4xx, a connection refused or dropped) are retried with backoff; when
    they outlast the retries, or the server refuses our login, smtplib's error propagates (a
    logged 500: the installation's fault, not the person's).
    """
    cfg = cfg or settings()
    email = to_email(message, cfg.mail_from)
    message_id = str(email["Message-ID"])
    if not cfg.smtp_host:
        path = outbox.write(cfg.outbox_dir, email, message.link)
        log.info("mail %s to @%s written to the outbox: %s", message.kind, message.recipient_domain, path)
        return Delivery(message.kind, message.to, "outbox", message_id, path=path)

    server = f"{cfg.smtp_host}:{smtp.port(cfg)}"
    attempts = 0

    def attempt() -> None:
        nonlocal attempts
        attempts += 1
        try:
            smtp.deliver(email, cfg)
        except Exception as exc:
            log.warning(
                "mail %s to @%s: attempt %d through %s failed: %s %s",
                message.kind,
                message.recipient_domain,
                attempts,
                server,
                type(exc).__name__,
                smtp.reply_code(exc) or "(no reply)",
            )
            raise

    try:
        call_with_retry(attempt, policy=policy, classify=smtp.classify, sleep=sleep)
    except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as exc:
        code = smtp.reply_code(exc) or 0
        if 500 <= code < 600 and not isinstance(exc, smtplib.SMTPAuthenticationError):
            raise MailRejected(
                f"The mail server refused the message to {message.to} ({code}). "
                "Check the address, or ask the administrator."
            ) from exc
        raise
    log.info(
        "mail %s to @%s sent through %s after %d attempt(s)",
        message.kind,
        message.recipient_domain,
        server,
        attempts,
    )
    return Delivery(message.kind, message.to, "smtp", message_id, attempts=attempts)
