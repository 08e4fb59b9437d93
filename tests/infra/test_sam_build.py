"""What `sam build` produced is deployable: every zip function and layer, for arm64, under Lambda's limits.

Runs on a finished build: EVENTLENS_SAM_BUILD_DIR names one, else the first test builds it with
scripts/sam-build-check.sh --build-only (~45 s; aws-sam-cli in a cached Python 3.12 venv).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD_ENV = "EVENTLENS_SAM_BUILD_DIR"

LAMBDA_UNZIPPED_LIMIT = 262_144_000
"""Function code plus all its layers, unzipped (Lambda quotas: 250 MB)."""

LAYER_REQUIREMENTS = {
    "BaseDepsLayer": "base.txt",
    "ImagingLayer": "imaging.txt",
    "VideoLayer": "video.txt",
    "GenAiLayer": "genai.txt",
}

RUNTIME_PROVIDED = {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3"}
"""The Lambda Python runtime's own boto3 and its dependencies; the layers prune boto3 on purpose."""

ELF_MACHINE_AARCH64 = 183

WORK_MODULES = {
    "GalleryFunction": [
        "eventlens.search.service",
        "eventlens.findme.thresholds",
        "eventlens.ml.gemini",
        "google.genai",
    ],
    "AdminFunction": [
        "eventlens.dedupe.service",
        "eventlens.findme.service",
        "eventlens.pipeline.runner",
        "eventlens.api.app",
        "eventlens.faceclusters.crews",
    ],
    "DescribeFunction": ["eventlens.ml.gemini", "google.genai", "PIL.Image"],
    "EmbedFunction": ["eventlens.ml.gemini", "google.genai"],
    "ScanFunction": ["av", "imagehash"],
    "IngestFunction": ["eventlens.sources.service"],
    "RecordRunFunction": ["eventlens.jobs.service"],
    "MigrateFunction": ["eventlens.db.migrate"],
    "FindMePurgeFunction": ["eventlens.findme.service"],
    "ArchiveFunction": ["eventlens.media.archives", "eventlens.media.zipstream", "eventlens.storage.s3"],
}
"""What each function imports lazily, while it works, beyond its handler module (a phase function
also imports its phase's module, from PIPELINE_PHASE): an import that only fails on the first
search or the first batch is as broken as one that fails at cold start."""


@pytest.fixture(scope="session")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    value = os.environ.get(BUILD_ENV)
    if value:
        path = Path(value)
    else:
        path = tmp_path_factory.mktemp("sam-build") / "build"
        built = subprocess.run(
            ["bash", str(ROOT / "scripts" / "sam-build-check.sh"), "--build-only", str(path)],
            capture_output=True,
            text=True,
            timeout=1200,
        )
        assert built.returncode == 0, f"sam build failed:\n{built.stdout[-3000:]}\n{built.stderr[-3000:]}"
    assert (path / "template.yaml").is_file(), f"{path} holds no built template"
    return path


@pytest.fixture(scope="module")
def zip_functions(resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: res["Properties"]
        for name, res in resources.items()
        if res["Type"] == "AWS::Serverless::Function" and res["Properties"].get("PackageType") != "Image"
    }


def _layers(props: dict[str, Any]) -> list[str]:
    return [layer["Ref"] for layer in props.get("Layers", [])]


def _layer_python(build_dir: Path, layer: str) -> Path:
    return build_dir / layer / "python"


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def _requirement_names(requirements: Path) -> set[str]:
    lines = (line.split("#")[0].strip() for line in requirements.read_text().splitlines())
    return {line.split("[")[0].split("=")[0].lower().replace("_", "-") for line in lines if line}


def _installed(python_dir: Path) -> dict[str, str]:
    """Distribution name -> version, from the layer's *.dist-info directories."""
    found = {}
    for info in python_dir.glob("*.dist-info"):
        name, version = info.name.removesuffix(".dist-info").rsplit("-", 1)
        found[name.lower().replace("_", "-")] = version
    return found


def test_every_zip_function_is_built_with_its_handler(
    build_dir: Path, zip_functions: dict[str, dict[str, Any]]
) -> None:
    from cfnlint.decode import cfn_yaml

    built = dict(cfn_yaml.load(str(build_dir / "template.yaml")))["Resources"]
    for name, props in zip_functions.items():
        module = props["Handler"].split(".")[0]
        assert (build_dir / name / f"{module}.py").is_file(), f"{name}: {module}.py not in the build"
        assert built[name]["Properties"]["CodeUri"] == name, name
        for layer in _layers(props):
            assert built[layer]["Properties"]["ContentUri"] == layer, layer


def test_the_image_functions_deploy_the_pushed_image_without_a_docker_build(build_dir: Path) -> None:
    """The build ran on infra/prebuilt_image.py's template (no Docker here): sam skipped the image
    functions and kept the ECR image they name, with their handler commands, for sam deploy."""
    from cfnlint.decode import cfn_yaml

    source = dict(cfn_yaml.load(str(ROOT / "template.yaml")))["Resources"]
    built = dict(cfn_yaml.load(str(build_dir / "template.yaml")))["Resources"]
    images = [n for n, r in source.items() if r.get("Properties", {}).get("PackageType") == "Image"]
    assert images
    for name in images:
        props = built[name]["Properties"]
        assert props["PackageType"] == "Image"
        assert props["ImageUri"].startswith("123456789012.dkr.ecr.us-east-1.amazonaws.com/eventlens:"), name
        assert props["ImageConfig"] == source[name]["Properties"]["ImageConfig"], name
        assert "Dockerfile" not in built[name].get("Metadata", {}), name
        assert not (build_dir / name).exists(), f"{name} was built"


def test_core_layer_carries_the_whole_eventlens_package(build_dir: Path) -> None:
    source = ROOT / "layers" / "core" / "eventlens"
    wanted = {p.relative_to(source) for p in source.rglob("*") if p.suffix in {".py", ".sql"}}
    core = _layer_python(build_dir, "CoreLayer") / "eventlens"
    missing = sorted(str(p) for p in wanted if not (core / p).is_file())
    assert not missing, f"CoreLayer lacks {missing[:5]}"


@pytest.mark.parametrize("layer", sorted(LAYER_REQUIREMENTS))
def test_dependency_layer_holds_its_requirements_at_the_pinned_versions(build_dir: Path, layer: str) -> None:
    layers = ROOT / "infra" / "layers"
    installed = _installed(_layer_python(build_dir, layer))
    missing = _requirement_names(layers / LAYER_REQUIREMENTS[layer]) - set(installed)
    assert not missing, f"{layer} lacks {sorted(missing)}"
    pins = {
        name: version
        for name, _, version in (
            line.partition("==") for line in (layers / "constraints.txt").read_text().splitlines()
        )
        if version
    }
    drift = {n: (v, pins[n]) for n, v in installed.items() if n in pins and v != pins[n]}
    assert not drift, f"{layer}: built vs constraints.txt {drift}"
    assert not {"boto3", "botocore"} & set(installed), f"{layer} ships boto3: the runtime has it"


def test_compiled_extensions_are_for_lambda_arm64(build_dir: Path) -> None:
    checked, wrong = 0, []
    for layer in LAYER_REQUIREMENTS:
        for lib in _layer_python(build_dir, layer).rglob("*.so*"):
            if not lib.is_file() or lib.is_symlink():
                continue
            header = lib.read_bytes()[:20]
            if header[:4] != b"\x7fELF":
                continue
            checked += 1
            if int.from_bytes(header[18:20], "little") != ELF_MACHINE_AARCH64:
                wrong.append(str(lib.relative_to(build_dir)))
    assert checked > 10, "no compiled extension found: did the layers build?"
    assert not wrong, f"not aarch64: {wrong[:5]}"


def test_each_function_with_its_layers_fits_lambdas_unzipped_limit(
    build_dir: Path, zip_functions: dict[str, dict[str, Any]]
) -> None:
    sizes = {name: _size(build_dir / name) for name in zip_functions}
    sizes |= {layer: _size(build_dir / layer) for props in zip_functions.values() for layer in _layers(props)}
    for name, props in zip_functions.items():
        total = sizes[name] + sum(sizes[layer] for layer in _layers(props))
        assert total < LAMBDA_UNZIPPED_LIMIT, f"{name}: {total / 1e6:.0f} MB unzipped with its layers"


_IMPORT_PROBE = """
import importlib, importlib.machinery, json, os, sys, sysconfig
site = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
shipped = set(json.loads(sys.argv[3]))

# A package this venv has but the function's layers lack fails to import, as on Lambda.
class NotInTheLayers:
    def find_spec(self, name, path=None, target=None):
        if "." in name or name in shipped:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name)
        if spec and any(str(spec.origin or "").startswith(s) for s in site):
            raise ModuleNotFoundError(f"No module named {name!r} (not in the function's layers)", name=name)
        return None

sys.meta_path.insert(0, NotInTheLayers())
handler = getattr(importlib.import_module(sys.argv[1]), sys.argv[2])
import eventlens
for module in json.loads(sys.argv[4]):
    importlib.import_module(module)
phase = os.environ.get("PIPELINE_PHASE")
if phase:
    from eventlens.pipeline.runner import phase_function
    phase_function(phase)
print(json.dumps({"callable": callable(handler), "handler": sys.modules[sys.argv[1]].__file__,
                  "eventlens": eventlens.__file__}))
"""


def _top_level_names(python_dir: Path) -> set[str]:
    """Importable top-level names in a layer's python/ directory."""
    names = set()
    for entry in python_dir.iterdir():
        if entry.is_dir() and not entry.name.endswith((".dist-info", ".libs", "__pycache__")):
            names.add(entry.name)
        elif entry.suffix in {".py", ".so"}:
            names.add(entry.name.split(".")[0])
    return names


def test_handlers_import_from_the_built_code_with_only_their_layers_packages(
    build_dir: Path, zip_functions: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    """The handler module and eventlens come from the build; third-party modules from this venv.

    The layers' wheels are arm64 and cannot load here, so the probe imports this venv's copies but
    refuses any top-level package that none of the function's layers (nor the runtime) ships: a
    missing dependency fails the import here as it would on Lambda; an optional one stays optional.
    """
    failures = {}
    for name, props in zip_functions.items():
        module, function = props["Handler"].split(".")
        shipped = set(RUNTIME_PROVIDED)
        for layer in _layers(props):
            shipped |= _top_level_names(_layer_python(build_dir, layer))
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                [str(build_dir / name), str(_layer_python(build_dir, "CoreLayer"))]
            ),
            "AWS_DEFAULT_REGION": "us-east-1",
            "POWERTOOLS_TRACE_DISABLED": "1",
            **{
                k: str(v)
                for k, v in props.get("Environment", {}).get("Variables", {}).items()
                if k == "PIPELINE_PHASE"
            },
        }
        probe = subprocess.run(
            [
                sys.executable,
                "-c",
                _IMPORT_PROBE,
                module,
                function,
                json.dumps(sorted(shipped)),
                json.dumps(WORK_MODULES.get(name, [])),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            cwd=tmp_path,
        )
        if probe.returncode != 0:
            failures[name] = probe.stderr.strip().splitlines()[-1]
            continue
        found = json.loads(probe.stdout.splitlines()[-1])
        assert found["callable"], name
        assert Path(found["handler"]).is_relative_to(build_dir / name), (name, found["handler"])
        assert Path(found["eventlens"]).is_relative_to(build_dir / "CoreLayer"), (name, found["eventlens"])
    assert not failures, "functions that would fail to import on Lambda:\n" + "\n".join(
        f"  {name} (layers {_layers(zip_functions[name])}): {error}" for name, error in failures.items()
    )


def test_every_layer_ships_bytecode_for_the_runtime_without_source_checks(
    build_dir: Path, zip_functions: dict[str, dict[str, Any]]
) -> None:
    """Lambda's /opt is read-only: a module without a matching .pyc is compiled on every cold start."""
    layers = {layer for props in zip_functions.values() for layer in _layers(props)}
    for layer in sorted(layers):
        python_dir = _layer_python(build_dir, layer)
        sources = [p for p in python_dir.rglob("*.py") if "__pycache__" not in p.parts]
        assert sources, layer
        missing = [
            p for p in sources if not (p.parent / "__pycache__" / f"{p.stem}.cpython-312.pyc").is_file()
        ]
        assert not missing, (
            f"{layer}: {len(missing)} modules without cpython-312 bytecode, e.g. {missing[:3]}"
        )
        sample = (sources[0].parent / "__pycache__" / f"{sources[0].stem}.cpython-312.pyc").read_bytes()
        # PEP 552 flags: 0b01 = hash-based, source not checked (an unzipped layer's mtimes differ).
        assert int.from_bytes(sample[4:8], "little") == 1, f"{layer}: bytecode is not unchecked-hash"
