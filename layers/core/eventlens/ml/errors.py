"""Model errors the pipeline can report per photo instead of crashing a batch."""

from __future__ import annotations


class ModelUnavailableError(RuntimeError):
    """A model's weights are missing or unreadable where configuration says they live."""


class UnknownModelError(ValueError):
    """A model name that no factory knows (a config typo, or a space this build cannot embed)."""
