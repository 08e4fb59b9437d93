"""The moderation gate every contributed upload passes, whatever the album's policy.

It measures; the service decides. Three measures, each 0..1:

- `nsfw_score`: Open-NSFW, the pipeline's own scorer (ml/nsfw.py), on the decoded working image.
- `quality_score` = (sharpness · exposure · resolution) ** (1/3), the geometric mean, so one bad
  measure pulls the score down whatever the others are:
  - sharpness = min(1, var(Laplacian(grey)) / 100) on the working image (≤ 1920 px); 100 is the
    usual blur cut for the variance of the Laplacian;
  - exposure = (1 − 2·|mean luminance − 0.5|) · (1 − share of clipped pixels (≤ 4 or ≥ 251));
  - resolution = min(1, megapixels of the original / 2).
- `dhash`: the 64-bit difference hash the dedupe phase stores (media.decode.dhash64), and the
  SHA-256 of the bytes for exact copies.

NEAR_DUPLICATE_DISTANCE, calibrated on the repository's real test photos (insightface's t1,
scikit-image's astronaut, coffee, chelsea, rocket, camera, immunohistochemistry, hubble_deep_field)
with five edits each (half size, JPEG q50, +15 % brightness, a 2 % crop per side, a 1.5 px blur):
edits of one shot land at 0-8 bits, two different photos at 21 or more
(tests/unit/albums/test_album_gate.py). 10 catches every edit with room on both sides; the event's
`near_duplicate_distance` (6, for clustering a whole event) misses the crops. A near duplicate is
only marked for the reviewer, never dropped, so erring wide costs a glance.

A second shot of the same moment (reframed, mirrored, cut from a group shot) moves dHash past
any safe distance (11-40 bits on the photos below), so faces decide those: `same_shot` matches each
face of the photo with fewer faces to a distinct face of the other (at least one face, and at
least half as many as the other has) and returns the worst match, compared with
SAME_SHOT_SIMILARITY. Calibrated with SFace by benchmarks/album_near_duplicates.py on the
repository's t1 and astronaut and the shared labelled photos (../shared/testdata/faces), each
reframed (12 % off the left and top, 4 % off the others) and mirrored: edits of one shot match at
0.46-0.98, two other shots of the same person at 0.48-0.84 (a frontal portrait against another),
photos of other people at most 0.80. At 0.85 no pair of different shots is marked (0 of 81 and
0 of 846) and 26 of 30 edits and 11 of 18 crops are (dHash alone: none); the misses are group
photos reframed or mirrored (t1's edge faces cut or turned). buffalo_l is not calibrated here
(its weights exist only in the container image), so faces mark no near duplicate with it.

Description similarity was measured on the same pairs and is not used: the local describer's
words (image tags, OCR) give edits of one shot cosines from 0.42 ("football helmet" for a
reframed astronaut) to 1.0, and different photos of one person 1.0 too ("Photo of suit", `--descriptions`). The
description embedding is kept for "more like this", where a ranking is all it has to give.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from eventlens.media.decode import decode_image, dhash64

SHARP_VARIANCE = 100.0
FULL_MEGAPIXELS = 2.0
CLIP_LOW, CLIP_HIGH = 4, 251
LOW_QUALITY = 0.35
"""A quality_score below this is named in the item's reason for the reviewer."""
MAX_PIXELS = 100_000_000
NEAR_DUPLICATE_DISTANCE = 10
SAME_SHOT_SIMILARITY: dict[str, float] = {"sface": 0.85}
"""Worst face match of two photos of one shot, per face model (calibrated above)."""


@dataclass(frozen=True)
class Face:
    box: tuple[float, float, float, float]
    """x, y, w, h as fractions of the image's width and height."""
    embedding: np.ndarray | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Content:
    """What an upload shows: its description embedding and its faces (gate.content)."""

    embedding: np.ndarray | None
    embedding_model: str | None
    faces: tuple[Face, ...]
    face_model: str


@dataclass(frozen=True)
class Measures:
    sha256: bytes
    nsfw_score: float
    quality_score: float
    sharpness: float
    exposure: float
    resolution: float
    dhash: int
    content: Content | None = None


def quality(grey: np.ndarray, width: int, height: int) -> tuple[float, float, float, float]:
    """(quality_score, sharpness, exposure, resolution) of a greyscale uint8 image."""
    import cv2

    variance = float(cv2.Laplacian(grey, cv2.CV_64F).var())
    sharpness = min(1.0, variance / SHARP_VARIANCE)
    mean = float(grey.mean()) / 255.0
    clipped = float(((grey <= CLIP_LOW) | (grey >= CLIP_HIGH)).mean())
    exposure = max(0.0, 1.0 - 2.0 * abs(mean - 0.5)) * (1.0 - clipped)
    resolution = min(1.0, width * height / 1e6 / FULL_MEGAPIXELS)
    score = (sharpness * exposure * resolution) ** (1.0 / 3.0)
    return score, sharpness, exposure, resolution


def measure(
    data: bytes,
    face_embeddings: bool = False,
    forgotten: Sequence[tuple[float, float, float, float]] = (),
) -> Measures:
    """Every measure of one uploaded photo (BadMedia for bytes that are not a photo we decode);
    face embeddings only where the event keeps face data (`face_embeddings`), boxes always; a face
    in a `forgotten` region (fractions of the image: forget me on these very bytes) is neither
    embedded nor returned."""
    from eventlens.ml.nsfw import nsfw_model

    decoded = decode_image(data, max_pixels=MAX_PIXELS)
    grey = np.asarray(decoded.image.convert("L"))
    score, sharpness, exposure, resolution = quality(grey, decoded.width, decoded.height)
    return Measures(
        sha256=hashlib.sha256(data).digest(),
        nsfw_score=nsfw_model().score(decoded.rgb),
        quality_score=score,
        sharpness=sharpness,
        exposure=exposure,
        resolution=resolution,
        dhash=dhash64(decoded.image),
        content=content(decoded.rgb, face_embeddings, forgotten),
    )


def content(
    rgb: np.ndarray, face_embeddings: bool, forgotten: Sequence[tuple[float, float, float, float]] = ()
) -> Content:
    """Faces (the configured face model) and the description embedding of the image tagger's words
    and the face count, the scene line the describer writes (OCR is left to the pipeline: 1-8 s a
    photo here, too slow for an upload's answer)."""
    from eventlens.config import settings
    from eventlens.ml.describe import DescribeContext, scene_line
    from eventlens.ml.faces import face_model
    from eventlens.ml.tagger import image_tagger
    from eventlens.ml.text import text_embedder

    cfg = settings()
    model = face_model(cfg.face_model)
    height, width = rgb.shape[:2]
    faces = tuple(
        Face(
            (f.bbox[0] / width, f.bbox[1] / height, f.bbox[2] / width, f.bbox[3] / height),
            f.embedding if face_embeddings else None,
        )
        for f in model.detect(
            rgb, _skip(forgotten, width, height) if forgotten else None, embed=face_embeddings
        )
    )
    tagger = image_tagger(cfg.image_tagger)
    line = scene_line(
        DescribeContext(filename="", folder="", face_count=len(faces)), tagger.tags(rgb) if tagger else []
    )
    embedder = text_embedder(cfg.text_embedder)
    return Content(embedder.embed([line])[0], embedder.name, faces, model.name)


def _skip(
    regions: Sequence[tuple[float, float, float, float]], width: int, height: int
) -> Callable[[tuple[float, float, float, float]], bool]:
    """The face model's `skip` for boxes in this image's pixels against regions in fractions."""
    from eventlens.findme.control import SAME_REGION_IOU, overlap

    def skip(box: tuple[float, float, float, float]) -> bool:
        fraction = (box[0] / width, box[1] / height, box[2] / width, box[3] / height)
        return any(overlap(region, fraction) >= SAME_REGION_IOU for region in regions)

    return skip


def same_shot(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    """The worst similarity of a one-to-one match of the fewer faces into the other photo's (0 when
    either has none or one has fewer than half the other's): how surely two photos are one shot."""
    few, many = (a, b) if len(a) <= len(b) else (b, a)
    if not few or 2 * len(few) < len(many):
        return 0.0
    free = list(range(len(many)))
    worst = 1.0
    for face in few:
        best = max(free, key=lambda j: float(face @ many[j]))
        worst = min(worst, float(face @ many[best]))
        free.remove(best)
    return worst


def hamming(a: int, b: int) -> int:
    return ((a ^ b) & ((1 << 64) - 1)).bit_count()


def informative(dhash: int) -> bool:
    """A hash that tells scenes apart (not a flat frame): the dedupe rule's own test."""
    from eventlens.dedupe.rule import informative as rule

    return bool(rule(np.array([dhash], dtype=np.int64))[0])
