"""Settings read once from the environment into one typed object.

Both runtimes (AWS Lambda and the embedded `eventlens serve`) read the same variables; the
embedded defaults need none of them.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, PrivateAttr

OrganizerLogin = Literal["password", "cognito"]
"""How an organizer signs in: the event's own password (embedded) or a Cognito user-pool account."""


class Settings(BaseModel):
    home: Path = Field(description="Embedded data directory: database and blobs.")
    # The database has two login roles (DESIGN.md "Scope and isolation"): the schema owner, which
    # migrations connect as, and `eventlens_app`, which every request connects as (row-level
    # security always applies to it). Neither is a superuser.
    database_url: str | None = Field(
        default=None,
        description="DATABASE_URL: the schema owner's connection, used by migrations. Unset: the embedded "
        "server. The application connects to the same server and database as `eventlens_app` (with "
        "EVENTLENS_APP_DB_PASSWORD) unless EVENTLENS_APP_DATABASE_URL says otherwise.",
    )
    app_database_url: str | None = Field(
        default=None, description="EVENTLENS_APP_DATABASE_URL: the application's connection, if not derived."
    )
    app_db_password: str | None = Field(
        default=None,
        repr=False,
        description="EVENTLENS_APP_DB_PASSWORD: eventlens_app's password; migrations set it on the role.",
    )
    db_secret_arn: str | None = Field(
        default=None, description="DB_SECRET_ARN: the owner's (Aurora master user's) secret, for migrations."
    )
    db_app_secret_arn: str | None = Field(
        default=None,
        description="DB_APP_SECRET_ARN: eventlens_app's secret (username, password): the application "
        "connects with it; migrations set the role's password from it.",
    )
    db_host: str | None = None
    db_name: str = "eventlens"

    serve_instances: int = Field(
        default_factory=lambda: min(8, os.cpu_count() or 1),
        ge=1,
        le=64,
        description="EVENTLENS_SERVE_INSTANCES: warm instances of each API function `eventlens serve` "
        "keeps, as Lambda runs several; each runs one invocation at a time. 1 serializes each function.",
    )
    serve_connections: int = Field(
        default=64,
        ge=1,
        le=1024,
        description="EVENTLENS_SERVE_CONNECTIONS: connections `eventlens serve` handles at once (a thread "
        "each); one more waits briefly, then is answered 503 with Retry-After.",
    )
    db_pool_size: int = Field(
        default_factory=lambda data: max(8, 3 * data["serve_instances"]),
        ge=1,
        description="EVENTLENS_DB_POOL_SIZE: most connections the process's pool opens (it grows on "
        "demand). The default lets every instance of the embedded server's three API functions hold "
        "one at once; a Lambda, with one invocation at a time, opens one or two.",
    )
    db_connect_wait_s: float = Field(
        default=12.0,
        gt=0,
        le=600,
        description="EVENTLENS_DB_CONNECT_WAIT_S: how long a transaction waits for a database connection "
        "before answering 503 with Retry-After (DatabaseResuming). Aurora paused at 0 ACU resumes in ~15 s: "
        "an API request gives up within API Gateway's 29 s while the pool keeps connecting; the pipeline's "
        "state machine retries the batch.",
    )
    db_ca_bundle: Path | None = Field(
        default=None,
        description="EVENTLENS_DB_CA_BUNDLE: the certificates an AWS database's TLS must chain to. Unset: "
        "the RDS CA bundle shipped beside eventlens.db for a cluster endpoint, the Amazon roots for an "
        "RDS Proxy endpoint.",
    )

    blob_backend: Literal["local", "s3"] = "local"
    bucket: str | None = None
    media_base_url: str = "/media"
    media_secret: str | None = Field(
        default=None,
        repr=False,
        description="EVENTLENS_MEDIA_SECRET: the key media URLs are signed with. Unset: derived from "
        "the installation's token secret (embedded) or read from EVENTLENS_MEDIA_SECRET_ARN (AWS).",
    )
    media_secret_arn: str | None = None
    origin_secret: str | None = Field(
        default=None,
        repr=False,
        description="EVENTLENS_ORIGIN_SECRET: the value CloudFront sends in X-EventLens-Origin; set, the "
        "API answers only requests that carry it (no direct execute-api calls). Unset: no check "
        "(embedded), or read from EVENTLENS_ORIGIN_SECRET_ARN (AWS).",
    )
    origin_secret_arn: str | None = None

    token_ttl_s: int = 8 * 3600
    public_url: str | None = Field(
        default=None,
        description="EVENTLENS_PUBLIC_URL: where people reach the gallery (links in mails). Unset: the "
        "host each request came to.",
    )
    cognito_client_id: str | None = Field(
        default=None, description="The user pool's app client (AWS): organizers sign in with Cognito."
    )

    smtp_host: str | None = Field(
        default=None,
        description="EVENTLENS_SMTP_HOST: the mail server that sends mail. Unset: mails are "
        "written to the outbox under EVENTLENS_HOME (`eventlens mail` prints them).",
    )
    smtp_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="EVENTLENS_SMTP_PORT: default 587, 465 with ssl, 25 with none.",
    )
    smtp_tls: Literal["starttls", "ssl", "none"] = Field(
        default="starttls",
        description="EVENTLENS_SMTP_TLS: STARTTLS on a plain connection, TLS from the start (ssl), or "
        "none (a local relay only: credentials are never sent unencrypted to another host).",
    )
    smtp_user: str | None = Field(default=None, description="EVENTLENS_SMTP_USER: log in when set.")
    smtp_password: str | None = Field(
        default=None,
        repr=False,
        description="EVENTLENS_SMTP_PASSWORD; on AWS EVENTLENS_SMTP_SECRET_ARN instead (the password, or "
        'JSON {"username", "password"}).',
    )
    smtp_secret_arn: str | None = None
    smtp_timeout_s: float = Field(default=10.0, gt=0, le=60, description="EVENTLENS_SMTP_TIMEOUT_S.")
    mail_from: str = Field(
        default="EventLens <eventlens@localhost>",
        description="EVENTLENS_MAIL_FROM: the From of every mail; a real server wants its own domain.",
    )

    face_model: Literal["sface", "buffalo_l"] = "sface"
    buffalo_dir: Path = Path("/opt/models/buffalo_l")
    text_embedder: Literal["minilm-l6-v2", "gemini-embedding-001"] = "minilm-l6-v2"
    describer: Literal["local", "gemini"] = "local"
    image_tagger: Literal["efficientnet-lite0", "none"] = Field(
        default="efficientnet-lite0",
        description="EVENTLENS_IMAGE_TAGGER: what the local describer names in a photo (ml/tagger.py); "
        "'none' leaves it to OCR and metadata.",
    )
    gemini_api_key: str | None = Field(default=None, repr=False)
    gemini_secret_arn: str | None = None
    gemini_base_url: str | None = None
    gemini_model: str = "gemini-2.5-flash"
    gemini_rpm: int = Field(
        default=60,
        ge=1,
        description="EVENTLENS_GEMINI_RPM: requests per minute to each Gemini model: per process, or "
        "for the whole project with gemini_limiter=database (set it to the project's quota then).",
    )
    gemini_limiter: Literal["process", "database"] = Field(
        default="process",
        description="EVENTLENS_GEMINI_LIMITER: 'database' makes every process take Gemini requests "
        "from one sliding window per model in the database (migration 0017), and a 429 hold them all "
        "back: what AWS's many workers need. 'process' (embedded: one process) keeps it in memory.",
    )
    gemini_thinking_budget: int = Field(
        default=0,
        ge=-1,
        description="EVENTLENS_GEMINI_THINKING_BUDGET: thinking tokens a description may spend. 0 (the "
        "default) turns Gemini 2.5 Flash's thinking off: a description needs none, and thinking is "
        "slower and billed as output. -1: the model decides (dynamic thinking).",
    )
    drive_api_endpoint: str | None = Field(
        default=None,
        description="EVENTLENS_DRIVE_API_ENDPOINT: another server for the Drive API (the tests' fake "
        "Drive); unset: Google's. A Drive source's credentials are named on the source itself.",
    )

    live_buckets: str | None = Field(
        default=None,
        description="EVENTLENS_LIVE_BUCKETS: the S3 buckets a live folder may name, comma-separated (AWS: "
        "the stack parameter LiveSourceBuckets, which the sync function's role may read). Unset: any "
        "bucket the process's own credentials can read (embedded).",
    )

    @property
    def live_bucket_names(self) -> frozenset[str] | None:
        """The buckets a live folder may name; None: any."""
        if self.live_buckets is None:
            return None
        return frozenset(name.strip() for name in self.live_buckets.split(",") if name.strip())

    find_me_retention_minutes: int = Field(
        default=30,
        ge=0,
        le=24 * 60,
        description="EVENTLENS_FIND_ME_RETENTION_MINUTES: how long a find-me search's face template (the "
        "selfie's embedding, never the selfie) is kept, readable only by the same browser session, "
        "then purged (docs/security.md). 0 keeps none. The gallery's find-me dialog states 30.",
    )

    max_upload_bytes: int = 200 * 1024 * 1024
    max_selfie_bytes: int = 8 * 1024 * 1024
    max_image_pixels: int = 100_000_000
    archive_max_bytes: int = Field(
        default=4 * 1024**3,
        ge=1,
        description="EVENTLENS_ARCHIVE_MAX_BYTES: the most original bytes one ZIP download may hold "
        "(413 beyond). 4 GiB builds within one archive function invocation with room to spare.",
    )
    archive_part_bytes: int = Field(
        default=8 * 1024 * 1024,
        ge=5 * 1024 * 1024,
        description="EVENTLENS_ARCHIVE_PART_BYTES: a ZIP archive is written to the blob store in parts "
        "of this size (S3 multipart; at least S3's 5 MiB), about three of them in memory at once.",
    )
    archive_function: str | None = Field(
        default=None,
        description="EVENTLENS_ARCHIVE_FUNCTION: the Lambda that builds ZIP archives, invoked "
        "asynchronously (AWS). Unset: a thread of this process builds them (embedded).",
    )
    compilation_function: str | None = Field(
        default=None,
        description="EVENTLENS_COMPILATION_FUNCTION: the Lambda in the ML image (PyAV) that builds "
        "highlight reels, invoked asynchronously (AWS). Unset: a thread of this process builds them.",
    )
    pipeline_workers: int = Field(default_factory=lambda: max(1, os.cpu_count() or 1))
    phase_budget_ms: int = 840_000
    state_machine_arn: str | None = None

    _token_secret: str | None = PrivateAttr(default=None)
    _media_key: bytes | None = PrivateAttr(default=None)
    _origin_key: str | None = PrivateAttr(default=None)

    @property
    def organizer_login(self) -> OrganizerLogin:
        return "cognito" if self.cognito_client_id else "password"

    @property
    def token_secret(self) -> str:
        """The embedded mode's signing key, read or created only when a token is issued or verified.

        On AWS (Cognito) no token of ours exists, so nothing is created on a read-only or throwaway disk.
        """
        with _token_secret_lock:  # the dev server's threads must not each create a different key
            if self._token_secret is None:
                self._token_secret = _stored_token_secret(self.home)
            return self._token_secret

    @property
    def media_key(self) -> bytes:
        """The key media capabilities are signed with (eventlens.media.capability)."""
        with _media_key_lock:
            if self._media_key is None:
                self._media_key = _media_key(self)
            return self._media_key

    @property
    def pass_key(self) -> str:
        """The key gallery passes are signed with: its own, derived from the media key (both modes)."""
        return hmac.new(self.media_key, b"eventlens gallery passes", "sha256").hexdigest()

    @property
    def origin_key(self) -> str | None:
        """What X-EventLens-Origin must say (None: no check)."""
        with _origin_lock:
            if self._origin_key is None and (self.origin_secret or self.origin_secret_arn):
                self._origin_key = self.origin_secret or _secret_string(str(self.origin_secret_arn))
            return self._origin_key

    @property
    def blob_dir(self) -> Path:
        return self.home / "blobs"

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"

    @property
    def outbox_dir(self) -> Path:
        """Where mails go when no SMTP server is configured (embedded)."""
        return self.home / "outbox"


_token_secret_lock = threading.Lock()
_media_key_lock = threading.Lock()
_origin_lock = threading.Lock()


def _secret_string(arn: str) -> str:
    import boto3

    return str(boto3.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]).strip()


def _stored_token_secret(home: Path) -> str:
    """A per-installation signing key, created once under home."""
    path = home / "token-secret"
    if path.exists():
        return path.read_text().strip()
    home.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    path.touch(mode=0o600)
    path.write_text(value)
    return value


def _media_key(cfg: Settings) -> bytes:
    secret = cfg.media_secret
    if not secret and cfg.media_secret_arn:
        import boto3

        secret = boto3.client("secretsmanager").get_secret_value(SecretId=cfg.media_secret_arn)[
            "SecretString"
        ]
    if not secret:  # embedded: one stored secret per installation, a distinct key for each use
        secret = hmac.new(cfg.token_secret.encode(), b"eventlens media capabilities", "sha256").hexdigest()
    return hashlib.sha256(secret.strip().encode()).digest()


def load_settings(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    home = Path(env.get("EVENTLENS_HOME", ".eventlens")).resolve()
    values: dict[str, object] = {"home": home}
    for field in Settings.model_fields:
        key = f"EVENTLENS_{field.upper()}"
        if key in env:
            values[field] = env[key]
    for plain in (
        "DATABASE_URL",
        "DB_SECRET_ARN",
        "DB_APP_SECRET_ARN",
        "DB_HOST",
        "DB_NAME",
        "GEMINI_API_KEY",
    ):
        if plain in env:
            values[plain.lower()] = env[plain]
    loaded = Settings.model_validate(values)
    if secret := env.get("EVENTLENS_TOKEN_SECRET"):
        loaded._token_secret = secret
    return loaded


@lru_cache(maxsize=1)
def settings() -> Settings:
    return load_settings()


def reset_settings() -> None:
    """Forget the cached settings (tests and the CLI change the environment)."""
    settings.cache_clear()
