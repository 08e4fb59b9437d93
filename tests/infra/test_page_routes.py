"""CloudFront's page routes, by running the function's own code (from template.yaml) in Node.js, as
CloudFront's cloudfront-js-2.0 runtime would: `/e/<slug>` is the gallery and `/e/<slug>/admin` the
dashboard, exactly the paths `eventlens serve` answers with those pages."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

URIS = {
    "/e/demo": "/index.html",
    "/e/demo/": "/index.html",
    "/e/summer-fest-2026/admin": "/admin.html",
    "/e/summer-fest-2026/admin/": "/admin.html",
    "/account/invitation": "/account.html",
    "/account/magic": "/account.html",
    "/account/verify/": "/account.html",
    "/account/reset": "/account.html",
    "/account/elsewhere": "/account/elsewhere",
    "/setup": "/setup.html",
    "/setup/": "/setup.html",
    "/setup/other": "/setup/other",
    "/": "/",
    "/index.html": "/index.html",
    "/js/gallery/main.js": "/js/gallery/main.js",
    "/css/app.css": "/css/app.css",
    "/e/demo/other": "/e/demo/other",
    "/e/": "/e/",
    "/e/a/b/admin": "/e/a/b/admin",
    "/media/abc": "/media/abc",
}


def run_function(code: str, uris: list[str]) -> list[str]:
    """`handler(event)` for each URI, in a fresh Node process."""
    node = shutil.which("node")
    assert node, "Node.js runs the CloudFront Functions' code: scripts/install-system-deps.sh installs it"
    script = code + (
        "\nconst uris = JSON.parse(process.argv[1]);"
        "\nconsole.log(JSON.stringify(uris.map((uri) => handler({request: {uri, method: 'GET', headers: {},"
        " querystring: {}, cookies: {}}}).uri)));"
    )
    done = subprocess.run(
        [node, "-e", script, json.dumps(uris)], capture_output=True, text=True, timeout=30, check=True
    )
    return list(json.loads(done.stdout))


def test_page_routes_rewrite_the_gallery_and_dashboard_addresses(resources: dict[str, Any]) -> None:
    function = resources["PageRoutesFunction"]["Properties"]
    assert function["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert run_function(function["FunctionCode"], list(URIS)) == list(URIS.values())


def test_the_web_behaviour_runs_the_page_routes_on_every_viewer_request(resources: dict[str, Any]) -> None:
    default = resources["Distribution"]["Properties"]["DistributionConfig"]["DefaultCacheBehavior"]
    (association,) = default["FunctionAssociations"]
    assert association["EventType"] == "viewer-request"
    assert association["FunctionARN"] == {
        "Fn::GetAtt": ["PageRoutesFunction", "FunctionMetadata.FunctionARN"]
    }
