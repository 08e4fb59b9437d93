"""WCAG 2 contrast between theme colours: a theme whose text is too close to its background makes
the gallery's controls vanish, so settings refuse it (the dashboard checks the same before saving)."""

from __future__ import annotations

MIN_TEXT_CONTRAST = 4.5
"""WCAG AA for body text."""


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast_ratio(a: str, b: str) -> float:
    """(L1 + 0.05) / (L2 + 0.05) of two `#rrggbb` colours: 1 (same) to 21 (black on white)."""
    la, lb = _luminance(a), _luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
