"""The mails accounts and invitations send (composed and delivered by `eventlens.mail`)."""

from __future__ import annotations

from datetime import timedelta

from eventlens import mail


def deliver(kind: str, to: str, link: str, ttl_s: int, **context: str) -> None:
    expires = timedelta(seconds=ttl_s)
    if kind == "verify_email":
        message = mail.compose.verify_email(to, link, expires)
    elif kind == "reset_password":
        message = mail.compose.reset_password(to, link, expires)
    elif kind == "magic_link":
        message = mail.compose.magic_link(to, link, expires)
    elif kind == "invitation":
        message = mail.compose.invitation(
            to, link, expires, inviter=context["inviter"], role=context["role"], place=context["place"]
        )
    else:
        raise ValueError(f"no mail of kind {kind!r}")
    mail.send(message)
