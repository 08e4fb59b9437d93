"""Where an event's blobs live: one function per kind of key, used by every writer and reader."""

from __future__ import annotations

from uuid import UUID


def event_prefix(slug: str) -> str:
    """Every blob of an event (originals, thumbnails, archives): `events/<slug>/`."""
    return f"events/{slug}/"


def originals_prefix(slug: str) -> str:
    """An event's originals (and the S3 notification's filter): `events/<slug>/originals/`."""
    return f"events/{slug}/originals/"


def thumbnail_key(slug: str, photo_id: UUID | str, size: int) -> str:
    return f"{thumbnail_prefix(slug, photo_id)}{size}.jpg"


def thumbnail_prefix(slug: str, photo_id: UUID | str) -> str:
    """Every thumbnail size of one photo."""
    return f"events/{slug}/thumbs/{photo_id}/"


def playable_key(slug: str, photo_id: UUID | str) -> str:
    """A video's browser-playable MP4 (media/video.py transcode); the original stays where it was."""
    return f"events/{slug}/playable/{photo_id}.mp4"


def scan_manifest_key(slug: str) -> str:
    """The objects a run's scan has to register, listed once for all its workers (sources.sync)."""
    return f"{event_prefix(slug)}pipeline/scan-manifest.json"


def archive_key(slug: str, archive_id: UUID | str) -> str:
    """A ZIP archive of an event's originals (`media/archives.py`): `events/<slug>/archives/<id>.zip`.
    Under the event's prefix, so deleting the event deletes its archives; the bucket's lifecycle
    rule finds them by their tag (`media.archives.ARCHIVE_TAGS`), the upload notification's ingest
    ignores them (not originals)."""
    return f"events/{slug}/archives/{archive_id}.zip"


def event_of_original(key: str) -> str | None:
    """The slug an `events/<slug>/originals/...` key belongs to; None for any other key."""
    parts = key.split("/", 3)
    if len(parts) < 4 or parts[0] != "events" or parts[2] != "originals" or not parts[3]:
        return None
    return parts[1]


def drive_prefix(slug: str) -> str:
    """Originals fetched from the event's Google Drive folder: `events/<slug>/drive/`, one object per
    Drive file id (its identity: a rename or a move in Drive leaves the key). Outside `originals/`,
    so neither the folder sync nor the S3 upload notification takes them for their own."""
    return f"events/{slug}/drive/"


def live_prefix(slug: str) -> str:
    """Originals read from the event's live folder: `events/<slug>/live/<sha256>`, one object per
    content (its identity: a rename or a move in the folder leaves the key, new bytes are a new
    key). Outside `originals/`, so the originals' own sync never takes them for its own."""
    return f"events/{slug}/live/"
