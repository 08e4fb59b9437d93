"""A local stand-in for Google Drive v3 and Google's OAuth token endpoint, so the real
google-api-python-client and google-auth can be tested offline.

It speaks the paths the client builds from its shipped discovery document (checked against
`drive.v3.json`): `GET /drive/v3/files` (list, with `'<id>' in parents` queries and
`nextPageToken`), `GET /drive/v3/files/{id}` (metadata, or the bytes with `alt=media`),
`GET /drive/v3/changes/startPageToken` and `GET /drive/v3/changes` (`nextPageToken`, then
`newStartPageToken`), and `POST /token`, which checks a service account's signed JWT (or an
authorized user's refresh token) and issues access tokens. Every Drive request needs one.

The tree lives in memory; each mutation (add, rename, move, replace, trash, delete) appends to the
change log the Changes API reads, as Drive does. Errors are scripted per operation (and file),
served before the normal answer: 429 and 403 rate limits with Retry-After, a 404 for a file moved
away, 403 insufficient permissions. `revoke()` refuses every issued token and every refresh.
Pages are small (`page_size`) so every listing paginates.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

FOLDER = "application/vnd.google-apps.folder"
ROOT = "root-folder-0001"


@dataclass(frozen=True)
class Scripted:
    status: int
    reason: str
    message: str = ""
    retry_after: str | None = None


def rate_limited(status: int = 429, retry_after: str | None = "1") -> Scripted:
    """429, or Drive's 403 `rateLimitExceeded`, with a Retry-After."""
    reason = "rateLimitExceeded" if status == 403 else "userRateLimitExceeded"
    return Scripted(status, reason, "Rate limit exceeded", retry_after)


def not_found(file_id: str) -> Scripted:
    return Scripted(404, "notFound", f"File not found: {file_id}.")


def insufficient_permissions() -> Scripted:
    return Scripted(
        403, "insufficientPermissions", "Insufficient Permission: Request had insufficient scopes."
    )


@dataclass
class Node:
    id: str
    name: str
    mime_type: str
    parent: str
    data: bytes = b""
    trashed: bool = False

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": "drive#file",
            "id": self.id,
            "name": self.name,
            "mimeType": self.mime_type,
            "parents": [self.parent],
            "trashed": self.trashed,
        }
        if self.mime_type != FOLDER:
            out["md5Checksum"] = hashlib.md5(self.data).hexdigest()  # noqa: S324 (Drive's own checksum)
            out["size"] = str(len(self.data))
        return out


@dataclass(frozen=True)
class Recorded:
    op: str
    file_id: str | None
    query: dict[str, str]
    at: float


@dataclass
class _State:
    nodes: dict[str, Node] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    """File ids in the order they changed; a page token is an index into it (1-based)."""


class FakeDriveServer:
    """``with FakeDriveServer() as fake:``; `service_account_info()` is a key file for it."""

    def __init__(self, page_size: int = 2) -> None:
        self.page_size = page_size
        self.requests: list[Recorded] = []
        self._state = _State()
        self._state.nodes[ROOT] = Node(ROOT, "Event photos", FOLDER, "my-drive")
        self._scripted: dict[tuple[str, str | None], deque[Scripted]] = defaultdict(deque)
        self._tokens: set[str] = set()
        self._revoked = False
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.client_email = "eventlens@fake-project.iam.gserviceaccount.com"
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    # -- lifecycle and credentials --------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeDriveServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def service_account_info(self) -> dict[str, str]:
        """A service-account key file whose token_uri is this server."""
        pem = self._key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        return {
            "type": "service_account",
            "project_id": "fake-project",
            "private_key_id": "fake-key-1",
            "private_key": pem,
            "client_email": self.client_email,
            "client_id": "1234567890",
            "token_uri": f"{self.base_url}/token",
        }

    def authorized_user_info(self) -> dict[str, str]:
        """An OAuth authorized-user file (client id, secret, refresh token) for this server."""
        return {
            "type": "authorized_user",
            "client_id": "fake-client.apps.googleusercontent.com",
            "client_secret": "fake-secret",
            "refresh_token": "fake-refresh-token",
            "token_uri": f"{self.base_url}/token",
        }

    def revoke(self) -> None:
        """The organizer removed the key or the consent: tokens and refreshes are refused."""
        with self._lock:
            self._revoked = True
            self._tokens.clear()

    # -- the tree -------------------------------------------------------------------------------

    def _changed(self, node_id: str) -> None:
        self._state.log.append(node_id)

    def add_folder(self, name: str, parent: str = ROOT) -> str:
        return self._add(name, FOLDER, parent, b"")

    def add_file(self, name: str, data: bytes, parent: str = ROOT, mime_type: str = "image/jpeg") -> str:
        return self._add(name, mime_type, parent, data)

    def _add(self, name: str, mime_type: str, parent: str, data: bytes) -> str:
        with self._lock:
            node_id = f"f{next(self._ids):04d}{hashlib.sha256(name.encode()).hexdigest()[:12]}"
            self._state.nodes[node_id] = Node(node_id, name, mime_type, parent, data)
            self._changed(node_id)
            return node_id

    def rename(self, node_id: str, name: str) -> None:
        with self._lock:
            self._state.nodes[node_id].name = name
            self._changed(node_id)

    def move(self, node_id: str, parent: str) -> None:
        with self._lock:
            self._state.nodes[node_id].parent = parent
            self._changed(node_id)

    def replace(self, node_id: str, data: bytes) -> None:
        with self._lock:
            self._state.nodes[node_id].data = data
            self._changed(node_id)

    def trash(self, node_id: str) -> None:
        with self._lock:
            self._state.nodes[node_id].trashed = True
            self._changed(node_id)

    def delete(self, node_id: str) -> None:
        with self._lock:
            del self._state.nodes[node_id]
            self._changed(node_id)

    # -- scripted failures and what was asked ---------------------------------------------------

    def script(self, op: str, *replies: Scripted, file_id: str | None = None) -> None:
        """Serve `replies`, in order, to the next requests of `op` (files.get, files.list, media,
        changes.list, changes.start), for one file or any."""
        with self._lock:
            self._scripted[(op, file_id)].extend(replies)

    def calls(self, op: str) -> list[Recorded]:
        return [r for r in self.requests if r.op == op]

    # -- serving --------------------------------------------------------------------------------

    def _scripted_reply(self, op: str, file_id: str | None) -> Scripted | None:
        for key in ((op, file_id), (op, None)):
            queue = self._scripted.get(key)
            if queue:
                return queue.popleft()
        return None

    def _issue_token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if self._revoked:
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
        grant = form.get("grant_type", "")
        if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            public = self._key.public_key()
            try:
                claims = jwt.decode(
                    form.get("assertion", ""),
                    public,
                    algorithms=["RS256"],
                    audience="https://oauth2.googleapis.com/token",  # google-auth signs for Google's
                )
            except jwt.PyJWTError as exc:
                return 400, {"error": "invalid_grant", "error_description": str(exc)}
            if claims.get("iss") != self.client_email or "drive" not in claims.get("scope", ""):
                return 400, {"error": "invalid_scope", "error_description": "wrong issuer or scope"}
        elif grant == "refresh_token":
            if form.get("refresh_token") != "fake-refresh-token":
                return 400, {
                    "error": "invalid_grant",
                    "error_description": "Token has been expired or revoked.",
                }
        else:
            return 400, {"error": "unsupported_grant_type"}
        token = f"ya29.fake-{next(self._ids)}"
        self._tokens.add(token)
        return 200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}

    def _visible(self, node_id: str) -> bool:
        """Under the root (trashed or not), as a folder shared with the service account is."""
        seen = 0
        node = self._state.nodes.get(node_id)
        while node is not None and seen < 100:
            if node.id == ROOT:
                return True
            node = self._state.nodes.get(node.parent)
            seen += 1
        return False

    def _page(self, items: list[Any], token: str | None) -> tuple[list[Any], str | None]:
        start = int(token or 0)
        end = start + self.page_size
        return items[start:end], (str(end) if end < len(items) else None)

    def _drive(self, op: str, file_id: str | None, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        nodes = self._state.nodes
        if op == "files.list":
            match = re.fullmatch(r"'([^']+)' in parents and trashed = false", query.get("q", ""))
            if match is None:
                return _error(400, "invalidQuery", f"unsupported q {query.get('q')!r}")
            parent = match.group(1)
            if not self._visible(parent):
                return _error(404, "notFound", f"File not found: {parent}.")
            children = sorted(
                (n for n in nodes.values() if n.parent == parent and not n.trashed), key=lambda n: n.id
            )
            page, following = self._page(children, query.get("pageToken"))
            body: dict[str, Any] = {"kind": "drive#fileList", "files": [n.body() for n in page]}
            if following:
                body["nextPageToken"] = following
            return 200, body, {}
        if op in ("files.get", "media"):
            node = nodes.get(file_id or "")
            if node is None or not self._visible(node.id):
                return _error(404, "notFound", f"File not found: {file_id}.")
            if op == "media":
                return 200, node.data, {"Content-Type": node.mime_type}
            return 200, node.body(), {}
        if op == "changes.start":
            return 200, {"kind": "drive#startPageToken", "startPageToken": str(len(self._state.log) + 1)}, {}
        if op == "changes.list":
            start = int(query.get("pageToken", "1")) - 1
            entries = list(range(start, len(self._state.log)))
            page, _ = self._page(entries, "0")
            changes = []
            for index in page:
                changed = self._state.log[index]
                node = nodes.get(changed)
                if node is None or not self._visible(changed):  # deleted, or out of the shared tree
                    changes.append({"kind": "drive#change", "fileId": changed, "removed": True})
                else:
                    changes.append(
                        {"kind": "drive#change", "fileId": changed, "removed": False, "file": node.body()}
                    )
            body = {"kind": "drive#changeList", "changes": changes}
            last = start + len(page)
            if last < len(self._state.log):
                body["nextPageToken"] = str(last + 1)
            else:
                body["newStartPageToken"] = str(len(self._state.log) + 1)
            return 200, body, {}
        return _error(404, "notFound", "no such method")

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return

            def _send(self, status: int, body: Any, headers: dict[str, str]) -> None:
                raw = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                if "Content-Type" not in headers:
                    self.send_header("Content-Type", "application/json; charset=UTF-8")
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if urlsplit(self.path).path != "/token":
                    self._send(404, {"error": "not found"}, {})
                    return
                with fake._lock:
                    fake.requests.append(Recorded("token", None, form, time.monotonic()))
                    status, body = fake._issue_token(form)
                self._send(status, body, {})

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                op, file_id = _route(url.path, query)
                with fake._lock:
                    fake.requests.append(Recorded(op, file_id, query, time.monotonic()))
                    bearer = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    if bearer not in fake._tokens:
                        status, body, headers = _error(401, "authError", "Invalid Credentials")
                    elif (scripted := fake._scripted_reply(op, file_id)) is not None:
                        status, body, headers = _error(
                            scripted.status, scripted.reason, scripted.message, scripted.retry_after
                        )
                    else:
                        status, body, headers = fake._drive(op, file_id, query)
                self._send(status, body, headers)

        return Handler


def _route(path: str, query: dict[str, str]) -> tuple[str, str | None]:
    if path == "/drive/v3/files":
        return "files.list", None
    if path == "/drive/v3/changes/startPageToken":
        return "changes.start", None
    if path == "/drive/v3/changes":
        return "changes.list", None
    if path.startswith("/drive/v3/files/"):
        file_id = path.removeprefix("/drive/v3/files/")
        return ("media" if query.get("alt") == "media" else "files.get"), file_id
    return "unknown", None


def _error(
    status: int, reason: str, message: str = "", retry_after: str | None = None
) -> tuple[int, dict[str, Any], dict[str, str]]:
    body = {
        "error": {
            "code": status,
            "message": message or reason,
            "errors": [
                {
                    "domain": "usageLimits" if "Rate" in reason else "global",
                    "reason": reason,
                    "message": message,
                }
            ],
        }
    }
    return status, body, ({"Retry-After": retry_after} if retry_after is not None else {})
