"""Visible text in a photo (signs, slides, badges, banners) for text search, by RapidOCR.

RapidOCR's PP-OCRv4 det/cls/rec ONNX models ship inside the `rapidocr-onnxruntime` wheel. OCR is
the slowest local model and its detector's cost grows with pixels, so boxes are found on a copy
downscaled to `OCR_MAX_SIDE` and the words are read from crops of the image as given (reading a
downscaled copy loses the spaces between words, which breaks full-text search). A photo without
text costs only the detector. One ONNX thread per session: the pipeline parallelises photos.
"""

from __future__ import annotations

import queue
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from eventlens.ml._loader import loaded_once

if TYPE_CHECKING:
    import numpy as np

OCR_MAX_SIDE = 1280
"""Longest side the text detector runs at. On a 12 MP photo it still finds 20 px letters (960
misses them) at ~half the cost of 1600 and a third of RapidOCR's own 2000 (benchmarks/models.py)."""

MIN_LINE_SCORE = 0.6
"""Recognition confidence below which a line is mostly hallucinated glyphs from texture."""

Point = tuple[float, float]


@dataclass(frozen=True)
class OcrLine:
    text: str
    score: float
    box: tuple[Point, Point, Point, Point]  # corners clockwise from top-left, pixels of the input


@dataclass(frozen=True)
class OcrResult:
    text: str  # lines in reading order, one per row of text
    lines: list[OcrLine] = field(default_factory=list)


@loaded_once
def text_reader() -> TextReader:
    """The process-wide OCR model, loaded on first use."""
    return TextReader()


class TextReader:
    """RapidOCR engines lent one per concurrent call: an engine keeps per-call state (its detector
    swaps its preprocessing per image), and a pool outlives the pipeline's short-lived threads,
    so each phase run does not reload the models."""

    def __init__(self, max_side: int = OCR_MAX_SIDE, min_score: float = MIN_LINE_SCORE) -> None:
        self.max_side = max_side
        self.min_score = min_score
        self._idle: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._idle.put(self._new_engine())  # fail at load time, not on the first photo

    def _new_engine(self) -> Any:
        from rapidocr_onnxruntime import RapidOCR

        # Thread counts must be global keys: RapidOCR copies Global's values over each
        # module's (det_/cls_/rec_ prefixed ones are silently ignored).
        return RapidOCR(text_score=self.min_score, intra_op_num_threads=1, inter_op_num_threads=1)

    @contextmanager
    def _engine(self) -> Iterator[Any]:
        try:
            engine = self._idle.get_nowait()
        except queue.Empty:
            engine = self._new_engine()
        try:
            yield engine
        finally:
            self._idle.put(engine)

    def read(self, image: np.ndarray) -> OcrResult:
        """Text lines of an RGB (H, W, 3) uint8 image, in reading order."""
        import cv2
        import numpy as np

        image = np.ascontiguousarray(image)
        height, width = image.shape[:2]
        scale = self.max_side / max(height, width)
        if scale >= 1.0:
            with self._engine() as engine:  # small enough: RapidOCR's own path, edge cases included
                found, _ = engine(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
            found = [(np.asarray(box, np.float32), text, score) for box, text, score in found or []]
        else:
            found = self._detect_small_read_sharp(image, scale)
        lines = [
            OcrLine(text=str(text).strip(), score=float(score), box=_corners(box))
            for box, text, score in found
            if str(text).strip() and float(score) >= self.min_score
        ]
        return OcrResult(text="\n".join(_rows(lines)), lines=lines)

    def _detect_small_read_sharp(self, rgb: np.ndarray, scale: float) -> list[tuple[np.ndarray, str, float]]:
        """Find text boxes on a downscaled copy (the detector's cost grows with pixels), then
        recognise crops of the full image: words stay apart and small letters stay legible."""
        import cv2
        import numpy as np

        height, width = rgb.shape[:2]
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        small = cv2.cvtColor(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2BGR)
        with self._engine() as engine:
            boxes, _ = engine.auto_text_det(small)
            if boxes is None:
                return []
            limit = np.array([width, height], np.float32)
            boxes = [np.clip(np.asarray(box, np.float32) / scale, 0, limit) for box in boxes]
            # Crop the RGB image and flip only the crops: a 12 MP channel swap costs more.
            crops = [np.ascontiguousarray(c[:, :, ::-1]) for c in engine.get_crop_img_list(rgb, boxes)]
            crops, _, _ = engine.text_cls(crops)
            recognised, _ = engine.text_rec(crops, False)
        return [(box, rec[0], rec[1]) for box, rec in zip(boxes, recognised, strict=True)]


def _corners(box: np.ndarray) -> tuple[Point, Point, Point, Point]:
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = (tuple(map(float, p)) for p in box)
    return (x0, y0), (x1, y1), (x2, y2), (x3, y3)


def _rows(lines: list[OcrLine]) -> list[str]:
    """Join boxes into rows: a box whose vertical centre lies within the previous row's band
    continues that row (RapidOCR splits one banner into several boxes), left to right."""
    rows: list[tuple[float, float, list[OcrLine]]] = []
    for line in sorted(lines, key=lambda ln: _centre_y(ln)):
        top, bottom = min(p[1] for p in line.box), max(p[1] for p in line.box)
        centre = (top + bottom) / 2
        if rows and rows[-1][0] <= centre <= rows[-1][1]:
            rows[-1][2].append(line)
        else:
            rows.append((top, bottom, [line]))
    return [" ".join(ln.text for ln in sorted(members, key=lambda ln: ln.box[0][0])) for *_, members in rows]


def _centre_y(line: OcrLine) -> float:
    return sum(p[1] for p in line.box) / 4
