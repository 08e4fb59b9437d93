"""`eventlens serve`: the local stand-in for API Gateway, CloudFront and S3.

Each HTTP request to /api/... becomes an API Gateway HTTP API v2.0 event handed to the same
`lambda_handler` that AWS runs (functions/<group>/app.py). Admin routes first pass the check the
HTTP API's JWT authorizer makes on AWS: a missing, forged or expired token is refused with 401
before any handler runs, and a valid one reaches the handler as
`requestContext.authorizer.jwt.claims`. /media/... serves (and, for organizers, accepts) blobs
from the local store with HTTP range support; everything else is the static web/ folder.

Like API Gateway, the server refuses what a handler should never see: a body larger than its route
takes (`body_limit`, 413 before a byte of it is read), a Content-Length that is not one number
(400), a chunked body (411), and a client that goes idle or sends too slowly (408, or the
connection closed after READ_TIMEOUT_S).
"""

from __future__ import annotations

import base64
import contextlib
import importlib.util
import json
import mimetypes
import os
import re
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote, urlsplit

from eventlens.api.multipart import FORM_OVERHEAD
from eventlens.auth.principals import bearer_token, principal_from_claims
from eventlens.auth.tokens import verify_token
from eventlens.config import settings
from eventlens.errors import NotSignedIn
from eventlens.storage import BlobNotFound, InvalidKey, blob_store, validate_key
from eventlens.storage.keys import event_of_original
from eventlens.storage.local import LocalBlobStore

ADMIN_PATH = re.compile(r"^/api/events/[^/]+/admin(/|$)")
MATCH_PATH = re.compile(r"^/api/events/[^/]+/match/?$")
TEXT_TYPES = ("application/json", "text/", "application/javascript", "image/svg+xml")

PUBLIC_MAX_BODY = 256 * 1024
"""Public JSON routes: the largest body is a download of 500 photo ids (about 20 KB)."""
ADMIN_MAX_BODY = 2 * 1024 * 1024
"""Organizer JSON routes: the largest is uploads/complete, 1,000 keys of at most 1,024 bytes."""
READ_TIMEOUT_S = 30
"""A connection idle this long is closed; a request body must arrive within this long plus its
size at MIN_BODY_RATE."""
MIN_BODY_RATE = 64 * 1024
"""Bytes per second: the slowest upload the body deadline allows for."""
LINGER_S = 2.0
LINGER_BYTES = 1024 * 1024
"""After a refusal with the body unread, what the server still reads and drops before closing, so
the client reads the answer instead of a connection reset."""
WRITE_CHUNK = 256 * 1024
_CONTENT_LENGTH = re.compile(r"^[0-9]{1,18}$")

os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "eventlens")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "EventLens")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")


def project_root() -> Path:
    """The checkout holding functions/ and web/ (editable install), else the packaged copies."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "functions").is_dir() and (parent / "web").is_dir():
            return parent
    return here.parent


def web_root() -> Path:
    root = project_root()
    return root / "web" if (root / "web").is_dir() else root / "_web"


def functions_root() -> Path:
    root = project_root()
    return root / "functions" if (root / "functions").is_dir() else root / "_functions"


_handlers: dict[str, Callable[[dict[str, Any], Any], dict[str, Any]]] = {}
_handlers_lock = threading.Lock()
_invocation_locks: dict[str, threading.Lock] = {}


def lambda_handler(group: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """Import functions/<group>/app.py once, as Lambda would, and return its handler."""
    with _handlers_lock:
        if group not in _handlers:
            path = functions_root() / group / "app.py"
            spec = importlib.util.spec_from_file_location(f"eventlens_functions_{group}", path)
            if spec is None or spec.loader is None:
                raise ImportError(f"no handler at {path}")
            module: ModuleType = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module
            spec.loader.exec_module(module)
            _handlers[group] = module.lambda_handler
            _invocation_locks[group] = threading.Lock()
        return _handlers[group]


def invoke(group: str, event: dict[str, Any], context: Any) -> dict[str, Any]:
    """One invocation at a time per handler, as one Lambda instance runs them: the Powertools
    resolver keeps the current request on itself, so two threads in it would swap bodies."""
    handler = lambda_handler(group)
    with _invocation_locks[group]:
        return handler(event, context)


def body_limit(method: str, path: str) -> int:
    """The largest body a request may send, from its method and path alone (before reading any)."""
    if path.startswith("/media/"):
        return settings().max_upload_bytes if method == "PUT" else 0
    if not path.startswith("/api/"):
        return 0
    if MATCH_PATH.match(path):  # the selfie: base64 in JSON (4/3 of its bytes) or a multipart form
        return -(-settings().max_selfie_bytes * 4 // 3) + FORM_OVERHEAD
    if ADMIN_PATH.match(path):
        return ADMIN_MAX_BODY
    return PUBLIC_MAX_BODY


def route_group(path: str) -> str:
    if ADMIN_PATH.match(path):
        return "api_admin"
    if MATCH_PATH.match(path):
        return "api_match"
    return "api_gallery"


@dataclass
class LambdaContext:
    """What Powertools reads from a Lambda context object."""

    function_name: str
    aws_request_id: str
    memory_limit_in_mb: int = 1024
    function_version: str = "$LATEST"
    log_group_name: str = "local"
    log_stream_name: str = "local"
    deadline_ms: int = 0

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:local:000000000000:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self.deadline_ms - int(time.time() * 1000))


def http_api_event(
    method: str,
    target: str,
    headers: dict[str, str],
    body: bytes,
    source_ip: str,
    claims: dict[str, Any] | None,
) -> dict[str, Any]:
    """An API Gateway HTTP API payload v2.0 event, as AWS would build it."""
    url = urlsplit(target)
    query: dict[str, list[str]] = {}
    for pair in url.query.split("&") if url.query else []:
        key, _, value = pair.partition("=")
        query.setdefault(unquote(key.replace("+", " ")), []).append(unquote(value.replace("+", " ")))
    lowered = {k.lower(): v for k, v in headers.items()}
    content_type = lowered.get("content-type", "")
    is_text = not body or content_type.startswith(TEXT_TYPES)
    if is_text and body:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            is_text = False  # as API Gateway does: bytes that are not UTF-8 arrive base64-encoded
    now = time.time()
    context: dict[str, Any] = {
        "accountId": "000000000000",
        "apiId": "local",
        "domainName": lowered.get("host", "localhost"),
        "domainPrefix": "local",
        "http": {
            "method": method,
            "path": unquote(url.path),
            "protocol": "HTTP/1.1",
            "sourceIp": source_ip,
            "userAgent": lowered.get("user-agent", ""),
        },
        "requestId": uuid.uuid4().hex,
        "routeKey": "$default",
        "stage": "$default",
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "timeEpoch": int(now * 1000),
    }
    if claims is not None:
        context["authorizer"] = {"jwt": {"claims": {k: _claim(v) for k, v in claims.items()}, "scopes": None}}
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": unquote(url.path),
        "rawQueryString": url.query,
        "cookies": [c.strip() for c in lowered.get("cookie", "").split(";") if c.strip()] or None,
        "headers": lowered,
        "queryStringParameters": {k: ",".join(v) for k, v in query.items()} or None,
        "requestContext": context,
        "body": (body.decode("utf-8") if is_text else base64.b64encode(body).decode()) if body else None,
        "pathParameters": None,
        "isBase64Encoded": bool(body) and not is_text,
        "stageVariables": None,
    }


def _claim(value: Any) -> str:
    """The HTTP API authorizer passes every claim as a string (arrays as "[a b]")."""
    if isinstance(value, list):
        return "[" + " ".join(str(v) for v in value) + "]"
    return str(value)


def authorize(headers: dict[str, str]) -> dict[str, Any]:
    """The JWT authorizer's check: claims of a valid bearer token, or NotSignedIn."""
    return verify_token(bearer_token(headers), settings().token_secret)


class Handler(BaseHTTPRequestHandler):
    server_version = "EventLens"
    protocol_version = "HTTP/1.1"
    timeout = READ_TIMEOUT_S  # the socket's: an idle or stalled connection is closed
    _linger = False

    def log_message(self, format: str, *args: Any) -> None:
        if os.environ.get("EVENTLENS_ACCESS_LOG"):
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_OPTIONS(self) -> None:
        self._send(HTTPStatus.NO_CONTENT, b"", {"Allow": "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"})

    def handle_expect_100(self) -> bool:
        """`Expect: 100-continue`: refuse a body the route would refuse before the client sends it."""
        if self._body_length(urlsplit(self.path).path) is None:
            return False
        return super().handle_expect_100()

    def finish(self) -> None:
        super().finish()
        if self._linger:
            with contextlib.suppress(OSError):  # the client may be gone already
                self.connection.shutdown(socket.SHUT_WR)
                deadline, drained = time.monotonic() + LINGER_S, 0
                while drained < LINGER_BYTES and (left := deadline - time.monotonic()) > 0:
                    self.connection.settimeout(left)
                    chunk = self.connection.recv(65536)
                    if not chunk:
                        break
                    drained += len(chunk)

    def _dispatch(self) -> None:
        path = urlsplit(self.path).path
        try:
            length = self._body_length(path)
            if length is None:
                return
            if path.startswith("/api/"):
                self._api(length)
            elif path.startswith("/media/"):
                self._media(unquote(path[len("/media/") :]), length)
            else:
                self._static(path)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True

    def _body_length(self, path: str) -> int | None:
        """The body's announced length, if this route takes that much; else answer and None."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self._refuse(HTTPStatus.LENGTH_REQUIRED, "Send the body with a Content-Length, not chunked")
            return None
        values = {value.strip() for value in self.headers.get_all("Content-Length") or []}
        if not values:
            return 0
        if len(values) > 1 or not _CONTENT_LENGTH.match(next(iter(values))):
            self._refuse(HTTPStatus.BAD_REQUEST, "Content-Length must be one whole number of bytes")
            return None
        length = int(values.pop())
        limit = body_limit(self.command, path)
        if length > limit:
            message = f"Request body too large: at most {limit} bytes here" if limit else "No body here"
            self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, message)
            return None
        return length

    def _read_body(self, length: int) -> bytes | None:
        """The body's `length` bytes, or None once answered: a client that stalls gets a 408."""
        if not length:
            return b""
        idle = self.timeout or READ_TIMEOUT_S
        deadline = time.monotonic() + idle + length / MIN_BODY_RATE
        chunks: list[bytes] = []
        remaining = length
        try:
            while remaining and (left := deadline - time.monotonic()) > 0:
                self.connection.settimeout(min(idle, left))
                chunk = self.rfile.read1(min(remaining, 1 << 20))
                if not chunk:  # the client hung up
                    self.close_connection = True
                    return None
                chunks.append(chunk)
                remaining -= len(chunk)
        except TimeoutError:
            pass  # `remaining` says what did not arrive
        finally:
            self.connection.settimeout(idle)
        if remaining:
            self._refuse(HTTPStatus.REQUEST_TIMEOUT, "The request body did not arrive in time")
            return None
        return b"".join(chunks)

    def _api(self, length: int) -> None:
        path = urlsplit(self.path).path
        group = route_group(path)
        claims = None
        if group == "api_admin":  # before reading the body: a stranger's bytes are never read
            try:
                claims = authorize(dict(self.headers))
            except NotSignedIn as error:
                self._refuse(HTTPStatus.UNAUTHORIZED, f"Unauthorized: {error}")
                return
        body = self._read_body(length)
        if body is None:
            return
        event = http_api_event(
            self.command, self.path, dict(self.headers), body, self.client_address[0], claims
        )
        context = LambdaContext(
            group, event["requestContext"]["requestId"], deadline_ms=int(time.time() * 1000) + 29_000
        )
        reply = invoke(group, event, context)
        payload = reply.get("body") or ""
        data = base64.b64decode(payload) if reply.get("isBase64Encoded") else payload.encode()
        headers = dict(reply.get("headers") or {})
        for name, values in (reply.get("multiValueHeaders") or {}).items():
            headers[name] = ", ".join(values)
        self._send(
            HTTPStatus(reply.get("statusCode", 200)), data, headers, cookies=reply.get("cookies") or []
        )

    def _media(self, key: str, length: int) -> None:
        store = blob_store()
        if self.command == "PUT":
            self._upload(store, key, length)
            return
        if self.command not in ("GET", "HEAD"):
            self._json(HTTPStatus.METHOD_NOT_ALLOWED, {"message": "GET, HEAD or PUT"})
            return
        try:
            info = store.head(key)
        except (BlobNotFound, InvalidKey, OSError):
            self._json(HTTPStatus.NOT_FOUND, {"message": "No such file"})
            return
        headers = {
            "Content-Type": mimetypes.guess_type(key)[0] or "application/octet-stream",
            "Accept-Ranges": "bytes",
            "ETag": f'"{info.etag}"',
            "Cache-Control": "private, max-age=3600",
        }
        if self.headers.get("If-None-Match") == headers["ETag"]:
            self._send(HTTPStatus.NOT_MODIFIED, b"", headers)
            return
        byte_range = parse_range(self.headers.get("Range"), info.size)
        if isinstance(byte_range, str):
            self._send(
                HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE, b"", {"Content-Range": f"bytes */{info.size}"}
            )
            return
        if byte_range is None:
            data = b"" if self.command == "HEAD" else store.get(key)
            self._send(HTTPStatus.OK, data, headers, length=info.size)
            return
        start, end = byte_range
        data = b"" if self.command == "HEAD" else store.get(key, (start, end))
        headers["Content-Range"] = f"bytes {start}-{end}/{info.size}"
        self._send(HTTPStatus.PARTIAL_CONTENT, data, headers, length=end - start + 1)

    def _upload(self, store: Any, key: str, length: int) -> None:
        """A local presigned PUT: only the event's organizer, only under its originals, a valid key
        (body_limit already held it to max_upload_bytes); all checked before the body is read."""
        slug = event_of_original(key)
        try:
            claims = authorize(dict(self.headers))
        except NotSignedIn as error:
            self._refuse(HTTPStatus.UNAUTHORIZED, f"Unauthorized: {error}")
            return
        if slug is None or not principal_from_claims(claims).organizes(slug):
            self._refuse(HTTPStatus.FORBIDDEN, "Uploads go to your own event's originals")
            return
        try:
            validate_key(key)
        except InvalidKey as error:
            self._refuse(HTTPStatus.BAD_REQUEST, str(error))
            return
        if length <= 0:
            self._refuse(HTTPStatus.BAD_REQUEST, "Empty upload")
            return
        data = self._read_body(length)
        if data is None:
            return
        try:
            info = store.put(key, data, self.headers.get("Content-Type"))
        except InvalidKey as error:
            self._json(HTTPStatus.BAD_REQUEST, {"message": str(error)})
            return
        self._send(HTTPStatus.OK, b"", {"ETag": f'"{info.etag}"'})

    def _static(self, path: str) -> None:
        root = web_root().resolve()
        try:
            if path in ("/", "") or re.match(r"^/e/[^/]+/?$", path):
                target = root / "index.html"
            elif re.match(r"^/e/[^/]+/admin/?$", path):
                target = root / "admin.html"
            else:
                target = (root / unquote(path).lstrip("/")).resolve()
            found = target.is_relative_to(root) and target.is_file()
        except (OSError, ValueError):  # a name too long for the file system, a NUL
            found = False
        if not found:
            self._json(HTTPStatus.NOT_FOUND, {"message": "Not found"})
            return
        data = target.read_bytes()
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type.endswith("javascript"):
            content_type += "; charset=utf-8"
        self._send(HTTPStatus.OK, data, {"Content-Type": content_type, "Cache-Control": "no-cache"})

    def _json(self, status: HTTPStatus, body: dict[str, Any]) -> None:
        self._send(status, json.dumps(body).encode(), {"Content-Type": "application/json"})

    def _refuse(self, status: HTTPStatus, message: str) -> None:
        """Answer before (or instead of) reading the body, and close: unread bytes would otherwise
        be read as the next request on this connection."""
        self.close_connection = self._linger = True
        self._send(status, json.dumps({"message": message}).encode(), {"Content-Type": "application/json"})

    def _send(
        self,
        status: HTTPStatus,
        data: bytes,
        headers: dict[str, str],
        length: int | None = None,
        cookies: list[str] | None = None,
    ) -> None:
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        for cookie in cookies or []:
            self.send_header("Set-Cookie", cookie)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Length", str(len(data) if length is None else length))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and data:
            view = memoryview(data)  # in pieces: the socket's timeout bounds each, not the whole file
            for start in range(0, len(view), WRITE_CHUNK):
                self.wfile.write(view[start : start + WRITE_CHUNK])


def parse_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """A single `bytes=` range as (start, end) inclusive, None for none, "invalid" if unsatisfiable."""
    if not header or not header.startswith("bytes="):
        return None
    spec = header[len("bytes=") :].split(",")[0].strip()
    start_s, _, end_s = spec.partition("-")
    try:
        if start_s == "":
            length = int(end_s)
            if length <= 0:
                return "invalid"
            return max(0, size - length), size - 1
        start = int(start_s)
        end = int(end_s) if end_s else size - 1
    except ValueError:
        return None
    if start >= size or start > end:
        return "invalid"
    return start, min(end, size - 1)


def make_server(host: str = "127.0.0.1", port: int = 8000) -> ThreadingHTTPServer:
    if not isinstance(blob_store(), LocalBlobStore):
        raise RuntimeError("eventlens serve needs the local blob backend")
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server
