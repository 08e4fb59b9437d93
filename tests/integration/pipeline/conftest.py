"""Pipeline fixtures: an event with photos imported from a folder of real (small) photos."""

from __future__ import annotations


def photos_by_name(event_id: object) -> dict[str, dict]:
    from tests.helpers import scoped

    with scoped(event_id) as conn:  # type: ignore[arg-type]
        rows = conn.execute("SELECT * FROM photos").fetchall()
    return {row["filename"]: row for row in rows}


def faces_of(event_id: object, photo_id: object) -> list[dict]:
    from tests.helpers import scoped

    with scoped(event_id) as conn:  # type: ignore[arg-type]
        return conn.execute(
            "SELECT id, face_index, bbox, det_score, embedding, model FROM face_embeddings "
            "WHERE photo_id = %s ORDER BY face_index",
            (photo_id,),
        ).fetchall()
