"""API handlers stay light at cold start: heavy libraries load only in the routes that use them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"
HEAVY = (
    "numpy",
    "onnxruntime",
    "PIL",
    "jwt",
    "cryptography",
    "boto3",
    "pgserver",
    "google.genai",
    "av",
    "cv2",
)


@pytest.mark.parametrize("handler", ["api_gallery", "api_admin", "api_match"])
def test_api_handler_imports_no_model_imaging_or_crypto_library(handler: str, tmp_path: Path) -> None:
    probe = (
        f"import json, sys; sys.path.insert(0, {str(FUNCTIONS / handler)!r}); import app; "
        f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))"
    )
    env = {
        **os.environ,
        "EVENTLENS_HOME": str(tmp_path),
        "EVENTLENS_TOKEN_SECRET": "s" * 40,
        "POWERTOOLS_METRICS_NAMESPACE": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
