"""Image build step: download buffalo_l once, check its SHA-256, unpack it where the model loads it.

Baking the weights into the image keeps a cold start off the network (a Lambda must not fetch
~280 MB per container) and pins the exact bytes the 512-d embedding space was built with.
"""

from __future__ import annotations

import hashlib
import io
import sys
import urllib.request
import zipfile
from pathlib import Path


def main(url: str, sha256: str, dest: str) -> None:
    if not url.startswith("https://"):
        raise SystemExit(f"BUFFALO_L_URL must be https, got {url!r}")
    with urllib.request.urlopen(url, timeout=300) as response:  # noqa: S310 - https only, checked above
        blob = response.read()
    digest = hashlib.sha256(blob).hexdigest()
    if sha256 and digest != sha256.lower():
        raise SystemExit(f"buffalo_l checksum mismatch: {digest} != {sha256}")
    target = Path(dest)
    target.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        for member in archive.infolist():
            name = Path(member.filename).name  # some releases nest the files in a folder
            if name.endswith(".onnx"):
                (target / name).write_bytes(archive.read(member))
    found = sorted(p.name for p in target.glob("*.onnx"))
    if "det_10g.onnx" not in found or "w600k_r50.onnx" not in found:
        raise SystemExit(f"buffalo_l archive lacks the detector/recognizer: {found}")
    print(f"buffalo_l {digest} -> {target}: {', '.join(found)}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
