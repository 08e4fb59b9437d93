"""Without an SMTP server, mail lands in EVENTLENS_HOME/outbox as .eml files a person can open,
and `eventlens mail` lists them, prints one with its link, and empties the outbox."""

from __future__ import annotations

import json
import stat
from datetime import timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from eventlens.cli import main
from eventlens.config import settings
from eventlens.mail import compose, send
from eventlens.mail import outbox as outbox_files

from tests.integration.mail.conftest import LINK


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def three_mails() -> list[Path]:
    mails = [
        compose.verify_email("ana@example.com", "https://g.example.test/verify?t=AAA", timedelta(days=1)),
        compose.reset_password("bob@example.org", "https://g.example.test/reset?t=BBB", timedelta(hours=1)),
        compose.magic_link("cy@example.net", LINK, timedelta(minutes=15), place="Gala Night"),
    ]
    return [path for m in mails if (path := send(m).path) is not None]


def test_without_a_server_a_mail_is_an_eml_file_only_its_owner_can_read(home: Path) -> None:
    message = compose.magic_link("ana@example.com", LINK, timedelta(minutes=15), place="Gala Night")
    delivery = send(message)

    assert delivery.via == "outbox"
    assert delivery.path is not None
    assert delivery.path.parent == home / "outbox"
    assert stat.S_IMODE(delivery.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(delivery.path.parent.stat().st_mode) == 0o700
    raw = delivery.path.read_bytes()
    assert b"\r\n" in raw
    assert b"\n" not in raw.replace(b"\r\n", b"")  # RFC 5322 line ends throughout
    email = BytesParser(policy=policy.default).parsebytes(raw)
    assert email["To"] == "ana@example.com"
    assert email["Subject"] == "Your sign-in link to Gala Night"
    assert email["Message-ID"] == delivery.message_id
    assert email["X-EventLens-Kind"] == "magic_link"
    assert str(email["X-EventLens-Link"]).strip() == LINK  # folded onto its own line
    assert LINK in email.get_body(preferencelist=("plain",)).get_content()
    assert email.get_body(preferencelist=("html",)) is not None
    assert [p.name for p in delivery.path.parent.iterdir()] == [delivery.path.name]  # no temporary left


def test_file_names_sort_by_time_and_the_listing_is_newest_first(home: Path) -> None:
    written = three_mails()
    assert sorted(p.name for p in written) == [p.name for p in written]
    listed = outbox_files.entries(settings().outbox_dir)
    assert [e.path for e in listed] == written[::-1]
    assert [e.n for e in listed] == [1, 2, 3]
    assert [e.kind for e in listed] == ["magic_link", "reset_password", "verify_email"]


def test_a_half_written_file_is_never_listed(home: Path) -> None:
    three_mails()
    folder = settings().outbox_dir
    (folder / ".20991231T000000.000000Z-magic_link-dead.eml.tmp").write_bytes(b"From: x")
    assert len(outbox_files.entries(folder)) == 3
    code, output = run("mail")
    assert code == 0
    assert len(output.splitlines()) == 3


def test_eventlens_mail_lists_newest_first_with_time_to_and_subject(home: Path) -> None:
    code, usage = run("mail", "--help")
    assert code == 0
    assert "--show N" in usage
    three_mails()
    code, output = run("mail")
    assert code == 0
    lines = output.splitlines()
    assert [line.split()[0] for line in lines] == ["1", "2", "3"]
    assert "cy@example.net" in lines[0]
    assert "Your sign-in link to Gala Night" in lines[0]
    assert "bob@example.org" in lines[1]
    assert "Reset your EventLens password" in lines[1]
    assert "ana@example.com" in lines[2]


def test_eventlens_mail_show_and_last_print_the_text_with_its_link(home: Path) -> None:
    three_mails()
    code, last = run("mail", "--last")
    assert code == 0
    assert "To: cy@example.net" in last
    assert "Subject: Your sign-in link to Gala Night" in last
    assert LINK in last
    assert "<p>" not in last  # the text part, not the HTML
    code, second = run("mail", "--show", "2")
    assert code == 0
    assert "https://g.example.test/reset?t=BBB" in second
    assert LINK not in second
    code, shown = run("mail", "--show", "1", "--json")
    assert json.loads(shown)["link"] == LINK
    assert LINK in json.loads(shown)["text"]


def test_eventlens_mail_show_past_the_end_fails_clearly(home: Path) -> None:
    three_mails()
    code, output = run("mail", "--show", "4")
    assert code != 0
    assert "no mail 4: the outbox holds 3" in output
    code, output = run("mail", "--show", "1", "--clear")
    assert code != 0


def test_eventlens_mail_json_lists_every_mail_with_its_link(home: Path) -> None:
    three_mails()
    code, output = run("mail", "--json")
    assert code == 0
    listed = json.loads(output)
    assert [m["kind"] for m in listed] == ["magic_link", "reset_password", "verify_email"]
    assert listed[0]["link"] == LINK
    assert set(listed[0]) == {"n", "time", "to", "subject", "kind", "link", "path"}


def test_eventlens_mail_clear_empties_the_outbox(home: Path) -> None:
    three_mails()
    assert run("mail", "--clear") == (0, "deleted 3 mail(s)\n")
    assert list(settings().outbox_dir.iterdir()) == []
    code, output = run("mail")
    assert code == 0
    assert output.startswith("no mail in ")


def test_eventlens_mail_says_where_mail_goes_when_a_server_is_set(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVENTLENS_SMTP_HOST", "mail.example.test")
    from eventlens.config import reset_settings

    reset_settings()
    result = CliRunner().invoke(main, ["mail"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "mail goes to mail.example.test" in result.stderr
