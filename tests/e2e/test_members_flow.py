"""Issue 14 in Chromium: an ADMIN invites an EDITOR by email; the invitee opens the mailed link,
creates an account, accepts, and lands on a dashboard that shows what an EDITOR may do (review)
and hides what it may not (settings, members management); removed, its next action is refused.
Also: an invitation opened with another account is refused in the API's words, and a mailed
sign-in link brings an account back to the dashboard with a session that renews itself."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path
from uuid import uuid4

import pytest
from playwright.sync_api import APIRequestContext, Browser, Page, expect

from tests.e2e.conftest import DEMO_PASSWORD, DESKTOP, new_context, watch_csp

PASSWORD = "a long enough passphrase"


def _address(who: str) -> str:
    return f"{who}-{uuid4().hex[:10]}@example.org"


def _mailed_link(home: Path, to: str, path: str) -> str:
    """The link of the newest mail to `to` whose link goes to `path` (the local outbox)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for eml in sorted((home / "outbox").glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True):
            mail = message_from_bytes(eml.read_bytes(), policy=policy.default)
            link = str(mail["X-EventLens-Link"] or "")
            if to in str(mail["To"]) and f"{path}#token=" in link:
                return link
        time.sleep(0.2)
    raise AssertionError(f"no mail to {to} with a {path} link in {home / 'outbox'}")


def _event_token(request: APIRequestContext) -> str:
    reply = request.post("/api/events/demo/login", data={"password": DEMO_PASSWORD})
    assert reply.ok, reply.text()
    return str(reply.json()["token"])


def _account_with_role(request: APIRequestContext, email: str, role: str | None) -> None:
    """An account (signed up through the API) and, given a role, that role in the demo event,
    granted with the event password (which acts as the event's ADMIN)."""
    reply = request.post("/api/account/sign-up", data={"email": email, "password": PASSWORD})
    assert reply.status == 201, reply.text()
    if role is not None:
        reply = request.post(
            "/api/events/demo/admin/members",
            data={"email": email, "role": role},
            headers={"Authorization": f"Bearer {_event_token(request)}"},
        )
        assert reply.ok, reply.text()


def _sign_in_with_account(page: Page, email: str) -> None:
    page.goto("/e/demo/admin")
    page.get_by_label("My account").check()
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


@pytest.fixture
def other_page(browser: Browser, demo_server: str) -> Iterator[Page]:
    """A second browser (the invitee's): its own storage; errors and CSP violations fail the test."""
    context = new_context(browser, demo_server, DESKTOP)
    violations = watch_csp(context)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"
    assert not violations, f"Content-Security-Policy violations: {violations}"


def test_an_invited_editor_reviews_without_settings_or_member_management_until_removed(
    page: Page, other_page: Page, demo_home: Path
) -> None:
    admin, editor = _address("admin"), _address("editor")
    _account_with_role(page.request, admin, "ADMIN")

    # the ADMIN signs in with the account and invites the EDITOR
    _sign_in_with_account(page, admin)
    expect(page.locator("#signed-in-as")).to_have_text(f"Signed in as {admin}")
    expect(page.locator("#tab-settings")).to_be_visible()
    page.get_by_role("tab", name="Members").click()
    expect(page.locator("#members-table tbody tr").filter(has_text=admin)).to_contain_text("ADMIN")
    role = page.get_by_label("Role", exact=True)
    assert role.locator("option").all_inner_texts() == ["VIEWER", "MEMBER", "CONTRIBUTOR", "EDITOR", "ADMIN"]
    page.get_by_label("Email address to invite").fill(editor)
    role.select_option("EDITOR")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator(".invitation").filter(has_text=editor)).to_contain_text("as EDITOR")

    # the invitee opens the mailed link, creates an account and accepts
    invitee = other_page
    invitee.goto(_mailed_link(demo_home, editor, "/account/invitation"))
    expect(invitee.get_by_role("heading", name="You are invited")).to_be_visible()
    assert "token" not in invitee.url
    invitee.get_by_label("No, create one").check()
    invitee.get_by_label("Email", exact=True).fill(editor)
    invitee.get_by_label("Password", exact=True).fill(PASSWORD)
    invitee.get_by_role("button", name="Create the account and accept").click()

    # it lands on the dashboard: review yes; settings, activity and members management no
    invitee.wait_for_url(re.compile(r"/e/demo/admin"))
    expect(invitee.get_by_role("tab", name="Review")).to_be_visible()
    for hidden in ("#tab-settings", "#tab-activity"):
        expect(invitee.locator(hidden)).to_have_count(1)
        expect(invitee.locator(hidden)).to_be_hidden()
    invitee.get_by_role("tab", name="Members").click()
    expect(invitee.locator("#members-table tbody tr").filter(has_text=editor)).to_contain_text("EDITOR")
    expect(invitee.locator("#members-manage")).to_be_hidden()
    expect(invitee.locator("#members-table select, #members-table button")).to_have_count(0)

    invitee.get_by_role("tab", name="Review").click()
    # a photo the gallery shows (a file another test left failing is listed too, never public)
    shown = invitee.request.get("/api/events/demo/photos?limit=200").json()["photos"][0]["filename"]
    card = invitee.locator("#all-photos .review-card").filter(has_text=shown).first
    name = card.locator(".review-name").inner_text()
    card.get_by_role("button", name=f"Hide {name}").click()
    expect(card).to_have_class(re.compile("is-hidden"))
    card.get_by_role("button", name=f"Unhide {name}").click()
    expect(card).not_to_have_class(re.compile("is-hidden"))

    # the ADMIN sees the invitation taken and removes the EDITOR
    page.get_by_role("tab", name="Members").click()
    expect(page.locator(".invitation").filter(has_text=editor)).to_have_count(0)
    page.get_by_role("button", name=f"Remove {editor}").click()
    expect(page.locator("#members-table tbody tr").filter(has_text=editor)).to_have_count(0)

    # the EDITOR's next action is refused: no role any more, said plainly (the pipeline panel's
    # polling may be refused first: either way the dashboard says so)
    card.locator(".hide-toggle").dispatch_event("click")
    expect(invitee.locator("#norole-message")).to_have_text(
        "You have no role in the event 'demo': ask one of its admins to invite you"
    )
    expect(invitee.locator("#app-view")).to_be_hidden()
    public = {
        p["filename"] for p in invitee.request.get("/api/events/demo/photos?limit=200").json()["photos"]
    }
    assert name in public


def test_an_invitation_opened_with_another_account_shows_the_apis_refusal(
    page: Page, demo_home: Path
) -> None:
    invited, other = _address("invited"), _address("other")
    reply = page.request.post(
        "/api/events/demo/admin/invitations",
        data={"email": invited, "role": "EDITOR"},
        headers={"Authorization": f"Bearer {_event_token(page.request)}"},
    )
    assert reply.status == 201, reply.text()
    _account_with_role(page.request, other, None)

    _sign_in_with_account(page, other)
    expect(page.locator("#norole-message")).to_have_text(
        "You have no role in this event: ask one of its admins to invite you."
    )
    page.goto(_mailed_link(demo_home, invited, "/account/invitation"))
    expect(page.get_by_role("heading", name="Accept the invitation")).to_be_visible()
    expect(page.locator("#step-text")).to_have_text(f"Signed in as {other}.")
    page.get_by_role("button", name="Accept the invitation").click()

    expect(page.locator("#account-error")).to_have_text(
        f"This invitation is for {invited}: sign in with that address to accept it"
    )
    page.get_by_role("button", name="Use another account").click()
    expect(page.get_by_label("Email", exact=True)).to_be_visible()
    assert page.evaluate("localStorage.getItem('eventlens.account')") is None


def test_a_mailed_sign_in_link_returns_to_the_dashboard_and_the_session_renews_itself(
    page: Page, demo_home: Path
) -> None:
    editor = _address("linked")
    _account_with_role(page.request, editor, "EDITOR")
    page.goto("/e/demo/admin")
    page.get_by_label("My account").check()
    page.get_by_label("Email", exact=True).fill(editor)
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.locator("#login-info")).to_contain_text("a sign-in link is on its way")

    page.goto(_mailed_link(demo_home, editor, "/account/magic"))

    page.wait_for_url(re.compile(r"/e/demo/admin"))
    expect(page.locator("#signed-in-as")).to_have_text(f"Signed in as {editor}")
    expect(page.get_by_role("tab", name="Review")).to_be_visible()
    expect(page.locator("#tab-settings")).to_be_hidden()
    # an access token about to expire is renewed (the refresh token rotates) before the next call
    before = page.evaluate(
        """() => { const s = JSON.parse(localStorage.getItem('eventlens.account'));
                   s.expires_at = Date.now() / 1000 + 5;
                   localStorage.setItem('eventlens.account', JSON.stringify(s));
                   return s.refresh_token; }"""
    )
    page.get_by_role("tab", name="Review").click()
    expect(page.locator("#all-photos .review-card").first).to_be_visible()
    page.wait_for_function(
        "old => JSON.parse(localStorage.getItem('eventlens.account')).refresh_token !== old", arg=before
    )

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_label("Organizer password")).to_be_visible()
    assert page.evaluate("localStorage.getItem('eventlens.account')") is None


def test_the_members_tab_changes_roles_withdraws_invitations_and_shows_refusals_in_plain_words(
    admin_page: Page,
) -> None:
    """The event password's holder (the event's ADMIN) manages members from the dashboard."""
    viewer, invited = _address("viewer"), _address("maybe")
    _account_with_role(admin_page.request, viewer, "VIEWER")
    admin_page.get_by_role("tab", name="Members").click()
    row = admin_page.locator("#members-table tbody tr").filter(has_text=viewer)

    row.get_by_label(f"Role of {viewer}").select_option("CONTRIBUTOR")

    expect(row.get_by_label(f"Role of {viewer}")).to_have_value("CONTRIBUTOR")
    headers = {"Authorization": f"Bearer {_event_token(admin_page.request)}"}
    listed = admin_page.request.get("/api/events/demo/admin/members", headers=headers).json()["members"]
    assert [m["role"] for m in listed if m["email"] == viewer] == ["CONTRIBUTOR"]

    admin_page.get_by_label("Email address to invite").fill(invited)
    admin_page.get_by_role("button", name="Send invitation").click()
    invitation = admin_page.locator(".invitation").filter(has_text=invited)
    expect(invitation).to_contain_text("as VIEWER")
    admin_page.get_by_role("button", name=f"Withdraw the invitation for {invited}").click()
    expect(invitation).to_have_count(0)

    # removed behind the page's back: the stale row's change is refused, in the API's words
    person_id = next(m["person_id"] for m in listed if m["email"] == viewer)
    gone = admin_page.request.delete(f"/api/events/demo/admin/members/{person_id}", headers=headers)
    assert gone.status == 204
    row.get_by_label(f"Role of {viewer}").select_option("EDITOR")
    expect(admin_page.locator("#members-error")).to_have_text("This person holds no role here")
    expect(row).to_have_count(0)
