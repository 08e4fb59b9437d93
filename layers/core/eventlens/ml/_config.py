"""Settings the model factories share: where the Gemini key comes from, which limiter its calls pass.

Only the embedded mode puts the key in the environment; on AWS it sits in Secrets Manager and
is read once per container, on the first Gemini model built.
"""

from __future__ import annotations

from typing import Any

from eventlens.ml.errors import ModelUnavailableError
from eventlens.resilience import RateLimiter


def gemini_options() -> dict[str, Any]:
    """Keyword arguments for GeminiDescriber / GeminiEmbedder from the process settings."""
    from eventlens.config import settings

    cfg = settings()
    key = cfg.gemini_api_key
    if not key and cfg.gemini_secret_arn:
        import boto3

        secret = boto3.client("secretsmanager").get_secret_value(SecretId=cfg.gemini_secret_arn)
        key = secret["SecretString"].strip()
    if not key:
        raise ModelUnavailableError("Gemini needs GEMINI_API_KEY or EVENTLENS_GEMINI_SECRET_ARN")
    return {"api_key": key, "base_url": cfg.gemini_base_url, "requests_per_minute": cfg.gemini_rpm}


def gemini_limiter(model: str) -> RateLimiter | None:
    """The limiter every Gemini call to `model` passes: with gemini_limiter=database one window per
    model shared by every process of the project (None: the caller's own, per process)."""
    from eventlens.config import settings

    cfg = settings()
    if cfg.gemini_limiter != "database":
        return None
    from eventlens.ml.ratelimit.service import SharedRateLimiter

    return SharedRateLimiter(f"gemini:{model}", cfg.gemini_rpm, 60.0)
