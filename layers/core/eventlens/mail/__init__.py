"""Mail for accounts: verification, password reset, magic-link sign-in and invitations.

`compose` writes each kind of message; `send` delivers it through the configured SMTP server, or
into the local outbox that `eventlens mail` prints (docs/mail.md).
"""

from __future__ import annotations

from eventlens.mail import compose
from eventlens.mail.message import MAIL_KINDS, MailKind, Message
from eventlens.mail.service import Delivery, send

__all__ = ["MAIL_KINDS", "Delivery", "MailKind", "Message", "compose", "send"]
