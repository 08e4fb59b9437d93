"""Describers turn a photo into searchable words: visible text, people and scene.

Gemini vision does it on AWS (`eventlens.ml.gemini`); the embedded mode has no vision
language model, so `LocalDescriber` reads the visible text by OCR and writes the scene line
from what the pipeline already knows (faces, time, folder, camera). Both fill one
`Description`, so search never asks which describer ran.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from eventlens.ml._loader import loaded_once
from eventlens.ml.errors import UnknownModelError

if TYPE_CHECKING:
    import numpy as np

    from eventlens.ml.ocr import TextReader
    from eventlens.resilience import Deadline

DESCRIBERS = ("local", "gemini")


@dataclass(frozen=True)
class Description:
    visible_text: str
    people_descriptions: str
    scene_description: str
    face_count: int | None


@dataclass(frozen=True)
class DescribeContext:
    filename: str
    folder: str
    taken_at: datetime | None = None
    face_count: int | None = None
    exif: dict = field(default_factory=dict)


class Describer(Protocol):
    name: str

    def describe(
        self, image: np.ndarray, context: DescribeContext, deadline: Deadline | None = None
    ) -> Description:
        """Describe an RGB (H, W, 3) uint8 photo; `context` is what is known beforehand; a remote
        describer keeps its calls (and retries) within `deadline`."""
        ...


@loaded_once
def describer(name: str = "local") -> Describer:
    """The process-wide describer for `name` ("local" or "gemini"), built on first use."""
    if name == "local":
        return LocalDescriber()
    if name == "gemini":
        from eventlens.config import settings
        from eventlens.ml._config import gemini_limiter, gemini_options
        from eventlens.ml.gemini import GeminiDescriber

        cfg = settings()
        return GeminiDescriber(
            model=cfg.gemini_model,
            thinking_budget=cfg.gemini_thinking_budget,
            limiter=gemini_limiter(cfg.gemini_model),
            **gemini_options(),
        )
    raise UnknownModelError(f"unknown describer {name!r}; expected one of {list(DESCRIBERS)}")


class LocalDescriber:
    """OCR for the visible text, metadata for the scene line; no people descriptions."""

    name = "local"

    def __init__(self, reader: TextReader | None = None) -> None:
        self._reader = reader

    def describe(
        self, image: np.ndarray, context: DescribeContext, deadline: Deadline | None = None
    ) -> Description:
        if self._reader is None:
            from eventlens.ml.ocr import text_reader

            self._reader = text_reader()
        return Description(
            visible_text=self._reader.read(image).text,
            people_descriptions="",
            scene_description=scene_line(context),
            face_count=context.face_count,
        )


def scene_line(context: DescribeContext) -> str:
    """ "Photo with 3 people, taken 2024-05-02 14:10 in folder 'Keynote' (Canon EOS R5)"."""
    line = "Photo" if context.face_count is None else f"Photo {_people(context.face_count)},"
    details = []
    if context.taken_at is not None:
        details.append(f"taken {context.taken_at:%Y-%m-%d %H:%M}")
    folder = context.folder.strip("/")
    if folder:
        details.append(f"in folder '{folder}'")
    line = " ".join([line, *details]).rstrip(",")
    camera = _camera(context.exif)
    return f"{line} ({camera})" if camera else line


def _people(count: int) -> str:
    if count == 0:
        return "without people"
    return "with 1 person" if count == 1 else f"with {count} people"


def _camera(exif: dict[str, Any]) -> str:
    make = str(exif.get("Make") or "").strip().strip("\x00")
    model = str(exif.get("Model") or "").strip().strip("\x00")
    if model.lower().startswith(make.lower()):
        make = ""  # "Canon" + "Canon EOS R5"
    return " ".join(p for p in (make, model) if p)
