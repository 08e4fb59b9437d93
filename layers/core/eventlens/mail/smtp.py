"""One delivery attempt through a real SMTP server (smtplib), and how its failures are read.

SMTP says what kind of failure it is: a 4xx reply is transient (greylisting, a full queue, a
server going down), a 5xx is permanent. A connection that fails is treated like a 421. TLS
errors and a server that lacks a feature we were told to use are configuration errors: retrying
cannot fix them.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import smtplib
import ssl
from email.message import EmailMessage

from eventlens.config import Settings
from eventlens.resilience import Failure

DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


def port(cfg: Settings) -> int:
    return cfg.smtp_port or DEFAULT_PORTS[cfg.smtp_tls]


def deliver(email: EmailMessage, cfg: Settings) -> None:
    """Send `email` once; raises smtplib's exceptions (or OSError) as they come."""
    host = cfg.smtp_host
    if not host:
        raise RuntimeError("deliver needs EVENTLENS_SMTP_HOST")
    user, password = credentials(cfg)
    if user and cfg.smtp_tls == "none" and not _loopback(host):
        raise RuntimeError(
            "EVENTLENS_SMTP_TLS=none with a login would send the password in clear to "
            f"{host}: use starttls or ssl (none is for a relay on this machine)"
        )
    # The system's trust store; SSL_CERT_FILE points it elsewhere (a private CA).
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if cfg.smtp_tls == "ssl":
        client = smtplib.SMTP_SSL(host, port(cfg), timeout=cfg.smtp_timeout_s, context=context)
    else:
        client = smtplib.SMTP(host, port(cfg), timeout=cfg.smtp_timeout_s)
    with client:
        client.ehlo()
        if cfg.smtp_tls == "starttls":
            client.starttls(context=context)
            client.ehlo()
        if user:
            client.login(user, password or "")
        client.send_message(email)


def credentials(cfg: Settings) -> tuple[str | None, str | None]:
    """(user, password): the settings', or a Secrets Manager secret's (read once per process)."""
    if cfg.smtp_password or not cfg.smtp_secret_arn:
        return cfg.smtp_user, cfg.smtp_password
    user, password = _secret(cfg.smtp_secret_arn)
    return cfg.smtp_user or user, password


@functools.cache
def _secret(arn: str) -> tuple[str | None, str]:
    """The secret is the password itself, or JSON {"username", "password"} (as SES SMTP keys are kept)."""
    import boto3

    value = str(boto3.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"])
    try:
        data = json.loads(value)
    except json.JSONDecodeError:
        return None, value.strip()
    if isinstance(data, dict) and "password" in data:
        return (str(data["username"]) if data.get("username") else None), str(data["password"])
    return None, value.strip()


def reply_code(exc: BaseException) -> int | None:
    """The SMTP reply code a failure carries, or None (a connection or TLS failure)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return min(code for code, _ in exc.recipients.values()) if exc.recipients else None
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code
    return None


def classify(exc: BaseException) -> Failure | None:
    """For resilience.call_with_retry: the reply code as the failure's status; a connection
    refused, reset, timed out or dropped counts as 421 (transient); TLS and a missing feature
    (no STARTTLS, no AUTH mechanism in common) are not retried."""
    if (code := reply_code(exc)) is not None:
        return Failure(code)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return Failure(421)
    if isinstance(exc, smtplib.SMTPException | ssl.SSLError):  # both are OSErrors: test them first
        return None
    if isinstance(exc, OSError):
        return Failure(421)
    return None


TRANSIENT = frozenset(range(400, 500))


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
