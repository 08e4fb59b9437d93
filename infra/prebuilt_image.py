"""template.yaml for a deploy without Docker: the image functions name an image already in ECR.

`sam build` builds an image function from its Dockerfile (Metadata) and `sam deploy` pushes it,
both through a Docker daemon. Where there is none, scripts/build-face-image.sh builds the image with
buildah and pushes it to ECR; this writes the same template with each image function's `ImageUri`
set to that image and its Docker metadata gone, so `sam build` skips it ("has specified ECR registry
image for ImageUri. It will not be built") and `sam deploy` deploys it as it is.

    python infra/prebuilt_image.py 123456789012.dkr.ecr.eu-west-1.amazonaws.com/eventlens:face-sface-arm64
    sam build --template-file template.prebuilt-image.json && sam deploy ...

The output sits beside template.yaml (SAM resolves CodeUri against the template's folder), as JSON.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from cfnlint.decode import cfn_yaml

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"
OUTPUT = ROOT / "template.prebuilt-image.json"
ECR_IMAGE = re.compile(
    r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/[a-z0-9._/-]+(:[\w.-]{1,128}|@sha256:[0-9a-f]{64})$"
)
"""What SAM and Lambda take as an image: a private ECR repository's URI with a tag or a digest."""
DOCKER_METADATA = {"Dockerfile", "DockerContext", "DockerTag", "DockerBuildArgs", "DockerBuildTarget"}


def image_functions(template: dict[str, Any]) -> list[str]:
    return [
        name
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
        and resource["Properties"].get("PackageType") == "Image"
    ]


def with_image(template: dict[str, Any], image_uri: str) -> dict[str, Any]:
    """A copy of `template` whose image functions run `image_uri`, without their Docker build."""
    if not ECR_IMAGE.fullmatch(image_uri):
        raise ValueError(
            f"{image_uri!r} is not an ECR image URI (ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG or @sha256:...)"
        )
    out = json.loads(json.dumps(template))
    names = image_functions(out)
    if not names:
        raise ValueError("the template has no image function")
    for name in names:
        resource = out["Resources"][name]
        resource["Properties"]["ImageUri"] = image_uri
        metadata = {k: v for k, v in resource.get("Metadata", {}).items() if k not in DOCKER_METADATA}
        if metadata:
            resource["Metadata"] = metadata
        else:
            resource.pop("Metadata", None)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("image_uri", help="the pushed image: ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG")
    parser.add_argument("--template", type=Path, default=TEMPLATE)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    try:
        out = with_image(dict(cfn_yaml.load(str(args.template))), args.image_uri)
    except ValueError as exc:
        print(f"prebuilt_image: {exc}", file=sys.stderr)
        return 2
    args.output.write_text(json.dumps(out, indent=1) + "\n")
    print(f"{args.output}: {', '.join(image_functions(out))} run {args.image_uri}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
