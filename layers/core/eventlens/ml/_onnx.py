"""One way to open an ONNX Runtime session: CPU, one intra-op thread.

The pipeline parallelises across photos, so a model that spreads one photo over every core
only adds contention; one thread per session keeps the cost per photo predictable.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import onnxruntime as ort

CPU = ["CPUExecutionProvider"]


def session_options(threads: int = 1) -> ort.SessionOptions:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # warnings about unused initializers are noise here
    return options


def cpu_session(path: str | Path, threads: int = 1) -> ort.InferenceSession:
    import onnxruntime as ort

    return ort.InferenceSession(str(path), session_options(threads), providers=CPU)
