"""Call the real Lambda handlers with API Gateway HTTP API v2.0 events, as AWS would."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from eventlens.config import reset_settings
from moto import mock_aws

os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "eventlens")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "EventLens")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")

REGION = "us-east-1"
PASSWORD = "Organizer-Passw0rd"


class Api:
    """Routes a request to the handler API Gateway would, and decodes the JSON reply."""

    def __call__(
        self,
        method: str,
        path: str,
        body: Any = None,
        token: str | None = None,
        claims: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> tuple[int, Any]:
        from eventlens.devserver import LambdaContext, http_api_event, lambda_handler, route_group

        all_headers = {"host": "test", **(headers or {})}
        if token:
            all_headers["authorization"] = f"Bearer {token}"
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        if body is not None and raw is None:
            all_headers.setdefault("content-type", "application/json")
        group = route_group(path.split("?")[0])
        event = http_api_event(method, path, all_headers, data, "127.0.0.1", claims)
        reply = lambda_handler(group)(event, LambdaContext(group, "req-1", deadline_ms=2**62))
        content_type = (reply.get("headers") or {}).get("Content-Type", "")
        payload = reply.get("body")
        if "json" in content_type and payload:
            return reply["statusCode"], json.loads(payload)
        return reply["statusCode"], reply


@pytest.fixture
def api(db: str) -> Api:
    return Api()


@pytest.fixture
def seeded(make_event, owner_conn) -> Any:
    """An event 'demo' with three photos (one hidden) and an event 'other' with one."""
    demo, other = make_event("demo", "Demo Day"), make_event("other")
    for event, name, folder, hidden, taken in (
        (demo, "a.jpg", "Keynote", False, "2024-05-01T10:00:00Z"),
        (demo, "b.jpg", "Expo", False, "2024-05-01T11:00:00Z"),
        (demo, "c.jpg", "Expo", True, "2024-05-01T12:00:00Z"),
        (other, "secret.jpg", "", False, "2024-05-01T09:00:00Z"),
    ):
        owner_conn.execute(
            "INSERT INTO photos (event_id, source_key, content_hash, filename, folder, hidden, taken_at,"
            " analyze_status) VALUES (%s, %s, %s, %s, %s, %s, %s, 'completed')",
            (
                event.id,
                f"events/{event.slug}/originals/{folder + '/' if folder else ''}{name}",
                name,
                name,
                folder,
                hidden,
                taken,
            ),
        )
    return demo


@dataclass
class Pool:
    id: str
    client_id: str
    idp: Any

    def add_user(self, email: str, group: str | None, permanent: bool = True) -> None:
        self.idp.admin_create_user(
            UserPoolId=self.id,
            Username=email,
            TemporaryPassword="Temporary-Passw0rd",
            UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
            MessageAction="SUPPRESS",
        )
        if group:
            self.idp.admin_add_user_to_group(UserPoolId=self.id, Username=email, GroupName=group)
        if permanent:
            self.idp.admin_set_user_password(
                UserPoolId=self.id, Username=email, Password=PASSWORD, Permanent=True
            )


@pytest.fixture
def pool(make_event, home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pool]:
    """Events demo and other; a user pool (as template.yaml builds it) the settings point at."""
    make_event("demo")
    make_event("other")
    for name, value in {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    # As on Lambda: no signing key anywhere, and none may be created.
    monkeypatch.delenv("EVENTLENS_TOKEN_SECRET")
    with mock_aws():
        idp = boto3.client("cognito-idp", region_name=REGION)
        pool_id = idp.create_user_pool(PoolName="organizers", UsernameAttributes=["email"])["UserPool"]["Id"]
        client_id = idp.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName="eventlens-admin",
            GenerateSecret=False,
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]["ClientId"]
        for group in ("admins", "event:demo", "event:other"):
            idp.create_group(UserPoolId=pool_id, GroupName=group)
        monkeypatch.setenv("EVENTLENS_COGNITO_CLIENT_ID", client_id)
        reset_settings()
        yield Pool(pool_id, client_id, idp)
    reset_settings()
    assert not (home / "token-secret").exists(), "a token secret was created in Cognito mode"
