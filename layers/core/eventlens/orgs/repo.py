"""SQL for organizations: typed `Organization` rows."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg

from eventlens.db import Tx
from eventlens.errors import OrganizationExists, OrganizationNotFound
from eventlens.orgs.views import Organization

_COLUMNS = "id, slug, name, grants_version, created_at"


def _organization(row: dict[str, Any]) -> Organization:
    return Organization.model_validate(row)


def create(tx: Tx, slug: str, name: str) -> Organization:
    try:
        row = tx.execute(
            f"INSERT INTO organizations (slug, name) VALUES (%s, %s) RETURNING {_COLUMNS}", (slug, name)
        ).fetchone()
    except psycopg.errors.UniqueViolation:
        raise OrganizationExists(f"an organization with slug {slug!r} already exists") from None
    assert row is not None
    return _organization(row)


def by_slug(tx: Tx, slug: str) -> Organization:
    row = tx.execute(f"SELECT {_COLUMNS} FROM organizations WHERE slug = %s", (slug,)).fetchone()
    if row is None:
        raise OrganizationNotFound(f"no organization {slug!r}")
    return _organization(row)


def by_id(tx: Tx, organization_id: UUID) -> Organization:
    row = tx.execute(f"SELECT {_COLUMNS} FROM organizations WHERE id = %s", (organization_id,)).fetchone()
    if row is None:
        raise OrganizationNotFound(f"no organization {organization_id}")
    return _organization(row)


def list_all(tx: Tx) -> list[Organization]:
    return [
        _organization(r) for r in tx.execute(f"SELECT {_COLUMNS} FROM organizations ORDER BY slug").fetchall()
    ]


def rename(tx: Tx, organization_id: UUID, name: str) -> Organization:
    row = tx.execute(
        f"UPDATE organizations SET name = %s WHERE id = %s RETURNING {_COLUMNS}", (name, organization_id)
    ).fetchone()
    if row is None:
        raise OrganizationNotFound(f"no organization {organization_id}")
    return _organization(row)


def move_event(tx: Tx, event_id: UUID, organization_id: UUID) -> None:
    tx.execute(
        "UPDATE events SET organization_id = %s, updated_at = now() WHERE id = %s",
        (organization_id, event_id),
    )
