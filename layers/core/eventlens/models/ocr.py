"""Visible text in a photo (signs, slides, badges, banners) for text search, by RapidOCR.

RapidOCR's PP-OCRv4 det/cls/rec ONNX models ship inside the `rapidocr-onnxruntime` wheel. OCR is
the slowest local model, so it reads a downscaled copy (text still legible on a badge at
`OCR_MAX_SIDE`, see benchmarks/models.py) with one ONNX thread per session; a photo without
text costs only the detector, since recognition runs on detected boxes alone.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from eventlens.models._loader import loaded_once

if TYPE_CHECKING:
    import numpy as np

OCR_MAX_SIDE = 1600
"""Longest side OCR reads at. RapidOCR would cap at 2000 anyway; 1600 keeps ~20 px text on a
12 MP photo legible while cutting detector time (benchmarks/models.py)."""

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
    """RapidOCR with one engine per thread (its pipeline objects keep per-call state)."""

    def __init__(self, max_side: int = OCR_MAX_SIDE, min_score: float = MIN_LINE_SCORE) -> None:
        self.max_side = max_side
        self.min_score = min_score
        self._local = threading.local()
        self._engine()  # fail at load time, not on the first photo

    def _engine(self) -> Any:
        engine = getattr(self._local, "engine", None)
        if engine is None:
            from rapidocr_onnxruntime import RapidOCR

            # Thread counts must be global keys: RapidOCR copies Global's values over each
            # module's (det_/cls_/rec_ prefixed ones are silently ignored).
            engine = self._local.engine = RapidOCR(
                text_score=self.min_score, intra_op_num_threads=1, inter_op_num_threads=1
            )
        return engine

    def read(self, image: np.ndarray) -> OcrResult:
        """Text lines of an RGB (H, W, 3) uint8 image, in reading order."""
        import cv2
        import numpy as np

        height, width = image.shape[:2]
        scale = min(1.0, self.max_side / max(height, width))
        work = image
        if scale < 1.0:
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            work = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        bgr = np.ascontiguousarray(work[:, :, ::-1])
        found, _ = self._engine()(bgr)
        lines = []
        for box, text, score in found or []:
            text = str(text).strip()
            if not text or float(score) < self.min_score:
                continue
            corners = tuple((float(x) / scale, float(y) / scale) for x, y in box)
            lines.append(OcrLine(text=text, score=float(score), box=corners))  # type: ignore[arg-type]
        return OcrResult(text="\n".join(_rows(lines)), lines=lines)


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
