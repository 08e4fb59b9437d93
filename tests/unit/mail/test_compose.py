"""Each kind of mail says one thing, carries its link in the text, escapes every person-given input
in the HTML, and cannot be bent into a header injection or a non-web link."""

from __future__ import annotations

from datetime import timedelta

import pytest
from eventlens.mail import MAIL_KINDS, Message, compose
from eventlens.mail.message import to_email
from pydantic import ValidationError

LINK = "https://gallery.example.test/accept?token=abc&next=%2Fe%2Fgala"
HOSTILE = "<script>alert(\"x\")</script> & 'Co'"


def every_kind(name: str = "Ana", place: str = "Gala Night", inviter: str = "Eve") -> list[Message]:
    return [
        compose.verify_email("ana@example.com", LINK, timedelta(hours=24), name=name),
        compose.reset_password("ana@example.com", LINK, timedelta(hours=1)),
        compose.magic_link("ana@example.com", LINK, timedelta(minutes=15), place=place),
        compose.invitation(
            "ana@example.com", LINK, timedelta(days=7), inviter=inviter, role="CONTRIBUTOR", place=place
        ),
    ]


def test_every_kind_has_a_composer_whose_text_and_html_carry_the_link() -> None:
    messages = every_kind()
    assert [m.kind for m in messages] == list(MAIL_KINDS)
    for message in messages:
        assert message.link == LINK
        assert f"\n\n{LINK}\n\n" in message.text  # on a line of its own, easy to click or copy
        assert message.html is not None
        assert 'href="https://gallery.example.test/accept?token=abc&amp;next=%2Fe%2Fgala"' in message.html


def test_the_texts_say_who_where_which_role_and_how_long() -> None:
    verify, reset, magic, invite = every_kind()
    assert verify.text.startswith("Hi Ana,")
    assert "24 hours" in verify.text
    assert "works once, for 1 hour." in reset.text
    assert magic.subject == "Your sign-in link to Gala Night"
    assert "15 minutes" in magic.text
    assert invite.subject == "Eve invited you to Gala Night"
    assert "as a contributor" in invite.text
    assert "7 days" in invite.text


@pytest.mark.parametrize("field", ["name", "place", "inviter"])
def test_html_escapes_every_person_given_input(field: str) -> None:
    shown = [m for m in every_kind(**{field: HOSTILE}) if HOSTILE in m.text]
    assert shown  # the input does reach a mail
    for message in shown:
        assert message.html is not None
        assert "<script>" not in message.html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;Co&#x27;" in message.html


def test_a_role_with_markup_is_escaped_too() -> None:
    message = compose.invitation(
        "ana@example.com", LINK, timedelta(days=7), inviter="Eve", role="<b>ADMIN</b>", place="Gala"
    )
    assert message.html is not None
    assert "<b>" not in message.html


def test_a_name_with_line_breaks_cannot_add_a_header() -> None:
    message = compose.invitation(
        "ana@example.com",
        LINK,
        timedelta(days=7),
        inviter="Eve\r\nBcc: everyone@example.com",
        role="VIEWER",
        place="Gala\nX-Evil: 1",
    )
    email = to_email(message, "EventLens <noreply@example.test>")
    assert email["Bcc"] is None
    assert email["X-Evil"] is None
    assert email["Subject"] == "Eve Bcc: everyone@example.com invited you to Gala X-Evil: 1"


def test_a_very_long_name_is_cut_in_the_subject() -> None:
    message = compose.magic_link("ana@example.com", LINK, timedelta(minutes=15), place="G" * 500)
    assert len(message.subject) < 120
    assert message.subject.endswith("…")


@pytest.mark.parametrize(
    "to",
    ["ana@example.com, eve@example.com", "Ana <ana@example.com>", "ana@example.com\r\nBcc: x@y.z", "ana"],
)
def test_a_message_goes_to_exactly_one_plain_address(to: str) -> None:
    with pytest.raises(ValidationError):
        compose.reset_password(to, LINK, timedelta(hours=1))


@pytest.mark.parametrize(
    "link", ["javascript:alert(1)", "data:text/html,x", "/relative/path", "https://g.test/a b", "https://"]
)
def test_a_link_must_be_a_web_address(link: str) -> None:
    with pytest.raises(ValidationError):
        compose.magic_link("ana@example.com", link, timedelta(minutes=15))


def test_a_message_whose_text_lacks_its_link_is_refused() -> None:
    with pytest.raises(ValidationError, match="must contain the link"):
        Message(to="ana@example.com", subject="Hi", text="no link here", kind="magic_link", link=LINK)
    with pytest.raises(ValidationError):
        Message(to="ana@example.com", subject="Hi\r\nBcc: x@y.z", text=LINK, kind="magic_link", link=LINK)
    with pytest.raises(ValidationError):
        Message(to="ana@example.com", subject="Hi", text=LINK, kind="welcome", link=LINK)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("span", "said"),
    [
        (timedelta(minutes=15), "15 minutes"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(seconds=90), "2 minutes"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(hours=24), "24 hours"),
        (timedelta(days=7), "7 days"),
        (timedelta(hours=36), "36 hours"),
        (timedelta(minutes=150), "150 minutes"),
    ],
)
def test_expiry_is_said_in_the_largest_exact_unit(span: timedelta, said: str) -> None:
    assert f"works once, for {said}." in compose.reset_password("ana@example.com", LINK, span).text
