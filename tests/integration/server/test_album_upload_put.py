"""The local server takes an album upload's PUT on its signature alone (a capability, as S3's
presigned URL: a guest with a link has no token), only for the key it was signed for, only under
an event's albums/ prefix, and only until it expires."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import requests
from eventlens.config import settings
from eventlens.devserver import make_server
from eventlens.storage import blob_store
from eventlens.storage.capability import sign_put

JPEG = b"\xff\xd8\xff\xe0 a JPEG as far as sniffing goes"


@pytest.fixture
def server(db: str, make_event) -> Iterator[str]:
    make_event("demo")
    httpd = make_server("127.0.0.1", 0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _signed(server: str, key: str, expires: int, signed_key: str | None = None) -> str:
    signature = sign_put(settings().media_key, signed_key or key, expires)
    return f"{server}/media/{key}?expires={expires}&signature={signature}"


def test_a_signed_album_put_needs_no_token_and_nothing_else_passes(server: str) -> None:
    key = "events/demo/albums/0b0e3b7e-0000-4000-8000-000000000000/abc-photo.jpg"
    later = int(time.time()) + 600
    assert requests.put(_signed(server, key, later), data=JPEG, timeout=10).status_code == 200
    assert blob_store().get(key) == JPEG

    other = key.replace("abc-photo", "other")
    assert (
        requests.put(_signed(server, other, later, signed_key=key), data=JPEG, timeout=10).status_code == 401
    )
    expired = requests.put(_signed(server, other, int(time.time()) - 1), data=JPEG, timeout=10)
    assert expired.status_code == 401
    forged = _signed(server, other, later).replace("signature=", "signature=00")
    assert requests.put(forged, data=JPEG, timeout=10).status_code == 401
    original = "events/demo/originals/uploads/sneaky.jpg"
    assert requests.put(_signed(server, original, later), data=JPEG, timeout=10).status_code == 401
    assert not blob_store().exists(other)
    assert not blob_store().exists(original)
