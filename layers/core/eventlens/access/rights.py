"""The one table of rights: which role may take which action (DESIGN: "three layers").

The service layer asks `can(role, action)` before it acts; the database's policies ask the same
question through `may(action)`, reading `role_rights`, which every upgrade rewrites from this table
(`db.migrate.upgrade`); the dashboard hides what `/api/me` says the role may not do; docs/roles.md
prints it. Change a right here and all four follow.

Roles are ordered: each may do everything the one below it may, and more. A role is held for an
organization (all its events) or for one event; SUPER_ADMIN only for the installation.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, get_args


class Role(StrEnum):
    VIEWER = "VIEWER"
    MEMBER = "MEMBER"
    CONTRIBUTOR = "CONTRIBUTOR"
    EDITOR = "EDITOR"
    ADMIN = "ADMIN"
    SUPER_ADMIN = "SUPER_ADMIN"

    @property
    def rank(self) -> int:
        return ROLES.index(self)

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


ROLES: tuple[Role, ...] = tuple(Role)
"""Lowest first."""

Action = Literal[
    "gallery.view",
    "members.view",
    "photo.upload",
    "event.inspect",
    "photo.moderate",
    "photo.delete",
    "pipeline.run",
    "findme.analytics",
    "face_clusters.manage",
    "event.settings",
    "members.manage",
    "audit.read",
    "event.delete",
    "event.transfer",
    "org.create_event",
    "org.manage",
    "installation.manage",
    "media.lock",
    "comment.moderate",
    "album.rate",
    "album.flag",
    "album.contribute",
    "album.create",
    "album.manage",
    "album.moderate",
    "subject.manage",
    "compilation.create",
]
ACTIONS: tuple[Action, ...] = get_args(Action)

_ = False
X = True
# fmt: off
TABLE: dict[Action, tuple[bool, bool, bool, bool, bool, bool]] = {
    # action                VIEWER MEMBER CONTRIB EDITOR ADMIN  SUPER
    "gallery.view":        (X,     X,     X,      X,     X,     X),  # a private event's gallery
    "members.view":        (_,     X,     X,      X,     X,     X),  # who else belongs
    "photo.upload":        (_,     _,     X,      X,     X,     X),
    "event.inspect":       (_,     _,     _,      X,     X,     X),  # runs, errors, hidden and held photos
    "photo.moderate":      (_,     _,     _,      X,     X,     X),  # hide, unhide, approve, reject
    "photo.delete":        (_,     _,     _,      X,     X,     X),  # a file whose processing failed, for good
    "pipeline.run":        (_,     _,     _,      X,     X,     X),  # start runs, retry errors; cancel, retry, re-prioritise jobs
    "findme.analytics":    (_,     _,     _,      _,     X,     X),
    "face_clusters.manage": (_,    _,     _,      X,     X,     X),  # people in photos: list, name, merge, split, hide
    "event.settings":      (_,     _,     _,      _,     X,     X),  # settings, password, sign out everywhere
    "members.manage":      (_,     _,     _,      _,     X,     X),  # invite, change roles, remove
    "audit.read":          (_,     _,     _,      _,     X,     X),
    "event.delete":        (_,     _,     _,      _,     X,     X),
    "event.transfer":      (_,     _,     _,      _,     X,     X),  # to another organization
    "org.create_event":    (_,     _,     _,      _,     X,     X),
    "org.manage":          (_,     _,     _,      _,     X,     X),  # rename the organization
    "installation.manage": (_,     _,     _,      _,     _,     X),  # organizations, super admins
    "media.lock":          (_,     _,     _,      X,     X,     X),  # out of the public media gallery
    "comment.moderate":    (_,     _,     _,      X,     X,     X),  # held comments: show or remove
    "album.rate":          (X,     X,     X,      X,     X,     X),  # unless banned
    "album.flag":          (X,     X,     X,      X,     X,     X),  # banned people too
    "album.contribute":    (X,     X,     X,      X,     X,     X),  # as the album's policy allows
    "album.create":        (_,     _,     X,      X,     X,     X),
    "album.manage":        (_,     _,     _,      X,     X,     X),  # any album: policy, contributors
    "album.moderate":      (_,     _,     _,      X,     X,     X),  # review queue, flags, bans
    "subject.manage":      (_,     _,     _,      X,     X,     X),  # create, rename, merge
    "compilation.create":  (_,     _,     _,      X,     X,     X),  # highlight reels of the event's videos
}
# fmt: on


def roles_allowed(action: Action) -> frozenset[Role]:
    return frozenset(role for role, allowed in zip(ROLES, TABLE[action], strict=True) if allowed)


def can(role: Role | None, action: Action) -> bool:
    """Whether `role` may take `action` (no role: nothing in this table)."""
    return role is not None and TABLE[action][role.rank]


def allowed_actions(role: Role | None) -> list[Action]:
    """What `role` may do, in the table's order (the dashboard shows only these)."""
    return [action for action in ACTIONS if can(role, action)]


def rows() -> list[tuple[str, str]]:
    """(role, action) for every allowed cell: what `role_rights` holds in the database."""
    return [(role.value, action) for action in ACTIONS for role in roles_allowed(action)]


def may_grant(granter: Role | None, role: Role) -> bool:
    """An ADMIN grants any role up to its own; only a SUPER_ADMIN grants SUPER_ADMIN."""
    return can(granter, "members.manage") and granter is not None and granter.at_least(role)


def markdown_table() -> str:
    """The table as docs/roles.md shows it (a test keeps the two the same)."""
    lines = ["| action | " + " | ".join(role.value for role in ROLES) + " |"]
    lines.append("|---|" + "---|" * len(ROLES))
    for action in ACTIONS:
        cells = " | ".join("✓" if allowed else "·" for allowed in TABLE[action])
        lines.append(f"| `{action}` | {cells} |")
    return "\n".join(lines)
