"""The one shape every mail takes, and its RFC 5322 form.

Accounts build a `Message` (compose.py) and hand it to `send`; nothing else decides headers. The
checks here stop header injection and a non-web link before a byte leaves the process.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Literal, get_args
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

MailKind = Literal["verify_email", "reset_password", "magic_link", "invitation"]
MAIL_KINDS: tuple[MailKind, ...] = get_args(MailKind)

KIND_HEADER = "X-EventLens-Kind"

# One plain address: no display name, no list, nothing a header parser could split.
_ADDRESS = re.compile(r"[^\s@<>(),;:\"\[\]\\]+@[^\s@<>(),;:\"\[\]\\]+\.[^\s@<>(),;:\"\[\]\\]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class Message(BaseModel):
    """A mail to one person, carrying one link (a secret: it signs in, verifies or resets)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    to: str = Field(max_length=254)
    subject: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1)
    html: str | None = None
    kind: MailKind
    link: str = Field(max_length=2048)

    @field_validator("to")
    @classmethod
    def _one_address(cls, value: str) -> str:
        if not _ADDRESS.fullmatch(value):
            raise ValueError("must be one plain email address (name@domain)")
        return value

    @field_validator("subject")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if _CONTROL.search(value):
            raise ValueError("must be one line without control characters")
        return value

    @field_validator("link")
    @classmethod
    def _web_link(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.netloc or re.search(r"[\s\x00-\x1f]", value):
            raise ValueError("must be an http(s) URL without spaces")
        return value

    @model_validator(mode="after")
    def _link_is_in_the_mail(self) -> Message:
        # The person (and `eventlens mail --show`) must be able to follow it from the plain text.
        if self.link not in self.text:
            raise ValueError("the text must contain the link")
        return self

    @property
    def recipient_domain(self) -> str:
        """What logs may say about the recipient: the address is personal data."""
        return self.to.rpartition("@")[2].lower()


def to_email(message: Message, sender: str, now: datetime | None = None) -> EmailMessage:
    """The message as RFC 5322: text first, HTML as the alternative mail clients prefer."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Date"] = format_datetime(now or datetime.now(UTC))
    # make_msgid() alone asks DNS for this host's name; the sender's domain is enough and instant.
    email["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or "eventlens.local")
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to a robot
    email[KIND_HEADER] = message.kind
    email.set_content(message.text)
    if message.html is not None:
        email.add_alternative(message.html, subtype="html")
    return email
