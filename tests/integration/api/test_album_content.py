"""What an album upload shows, through the real handlers: a reframed copy of a photo with faces is
marked as a near duplicate of it by its faces (dHash no longer sees it), another person's photo is
not, nothing is dropped; "more like this" ranks the event's album items and gallery photos by
description embedding; the event's face-data purge empties the uploads' face embeddings."""

from __future__ import annotations

from datetime import UTC, datetime

from eventlens.albums.gate import SAME_SHOT_SIMILARITY
from PIL import Image

from tests.fixtures_photos import jpeg, real_image, real_jpeg
from tests.helpers import stored_photo
from tests.integration.api.test_albums import Fest, _album, _upload
from tests.integration.api.test_albums import fest as fest

URL = "/api/events/fest/albums"


def _reframed_astronaut() -> bytes:
    image = real_image("astronaut")
    w, h = image.size
    return jpeg(image.crop((int(0.12 * w), int(0.12 * h), int(0.96 * w), int(0.96 * h))).resize((w, h)))


def _approve(api, fest: Fest, item_id: str) -> None:
    status, body = api(
        "PATCH", f"/api/events/fest/album-items/{item_id}", {"status": "approved"}, token=fest.editor[1]
    )
    assert status == 200, body


def test_a_reframed_shot_of_the_same_face_is_marked_near_duplicate_and_kept(
    api, fest: Fest, owner_conn
) -> None:
    album = _album(api, fest, "OPEN")
    token = fest.owner[1]
    status, first = _upload(api, token, album["id"], real_jpeg("astronaut"), "astronaut.jpg")
    assert status == 201, first
    status, again = _upload(api, token, album["id"], _reframed_astronaut(), "astronaut-2.jpg")
    assert status == 201, again
    status, other = _upload(
        api, token, album["id"], jpeg(real_image("t1").crop((415, 206, 616, 470))), "p.jpg"
    )
    assert status == 201, other

    assert again["status"] == "pending"
    assert again["near_duplicate_of"] == first["id"]
    similarity = float(again["reason"].split("same faces ")[1].split(")")[0])
    assert similarity >= SAME_SHOT_SIMILARITY["sface"]
    assert (other["status"], other["near_duplicate_of"]) == ("pending", None)
    faces = owner_conn.execute(
        "SELECT item_id::text, count(*), count(embedding) FROM album_item_faces GROUP BY item_id ORDER BY 1"
    ).fetchall()
    assert sorted(faces) == sorted((i["id"], 1, 1) for i in (first, again, other))

    from eventlens.findme.control import purge_face_data

    stored_photo(fest.event.id, "gallery.jpg", real_jpeg("coffee", (320, 240)))  # the event has an end
    assert purge_face_data(now=datetime(2999, 1, 1, tzinfo=UTC), event=fest.event) == {"fest": 3}
    left = owner_conn.execute("SELECT count(*), count(embedding) FROM album_item_faces").fetchone()
    assert left == (3, 0)  # the boxes stay (covers), the embeddings go


def test_more_like_this_ranks_album_items_and_gallery_photos_by_description(
    api, fest: Fest, owner_conn
) -> None:
    from eventlens.ml.text import text_embedder

    album = _album(api, fest, "OPEN")
    token = fest.owner[1]
    items = {}
    for name, data in (
        ("astronaut", real_jpeg("astronaut")),
        ("coffee", real_jpeg("coffee")),
        ("cat", real_jpeg("chelsea")),
    ):
        status, items[name] = _upload(api, token, album["id"], data, f"{name}.jpg")
        assert status == 201
        _approve(api, fest, items[name]["id"])
    embedder = text_embedder()
    gallery = {}
    for name, words in (("espresso", "Photo of coffee (espresso)"), ("kitten", "Photo of cat (tabby)")):
        photo = stored_photo(
            fest.event.id, f"{name}.jpg", real_jpeg("coffee" if name == "espresso" else "chelsea")
        )
        owner_conn.execute(
            "UPDATE photos SET embedding = %s::vector, embedding_model = %s WHERE id = %s",
            (str(embedder.embed([words])[0].tolist()), embedder.name, photo.id),
        )
        gallery[name] = str(photo.id)

    status, near = api("GET", f"{URL}/{album['id']}/items/{items['coffee']['id']}/similar")
    assert status == 200, near
    assert near["items"][0]["id"] != items["coffee"]["id"]
    assert near["photos"][0]["id"] == gallery["espresso"]
    status, near = api("GET", f"{URL}/{album['id']}/items/{items['cat']['id']}/similar")
    assert near["photos"][0]["id"] == gallery["kitten"]
    assert {i["id"] for i in near["items"]} == {items["astronaut"]["id"], items["coffee"]["id"]}

    other = _album(api, fest, "OPEN", title="Other")
    assert api("GET", f"{URL}/{other['id']}/items/{items['cat']['id']}/similar")[0] == 404


def _tall_portrait() -> bytes:
    """One person of t1 with the room below: a tall 270 x 736 photo, the face in its top third."""
    return jpeg(real_image("t1").crop((380, 150, 650, 886)))


def test_the_cover_is_a_4_3_tile_that_keeps_the_face_a_middle_crop_would_cut(api, fest: Fest) -> None:
    import io

    import numpy as np
    from eventlens.albums.cover import SIZE, crop_box
    from eventlens.media.service import open_media
    from eventlens.ml.faces import face_model
    from eventlens.storage import blob_store

    album = _album(api, fest, "OPEN")
    status, item = _upload(api, fest.owner[1], album["id"], _tall_portrait(), "portrait.jpg")
    assert status == 201, item
    _approve(api, fest, item["id"])

    status, listed = api("GET", URL)
    cover_url = next(a["cover_url"] for a in listed["albums"] if a["id"] == album["id"])
    grant = open_media(cover_url.rsplit("/", 1)[1])
    assert grant.content_type == "image/jpeg"
    cover = Image.open(io.BytesIO(blob_store().get(grant.key)))
    assert cover.size == SIZE
    detect = face_model("sface").detect
    assert len(detect(np.asarray(cover.convert("RGB")))) == 1

    portrait = Image.open(io.BytesIO(_tall_portrait()))
    middle = crop_box(portrait.width, portrait.height, [])  # no faces known: a third of the way down
    centred = portrait.crop(
        (
            0,
            (portrait.height - middle[3] + middle[1]) // 2,
            portrait.width,
            (portrait.height + middle[3] - middle[1]) // 2,
        )
    )
    assert detect(np.asarray(centred.resize(SIZE))) == []  # what a centred crop would show

    assert api("DELETE", f"{URL}/{album['id']}/items/{item['id']}", token=fest.owner[1])[0] == 204
    assert not blob_store().exists(grant.key)


def test_contributors_tag_items_and_a_banned_person_cannot(api, people, fest: Fest) -> None:
    from tests.integration.api.test_albums import _email

    open_album, invited_only = _album(api, fest, "OPEN"), _album(api, fest, "INVITE_ONLY", title="Crew")
    items = {}
    for album in (open_album, invited_only):
        status, item = _upload(api, fest.owner[1], album["id"], real_jpeg("coffee", (800, 600)))
        assert status == 201, item
        _approve(api, fest, item["id"])
        items[album["id"]] = item["id"]
    person, token = people.with_role("VIEWER", event=fest.event.id)

    def tag(album: dict, word: str, who: str = token) -> tuple[int, object]:
        return api("POST", f"{URL}/{album['id']}/items/{items[album['id']]}/tags", {"tag": word}, token=who)

    assert tag(open_album, "  Backstage ") == (201, {"tags": ["backstage"]})
    page = api("GET", f"{URL}/{open_album['id']}")[1]
    assert page["items"][0]["tags"] == ["backstage"]
    assert tag(invited_only, "crew")[0] == 403  # not invited: the album's policy
    assert tag(invited_only, "crew", fest.owner[1])[0] == 201

    ban = {"email": _email(people, person), "reason": "tag spam"}
    assert api("POST", "/api/events/fest/album-bans", ban, token=fest.editor[1])[0] == 201
    assert tag(open_album, "more")[0] == 403
    untag = f"{URL}/{open_album['id']}/items/{items[open_album['id']]}/tags/backstage"
    assert api("DELETE", untag, token=token)[0] == 403
    assert api("DELETE", untag, token=fest.editor[1])[0] == 204
    assert api("GET", f"{URL}/{open_album['id']}")[1]["items"][0]["tags"] == []
