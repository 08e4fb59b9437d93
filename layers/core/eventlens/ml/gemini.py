"""Gemini vision descriptions and ``gemini-embedding-001`` text vectors, through google-genai.

The AWS configuration describes photos with Gemini and embeds descriptions with Gemini's
embedding model. Both are metered, remote and sometimes flaky, so every request passes our
sliding-window rate limiter (the process's, or one shared by every worker in the database: a 429's
``Retry-After`` then holds all of them back) and our retry (429/5xx only, ``Retry-After`` honoured);
google-genai's own retry is switched off so exactly one policy decides. google-genai is
imported on first use: it costs ~2 s of import time that API Lambdas must never pay.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from eventlens.ml.describe import DescribeContext, Description
from eventlens.ml.gemini_reply import parse_reply
from eventlens.resilience import (
    Deadline,
    Failure,
    RateLimiter,
    RetryPolicy,
    call_with_retry,
    parse_retry_after,
    retry_after_header,
)

if TYPE_CHECKING:
    from google.genai import Client

T = TypeVar("T")
log = logging.getLogger(__name__)

MAX_IMAGE_SIDE = 1536
EMBED_BATCH = 100  # batchEmbedContents accepts at most 100 requests per call

PROMPT = """You describe one photo from an event gallery so guests can find it by searching words.
Reply with JSON only, with exactly these fields:
- "visible_text": every piece of readable text in the photo (signs, banners, shirts, cakes,
  name tags, screens), verbatim, separated by "; ". Empty string if none.
- "people_descriptions": one short description per visible person (clothing, colours,
  accessories, pose, action, approximate age group), separated by "; ". Never guess names
  or identities. Empty string if nobody is visible.
- "scene_description": one or two sentences on the setting, activity, mood and notable objects.
- "face_count": the number of human faces visible, as an integer.
"""

RESPONSE_SCHEMA: dict[str, Any] = {
    "type": "OBJECT",
    "properties": {
        "visible_text": {"type": "STRING"},
        "people_descriptions": {"type": "STRING"},
        "scene_description": {"type": "STRING"},
        "face_count": {"type": "INTEGER", "nullable": True},
    },
    "required": ["visible_text", "people_descriptions", "scene_description", "face_count"],
}


MIN_ATTEMPT_MS = 1000
"""The shortest HTTP timeout an attempt gets, however little time its caller has left."""


class GeminiError(RuntimeError):
    """A Gemini call failed for good: a permanent error, retries used up, or no text returned."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class _GeminiCaller:
    """The shared plumbing: one lazily built client, rate limit, retry, error translation."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None,
        requests_per_minute: int,
        retry: RetryPolicy | None,
        timeout_s: float,
        limiter: RateLimiter | None,
        sleep: Callable[[float], None],
    ) -> None:
        if not api_key:
            raise GeminiError("no Gemini API key configured (GEMINI_API_KEY or GEMINI_SECRET_ARN)")
        self._api_key = api_key
        self._base_url = base_url
        self._timeout_ms = int(timeout_s * 1000)
        self.limiter = limiter or RateLimiter(max(1, requests_per_minute), 60.0, sleep=sleep)
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._client: Client | None = None

    @property
    def client(self) -> Client:
        if self._client is None:
            from google import genai
            from google.genai import types

            options = types.HttpOptions(
                base_url=self._base_url,
                timeout=self._timeout_ms,
                retry_options=types.HttpRetryOptions(attempts=1),  # ours is the only retry
            )
            self._client = genai.Client(api_key=self._api_key, http_options=options)
        return self._client

    def attempt_timeout_ms(self, deadline: Deadline | None) -> int:
        """One attempt's HTTP timeout: the configured one, cut to the time the caller has left (at
        least a second), so a slow reply cannot carry a phase past its Lambda's margin."""
        if deadline is None:
            return self._timeout_ms
        return max(MIN_ATTEMPT_MS, min(self._timeout_ms, int(deadline.remaining_ms())))

    def call(self, operation: str, fn: Callable[[int], T], deadline: Deadline | None = None) -> T:
        """Run ``fn(timeout_ms)`` under the limiter and retry; failures become one ``GeminiError``.
        A retry that would pass ``deadline`` raises ``OutOfTime`` (the item waits for the next batch)."""
        import httpx
        from google.genai import errors

        def classify(exc: BaseException) -> Failure | None:
            failure = _classify(exc)
            if failure is not None and failure.status == 429:
                asked = parse_retry_after(failure.retry_after)
                self.limiter.hold_off(self.retry.base_s if asked is None else asked)
            return failure

        try:
            return call_with_retry(
                lambda: fn(self.attempt_timeout_ms(deadline)),
                policy=self.retry,
                classify=classify,
                sleep=self._sleep,
                deadline=deadline,
                before_attempt=lambda: self.limiter.acquire(deadline),
            )
        except errors.APIError as exc:
            notes = " ".join(getattr(exc, "__notes__", []))
            message = f"Gemini {operation} failed: HTTP {exc.code} {exc.status or ''}: {exc.message or ''}"
            raise GeminiError(f"{message.strip()} {notes}".strip(), status=exc.code) from exc
        except httpx.HTTPError as exc:  # refused, reset, timed out: not a 429/5xx, so not retried
            raise GeminiError(f"Gemini {operation} failed: {type(exc).__name__}: {exc}") from exc


def _classify(exc: BaseException) -> Failure | None:
    from google.genai import errors

    if not isinstance(exc, errors.APIError):
        return None
    if exc.code == 429:  # each one, retried or not: template.yaml's GeminiRateLimitedFilter counts it
        log.warning("Gemini answered HTTP 429")
    headers = getattr(exc.response, "headers", None)
    return Failure(exc.code, retry_after_header(headers))


def encode_jpeg(image: np.ndarray, max_side: int = MAX_IMAGE_SIDE, quality: int = 85) -> bytes:
    """RGB (or grey/RGBA) array -> JPEG bytes no larger than ``max_side`` on either side.

    Gemini tiles large images into more (billed) tokens without seeing more than it needs
    for a description; 1536 px keeps small text legible.
    """
    from PIL import Image

    if image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 image, got {image.dtype}")
    if image.ndim == 3 and image.shape[2] == 4:
        image = image[:, :, :3]
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3)):
        raise ValueError(f"expected an RGB image, got shape {image.shape}")
    picture = Image.fromarray(np.ascontiguousarray(image))
    if picture.mode != "RGB":
        picture = picture.convert("RGB")
    picture.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def build_prompt(context: DescribeContext) -> str:
    """The fixed instructions plus what we already know, which helps with ambiguous scenes."""
    facts = [f"File: {context.folder.rstrip('/') + '/' if context.folder else ''}{context.filename}"]
    if context.taken_at is not None:
        facts.append(f"Taken at: {context.taken_at.isoformat(timespec='minutes')}")
    if context.face_count is not None:
        facts.append(f"A face detector found {context.face_count} face(s); correct it if you see otherwise.")
    return PROMPT + "\nKnown about this photo:\n" + "\n".join(facts)


class GeminiDescriber:
    """Describe a photo with Gemini vision: visible text, people, scene and a face count."""

    name = "gemini"

    def __init__(
        self,
        api_key: str,
        *,
        model: str = "gemini-2.5-flash",
        base_url: str | None = None,
        requests_per_minute: int = 60,
        retry: RetryPolicy | None = None,
        timeout_s: float = 60.0,
        max_side: int = MAX_IMAGE_SIDE,
        thinking_budget: int | None = 0,
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.model = model
        self.max_side = max_side
        self.thinking_budget = thinking_budget
        """Sent with every request: 0 (no thinking) unless configured; -1 lets the model decide;
        None sends no thinking config (the model's default, which for 2.5 Flash is to think)."""
        self._caller = _GeminiCaller(
            api_key=api_key,
            base_url=base_url,
            requests_per_minute=requests_per_minute,
            retry=retry,
            timeout_s=timeout_s,
            limiter=limiter,
            sleep=sleep,
        )

    def describe(
        self, image: np.ndarray, context: DescribeContext, deadline: Deadline | None = None
    ) -> Description:
        """One generateContent call (plus retries); raises ``GeminiError`` or ``UnparseableReplyError``."""
        from google.genai import types

        contents: list[Any] = [
            types.Part.from_bytes(data=encode_jpeg(image, self.max_side), mime_type="image/jpeg"),
            build_prompt(context),
        ]
        client = self._caller.client
        thinking = None
        if self.thinking_budget is not None:
            thinking = types.ThinkingConfig(thinking_budget=self.thinking_budget)

        def generate(timeout_ms: int) -> Any:
            config = types.GenerateContentConfig(
                response_mime_type="application/json",
                response_schema=RESPONSE_SCHEMA,
                temperature=0.2,
                thinking_config=thinking,
                http_options=types.HttpOptions(timeout=timeout_ms),
            )
            return client.models.generate_content(model=self.model, contents=contents, config=config)

        response = self._caller.call("generateContent", generate, deadline)
        text = response.text
        if not text:
            raise GeminiError(f"Gemini returned no text for {context.filename}: {_why_empty(response)}")
        parsed = parse_reply(text)
        if parsed.level != "json":
            log.warning("gemini reply for %s needed %s recovery", context.filename, parsed.level)
        return parsed.description


def _why_empty(response: Any) -> str:
    feedback = getattr(response, "prompt_feedback", None)
    if feedback is not None and feedback.block_reason:
        return f"prompt blocked ({feedback.block_reason})"
    candidates = response.candidates or []
    reasons = [str(c.finish_reason) for c in candidates if c.finish_reason]
    return f"finish reason {', '.join(reasons)}" if reasons else "no candidates"


class GeminiEmbedder:
    """Text vectors from ``gemini-embedding-001``, truncated to ``dim`` and L2-normalised.

    Gemini only normalises its full 3072-d output; a Matryoshka-truncated 768-d vector must
    be normalised here so cosine and inner product agree in pgvector.
    """

    def __init__(
        self,
        api_key: str,
        *,
        model: str = "gemini-embedding-001",
        dim: int = 768,
        base_url: str | None = None,
        requests_per_minute: int = 60,
        retry: RetryPolicy | None = None,
        timeout_s: float = 60.0,
        batch_size: int = EMBED_BATCH,
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.name = model
        self.dim = dim
        self.batch_size = min(batch_size, EMBED_BATCH)
        self._caller = _GeminiCaller(
            api_key=api_key,
            base_url=base_url,
            requests_per_minute=requests_per_minute,
            retry=retry,
            timeout_s=timeout_s,
            limiter=limiter,
            sleep=sleep,
        )

    def embed(self, texts: Sequence[str], deadline: Deadline | None = None) -> np.ndarray:
        """Document vectors, shape (n, dim), float32, unit length; one request per 100 texts."""
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of texts; use embed_query() for one")
        batches = [
            self._embed_batch(list(texts[i : i + self.batch_size]), "RETRIEVAL_DOCUMENT", deadline)
            for i in range(0, len(texts), self.batch_size)
        ]
        return np.concatenate(batches) if batches else np.zeros((0, self.dim), dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        """A search query's vector, shape (dim,): the query task type retrieves documents better."""
        return self._embed_batch([text], "RETRIEVAL_QUERY", None)[0]

    def _embed_batch(self, texts: list[str], task_type: str, deadline: Deadline | None) -> np.ndarray:
        from google.genai import types

        if any(not t.strip() for t in texts):
            raise ValueError("cannot embed blank text")
        contents: list[types.ContentUnion] = list(texts)
        client = self._caller.client

        def embed(timeout_ms: int) -> Any:
            config = types.EmbedContentConfig(
                task_type=task_type,
                output_dimensionality=self.dim,
                http_options=types.HttpOptions(timeout=timeout_ms),
            )
            return client.models.embed_content(model=self.name, contents=contents, config=config)

        response = self._caller.call("batchEmbedContents", embed, deadline)
        vectors = np.array([e.values or [] for e in response.embeddings or []], dtype=np.float32)
        if vectors.shape != (len(texts), self.dim):
            raise GeminiError(
                f"Gemini returned embeddings of shape {vectors.shape}, expected ({len(texts)}, {self.dim})"
            )
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        if not np.all(norms > 0):
            raise GeminiError("Gemini returned a zero embedding")
        return (vectors / norms).astype(np.float32)
