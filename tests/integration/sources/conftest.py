"""A fake Google Drive, and an event whose Drive source points at it with a service-account key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fakes.drive_server import ROOT, FakeDriveServer


@pytest.fixture
def key_file(drive: FakeDriveServer, tmp_path: Path) -> Path:
    path = tmp_path / "service-account.json"
    path.write_text(json.dumps(drive.service_account_info()))
    return path


@pytest.fixture
def drive_event(make_event, drive: FakeDriveServer, key_file: Path):
    """An event whose Drive source is the fake's root folder."""
    from eventlens.scope import Scope
    from eventlens.sources.drive.service import add_drive_source

    event = make_event("drive")
    add_drive_source(Scope.organizer(event, "organizer"), ROOT, str(key_file))
    return event
