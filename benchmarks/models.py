"""Per-model cost of the local models, single-threaded, on a normal and a 12 MP photo.

    .venv/bin/python benchmarks/models.py [--repeat 3] [--quick]

Measures what the pipeline pays per photo (it parallelises across photos, one thread each):
YuNet detection at several input caps (and the recall those caps keep on a 12 MP group shot),
SFace per face, OCR full size vs downscaled (with and without text, and which text heights stay
legible), Open-NSFW, and MiniLM per sentence. The 12 MP photo is t1.jpg upscaled to 4000x3000;
the group shot tiles t1 so faces shrink to a known size. Figures are medians of --repeat runs.
"""

from __future__ import annotations

import os

# Before numpy loads its BLAS: one thread, like a pipeline worker.
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["OPENBLAS_NUM_THREADS"] = "1"

import argparse
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import insightface
import numpy as np
import onnxruntime
from eventlens.ml.faces import THRESHOLDS, face_model
from eventlens.ml.nsfw import nsfw_model
from eventlens.ml.ocr import text_reader
from eventlens.ml.sface import SFaceModel
from eventlens.ml.text import text_embedder
from PIL import Image, ImageDraw, ImageFont

T1 = Path(insightface.__file__).parent / "data" / "images" / "t1.jpg"
LABELLED = Path("/work/shared/testdata/faces")
WALL = False
CAPTIONS = [
    "The keynote speaker raises a trophy on stage while the audience applauds.",
    "Two friends laughing at the buffet table during the gala dinner.",
    "A crowded dance floor under purple lights, the band playing behind.",
    "Badges and lanyards on a registration desk at the conference entrance.",
]


def median_s(fn: Callable[[], object], repeat: int) -> float:
    """Median CPU seconds of this process per call. Every model runs on one thread here, so CPU
    time is the cost a pipeline worker pays, and unlike wall time it does not count the waits
    for a core on a shared machine (--wall measures wall time instead)."""
    fn()  # warm-up: first calls allocate arenas and pick kernels
    clock = time.perf_counter if WALL else time.process_time
    times = []
    for _ in range(repeat):
        start = clock()
        fn()
        times.append(clock() - start)
    return statistics.median(times)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def resize(image: np.ndarray, width: int, height: int) -> np.ndarray:
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_CUBIC)


def group_shot(t1: np.ndarray, per_row: int, width: int = 4000) -> tuple[np.ndarray, float]:
    """t1 tiled per_row x per_row into a `width`-wide photo; returns it and the face size."""
    tile_w = width // per_row
    tile_h = round(t1.shape[0] * tile_w / t1.shape[1])
    tile = cv2.resize(t1, (tile_w, tile_h), interpolation=cv2.INTER_AREA)
    face_px = 100 * tile_w / t1.shape[1]  # t1's faces are ~100 px wide at 1280
    return np.ascontiguousarray(np.tile(tile, (per_row, per_row, 1))), face_px


def text_photo(base: np.ndarray, text_px: int) -> np.ndarray:
    """A 12 MP photo with a white banner of `text_px`-high letters in its lower third."""
    fonts = sorted(Path("/usr/share/fonts").rglob("DejaVuSans.ttf"))
    font = ImageFont.truetype(str(fonts[0]), text_px) if fonts else ImageFont.load_default(size=text_px)
    image = Image.fromarray(base)
    draw = ImageDraw.Draw(image)
    box = draw.textbbox((400, 2000), "WELCOME TO THE GALA 2024", font=font)
    draw.rectangle((box[0] - 20, box[1] - 20, box[2] + 20, box[3] + 20), fill="white")
    draw.text((400, 2000), "WELCOME TO THE GALA 2024", fill="black", font=font)
    return np.asarray(image)


def header(args: argparse.Namespace) -> None:
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in ln
        ),
        platform.processor(),
    )
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"machine: {cpu}, {os.cpu_count()} cores, load avg {os.getloadavg()[0]:.1f} (shared machine)")
    print(
        f"python {platform.python_version()}, onnxruntime {onnxruntime.__version__}, "
        f"opencv {cv2.__version__}, numpy {np.__version__}; one thread per model; "
        f"median {'wall' if args.wall else 'CPU'} time of {args.repeat} runs after a warm-up"
    )


def bench_faces(normal: np.ndarray, big: np.ndarray, t1: np.ndarray, repeat: int, quick: bool) -> None:
    sface = face_model("sface")
    assert isinstance(sface, SFaceModel)
    print("\n## Faces: YuNet + SFace (OpenCV)")
    for label, image in (("normal", normal), ("12 MP", big)):
        rows = sface._detect_rows(np.ascontiguousarray(image[:, :, ::-1]))
        print(
            f"YuNet  {label:7} {image.shape[1]}x{image.shape[0]} at cap {sface.max_side}: "
            f"{ms(median_s(lambda im=image: sface._detect_rows(im[:, :, ::-1].copy()), repeat))}  "
            f"({len(rows)} faces)"
        )
    _, recognizer = sface._nets()
    bgr = np.ascontiguousarray(big[:, :, ::-1])
    rows = sface._detect_rows(bgr)
    per_face = median_s(lambda: [recognizer.feature(recognizer.alignCrop(bgr, r)) for r in rows], repeat)
    print(f"SFace  align + embed per face (12 MP source): {ms(per_face / max(1, len(rows)))}")
    full = median_s(lambda: sface.detect(big), repeat)
    print(f"detect() end to end, 12 MP, {len(rows)} faces: {ms(full)}")

    print("\nYuNet cap sweep on 12 MP group shots (t1 tiled; recall = faces found / faces there):")
    caps = (1280, 1920, 4000) if quick else (1280, 1600, 1920, 2560, 4000)
    print("  face px " + "".join(f"{'cap ' + str(c):>20}" for c in caps))
    for per_row in (3, 5, 8) if quick else (3, 4, 5, 6, 8, 10):
        shot, face_px = group_shot(t1, per_row)
        there = 6 * per_row * per_row
        cells = []
        for cap in caps:
            model = SFaceModel(max_side=cap, min_face_px=1)
            found = len(model._detect_rows(np.ascontiguousarray(shot[:, :, ::-1])))
            cost = median_s(lambda m=model, s=shot: m._detect_rows(s[:, :, ::-1].copy()), 1)
            cells.append(f"{min(found, there) / there:5.0%} {ms(cost)}")
        print(f"  {face_px:7.0f} " + "".join(f"{c:>20}" for c in cells))


def bench_face_size(t1: np.ndarray) -> None:
    """How small a face may be before its embedding stops matching the same face at full size:
    t1 shrunk until its faces are N px wide, each face compared with itself in the original."""
    sface = SFaceModel(min_face_px=1)
    originals = sface.detect(t1)
    width = float(np.median([f.bbox[2] for f in originals]))
    print(
        f"\nFace size sweep (t1's {len(originals)} faces vs themselves at {width:.0f} px; threshold {sface.threshold}):"
    )
    for face_px in (12, 16, 20, 24, 28, 32, 48):
        scale = face_px / width
        small = cv2.resize(t1, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        found = sface.detect(small)
        sims = []
        for face in originals:
            cx, cy = (face.bbox[0] + face.bbox[2] / 2) * scale, (face.bbox[1] + face.bbox[3] / 2) * scale
            near = [
                f
                for f in found
                if abs(f.bbox[0] + f.bbox[2] / 2 - cx) < face_px / 2
                and abs(f.bbox[1] + f.bbox[3] / 2 - cy) < face_px / 2
            ]
            sims.append(max((float(f.embedding @ face.embedding) for f in near), default=float("nan")))
        matched = sum(s > sface.threshold for s in sims)
        print(
            f"  {face_px:3} px: detected {len(found)}/{len(originals)}, same-face cosine min "
            f"{np.nanmin(sims) if not np.all(np.isnan(sims)) else float('nan'):.2f}, "
            f"above threshold {matched}/{len(originals)}"
        )


def bench_ocr(normal: np.ndarray, big: np.ndarray, repeat: int, quick: bool) -> None:
    """Detector side sweep. `full` is RapidOCR's own path (it caps the longest side at 2000 and
    reads from that copy); the others detect at that side and read crops of the 12 MP image."""
    reader = text_reader()
    default_side = reader.max_side
    print(f"\n## OCR: RapidOCR (PP-OCRv4 det + cls + rec), default detector side {default_side}")
    sides = (960, 1280, 1600, 4000)
    for label, image in (
        ("12 MP with text", text_photo(big, 60)),
        ("12 MP no text", big),
        ("normal no text", normal),
    ):
        for side in sides:
            if side >= max(image.shape[:2]) and side != sides[-1]:
                continue  # no downscale: the same as `full`
            reader.max_side = side
            found = reader.read(image).text.replace("\n", " | ")
            cost = median_s(lambda im=image: reader.read(im), repeat)
            name = "full" if side >= max(image.shape[:2]) else str(side)
            print(f"{label:16} det side {name:>5}: {ms(cost)}  read {found!r:.50}")
    print("\nLegibility on 12 MP: banner letter size (font px at 4000x3000) read exactly, by detector side")
    for text_px in (20, 32, 60) if quick else (16, 20, 24, 32, 40, 60, 90):
        image = text_photo(big, text_px)
        cells = []
        for side in sides:
            reader.max_side = side
            ok = reader.read(image).text == "WELCOME TO THE GALA 2024"
            cells.append(f"{'full' if side >= 4000 else side}:{'yes' if ok else 'no':>3}")
        print(f"  {text_px:3} px  " + "  ".join(cells))
    reader.max_side = default_side


def bench_nsfw(normal: np.ndarray, big: np.ndarray, repeat: int) -> None:
    model = nsfw_model()
    print("\n## NSFW: Open-NSFW (ONNX)")
    for label, image in (("normal", normal), ("12 MP", big)):
        print(
            f"score {label:7}: {ms(median_s(lambda im=image: model.score(im), repeat))}  ({model.score(image):.3f})"
        )


def bench_text(repeat: int) -> None:
    embedder = text_embedder("minilm-l6-v2")
    print("\n## Text: MiniLM-L6-v2 in numpy")
    for batch in (1, 8, 32):
        texts = (CAPTIONS * 8)[:batch]
        cost = median_s(lambda t=texts: embedder.embed(t), repeat)
        print(f"batch {batch:3} captions (~15 tokens): {ms(cost)}  = {ms(cost / batch)} per sentence")
    long_text = " ".join(CAPTIONS * 6)
    print(f"one 256-token text: {ms(median_s(lambda: embedder.embed([long_text]), repeat))}")


def bench_threshold() -> None:
    """Same/different-person cosines on the labelled set, when it is present."""
    if not LABELLED.exists():
        return
    sface = face_model("sface")
    people: dict[str, list[np.ndarray]] = {}
    for path in sorted((LABELLED / "knn_examples" / "train").glob("*/*")):
        faces = sface.detect(np.asarray(Image.open(path).convert("RGB")))
        if len(faces) == 1:
            people.setdefault(path.parent.name, []).append(faces[0].embedding)
    same, different = [], []
    names = sorted(people)
    for i, a in enumerate(names):
        for b in names[i:]:
            for k, x in enumerate(people[a]):
                for y in people[b][k + 1 :] if a == b else people[b]:
                    (same if a == b else different).append(float(x @ y))
    if same and different:
        print(
            f"\n## SFace threshold on {LABELLED} ({len(names)} people): same person min "
            f"{min(same):.3f} (n={len(same)}), different people max {max(different):.3f} "
            f"(n={len(different)}); threshold {THRESHOLDS['sface']}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="fewer sweep points")
    parser.add_argument("--wall", action="store_true", help="wall-clock instead of CPU time")
    args = parser.parse_args()
    global WALL
    WALL = args.wall
    cv2.setNumThreads(1)
    header(args)
    t1 = np.asarray(Image.open(T1).convert("RGB"))
    big = resize(t1, 4000, 3000)
    print(
        f"photos: normal {t1.shape[1]}x{t1.shape[0]} (t1.jpg), 12 MP {big.shape[1]}x{big.shape[0]} (t1 upscaled)"
    )
    bench_faces(t1, big, t1, args.repeat, args.quick)
    bench_face_size(t1)
    bench_ocr(t1, big, args.repeat, args.quick)
    bench_nsfw(t1, big, args.repeat)
    bench_text(args.repeat)
    bench_threshold()


if __name__ == "__main__":
    main()
