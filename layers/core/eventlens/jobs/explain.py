"""Plain words for a photo's processing error: the organizer reads what happened and what to do;
the technical message (exception class and library text) stays beside it for staff.

Errors are recorded as `<ExceptionClass>: text` (or BadMedia's own text, which names the case), so
the known cases are recognized by a fragment of that message; anything else gets a general line.
"""

from __future__ import annotations

READABLE_FORMATS = "JPEG, PNG, WebP, GIF, TIFF, MP4/MOV…"

KNOWN: tuple[tuple[tuple[str, ...], str], ...] = (
    (("empty file",), "This file is empty (0 bytes). Upload it again."),
    (
        ("not a readable image", "cannot identify image file", "UnidentifiedImageError"),
        f"This file is not an image we can read ({READABLE_FORMATS}).",
    ),
    (
        ("corrupt or truncated", "truncated"),
        "This image is damaged or cut short (its upload may not have finished). Upload it again.",
    ),
    (("decompression bomb",), "This image has too many pixels to process safely."),
    (("dimensions too large",), "This image is too large: its width or height is over the limit."),
    (("missing from the store",), "The original file is gone from storage (deleted or moved)."),
    (("no video stream", "no decodable frame"), "This video has no picture we can read."),
    (
        ("Timeout", "timed out", "Throttl", "ConnectionError", "Unavailable"),
        "A service did not answer in time. “Retry errors” should fix it.",
    ),
)


def plain_message(phase: str, technical: str) -> str:
    """What the organizer reads for a photo that failed `phase` with the `technical` message."""
    lowered = technical.lower()
    for fragments, message in KNOWN:
        if any(f.lower() in lowered for f in fragments):
            return message
    return f"This file could not be processed at the “{phase}” step. Retry it, or hide it from the gallery."
