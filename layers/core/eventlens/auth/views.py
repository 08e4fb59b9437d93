"""The JSON contract of signing in."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from eventlens.types import Model


class LoginResponse(Model):
    token: str = Field(description="Bearer token for the admin routes (Cognito's ID token on AWS).")
    expires_at: datetime
