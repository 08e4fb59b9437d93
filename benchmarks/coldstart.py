"""Cold start of each API handler: import time and first request, each in a fresh interpreter.

Lambda bills and users wait for the init phase; the target is <= 250 ms of import per handler.
Each measurement runs `python -c` in a subprocess so no module is already cached. The first
request is GET /api/health (gallery) or an unauthenticated/invalid request the handler rejects
before touching the database (admin, match), against an embedded-mode configuration.

    .venv/bin/python benchmarks/coldstart.py [--runs 5] [--explain]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_IMPORT_MS = 250.0

HANDLERS = {
    "api_gallery": ("GET", "/api/openapi.json", None),
    "api_admin": ("GET", "/api/events/demo/admin/pipeline", None),
    "api_match": ("POST", "/api/events/demo/match", "{}"),
}

PROBE = r"""
import json, sys, time
t0 = time.perf_counter()
sys.path.insert(0, {code!r})
import app
t1 = time.perf_counter()

class Ctx:
    function_name = "coldstart"; memory_limit_in_mb = 1024; aws_request_id = "req-1"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:coldstart"
    def get_remaining_time_in_millis(self): return 29000

event = {{"version": "2.0", "routeKey": "$default", "rawPath": {path!r}, "rawQueryString": "",
          "headers": {{"content-type": "application/json"}}, "body": {body!r}, "isBase64Encoded": False,
          "requestContext": {{"http": {{"method": {method!r}, "path": {path!r}, "sourceIp": "127.0.0.1"}},
                              "requestId": "req-1", "stage": "$default"}}}}
reply = app.lambda_handler(event, Ctx())
t2 = time.perf_counter()
print(json.dumps({{"import_ms": (t1 - t0) * 1000, "first_request_ms": (t2 - t1) * 1000,
                  "status": reply.get("statusCode")}}))
"""


def measure(name: str, env: dict[str, str]) -> dict[str, float]:
    method, path, body = HANDLERS[name]
    code = PROBE.format(code=str(ROOT / "functions" / name), path=path, method=method, body=body)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    if out.returncode != 0:
        raise RuntimeError(f"{name}: {out.stderr[-2000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def heaviest_imports(name: str, env: dict[str, str], top: int = 6) -> list[tuple[str, float]]:
    """Top-level packages by cumulative import time (python -X importtime), to show what to defer."""
    code = f"import sys; sys.path.insert(0, {str(ROOT / 'functions' / name)!r}); import app"
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    totals: dict[str, float] = {}
    for line in out.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            module = parts[2].strip()
            key = ".".join(module.split(".")[:2]) if module.startswith("eventlens.") else module.split(".")[0]
            if key != "app":
                totals[key] = max(totals.get(key, 0.0), int(parts[1]) / 1000)
    return sorted(totals.items(), key=lambda kv: -kv[1])[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--explain", action="store_true", help="list each handler's heaviest imports")
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="coldstart-")
    env = {
        **os.environ,
        "EVENTLENS_HOME": home,
        "EVENTLENS_TOKEN_SECRET": "coldstart-" + "x" * 32,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "coldstart",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    print(f"command: {' '.join(sys.argv)}")
    print(
        f"machine: {platform.machine()} {platform.processor() or ''} {os.cpu_count()} cpu, Python {platform.python_version()}"
    )
    print(
        f"runs per handler: {args.runs} (fresh interpreter each); target import <= {TARGET_IMPORT_MS:.0f} ms"
    )
    print(
        f"{'handler':<12} {'import ms (median/max)':>24} {'first request ms (median)':>26} {'status':>7}  verdict"
    )
    for name in HANDLERS:
        runs = [measure(name, env) for _ in range(args.runs)]
        imports = [r["import_ms"] for r in runs]
        firsts = [r["first_request_ms"] for r in runs]
        median = statistics.median(imports)
        verdict = "ok" if median <= TARGET_IMPORT_MS else "OVER TARGET"
        print(
            f"{name:<12} {median:>14.0f} / {max(imports):>6.0f} {statistics.median(firsts):>26.0f} "
            f"{runs[-1]['status']:>7}  {verdict}"
        )
        if args.explain:
            heavy = ", ".join(f"{m} {ms:.0f}" for m, ms in heaviest_imports(name, env))
            print(f"{'':<12} heaviest imports (cumulative ms): {heavy}")


if __name__ == "__main__":
    main()
