"""Every path and handler template.yaml names exists in the repository: what `sam build` reads first.

Cheap (no SAM CLI, nothing imported): the full build runs in scripts/sam-build-check.sh.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _of_type(resources: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: res for name, res in resources.items() if res["Type"] == kind}


def _defines_function(source: Path, name: str) -> bool:
    tree = ast.parse(source.read_text(), filename=str(source))
    return any(isinstance(node, ast.FunctionDef) and node.name == name for node in tree.body)


def _image_modules(dockerfile: Path) -> dict[str, Path]:
    """Module name in the image's task root -> the repository file the Dockerfile copies there."""
    copies = re.findall(
        r"^COPY\s+(functions/\S+\.py)\s+\$\{LAMBDA_TASK_ROOT\}/(\w+)\.py$", dockerfile.read_text(), re.M
    )
    return {module: ROOT / source for source, module in copies}


def test_every_code_and_content_uri_is_a_directory_in_the_repository(resources: dict[str, Any]) -> None:
    uris = {
        name: res["Properties"].get("CodeUri") or res["Properties"]["ContentUri"]
        for kind in ("AWS::Serverless::Function", "AWS::Serverless::LayerVersion")
        for name, res in _of_type(resources, kind).items()
        if res["Properties"].get("PackageType") != "Image"
    }
    assert len(uris) >= 10
    for name, uri in uris.items():
        assert (ROOT / uri).is_dir(), f"{name}: {uri} is not a directory"
    for name, res in _of_type(resources, "AWS::Serverless::StateMachine").items():
        assert (ROOT / res["Properties"]["DefinitionUri"]).is_file(), name


def test_every_zip_handler_is_a_function_defined_in_its_code_uri(resources: dict[str, Any]) -> None:
    for name, res in _of_type(resources, "AWS::Serverless::Function").items():
        props = res["Properties"]
        if props.get("PackageType") == "Image":
            continue
        module, function = props["Handler"].split(".")
        source = ROOT / props["CodeUri"] / f"{module}.py"
        assert source.is_file(), f"{name}: {source} missing"
        assert _defines_function(source, function), f"{name}: {module}.py defines no {function}()"


def test_every_image_command_is_a_function_the_dockerfile_copies_in(resources: dict[str, Any]) -> None:
    for name, res in _of_type(resources, "AWS::Serverless::Function").items():
        if res["Properties"].get("PackageType") != "Image":
            continue
        dockerfile = ROOT / res["Metadata"]["DockerContext"] / res["Metadata"]["Dockerfile"]
        assert dockerfile.is_file(), name
        module, function = res["Properties"]["ImageConfig"]["Command"][0].split(".")
        copied = _image_modules(dockerfile)
        assert module in copied, f"{name}: the Dockerfile copies no {module}.py into the task root"
        assert _defines_function(copied[module], function), f"{name}: {copied[module]} has no {function}()"


def test_every_makefile_layer_has_its_build_target(resources: dict[str, Any]) -> None:
    for name, res in _of_type(resources, "AWS::Serverless::LayerVersion").items():
        if res.get("Metadata", {}).get("BuildMethod") != "makefile":
            continue
        makefile = ROOT / res["Properties"]["ContentUri"] / "Makefile"
        assert re.search(rf"^build-{name}:", makefile.read_text(), re.M), f"{makefile} has no build-{name}"


def test_the_documented_exclude_list_is_exactly_the_image_functions(resources: dict[str, Any]) -> None:
    images = {
        name
        for name, res in _of_type(resources, "AWS::Serverless::Function").items()
        if res["Properties"].get("PackageType") == "Image"
    }
    command = re.search(r"`(sam build(?: --exclude \w+)+)`", (ROOT / "docs" / "deploy.md").read_text())
    assert command, "docs/deploy.md no longer shows the sam build --exclude command"
    assert set(re.findall(r"--exclude (\w+)", command.group(1))) == images
