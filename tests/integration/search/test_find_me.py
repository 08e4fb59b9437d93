"""Find me on real photos: SFace embeddings of insightface's t1.jpg (six people) and the astronaut."""

from __future__ import annotations

import io

import numpy as np
import psycopg
import pytest
from eventlens.errors import (
    FaceMatchingDisabled,
    NoFaceFound,
    SelfieTooLarge,
    SeveralFaces,
    UnreadableImage,
)
from eventlens.faceclusters.service import assign_new_faces
from eventlens.findme.service import find_me, match_analytics, public_activity
from eventlens.findme.session import find_me_scope
from eventlens.scope import Scope
from PIL import Image

from tests.integration.search.conftest import crop, jpeg


@pytest.fixture
def party(make_event, add_photo, t1_faces, astronaut_face):
    """group: the six t1 people; astronaut: her alone; pair: her with t1 person 0; friend: t1 person 0."""
    event = make_event("party")
    ids = {
        "group": add_photo(event.id, "group.jpg", scene="Six friends posing outdoors", faces=t1_faces),
        "astronaut": add_photo(
            event.id, "astronaut.jpg", scene="An astronaut in front of a flag", faces=[astronaut_face]
        ),
        "pair": add_photo(
            event.id,
            "pair.jpg",
            scene="Two people eating cake shaped like a duck robot",
            faces=[astronaut_face, t1_faces[0]],
        ),
        "friend": add_photo(event.id, "friend.jpg", scene="A man at the bar", faces=[t1_faces[0]]),
        "nobody": add_photo(event.id, "stage.jpg", scene="An empty stage"),
    }
    assign_new_faces(Scope.pipeline(event))  # people in photos, as the faces phase leaves them
    return event, ids


def test_selfie_returns_that_persons_photos_and_not_others(party, astronaut_selfie):
    event, ids = party
    response = find_me(Scope.visitor(event), astronaut_selfie)
    assert {m.photo.id for m in response.matches} == {ids["astronaut"], ids["pair"]}
    assert all(50 < m.confidence <= 100 for m in response.matches)


def test_crop_of_one_face_in_a_group_photo_finds_the_group_photo(party, t1_image, t1_faces):
    event, ids = party
    response = find_me(Scope.visitor(event), jpeg(crop(t1_image, t1_faces[3].bbox)))
    assert [m.photo.id for m in response.matches] == [ids["group"]]


def test_a_match_says_which_face_in_the_photo_is_the_selfies(
    party, t1_image, t1_faces, owner_conn: psycopg.Connection
):
    """The viewer outlines the visitor's face: the matched face's box, as fractions of the photo."""
    event, ids = party
    height, width = t1_image.shape[:2]
    owner_conn.execute(
        "UPDATE photos SET width = %s, height = %s WHERE id = %s", (width, height, ids["group"])
    )
    (match,) = find_me(Scope.visitor(event), jpeg(crop(t1_image, t1_faces[3].bbox))).matches
    x, y, w, h = t1_faces[3].bbox
    assert match.face is not None
    assert match.face.model_dump() == pytest.approx(
        {"x": x / width, "y": y / height, "w": w / width, "h": h / height}
    )
    others = [f.bbox[0] / width for i, f in enumerate(t1_faces) if i != 3]
    assert all(abs(match.face.x - left) > 0.02 for left in others)  # not some other face of the group


def test_each_photo_appears_once_with_its_best_face(party, t1_image, t1_faces):
    event, ids = party
    response = find_me(Scope.visitor(event), jpeg(crop(t1_image, t1_faces[0].bbox)))
    found = [m.photo.id for m in response.matches]
    assert sorted(found, key=str) == sorted([ids["group"], ids["pair"], ids["friend"]], key=str)
    assert len(found) == len(set(found))


def test_exif_orientation_is_applied_before_detection(party, astronaut_image, astronaut_face):
    event, ids = party
    sideways = np.ascontiguousarray(
        np.rot90(crop(astronaut_image, astronaut_face.bbox))
    )  # 90° counter-clockwise
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view": undoes the rotation above
    response = find_me(Scope.visitor(event), jpeg(sideways, exif))
    assert ids["astronaut"] in {m.photo.id for m in response.matches}


def test_selfie_and_text_returns_only_my_photos_matching_the_text(party, astronaut_selfie):
    event, ids = party
    response = find_me(Scope.visitor(event), astronaut_selfie, query="duck robot")
    assert [m.photo.id for m in response.matches] == [ids["pair"]]


def test_photos_of_my_crew_are_recommended_but_never_a_crew_mates_solo_portrait(party, astronaut_selfie):
    event, ids = party
    response = find_me(Scope.visitor(event), astronaut_selfie)
    recommended = {r.photo.id: r.reason for r in response.recommendations}
    assert ids["group"] in recommended  # t1 person 0, photographed with me, is in the group photo
    assert "photographed with" in recommended[ids["group"]]
    assert "shows someone" in recommended[ids["group"]]  # one crew mate, counted once
    assert ids["friend"] not in recommended  # t1 person 0 alone: a solo portrait
    assert ids["astronaut"] not in recommended


def test_hidden_photos_are_not_matched(party, astronaut_selfie, owner_conn: psycopg.Connection):
    event, ids = party
    owner_conn.execute("UPDATE photos SET hidden = true WHERE id = %s", (ids["pair"],))
    assert {m.photo.id for m in find_me(Scope.visitor(event), astronaut_selfie).matches} == {ids["astronaut"]}


def test_session_is_recorded_without_the_selfie_and_a_retake_is_compared_within_the_session(
    party, astronaut_selfie, owner_conn
):
    event, ids = party
    tab = find_me_scope(event, "tab-one-0123456789")
    first = find_me(tab, astronaut_selfie)
    assert "earlier" not in first.message
    owner_conn.execute(
        "UPDATE photos SET hidden = true WHERE id = ANY(%s)", ([ids["astronaut"], ids["pair"]],)
    )
    second = find_me(tab, astronaut_selfie)
    assert second.matches == []
    assert second.message.startswith(
        "Your earlier selfie in this session found 2 photos; this one found none."
    )
    rows = owner_conn.execute(
        "SELECT confidence_band, match_count, top_confidence, array_length(photo_ids, 1), session_key,"
        " embedding IS NOT NULL FROM match_sessions ORDER BY created_at"
    ).fetchall()
    assert len(rows) == 2
    confidence_band, match_count, top_confidence, stored_photos, key, has_template = rows[0]
    assert confidence_band in {"high", "medium"}
    assert match_count == stored_photos == 2
    assert top_confidence > 50
    assert key == tab.subject != "tab-one-0123456789"  # the id's hash, never the id
    assert has_template
    columns = {
        r[0]
        for r in owner_conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'match_sessions'"
        ).fetchall()
    }
    assert not columns & {"image", "selfie", "image_bytes", "session_id"}


def test_analytics_count_sessions_searchers_and_hot_photos(party, astronaut_selfie, t1_image, t1_faces):
    event, ids = party
    tab = find_me_scope(event, "tab-one-0123456789")
    find_me(tab, astronaut_selfie)
    find_me(tab, astronaut_selfie)  # the same tab twice: one searcher
    find_me(find_me_scope(event, "tab-two-0123456789"), jpeg(crop(t1_image, t1_faces[3].bbox)))
    find_me(Scope.visitor(event), astronaut_selfie)  # no session id: a searcher of its own
    stats = match_analytics(Scope.organizer(event, "test"))
    assert stats.sessions == 4
    assert stats.distinct_searchers == 3
    assert {h.photo.id for h in stats.hot_photos if h.sessions == 3} == {ids["astronaut"], ids["pair"]}
    assert len(stats.recent) == 4


def test_the_public_sees_find_me_counts_and_hot_photos_but_nothing_of_one_search(
    party, astronaut_selfie, t1_image, t1_faces
):
    """The gallery's ticker: any visitor (another tab) reads totals and the photos at least two
    searches found; a photo one search found stays off the list, and no query, confidence or
    session comes with it."""
    event, ids = party
    find_me(find_me_scope(event, "tab-one-0123456789"), astronaut_selfie, query="cake")
    find_me(find_me_scope(event, "tab-two-0123456789"), astronaut_selfie)
    find_me(find_me_scope(event, "tab-three-012345678"), jpeg(crop(t1_image, t1_faces[3].bbox)))

    seen = public_activity(find_me_scope(event, "someone-else-01234"))

    assert (seen.searches, seen.recent_searches, seen.recent_found) == (3, 3, 3)
    assert [(h.photo.id, h.sessions) for h in seen.hot_photos] == [(ids["pair"], 2)]  # group: one search
    assert set(seen.model_dump()) == {
        "searches",
        "window_minutes",
        "recent_searches",
        "recent_found",
        "hot_photos",
        "min_sessions",
    }  # no query text, confidence, time or session of any one search
    assert all(set(h.model_dump()) == {"photo", "sessions"} for h in seen.hot_photos)


def test_other_events_photos_are_never_matched(
    party, make_event, add_photo, astronaut_face, astronaut_selfie
):
    event, _ = party
    other = make_event("elsewhere")
    theirs = add_photo(other.id, "theirs.jpg", faces=[astronaut_face])
    assert theirs not in {m.photo.id for m in find_me(Scope.visitor(event), astronaut_selfie).matches}
    assert [m.photo.id for m in find_me(Scope.visitor(other), astronaut_selfie).matches] == [theirs]


def test_no_match_says_how_to_retry(party, add_photo):
    event, _ = party
    rng = np.random.default_rng(3)
    from eventlens.findme.service import match_embedding

    stranger = rng.normal(size=128).astype(np.float32)
    response = match_embedding(Scope.visitor(event), stranger / np.linalg.norm(stranger), "sface")
    assert response.matches == []
    assert "selfie" in response.message


def test_unreadable_bytes_are_refused(party):
    event, _ = party
    with pytest.raises(UnreadableImage):
        find_me(Scope.visitor(event), b"GIF89a this is not really an image")


def test_oversized_selfie_is_refused_before_decoding(party, monkeypatch):
    event, _ = party
    monkeypatch.setenv("EVENTLENS_MAX_SELFIE_BYTES", "1000")
    from eventlens.config import reset_settings

    reset_settings()
    with pytest.raises(SelfieTooLarge):
        find_me(Scope.visitor(event), b"\xff\xd8" + b"\x00" * 2000)


def test_decompression_bomb_is_refused_without_decoding(party):
    event, _ = party
    out = io.BytesIO()
    Image.new("1", (10000, 10000)).save(out, "PNG")  # 100 Mpx of zeros compress to a few kB
    with pytest.raises(SelfieTooLarge):
        find_me(Scope.visitor(event), out.getvalue())


def test_photo_without_a_face_is_refused(party):
    event, _ = party
    with pytest.raises(NoFaceFound):
        find_me(Scope.visitor(event), jpeg(np.full((400, 400, 3), 128, np.uint8)))


def test_group_shot_with_faces_of_similar_size_is_refused(party, t1_image):
    event, _ = party
    with pytest.raises(SeveralFaces, match="several faces of similar size"):
        find_me(Scope.visitor(event), jpeg(t1_image))


def test_face_matching_turned_off_refuses_find_me(make_event, astronaut_selfie):
    event = make_event("private", face_matching=False)
    with pytest.raises(FaceMatchingDisabled):
        find_me(Scope.visitor(event), astronaut_selfie)
