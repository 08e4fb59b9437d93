"""Fixtures for search tests: real models loaded once, photos written as the pipeline writes them."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

import numpy as np
import psycopg
import pytest
from PIL import Image

T1 = Path(__file__).parents[3] / ".venv/lib/python3.11/site-packages/insightface/data/images/t1.jpg"


@pytest.fixture(scope="session")
def sface() -> Any:
    from eventlens.ml.faces import face_model

    return face_model("sface")


@pytest.fixture(scope="session")
def embedder() -> Any:
    from eventlens.ml.text import text_embedder

    return text_embedder("minilm-l6-v2")


@pytest.fixture(scope="session")
def t1_image() -> np.ndarray:
    return np.asarray(Image.open(T1).convert("RGB"))


@pytest.fixture(scope="session")
def astronaut_image() -> np.ndarray:
    import skimage.data

    return np.asarray(skimage.data.astronaut())


@pytest.fixture(scope="session")
def t1_faces(sface: Any, t1_image: np.ndarray) -> list[Any]:
    faces = sface.detect(t1_image)
    assert len(faces) == 6
    return sorted(faces, key=lambda f: f.bbox[0])


@pytest.fixture(scope="session")
def astronaut_face(sface: Any, astronaut_image: np.ndarray) -> Any:
    (face,) = sface.detect(astronaut_image)
    return face


AddPhoto = Callable[..., UUID]


@pytest.fixture(scope="session")
def embed_text(embedder: Any) -> Callable[[str], np.ndarray]:
    """MiniLM embedding of a description, computed once per text for the whole session."""
    cache: dict[str, np.ndarray] = {}

    def embed(text: str) -> np.ndarray:
        if text not in cache:
            cache[text] = embedder.embed([text])[0]
        return cache[text]

    return embed


@pytest.fixture
def add_photo(owner_conn: psycopg.Connection, embed_text: Callable[[str], np.ndarray]) -> AddPhoto:
    """Insert a processed photo (description embedded by MiniLM, faces as given) and return its id."""

    def add(
        event_id: UUID,
        filename: str,
        visible_text: str = "",
        people: str = "",
        scene: str = "",
        faces: Sequence[Any] = (),
        hidden: bool = False,
        content_hash: str | None = None,
        dhash: int | None = None,
        duplicate_cluster: str | None = None,
        duplicate_kind: str | None = None,
    ) -> UUID:
        text = ". ".join(t for t in (scene, people, visible_text) if t)
        vector = embed_text(text) if text else None
        row = owner_conn.execute(
            "INSERT INTO photos (event_id, source_key, content_hash, filename, visible_text,"
            " people_descriptions, scene_description, face_count, hidden, dhash, duplicate_cluster,"
            " duplicate_kind, embedding, embedding_model, analyze_status, describe_status, embed_status,"
            " faces_status) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::vector, %s,"
            " 'completed', 'completed', 'completed', 'completed') RETURNING id",
            (
                event_id,
                f"events/x/originals/{filename}",
                content_hash or hashlib.sha256(filename.encode()).hexdigest(),
                filename,
                visible_text,
                people,
                scene,
                len(faces),
                hidden,
                dhash,
                duplicate_cluster,
                duplicate_kind,
                None if vector is None else "[" + ",".join(map(str, vector.tolist())) + "]",
                None if vector is None else "minilm-l6-v2",
            ),
        ).fetchone()
        assert row is not None
        photo_id = row[0]
        for index, face in enumerate(faces):
            owner_conn.execute(
                "INSERT INTO face_embeddings (event_id, photo_id, face_index, model, bbox, det_score, embedding)"
                " VALUES (%s, %s, %s, 'sface', %s, %s, %s::vector)",
                (
                    event_id,
                    photo_id,
                    index,
                    list(face.bbox),
                    face.score,
                    "[" + ",".join(map(str, face.embedding.tolist())) + "]",
                ),
            )
        if not faces:
            owner_conn.execute(
                "INSERT INTO face_embeddings (event_id, photo_id, face_index, model) VALUES (%s, %s, -1, 'sface')",
                (event_id, photo_id),
            )
        return photo_id

    return add


# -- selfies: a face cropped out of a real photo, as a phone frames it -----------------------------

TAB_A = "tab-a-Qx3v9LmN0pRsTuVw"
TAB_B = "tab-b-Zy8w7KjH6gFeDcBa"
"""Two browser tabs' find-me session ids."""


def jpeg(rgb: np.ndarray, exif: Image.Exif | None = None) -> bytes:
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, "JPEG", quality=92, **({"exif": exif} if exif is not None else {}))
    return out.getvalue()


def crop(rgb: np.ndarray, bbox: Sequence[float], margin: float = 0.6) -> np.ndarray:
    """The face in `bbox` with room around it, as a selfie frames it."""
    x, y, w, h = bbox
    x0, y0 = max(0, int(x - margin * w)), max(0, int(y - margin * h))
    x1, y1 = min(rgb.shape[1], int(x + w * (1 + margin))), min(rgb.shape[0], int(y + h * (1 + margin)))
    return np.ascontiguousarray(rgb[y0:y1, x0:x1])


@pytest.fixture(scope="module")
def astronaut_selfie(astronaut_image: np.ndarray, astronaut_face: Any) -> bytes:
    return jpeg(crop(astronaut_image, astronaut_face.bbox))


@pytest.fixture
def gala(make_event: Any, add_photo: AddPhoto, t1_faces: list[Any], astronaut_face: Any) -> Any:
    """The astronaut alone and with t1 person 0 (the friend); the six t1 people in one photo."""
    event = make_event("gala")
    ids = {
        "astronaut": add_photo(event.id, "astronaut.jpg", scene="An astronaut", faces=[astronaut_face]),
        "pair": add_photo(event.id, "pair.jpg", scene="Two people", faces=[astronaut_face, t1_faces[0]]),
        "group": add_photo(event.id, "group.jpg", scene="Six friends", faces=t1_faces),
    }
    return event, ids
