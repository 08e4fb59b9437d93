"""Search relevance: the seed's additive weights against Reciprocal Rank Fusion, on labelled queries.

    .venv/bin/python benchmarks/search_relevance.py   # [--photos 1200] [--seed 7] [--json]; ~30 s first run

Issue 4 asks to keep the seed's additive weights as the baseline, measure RRF against it and keep
the better. This builds (once, cached in benchmarks/.data like scale_data.py) a gallery whose
text fields are generated from known facts per photo: a scene, one or two people, sometimes a
sign or badge with a name on it, a file name. Each fact has several wordings, so the same scene
is "Keynote speech on the main stage" in one photo and "A speaker addressing a packed auditorium"
in another, as a describer would vary it. Description embeddings are the real MiniLM vectors of
the pipeline's embed document (eventlens.pipeline.phases.embed.document).

Every query's relevance labels come from those facts, never from a search result: 2 = what the
query asks for (the scene, the person, the name, or every facet of a multi-word query), 1 = part
of it or a closely related scene. Both rules then run the real search path (`ranked_candidates`:
the one hybrid SQL statement against the embedded PostgreSQL, then `fuse`) for every query.

Metrics: nDCG@10 (gain 2^grade - 1), MRR of the first grade-2 photo, precision@10 and recall@50
over grade >= 1 (recall's denominator is min(relevant, 50), so 1.0 is reachable). No-match queries
have no labels; their result counts are reported instead (both should be 0).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from uuid import UUID, uuid5

import numpy as np
import psycopg
from eventlens.search.fusion import Method

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale_data

VERSION = 1
"""Bump when the generator changes: the cached database is rebuilt when its fingerprint differs."""

NAMESPACE = UUID("6f1d8a52-3c1b-4f4e-9a57-0d6c2b1e9e41")

# --- the facts and their wordings ----------------------------------------------------------------
# The first wording of each scene and person is scale_data's; the others say the same thing in
# other words, so a query only finds all of them by meaning.

_SCENE_KEYS = (
    "keynote",
    "panel",
    "reception",
    "registration",
    "awards",
    "workshop",
    "gala",
    "band",
    "coffee",
    "group",
    "expo",
    "rooftop",
    "graduation",
    "pitch",
    "hackathon",
    "poster",
    "yoga",
    "dance",
)
_SCENE_VARIANTS = (
    (
        "A speaker addressing a packed auditorium",
        "Opening talk under bright lights with slides on a big screen",
    ),
    (
        "Four panelists seated on stage answering audience questions",
        "Moderated debate between experts on high stools",
    ),
    ("Guests mingling and chatting with glasses of wine", "Evening cocktail mixer in a crowded foyer"),
    ("Attendees queueing to collect their badges at check-in", "Welcome counter with lanyards laid out"),
    ("Winners holding glass trophies on stage", "Prize giving with a winner accepting a plaque"),
    ("Hands-on training session with participants at laptops", "Small group exercise around a whiteboard"),
    (
        "Formal banquet in a ballroom with white tablecloths",
        "Evening meal with plated courses and candlelight",
    ),
    ("Musicians performing with guitars and drums", "A singer and a guitarist under coloured spotlights"),
    ("Attendees chatting over cups of coffee and pastries", "Refreshment break at a tea and coffee station"),
    ("Large team posing together in rows on the steps", "Everyone gathered for a group portrait outside"),
    ("Exhibitor showing a gadget to visitors at a stand", "Busy trade show floor with sponsor stands"),
    ("Evening terrace party with the city skyline at dusk", "Guests on a roof deck as the sun goes down"),
    (
        "Graduates tossing their caps in the air outside",
        "Commencement with diplomas handed out under a marquee",
    ),
    (
        "Founder presenting a business plan to a jury of investors",
        "Entrepreneurs pitching while judges take notes",
    ),
    (
        "Programmers writing software late into the night",
        "Developers building a prototype during an all-night sprint",
    ),
    (
        "Researchers explaining printed posters to visitors",
        "Scientific poster boards lined up in an exhibition hall",
    ),
    ("Morning stretching class on mats outdoors", "Instructor leading a meditation and stretching session"),
    ("Guests dancing under disco lights", "Crowded dance floor at the after party"),
)
SCENES: dict[str, tuple[str, ...]] = {
    key: (scale_data.SCENES[i].capitalize(), *_SCENE_VARIANTS[i]) for i, key in enumerate(_SCENE_KEYS)
}

_PEOPLE_KEYS = (
    "laughing",
    "handshake",
    "speaker",
    "toast",
    "notes",
    "child",
    "suit",
    "slides",
    "volunteers",
    "photographer",
    "couple",
    "students",
)
_PEOPLE_VARIANTS = (
    ("attendees smiling broadly", "a group of guests grinning at a joke"),
    ("two colleagues greeting each other",),
    ("a presenter talking into a handheld mic",),
    ("guests clinking champagne flutes",),
    ("an attendee writing in a notebook",),
    ("a little girl waving hello",),
    ("a grey-haired gentleman in a business suit",),
    ("a curly-haired woman pointing at a projected chart",),
    ("helpers wearing matching blue shirts",),
    ("a person kneeling with a camera",),
    ("newlyweds sharing their first dance",),
    ("young graduates in academic gowns",),
)
PEOPLE: dict[str, tuple[str, ...]] = {
    key: (scale_data.PEOPLE[i], *_PEOPLE_VARIANTS[i]) for i, key in enumerate(_PEOPLE_KEYS)
}

PERSONS = {  # scale_data.NAMES' first names, with the surnames a badge prints
    "Priyanka": "Priyanka Sharma",
    "Mohammed": "Mohammed Al-Rashid",
    "Sofia": "Sofia Rossi",
    "Chen Wei": "Chen Wei",
    "Olusegun": "Olusegun Adeyemi",
    "Ingrid": "Ingrid Larsen",
    "Mateo": "Mateo Fernandez",
    "Aiko": "Aiko Tanaka",
    "Fatima": "Fatima Zahra",
    "Lukas": "Lukas Becker",
}
UNIVERSITIES = ("Harvard", "Stanford", "MIT", "Oxford")
COMPANIES = ("Acme Corp", "Globex", "Initech", "Umbrella Labs")
SIGNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # kind: (templates, names)
    "badge": (
        ("HELLO my name is {name}", "SPEAKER {name}", "{name} AI Summit 2024"),
        tuple(PERSONS.values()),
    ),
    "university": (("{name} University", "Class of 2024 {name}", "Go {name}!"), UNIVERSITIES),
    "alumni": (("{name} Alumni Reunion",), UNIVERSITIES),
    "company": (("Sponsored by {name}", "{name} booth", "Welcome to {name}"), COMPANIES),
    "generic": (
        ("AI Summit 2024", "EXIT", "Wi-Fi summit2024", "Room 3B", "Please silence your phones"),
        ("",),
    ),
}
SIGN_ODDS = {"badge": 0.16, "university": 0.08, "alumni": 0.04, "company": 0.08, "generic": 0.09}
"""Share of photos per kind of visible text: 45 % show some (scale_data: 40 %)."""

DETAILS = ("", "", "soft evening light", "shot from a low angle", "slightly blurred background", "wide view")
FILE_SLUGS = {"gala": "gala-dinner", "band": "live-music", "expo": "expo", "graduation": "commencement"}
PLANTED: tuple[tuple[str, str, str, int], ...] = (
    # (scene, sign kind, name, copies): combinations the multi-word queries ask for, so each has
    # a few photos that satisfy every facet (chance alone gives some of them none).
    ("graduation", "university", "Harvard", 4),
    ("keynote", "badge", PERSONS["Priyanka"], 4),
    ("reception", "alumni", "Stanford", 4),
    ("expo", "company", "Acme Corp", 4),
    ("hackathon", "university", "MIT", 4),
)


@dataclass(frozen=True)
class Photo:
    id: UUID
    filename: str
    folder: str
    visible_text: str
    people_descriptions: str
    scene_description: str
    scene: str
    people: tuple[str, ...]
    sign: str | None
    name: str | None


def gallery(photos: int, seed: int = 7) -> list[Photo]:
    """The labelled gallery: the same photos for the same (photos, seed)."""
    rng = np.random.default_rng(seed)
    kinds, odds = list(SIGN_ODDS), np.array(list(SIGN_ODDS.values()))
    plan: list[tuple[str, str | None, str | None]] = []
    for _ in range(photos):
        scene = _SCENE_KEYS[int(rng.integers(len(_SCENE_KEYS)))]
        roll, kind = rng.random(), None
        if roll < odds.sum():
            kind = kinds[int(np.searchsorted(np.cumsum(odds), roll, side="right"))]
        name = str(rng.choice(SIGNS[kind][1])) if kind else None
        plan.append((scene, kind, name))
    plan += [(scene, kind, name) for scene, kind, name, copies in PLANTED for _ in range(copies)]
    out = []
    for i, (scene, kind, name) in enumerate(plan):
        wording = str(rng.choice(SCENES[scene]))
        detail = str(rng.choice(DETAILS))
        people = tuple(str(p) for p in rng.choice(_PEOPLE_KEYS, int(rng.integers(1, 3)), replace=False))
        said = " and ".join(str(rng.choice(PEOPLE[p])) for p in people)
        text = str(rng.choice(SIGNS[kind][0])).format(name=name) if kind else ""
        if scene in FILE_SLUGS and rng.random() < 0.5:
            filename = f"{FILE_SLUGS[scene]}_{i:04d}.jpg"
        else:
            filename = f"DSC_{i:05d}.jpg"
        out.append(
            Photo(
                id=uuid5(NAMESPACE, f"{seed}/{i}"),
                filename=filename,
                folder=f"day-{1 + i % 2}",
                visible_text=text,
                people_descriptions=said[0].upper() + said[1:],
                scene_description=wording + (f", {detail}" if detail else ""),
                scene=scene,
                people=people,
                sign=kind,
                name=name if kind != "generic" else None,
            )
        )
    return out


# --- the labelled queries ---------------------------------------------------------------------

Rule = Callable[[Photo], bool]


def scene(*keys: str) -> Rule:
    return lambda p: p.scene in keys


def person(*keys: str) -> Rule:
    return lambda p: bool(set(p.people) & set(keys))


def named(name: str, kind: str | None = None) -> Rule:
    return lambda p: p.name is not None and name in p.name and (kind is None or p.sign == kind)


def every(*rules: Rule) -> Rule:
    return lambda p: all(rule(p) for rule in rules)


@dataclass(frozen=True)
class Query:
    category: str
    text: str
    best: tuple[Rule, ...] = ()
    partial: tuple[Rule, ...] = ()

    def grade(self, photo: Photo) -> int:
        if any(rule(photo) for rule in self.best):
            return 2
        return 1 if any(rule(photo) for rule in self.partial) else 0


def _q(category: str, text: str, best: Rule | tuple[Rule, ...], partial: tuple[Rule, ...] = ()) -> Query:
    return Query(category, text, best if isinstance(best, tuple) else (best,), partial)


def _facets(category: str, text: str, *facets: Rule) -> Query:
    """A multi-facet query: all facets = 2, any one of them = 1."""
    return Query(category, text, (every(*facets),), facets)


QUERIES: tuple[Query, ...] = (
    _q("exact", "keynote", scene("keynote"), (scene("panel", "pitch"), person("speaker"))),
    _q("exact", "hackathon", scene("hackathon"), (scene("workshop"),)),
    _q("exact", "trophies", scene("awards")),
    _q("exact", "yoga", scene("yoga")),
    _q("exact", "Harvard", named("Harvard")),
    _q("exact", "Acme Corp", named("Acme Corp")),
    _q("exact", "graduation", scene("graduation"), (person("students"),)),
    _q("exact", "volunteers", person("volunteers")),
    _q("stemmed", "speeches", scene("keynote"), (scene("panel", "pitch"), person("speaker"))),
    _q("stemmed", "awards", scene("awards")),
    _q("stemmed", "dances", (scene("dance"), person("couple"))),
    _q("stemmed", "presentations", person("slides"), (scene("keynote", "pitch"),)),
    _q("stemmed", "workshops", scene("workshop"), (scene("hackathon"),)),
    _q("stemmed", "posters", scene("poster")),
    _q("stemmed", "graduates", (scene("graduation"), person("students"))),
    _q("stemmed", "photographers", person("photographer")),
    _q("typo", "Harvrd", named("Harvard")),
    _q("typo", "Stanfrod", named("Stanford")),
    _q("typo", "Priyanaka", named("Priyanka")),
    _q("typo", "hackaton", scene("hackathon"), (scene("workshop"),)),
    _q("typo", "graduaton", scene("graduation"), (person("students"),)),
    _q("typo", "Olusegn", named("Olusegun")),
    _q("typo", "Initeck", named("Initech")),
    _q("partial name", "Priyank", named("Priyanka")),
    _q("partial name", "Moham", named("Mohammed")),
    _q("partial name", "Adeyem", named("Adeyemi")),
    _q("partial name", "Umbrella", named("Umbrella Labs")),
    _q("partial name", "Tanak", named("Tanaka")),
    _q("partial name", "Glob", named("Globex")),
    _q("paraphrase", "people laughing", person("laughing")),
    _q("paraphrase", "cheerful faces", person("laughing")),
    _q(
        "paraphrase",
        "someone giving a talk",
        (scene("keynote"), person("speaker")),
        (scene("panel", "pitch"),),
    ),
    _q("paraphrase", "music performance", scene("band"), (scene("dance"),)),
    _q("paraphrase", "wedding couple", person("couple")),
    _q("paraphrase", "exercise class outdoors", scene("yoga")),
    _q("paraphrase", "celebrating with drinks", (person("toast"), scene("reception")), (scene("rooftop"),)),
    _q("paraphrase", "founders asking for funding", scene("pitch")),
    _q("paraphrase", "formal dinner", scene("gala")),
    _q("paraphrase", "kids", person("child")),
    _q("paraphrase", "coders pulling an all-nighter", scene("hackathon"), (scene("workshop"),)),
    _facets("multi-word", "Harvard graduation", named("Harvard"), scene("graduation")),
    _facets("multi-word", "Priyanka keynote", named("Priyanka"), scene("keynote")),
    _facets("multi-word", "Stanford alumni reunion", named("Stanford"), named("", "alumni")),
    _facets("multi-word", "Acme booth demo", named("Acme Corp"), scene("expo")),
    _facets("multi-word", "MIT hackathon", named("MIT"), scene("hackathon")),
    _facets("multi-word", "speaker with microphone on main stage", person("speaker"), scene("keynote")),
    _facets("multi-word", "students throwing caps at graduation", person("students"), scene("graduation")),
    _q("multi-word", "award ceremony trophies", scene("awards")),
    _q("no match", "quantum chromodynamics", ()),
    _q("no match", "banana", ()),
    _q("no match", "tax return deadline", ()),
    _q("no match", "submarine volcano", ()),
    _q("no match", "zxqv", ()),
)
CATEGORIES = tuple(dict.fromkeys(q.category for q in QUERIES))


# --- the cached database -----------------------------------------------------------------------


def fingerprint(photos: list[Photo]) -> str:
    digest = hashlib.sha256(f"v{VERSION}".encode())
    for p in photos:
        digest.update(
            f"{p.id}|{p.filename}|{p.visible_text}|{p.people_descriptions}|{p.scene_description}".encode()
        )
    return digest.hexdigest()


def build(photos: list[Photo], seed: int) -> tuple[str, UUID]:
    """Create and fill `relevance_<n>_s<seed>` unless it already holds exactly these photos."""
    from eventlens.db.migrate import MigrationError, upgrade

    srv = scale_data.server()
    name, print_ = f"relevance_{len(photos)}_s{seed}", fingerprint(photos)
    if "(1 row)" in srv.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}';"):
        url = str(srv.get_uri(name))
        try:
            upgrade(url)  # migrations newer than the cached data
        except MigrationError:
            pass  # built by an edited migration: build it again
        else:
            with psycopg.connect(url) as conn:
                if conn.execute("SELECT to_regclass('relevance_done') IS NOT NULL").fetchone() == (True,):
                    row = conn.execute("SELECT event_id, fingerprint FROM relevance_done").fetchone()
                    if row and row[1] == print_:
                        return url, UUID(str(row[0]))
        srv.psql(f'DROP DATABASE "{name}";')
    srv.psql(f'CREATE DATABASE "{name}";')
    url = str(srv.get_uri(name))
    upgrade(url)
    from eventlens.ml.text import MINILM, text_embedder
    from eventlens.pipeline.phases.embed import document
    from eventlens.pipeline.phases.tag import auto_tag

    started = time.perf_counter()
    rows = [
        {
            "filename": p.filename,
            "folder": p.folder,
            "visible_text": p.visible_text,
            "people_descriptions": p.people_descriptions,
            "scene_description": p.scene_description,
            "face_count": len(p.people),
        }
        for p in photos
    ]
    vectors = text_embedder(MINILM).embed([document(SimpleNamespace(**r)) for r in rows])  # type: ignore[arg-type]
    event_id = uuid5(NAMESPACE, "event")
    with psycopg.connect(url, autocommit=True) as conn:
        from eventlens.db.vectors import MODEL_DIMS, ensure_space
        from pgvector.psycopg import register_vector

        register_vector(conn)
        conn.execute(
            "INSERT INTO events (id, slug, name, organization_id) VALUES (%s, 'relevance', 'Relevance',"
            " (SELECT id FROM organizations WHERE slug = 'default'))",
            (event_id,),
        )
        ensure_space(conn, "description", MINILM, MODEL_DIMS[MINILM])
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO photos (id, event_id, source_key, content_hash, filename, folder, visible_text,"
                " people_descriptions, scene_description, face_count, auto_tag, embedding, embedding_model,"
                " analyze_status, describe_status, embed_status, faces_status)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
                " 'completed', 'completed', 'completed', 'completed')",
                [
                    (
                        p.id,
                        event_id,
                        f"events/relevance/originals/{p.folder}/{p.filename}",
                        hashlib.sha256(str(p.id).encode()).hexdigest(),
                        p.filename,
                        p.folder,
                        p.visible_text,
                        p.people_descriptions,
                        p.scene_description,
                        row["face_count"],
                        auto_tag(SimpleNamespace(**row)),  # type: ignore[arg-type]
                        vector,
                        MINILM,
                    )
                    for p, row, vector in zip(photos, rows, vectors, strict=True)
                ],
            )
        conn.execute("ANALYZE photos")
        conn.execute("CREATE TABLE relevance_done (event_id uuid, fingerprint text, seconds real)")
        conn.execute(
            "INSERT INTO relevance_done VALUES (%s, %s, %s)",
            (event_id, print_, time.perf_counter() - started),
        )
    return url, event_id


# --- metrics -----------------------------------------------------------------------------------


def metrics(ranked: list[UUID], grades: dict[UUID, int]) -> dict[str, float]:
    """nDCG@10, MRR (first grade 2), P@10 and recall@50 (grade >= 1) of one ranked list."""

    def dcg(gains: list[int]) -> float:
        return sum((2**g - 1) / math.log2(rank + 2) for rank, g in enumerate(gains[:10]))

    got = [grades.get(photo_id, 0) for photo_id in ranked]
    ideal = dcg(sorted(grades.values(), reverse=True))
    first = next((rank for rank, g in enumerate(got, start=1) if g == 2), None)
    relevant = sum(1 for g in grades.values() if g > 0)
    return {
        "ndcg@10": dcg(got) / ideal,
        "mrr": 1.0 / first if first else 0.0,
        "p@10": sum(1 for g in got[:10] if g > 0) / 10,
        "recall@50": sum(1 for g in got[:50] if g > 0) / min(relevant, 50),
    }


def mean(rows: list[dict[str, float]]) -> dict[str, float]:
    return {key: float(np.mean([r[key] for r in rows])) for key in rows[0]}


def evaluate(event: Any, photos: list[Photo], methods: tuple[Method, ...]) -> dict[str, Any]:
    from eventlens.db.photos import PhotoFilter
    from eventlens.ml.text import MINILM, text_embedder
    from eventlens.scope import Scope
    from eventlens.search.service import ranked_candidates

    embedder = text_embedder(MINILM)
    per_query: list[dict[str, Any]] = []
    for query in QUERIES:
        grades = {p.id: g for p in photos if (g := query.grade(p))}
        if query.category != "no match":
            assert any(g == 2 for g in grades.values()), f"no grade-2 photo for {query.text!r}"
        embedding = embedder.embed_query(query.text)
        entry: dict[str, Any] = {"query": query.text, "category": query.category, "relevant": len(grades)}
        for method in methods:
            with Scope.visitor(event).transaction() as tx:
                ranked, _ = ranked_candidates(tx, query.text, PhotoFilter(), embedding, method=method)
            ids = [r.candidate.id for r in ranked]
            entry[method] = {"results": len(ids)} | (metrics(ids, grades) if grades else {})
        per_query.append(entry)
    summary: dict[str, Any] = {}
    for method in methods:
        labelled = [q for q in per_query if q["category"] != "no match"]
        summary[method] = {"overall": mean([q[method] for q in labelled])}
        for category in CATEGORIES:
            rows = [q[method] for q in per_query if q["category"] == category]
            summary[method][category] = (
                {"results": sum(r["results"] for r in rows)} if category == "no match" else mean(rows)
            )
    return {"queries": per_query, "summary": summary}


def table(result: dict[str, Any], methods: tuple[Method, ...]) -> str:
    keys = ("ndcg@10", "mrr", "p@10", "recall@50")
    counts = {c: sum(1 for q in QUERIES if q.category == c) for c in CATEGORIES}
    counts["overall"] = sum(n for c, n in counts.items() if c != "no match")
    lines = [f"{'category':<14}{'n':>3}  {'method':<9}" + "".join(f"{k:>10}" for k in keys)]
    for category in ("overall", *CATEGORIES):
        for method in methods:
            row = result["summary"][method][category]
            if category == "no match":
                cells = f"   results over {counts[category]} queries: {row['results']}"
            else:
                cells = "".join(f"{row[k]:>10.3f}" for k in keys)
            lines.append(f"{category:<14}{counts[category]:>3}  {method:<9}{cells}")
    lines.append(
        "\nno-match queries, results per method: "
        + "; ".join(
            f"{q['query']!r} " + "/".join(str(q[m]["results"]) for m in methods)
            for q in result["queries"]
            if q["category"] == "no match"
        )
    )
    differ = [
        q
        for q in result["queries"]
        if q["category"] != "no match" and len({round(q[m]["ndcg@10"], 3) for m in methods}) > 1
    ]
    lines.append(
        f"queries whose nDCG@10 differs ({'/'.join(methods)}): "
        + "; ".join(f"{q['query']!r} " + "/".join(f"{q[m]['ndcg@10']:.2f}" for m in methods) for q in differ)
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=1200, help="random photos (plus the planted ones)")
    parser.add_argument("--json", action="store_true", help="per-query figures and the summary as JSON")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    os.environ["EVENTLENS_HOME"] = str(scale_data.DATA / "home")
    os.environ.setdefault("EVENTLENS_TOKEN_SECRET", "benchmark-" + "x" * 32)
    from eventlens.config import reset_settings
    from eventlens.db import close_pool
    from eventlens.types import Event

    started = time.perf_counter()
    photos = gallery(args.photos, args.seed)
    url, event_id = build(photos, args.seed)
    built = time.perf_counter() - started
    os.environ["DATABASE_URL"] = url
    close_pool()
    reset_settings()
    event = Event(id=event_id, slug="relevance", name="Relevance")
    methods: tuple[Method, ...] = ("weighted", "rrf")
    result = evaluate(event, photos, methods)
    if args.json:
        print(json.dumps(result, indent=2, default=str))
        return
    print(
        f"$ {' '.join(sys.argv)}\nmachine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores,"
        f" Python {platform.python_version()}, embedded PostgreSQL (pgserver) in {scale_data.DATA / 'pg'}\n"
        f"gallery: {len(photos)} photos with real MiniLM description embeddings (ready in {built:.1f} s),"
        f" {len(QUERIES)} labelled queries; weighted = seed's additive weights, rrf = Reciprocal Rank Fusion\n"
    )
    print(table(result, methods))
    overall = {m: result["summary"][m]["overall"]["ndcg@10"] for m in methods}
    best = max(methods, key=lambda m: overall[m])
    print(f"\nbetter by nDCG@10: {best} ({overall[best]:.3f} vs {min(overall.values()):.3f})")


if __name__ == "__main__":
    main()
