"""On AWS a media capability is checked by the gallery function, then the browser is sent to a
short-lived presigned GET on the bucket's own origin, typed and disposed from the grant (never from
the stored object's metadata), and signed by a role that may read it."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from eventlens.moderation import service as moderation
from eventlens.scope import Scope
from eventlens.storage import blob_store

from tests.fixtures_photos import real_jpeg
from tests.helpers import stored_photo
from tests.infra.iam import Names, statements
from tests.integration.api.conftest import Api
from tests.integration.aws.conftest import BUCKET, REGION, Calls


def test_a_capability_redirects_to_a_typed_presigned_get_until_the_photo_is_hidden(
    s3: Calls, make_event
) -> None:
    event = make_event("aws")
    row = stored_photo(
        event.id,
        "evil.html",
        real_jpeg("coffee", (64, 40)) + b"<script>",
        thumbnail=real_jpeg("coffee", (32, 20)),
    )
    original = blob_store().get(row.source_key)
    blob_store().put(row.source_key, original, "text/html")  # as a careless upload would store it
    api = Api()
    status, page = api("GET", "/api/events/aws/photos")
    assert status == 200
    photo = page["photos"][0]

    status, reply = api("GET", photo["original_url"])

    assert status == 302
    target = urlsplit(reply["headers"]["Location"])
    query = parse_qs(target.query)
    assert BUCKET in f"{target.hostname}{target.path}"
    assert query["response-content-type"] == ["image/jpeg"]
    assert query["response-content-disposition"][0].startswith('attachment; filename="evil.html"')
    assert int(query["X-Amz-Expires"][0]) <= 900
    assert reply["headers"]["Cache-Control"].startswith("private, max-age=")
    key = target.path.removeprefix(f"/{BUCKET}/").lstrip("/")
    assert any(
        s.allows("s3:GetObject", f"arn:aws:s3:::{BUCKET}/{key}")
        for s in statements("GalleryFunction", Names(BUCKET, REGION))
    )

    status, thumb = api("GET", photo["thumbnail_url"])
    assert status == 302
    assert parse_qs(urlsplit(thumb["headers"]["Location"]).query)["response-content-type"] == ["image/jpeg"]

    moderation.update_photo(Scope.organizer(event, "test"), row.id, hidden=True)
    assert api("GET", photo["original_url"])[0] == 404
    assert api("GET", photo["thumbnail_url"])[0] == 404
