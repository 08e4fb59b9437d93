"""Fixtures several integration folders share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.drive_server import FakeDriveServer


@pytest.fixture
def drive(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeDriveServer]:
    """A fake Google Drive (pages of two), which the Drive client is pointed at."""
    with FakeDriveServer(page_size=2) as fake:
        monkeypatch.setenv("EVENTLENS_DRIVE_API_ENDPOINT", fake.base_url)
        from eventlens.config import reset_settings

        reset_settings()
        yield fake
        reset_settings()
