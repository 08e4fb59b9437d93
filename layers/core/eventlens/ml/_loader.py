"""`@loaded_once`: the cache behind every model factory.

`functools.cache` keys `face_model()` and `face_model("sface")` apart (two copies of the same
weights) and lets two pipeline threads that ask at the same moment both load. This keys on the
arguments with defaults applied and loads under a lock, so a process holds one model per name.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable
from typing import Generic, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class Loader(Generic[P, T]):
    def __init__(self, load: Callable[P, T]) -> None:
        functools.update_wrapper(self, load)
        self._load = load
        self._signature = inspect.signature(load)
        self._loaded: dict[tuple, T] = {}
        self._lock = threading.Lock()

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> T:
        bound = self._signature.bind(*args, **kwargs)
        bound.apply_defaults()
        key = tuple(bound.arguments.items())
        try:
            return self._loaded[key]
        except KeyError:
            pass
        with self._lock:
            if key not in self._loaded:
                self._loaded[key] = self._load(*args, **kwargs)
            return self._loaded[key]

    def cache_clear(self) -> None:
        """Forget every loaded model (tests switch configuration)."""
        with self._lock:
            self._loaded.clear()


def loaded_once(load: Callable[P, T]) -> Loader[P, T]:
    return Loader(load)
