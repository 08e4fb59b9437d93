"""The deployment's source files, loaded once: template.yaml (CloudFormation tags decoded) and the ASL."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
ASL = ROOT / "infra" / "statemachines" / "pipeline.asl.json"


def substitute(text: str, values: dict[str, str]) -> str:
    """Fill ${Name} placeholders the way DefinitionSubstitutions does; unknown names stay."""
    return re.sub(r"\$\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), text)


def stand_in_substitutions(region: str = "us-east-1", account: str = "123456789012") -> dict[str, str]:
    """Stand-in ARNs for every function the ASL names, as moto's Lambda would give them."""
    names = set(re.findall(r"\$\{(\w+)FunctionArn\}", ASL.read_text()))
    values = {f"{n}FunctionArn": f"arn:aws:lambda:{region}:{account}:function:{n}" for n in names}
    values["MapWorkers"] = "2"
    return values


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    from cfnlint.decode import cfn_yaml

    return dict(cfn_yaml.load(str(TEMPLATE)))


@pytest.fixture(scope="session")
def resources(template: dict[str, Any]) -> dict[str, Any]:
    return dict(template["Resources"])


@pytest.fixture(scope="session")
def asl_text() -> str:
    return ASL.read_text()


@pytest.fixture(scope="session")
def asl() -> dict[str, Any]:
    return dict(json.loads(substitute(ASL.read_text(), stand_in_substitutions())))


@pytest.fixture(scope="session")
def substitutions() -> dict[str, str]:
    return stand_in_substitutions()
