"""infra/prebuilt_image.py: the template for a deploy without Docker differs from template.yaml
only in the image functions, which name the pushed image instead of a Dockerfile."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "infra"))
import prebuilt_image  # noqa: E402

IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/eventlens:face-sface-arm64"


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    from cfnlint.decode import cfn_yaml

    return json.loads(json.dumps(dict(cfn_yaml.load(str(prebuilt_image.TEMPLATE)))))


def test_only_the_image_functions_change_and_they_name_the_pushed_image(template: dict[str, Any]) -> None:
    out = prebuilt_image.with_image(template, IMAGE)
    names = prebuilt_image.image_functions(template)
    assert set(names) == {"MatchFunction", "FacesFunction", "AnalyzeFunction", "TranscodeFunction"}
    for name in names:
        resource = out["Resources"][name]
        assert resource["Properties"]["ImageUri"] == IMAGE
        assert not prebuilt_image.DOCKER_METADATA & set(resource.get("Metadata", {}))
        assert resource["Metadata"]["checkov"] == template["Resources"][name]["Metadata"]["checkov"]
        before = dict(template["Resources"][name]["Properties"])
        after = dict(resource["Properties"])
        after.pop("ImageUri")
        assert after == before
    rest = {k: v for k, v in out["Resources"].items() if k not in names}
    assert rest == {k: v for k, v in template["Resources"].items() if k not in names}
    assert {k: v for k, v in out.items() if k != "Resources"} == {
        k: v for k, v in template.items() if k != "Resources"
    }


@pytest.mark.parametrize(
    "uri",
    [
        "eventlens:latest",
        "docker.io/library/python:3.12",
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/eventlens",
        "12345.dkr.ecr.eu-west-1.amazonaws.com/eventlens:x",
    ],
)
def test_an_image_that_is_not_a_tagged_ecr_uri_is_refused(template: dict[str, Any], uri: str) -> None:
    with pytest.raises(ValueError, match="not an ECR image URI"):
        prebuilt_image.with_image(template, uri)


def test_the_command_writes_json_beside_the_template(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "t.json"
    assert prebuilt_image.main([IMAGE, "--output", str(out)]) == 0
    written = json.loads(out.read_text())
    assert written["Resources"]["MatchFunction"]["Properties"]["ImageUri"] == IMAGE
    assert prebuilt_image.main(["nope", "--output", str(out)]) == 2
    assert "not an ECR image URI" in capsys.readouterr().err
