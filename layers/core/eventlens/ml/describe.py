"""Describers turn a photo into searchable words: visible text, people and scene.

Gemini vision does it on AWS (`eventlens.ml.gemini`); the embedded mode has no vision
language model, so `LocalDescriber` reads the visible text by OCR, names what an offline image
classifier sees (`eventlens.ml.tagger`: "cat", "coffee (espresso)") and writes the rest of the
scene line from what the pipeline already knows (faces, time, folder, camera). Both fill one
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
    from eventlens.ml.tagger import ImageTagger, Tag
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
        from eventlens.config import settings

        return LocalDescriber(tagger_name=settings().image_tagger)
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
    """OCR for the visible text, image tags and metadata for the scene line; no people descriptions."""

    name = "local"

    def __init__(
        self,
        reader: TextReader | None = None,
        tagger: ImageTagger | None = None,
        tagger_name: str = "none",
    ) -> None:
        self._reader = reader
        self._tagger = tagger
        self._tagger_name = None if tagger is not None else tagger_name

    def describe(
        self, image: np.ndarray, context: DescribeContext, deadline: Deadline | None = None
    ) -> Description:
        if self._reader is None:
            from eventlens.ml.ocr import text_reader

            self._reader = text_reader()
        if self._tagger_name is not None:
            from eventlens.ml.tagger import image_tagger

            self._tagger, self._tagger_name = image_tagger(self._tagger_name), None
        tags = self._tagger.tags(image) if self._tagger is not None else []
        return Description(
            visible_text=self._reader.read(image).text,
            people_descriptions="",
            scene_description=scene_line(context, tags),
            face_count=context.face_count,
        )


def scene_line(context: DescribeContext, tags: list[Tag] | None = None) -> str:
    """ "Photo of cat (tabby), with 1 person, taken 2024-05-02 14:10 in folder 'Expo' (Canon EOS R5)"."""
    line = "Photo"
    if tags:
        line += " of " + ", ".join(t.text() for t in tags) + ","
    if context.face_count:  # no "without people": a search for "people" would find every empty room
        line = f"{line} {_people(context.face_count)},"
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
    return "with 1 person" if count == 1 else f"with {count} people"


def _camera(exif: dict[str, Any]) -> str:
    make = str(exif.get("Make") or "").strip().strip("\x00")
    model = str(exif.get("Model") or "").strip().strip("\x00")
    if model.lower().startswith(make.lower()):
        make = ""  # "Canon" + "Canon EOS R5"
    return " ".join(p for p in (make, model) if p)
