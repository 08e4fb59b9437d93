"""People in photos: clustering quality on labelled real faces, and incremental vs full re-clustering time.

    .venv/bin/python benchmarks/face_clusters.py [--faces ../shared/testdata/faces] [--sizes 2000,10000]

Quality: every face SFace finds in the labelled photos (benchmarks/faces_quality.py's gallery:
face_recognition's examples, insightface's t1.jpg, scikit-image's astronaut) plus a crop of each
t1 face and of the astronaut (a second look at those people). A face in a one-person photo has
that person's label; in a photo of several labelled people each of them labels the face most
like their single-photo faces (a face left over, a stranger in the background, is not scored); t1's six faces are six people. Pairwise precision and recall
of `faceclusters.cluster.assign` (faces in file order, as photos arrive) per threshold.

Time: synthetic events of N faces (people with 1-40 photos each, SFace-like spread: same-person
cosine ~0.55-0.8, strangers ~0), clustered as the service does when a batch of 50 photos (~150
faces) arrives, against the obvious alternative: clustering every face again from scratch.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


def labelled_faces(faces_dir: Path) -> tuple[list[str], list[str], np.ndarray]:
    """(label, photo, embedding) of every face of the labelled set."""
    from eventlens.findme.selfie import selfie_embedding
    from eventlens.ml.faces import face_model
    from faces_quality import gallery

    model = face_model("sface")
    labels: list[str] = []
    photos: list[str] = []
    vectors: list[np.ndarray] = []
    groups = []
    singles: dict[str, list[np.ndarray]] = {}
    for name, people, rgb in gallery(faces_dir):
        faces = sorted(model.detect(rgb), key=lambda f: f.bbox[0])
        if name == "insightface/t1.jpg":
            for i, face in enumerate(faces):
                labels.append(f"t1_{i}")
                photos.append(name)
                vectors.append(face.embedding)
                x, y, w, h = (int(v) for v in face.bbox)
                crop = np.ascontiguousarray(
                    rgb[max(0, y - h // 2) : y + 3 * h // 2, max(0, x - w // 2) : x + 3 * w // 2]
                )
                labels.append(f"t1_{i}")
                photos.append(f"t1-crop-{i}")
                vectors.append(selfie_embedding(crop, "sface"))
        elif len(people) == 1 and len(faces) == 1:
            person = next(iter(people))
            singles.setdefault(person, []).append(faces[0].embedding)
            labels.append(person)
            photos.append(name)
            vectors.append(faces[0].embedding)
            if name == "skimage/astronaut":
                labels.append(person)
                photos.append("astronaut-crop")
                vectors.append(selfie_embedding(rgb[:300, 100:350], "sface"))
        else:
            groups.append((name, people, faces))
    for name, people, faces in groups:
        left = list(faces)
        for person in sorted(p for p in people if p in singles):
            # the face most like this person's single-photo faces; any face left over is unlabelled
            face = max(left, key=lambda f: float(np.mean(np.stack(singles[person]) @ f.embedding)))
            left.remove(face)
            labels.append(person)
            photos.append(name)
            vectors.append(face.embedding)
    return labels, photos, np.stack(vectors).astype(np.float32)


def synthetic(n_faces: int, seed: int = 7) -> tuple[np.ndarray, list[int]]:
    """Faces of an event: people with a long-tailed number of photos, SFace-like similarities."""
    rng = np.random.default_rng(seed)
    vectors, photos = [], []
    photo = 0
    while len(vectors) < n_faces:
        centre = rng.normal(size=128)
        centre /= np.linalg.norm(centre)
        for _ in range(int(min(40, rng.pareto(1.2) + 1))):
            noise = rng.normal(size=128)
            noise /= np.linalg.norm(noise)
            v = centre + 0.75 * noise
            vectors.append(v / np.linalg.norm(v))
            photos.append(photo)
            photo += 1
    return np.stack(vectors[:n_faces]).astype(np.float32), photos[:n_faces]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=Path, default=ROOT.parent / "shared/testdata/faces")
    parser.add_argument("--sizes", default="2000,10000")
    parser.add_argument("--batch", type=int, default=150)
    args = parser.parse_args()
    from eventlens.faceclusters.cluster import assign, pairwise_scores
    from eventlens.faceclusters.service import CLUSTER_THRESHOLD

    print(f"$ {' '.join(sys.argv)}")
    print(
        f"machine: {platform.machine()} {platform.processor() or ''}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )

    labels, photos, vectors = labelled_faces(args.faces)
    print(f"\nquality: {len(labels)} labelled faces, {len(set(labels))} people, {len(set(photos))} photos")
    print("threshold  precision  recall  clusters")
    for threshold in (0.15, 0.20, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60, 0.65, 0.70):
        predicted = assign(np.empty((0, 128), np.float32), [], [], vectors, photos, threshold)
        p, r = pairwise_scores(labels, predicted)
        mark = "  <- shipped" if abs(threshold - CLUSTER_THRESHOLD) < 1e-9 else ""
        print(f"{threshold:9.2f}  {p:9.3f}  {r:6.3f}  {len(set(predicted)):8d}{mark}")

    print(f"\ntime: a batch of {args.batch} new faces arriving in an event of N faces")
    print("N        incremental (s)  full re-clustering (s)  speed-up")
    for n in (int(s) for s in args.sizes.split(",")):
        faces, face_photos = synthetic(n + args.batch)
        old, new = faces[:n], faces[n:]
        start = time.perf_counter()
        known = assign(np.empty((0, 128), np.float32), [], [], old, face_photos[:n], CLUSTER_THRESHOLD)
        start = time.perf_counter()
        assign(old, known, face_photos[:n], new, face_photos[n:], CLUSTER_THRESHOLD)
        incremental = time.perf_counter() - start
        start = time.perf_counter()
        assign(np.empty((0, 128), np.float32), [], [], faces, face_photos, CLUSTER_THRESHOLD)
        full = time.perf_counter() - start
        print(f"{n:<8d} {incremental:15.3f}  {full:22.3f}  {full / incremental:8.1f}x")


if __name__ == "__main__":
    main()
