"""What a file is, from its first bytes, and the error for a file the pipeline cannot use.

Pure Python on purpose: sync and ingest sniff every object, and their Lambdas carry no imaging
libraries (the pixels are decoded in `media`, by the phases that need them).
"""

from __future__ import annotations

from eventlens.errors import BadMedia

__all__ = ["DECODABLE_TYPES", "UNDECODABLE_TYPES", "BadMedia", "sniff"]

DECODABLE_TYPES: dict[str, str] = {
    # mime -> kind: every type `sniff` names that the pipeline decodes (Pillow for photos, PyAV for
    # videos, media/decode.py). Uploads accept exactly these (sources.service.ALLOWED_UPLOAD_TYPES).
    "image/jpeg": "photo",
    "image/png": "photo",
    "image/gif": "photo",
    "image/webp": "photo",
    "image/tiff": "photo",
    "image/bmp": "photo",
    "video/mp4": "video",
    "video/quicktime": "video",
    "video/webm": "video",
    "video/x-matroska": "video",
    "video/x-msvideo": "video",
    "video/mpeg": "video",
}

UNDECODABLE_TYPES: dict[str, str] = {
    # mime -> why: photo types cameras write that the pipeline cannot decode (Pillow has no HEIF
    # decoder without pillow-heif, and AVIF only in some builds), refused when an upload is asked for.
    "image/heic": "HEIC photos cannot be processed yet: export them as JPEG "
    "(on an iPhone: Settings > Camera > Formats > Most Compatible)",
    "image/heif": "HEIF photos cannot be processed yet: export them as JPEG",
    "image/avif": "AVIF photos cannot be processed yet: export them as JPEG or WebP",
}


_VIDEO_BRANDS = (
    b"isom",
    b"iso2",
    b"mp41",
    b"mp42",
    b"qt  ",
    b"avc1",
    b"M4V ",
    b"M4VH",
    b"3gp",
    b"3g2",
    b"dash",
)
_IMAGE_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis")


def sniff(head: bytes) -> tuple[str, str | None]:
    """(kind, mime) from the first bytes; mime None when neither a known image nor video."""
    if head.startswith(b"\xff\xd8\xff"):
        return "photo", "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "photo", "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "photo", "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "photo", "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video", "video/x-msvideo"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "photo", "image/tiff"
    if head[:2] == b"BM":
        return "photo", "image/bmp"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _IMAGE_BRANDS:
            return "photo", "image/heic" if brand != b"avif" else "image/avif"
        if brand.startswith(_VIDEO_BRANDS) or brand[:3] == b"3gp":
            return "video", "video/quicktime" if brand == b"qt  " else "video/mp4"
    if head.startswith(b"\x1aE\xdf\xa3"):
        return "video", "video/webm" if b"webm" in head[:64] else "video/x-matroska"
    if head.startswith(b"\x00\x00\x01\xba"):
        return "video", "video/mpeg"
    return "photo", None
