"""Synthetic event data at scale for the search benchmarks, cached under benchmarks/.data.

    .venv/bin/python benchmarks/scale_data.py --photos 10000 --photos 100000

One embedded PostgreSQL (pgserver) in benchmarks/.data/pg, one database per size (`scale_<n>`),
one event per database, with the roles of production: the server's superuser only provisions
(`eventlens_owner` and the extensions, db/embedded.py), the data is loaded and migrated as that
owner (no superuser), and the benchmarks search as `eventlens_app`. Photos get realistic descriptions (scene, people, badge text, file
names), topic-clustered unit vectors in the text model's space, pHashes with near and exact
copies; faces (3 per photo) are identities plus noise so a person's faces sit at cosine ~0.6,
strangers near 0 (what SFace gives on real photos). Rows go in by binary COPY, indexes are built
after the load with a large maintenance_work_mem: 100k photos + 300k faces take a few minutes once.
"""

from __future__ import annotations

import argparse
import hashlib
import time
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import numpy as np
import psycopg

DATA = Path(__file__).resolve().parent / ".data"
TEXT_MODEL, TEXT_DIM = "minilm-l6-v2", 384
FACE_MODEL, FACE_DIM = "sface", 128
FACES_PER_PHOTO = 3
FACES_PER_PERSON = 15
"""An attendee of a 100k-photo event appears in many photos; 15 keeps each top-10 one person."""
FACE_NOISE = 0.072
"""Per-dimension noise: cos(identity + n1, identity + n2) ~ 1 / (1 + 128 * 0.072^2) ~ 0.6."""
TOPICS = 300

SCENES = [
    "keynote speech on the main stage",
    "panel discussion with four speakers",
    "networking reception with drinks",
    "registration desk in the hotel lobby",
    "award ceremony with trophies",
    "workshop with laptops on long tables",
    "gala dinner with round tables and candles",
    "live band playing on a small stage",
    "coffee break by the window",
    "group photo on the stairs",
    "product demo at an exhibition booth",
    "sunset rooftop party",
    "graduation ceremony on the lawn",
    "startup pitch in front of judges",
    "hackathon team coding at night",
    "poster session in a busy hall",
    "yoga session on the terrace",
    "dance floor with colourful lights",
]
PEOPLE = [
    "a woman in a red dress laughing",
    "two men shaking hands",
    "a speaker holding a microphone",
    "a group of friends raising glasses",
    "a man with glasses taking notes",
    "a child waving at the camera",
    "an older man in a grey suit",
    "a woman with curly hair presenting slides",
    "volunteers in blue t-shirts",
    "a photographer crouching",
    "a bride and groom dancing",
    "students in caps and gowns",
]
NAMES = [
    "Priyanka",
    "Mohammed",
    "Sofia",
    "Chen Wei",
    "Olusegun",
    "Ingrid",
    "Mateo",
    "Aiko",
    "Fatima",
    "Lukas",
    "Harvard",
    "Stanford",
    "MIT",
    "Oxford",
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella Labs",
]
SIGNS = [
    "HELLO my name is {name}",
    "{name} University",
    "AI Summit 2024",
    "Welcome to {name}",
    "EXIT",
    "Sponsored by {name}",
    "Main Stage",
    "Workshop Room B",
    "{name} Alumni Reunion",
    "Coffee & Tea",
]


def server() -> Any:
    import pgserver

    (DATA / "pg").parent.mkdir(parents=True, exist_ok=True)
    return pgserver.get_server(DATA / "pg", cleanup_mode="stop")


def admin_url(database: str = "postgres") -> str:
    """The embedded server's superuser: provisioning (and the benchmarks' LEAKPROOF comparison) only."""
    return str(server().get_uri(database))


def database_name(photos: int) -> str:
    return f"scale_{photos}_p{FACES_PER_PERSON}"


def database_url(photos: int) -> str:
    """The owner's URL of the `photos`-sized database (provisioned, not necessarily built)."""
    from eventlens.db.embedded import provision

    return provision(admin_url(), database_name(photos))


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def topics(seed: int = 1) -> np.ndarray:
    """Topic centres of the description space: the first draw of the build's generator."""
    return unit(np.random.default_rng(seed).normal(size=(TOPICS, TEXT_DIM)))


def text_rows(rng: np.random.Generator, n: int) -> list[tuple[str, str, str, str, int]]:
    """(filename, visible_text, people, scene, topic) per photo."""
    out = []
    for i in range(n):
        topic = int(rng.integers(TOPICS))
        scene = SCENES[topic % len(SCENES)]
        people = " and ".join(rng.choice(PEOPLE, int(rng.integers(1, 3)), replace=False))
        sign = str(rng.choice(SIGNS)).format(name=rng.choice(NAMES)) if rng.random() < 0.4 else ""
        out.append((f"IMG_{i:06d}.jpg", sign, people.capitalize(), scene.capitalize(), topic))
    return out


def phashes(rng: np.random.Generator, n: int) -> tuple[np.ndarray, list[str]]:
    """pHashes and content hashes: 3 % copies with an equal dHash, 7 % re-encodes 1-5 bits away.

    Every content hash differs: byte-identical files are one photo (migration 0011)."""
    values = rng.integers(np.iinfo(np.int64).min, np.iinfo(np.int64).max, n, dtype=np.int64)
    content = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(n)]
    for i in range(1, n):
        roll = rng.random()
        if roll < 0.03:
            j = int(rng.integers(i))
            values[i] = values[j]
        elif roll < 0.10:
            j = int(rng.integers(i))
            flips = rng.choice(64, int(rng.integers(1, 6)), replace=False)
            mask = np.uint64(sum(1 << int(b) for b in flips))
            values[i] = (values[j].view(np.uint64) ^ mask).view(np.int64)
    return values, content


def build(photos: int, seed: int = 1) -> str:
    """Create and fill `scale_<photos>` unless it is already complete; return its URL."""
    from eventlens.db.embedded import provision

    srv = server()
    name = database_name(photos)
    if "(1 row)" in srv.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}';"):
        url = provision(admin_url(), name)  # also hands a database built as the superuser over
        with psycopg.connect(url) as conn:
            done = conn.execute("SELECT to_regclass('scale_done') IS NOT NULL").fetchone()
            if done and done[0]:
                return url
        srv.psql(f'DROP DATABASE "{name}";')
    url = provision(admin_url(), name)
    from eventlens.db.migrate import upgrade

    upgrade(url)
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        from pgvector.psycopg import register_vector

        register_vector(conn)
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('photos', 'face_embeddings')"
            " AND indexdef NOT LIKE 'CREATE UNIQUE%'"
        ).fetchall()
        for index_name, _ in indexes:
            conn.execute(f'DROP INDEX "{index_name}"')
        event_id = uuid4()
        conn.execute(
            "INSERT INTO events (id, slug, name, organization_id) VALUES (%s, 'bench', 'Benchmark event',"
            " (SELECT id FROM organizations WHERE slug = 'default'))",
            (event_id,),
        )
        topics = unit(rng.normal(size=(TOPICS, TEXT_DIM)))
        texts = text_rows(rng, photos)
        hashes, content = phashes(rng, photos)
        photo_ids = [uuid4() for _ in range(photos)]
        embeddings = unit(topics[[t[4] for t in texts]] + rng.normal(scale=0.06, size=(photos, TEXT_DIM)))
        with conn.cursor().copy(
            "COPY photos (id, event_id, source_key, content_hash, filename, visible_text,"
            " people_descriptions, scene_description, dhash, face_count, embedding, embedding_model,"
            " analyze_status, describe_status, embed_status, faces_status) FROM STDIN WITH (FORMAT BINARY)"
        ) as copy:
            copy.set_types(
                [
                    "uuid",
                    "uuid",
                    "text",
                    "text",
                    "text",
                    "text",
                    "text",
                    "text",
                    "int8",
                    "int4",
                    "vector",
                    "text",
                    "text",
                    "text",
                    "text",
                    "text",
                ]
            )
            for i, (filename, sign, people, scene, _) in enumerate(texts):
                copy.write_row(
                    (
                        photo_ids[i],
                        event_id,
                        f"events/bench/originals/{filename}",
                        content[i],
                        filename,
                        sign,
                        people,
                        scene,
                        int(hashes[i]),
                        FACES_PER_PHOTO,
                        embeddings[i],
                        TEXT_MODEL,
                        "completed",
                        "completed",
                        "completed",
                        "completed",
                    )
                )
        load_faces(conn, rng, event_id, photo_ids)
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute("SET max_parallel_maintenance_workers = 2")
        for _, definition in indexes:
            conn.execute(definition)
        conn.execute("ANALYZE photos")
        conn.execute("ANALYZE face_embeddings")
        conn.execute("CREATE TABLE scale_done (event_id uuid, seconds real)")
        conn.execute("INSERT INTO scale_done VALUES (%s, %s)", (event_id, time.perf_counter() - started))
    return url


def identities(photos: int, seed: int = 2) -> np.ndarray:
    """The people of a `photos`-sized event (deterministic, so benchmarks can make selfies of them)."""
    people = photos * FACES_PER_PHOTO // FACES_PER_PERSON
    return unit(np.random.default_rng(seed).normal(size=(people, FACE_DIM)))


def selfie(person: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return unit((person + rng.normal(scale=FACE_NOISE, size=person.shape))[None])[0]


def load_faces(
    conn: psycopg.Connection[Any], rng: np.random.Generator, event_id: UUID, photo_ids: list[UUID]
) -> None:
    people = identities(len(photo_ids))
    total = len(photo_ids) * FACES_PER_PHOTO
    owner = np.repeat(np.arange(len(people)), FACES_PER_PERSON)[:total]
    rng.shuffle(owner)
    with conn.cursor().copy(
        "COPY face_embeddings (event_id, photo_id, face_index, model, bbox, det_score, embedding)"
        " FROM STDIN WITH (FORMAT BINARY)"
    ) as copy:
        copy.set_types(["uuid", "uuid", "int4", "text", "float4[]", "float4", "vector"])
        for start in range(0, total, 10_000):
            chunk = owner[start : start + 10_000]
            vectors = unit(people[chunk] + rng.normal(scale=FACE_NOISE, size=(len(chunk), FACE_DIM)))
            for offset, vector in enumerate(vectors):
                face = start + offset
                box = [float(v) for v in rng.uniform(20, 400, 4)]
                copy.write_row(
                    (
                        event_id,
                        photo_ids[face // FACES_PER_PHOTO],
                        face % FACES_PER_PHOTO,
                        FACE_MODEL,
                        box,
                        float(rng.uniform(0.6, 1.0)),
                        vector,
                    )
                )


def event_id(url: str) -> UUID:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT event_id FROM scale_done").fetchone()
        assert row is not None
        return UUID(str(row[0]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--photos", type=int, action="append", help="sizes to build (default 10000 and 100000)"
    )
    args = parser.parse_args()
    for photos in args.photos or [10_000, 100_000]:
        started = time.perf_counter()
        url = build(photos)
        print(
            f"scale_{photos}: {photos} photos, {photos * FACES_PER_PHOTO} faces ready in "
            f"{time.perf_counter() - started:.1f} s ({url})"
        )


if __name__ == "__main__":
    main()
