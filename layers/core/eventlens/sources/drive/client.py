"""Google Drive v3 through Google's own client (google-api-python-client + google-auth).

Only what a source needs: one folder's children (every page), the Changes API (start token, every
page of changes), one file's metadata and its bytes. Every call goes through
`resilience.call_with_retry`: 429, 5xx and 403 `rateLimitExceeded`/`userRateLimitExceeded` are
retried with Retry-After honoured (bounded by the policy); the client library's own retries stay
off, so every retry is ours. Failures come out as three exceptions a sync can act on:
`DriveAccessDenied` (credentials refused or revoked, folder no longer shared: an error on the
source, photos untouched), `DriveFileGone` (404: moved away or deleted since it was listed: skipped
and reported) and `DriveUnavailable` (retries exhausted: this file fails, the batch goes on).

`api_endpoint` (settings().drive_api_endpoint) points the client at another server: the tests'
fake Drive. The discovery document is the one shipped inside the client library (no request).
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from eventlens.resilience import (
    Deadline,
    Failure,
    OutOfTime,
    RetryPolicy,
    call_with_retry,
    retry_after_header,
)

SCOPES = ("https://www.googleapis.com/auth/drive.readonly",)
FOLDER_MIME = "application/vnd.google-apps.folder"
_FILE_FIELDS = "id,name,mimeType,md5Checksum,size,parents,trashed"
_RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
_DENIED_REASONS = frozenset(
    {"insufficientPermissions", "forbidden", "insufficientFilePermissions", "authError"}
)
_PAGE_SIZE = 1000  # Drive's largest page for files.list and changes.list


class DriveError(Exception):
    """A Drive call that did not succeed; `status` is the HTTP status (0: no answer)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class DriveAccessDenied(DriveError):
    """The credentials are refused (revoked, deleted key) or no longer reach the folder."""


class DriveFileGone(DriveError):
    """404: the file is not where it was listed (moved away, deleted, unshared)."""


class DriveUnavailable(DriveError):
    """Drive kept failing (rate limits past the retry budget, 5xx, no connection)."""


@dataclass(frozen=True, slots=True)
class DriveFile:
    id: str
    name: str
    mime_type: str
    parents: tuple[str, ...]
    md5: str | None
    size: int | None
    trashed: bool

    @property
    def is_folder(self) -> bool:
        return self.mime_type == FOLDER_MIME

    @classmethod
    def from_api(cls, body: dict[str, Any]) -> DriveFile:
        size = body.get("size")
        return cls(
            id=str(body["id"]),
            name=str(body.get("name", "")),
            mime_type=str(body.get("mimeType", "")),
            parents=tuple(str(p) for p in body.get("parents") or ()),
            md5=body.get("md5Checksum"),
            size=int(size) if size is not None else None,
            trashed=bool(body.get("trashed", False)),
        )


@dataclass(frozen=True, slots=True)
class Change:
    """One entry of the Changes API: a file that changed, or one gone from view (`removed`)."""

    file_id: str
    removed: bool
    file: DriveFile | None


def load_credentials(info: dict[str, Any]) -> Any:
    """google-auth credentials from a credentials JSON: a service account's key file, or an OAuth
    client's authorized-user file (client id, secret, refresh token). Both refresh their access
    token at the `token_uri` the file names."""
    kind = info.get("type")
    if kind == "service_account":
        from google.oauth2 import service_account

        return service_account.Credentials.from_service_account_info(info, scopes=list(SCOPES))
    if kind == "authorized_user":
        from google.oauth2.credentials import Credentials

        credentials = Credentials.from_authorized_user_info(info, scopes=list(SCOPES))
        # google-auth puts Google's token endpoint in place of the file's; the file's is meant
        return credentials.with_token_uri(info["token_uri"]) if info.get("token_uri") else credentials
    raise DriveAccessDenied(f"credentials of type {kind!r}: expected 'service_account' or 'authorized_user'")


def _reasons(content: bytes) -> set[str]:
    try:
        error = json.loads(content or b"{}").get("error", {})
    except (ValueError, AttributeError):
        return set()
    if not isinstance(error, dict):
        return set()
    found = {str(e.get("reason")) for e in error.get("errors") or () if isinstance(e, dict)}
    for detail in error.get("details") or ():
        if isinstance(detail, dict) and detail.get("reason"):
            found.add(str(detail["reason"]))
    return found


def classify(exc: BaseException) -> Failure | None:
    """How `call_with_retry` sees a Drive failure: a 403 for a rate limit is a 429."""
    from googleapiclient.errors import HttpError

    if isinstance(exc, HttpError):
        status = int(exc.resp.status)
        retry_after = retry_after_header(dict(exc.resp.items()))
        if status == 403 and _reasons(exc.content) & _RATE_REASONS:
            return Failure(429, retry_after)
        return Failure(status, retry_after)
    if isinstance(exc, (TimeoutError, ConnectionError, socket.error)):
        return Failure(503)
    return None


class DriveClient:
    """One Drive connection (httplib2 is not thread-safe: one client per thread)."""

    def __init__(
        self,
        credentials_info: dict[str, Any],
        *,
        api_endpoint: str | None = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        deadline: Deadline | None = None,
        timeout_s: float = 60.0,
    ) -> None:
        try:
            import google_auth_httplib2
            import httplib2
            from googleapiclient.discovery import build
        except ImportError as exc:  # a runtime built without the Drive libraries (a Lambda layer)
            raise DriveUnavailable(f"the Google API client is not installed here ({exc.name})") from exc

        credentials = load_credentials(credentials_info)
        http = google_auth_httplib2.AuthorizedHttp(credentials, http=httplib2.Http(timeout=timeout_s))
        options = {"api_endpoint": api_endpoint.rstrip("/") + "/drive/v3/"} if api_endpoint else None
        self._service = build("drive", "v3", http=http, client_options=options, cache_discovery=False)
        self._policy = policy or RetryPolicy(base_s=1.0, cap_s=30.0, max_attempts=6, max_retry_after_s=60.0)
        self._sleep = sleep
        self._deadline = deadline

    def _call(self, request: Callable[[], Any], what: str) -> Any:
        from google.auth.exceptions import RefreshError, TransportError
        from googleapiclient.errors import HttpError

        try:
            return call_with_retry(
                request, policy=self._policy, classify=classify, sleep=self._sleep, deadline=self._deadline
            )
        except OutOfTime:
            raise
        except RefreshError as exc:
            raise DriveAccessDenied(f"{what}: the credentials were refused ({exc})", 401) from exc
        except HttpError as exc:
            status = int(exc.resp.status)
            reasons = _reasons(exc.content)
            message = f"{what}: HTTP {status} {exc.reason or ''}".rstrip()
            if status == 404:
                raise DriveFileGone(message, status) from exc
            if status == 401 or (status == 403 and not reasons & _RATE_REASONS):
                raise DriveAccessDenied(message, status) from exc
            raise DriveUnavailable(message, status) from exc
        except (TransportError, TimeoutError, ConnectionError, OSError) as exc:
            raise DriveUnavailable(f"{what}: {exc}") from exc

    def file(self, file_id: str) -> DriveFile:
        body = self._call(
            lambda: (
                self._service.files()
                .get(fileId=file_id, fields=_FILE_FIELDS, supportsAllDrives=True)
                .execute()
            ),
            f"reading {file_id}",
        )
        return DriveFile.from_api(body)

    def children(self, folder_id: str) -> Iterator[DriveFile]:
        """Every file and folder directly in `folder_id` (not trashed), page after page."""
        token: str | None = None
        while True:
            request = self._service.files().list(
                q=f"'{folder_id}' in parents and trashed = false",
                fields=f"nextPageToken,files({_FILE_FIELDS})",
                pageSize=_PAGE_SIZE,
                pageToken=token,
                supportsAllDrives=True,
                includeItemsFromAllDrives=True,
            )
            page = self._call(request.execute, f"listing folder {folder_id}")
            for body in page.get("files") or ():
                yield DriveFile.from_api(body)
            token = page.get("nextPageToken")
            if not token:
                return

    def start_page_token(self) -> str:
        body = self._call(
            lambda: self._service.changes().getStartPageToken(supportsAllDrives=True).execute(),
            "reading the changes start token",
        )
        return str(body["startPageToken"])

    def changes(self, page_token: str) -> tuple[list[Change], str]:
        """Every change since `page_token` (all pages), and the token to start from next time."""
        found: list[Change] = []
        token = page_token
        while True:
            request = self._service.changes().list(
                pageToken=token,
                fields=f"nextPageToken,newStartPageToken,changes(fileId,removed,file({_FILE_FIELDS}))",
                pageSize=_PAGE_SIZE,
                includeRemoved=True,
                supportsAllDrives=True,
                includeItemsFromAllDrives=True,
            )
            page = self._call(request.execute, "listing changes")
            for body in page.get("changes") or ():
                file = body.get("file")
                found.append(
                    Change(
                        file_id=str(body.get("fileId") or (file or {}).get("id")),
                        removed=bool(body.get("removed", False)),
                        file=DriveFile.from_api(file) if file else None,
                    )
                )
            if page.get("newStartPageToken"):
                return found, str(page["newStartPageToken"])
            token = page.get("nextPageToken")
            if not token:
                raise DriveUnavailable(
                    "listing changes: a page with neither nextPageToken nor newStartPageToken"
                )

    def download(self, file_id: str) -> bytes:
        data = self._call(
            lambda: self._service.files().get_media(fileId=file_id, supportsAllDrives=True).execute(),
            f"downloading {file_id}",
        )
        return bytes(data)
