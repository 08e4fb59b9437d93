"""The Gemini describer and embedder through the real google-genai client, against a local fake.

The fake speaks Gemini's REST paths; google-genai's own retry is off, so every retry seen
here is ours (rate limiter, backoff, Retry-After).
"""

from __future__ import annotations

import base64
import io
import socket
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import numpy as np
import pytest
from eventlens.ml.describe import DescribeContext, Description
from eventlens.ml.gemini import GeminiDescriber, GeminiEmbedder, GeminiError, encode_jpeg
from eventlens.ml.gemini_reply import UnparseableReplyError
from eventlens.resilience import OutOfTime, RateLimiter, RetryPolicy, WallClockGuard
from PIL import Image
from skimage import data as skdata

from tests.fakes.gemini_server import (
    API_KEY,
    FakeGeminiServer,
    Scripted,
    error_reply,
    fake_embedding,
    text_reply,
)

REPLY = (
    '{"visible_text": "NASA; USA", "people_descriptions": "woman in a white spacesuit holding a helmet",'
    ' "scene_description": "Official portrait in front of a flag", "face_count": 1}'
)
EXPECTED = Description(
    visible_text="NASA; USA",
    people_descriptions="woman in a white spacesuit holding a helmet",
    scene_description="Official portrait in front of a flag",
    face_count=1,
)
CONTEXT = DescribeContext(
    filename="astronaut.jpg", folder="day1", taken_at=datetime(2024, 5, 4, 18, 30), face_count=1
)
FAST_RETRY = RetryPolicy(base_s=0.05, cap_s=0.2, max_attempts=3)


class RecordingSleep:
    """Really sleeps, and remembers how long it was asked to."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        time.sleep(seconds)


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return np.asarray(skdata.astronaut())


@pytest.fixture(scope="module")
def server() -> Iterator[FakeGeminiServer]:
    with FakeGeminiServer() as fake:
        yield fake


@pytest.fixture
def fake(server: FakeGeminiServer) -> FakeGeminiServer:
    server.reset()
    return server


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def describer(fake: FakeGeminiServer, sleep: RecordingSleep) -> GeminiDescriber:
    return GeminiDescriber(
        API_KEY, base_url=fake.base_url, retry=FAST_RETRY, sleep=sleep, requests_per_minute=600
    )


@pytest.fixture
def embedder(fake: FakeGeminiServer, sleep: RecordingSleep) -> GeminiEmbedder:
    return GeminiEmbedder(
        API_KEY, base_url=fake.base_url, retry=FAST_RETRY, sleep=sleep, requests_per_minute=600
    )


def sent_image(fake: FakeGeminiServer, index: int = 0) -> Image.Image:
    parts = fake.calls("generateContent")[index].body["contents"][0]["parts"]
    inline = next(p["inlineData"] for p in parts if "inlineData" in p)
    assert inline["mimeType"] == "image/jpeg"
    return Image.open(io.BytesIO(base64.urlsafe_b64decode(inline["data"])))


# -- describe ---------------------------------------------------------------------------------


def test_describe_sends_the_photo_as_jpeg_and_asks_for_json(
    fake: FakeGeminiServer, describer: GeminiDescriber, astronaut: np.ndarray
) -> None:
    fake.script_generate(text_reply(REPLY))
    assert describer.describe(astronaut, CONTEXT) == EXPECTED
    [call] = fake.calls("generateContent")
    assert call.path == "/v1beta/models/gemini-2.5-flash:generateContent"
    assert call.headers["x-goog-api-key"] == API_KEY
    assert call.body["generationConfig"]["responseMimeType"] == "application/json"
    assert set(call.body["generationConfig"]["responseSchema"]["properties"]) == {
        "visible_text",
        "people_descriptions",
        "scene_description",
        "face_count",
    }
    prompt = next(p["text"] for p in call.body["contents"][0]["parts"] if "text" in p)
    assert "day1/astronaut.jpg" in prompt
    assert "2024-05-04T18:30" in prompt
    image = sent_image(fake)
    assert image.size == (512, 512)
    assert np.abs(np.asarray(image, dtype=np.int16) - astronaut).mean() < 6  # the same photo


def thinking_budget(config: dict[str, Any]) -> Any:
    """The budget as sent (google-genai 1.x writes the inner field in snake_case; the API's JSON
    accepts either spelling)."""
    [(name, value)] = config["thinkingConfig"].items()
    assert name in ("thinkingBudget", "thinking_budget")
    return value


def test_describe_turns_thinking_off_unless_a_budget_is_configured(
    fake: FakeGeminiServer, describer: GeminiDescriber, astronaut: np.ndarray
) -> None:
    fake.script_generate(text_reply(REPLY), text_reply(REPLY))
    describer.describe(astronaut, CONTEXT)
    budgeted = GeminiDescriber(API_KEY, base_url=fake.base_url, retry=FAST_RETRY, thinking_budget=512)
    budgeted.describe(astronaut, CONTEXT)
    first, second = (call.body["generationConfig"] for call in fake.calls("generateContent"))
    assert thinking_budget(first) == 0
    assert thinking_budget(second) == 512


def test_the_configured_describer_sends_the_thinking_budget_setting(
    fake: FakeGeminiServer, astronaut: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    from eventlens.config import reset_settings
    from eventlens.ml.describe import describer as configured

    for name, value in {
        "GEMINI_API_KEY": API_KEY,
        "EVENTLENS_GEMINI_BASE_URL": fake.base_url,
        "EVENTLENS_GEMINI_THINKING_BUDGET": "-1",
    }.items():
        monkeypatch.setenv(name, value)
    reset_settings()
    configured.cache_clear()
    try:
        fake.script_generate(text_reply(REPLY))
        assert configured("gemini").describe(astronaut, CONTEXT) == EXPECTED
    finally:
        configured.cache_clear()
        monkeypatch.undo()
        reset_settings()
    [call] = fake.calls("generateContent")
    assert thinking_budget(call.body["generationConfig"]) == -1


def test_large_photo_is_sent_at_most_1536_pixels_wide(
    fake: FakeGeminiServer, describer: GeminiDescriber, astronaut: np.ndarray
) -> None:
    big = np.tile(astronaut, (4, 6, 1))  # 2048 x 3072
    fake.script_generate(text_reply(REPLY))
    describer.describe(big, CONTEXT)
    assert sent_image(fake).size == (1536, 1024)


def test_grey_and_rgba_photos_are_sent_as_rgb_jpeg(astronaut: np.ndarray) -> None:
    grey = np.asarray(skdata.camera())
    rgba = np.dstack([astronaut, np.full(astronaut.shape[:2], 255, np.uint8)])
    for image in (grey, rgba):
        sent = Image.open(io.BytesIO(encode_jpeg(image)))
        assert (sent.format, sent.mode, sent.size) == ("JPEG", "RGB", (512, 512))
    with pytest.raises(ValueError, match="uint8"):
        encode_jpeg(astronaut.astype(np.float32))


def test_fenced_json_reply_is_parsed(
    fake: FakeGeminiServer, describer: GeminiDescriber, astronaut: np.ndarray
) -> None:
    fake.script_generate(text_reply(f"Here you go:\n```json\n{REPLY}\n```"))
    assert describer.describe(astronaut, CONTEXT) == EXPECTED


def test_truncated_json_reply_keeps_what_arrived(
    fake: FakeGeminiServer, describer: GeminiDescriber, astronaut: np.ndarray
) -> None:
    fake.script_generate(text_reply(REPLY[:110], finish_reason="MAX_TOKENS"))
    description = describer.describe(astronaut, CONTEXT)
    assert description.visible_text == "NASA; USA"
    assert description.people_descriptions == "woman in a white spacesuit holding a helmet"
    assert description.scene_description == ""
    assert description.face_count is None


def test_garbage_reply_raises_without_retrying(
    fake: FakeGeminiServer, describer: GeminiDescriber, astronaut: np.ndarray
) -> None:
    fake.script_generate(text_reply("I cannot help with that request."))
    with pytest.raises(UnparseableReplyError):
        describer.describe(astronaut, CONTEXT)
    assert len(fake.calls("generateContent")) == 1


def test_empty_reply_is_a_clear_error(
    fake: FakeGeminiServer, describer: GeminiDescriber, astronaut: np.ndarray
) -> None:
    fake.script_generate(text_reply("", finish_reason="SAFETY"))
    with pytest.raises(GeminiError, match=r"no text for astronaut\.jpg: finish reason .*SAFETY"):
        describer.describe(astronaut, CONTEXT)


def test_429_waits_as_long_as_retry_after_says_then_succeeds(
    fake: FakeGeminiServer, describer: GeminiDescriber, astronaut: np.ndarray, sleep: RecordingSleep
) -> None:
    fake.script_generate(error_reply(429, "Resource has been exhausted", retry_after="1"), text_reply(REPLY))
    assert describer.describe(astronaut, CONTEXT) == EXPECTED
    first, second = fake.calls("generateContent")
    assert sleep.calls == [1.0]  # the backoff alone would have been ~0.05 s
    assert second.at - first.at >= 1.0


def test_500_is_retried_with_backoff_then_succeeds(
    fake: FakeGeminiServer, describer: GeminiDescriber, astronaut: np.ndarray, sleep: RecordingSleep
) -> None:
    fake.script_generate(error_reply(500, "Internal error encountered."), text_reply(REPLY))
    assert describer.describe(astronaut, CONTEXT) == EXPECTED
    assert len(fake.calls("generateContent")) == 2
    assert len(sleep.calls) == 1
    assert 0.0375 <= sleep.calls[0] <= 0.0625


def test_permanent_400_fails_at_once_with_the_server_message(
    fake: FakeGeminiServer, describer: GeminiDescriber, astronaut: np.ndarray, sleep: RecordingSleep
) -> None:
    fake.script_generate(error_reply(400, "Unable to process input image."), text_reply(REPLY))
    with pytest.raises(GeminiError, match="HTTP 400 INVALID_ARGUMENT: Unable to process input image") as info:
        describer.describe(astronaut, CONTEXT)
    assert info.value.status == 400
    assert len(fake.calls("generateContent")) == 1
    assert sleep.calls == []


def test_wrong_api_key_is_reported_not_retried(fake: FakeGeminiServer, astronaut: np.ndarray) -> None:
    describer = GeminiDescriber("wrong-key", base_url=fake.base_url, retry=FAST_RETRY)
    with pytest.raises(GeminiError, match="API key not valid"):
        describer.describe(astronaut, CONTEXT)
    assert len(fake.requests) == 1


def test_persistent_503_gives_up_after_the_policy_attempts(
    fake: FakeGeminiServer, describer: GeminiDescriber, astronaut: np.ndarray, sleep: RecordingSleep
) -> None:
    fake.script_generate(*(error_reply(503, "The model is overloaded.") for _ in range(5)))
    with pytest.raises(GeminiError, match=r"HTTP 503 UNAVAILABLE.*gave up after 3 attempt") as info:
        describer.describe(astronaut, CONTEXT)
    assert info.value.status == 503
    assert len(fake.calls("generateContent")) == 3  # google-genai added no retries of its own
    assert len(sleep.calls) == 2


def test_unreachable_server_is_a_clear_error_without_retries(astronaut: np.ndarray) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again below: nothing listens there
    sleep = RecordingSleep()
    describer = GeminiDescriber(API_KEY, base_url=f"http://127.0.0.1:{port}", retry=FAST_RETRY, sleep=sleep)
    with pytest.raises(GeminiError, match="generateContent failed: ConnectError") as info:
        describer.describe(astronaut, CONTEXT)
    assert info.value.status is None
    assert sleep.calls == []


def test_missing_api_key_is_refused_before_any_call() -> None:
    with pytest.raises(GeminiError, match="no Gemini API key"):
        GeminiDescriber("")


# -- embed ------------------------------------------------------------------------------------


def test_embeddings_are_batched_by_100_normalised_and_in_order(
    fake: FakeGeminiServer, embedder: GeminiEmbedder
) -> None:
    texts = [f"photo {i}: guests dancing under string lights" for i in range(250)]
    vectors = embedder.embed(texts)
    assert vectors.shape == (250, 768)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    expected = np.array(fake_embedding(texts[137], 768)) / 3.0
    np.testing.assert_allclose(vectors[137], expected, atol=1e-5)
    calls = fake.calls("batchEmbedContents")
    assert [len(c.body["requests"]) for c in calls] == [100, 100, 50]
    assert calls[0].path == "/v1beta/models/gemini-embedding-001:batchEmbedContents"
    first = calls[0].body["requests"][0]
    assert (first["taskType"], first["outputDimensionality"]) == ("RETRIEVAL_DOCUMENT", 768)


def test_query_embedding_uses_the_query_task_type(fake: FakeGeminiServer, embedder: GeminiEmbedder) -> None:
    vector = embedder.embed_query("bride and groom cutting the cake")
    assert vector.shape == (768,)
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)
    [call] = fake.calls("batchEmbedContents")
    assert call.body["requests"][0]["taskType"] == "RETRIEVAL_QUERY"
    assert embedder.name == "gemini-embedding-001"
    assert embedder.dim == 768


def test_no_texts_means_no_call(fake: FakeGeminiServer, embedder: GeminiEmbedder) -> None:
    assert embedder.embed([]).shape == (0, 768)
    assert fake.requests == []


def test_blank_text_is_refused(embedder: GeminiEmbedder) -> None:
    with pytest.raises(ValueError, match="blank"):
        embedder.embed(["a sunset", "  "])


def test_embedding_429_is_retried(
    fake: FakeGeminiServer, embedder: GeminiEmbedder, sleep: RecordingSleep
) -> None:
    fake.script_embed(error_reply(429, "Quota exceeded", retry_after="0"))
    assert embedder.embed(["a toast at the head table"]).shape == (1, 768)
    assert len(fake.calls("batchEmbedContents")) == 2
    assert sleep.calls == [0.0]


def test_rate_limiter_spaces_requests_beyond_the_quota(fake: FakeGeminiServer) -> None:
    embedder = GeminiEmbedder(API_KEY, base_url=fake.base_url, batch_size=1, limiter=RateLimiter(2, 0.4))
    embedder.embed(["one", "two", "three"])
    first, second, third = (c.at for c in fake.calls("batchEmbedContents"))
    assert second - first < 0.2
    assert third - first >= 0.35  # 0.4 s after the first *acquire*, which precedes its arrival


def test_an_attempt_never_waits_longer_than_the_time_left(
    fake: FakeGeminiServer, describer: GeminiDescriber, astronaut: np.ndarray
) -> None:
    """A slow reply is cut at the caller's deadline (1.5 s), not at the 60 s HTTP timeout."""
    slow = text_reply(REPLY)
    fake.script_generate(Scripted(slow.status, slow.body, delay_s=5.0))
    started = time.monotonic()
    with pytest.raises(GeminiError):
        describer.describe(astronaut, CONTEXT, WallClockGuard(1_500))
    assert time.monotonic() - started < 3.0


def test_a_retry_after_past_the_deadline_is_out_of_time_not_a_failure(
    fake: FakeGeminiServer, describer: GeminiDescriber, astronaut: np.ndarray, sleep: RecordingSleep
) -> None:
    fake.script_generate(error_reply(429, "Resource has been exhausted", retry_after="100"))
    with pytest.raises(OutOfTime, match="passes the deadline"):
        describer.describe(astronaut, CONTEXT, WallClockGuard(5_000))
    assert sleep.calls == []
    assert len(fake.calls("generateContent")) == 1
