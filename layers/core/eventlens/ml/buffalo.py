"""InsightFace buffalo_l (SCRFD det_10g + ArcFace w600k_r50, 512-d): the AWS face model.

Its weights (~330 MB) are baked into the face-embed container image at build time
(EVENTLENS_BUFFALO_DIR, default /opt/models/buffalo_l): a cold start must never download them,
so a missing file is a `ModelUnavailableError` naming the directory and the files expected.
InsightFace's model zoo routes each ONNX file to its wrapper (SCRFD, ArcFaceONNX) by shape;
this module only adds the filtering and output shape the `FaceModel` interface promises.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np

from eventlens.ml._onnx import CPU, session_options
from eventlens.ml.errors import ModelUnavailableError
from eventlens.ml.faces import DIMS, MIN_FACE_PX, MIN_SCORE, THRESHOLDS, DetectedFace, Skip

DETECTOR_FILE = "det_10g.onnx"
RECOGNIZER_FILE = "w600k_r50.onnx"

DETECT_SIZE = (640, 640)
"""SCRFD input (width, height); FaceAnalysis' default, letterboxed, so the cost is fixed."""

NMS_THRESHOLD = 0.4


class BuffaloModel:
    name = "buffalo_l"
    dim = DIMS["buffalo_l"]
    threshold = THRESHOLDS["buffalo_l"]

    def __init__(self, model_dir: str | Path, min_face_px: int = MIN_FACE_PX, threads: int = 1) -> None:
        model_dir = Path(model_dir)
        missing = [f for f in (DETECTOR_FILE, RECOGNIZER_FILE) if not (model_dir / f).is_file()]
        if missing:
            raise ModelUnavailableError(
                f"buffalo_l weights missing in {model_dir}: {', '.join(missing)} "
                "(bake them into the image and point EVENTLENS_BUFFALO_DIR at them)"
            )
        self.min_face_px = min_face_px
        self._detector = _load(model_dir / DETECTOR_FILE, "detection", threads)
        self._detector.prepare(-1, det_thresh=MIN_SCORE, nms_thresh=NMS_THRESHOLD, input_size=DETECT_SIZE)
        self._recognizer = _load(model_dir / RECOGNIZER_FILE, "recognition", threads)
        width = int(self._recognizer.output_shape[-1])
        if width != self.dim:
            raise ModelUnavailableError(f"{RECOGNIZER_FILE} gives {width}-d embeddings, expected {self.dim}")

    def detect(self, image: np.ndarray, skip: Skip | None = None, embed: bool = True) -> list[DetectedFace]:
        from insightface.utils.face_align import norm_crop

        bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)  # 6 ms on 12 MP; a numpy channel flip costs 94
        boxes, keypoints = self._detector.detect(bgr, max_num=0)
        kept = [
            i
            for i, (x1, y1, x2, y2, _) in enumerate(boxes)
            if min(x2 - x1, y2 - y1) >= self.min_face_px
            and (skip is None or not skip((float(x1), float(y1), float(x2 - x1), float(y2 - y1))))
        ]
        if not kept or keypoints is None:
            return []
        if embed:
            crops = [norm_crop(bgr, keypoints[i], image_size=self._recognizer.input_size[0]) for i in kept]
            features = np.asarray(self._recognizer.get_feat(crops), np.float32).reshape(len(kept), -1)
            features /= np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)
        faces = []
        for row, i in enumerate(kept):
            x1, y1, x2, y2, score = (float(v) for v in boxes[i])
            faces.append(
                DetectedFace(
                    bbox=(x1, y1, x2 - x1, y2 - y1),
                    score=score,
                    landmarks=[(float(x), float(y)) for x, y in keypoints[i]],
                    embedding=features[row] if embed else np.zeros(0, np.float32),
                )
            )
        return faces


def _load(path: Path, task: str, threads: int) -> Any:
    """An InsightFace model wrapper for `path`, checked to be the kind of model expected."""
    from insightface import model_zoo

    try:
        model = model_zoo.get_model(str(path), providers=CPU, sess_options=session_options(threads))
    except Exception as exc:  # a truncated or foreign file: onnx/ORT raise many types
        raise ModelUnavailableError(f"cannot load {path}: {exc}") from exc
    if getattr(model, "taskname", None) != task:
        raise ModelUnavailableError(f"{path} is not a {task} model (routed to {type(model).__name__})")
    return model
