"""The embedded mode's outbox: each mail an .eml file under EVENTLENS_HOME/outbox.

With no SMTP server configured, a person trying EventLens on one machine still has to open the
sign-in link: `eventlens mail` lists and prints these files, and any mail client opens them. The
links are secrets, so files are readable by their owner only. A file is written whole or not at
all (temporary name, then rename), and names start with the UTC time so they sort by it.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path

from eventlens.mail.message import KIND_HEADER

LINK_HEADER = "X-EventLens-Link"
"""Only outbox copies carry the link in a header, so tools read it without parsing the body."""


@dataclass(frozen=True)
class OutboxEntry:
    """One mail in the outbox; `n` is its place in the listing, 1 for the newest."""

    n: int
    path: Path
    time: datetime
    to: str
    subject: str
    kind: str
    link: str

    def email(self) -> EmailMessage:
        return read(self.path)

    def text(self) -> str:
        """The plain-text part, the one with the link a person can click."""
        part = self.email().get_body(preferencelist=("plain",))
        return part.get_content() if isinstance(part, EmailMessage) else ""


def write(folder: Path, email: EmailMessage, link: str, now: datetime | None = None) -> Path:
    """Store `email` (plus its link header) in `folder` atomically; returns the file's path."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    name = f"{stamp}-{email[KIND_HEADER] or 'mail'}-{secrets.token_hex(4)}.eml"
    temporary = folder / f".{name}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(email_bytes(email, link))
            out.flush()
            os.fsync(out.fileno())
        final = folder / name
        os.replace(temporary, final)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return final


def email_bytes(email: EmailMessage, link: str) -> bytes:
    """The file's bytes: the mail as sent plus the outbox's link header, with CRLF line ends as
    RFC 5322 has them (the copy leaves the caller's message as it was)."""
    stored = BytesParser(policy=policy.default).parsebytes(email.as_bytes(policy=policy.SMTP))
    stored[LINK_HEADER] = link
    return stored.as_bytes(policy=policy.SMTP)


def entries(folder: Path) -> list[OutboxEntry]:
    """Every mail in the outbox, newest first."""
    if not folder.is_dir():
        return []
    names = sorted((p for p in folder.glob("*.eml") if not p.name.startswith(".")), reverse=True)
    found = []
    for n, path in enumerate(names, start=1):
        email = read(path)
        found.append(
            OutboxEntry(
                n=n,
                path=path,
                time=parsedate_to_datetime(str(email["Date"])).astimezone(UTC),
                to=str(email["To"] or ""),
                subject=str(email["Subject"] or ""),
                kind=str(email[KIND_HEADER] or ""),
                link=str(email[LINK_HEADER] or "").strip(),  # folded onto its own line when long
            )
        )
    return found


def read(path: Path) -> EmailMessage:
    with path.open("rb") as source:
        parsed = BytesParser(policy=policy.default).parse(source)
    assert isinstance(parsed, EmailMessage)
    return parsed


def clear(folder: Path) -> int:
    """Delete every mail (and any half-written file); returns how many mails there were."""
    if not folder.is_dir():
        return 0
    removed = 0
    for path in folder.iterdir():
        if path.suffix == ".eml" or path.name.endswith(".tmp"):
            removed += path.suffix == ".eml" and not path.name.startswith(".")
            path.unlink(missing_ok=True)
    return removed
