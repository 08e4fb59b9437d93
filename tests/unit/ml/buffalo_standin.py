"""Stand-in buffalo_l ONNX files with the real models' input/output contracts.

The real weights (~300 MB) exist only in the container image, so the loader is exercised with a
SCRFD-shaped detector that reports one known face and an ArcFace-shaped recognizer (112x112 in,
512-d out) whose embedding really depends on the pixels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

DET_INPUT = 640
STRIDES = (8, 16, 32)
ANCHORS = 2
# The one face the stand-in detector reports, on the stride-32 grid of the 640x640 input.
FACE_CELL = (5, 10)  # row, column
FACE_DISTANCES = (1.0, 1.25, 1.0, 1.25)  # left, top, right, bottom, in strides
FACE_KPS = ((-0.4, -0.3), (0.4, -0.3), (0.0, 0.1), (-0.3, 0.5), (0.3, 0.5))  # offsets, in strides


def expected_box_in_det_input() -> tuple[float, float, float, float]:
    """x, y, w, h of the stand-in face in the detector's 640x640 input."""
    cy, cx = (v * 32 for v in FACE_CELL)
    left, top, right, bottom = (d * 32 for d in FACE_DISTANCES)
    return cx - left, cy - top, left + right, top + bottom


def _save(graph: onnx.GraphProto, path: Path) -> None:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def write_detector(path: Path) -> None:
    """SCRFD contract: 9 outputs (score, bbox, kps per stride), 2 anchors per cell."""
    nodes = [
        # Outputs are constants plus 0 x mean(input), so the graph consumes the image like a real one.
        helper.make_node("ReduceMean", ["input.1"], ["mean"], keepdims=0),
        helper.make_node("Mul", ["mean", "zero"], ["nil"]),
    ]
    inits = [numpy_helper.from_array(np.zeros((), np.float32), "zero")]
    outputs = []
    for kind, width in (("score", 1), ("bbox", 4), ("kps", 10)):
        for stride in STRIDES:
            cells = (DET_INPUT // stride) ** 2 * ANCHORS
            value = np.zeros((cells, width), np.float32)
            if stride == 32:
                row = (FACE_CELL[0] * (DET_INPUT // 32) + FACE_CELL[1]) * ANCHORS
                value[row] = {"score": [0.9], "bbox": FACE_DISTANCES, "kps": np.ravel(FACE_KPS)}[kind]
            name = f"{kind}_{stride}"
            inits.append(numpy_helper.from_array(value, f"{name}_const"))
            nodes.append(helper.make_node("Add", [f"{name}_const", "nil"], [name]))
            outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, [cells, width]))
    image = helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [1, 3, DET_INPUT, DET_INPUT])
    _save(helper.make_graph(nodes, "scrfd_standin", [image], outputs, inits), path)


def write_recognizer(path: Path, seed: int = 0) -> None:
    """ArcFace contract: (1, 3, 112, 112) in, (1, 512) out; a random projection of 8x8 pooled pixels."""
    weights = np.random.default_rng(seed).standard_normal((3 * 14 * 14, 512)).astype(np.float32)
    nodes = [
        helper.make_node("AveragePool", ["input.1"], ["pooled"], kernel_shape=[8, 8], strides=[8, 8]),
        helper.make_node("Flatten", ["pooled"], ["flat"]),
        helper.make_node("MatMul", ["flat", "w"], ["683"]),
    ]
    image = helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [1, 3, 112, 112])
    out = helper.make_tensor_value_info("683", TensorProto.FLOAT, [1, 512])
    graph = helper.make_graph(
        nodes, "arcface_standin", [image], [out], [numpy_helper.from_array(weights, "w")]
    )
    _save(graph, path)


def write_buffalo_dir(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    write_detector(directory / "det_10g.onnx")
    write_recognizer(directory / "w600k_r50.onnx")
    return directory
