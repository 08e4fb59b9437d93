"""Image build step (FACE_MODEL=buffalo_l): fetch buffalo_l once, check its SHA-256, unpack it.

Baking the weights into the image keeps a cold start off the network (a Lambda must not fetch
~280 MB per container) and pins the exact bytes the 512-d embedding space was built with. The
checksum is required: weights whose bytes nobody pinned never reach an image. The source is an
https URL (a mirror, a private bucket's presigned URL) or a file already on the build machine
(your licensed copy).

    python fetch_weights.py URL_OR_FILE SHA256 DEST
"""

from __future__ import annotations

import hashlib
import io
import re
import sys
import urllib.request
import zipfile
from pathlib import Path

REQUIRED = ("det_10g.onnx", "w600k_r50.onnx")
"""The detector and recognizer eventlens.ml.buffalo loads; the archive's other models are left out."""


class WeightsError(SystemExit):
    """The build stops: the message says why."""


def read_source(source: str) -> bytes:
    if source.startswith("https://"):
        with urllib.request.urlopen(source, timeout=300) as response:  # noqa: S310 - https only
            return bytes(response.read())
    if "://" in source:
        raise WeightsError(f"buffalo_l source must be an https URL or a file, got {source!r}")
    path = Path(source)
    if not path.is_file():
        raise WeightsError(f"buffalo_l archive not found: {source}")
    return path.read_bytes()


def pinned(sha256: str) -> str:
    """The pinned digest, checked before anything is fetched."""
    if not re.fullmatch(r"[0-9a-fA-F]{64}", sha256 or ""):
        raise WeightsError("BUFFALO_L_SHA256 must be the archive's SHA-256 (64 hex digits): it is required")
    return sha256.lower()


def verified(blob: bytes, sha256: str) -> str:
    """The blob's digest, once it equals the pinned one."""
    sha256 = pinned(sha256)
    digest = hashlib.sha256(blob).hexdigest()
    if digest != sha256:
        raise WeightsError(f"buffalo_l checksum mismatch: got {digest}, pinned {sha256}")
    return digest


def unpack(blob: bytes, dest: Path) -> list[str]:
    """The required .onnx files into `dest` (some releases nest them in a folder)."""
    dest.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        for member in archive.infolist():
            name = Path(member.filename).name
            if name in REQUIRED:
                (dest / name).write_bytes(archive.read(member))
    missing = [name for name in REQUIRED if not (dest / name).is_file()]
    if missing:
        raise WeightsError(f"buffalo_l archive lacks {', '.join(missing)}")
    return list(REQUIRED)


def main(source: str, sha256: str, dest: str) -> None:
    pinned(sha256)
    blob = read_source(source)
    digest = verified(blob, sha256)
    files = unpack(blob, Path(dest))
    print(f"buffalo_l {digest} -> {dest}: {', '.join(files)}")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise WeightsError(__doc__)
    main(*sys.argv[1:4])
