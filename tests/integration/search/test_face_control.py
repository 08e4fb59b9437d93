"""Consent and control over face data, through the real routes with the real face model.

docs/privacy.md: no selfie search without the viewing session's consent (recorded without any
biometric data); "hide me" takes a face out of everybody else's find-me; "forget me" deletes it and
keeps it from coming back when the photos are processed again; a request that cannot tell two
faces apart is refused; each is audited; the retention job purges an event's face data and find
me then says when face search ended; "no biometrics" stores no face embedding at all.
"""

from __future__ import annotations

import base64
import json
import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import psycopg
import pytest
from eventlens.scope import Scope

from tests.integration.search.conftest import TAB_A, TAB_B, crop, jpeg


@pytest.fixture(scope="module")
def friend_selfie(t1_image, t1_faces) -> bytes:
    return jpeg(crop(t1_image, t1_faces[0].bbox))


def call(
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    session: str | None = None,
    consent: str | None = None,
) -> tuple[int, dict[str, Any]]:
    """One request through the real handler of its route group, as API Gateway sends it."""
    from eventlens.devserver import LambdaContext, http_api_event, lambda_handler, route_group

    headers = {"host": "test", "content-type": "application/json"}
    if session is not None:
        headers["X-EventLens-Session"] = session
    if consent is not None:
        headers["X-EventLens-Consent"] = consent
    data = json.dumps(body).encode() if body is not None else b""
    group = route_group(path)
    event = http_api_event(method, path, headers, data, "127.0.0.1", None)
    reply = lambda_handler(group)(event, LambdaContext(group, "req-1", deadline_ms=2**62))
    return reply["statusCode"], json.loads(reply["body"])


def selfie(image: bytes) -> dict[str, str]:
    return {"image_base64": base64.b64encode(image).decode()}


def agree(slug: str, session: str) -> str:
    """Read the consent text as the gallery does and agree to it; the version agreed to."""
    status, reply = call("GET", f"/api/events/{slug}/match/consent", session=session)
    assert status == 200
    status, reply = call(
        "POST", f"/api/events/{slug}/match/consent", {"consent_version": reply["consent_version"]}, session
    )
    assert status == 200
    assert reply["consented"] is True
    return str(reply["consent_version"])


def face_rows(owner_conn: psycopg.Connection, event_id: object) -> int:
    return owner_conn.execute(
        "SELECT count(*) FROM face_embeddings WHERE event_id = %s AND embedding IS NOT NULL", (event_id,)
    ).fetchone()[0]


def audited(owner_conn: psycopg.Connection, action: str) -> list[dict[str, Any]]:
    return [
        r[0]
        for r in owner_conn.execute("SELECT detail FROM audit_log WHERE action = %s", (action,)).fetchall()
    ]


# -- consent -------------------------------------------------------------------------------------


def test_a_selfie_search_without_consent_is_a_428_carrying_the_text_and_nothing_is_searched(
    gala, astronaut_selfie, owner_conn
) -> None:
    status, reply = call("POST", "/api/events/gala/match", selfie(astronaut_selfie), TAB_A)
    assert status == 428
    assert "face template" in reply["consent_text"]
    assert len(reply["consent_version"]) == 64
    assert owner_conn.execute("SELECT count(*) FROM match_sessions").fetchone() == (0,)

    agree("gala", TAB_A)
    status, reply = call("POST", "/api/events/gala/match", selfie(astronaut_selfie), TAB_A)
    assert status == 200
    assert len(reply["matches"]) == 2
    # Another tab of the same browser is another viewing session: it asks again.
    assert call("POST", "/api/events/gala/match", selfie(astronaut_selfie), TAB_B)[0] == 428


def test_consent_is_recorded_without_biometric_data_and_a_changed_text_asks_again(
    gala, astronaut_selfie, owner_conn
) -> None:
    from eventlens.events.service import update_event

    event, _ = gala
    version = agree("gala", TAB_A)
    columns = {
        r[0]
        for r in owner_conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'find_me_consents'"
        ).fetchall()
    }
    assert columns == {"id", "event_id", "session_key", "text_hash", "given_at"}
    (key, text_hash) = owner_conn.execute("SELECT session_key, text_hash FROM find_me_consents").fetchone()
    assert TAB_A not in key
    assert text_hash == version

    update_event(Scope.organizer(event, "org"), settings_patch={"consent_text": "We match faces. OK?"})
    status, reply = call("POST", "/api/events/gala/match", selfie(astronaut_selfie), TAB_A)
    assert (status, reply["consent_text"]) == (428, "We match faces. OK?")
    status, reply = call("POST", "/api/events/gala/match/consent", {"consent_version": version}, TAB_A)
    assert status == 428  # agreeing to the old text is agreeing to nothing
    assert (
        call(
            "POST",
            "/api/events/gala/match",
            selfie(astronaut_selfie),
            TAB_A,
            consent=reply["consent_version"],
        )[0]
        == 200
    )


def test_a_malformed_consent_version_is_a_422_and_records_nothing(gala, owner_conn) -> None:
    status, reply = call("POST", "/api/events/gala/match/consent", {"consent_version": "yes"}, TAB_A)
    assert status == 422
    assert "consent_version" in reply["message"]
    assert owner_conn.execute("SELECT count(*) FROM find_me_consents").fetchone() == (0,)


# -- hide me -------------------------------------------------------------------------------------


def test_hide_me_takes_the_face_out_of_everybody_elses_find_me_and_is_audited(
    gala, astronaut_selfie, friend_selfie, owner_conn
) -> None:
    _, ids = gala
    version = agree("gala", TAB_A)
    status, reply = call("POST", "/api/events/gala/match/hide", selfie(astronaut_selfie), TAB_A)
    assert status == 200
    assert (reply["kind"], reply["faces"], reply["photos"]) == ("hide", 2, 2)

    # Another attendee uploading her photo (her face) finds nothing of her.
    status, reply = call("POST", "/api/events/gala/match", selfie(astronaut_selfie), TAB_B, consent=version)
    assert status == 200
    assert reply["matches"] == []
    assert reply["recommendations"] == []
    # The friend photographed with her still finds the pair photo (his face is not hidden).
    status, reply = call("POST", "/api/events/gala/match", selfie(friend_selfie), TAB_B, consent=version)
    assert {m["photo"]["id"] for m in reply["matches"]} == {str(ids["pair"]), str(ids["group"])}
    (entry,) = audited(owner_conn, "face_hide")
    assert (entry["faces"], entry["photos"]) == (2, 2)
    assert owner_conn.execute("SELECT count(*) FROM face_opt_outs WHERE kind = 'hide'").fetchone() == (2,)


def test_hide_me_without_consent_is_a_428_and_a_selfie_without_a_face_a_400(
    gala, astronaut_image, owner_conn
) -> None:
    status, _ = call("POST", "/api/events/gala/match/hide", selfie(jpeg(astronaut_image)), TAB_A)
    assert status == 428
    agree("gala", TAB_A)
    nobody = jpeg(np.full((200, 200, 3), 128, np.uint8))
    status, reply = call("POST", "/api/events/gala/match/forget", selfie(nobody), TAB_A)
    assert status == 400
    assert "face" in reply["message"].lower()
    assert owner_conn.execute("SELECT count(*) FROM face_opt_outs").fetchone() == (0,)


def test_a_request_that_cannot_tell_two_faces_apart_is_refused_and_changes_nothing(
    make_event, add_photo, astronaut_face, astronaut_selfie, owner_conn
) -> None:
    """Two near-identical faces in one photo (twins, a mirror): acting on one may act on someone else."""
    from dataclasses import replace

    event = make_event("gala")
    twin = replace(astronaut_face, bbox=(astronaut_face.bbox[0] + 300, *astronaut_face.bbox[1:]))
    add_photo(event.id, "mirror.jpg", faces=[astronaut_face, twin])
    agree("gala", TAB_A)
    before = face_rows(owner_conn, event.id)
    status, reply = call("POST", "/api/events/gala/match/forget", selfie(astronaut_selfie), TAB_A)
    assert status == 409
    assert "tell which is you" in reply["message"]
    assert face_rows(owner_conn, event.id) == before
    assert owner_conn.execute("SELECT count(*) FROM face_opt_outs").fetchone() == (0,)


# -- forget me, and reprocessing -----------------------------------------------------------------


@pytest.fixture
def processed(make_event, photo_dir):
    """Real photos through the real faces phase: the astronaut alone, and t1's six people."""
    from eventlens.pipeline.runner import run_phase
    from eventlens.sources.service import import_files

    from tests.fixtures_photos import T1, real_jpeg

    event = make_event("gala")
    folder = photo_dir({"astronaut.jpg": real_jpeg("astronaut"), "t1.jpg": T1.read_bytes()})
    import_files(Scope.pipeline(event), [folder])
    for phase in ("analyze", "faces"):
        assert run_phase(event, phase, 120_000)["done"]
    return event


def reprocess_faces(event: Any, owner_conn: psycopg.Connection) -> None:
    from eventlens.pipeline.runner import run_phase

    owner_conn.execute("UPDATE photos SET faces_status = 'pending' WHERE event_id = %s", (event.id,))
    assert run_phase(event, "faces", 120_000)["done"]


def test_forget_me_deletes_every_face_and_it_stays_gone_after_the_faces_phase_runs_again(
    processed, astronaut_selfie, friend_selfie, owner_conn
) -> None:
    event = processed
    version = agree("gala", TAB_A)
    assert len(call("POST", "/api/events/gala/match", selfie(astronaut_selfie), TAB_A)[1]["matches"]) == 1
    total = face_rows(owner_conn, event.id)
    assert total == 7

    status, reply = call("POST", "/api/events/gala/match/forget", selfie(astronaut_selfie), TAB_A)
    assert (status, reply["faces"]) == (200, 1)
    assert face_rows(owner_conn, event.id) == 6
    # Her kept find-me template (this session's) is gone too, not at the end of its retention.
    assert owner_conn.execute(
        "SELECT count(*) FROM match_sessions WHERE embedding IS NOT NULL"
    ).fetchone() == (0,)
    (entry,) = audited(owner_conn, "face_forget")
    assert entry["faces"] == 1
    assert entry["templates"] == 1

    reprocess_faces(event, owner_conn)
    assert face_rows(owner_conn, event.id) == 6  # her region is marked; no template is stored again
    status, reply = call("POST", "/api/events/gala/match", selfie(astronaut_selfie), TAB_B, consent=version)
    assert (status, reply["matches"]) == (200, [])
    status, reply = call("POST", "/api/events/gala/match", selfie(friend_selfie), TAB_B, consent=version)
    assert len(reply["matches"]) == 1  # the others are untouched


class CountingRecognizer:
    """OpenCV's SFace recognizer, counting the face templates it computes (`feature`)."""

    def __init__(self, real: Any, counts: list[int]) -> None:
        self.real, self.counts = real, counts

    def alignCrop(self, image: Any, row: Any) -> Any:  # OpenCV's name
        return self.real.alignCrop(image, row)

    def feature(self, aligned: Any) -> Any:
        self.counts.append(1)
        return self.real.feature(aligned)


@pytest.fixture
def templates_computed(monkeypatch) -> list[int]:
    """One entry per face template the face model computes from here on: a fresh SFace model
    whose OpenCV recognizers (one per thread) are counted."""
    import cv2
    from eventlens.ml.faces import face_model

    counts: list[int] = []
    real = cv2.FaceRecognizerSF

    class Recognizers:
        @staticmethod
        def create(*args: Any) -> CountingRecognizer:
            return CountingRecognizer(real.create(*args), counts)

    monkeypatch.setattr(cv2, "FaceRecognizerSF", Recognizers)
    face_model.cache_clear()
    yield counts
    face_model.cache_clear()


def test_forget_me_keeps_the_face_model_from_computing_a_template_for_the_region_again(
    processed, astronaut_selfie, owner_conn, templates_computed
) -> None:
    event = processed
    agree("gala", TAB_A)
    assert call("POST", "/api/events/gala/match/forget", selfie(astronaut_selfie), TAB_A)[0] == 200
    forgotten_photo = owner_conn.execute(
        "SELECT photo_id FROM face_opt_outs WHERE kind = 'forget'"
    ).fetchone()[0]
    templates_computed.clear()  # the selfie's own template

    reprocess_faces(event, owner_conn)

    # t1's six faces were embedded again; the astronaut's region was detected and skipped.
    assert len(templates_computed) == 6
    assert face_rows(owner_conn, event.id) == 6
    assert owner_conn.execute(
        "SELECT count(*) FROM face_embeddings WHERE photo_id = %s AND embedding IS NOT NULL",
        (forgotten_photo,),
    ).fetchone() == (0,)


def renditions(owner_conn: psycopg.Connection, photo_id: object) -> dict[str, np.ndarray]:
    """The photo's stored thumbnail and preview, decoded, per size."""
    import io

    from eventlens.storage import blob_store
    from PIL import Image

    (keys,) = owner_conn.execute("SELECT thumbnails FROM photos WHERE id = %s", (photo_id,)).fetchone()
    return {
        size: np.asarray(Image.open(io.BytesIO(blob_store().get(key))).convert("RGB"), dtype=np.int16)
        for size, key in keys.items()
    }


def changed(
    before: np.ndarray, after: np.ndarray, box: tuple[float, ...], scale: float
) -> tuple[float, float]:
    """Mean absolute change inside the face box, and outside it past its blur padding and a JPEG
    block (re-encoding the rendition moves other pixels by a level or two at most)."""
    from eventlens.media.blur import PAD

    x, y, w, h = (v * scale for v in box)
    inside = (slice(int(y), int(y + h)), slice(int(x), int(x + w)))
    outside = np.ones(before.shape[:2], bool)
    margin = 16
    outside[
        max(0, int(y - PAD * h) - margin) : int(y + h + PAD * h) + margin,
        max(0, int(x - PAD * w) - margin) : int(x + w + PAD * w) + margin,
    ] = False
    diff = np.abs(after - before)
    return float(diff[inside].mean()), float(diff[outside].mean())


def test_forget_me_blurs_the_face_in_the_thumbnail_and_preview_when_the_event_says_so_also_after_reprocessing(
    processed, astronaut_selfie, owner_conn
) -> None:
    from eventlens.events.service import update_event
    from eventlens.pipeline.runner import run_phase
    from eventlens.storage import blob_store

    event = processed
    (photo, width, source) = owner_conn.execute(
        "SELECT id, width, source_key FROM photos WHERE filename = 'astronaut.jpg'"
    ).fetchone()
    before = renditions(owner_conn, photo)
    original = blob_store().get(source)
    update_event(Scope.organizer(event, "org"), settings_patch={"blur_forgotten_faces": True})
    agree("gala", TAB_A)

    assert call("POST", "/api/events/gala/match/forget", selfie(astronaut_selfie), TAB_A)[0] == 200

    (box,) = owner_conn.execute("SELECT bbox FROM face_opt_outs WHERE photo_id = %s", (photo,)).fetchone()
    after = renditions(owner_conn, photo)
    assert set(after) == {"320", "640", "1920"}  # the grid's thumbnail at 1x and 2x, and the preview
    for size, image in after.items():
        inside, outside = changed(before[size], image, box, image.shape[1] / width)
        assert inside > 8, size  # her face is blurred
        assert outside < 1.5, size  # the rest is the same picture
    assert blob_store().get(source) == original  # the original is never changed
    (entry,) = audited(owner_conn, "face_blur")
    assert (entry["photos"], entry["renditions"]) == (1, 3)

    # analyze makes the renditions again from the original: the face is blurred again.
    owner_conn.execute("UPDATE photos SET analyze_status = 'pending' WHERE event_id = %s", (event.id,))
    assert run_phase(event.id, "analyze", 120_000)["done"]  # by id, as the state machine: fresh settings
    for size, image in renditions(owner_conn, photo).items():
        inside, outside = changed(before[size], image, box, image.shape[1] / width)
        assert inside > 8, size
        assert outside < 1.5, size


def test_forget_me_leaves_the_thumbnails_alone_when_the_event_does_not_blur(
    processed, astronaut_selfie, owner_conn
) -> None:
    (photo,) = owner_conn.execute("SELECT id FROM photos WHERE filename = 'astronaut.jpg'").fetchone()
    before = renditions(owner_conn, photo)
    agree("gala", TAB_A)
    assert call("POST", "/api/events/gala/match/forget", selfie(astronaut_selfie), TAB_A)[0] == 200
    after = renditions(owner_conn, photo)
    assert all(np.array_equal(before[size], after[size]) for size in before)
    assert audited(owner_conn, "face_blur") == []


def test_hide_me_holds_when_the_photos_are_processed_again(processed, astronaut_selfie, owner_conn) -> None:
    event = processed
    version = agree("gala", TAB_A)
    assert call("POST", "/api/events/gala/match/hide", selfie(astronaut_selfie), TAB_A)[0] == 200
    reprocess_faces(event, owner_conn)
    assert face_rows(owner_conn, event.id) == 7
    assert owner_conn.execute("SELECT count(*) FROM face_embeddings WHERE hidden").fetchone() == (1,)
    status, reply = call("POST", "/api/events/gala/match", selfie(astronaut_selfie), TAB_B, consent=version)
    assert (status, reply["matches"]) == (200, [])


def test_concurrent_forget_requests_for_the_same_face_delete_it_once(
    gala, astronaut_selfie, owner_conn
) -> None:
    agree("gala", TAB_A)
    statuses: list[int] = []
    barrier = threading.Barrier(3)

    def forget() -> None:
        barrier.wait()
        statuses.append(call("POST", "/api/events/gala/match/forget", selfie(astronaut_selfie), TAB_A)[0])

    threads = [threading.Thread(target=forget) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert 200 in statuses
    assert set(statuses) <= {200, 404}
    event, _ = gala
    assert face_rows(owner_conn, event.id) == 7  # the six t1 faces and the friend's in the pair photo
    deleted = sum(e["faces"] for e in audited(owner_conn, "face_forget"))
    assert deleted == 2  # her two faces, counted once whoever won


# -- retention and "no biometrics" -----------------------------------------------------------------


def test_the_retention_job_purges_an_events_face_data_when_due_and_find_me_says_when_it_ended(
    gala, make_event, add_photo, astronaut_face, astronaut_selfie, owner_conn
) -> None:
    from eventlens.events.service import get_event, update_event
    from eventlens.findme.control import purge_face_data

    event, _ = gala
    other = make_event("later")
    add_photo(other.id, "a.jpg", faces=[astronaut_face])
    update_event(
        Scope.organizer(event, "org"), settings_patch={"ends_on": "2026-01-10", "face_retention_days": 5}
    )
    update_event(
        Scope.organizer(other, "org"), settings_patch={"ends_on": "2026-01-20", "face_retention_days": 5}
    )
    assert purge_face_data(now=datetime(2026, 1, 14, 23, tzinfo=UTC)) == {}  # not due yet
    assert face_rows(owner_conn, event.id) == 9

    assert purge_face_data(now=datetime(2026, 1, 15, 0, 1, tzinfo=UTC)) == {"gala": 9}
    assert owner_conn.execute(
        "SELECT count(*) FROM face_embeddings WHERE event_id = %s", (event.id,)
    ).fetchone() == (0,)
    assert face_rows(owner_conn, other.id) == 1  # not due: untouched
    assert purge_face_data(now=datetime(2026, 1, 16, tzinfo=UTC)) == {}  # done once
    (entry,) = audited(owner_conn, "face_data_purge")
    assert (entry["faces"], entry["due"]) == (9, "2026-01-15")

    status, reply = call("POST", "/api/events/gala/match", selfie(astronaut_selfie), TAB_A, consent="0" * 64)
    assert status == 403
    assert "ended on" in reply["message"]
    # The gallery still works, and the privacy page says so.
    assert call("GET", "/api/events/gala/photos")[0] == 200
    status, notice = call("GET", "/api/events/gala/privacy")
    assert status == 200
    assert notice["face_search"] is False
    assert notice["purged_at"]
    # Nothing can store a face embedding for it any more, whoever tries.
    with pytest.raises(psycopg.errors.CheckViolation):
        add_photo(event.id, "late.jpg", faces=[astronaut_face])
    assert get_event("gala").settings.face_retention_days == 5


def test_the_privacy_page_states_the_purge_date_from_the_settings(gala) -> None:
    from eventlens.events.service import update_event

    event, _ = gala
    update_event(
        Scope.organizer(event, "org"), settings_patch={"ends_on": "2026-06-01", "face_retention_days": 14}
    )
    status, notice = call("GET", "/api/events/gala/privacy")
    assert status == 200
    assert notice["purge_on"] == "2026-06-15"
    assert notice["face_search"] is True
    assert any("2026-06-15" in p for p in notice["paragraphs"])
    assert any("forget me" in p for p in notice["paragraphs"])


def test_no_biometrics_erases_the_face_data_and_no_embedding_is_ever_computed(
    processed, astronaut_selfie, owner_conn
) -> None:
    from eventlens.events.service import update_event

    event = processed
    assert face_rows(owner_conn, event.id) == 7
    update_event(Scope.organizer(event, "org"), settings_patch={"no_biometrics": True})
    assert face_rows(owner_conn, event.id) == 0
    (entry,) = audited(owner_conn, "face_data_erase")
    assert entry["faces"] == 7
    reprocess_faces(event, owner_conn)
    assert face_rows(owner_conn, event.id) == 0
    statuses = {r[0] for r in owner_conn.execute("SELECT faces_status FROM photos").fetchall()}
    assert statuses == {"skipped"}
    status, reply = call("POST", "/api/events/gala/match", selfie(astronaut_selfie), TAB_A, consent="0" * 64)
    assert (status, reply["message"]) == (403, "This event does not use face recognition (no biometrics)")
    notice = call("GET", "/api/events/gala/privacy")[1]
    assert notice["no_biometrics"] is True
    assert "does not use face recognition" in notice["paragraphs"][0]


def test_the_retention_window_counts_from_the_last_photo_when_no_end_is_set(gala, owner_conn) -> None:
    from eventlens.findme.control import purge_due

    event, _ = gala
    owner_conn.execute(
        "UPDATE photos SET created_at = '2026-03-01T18:00:00Z' WHERE event_id = %s", (event.id,)
    )
    due = purge_due(Scope.system(event))
    assert due is not None
    assert due.date() == date(2026, 3, 1) + timedelta(days=30)


def test_forget_me_also_deletes_their_persons_faces_the_selfie_alone_does_not_reach(
    gala, astronaut_selfie, owner_conn
) -> None:
    """A face clustered with hers (a profile, a blur) goes too: it is her person, not her selfie's match."""
    from eventlens.faceclusters.service import assign_new_faces

    event, ids = gala
    assign_new_faces(Scope.pipeline(event))
    # A face the selfie does not reach, which an organizer put in her person (a merge by hand).
    (cluster,) = owner_conn.execute(
        "SELECT DISTINCT face_cluster_id FROM face_embeddings WHERE photo_id = %s AND face_index = 0",
        (ids["astronaut"],),
    ).fetchone()
    owner_conn.execute(
        "UPDATE face_embeddings SET face_cluster_id = %s WHERE photo_id = %s AND face_index = 5",
        (cluster, ids["group"]),
    )
    agree("gala", TAB_A)
    status, reply = call("POST", "/api/events/gala/match/forget", selfie(astronaut_selfie), TAB_A)
    assert (status, reply["faces"], reply["photos"]) == (200, 3, 3)
    assert face_rows(owner_conn, event.id) == 6


def test_the_cli_twins_forget_a_person_list_people_and_crews_and_run_the_retention_job(
    gala, astronaut_selfie, owner_conn, tmp_path
) -> None:
    from click.testing import CliRunner
    from eventlens.cli import main
    from eventlens.events.service import update_event
    from eventlens.faceclusters.service import assign_new_faces

    event, _ = gala
    assign_new_faces(Scope.pipeline(event))
    runner = CliRunner()
    listed = runner.invoke(main, ["face-clusters", "--event", "gala", "--json"], catch_exceptions=False)
    assert [p["photos"] for p in json.loads(listed.output)["face_clusters"]] == [2, 2]  # her, and her friend
    crews = runner.invoke(main, ["crews", "--event", "gala", "--json"], catch_exceptions=False)
    assert len(json.loads(crews.output)["crews"]) == 1  # she and her friend, photographed together

    selfie_file = tmp_path / "me.jpg"
    selfie_file.write_bytes(astronaut_selfie)
    forgot = runner.invoke(main, ["face-control", "forget", str(selfie_file), "--event", "gala"])
    assert forgot.exit_code == 0, forgot.output
    assert "deleted" in forgot.output
    assert face_rows(owner_conn, event.id) == 7
    assert len(audited(owner_conn, "face_forget")) == 1

    update_event(
        Scope.organizer(event, "org"), settings_patch={"ends_on": "2026-01-01", "face_retention_days": 1}
    )
    early = runner.invoke(main, ["purge-face-data", "--now", "2026-01-01T12:00:00"], catch_exceptions=False)
    assert "0 events purged" in early.output
    done = runner.invoke(main, ["purge-face-data", "--now", "2026-01-02T00:00:00"], catch_exceptions=False)
    assert "gala: 7 face embeddings purged" in done.output
    assert owner_conn.execute(
        "SELECT count(*) FROM face_embeddings WHERE event_id = %s", (event.id,)
    ).fetchone() == (0,)


def test_a_session_agreeing_from_several_requests_at_once_is_recorded_once(gala, owner_conn) -> None:
    _, reply = call("GET", "/api/events/gala/match/consent", session=TAB_A)
    version = reply["consent_version"]
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def agree_now() -> None:
        barrier.wait()
        statuses.append(
            call("POST", "/api/events/gala/match/consent", {"consent_version": version}, TAB_A)[0]
        )

    threads = [threading.Thread(target=agree_now) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 4
    assert owner_conn.execute("SELECT count(*) FROM find_me_consents").fetchone() == (1,)
