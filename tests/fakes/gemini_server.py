"""A local stand-in for the Gemini REST API, so the real google-genai client can be tested offline.

It speaks the two paths the client uses for the Gemini Developer API (checked against
google-genai's `models.py`): `POST /v1beta/models/{model}:generateContent` and
`POST /v1beta/models/{model}:batchEmbedContents` (`embed_content` always batches there).
Replies to generateContent are scripted one per request; embeddings are computed from the
text (deterministic, deliberately not unit length) unless an error is scripted first.
Every request is recorded with its arrival time so tests can check waits and batching.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

API_KEY = "fake-gemini-key"

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    502: "BAD_GATEWAY",
    503: "UNAVAILABLE",
}


@dataclass(frozen=True)
class Scripted:
    """One canned HTTP answer."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    """How long the server thinks before answering (a slow model, a stalled connection)."""


def text_reply(text: str, finish_reason: str = "STOP") -> Scripted:
    """A generateContent success whose single candidate says ``text``."""
    return Scripted(
        200,
        {
            "candidates": [
                {
                    "content": {"role": "model", "parts": [{"text": text}]},
                    "finishReason": finish_reason,
                    "index": 0,
                }
            ],
            "usageMetadata": {"promptTokenCount": 1290, "candidatesTokenCount": 80, "totalTokenCount": 1370},
            "modelVersion": "gemini-2.5-flash",
        },
    )


def error_reply(status: int, message: str = "", retry_after: str | None = None) -> Scripted:
    """A Google API error body, optionally with a ``Retry-After`` header."""
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    body = {
        "error": {
            "code": status,
            "message": message or f"scripted {status}",
            "status": _STATUS_NAMES.get(status, "UNKNOWN"),
        }
    }
    return Scripted(status, body, headers)


@dataclass(frozen=True)
class Recorded:
    """A request as the server saw it."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float

    @property
    def method(self) -> str:
        """The REST method after the colon, e.g. ``generateContent``."""
        return self.path.rsplit(":", 1)[-1].split("?", 1)[0]


def fake_embedding(text: str, dim: int, scale: float = 3.0) -> list[float]:
    """A deterministic vector for ``text`` whose norm is ``scale`` (so callers must normalise)."""
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
    vector = np.random.default_rng(seed).standard_normal(dim)
    return [float(x) for x in vector / np.linalg.norm(vector) * scale]


class FakeGeminiServer:
    """``with FakeGeminiServer() as fake:`` then point the client at ``fake.base_url``."""

    def __init__(self, api_key: str = API_KEY) -> None:
        self.api_key = api_key
        self.requests: list[Recorded] = []
        self._generate: deque[Scripted] = deque()
        self._embed: deque[Scripted] = deque()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeGeminiServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def script_generate(self, *replies: Scripted) -> None:
        """Queue answers for the next generateContent requests, in order."""
        with self._lock:
            self._generate.extend(replies)

    def script_embed(self, *replies: Scripted) -> None:
        """Queue answers (usually errors) to serve before computed embeddings."""
        with self._lock:
            self._embed.extend(replies)

    def calls(self, method: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method]

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._generate.clear()
            self._embed.clear()

    def _answer(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> Scripted:
        with self._lock:
            self.requests.append(Recorded(path, headers, body, time.monotonic()))
            if headers.get("x-goog-api-key") != self.api_key:
                return error_reply(400, "API key not valid. Please pass a valid API key.")
            method = path.rsplit(":", 1)[-1].split("?", 1)[0]
            if method == "generateContent":
                if self._generate:
                    return self._generate.popleft()
                return error_reply(501, "no scripted reply left for generateContent")
            if method == "batchEmbedContents":
                if self._embed:
                    return self._embed.popleft()
                return Scripted(200, {"embeddings": [_embed_one(r) for r in body.get("requests", [])]})
            return error_reply(404, f"unknown path {path}")

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b"{}"
                headers = {k.lower(): v for k, v in self.headers.items()}
                reply = server._answer(self.path, headers, json.loads(raw or b"{}"))
                time.sleep(reply.delay_s)
                payload = json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:  # quiet test output
                return

        return Handler


def _embed_one(request: dict[str, Any]) -> dict[str, Any]:
    text = "".join(p.get("text", "") for p in request.get("content", {}).get("parts", []))
    dim = int(request.get("outputDimensionality") or 3072)
    return {"values": fake_embedding(text, dim)}
