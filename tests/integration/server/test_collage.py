"""A collage of the selected photos (issue 19): one JPEG from their thumbnails, through the real
server, with only the photos the visitor may see."""

from __future__ import annotations

import io
from uuid import uuid4

import requests
from PIL import Image

from tests.fixtures_photos import real_jpeg
from tests.helpers import stored_photo


def test_a_collage_is_one_jpeg_of_the_visible_selected_photos_in_a_grid(served) -> None:
    server, event = served
    shown = [
        stored_photo(
            event.id, f"p{n}.jpg", real_jpeg("coffee", (320, 200)), thumbnail=real_jpeg("coffee", (64, 40))
        )
        for n in range(3)
    ]
    held = stored_photo(
        event.id,
        "held.jpg",
        real_jpeg("rocket", (320, 200)),
        thumbnail=real_jpeg("rocket", (64, 40)),
        public=False,
    )

    reply = requests.post(
        f"{server}/api/events/demo/collage",
        json={"ids": [str(p.id) for p in shown] + [str(held.id), str(uuid4())]},
        timeout=30,
    )

    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == "image/jpeg"
    assert reply.headers["Content-Disposition"] == 'attachment; filename="demo-collage.jpg"'
    sheet = Image.open(io.BytesIO(reply.content))
    assert sheet.format == "JPEG"
    # three photos (the held one and the unknown id left out): two columns, two lines of 480 px cells
    assert sheet.size == (2 * 480 + 3 * 8, 2 * 480 + 3 * 8)
    assert sheet.getpixel((sheet.width - 20, sheet.height - 20)) == (255, 255, 255)  # the empty fourth cell


def test_a_collage_of_nothing_visible_is_404_and_of_too_many_is_refused(served) -> None:
    server, event = served
    held = stored_photo(event.id, "held.jpg", real_jpeg("rocket", (320, 200)), public=False)
    url = f"{server}/api/events/demo/collage"
    assert requests.post(url, json={"ids": [str(held.id)]}, timeout=30).status_code == 404
    assert requests.post(url, json={"ids": [str(uuid4()) for _ in range(37)]}, timeout=30).status_code == 422
