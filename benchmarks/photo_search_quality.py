"""Search quality on real photos: the local describer as it was, with the image tagger, and the Gemini path.

    .venv/bin/python benchmarks/photo_search_quality.py   # [--json] [--fresh]; ~2.5 min first run, 2 cores

Photos (all real, all from installed packages, nothing downloaded): the 12 demo photos
(eventlens.demo: scikit-image and insightface images, two with a rendered sign), 20 more
scikit-image data photos, insightface's 6 sample images, and scikit-image's `lfw_subset`
(100 Labeled-Faces-in-the-Wild face crops and 100 crops of the same photos' backgrounds, 25 px,
shown at 100 px). `../shared/testdata/faces` adds 19 photos of people when present.

Relevance was graded by hand from what each photo shows, before any method ran (`PHOTOS` and
`LFW_*` below: 2 = what the query asks for, 1 = related); no grade was changed after seeing
results. The same 40 concept queries and 5 nonsense queries run through the real search path
(`search_photos`: one hybrid SQL statement, fusion, the semantic-only bar, did-you-mean) against
three events in one embedded PostgreSQL, one per describer:

- local-ocr: the local describer as it was (RapidOCR + metadata + face count), no tagger
- local-tagger: the same plus the EfficientNet-Lite0 tagger (eventlens.ml.tagger)
- gemini-fake: the real GeminiDescriber against tests/fakes' Gemini server, which answers each
  photo with the caption written for it below: an upper bound (a vision model that describes
  every photo right), measuring the path from reply to result, not Gemini.

Every arm embeds its descriptions with MiniLM (the embedded default) and counts faces with the
same SFace detector, so only the describer differs. Metrics: nDCG@10 (gain 2^grade - 1) and
recall@10 over grade >= 1 (denominator min(relevant, 10)); nonsense queries report how many
results they returned (all should be 0).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import pickle
import platform
import sys
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from uuid import UUID, uuid5

import numpy as np
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))
import scale_data  # noqa: E402 - a sibling module, found through the path set just above

NAMESPACE = UUID("0b7c8a3e-5f7d-4c55-9a0e-3f0f8c1d2e77")
SHARED_FACES = ROOT.parent / "shared" / "testdata" / "faces"
ARMS = ("local-ocr", "local-tagger", "gemini-fake")


@dataclass
class Photo:
    key: str
    folder: str
    filename: str
    grades: dict[str, int]
    caption: str
    """What a vision model that gets it right would say (the fake Gemini's reply)."""
    sign: str = ""
    image: np.ndarray | None = field(default=None, repr=False)

    @property
    def id(self) -> UUID:
        return uuid5(NAMESPACE, self.key)


# --- the photos and their grades (written before any run) ------------------------------------------

_SPACE = {"space": 2, "stars": 1, "galaxy": 1}
_CAT = {"cat": 2, "kitten": 2, "pet": 2, "animal": 2}
_COFFEE = {"coffee": 2, "espresso": 2, "cup": 2, "drink": 2}
_ROCKET = {"rocket": 2, "space": 1}
_MOTO = {"motorcycle": 2, "motorbike": 2, "scooter": 1}
_CAMERA = {"camera": 2, "photographer": 2, "tripod": 1, "portrait": 1, "face": 1}
_ASTRONAUT = {"astronaut": 2, "space": 1, "portrait": 2, "face": 2, "woman": 2}

DEMO: dict[str, tuple[dict[str, int], str]] = {
    "Keynote/team-on-stage.jpg": (
        {"group photo": 2, "people": 2, "face": 1, "keynote": 1},
        "Six people posing for a group photo, smiling",
    ),
    "Keynote/team-on-stage-2.jpg": (
        {"group photo": 2, "people": 2, "face": 1, "keynote": 1},
        "Six people posing for a group photo, smiling",
    ),
    "Keynote/keynote-banner.jpg": (
        {"keynote": 2, "serverless": 2, "group photo": 2, "people": 2, "sign": 2, "face": 1},
        "Six people posing under a white banner that reads KEYNOTE: Serverless at Scale",
    ),
    "Keynote/speaker-portrait.jpg": (
        _ASTRONAUT | {"keynote": 1},
        "Portrait of a woman astronaut in a white spacesuit holding a helmet, US flag behind",
    ),
    "Networking/guest-portrait.jpg": (
        {"portrait": 2, "face": 2, "people": 1, "man": 2},
        "Close-up portrait of a smiling man in a dark suit",
    ),
    "Networking/photographer.jpg": (
        _CAMERA | {"man": 2, "people": 1},
        "Black and white photo of a man with a camera on a tripod in a field",
    ),
    "Networking/coffee-break.jpg": (_COFFEE, "A cup of espresso coffee on a saucer, seen from above"),
    "Networking/name-badge.jpg": (
        _ASTRONAUT | {"duckbot": 2, "dukbot": 2, "duk robot": 2, "harvard": 2, "name badge": 2, "sign": 1},
        "A woman astronaut wearing a name badge: HELLO my name is DuckBot, Harvard",
    ),
    "Expo/rocket-exhibit.jpg": (_ROCKET, "A rocket standing on its launch pad under a blue sky"),
    "Expo/motorbike-booth.jpg": (_MOTO, "A red sport motorcycle parked in a garage"),
    "Expo/office-cat.jpg": (_CAT, "A ginger tabby cat looking at the camera"),
    "Expo/space-poster.jpg": (
        _SPACE | {"galaxy": 2, "stars": 2},
        "The Hubble deep field: thousands of distant galaxies on black",
    ),
}

SKIMAGE: dict[str, tuple[dict[str, int], str]] = {
    "astronaut.png": (_ASTRONAUT, "Portrait of a woman astronaut in a white spacesuit, US flag behind"),
    "brick.png": ({"brick wall": 2, "texture": 1}, "Close-up of a grey brick wall"),
    "camera.png": (_CAMERA | {"man": 2}, "Black and white photo of a man with a camera on a tripod"),
    "cell.png": ({"microscope": 2, "cells": 2}, "A cell seen under a microscope"),
    "chelsea.png": (_CAT, "A ginger tabby cat"),
    "clock_motion.png": ({"clock": 2}, "A wall clock, blurred by motion"),
    "coffee.png": (_COFFEE, "A cup of coffee on a saucer"),
    "coins.png": ({"coins": 2, "money": 2}, "Old coins laid out in rows on a table"),
    "grass.png": ({"grass": 2, "texture": 1, "nature": 1}, "Close-up of green grass"),
    "gravel.png": ({"gravel": 2, "stones": 2, "texture": 1}, "Close-up of grey gravel stones"),
    "horse.png": ({"horse": 2, "animal": 1}, "Black silhouette of a horse"),
    "hubble_deep_field.jpg": (_SPACE | {"galaxy": 2, "stars": 2}, "Thousands of galaxies in deep space"),
    "ihc.png": ({"microscope": 2, "cells": 2}, "Stained tissue under a microscope"),
    "microaneurysms.png": ({"eye": 2, "retina": 2}, "Retina image with blood vessels"),
    "moon.png": ({"moon": 2, "space": 2}, "The surface of the moon, craters"),
    "motorcycle_left.png": (_MOTO, "A red motorcycle parked indoors"),
    "motorcycle_right.png": (_MOTO, "A red motorcycle parked indoors"),
    "page.png": ({"document": 2, "text": 2}, "A scanned page of printed text"),
    "retina.jpg": ({"eye": 2, "retina": 2}, "A photo of the back of an eye: retina and blood vessels"),
    "rocket.jpg": (_ROCKET, "A rocket on the launch pad"),
}

INSIGHTFACE: dict[str, tuple[dict[str, int], str]] = {
    "t1.jpg": ({"group photo": 2, "people": 2, "face": 1}, "Six people posing for a group photo"),
    "Tom_Hanks_54745.png": ({"portrait": 2, "face": 2, "man": 2, "people": 1}, "Portrait of a smiling man"),
    **{
        f"mask_{c}.jpg": (
            {"face mask": 2, "face": 2, "portrait": 1, "people": 1},
            f"A person wearing a {c} face mask",
        )
        for c in ("black", "blue", "green", "white")
    },
}

LFW_FACE = ({"face": 2, "portrait": 2, "people": 1}, "A small close-up of a person's face")
LFW_OTHER: tuple[dict[str, int], str] = ({}, "A small blurry patch of a photo's background")

SHARED: dict[str, tuple[dict[str, int], str]] = {
    "two_people.jpg": ({"people": 2, "face": 1, "group photo": 1}, "Two people side by side"),
    "obama_and_biden.jpg": (
        {"people": 2, "man": 2, "face": 1, "group photo": 1},
        "Two men in suits side by side",
    ),
    "kit_with_rose.jpg": ({"people": 2, "face": 1, "group photo": 1}, "A man and a woman side by side"),
}
SHARED_PORTRAIT = ({"portrait": 2, "face": 2, "people": 1}, "A portrait of a person")

QUERIES = [
    "cat", "kitten", "pet", "animal", "horse", "coffee", "espresso", "cup", "drink", "rocket",
    "space", "galaxy", "stars", "moon", "astronaut", "motorcycle", "motorbike", "camera",
    "photographer", "coins", "money", "brick wall", "grass", "gravel", "stones", "clock",
    "document", "microscope", "cells", "eye", "retina", "portrait", "face", "face mask", "people",
    "group photo", "man", "woman", "keynote", "serverless", "harvard", "name badge", "duckbot",
    "dukbot", "duk robot", "sign",
]  # fmt: skip
NONSENSE = ["zebra quantum", "banana", "qwxzv", "submarine volcano", "tax return"]


def photos() -> list[Photo]:
    """Every photo with its image (RGB uint8) and grades."""
    from eventlens.demo import demo_photos
    from PIL import Image
    from skimage.data import lfw_subset

    out: list[Photo] = []
    demo = demo_photos(scale_data.DATA / "demo-photos")
    for rel, (grades, caption) in DEMO.items():
        folder, name = rel.split("/")
        sign = (
            "KEYNOTE: Serverless at Scale"
            if "banner" in name
            else ("HELLO my name is DuckBot Harvard" if "badge" in name else "")
        )
        out.append(
            Photo(
                f"demo/{rel}",
                folder,
                name,
                grades,
                caption,
                sign,
                np.asarray(Image.open(demo / rel).convert("RGB")),
            )
        )
    n = 0

    def add(key: str, grades: dict[str, int], caption: str, image: Image.Image) -> None:
        nonlocal n
        n += 1
        folder = f"Day {1 + n % 2}"
        out.append(
            Photo(key, folder, f"IMG_{n:04d}.jpg", grades, caption, "", np.asarray(image.convert("RGB")))
        )

    for name, (grades, caption) in SKIMAGE.items():
        with resources.as_file(resources.files("skimage") / "data" / name) as path:
            add(f"skimage/{name}", grades, caption, Image.open(path))
    for name, (grades, caption) in INSIGHTFACE.items():
        with resources.as_file(resources.files("insightface") / "data" / "images" / name) as path:
            add(f"insightface/{name}", grades, caption, Image.open(path))
    for i, crop in enumerate(lfw_subset()):
        grades, caption = LFW_FACE if i < 100 else LFW_OTHER
        picture = Image.fromarray((np.clip(crop, 0, 1) * 255).astype(np.uint8)).resize((100, 100))
        add(f"lfw/{i}", grades, caption, picture)
    if SHARED_FACES.exists():
        for path in sorted(SHARED_FACES.rglob("*")):
            if path.suffix.lower() in (".jpg", ".png"):
                grades, caption = SHARED.get(path.name, SHARED_PORTRAIT)
                add(f"shared/{path.relative_to(SHARED_FACES)}", grades, caption, Image.open(path))
    lacking = [q for q in QUERIES if not any(p.grades.get(q) == 2 for p in out)]
    assert not lacking, f"no grade-2 photo for {lacking}"
    return out


# --- the three describers ---------------------------------------------------------------------------


def describe_all(gallery: list[Photo]) -> tuple[dict[str, list[Any]], dict[str, float]]:
    """Each arm's Description per photo, and the seconds each arm took."""
    from eventlens.ml.describe import DescribeContext, LocalDescriber
    from eventlens.ml.faces import face_model
    from eventlens.ml.gemini import GeminiDescriber
    from eventlens.ml.ocr import text_reader
    from eventlens.ml.tagger import image_tagger
    from fakes.gemini_server import FakeGeminiServer, text_reply

    faces = face_model("sface")
    counts = [len(faces.detect(p.image)) for p in gallery]  # type: ignore[arg-type]
    reader = text_reader()
    arms: dict[str, Any] = {
        "local-ocr": LocalDescriber(reader),
        "local-tagger": LocalDescriber(reader, tagger=image_tagger("efficientnet-lite0")),
    }
    out: dict[str, list[Any]] = {}
    seconds: dict[str, float] = {}
    with FakeGeminiServer() as fake:
        arms["gemini-fake"] = GeminiDescriber(
            "fake-gemini-key", base_url=fake.base_url, requests_per_minute=100000
        )
        for arm, describer in arms.items():
            started = time.perf_counter()
            out[arm] = []
            for photo, count in zip(gallery, counts, strict=True):
                if arm == "gemini-fake":
                    reply = {
                        "visible_text": photo.sign,
                        "people_descriptions": "",
                        "scene_description": photo.caption,
                        "face_count": count,
                    }
                    fake.script_generate(text_reply(json.dumps(reply)))
                context = DescribeContext(photo.filename, photo.folder, face_count=count)
                out[arm].append(describer.describe(photo.image, context))
            seconds[arm] = time.perf_counter() - started
    return out, seconds


# --- the database ---------------------------------------------------------------------------------


def build(gallery: list[Photo], descriptions: dict[str, list[Any]]) -> tuple[str, dict[str, UUID]]:
    """A fresh database with one event per arm, descriptions embedded by MiniLM."""
    from eventlens.db.migrate import upgrade
    from eventlens.db.vectors import MODEL_DIMS, ensure_space
    from eventlens.ml.text import MINILM, text_embedder
    from eventlens.pipeline.phases.embed import document
    from pgvector.psycopg import register_vector

    srv = scale_data.server()
    name = "photo_quality"
    srv.psql(f'DROP DATABASE IF EXISTS "{name}";')
    srv.psql(f'CREATE DATABASE "{name}";')
    url = str(srv.get_uri(name))
    upgrade(url)
    embedder = text_embedder(MINILM)
    events: dict[str, UUID] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        register_vector(conn)
        ensure_space(conn, "description", MINILM, MODEL_DIMS[MINILM])
        for arm in ARMS:
            event_id = uuid5(NAMESPACE, arm)
            events[arm] = event_id
            conn.execute(
                "INSERT INTO events (id, slug, name, organization_id)"
                " SELECT %s, %s, %s, id FROM organizations WHERE slug = 'default'",
                (event_id, arm, arm),
            )
            rows = []
            for photo, d in zip(gallery, descriptions[arm], strict=True):
                row = {
                    "filename": photo.filename,
                    "folder": photo.folder,
                    "visible_text": d.visible_text,
                    "people_descriptions": d.people_descriptions,
                    "scene_description": d.scene_description,
                }
                rows.append((photo, d, row))
            vectors = embedder.embed([document(_Row(**r)) for _, _, r in rows])  # type: ignore[arg-type]
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO photos (id, event_id, source_key, content_hash, filename, folder, visible_text,"
                    " people_descriptions, scene_description, face_count, embedding, embedding_model,"
                    " analyze_status, describe_status, embed_status, faces_status)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
                    " 'completed', 'completed', 'completed', 'completed')",
                    [
                        (
                            uuid5(event_id, photo.key),
                            event_id,
                            f"events/{arm}/originals/{photo.folder}/{photo.filename}",
                            hashlib.sha256(f"{arm}/{photo.key}".encode()).hexdigest(),
                            photo.filename,
                            photo.folder,
                            d.visible_text,
                            d.people_descriptions,
                            d.scene_description,
                            d.face_count,
                            vector,
                            MINILM,
                        )
                        for (photo, d, _), vector in zip(rows, vectors, strict=True)
                    ],
                )
        conn.execute("ANALYZE photos")
    return url, events


@dataclass
class _Row:
    filename: str
    folder: str
    visible_text: str
    people_descriptions: str
    scene_description: str


# --- metrics ---------------------------------------------------------------------------------------


def metrics(ranked: list[str], grades: dict[str, int]) -> dict[str, float]:
    def dcg(gains: list[int]) -> float:
        return sum((2**g - 1) / math.log2(rank + 2) for rank, g in enumerate(gains[:10]))

    got = [grades.get(key, 0) for key in ranked]
    relevant = sum(1 for g in grades.values() if g > 0)
    return {
        "ndcg@10": dcg(got) / dcg(sorted(grades.values(), reverse=True)),
        "recall@10": sum(1 for g in got[:10] if g > 0) / min(relevant, 10),
    }


def evaluate(gallery: list[Photo], events: dict[str, UUID]) -> dict[str, Any]:
    from eventlens.db.photos import PhotoFilter
    from eventlens.scope import Scope
    from eventlens.search.service import search_photos
    from eventlens.types import Event

    per_query: list[dict[str, Any]] = []
    for query in QUERIES + NONSENSE:
        grades = {p.key: g for p in gallery if (g := p.grades.get(query, 0))}
        entry: dict[str, Any] = {"query": query, "relevant": len(grades)}
        for arm in ARMS:
            event = Event(id=events[arm], slug=arm, name=arm)
            keys = {uuid5(events[arm], p.key): p.key for p in gallery}
            response = search_photos(Scope.visitor(event), query, PhotoFilter(), limit=50)
            ranked = [keys[r.photo.id] for r in response.results]
            entry[arm] = {"results": response.total, "top": ranked[:3]} | (
                metrics(ranked, grades) if grades else {}
            )
        per_query.append(entry)
    labelled = [q for q in per_query if q["relevant"]]
    summary = {
        arm: {
            "ndcg@10": float(np.mean([q[arm]["ndcg@10"] for q in labelled])),
            "recall@10": float(np.mean([q[arm]["recall@10"] for q in labelled])),
            "nonsense results": sum(q[arm]["results"] for q in per_query if not q["relevant"]),
        }
        for arm in ARMS
    }
    return {"queries": per_query, "summary": summary}


def table(result: dict[str, Any]) -> str:
    lines = [f"{'query':<14}{'rel':>4}  " + "".join(f"{arm + ' nDCG/R@10':>27}" for arm in ARMS)]
    for q in result["queries"]:
        if q["relevant"]:
            cells = "".join(f"{q[a]['ndcg@10']:>18.2f} / {q[a]['recall@10']:.2f}" for a in ARMS)
        else:
            cells = "".join(f"{'results: ' + str(q[a]['results']):>27}" for a in ARMS)
        lines.append(f"{q['query']:<14}{q['relevant']:>4}  {cells}")
    lines.append("")
    for arm in ARMS:
        s = result["summary"][arm]
        lines.append(
            f"{arm:<13} nDCG@10 {s['ndcg@10']:.3f}   recall@10 {s['recall@10']:.3f}"
            f"   results for {len(NONSENSE)} nonsense queries: {s['nonsense results']}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="per-query figures and the summary as JSON")
    parser.add_argument(
        "--fresh", action="store_true", help="describe again (else cached in benchmarks/.data)"
    )
    args = parser.parse_args()
    os.environ["EVENTLENS_HOME"] = str(scale_data.DATA / "home")
    os.environ.setdefault("EVENTLENS_TOKEN_SECRET", "benchmark-" + "x" * 32)
    sys.path.insert(0, str(ROOT / "tests"))
    from eventlens.config import reset_settings
    from eventlens.db import close_pool

    started = time.perf_counter()
    gallery = photos()
    cache = scale_data.DATA / "photo_quality_descriptions.pickle"
    if cache.exists() and not args.fresh:  # the describers are the slow part; --fresh redoes them
        descriptions, seconds = pickle.loads(cache.read_bytes())  # noqa: S301 - our own file
    else:
        descriptions, seconds = describe_all(gallery)
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_bytes(pickle.dumps((descriptions, seconds)))
    url, events = build(gallery, descriptions)
    built = time.perf_counter() - started
    os.environ["DATABASE_URL"] = url
    close_pool()
    reset_settings()
    result = evaluate(gallery, events)
    if args.json:
        print(json.dumps(result | {"describe_seconds": seconds}, indent=2, default=str))
        return
    print(
        f"$ {' '.join(sys.argv)}\nmachine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores,"
        f" Python {platform.python_version()}, embedded PostgreSQL (pgserver)\n"
        f"gallery: {len(gallery)} real photos ({sum(1 for p in gallery if p.key.startswith('lfw/'))} of them"
        f" 25 px LFW crops), {len(QUERIES)} labelled queries + {len(NONSENSE)} nonsense, one event per arm;"
        f" built in {built:.0f} s (describe: "
        + ", ".join(f"{a} {s:.1f} s" for a, s in seconds.items())
        + ")\n"
    )
    print(table(result))


if __name__ == "__main__":
    main()
