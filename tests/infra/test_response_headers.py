"""Issue 11: on AWS CloudFront sends the pages' and the API's security headers; they are the ones
`eventlens serve` and the functions send (eventlens/api/headers.py), so the two never drift."""

from __future__ import annotations

from typing import Any

import pytest
from eventlens.api.headers import API_CACHE_CONTROL, API_HEADERS, page_headers

MEDIA_ORIGINS = ["https://${MediaBucket.DomainName}", "https://${MediaBucket.RegionalDomainName}"]
"""Where presigned media URLs point (boto3 signs for the global or the regional name): the pages
read photos from there and the dashboard PUTs uploads there."""


def policy(resources: dict[str, Any], name: str) -> dict[str, Any]:
    resource = resources[name]
    assert resource["Type"] == "AWS::CloudFront::ResponseHeadersPolicy"
    return dict(resource["Properties"]["ResponseHeadersPolicyConfig"])


def text(value: Any) -> str:
    """A header value as written: a string, or the template of an Fn::Sub."""
    if isinstance(value, dict):
        (template,) = value.values()
        assert isinstance(template, str), value
        return template
    return str(value)


def sent_headers(config: dict[str, Any]) -> dict[str, str]:
    """The headers a response headers policy puts on a reply, by their HTTP names."""
    security = config.get("SecurityHeadersConfig", {})
    sent: dict[str, str] = {}
    if "ContentSecurityPolicy" in security:
        sent["Content-Security-Policy"] = text(security["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    if "ContentTypeOptions" in security:
        sent["X-Content-Type-Options"] = "nosniff"
    if "FrameOptions" in security:
        sent["X-Frame-Options"] = security["FrameOptions"]["FrameOption"]
    if "ReferrerPolicy" in security:
        sent["Referrer-Policy"] = security["ReferrerPolicy"]["ReferrerPolicy"]
    assert not {"StrictTransportSecurity", "XSSProtection"} & set(security), "add them to headers.py first"
    for item in config.get("CustomHeadersConfig", {}).get("Items", []):
        sent[item["Header"]] = text(item["Value"])
    return sent


def overrides(config: dict[str, Any]) -> dict[str, bool]:
    security = config.get("SecurityHeadersConfig", {})
    found = {name: bool(setting["Override"]) for name, setting in security.items()}
    found |= {
        item["Header"]: bool(item["Override"])
        for item in config.get("CustomHeadersConfig", {}).get("Items", [])
    }
    return found


def distribution(resources: dict[str, Any]) -> dict[str, Any]:
    return dict(resources["Distribution"]["Properties"]["DistributionConfig"])


def behaviour(resources: dict[str, Any], pattern: str) -> dict[str, Any]:
    (found,) = [b for b in distribution(resources)["CacheBehaviors"] if b["PathPattern"] == pattern]
    return dict(found)


def test_cloudfront_sends_the_pages_the_headers_eventlens_serve_sends(resources: dict[str, Any]) -> None:
    assert sent_headers(policy(resources, "PageHeadersPolicy")) == page_headers(MEDIA_ORIGINS)


def test_the_web_behaviour_uses_the_page_headers_whatever_the_bucket_says(resources: dict[str, Any]) -> None:
    default = distribution(resources)["DefaultCacheBehavior"]

    assert default["TargetOriginId"] == "web"
    assert default["ResponseHeadersPolicyId"] == {"Ref": "PageHeadersPolicy"}
    assert all(overrides(policy(resources, "PageHeadersPolicy")).values())


def test_the_pages_may_reach_no_other_origin_than_the_media_bucket(resources: dict[str, Any]) -> None:
    csp = sent_headers(policy(resources, "PageHeadersPolicy"))["Content-Security-Policy"]
    sources = {word for directive in csp.split(";") for word in directive.split()[1:]}

    assert {s for s in sources if "://" in s} == set(MEDIA_ORIGINS)
    assert "'unsafe-inline'" not in sources
    assert "*" not in sources


def test_the_api_behaviour_adds_the_api_headers_to_api_gateways_own_replies(
    resources: dict[str, Any],
) -> None:
    config = policy(resources, "ApiHeadersPolicy")

    assert behaviour(resources, "/api/*")["ResponseHeadersPolicyId"] == {"Ref": "ApiHeadersPolicy"}
    assert sent_headers(config) == {**API_HEADERS, "Cache-Control": API_CACHE_CONTROL}
    assert not any(overrides(config).values())  # what a function sends stands, as in the resolver


@pytest.mark.parametrize(("name", "suffix"), [("PageHeadersPolicy", "pages"), ("ApiHeadersPolicy", "api")])
def test_each_policy_is_named_after_its_stack(resources: dict[str, Any], name: str, suffix: str) -> None:
    """A policy's name is unique in the account: two stacks side by side must not collide."""
    assert policy(resources, name)["Name"] == {"Fn::Sub": "${AWS::StackName}-" + suffix}
