"""Calibration of the album gate's near-duplicate rules on real photos (issue 15): dHash distance,
same-shot face similarity (albums.gate.same_shot) and, with --descriptions, the description
embedding's cosine (what the gate would use if it separated anything).

Photos: the repository's t1 and astronaut, and the labelled photos of ../shared/testdata/faces
(several photos each of four people, group shots). Each photo is also reframed (12 % off the left
and top, 4 % off the right and bottom) and mirrored. Pairs are: an edit against its original (a
near duplicate, the reviewer should see it), another photo of the same person, and photos of other
people (neither is a near duplicate).

    .venv/bin/python benchmarks/album_near_duplicates.py [--faces ../shared/testdata/faces] [--descriptions]
"""

from __future__ import annotations

import argparse
import itertools
import platform
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "layers" / "core"), str(ROOT)]

PHOTOS = {
    "obama": "knn_examples/train/obama/obama.jpg",
    "obama2": "knn_examples/train/obama/obama2.jpg",
    "obama1": "knn_examples/test/obama1.jpg",
    "obama3": "extra/obama3.jpg",
    "biden": "knn_examples/train/biden/biden.jpg",
    "biden2": "knn_examples/train/biden/biden2.jpg",
    "john1": "knn_examples/train/kit_harington/john1.jpeg",
    "john2": "knn_examples/train/kit_harington/john2.jpeg",
    "rose1": "knn_examples/train/rose_leslie/img1.jpg",
    "rose2": "knn_examples/train/rose_leslie/img2.jpg",
    "obama_and_biden": "knn_examples/test/obama_and_biden.jpg",
    "kit_with_rose": "knn_examples/test/kit_with_rose.jpg",
    "two_people": "extra/two_people.jpg",
}
PERSON = {"obama1": "obama", "obama2": "obama", "obama3": "obama", "biden2": "biden", "john2": "john1"}
PERSON |= {"rose2": "rose1"}
CROPS = {frozenset({"obama3", "two_people"}), frozenset({"biden", "two_people"})}
"""Photos cut from one shot (obama3 and biden are the two halves of two_people): near duplicates."""


def reframe(image: Image.Image) -> Image.Image:
    w, h = image.size
    return image.crop((int(0.12 * w), int(0.12 * h), int(0.96 * w), int(0.96 * h))).resize((w, h))


def mirror(image: Image.Image) -> Image.Image:
    return image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--faces", type=Path, default=ROOT.parent / "shared" / "testdata" / "faces")
    parser.add_argument("--descriptions", action="store_true", help="also describe (OCR + tags): minutes")
    args = parser.parse_args()

    from eventlens.albums import gate
    from eventlens.media.decode import dhash64
    from eventlens.ml.describe import DescribeContext, describer
    from eventlens.ml.faces import face_model
    from eventlens.ml.text import text_embedder

    from tests.fixtures_photos import real_image

    print(f"$ {' '.join(sys.argv)}")
    print(f"machine: {platform.machine()} {platform.processor() or ''} python {platform.python_version()}")
    images = {"t1": real_image("t1"), "astronaut": real_image("astronaut")}
    if args.faces.is_dir():
        images |= {name: Image.open(args.faces / path).convert("RGB") for name, path in PHOTOS.items()}
    else:
        print(f"no {args.faces}: the repository's photos only")
    model = face_model("sface")
    embedder = text_embedder()
    shots: dict[str, tuple[list[np.ndarray], int, np.ndarray | None]] = {}
    started = time.perf_counter()
    for name, image in images.items():
        for edit, change in (("", None), ("~reframe", reframe), ("~mirror", mirror)):
            shown = change(image) if change else image
            thumb = shown.resize((320, max(1, round(320 * shown.height / shown.width))))
            rgb = np.asarray(shown)
            vector = None
            if args.descriptions:
                d = describer("local").describe(rgb, DescribeContext(filename="", folder=""))
                vector = embedder.embed(["\n".join(p for p in (d.scene_description, d.visible_text) if p)])[0]
            shots[name + edit] = ([f.embedding for f in model.detect(rgb)], dhash64(thumb), vector)
    print(
        f"{len(shots)} photos ({len(images)} originals, each reframed and mirrored) measured in "
        f"{time.perf_counter() - started:.1f} s"
    )

    groups: dict[str, list[tuple[str, str, int, float, float | None]]] = {
        "edit": [],
        "crop": [],
        "same person": [],
        "other": [],
    }
    for a, b in itertools.combinations(shots, 2):
        base_a, base_b = a.split("~")[0], b.split("~")[0]
        if base_a == base_b:
            if a != base_a:
                continue  # edits against their original only
            kind = "edit"
        elif frozenset({base_a, base_b}) in CROPS:
            kind = "crop"
        elif PERSON.get(base_a, base_a) == PERSON.get(base_b, base_b):
            kind = "same person"
        else:
            kind = "other"
        fa, ha, va = shots[a]
        fb, hb, vb = shots[b]
        cosine = None if va is None or vb is None else float(va @ vb)
        groups[kind].append((a, b, gate.hamming(ha, hb), gate.same_shot(fa, fb), cosine))

    threshold = gate.SAME_SHOT_SIMILARITY["sface"]
    for kind, rows in groups.items():
        if not rows:
            continue
        faced = [r for r in rows if r[3] > 0]
        line = f"{kind:12s} pairs {len(rows):4d}: dHash {min(r[2] for r in rows)}-{max(r[2] for r in rows)} bits,"
        line += f" within {gate.NEAR_DUPLICATE_DISTANCE}: {sum(r[2] <= gate.NEAR_DUPLICATE_DISTANCE for r in rows)};"
        if faced:
            line += f" same_shot (pairs with faces: {len(faced)}) {min(r[3] for r in faced):.3f}-{max(r[3] for r in faced):.3f},"
            line += f" >= {threshold}: {sum(r[3] >= threshold for r in faced)}"
        cosines = [r[4] for r in rows if r[4] is not None]
        if cosines:
            line += f"; description cosine {min(cosines):.3f}-{max(cosines):.3f}"
        print(line)
    edits = groups["edit"]
    caught = sum(r[2] <= gate.NEAR_DUPLICATE_DISTANCE or r[3] >= threshold for r in edits)
    print(
        f"edits marked near (dHash <= {gate.NEAR_DUPLICATE_DISTANCE} or same_shot >= {threshold}): {caught} of {len(edits)};"
        f" by dHash alone {sum(r[2] <= gate.NEAR_DUPLICATE_DISTANCE for r in edits)}"
    )
    for kind in ("same person", "other"):
        for a, b, _bits, score, _ in sorted(groups[kind], key=lambda r: -r[3])[:12]:
            if score >= threshold:
                print(
                    f"  {kind} at or above: {a} {b} ({len(shots[a][0])} and {len(shots[b][0])} faces, {score:.3f})"
                )
    for _a, b, bits, score, _ in edits:
        if bits > gate.NEAR_DUPLICATE_DISTANCE and score < threshold:
            print(f"  missed: {b} (dHash {bits}, same_shot {score:.3f})")


if __name__ == "__main__":
    main()
