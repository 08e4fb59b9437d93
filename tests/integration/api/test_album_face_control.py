"""Hide me and forget me reach album uploads' faces (findme.control, docs/privacy.md): forget me
deletes the person's face rows of uploads and keeps the gate from computing them again when the same
photo is uploaded again; hide me takes them out of the gate's same-shot matching (and covers), and
holds for a new upload of the same bytes; both are audited with the album faces they reached."""

from __future__ import annotations

from eventlens.findme.control import control_me
from eventlens.scope import Scope

from tests.fixtures_photos import jpeg, real_image, real_jpeg
from tests.integration.api.test_album_content import _reframed_astronaut
from tests.integration.api.test_albums import Fest, _album, _upload
from tests.integration.api.test_albums import fest as fest


def _faces(owner_conn, item_id: str) -> list[tuple[bool, bool]]:
    """(has an embedding, hidden) of each stored face of an item."""
    return owner_conn.execute(
        "SELECT embedding IS NOT NULL, hidden FROM album_item_faces WHERE item_id = %s ORDER BY face_index",
        (item_id,),
    ).fetchall()


def _other_person() -> bytes:
    return jpeg(real_image("t1").crop((415, 206, 616, 470)))


def test_forget_me_deletes_the_persons_upload_faces_and_the_gate_does_not_compute_them_again(
    api, fest: Fest, owner_conn
) -> None:
    album = _album(api, fest, "OPEN")
    token = fest.owner[1]
    status, mine = _upload(api, token, album["id"], real_jpeg("astronaut"), "astronaut.jpg")
    assert status == 201, mine
    status, other = _upload(api, token, album["id"], _other_person(), "p.jpg")
    assert status == 201, other
    assert _faces(owner_conn, mine["id"]) == [(True, False)]

    result = control_me(Scope.visitor(fest.event), real_jpeg("astronaut"), "forget")
    assert (result.kind, result.faces, result.photos) == ("forget", 1, 1)
    assert _faces(owner_conn, mine["id"]) == []
    assert _faces(owner_conn, other["id"]) == [(True, False)], "another person's face stays"
    regions = owner_conn.execute("SELECT kind, array_length(box, 1) FROM album_face_opt_outs").fetchall()
    assert regions == [("forget", 4)], "the region is kept, never a template"
    detail = owner_conn.execute("SELECT detail FROM audit_log WHERE action = 'face_forget'").fetchone()[0]
    assert (detail["album_faces"], detail["album_items"], detail["faces"]) == (1, 1, 0)

    album_b = _album(api, fest, "OPEN", title="Again")
    status, again = _upload(api, token, album_b["id"], real_jpeg("astronaut"), "astronaut.jpg")
    assert status == 201, again
    assert again["status"] == "pending"
    assert _faces(owner_conn, again["id"]) == [], "the same bytes: the forgotten face is not computed"
    status, reframed = _upload(api, token, album_b["id"], _reframed_astronaut(), "astronaut-2.jpg")
    assert reframed["near_duplicate_of"] is None, "no face of theirs left to match"


def test_hide_me_takes_the_persons_upload_faces_out_of_same_shot_matching(
    api, fest: Fest, owner_conn
) -> None:
    album = _album(api, fest, "OPEN")
    token = fest.owner[1]
    status, mine = _upload(api, token, album["id"], real_jpeg("astronaut"), "astronaut.jpg")
    assert status == 201, mine
    status, other = _upload(api, token, album["id"], _other_person(), "p.jpg")
    assert status == 201, other

    result = control_me(Scope.visitor(fest.event), real_jpeg("astronaut"), "hide")
    assert (result.kind, result.faces, result.photos) == ("hide", 1, 1)
    assert _faces(owner_conn, mine["id"]) == [(True, True)]
    assert _faces(owner_conn, other["id"]) == [(True, False)]

    status, reframed = _upload(api, token, album["id"], _reframed_astronaut(), "astronaut-2.jpg")
    assert status == 201, reframed
    assert (reframed["status"], reframed["near_duplicate_of"]) == ("pending", None), (
        "a hidden face matches nothing (without the hide, its faces mark it: test_album_content)"
    )
    album_b = _album(api, fest, "OPEN", title="Again")
    status, again = _upload(api, token, album_b["id"], real_jpeg("astronaut"), "astronaut.jpg")
    assert _faces(owner_conn, again["id"]) == [(True, True)], "the same bytes: stored hidden"

    forgotten = control_me(Scope.visitor(fest.event), real_jpeg("astronaut"), "forget")
    assert forgotten.photos == 3, "forget reaches hidden faces too (both copies and the reframed one)"
    assert _faces(owner_conn, mine["id"]) == _faces(owner_conn, again["id"]) == []


def test_switching_to_no_biometrics_erases_the_upload_face_embeddings_and_computes_no_more(
    api, fest: Fest, owner_conn
) -> None:
    from eventlens.events.service import update_event

    album = _album(api, fest, "OPEN")
    status, mine = _upload(api, fest.owner[1], album["id"], real_jpeg("astronaut"), "astronaut.jpg")
    assert status == 201, mine
    assert _faces(owner_conn, mine["id"]) == [(True, False)]

    update_event(Scope.system(fest.event), settings_patch={"no_biometrics": True})
    assert _faces(owner_conn, mine["id"]) == [(False, False)], "the box stays (covers), the template goes"
    status, other = _upload(api, fest.owner[1], album["id"], _other_person(), "p.jpg")
    assert status == 201, other
    assert _faces(owner_conn, other["id"]) == [(False, False)]
    detail = owner_conn.execute("SELECT detail FROM audit_log WHERE action = 'face_data_erase'").fetchone()[0]
    assert detail["faces"] == 1
