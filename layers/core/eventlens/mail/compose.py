"""The words of each mail accounts send, in the gallery's voice: short, plain, one action.

Each function takes typed inputs and returns a `Message`; the link is made (and signed) by the
caller, never here. Names come from people (an inviter, an organization), so every one is folded
onto one line for the subject and escaped in the HTML.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html import escape

from eventlens.mail.message import MailKind, Message

_NAME_MAX = 80


def verify_email(to: str, link: str, expires_in: timedelta, name: str | None = None) -> Message:
    """Sent after sign-up or an email change: the address is only trusted once this link is opened."""
    greeting = f"Hi {_one_line(name)}," if name else "Hi,"
    return _message(
        "verify_email",
        to,
        link,
        subject="Confirm your email address",
        before=[greeting, "Confirm this address to finish setting up your EventLens account."],
        action="Confirm my email",
        after=[
            f"The link works for {_duration(expires_in)}.",
            "If you did not sign up, ignore this mail: nothing happens until the link is opened.",
        ],
    )


def reset_password(to: str, link: str, expires_in: timedelta) -> Message:
    """Sent on "forgot password": the link lets whoever holds it choose a new password, once."""
    return _message(
        "reset_password",
        to,
        link,
        subject="Reset your EventLens password",
        before=["Someone asked to reset the password of your EventLens account. Choose a new one here."],
        action="Choose a new password",
        after=[
            f"The link works once, for {_duration(expires_in)}.",
            "If you did not ask, ignore this mail: your password stays as it is.",
        ],
    )


def magic_link(to: str, link: str, expires_in: timedelta, place: str | None = None) -> Message:
    """Password-free sign-in: the link is the credential, so it is short-lived and single-use."""
    where = f" to {_one_line(place)}" if place else ""
    return _message(
        "magic_link",
        to,
        link,
        subject=f"Your sign-in link{where}"[:200],
        before=[f"Sign in{where} on EventLens with this link."],
        action="Sign in",
        after=[
            f"The link works once, for {_duration(expires_in)}.",
            "If you did not ask to sign in, ignore this mail.",
        ],
    )


def invitation(to: str, link: str, expires_in: timedelta, *, inviter: str, role: str, place: str) -> Message:
    """An invitation to an organization or event (`place`) with a role, from a named person."""
    who, where = _one_line(inviter), _one_line(place)
    return _message(
        "invitation",
        to,
        link,
        subject=f"{who} invited you to {where}"[:200],
        before=[f"{who} invited you to join {where} on EventLens as {_role(_one_line(role))}."],
        action="Accept the invitation",
        after=[
            f"The invitation works for {_duration(expires_in)}.",
            f"If you do not know {who}, ignore this mail.",
        ],
    )


def _message(
    kind: MailKind, to: str, link: str, *, subject: str, before: list[str], action: str, after: list[str]
) -> Message:
    text = "\n\n".join([*before, link, *after]) + "\n\n-- EventLens\n"
    return Message(
        to=to, subject=subject, text=text, html=_html(before, action, link, after), kind=kind, link=link
    )


def _html(before: list[str], action: str, link: str, after: list[str]) -> str:
    href = escape(link, quote=True)
    paragraphs = "".join(f"<p>{escape(p)}</p>\n" for p in before)
    tail = "".join(f"<p>{escape(p)}</p>\n" for p in after)
    return (
        '<!doctype html>\n<html><body style="font-family:system-ui,sans-serif;line-height:1.5;color:#1f2328">\n'
        f"{paragraphs}"
        f'<p><a href="{href}" style="display:inline-block;padding:10px 18px;border-radius:6px;'
        f'background:#1f6feb;color:#fff;text-decoration:none">{escape(action)}</a></p>\n'
        f'<p style="color:#59636e;font-size:90%">Or paste this address into your browser:<br>{href}</p>\n'
        f"{tail}"
        "<p>— EventLens</p>\n</body></html>\n"
    )


def _one_line(value: str) -> str:
    """A person-given name on one line (no header can be smuggled into a subject), bounded."""
    folded = re.sub(r"\s+", " ", value).strip()
    folded = re.sub(r"[\x00-\x1f\x7f]", "", folded)
    return folded if len(folded) <= _NAME_MAX else folded[: _NAME_MAX - 1] + "…"


def _role(role: str) -> str:
    label = role.replace("_", " ").lower()
    return f"{'an' if label[:1] in 'aeiou' else 'a'} {label}"


def _duration(span: timedelta) -> str:
    """15 minutes, 1 hour, 24 hours, 7 days: the largest unit that says it exactly, else minutes."""
    minutes = max(1, -(-int(span.total_seconds()) // 60))
    if minutes % (24 * 60) == 0 and minutes >= 2 * 24 * 60:
        count, unit = minutes // (24 * 60), "day"
    elif minutes % 60 == 0:
        count, unit = minutes // 60, "hour"
    else:
        count, unit = minutes, "minute"
    return f"{count} {unit}{'' if count == 1 else 's'}"
