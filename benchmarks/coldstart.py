"""Cold start of each API handler: import time and first request, each in a fresh interpreter.

Lambda bills and users wait for the init phase; the target is <= 250 ms of import per handler.
Each measurement runs `python -c` in a subprocess so no module is already cached, against a real
embedded PostgreSQL with the schema and one event, so the first request is a real one: the
public event page (gallery), the pipeline status as an organizer whose token the HTTP API
authorizer has already verified (admin), and a selfie that is not an image (find-me; a real
selfie would add the face model's load, which belongs to the container image).

Two columns compare the shipped layer with the obvious alternative in the same run: modules
imported from compiled bytecode (what `infra/layers/Makefile` ships) versus from source only,
which is what a layer built with `pip install --no-compile` costs on every cold start (Lambda's
/opt is read-only, so Python can neither find nor cache a .pyc). The standard library keeps its
bytecode in both, as it does in the Lambda runtime.

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
import sysconfig
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "layers" / "core"))
TARGET_IMPORT_MS = 250.0
SLUG = "coldstart"

PROBE = r"""
import json, sys, time
event = json.loads(sys.stdin.read())
t0, c0 = time.perf_counter(), time.process_time()
sys.path.insert(0, {code!r})
import app
t1, c1 = time.perf_counter(), time.process_time()

class Ctx:
    function_name = "coldstart"; memory_limit_in_mb = 1024; aws_request_id = "req-1"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:coldstart"
    def get_remaining_time_in_millis(self): return 29000

reply = app.lambda_handler(event, Ctx())
t2 = time.perf_counter()
print(json.dumps({{"import_ms": (t1 - t0) * 1000, "import_cpu_ms": (c1 - c0) * 1000,
                  "first_request_ms": (t2 - t1) * 1000, "status": reply.get("statusCode")}}))
"""


def requests() -> dict[str, dict[str, object]]:
    """The first request each handler serves, as API Gateway would deliver it."""
    from eventlens.devserver import http_api_event

    organizer = {"sub": "organizer:coldstart", "event": SLUG}
    selfie = json.dumps({"image_base64": "bm90IGFuIGltYWdl"}).encode()
    json_type = {"content-type": "application/json"}
    return {
        "api_gallery": http_api_event("GET", f"/api/events/{SLUG}", {}, b"", "127.0.0.1", None),
        "api_admin": http_api_event(
            "GET", f"/api/events/{SLUG}/admin/pipeline", {}, b"", "127.0.0.1", organizer
        ),
        "api_match": http_api_event(
            "POST", f"/api/events/{SLUG}/match", json_type, selfie, "127.0.0.1", None
        ),
    }


def measure(name: str, event: dict[str, object], env: dict[str, str]) -> dict[str, float]:
    code = PROBE.format(code=str(ROOT / "functions" / name))
    out = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(event),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{name}: {out.stderr[-2000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def source_only_env(env: dict[str, str], cache: Path) -> dict[str, str]:
    """An environment where only the standard library has bytecode (compiled once into `cache`)."""
    stdlib = sysconfig.get_paths()["stdlib"]
    marker = cache / "compiled"
    if not marker.exists():
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", "-j0", "-x", "site-packages", stdlib],
            env={**env, "PYTHONPYCACHEPREFIX": str(cache)},
            check=False,
            capture_output=True,
        )
        marker.touch()
    return {**env, "PYTHONPYCACHEPREFIX": str(cache), "PYTHONDONTWRITEBYTECODE": "1"}


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


def prepare(home: Path) -> str:
    """A migrated embedded database with one event; returns its URL."""
    os.environ["EVENTLENS_HOME"] = str(home)
    from eventlens.db.embedded import embedded_url
    from eventlens.db.migrate import upgrade
    from eventlens.events.service import create_event

    url = embedded_url(home / "pgdata")
    os.environ["DATABASE_URL"] = url
    upgrade(url)
    create_event(SLUG, "Cold start")
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--explain", action="store_true", help="list each handler's heaviest imports")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="coldstart-"))
    env = {
        **os.environ,
        "EVENTLENS_HOME": str(home),
        "EVENTLENS_TOKEN_SECRET": "coldstart-" + "x" * 32,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "coldstart",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    os.environ.update(env)
    env["DATABASE_URL"] = prepare(home)
    source_only = source_only_env(env, ROOT / "benchmarks" / ".data" / f"stdlib-pyc-{sys.version_info[1]}")
    print(f"command: {' '.join(sys.argv)}")
    print(
        f"machine: {platform.machine()} {platform.processor() or ''} {os.cpu_count()} cpu, Python {platform.python_version()}"
    )
    print(
        f"runs per handler: {args.runs} (fresh interpreter each, medians); target import <= {TARGET_IMPORT_MS:.0f} ms"
    )
    print(
        f"{'handler':<12} {'import ms':>10} {'import CPU ms':>14} {'first request ms':>17} {'status':>7}"
        f" {'import from source ms':>22}  verdict"
    )
    for name, event in requests().items():
        runs, cold = [], []
        for _ in range(args.runs):  # interleaved, so machine load hits both columns alike
            runs.append(measure(name, event, env))
            cold.append(measure(name, event, source_only))
        median = statistics.median(r["import_ms"] for r in runs)
        verdict = "ok" if median <= TARGET_IMPORT_MS else "OVER TARGET"
        print(
            f"{name:<12} {median:>10.0f} {statistics.median(r['import_cpu_ms'] for r in runs):>14.0f}"
            f" {statistics.median(r['first_request_ms'] for r in runs):>17.0f} {runs[-1]['status']:>7}"
            f" {statistics.median(r['import_ms'] for r in cold):>22.0f}  {verdict}"
        )
        if args.explain:
            heavy = ", ".join(f"{m} {ms:.0f}" for m, ms in heaviest_imports(name, env))
            print(f"{'':<12} heaviest imports (cumulative ms): {heavy}")
    from eventlens.db.embedded import stop_all

    stop_all()


if __name__ == "__main__":
    main()
