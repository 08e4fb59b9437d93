"""Smoke test of a running EventLens: the path a first event takes, end to end, then cleanup.

Creates an event, signs in as its organizer, uploads three photos with faces through the presigned
flow, waits until they are processed and public, searches, finds a face from a selfie, downloads
the photos as a ZIP, and deletes the event. Against a deployed stack (scripts/smoke-deployed.sh
resolves the stack's outputs and calls this), or against `eventlens serve`
(tests/integration/test_smoke_offline.py runs every step that way, offline).

    python scripts/smoke_deployed.py --site https://d111.cloudfront.net \\
        --operator-function eventlens-OperatorFunction-abc --username you@example.com --password ...

Exit status 0 when every step passed; each step prints one line.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

Operator = Callable[[dict[str, Any]], dict[str, Any]]
PROCESSING_TIMEOUT_S = 15 * 60


@dataclass
class Smoke:
    site: str
    operator: Operator
    username: str | None = None
    password: str | None = None
    slug: str = field(default_factory=lambda: f"smoke-{uuid.uuid4().hex[:10]}")
    http: requests.Session = field(default_factory=requests.Session)
    log: Callable[[str], None] = print
    token: str = ""

    def url(self, path: str) -> str:
        return f"{self.site.rstrip('/')}/api/events/{self.slug}{path}"

    def admin(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        reply = self.http.request(
            method,
            self.url(f"/admin{path}"),
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=60,
            **kwargs,
        )
        reply.raise_for_status()
        return reply

    def run(self, photos: dict[str, bytes], selfie: bytes, query: str) -> None:
        create = {"action": "create_event", "slug": self.slug, "name": "Smoke test"}
        if not self.username:  # the embedded mode's own organizer password
            create["password"] = self.password
        created = self.operator(create)
        assert created["ok"], created
        self.log(f"created event {self.slug}")
        try:
            self.sign_in()
            self.upload(photos)
            ids = self.wait_until_public(len(photos))
            self.search(query)
            self.find_me(selfie)
            self.download(ids)
        finally:
            deleted = self.operator({"action": "delete_event", "slug": self.slug})
            self.log(f"deleted event {self.slug}: {deleted}")

    def sign_in(self) -> None:
        body: dict[str, Any] = {"password": self.password}
        if self.username:
            body["username"] = self.username
        reply = self.http.post(self.url("/login"), json=body, timeout=30)
        assert reply.status_code == 200, f"sign-in: {reply.status_code} {reply.text[:200]}"
        self.token = reply.json()["token"]
        self.log("signed in")

    def upload(self, photos: dict[str, bytes]) -> None:
        keys = []
        for name, data in photos.items():
            ticket = self.admin(
                "POST", "/uploads", json={"filename": name, "content_type": "image/jpeg", "size": len(data)}
            ).json()
            target = ticket["upload_url"]
            if target.startswith("/"):  # the embedded server's own presigned PUT
                target = self.site.rstrip("/") + target
                headers = {**ticket["headers"], "Authorization": f"Bearer {self.token}"}
            else:
                headers = ticket["headers"]
            put = self.http.put(target, data=data, headers=headers, timeout=120)
            assert put.ok, f"upload {name}: {put.status_code} {put.text[:200]}"
            keys.append(ticket["key"])
        done = self.admin("POST", "/uploads/complete", json={"keys": keys}).json()
        assert done["registered"] == len(photos), done
        self.log(f"uploaded {len(keys)} photos, run {done['run_id']}")

    def wait_until_public(self, count: int, timeout_s: float = PROCESSING_TIMEOUT_S) -> list[str]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            page = self.http.get(self.url("/photos"), timeout=30).json()
            status = self.admin("GET", "/pipeline").json()
            running = any(run["status"] == "running" for run in status["runs"])
            if page["total"] == count and not running:
                self.log(f"processed: {count} photos public")
                return [photo["id"] for photo in page["photos"]]
            failed = [run for run in status["runs"] if run["status"] == "failed"]
            assert not failed, f"a run failed: {failed[0].get('error')}"
            time.sleep(3)
        raise AssertionError(f"photos not public within {timeout_s:.0f} s")

    def search(self, query: str) -> None:
        reply = self.http.get(self.url("/search"), params={"q": query}, timeout=30)
        assert reply.status_code == 200, reply.text[:200]
        results = reply.json()["results"]
        assert results, f"search {query!r} found nothing"
        self.log(f"search {query!r}: {len(results)} result(s)")

    def find_me(self, selfie: bytes) -> None:
        files = {"selfie": ("selfie.jpg", selfie, "image/jpeg")}
        reply = self.http.post(self.url("/match"), files=files, timeout=120)
        assert reply.status_code == 428, f"find-me before consent: {reply.status_code} {reply.text[:200]}"
        # the attendee reads the event's text and agrees, for this very request
        consent = {"X-EventLens-Consent": reply.json()["consent_version"]}
        files = {"selfie": ("selfie.jpg", selfie, "image/jpeg")}
        reply = self.http.post(self.url("/match"), files=files, headers=consent, timeout=120)
        assert reply.status_code == 200, f"find-me: {reply.status_code} {reply.text[:200]}"
        matches = reply.json()["matches"]
        assert matches, "find-me matched nothing"
        self.log(f"find-me: {len(matches)} photo(s)")

    def download(self, ids: list[str]) -> None:
        reply = self.http.post(self.url("/download"), json={"ids": ids}, timeout=120)
        assert reply.status_code in (200, 202), f"download: {reply.status_code} {reply.text[:200]}"
        if reply.status_code == 202:  # an archive built in the background: follow it until ready
            archive = reply.json()
            deadline = time.monotonic() + 300
            while archive["status"] not in ("ready", "failed") and time.monotonic() < deadline:
                time.sleep(1)
                archive = self.http.get(self.url(f"/archives/{archive['archive_id']}"), timeout=30).json()
            assert archive["status"] == "ready", archive
            target = archive["url"]
            reply = self.http.get(
                self.site.rstrip("/") + target if target.startswith("/") else target, timeout=300
            )
            assert reply.ok, reply.status_code
        with zipfile.ZipFile(io.BytesIO(reply.content)) as bundle:
            names = bundle.namelist()
        assert len(names) == len(ids), names
        self.log(f"downloaded a ZIP of {len(names)} photos")


def sample_photos() -> tuple[dict[str, bytes], bytes]:
    """Three photos with faces from packages that ship them (insightface, scikit-image), and a
    selfie cropped from one of them."""
    from importlib import resources

    import skimage.data
    from PIL import Image

    group = (resources.files("insightface") / "data/images/t1.jpg").read_bytes()
    astronaut = Image.fromarray(skimage.data.astronaut())

    def jpeg(image: Image.Image) -> bytes:
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, "JPEG", quality=90)
        return buffer.getvalue()

    photos = {
        "group.jpg": group,
        "astronaut.jpg": jpeg(astronaut),
        "astronaut-mirrored.jpg": jpeg(
            astronaut.transpose(Image.Transpose.FLIP_LEFT_RIGHT).resize((400, 400))
        ),
    }
    selfie = jpeg(astronaut.crop((140, 20, 340, 220)).resize((480, 480)))
    return photos, selfie


def lambda_operator(function_name: str) -> Operator:
    import boto3

    client = boto3.client("lambda")

    def invoke(payload: dict[str, Any]) -> dict[str, Any]:
        reply = client.invoke(FunctionName=function_name, Payload=json.dumps(payload).encode())
        return dict(json.loads(reply["Payload"].read()))

    return invoke


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", required=True, help="the SiteUrl output (CloudFront)")
    parser.add_argument("--operator-function", required=True, help="the OperatorFunctionName output")
    parser.add_argument("--username", help="a Cognito organizer (admins group)")
    parser.add_argument("--password", required=True)
    args = parser.parse_args(argv)
    photos, selfie = sample_photos()
    smoke = Smoke(args.site, lambda_operator(args.operator_function), args.username, args.password)
    try:
        smoke.run(photos, selfie, query="astronaut")
    except AssertionError as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        return 1
    print("smoke test passed")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    raise SystemExit(main())
