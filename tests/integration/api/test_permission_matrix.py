"""The whole permission matrix through the real handlers: every signed-in route × every role × the
caller's own tenant and another one.

The expected rights are written out here, independently of the code's table
(eventlens/access/rights.py): change any cell there and a route answers differently from this
spec, so the test fails (the closing note of issue 14 records that mutation run). Allowed means
anything but 401/403 and never a 5xx (a route may still refuse its input: an unknown key, a run
that does not exist); refused means exactly 403 for a signed-in person without the right, 401
for nobody signed in.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventlens.access.rights import ACTIONS, ROLES

ROLE_NAMES = [role.value for role in ROLES]

SPEC = """
action               VIEWER MEMBER CONTRIBUTOR EDITOR ADMIN SUPER_ADMIN
gallery.view         x      x      x           x      x     x
members.view         .      x      x           x      x     x
photo.upload         .      .      x           x      x     x
event.inspect        .      .      .           x      x     x
photo.moderate       .      .      .           x      x     x
photo.delete         .      .      .           x      x     x
pipeline.run         .      .      .           x      x     x
findme.analytics     .      .      .           .      x     x
face_clusters.manage .      .      .           x      x     x
event.settings       .      .      .           .      x     x
members.manage       .      .      .           .      x     x
audit.read           .      .      .           .      x     x
event.delete         .      .      .           .      x     x
event.transfer       .      .      .           .      x     x
org.create_event     .      .      .           .      x     x
org.manage           .      .      .           .      x     x
installation.manage  .      .      .           .      .     x
media.lock           .      .      .           x      x     x
comment.moderate     .      .      .           x      x     x
album.rate           x      x      x           x      x     x
album.flag           x      x      x           x      x     x
album.contribute     x      x      x           x      x     x
album.create         .      .      x           x      x     x
album.manage         .      .      .           x      x     x
album.moderate       .      .      .           x      x     x
subject.manage       .      .      .           x      x     x
compilation.create   .      .      .           x      x     x
"""


def _spec() -> dict[str, set[str]]:
    lines = [line.split() for line in SPEC.strip().splitlines()]
    header = lines[0][1:]
    return {
        row[0]: {role for role, cell in zip(header, row[1:], strict=True) if cell == "x"} for row in lines[1:]
    }


EXPECTED = _spec()


@dataclass
class World:
    """Organization A (the caller's) with a private event, organization B (another tenant)."""

    org_a: UUID
    org_b: UUID
    event_a: Any
    event_b: Any
    target: UUID
    """A person with a VIEWER grant on both events, whom member routes change or remove."""
    make_event: Callable[..., Any]
    albums: dict[str, UUID] = field(default_factory=dict)
    """An OPEN album of each event, by slug: the `{album}` of album routes."""


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    action: str
    body: Callable[[World], Any] | None = None
    level: str = "event"
    """event: the role is granted on the event; organization: on the organization."""
    fresh_event: bool = False
    """Destructive: each call gets an event of its own (delete, transfer)."""


def _consent(world: World) -> str:
    """The version of the standard consent text (both tenants' events use it)."""
    from eventlens.findme.control import consent_text, consent_version

    return consent_version(consent_text(world.event_a))


ROUTES = [
    Route("GET", "/api/events/{slug}", "gallery.view"),
    Route("GET", "/api/events/{slug}/photos", "gallery.view"),
    Route("GET", "/api/events/{slug}/search?q=keynote", "gallery.view"),
    Route("POST", "/api/events/{slug}/pass", "gallery.view"),
    Route("GET", "/api/events/{slug}/privacy", "gallery.view"),
    Route("GET", "/api/events/{slug}/activity", "gallery.view"),
    Route("POST", "/api/events/{slug}/collage", "gallery.view", lambda w: {"ids": [str(UUID(int=9))]}),
    Route("GET", "/api/events/{slug}/match/consent", "gallery.view"),
    Route(
        "POST", "/api/events/{slug}/match/consent", "gallery.view", lambda w: {"consent_version": _consent(w)}
    ),
    Route("GET", "/api/events/{slug}/admin/pipeline", "event.inspect"),
    Route("POST", "/api/events/{slug}/admin/pipeline/runs", "pipeline.run", lambda w: {"phase": "tag"}),
    Route("GET", "/api/events/{slug}/admin/pipeline/runs/" + str(UUID(int=7)), "event.inspect"),
    Route("GET", "/api/events/{slug}/admin/errors", "event.inspect"),
    Route("POST", "/api/events/{slug}/admin/retry", "pipeline.run"),
    Route("GET", "/api/events/{slug}/admin/jobs", "event.inspect"),
    Route("GET", "/api/events/{slug}/admin/jobs/" + str(UUID(int=7)), "event.inspect"),
    Route("POST", "/api/events/{slug}/admin/jobs/" + str(UUID(int=7)) + "/cancel", "pipeline.run"),
    Route("POST", "/api/events/{slug}/admin/jobs/" + str(UUID(int=7)) + "/retry", "pipeline.run"),
    Route(
        "PATCH",
        "/api/events/{slug}/admin/jobs/" + str(UUID(int=7)),
        "pipeline.run",
        lambda w: {"priority": 3},
    ),
    Route("DELETE", "/api/events/{slug}/admin/errors/" + str(UUID(int=8)), "photo.delete"),
    Route("GET", "/api/events/{slug}/admin/duplicates", "event.inspect"),
    Route("GET", "/api/events/{slug}/admin/flagged", "photo.moderate"),
    Route("GET", "/api/events/{slug}/admin/photos", "event.inspect"),
    Route("GET", "/api/events/{slug}/admin/photos/" + str(UUID(int=8)), "event.inspect"),
    Route(
        "PATCH",
        "/api/events/{slug}/admin/photos/" + str(UUID(int=8)),
        "photo.moderate",
        lambda w: {"hidden": True},
    ),
    Route("PATCH", "/api/events/{slug}/admin/settings", "event.settings", lambda w: {"face_threshold": 0.5}),
    Route(
        "POST",
        "/api/events/{slug}/admin/uploads",
        "photo.upload",
        lambda w: {"filename": "a.jpg", "content_type": "image/jpeg", "size": 10},
    ),
    Route(
        "POST",
        "/api/events/{slug}/admin/uploads/complete",
        "photo.upload",
        lambda w: {"keys": ["events/nowhere/originals/a.jpg"]},
    ),
    Route("POST", "/api/events/{slug}/admin/sign-out-everywhere", "event.settings"),
    Route("GET", "/api/events/{slug}/admin/audit", "audit.read"),
    Route("GET", "/api/events/{slug}/admin/analytics", "findme.analytics"),
    Route("GET", "/api/events/{slug}/admin/face-clusters", "face_clusters.manage"),
    Route("GET", "/api/events/{slug}/admin/crews", "face_clusters.manage"),
    Route(
        "GET", "/api/events/{slug}/admin/face-clusters/" + str(UUID(int=10)) + "/crew", "face_clusters.manage"
    ),
    Route(
        "GET",
        "/api/events/{slug}/admin/face-clusters/" + str(UUID(int=10)) + "/photos",
        "face_clusters.manage",
    ),
    Route(
        "PATCH",
        "/api/events/{slug}/admin/face-clusters/" + str(UUID(int=10)),
        "face_clusters.manage",
        lambda w: {"name": "A"},
    ),
    Route(
        "POST",
        "/api/events/{slug}/admin/face-clusters/" + str(UUID(int=10)) + "/merge",
        "face_clusters.manage",
        lambda w: {"face_clusters": [str(UUID(int=11))]},
    ),
    Route(
        "POST",
        "/api/events/{slug}/admin/face-clusters/" + str(UUID(int=10)) + "/split",
        "face_clusters.manage",
        lambda w: {"photo_ids": [str(UUID(int=12))]},
    ),
    Route("GET", "/api/events/{slug}/admin/members", "members.view"),
    Route(
        "POST",
        "/api/events/{slug}/admin/members",
        "members.manage",
        lambda w: {"email": "target@example.org", "role": "VIEWER"},
    ),
    Route(
        "PATCH", "/api/events/{slug}/admin/members/{target}", "members.manage", lambda w: {"role": "VIEWER"}
    ),
    Route("DELETE", "/api/events/{slug}/admin/members/{target}", "members.manage"),
    Route("GET", "/api/events/{slug}/admin/invitations", "members.manage"),
    Route(
        "POST",
        "/api/events/{slug}/admin/invitations",
        "members.manage",
        lambda w: {"email": "new@example.org", "role": "VIEWER"},
    ),
    Route("DELETE", "/api/events/{slug}/admin/invitations/" + str(UUID(int=9)), "members.manage"),
    Route(
        "POST",
        "/api/events/{slug}/admin/transfer",
        "event.transfer",
        lambda w: {"owner": "target@example.org"},
        fresh_event=True,
    ),
    Route("DELETE", "/api/events/{slug}/admin/event", "event.delete", fresh_event=True),
    Route("PATCH", "/api/orgs/{org}", "org.manage", lambda w: {"name": "Renamed"}, level="organization"),
    Route(
        "POST",
        "/api/orgs/{org}/events",
        "org.create_event",
        lambda w: {"slug": f"new-{uuid4().hex[:8]}", "name": "New"},
        level="organization",
    ),
    Route(
        "POST",
        "/api/events",
        "org.create_event",
        lambda w: {"organization": "{org}", "slug": f"new-{uuid4().hex[:8]}", "name": "New"},
        level="organization",
    ),
    Route("GET", "/api/orgs/{org}/members", "members.view", level="organization"),
    Route(
        "POST",
        "/api/orgs/{org}/members",
        "members.manage",
        lambda w: {"email": "target@example.org", "role": "VIEWER"},
        level="organization",
    ),
    Route(
        "PATCH",
        "/api/orgs/{org}/members/{target}",
        "members.manage",
        lambda w: {"role": "VIEWER"},
        level="organization",
    ),
    Route("DELETE", "/api/orgs/{org}/members/{target}", "members.manage", level="organization"),
    Route("GET", "/api/orgs/{org}/invitations", "members.manage", level="organization"),
    Route(
        "POST",
        "/api/orgs/{org}/invitations",
        "members.manage",
        lambda w: {"email": "new@example.org", "role": "MEMBER"},
        level="organization",
    ),
    Route(
        "DELETE", "/api/orgs/{org}/invitations/" + str(UUID(int=9)), "members.manage", level="organization"
    ),
    Route("GET", "/api/events/{slug}/albums", "gallery.view"),
    Route("POST", "/api/events/{slug}/albums", "album.create", lambda w: {"title": "Backstage"}),
    Route("PUT", "/api/events/{slug}/albums/{album}/rating", "album.rate", lambda w: {"stars": 4}),
    Route("POST", "/api/events/{slug}/albums/{album}/flags", "album.flag", lambda w: {"reason": "spam"}),
    Route(
        "POST",
        "/api/events/{slug}/albums/{album}/uploads",
        "album.contribute",
        lambda w: {"filename": "a.jpg", "content_type": "image/jpeg", "size": 10},
    ),
    Route(
        "POST",
        "/api/events/{slug}/albums/{album}/uploads/multipart",
        "album.contribute",
        lambda w: {"filename": "a.jpg", "content_type": "image/jpeg", "size": 10},
    ),
    Route(
        "POST",
        "/api/events/{slug}/albums/{album}/uploads/multipart/resume",
        "album.contribute",
        lambda w: {"key": "events/nowhere/albums/a.jpg", "upload_id": "u1", "size": 10},
    ),
    Route(
        "POST",
        "/api/events/{slug}/albums/{album}/uploads/multipart/complete",
        "album.contribute",
        lambda w: {
            "key": "events/nowhere/albums/a.jpg",
            "upload_id": "u1",
            "parts": [{"number": 1, "etag": "e"}],
        },
    ),
    Route(
        "POST",
        "/api/events/{slug}/albums/{album}/uploads/multipart/abort",
        "album.contribute",
        lambda w: {"key": "events/nowhere/albums/a.jpg", "upload_id": "u1"},
    ),
    Route("PATCH", "/api/events/{slug}/albums/{album}", "album.manage", lambda w: {"title": "Renamed"}),
    Route("GET", "/api/events/{slug}/albums/{album}/items/" + str(UUID(int=13)) + "/similar", "gallery.view"),
    Route(
        "POST",
        "/api/events/{slug}/albums/{album}/items/" + str(UUID(int=13)) + "/tags",
        "album.contribute",
        lambda w: {"tag": "stage"},
    ),
    Route(
        "DELETE",
        "/api/events/{slug}/albums/{album}/items/" + str(UUID(int=13)) + "/tags/stage",
        "album.contribute",
    ),
    Route("GET", "/api/events/{slug}/album-review", "album.moderate"),
    Route("GET", "/api/events/{slug}/album-flags", "album.moderate"),
    Route("GET", "/api/events/{slug}/album-bans", "album.moderate"),
    Route(
        "POST",
        "/api/events/{slug}/subjects",
        "subject.manage",
        lambda w: {"kind": "person", "name": f"Speaker {uuid4().hex[:8]}"},
    ),
    Route(
        "POST",
        "/api/orgs",
        "installation.manage",
        lambda w: {"slug": f"org-{uuid4().hex[:8]}", "name": "Another"},
        level="installation",
    ),
    Route(
        "POST",
        "/api/setup/event",
        "installation.manage",
        lambda w: {
            "organization_slug": f"org-{uuid4().hex[:8]}",
            "organization_name": "Set up",
            "event_slug": f"setup-{uuid4().hex[:8]}",
            "event_name": "Set up",
        },
        level="installation",
    ),
    Route(
        "POST",
        "/api/events/{slug}/admin/media/" + str(UUID(int=8)) + "/lock",
        "media.lock",
        lambda w: {"reason": "r"},
    ),
    Route("DELETE", "/api/events/{slug}/admin/media/" + str(UUID(int=8)) + "/lock", "media.lock"),
    Route("GET", "/api/events/{slug}/admin/comments", "comment.moderate"),
    Route("GET", "/api/events/{slug}/admin/videos?valid=false", "event.inspect"),
    Route(
        "PATCH",
        "/api/events/{slug}/admin/comments/" + str(UUID(int=9)),
        "comment.moderate",
        lambda w: {"status": "removed"},
    ),
    Route(
        "POST",
        "/api/events/{slug}/admin/compilations",
        "compilation.create",
        lambda w: {"title": "Reel", "clips": [{"photo_id": str(UUID(int=8)), "in_s": 0, "out_s": 1}]},
    ),
    Route("GET", "/api/events/{slug}/admin/compilations", "compilation.create"),
    Route("GET", "/api/events/{slug}/admin/compilations/" + str(UUID(int=9)), "compilation.create"),
]

SIGNED_IN_PREFIXES = ("/api/events/{slug}/admin", "/api/orgs", "/api/me", "/api/invitations")
UNCHECKED = {("GET", "/api/me"), ("POST", "/api/invitations/accept")}
"""Signed-in routes that take no action of the table: they answer for the caller itself."""


@pytest.fixture
def world(people, make_event, owner_conn) -> World:
    org_a, org_b = people.organization("org-a"), people.organization("org-b")
    event_a = make_event("event-a", organization="org-a", visibility="private")
    event_b = make_event("event-b", organization="org-b", visibility="private")
    target = people.person("target@example.org")
    people.grant(target, "VIEWER", event=event_a.id)
    people.grant(target, "VIEWER", event=event_b.id)
    for event in (
        event_a,
        event_b,
    ):  # a second ADMIN, so removing or demoting one is never refused as the last
        people.grant(people.person(f"admin-{event.slug}@example.org"), "ADMIN", event=event.id)
    albums = {
        event.slug: owner_conn.execute(
            "INSERT INTO albums (organization_id, event_id, title, contribution_policy)"
            " VALUES (%s, %s, 'Matrix', 'OPEN') RETURNING id",
            (event.organization_id, event.id),
        ).fetchone()[0]
        for event in (event_a, event_b)
    }
    return World(org_a, org_b, event_a, event_b, target, make_event, albums)


def _call(api, people, world: World, route: Route, role: str | None, own: bool) -> int:
    """Call `route` as a new person holding `role` in tenant A, on tenant A (own) or B."""
    if route.fresh_event:
        slug = f"fresh-{uuid4().hex[:8]}"
        event = world.make_event(slug, organization="org-a" if own else "org-b")
        people.grant(people.person(f"admin-{slug}@example.org"), "ADMIN", event=event.id)
    else:
        event = world.event_a if own else world.event_b
    if route.level == "event":
        _, token = people.with_role(role, event=(event if own else world.event_a).id)
    else:
        _, token = people.with_role(role, organization=world.org_a)
    path = route.path.format(
        slug=event.slug,
        org="org-a" if own else "org-b",
        target=world.target,
        album=world.albums.get(event.slug),
    )
    status, _ = api(route.method, path, _body(route, world, "org-a" if own else "org-b"), token=token)
    return int(status)


def _body(route: Route, world: World, org: str) -> Any:
    """The route's body; a value "{org}" names the organization in the body, not the path."""
    body = route.body(world) if route.body else None
    if isinstance(body, dict):
        body = {k: org if v == "{org}" else v for k, v in body.items()}
    return body


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path} {r.action.replace('.', '_')}")
def test_each_role_is_allowed_exactly_what_the_table_says_in_its_own_tenant_and_nothing_in_another(
    api, people, world: World, route: Route
) -> None:
    mismatches = []
    for role in ROLE_NAMES:
        allowed = role in EXPECTED[route.action]
        for own in (True, False):
            if route.level == "installation" and not own:
                continue  # the installation has no other tenant
            status = _call(api, people, world, route, role, own)
            assert status < 500, f"{route.method} {route.path} as {role}: {status}"
            should = allowed if own else allowed and role == "SUPER_ADMIN"
            if should != (status not in (401, 403)):
                mismatches.append(f"{role} {'own' if own else 'other'}: {status}")
            if not should and status != 403:
                mismatches.append(f"{role} {'own' if own else 'other'}: refused with {status}, not 403")
    assert mismatches == [], f"{route.method} {route.path} ({route.action})"


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path} {r.action.replace('.', '_')}")
def test_nobody_signed_in_gets_401_and_a_role_elsewhere_is_no_role_here(
    api, people, world: World, route: Route
) -> None:
    path = route.path.format(
        slug=world.event_a.slug, org="org-a", target=world.target, album=world.albums[world.event_a.slug]
    )
    status, _ = api(route.method, path, _body(route, world, "org-a"))
    assert status == 401
    _, no_role = people.with_role(None)
    status, _ = api(route.method, path, _body(route, world, "org-a"), token=no_role)
    assert status == 403


def test_the_matrix_covers_every_action_and_every_signed_in_route(api) -> None:
    from eventlens.api.app import openapi_json

    assert {route.action for route in ROUTES} == set(ACTIONS)
    assert set(EXPECTED) == set(ACTIONS)
    import json

    document = json.loads(openapi_json())
    signed_in = {
        (method.upper(), re.sub(r"\{(\w+)\}", lambda m: "{" + m.group(1) + "}", path))
        for path, operations in document["paths"].items()
        for method in operations
        if path.startswith(("/api/events/{slug}/admin", "/api/orgs", "/api/me", "/api/invitations"))
        or path in ("/api/events", "/api/setup/event")
    }
    covered = {(r.method, _template(r.path)) for r in ROUTES} | UNCHECKED
    assert signed_in - covered == set()


def _template(path: str) -> str:
    path = path.split("?")[0]
    path = re.sub(r"/runs/[0-9a-f-]{36}", "/runs/{run_id}", path)
    path = re.sub(r"/jobs/[0-9a-f-]{36}", "/jobs/{job_id}", path)
    path = re.sub(r"/photos/[0-9a-f-]{36}", "/photos/{photo_id}", path)
    path = re.sub(r"/errors/[0-9a-f-]{36}", "/errors/{photo_id}", path)
    path = re.sub(r"/invitations/[0-9a-f-]{36}", "/invitations/{invitation_id}", path)
    path = re.sub(r"/media/[0-9a-f-]{36}", "/media/{photo_id}", path)
    path = re.sub(r"/comments/[0-9a-f-]{36}", "/comments/{comment_id}", path)
    path = re.sub(r"/face-clusters/[0-9a-f-]{36}", "/face-clusters/{cluster_id}", path)
    path = re.sub(r"/compilations/[0-9a-f-]{36}", "/compilations/{compilation_id}", path)
    return path.replace("{target}", "{person_id}")
