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
connection closed after READ_TIMEOUT_S; its request line and headers get HEAD_TIMEOUT_S in all).

Like Lambda, each function runs in several warm instances (`serve_instances`), each one invocation
at a time (`Instances`), so requests are served side by side; the connections held at once are
capped (`serve_connections`), past which a client gets 503 with Retry-After (`EmbeddedServer`).
"""

from __future__ import annotations

import base64
import contextlib
import functools
import importlib.util
import io
import itertools
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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote, urlsplit

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent

from eventlens.api.headers import API_CACHE_CONTROL, API_HEADERS, MEDIA_HEADERS
from eventlens.api.multipart import FORM_OVERHEAD
from eventlens.auth.principals import Principal, bearer_token, principal_from_claims
from eventlens.auth.tokens import verify_token
from eventlens.config import settings
from eventlens.errors import MediaNotFound, NotSignedIn
from eventlens.media.formats import DECODABLE_TYPES, sniff
from eventlens.media.service import open_media
from eventlens.storage import BlobNotFound, InvalidKey, blob_store, validate_key
from eventlens.storage.base import content_disposition
from eventlens.storage.keys import event_of_original
from eventlens.storage.local import LocalBlobStore

ADMIN_PATH = re.compile(
    r"^/api/(events/[^/]+/admin|me|orgs|invitations)(/|$)|^/api/events/?$|^/api/setup/event/?$"
)
"""Routes of the signed-in function (on AWS behind the JWT authorizer): an event's dashboard, who
am I, invitations, organizations."""
MATCH_PATH = re.compile(r"^/api/events/[^/]+/match(/(consent|hide|forget))?/?$")
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
HEAD_TIMEOUT_S = 10.0
"""The request line and headers must arrive within this long of their first byte, or 408: the socket
timeout bounds each read, so a client trickling a byte every few seconds would hold its thread for ever."""
QUEUE_S = 1.0
RETRY_AFTER_S = 1
"""A connection beyond `serve_connections` waits QUEUE_S for one to end, then is answered 503 with
Retry-After: RETRY_AFTER_S."""
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


LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]

_handlers: dict[str, LambdaHandler] = {}
_handlers_lock = threading.Lock()
_instances: dict[str, Instances] = {}
_instances_lock = threading.Lock()
_instance_numbers = itertools.count(1)


class _RequestPerThread(APIGatewayHttpResolver):
    """Each thread's own current request, for resolvers that run side by side in one process.

    Powertools keeps the request being resolved on the class `BaseRouter`, shared by every resolver
    of the process (and routers read it from there): harmless on Lambda, which runs one invocation
    per process, but two invocations at once here, in any two instances or functions, would read
    each other's path and body. Mixed into each loaded resolver's class (`_per_thread`). The
    resolver's own `context` (the route being called, which the validation middleware reads) is per
    thread too: one resolver called from several threads, as tests do, would otherwise clear it
    under another thread's middleware.
    """

    _request = threading.local()

    @property
    def context(self) -> dict[str, Any]:
        try:
            found: dict[str, Any] = self._request.app_context
        except AttributeError:
            found = self._request.app_context = {}
        return found

    @context.setter
    def context(self, value: dict[str, Any]) -> None:
        self._request.app_context = value

    @property
    def current_event(self) -> Any:
        return self._request.event

    @current_event.setter
    def current_event(self, value: Any) -> None:
        self._request.event = value

    @property
    def lambda_context(self) -> Any:
        return self._request.context

    @lambda_context.setter
    def lambda_context(self, value: Any) -> None:
        self._request.context = value

    def resolve(self, event: Any, context: Any) -> dict[str, Any]:
        raw = event.raw_event if isinstance(event, BaseProxyEvent) else event
        self._request.event, self._request.context = self._to_proxy_event(raw), context
        try:
            return super().resolve(event, context)
        finally:
            self._request.__dict__.clear()


@functools.cache
def _per_thread(cls: type) -> type:
    return type(cls.__name__, (_RequestPerThread, cls), {"__module__": cls.__module__})


def load_handler(group: str, name: str) -> LambdaHandler:
    """Import functions/<group>/app.py as a module of its own called `name` (its own resolver,
    logger and metrics, as in a Lambda instance of its own) and return its `lambda_handler`.

    The routers it includes are shared by every instance (module objects of eventlens.api); what
    they read of the current request comes through the resolver, per thread (`_RequestPerThread`).
    """
    path = functions_root() / group / "app.py"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"no handler at {path}")
    module: ModuleType = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    resolver = getattr(module, "app", None)
    if isinstance(resolver, APIGatewayHttpResolver):
        resolver.__class__ = _per_thread(type(resolver))
        # include_router copied the context of the router's previous resolver, maybe mid-request
        resolver.clear_context()
    handler: LambdaHandler = module.lambda_handler
    return handler


def lambda_handler(group: str) -> LambdaHandler:
    """One instance of functions/<group>/app.py, imported once, for callers that invoke it
    themselves (tests, tools). The server invokes through `invoke` and its warm instances instead."""
    with _handlers_lock:
        if group not in _handlers:
            _handlers[group] = load_handler(group, f"eventlens_functions_{group}")
        return _handlers[group]


class Instances:
    """The warm instances of one function: each its own module, on its own thread, one invocation
    at a time, as a Lambda execution environment runs them.

    An instance is started only when every other one is busy, up to `size`; beyond that an
    invocation waits for the first free one. Tying an instance to a thread also keeps what models
    hold per thread (OpenCV's face nets, ~0.3 s to build) warm for its next invocation.
    """

    def __init__(self, group: str, size: int) -> None:
        self.group, self.size = group, size
        self.started: list[str] = []  # the instances' module names, in the order they started
        self._threads = ThreadPoolExecutor(size, thread_name_prefix=f"lambda-{group}")
        self._local = threading.local()

    def invoke(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        return self._threads.submit(self._run, event, context).result()

    def close(self) -> None:
        self._threads.shutdown(wait=False)

    def _run(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        handler = getattr(self._local, "handler", None)
        if handler is None:  # this thread's instance: loaded on its first invocation
            name = f"eventlens_functions_{self.group}_{next(_instance_numbers)}"
            handler = self._local.handler = load_handler(self.group, name)
            self.started.append(name)
        return handler(event, context)


def instances(group: str) -> Instances:
    with _instances_lock:
        if group not in _instances:
            _instances[group] = Instances(group, settings().serve_instances)
        return _instances[group]


def reset_instances() -> None:
    """Forget the warm instances (tests change `serve_instances`); their threads end when idle."""
    with _instances_lock:
        for pool in _instances.values():
            pool.close()
        _instances.clear()


def invoke(group: str, event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Run one invocation on a free warm instance of `group`'s function (see `Instances`)."""
    return instances(group).invoke(event, context)


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


def _may_upload(who: Principal, slug: str) -> bool:
    """The same check as the upload ticket's route (`photo.upload`, access/rights.py)."""
    from eventlens.access.service import authorize
    from eventlens.errors import DomainError
    from eventlens.events.service import get_event

    try:
        authorize(who, get_event(slug), "photo.upload")
    except DomainError:
        return False
    return True


def _needs_setup() -> bool:
    """No event yet: `/` is the first-run wizard (web/setup.html) instead of an empty gallery."""
    from eventlens.firstrun.service import needs_setup

    try:
        return needs_setup()
    except Exception:  # the database is starting: the gallery page says so itself
        return False


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


class _HeadReader(io.RawIOBase):
    """The connection's bytes as the handler reads them. While `deadline` is set (a request's line
    and headers are arriving) each read waits at most what is left of it, and a read that times out
    sets `timed_out`; otherwise reads are the socket's own, under its timeout."""

    def __init__(self, sock: socket.socket, idle: float) -> None:
        self._sock, self._idle = sock, idle
        self.deadline: float | None = None
        self.timed_out = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.deadline is None:
            return self._sock.recv_into(buffer)
        left = self.deadline - time.monotonic()
        self._sock.settimeout(min(self._idle, max(left, 0.001)))  # past it: only bytes already here
        try:
            return self._sock.recv_into(buffer)
        except TimeoutError:
            self.timed_out = True
            raise


class Handler(BaseHTTPRequestHandler):
    server_version = "EventLens"
    protocol_version = "HTTP/1.1"
    timeout = READ_TIMEOUT_S  # the socket's: an idle or stalled connection is closed
    disable_nagle_algorithm = True  # a response's head and body are two writes: no 40 ms ACK wait
    _linger = False

    def log_message(self, format: str, *args: Any) -> None:
        if os.environ.get("EVENTLENS_ACCESS_LOG"):
            super().log_message(format, *args)

    def setup(self) -> None:
        super().setup()
        self.rfile.close()  # the socket's own reader, replaced by one that can keep a deadline
        self._head = _HeadReader(self.connection, self.timeout or READ_TIMEOUT_S)
        self._buffered = self.rfile = io.BufferedReader(self._head)

    def handle_one_request(self) -> None:
        """Wait for the next request as long as the idle timeout, then for its line and headers only
        until HEAD_TIMEOUT_S after their first byte: past that, a 408 and the connection closed."""
        try:
            if not self._buffered.peek(1):  # the client closed the connection
                self.close_connection = True
                return
        except (TimeoutError, ConnectionResetError):  # idle: closed silently, no request was made
            self.close_connection = True
            return
        self._head.deadline = time.monotonic() + HEAD_TIMEOUT_S
        super().handle_one_request()  # reads the head (parse_request), then dispatches
        if self._head.timed_out:
            self._head.deadline, self._head.timed_out = None, False
            self.connection.settimeout(self.timeout)
            self.command, self.request_version = "", "HTTP/1.1"  # the head may be cut anywhere
            self.requestline = getattr(self, "requestline", "")
            with contextlib.suppress(OSError):
                self._refuse(HTTPStatus.REQUEST_TIMEOUT, "The request headers did not arrive in time")

    def parse_request(self) -> bool:
        try:
            return super().parse_request()
        finally:  # the head is read: the body has deadlines of its own (_read_body)
            self._head.deadline = None
            self.connection.settimeout(self.timeout)

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

    def _media(self, path: str, length: int) -> None:
        """GET /media/<capability> (what the API hands out; media.service.open_media decides) or
        PUT /media/<key> (a local presigned upload). A blob is never served by its key or name."""
        store = blob_store()
        if self.command == "PUT":
            self._upload(store, path, length)
            return
        if self.command not in ("GET", "HEAD"):
            self._json(HTTPStatus.METHOD_NOT_ALLOWED, {"message": "GET, HEAD or PUT"})
            return
        try:
            grant = open_media(path)
            info = store.head(grant.key)
        except (MediaNotFound, BlobNotFound, InvalidKey, OSError):
            self._json(HTTPStatus.NOT_FOUND, {"message": "No such file"})
            return
        age = min(grant.max_age_s, 24 * 3600)
        headers = {
            **MEDIA_HEADERS,
            "Content-Type": grant.content_type,
            "Accept-Ranges": "bytes",
            "ETag": f'"{info.etag}"',
            # public: the same URL for everyone within its window; a shared cache re-checks within
            # a minute, so hiding a photo closes it there too. Staff URLs stay in one browser.
            "Cache-Control": f"public, max-age={age}, s-maxage=60"
            if grant.public
            else f"private, max-age={age}",
        }
        if grant.download_name is not None:
            headers["Content-Disposition"] = content_disposition(grant.download_name)
        key = grant.key
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
            # Streamed, never read whole: a ZIP archive of originals may be gigabytes.
            self._send(HTTPStatus.OK, b"", headers, length=info.size)
            if self.command != "HEAD":
                for chunk in store.read_chunks(key, WRITE_CHUNK):
                    self.wfile.write(chunk)
            return
        start, end = byte_range
        data = b"" if self.command == "HEAD" else store.get(key, (start, end))
        headers["Content-Range"] = f"bytes {start}-{end}/{info.size}"
        self._send(HTTPStatus.PARTIAL_CONTENT, data, headers, length=end - start + 1)

    def _signed_put(self, key: str) -> bool:
        """Whether this PUT carries a valid album upload signature for `key` (albums.service)."""
        from urllib.parse import parse_qs

        from eventlens.storage.capability import verify_put

        query = parse_qs(urlsplit(self.path).query)
        expires, signature = query.get("expires", [""])[0], query.get("signature", [""])[0]
        parts = key.split("/", 3)
        is_album_key = len(parts) == 4 and parts[0] == "events" and parts[2] == "albums"
        return bool(signature) and is_album_key and verify_put(settings().media_key, key, expires, signature)

    def _upload(self, store: Any, key: str, length: int) -> None:
        """A local presigned PUT: only a role that may upload to the event, only under its originals, a valid key
        (body_limit already held it to max_upload_bytes); all checked before the body is read. An
        album upload's URL is signed instead (a capability, as S3's presigned URL: a guest has no
        token), and is taken only under the event's albums/ prefix."""
        if "upload_id=" in urlsplit(self.path).query:
            self._upload_part(store, key, length)
            return
        slug = event_of_original(key)
        if not self._signed_put(key):
            try:
                claims = authorize(dict(self.headers))
            except NotSignedIn as error:
                self._refuse(HTTPStatus.UNAUTHORIZED, f"Unauthorized: {error}")
                return
            if slug is None or not _may_upload(principal_from_claims(claims), slug):
                self._refuse(
                    HTTPStatus.FORBIDDEN, "Uploads go to the originals of an event where your role may upload"
                )
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
        _kind, mime = sniff(data[:64])
        if mime not in DECODABLE_TYPES:  # what S3 would store, the scan phase would mark an error
            self._json(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, {"message": "Not a photo or video we can process"})
            return
        try:
            info = store.put(key, data, mime)
        except InvalidKey as error:
            self._json(HTTPStatus.BAD_REQUEST, {"message": str(error)})
            return
        self._send(HTTPStatus.OK, b"", {"ETag": f'"{info.etag}"'})

    def _upload_part(self, store: Any, key: str, length: int) -> None:
        """PUT of one part of a resumable album upload (S3's upload_part): only with the part URL's
        signature (albums.service), only under an event's albums/ prefix, only for an upload of that
        key; checked before the body is read. Parts are not sniffed: only the whole is a photo (the
        gate decodes it on completion)."""
        from urllib.parse import parse_qs

        from eventlens.storage.capability import verify_part

        query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        parts = key.split("/", 3)
        upload_id, number = query.get("upload_id", ""), query.get("part", "")
        signed = verify_part(
            settings().media_key, key, upload_id, number, query.get("expires", ""), query.get("signature", "")
        )
        if not (signed and len(parts) == 4 and parts[0] == "events" and parts[2] == "albums"):
            self._refuse(
                HTTPStatus.FORBIDDEN, "This part URL is not valid (expired or altered): resume the upload"
            )
            return
        if length <= 0:
            self._refuse(HTTPStatus.BAD_REQUEST, "Empty part")
            return
        data = self._read_body(length)
        if data is None:
            return
        try:
            etag = store.put_part(key, upload_id, int(number), data)
        except (BlobNotFound, InvalidKey):
            self._json(HTTPStatus.NOT_FOUND, {"message": "No such upload (completed, aborted or expired)"})
            return
        self._send(HTTPStatus.OK, b"", {"ETag": f'"{etag}"', "Access-Control-Expose-Headers": "ETag"})

    def _static(self, path: str) -> None:
        """web/ with the pages' security headers (`api.headers`), as CloudFront serves it on AWS."""
        from eventlens.api.headers import API_HEADERS, PAGE_HEADERS

        root = web_root().resolve()
        try:
            if (path in ("/", "") and _needs_setup()) or re.match(r"^/setup/?$", path):
                target = root / "setup.html"  # a new installation: the first-run wizard
            elif path in ("/", "") or re.match(r"^/e/[^/]+/?$", path):
                target = root / "index.html"
            elif re.match(r"^/e/[^/]+/admin/?$", path):
                target = root / "admin.html"
            elif re.match(r"^/account/(invitation|magic|verify|reset)/?$", path):
                target = root / "account.html"  # mailed links; the token rides in the fragment
            else:
                target = (root / unquote(path).lstrip("/")).resolve()
            found = target.is_relative_to(root) and target.is_file()
        except (OSError, ValueError):  # a name too long for the file system, a NUL
            found = False
        # `_send` adds nosniff to every reply: these copies of it would send it twice
        page, not_found = (
            {k: v for k, v in headers.items() if k != "X-Content-Type-Options"}
            for headers in (PAGE_HEADERS, API_HEADERS)
        )
        if not found:
            body = json.dumps({"message": "Not found"}).encode()
            self._send(HTTPStatus.NOT_FOUND, body, {"Content-Type": "application/json", **not_found})
            return
        data = target.read_bytes()
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type.endswith("javascript"):
            content_type += "; charset=utf-8"
        self._send(HTTPStatus.OK, data, {"Content-Type": content_type, "Cache-Control": "no-cache", **page})

    def _json(self, status: HTTPStatus, body: dict[str, Any]) -> None:
        """The server's own JSON replies (404, 405, 415, refusals) carry the API's headers too."""
        headers = {**API_HEADERS, "Cache-Control": API_CACHE_CONTROL, "Content-Type": "application/json"}
        self._send(status, json.dumps(body).encode(), headers)

    def _refuse(self, status: HTTPStatus, message: str) -> None:
        """Answer before (or instead of) reading the body, and close: unread bytes would otherwise
        be read as the next request on this connection."""
        self.close_connection = self._linger = True
        self._json(status, {"message": message})

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
        if not any(name.lower() == "x-content-type-options" for name in headers):
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


class EmbeddedServer(ThreadingHTTPServer):
    """A thread per connection, at most `max_connections` of them.

    A keep-alive connection holds its thread while idle (up to READ_TIMEOUT_S), so one beyond the
    cap waits QUEUE_S for a thread to end, then is answered 503 with Retry-After; as many may wait
    at once, and past that a connection is closed unanswered. The invocations those threads make
    wait in turn for a free instance of their function (`Instances`).
    """

    daemon_threads = True
    request_queue_size = 128  # the listen backlog: 5 drops a burst of connects into 1 s SYN retries

    def __init__(self, address: tuple[str, int], max_connections: int) -> None:
        super().__init__(address, Handler)
        self.max_connections = max_connections
        self._slots = threading.BoundedSemaphore(max_connections)
        self._waiting = threading.BoundedSemaphore(max_connections)

    def process_request(self, request: Any, client_address: Any) -> None:
        if self._slots.acquire(blocking=False):
            admitted = True
        elif self._waiting.acquire(blocking=False):
            admitted = False
        else:
            self.shutdown_request(request)
            return
        thread = threading.Thread(target=self._connection, args=(request, client_address, admitted))
        thread.daemon = True
        thread.start()

    def _connection(self, request: socket.socket, client_address: Any, admitted: bool) -> None:
        if not admitted:
            admitted = self._slots.acquire(timeout=QUEUE_S)
            self._waiting.release()
            if not admitted:
                _answer_busy(request)
                self.shutdown_request(request)
                return
        try:
            self.process_request_thread(request, client_address)
        finally:
            self._slots.release()


def _answer_busy(conn: socket.socket) -> None:
    """503 with Retry-After, then read and drop what the client sends for a moment, so it reads
    the answer rather than a connection reset."""
    body = json.dumps({"message": "The server is busy: try again shortly"}).encode()
    head = (
        "HTTP/1.1 503 Service Unavailable\r\n"
        f"Retry-After: {RETRY_AFTER_S}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n"
    )
    with contextlib.suppress(OSError):
        conn.settimeout(LINGER_S)
        conn.sendall(head.encode() + body)
        conn.shutdown(socket.SHUT_WR)
        deadline, drained = time.monotonic() + LINGER_S, 0
        while drained < LINGER_BYTES and (left := deadline - time.monotonic()) > 0:
            conn.settimeout(left)
            chunk = conn.recv(65536)
            if not chunk:
                break
            drained += len(chunk)


def make_server(
    host: str = "127.0.0.1", port: int = 8000, max_connections: int | None = None
) -> EmbeddedServer:
    """The embedded server on host:port, handling at most `max_connections` (default
    `serve_connections`) connections at once."""
    if not isinstance(blob_store(), LocalBlobStore):
        raise RuntimeError("eventlens serve needs the local blob backend")
    return EmbeddedServer((host, port), max_connections or settings().serve_connections)
