"""template.yaml's deployment hardening (docs/security.md "Deployment hardening"): WAF, route
throttles, the match function's reserved concurrency, CORS, data kept past the stack, alarms and
their dashboard, pinned weights, and a reason for every checkov finding left."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
NO_VALUE = object()
"""What !Ref AWS::NoValue evaluates to: the property is left out."""
INTRINSICS = {"Ref", "Condition", "Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or", "Fn::Join", "Fn::If"}


def evaluate(value: Any, params: dict[str, Any], conditions: dict[str, Any]) -> Any:
    """Resolve the condition functions, !If and parameter Refs the way CloudFormation would for
    `params` (AWS::Region included); resource Refs and GetAtts stay as they are."""
    if isinstance(value, list):
        return [evaluate(v, params, conditions) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) != 1 or next(iter(value)) not in INTRINSICS:
        return {k: evaluate(v, params, conditions) for k, v in value.items()}
    ((fn, arg),) = value.items()
    if fn == "Ref":
        if arg == "AWS::NoValue":
            return NO_VALUE
        return params.get(arg, value)
    if fn == "Condition":
        return evaluate(conditions[arg], params, conditions)
    if fn == "Fn::Equals":
        left, right = (evaluate(a, params, conditions) for a in arg)
        return left == right
    if fn == "Fn::Not":
        return not evaluate(arg[0], params, conditions)
    if fn == "Fn::And":
        return all(evaluate(a, params, conditions) for a in arg)
    if fn == "Fn::Or":
        return any(evaluate(a, params, conditions) for a in arg)
    if fn == "Fn::Join":
        separator, items = arg
        return separator.join(evaluate(items, params, conditions))
    if fn == "Fn::If":
        name, if_true, if_false = arg
        chosen = if_true if evaluate(conditions[name], params, conditions) else if_false
        return evaluate(chosen, params, conditions)
    return value


def parameters(template: dict[str, Any], region: str = "us-east-1", **given: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"AWS::Region": region}
    for name, spec in template["Parameters"].items():
        default = spec.get("Default")
        if spec["Type"] == "CommaDelimitedList" and isinstance(default, str):
            default = default.split(",")
        values[name] = default
    return values | given


def functions(resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: r for n, r in resources.items() if r["Type"] == "AWS::Serverless::Function"}


def alarms(resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: r["Properties"] for n, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"}


def watched(alarm: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(namespace, metric, {dimension: value}) for every metric an alarm reads."""
    if "MetricName" in alarm:
        return [(alarm["Namespace"], alarm["MetricName"], _dims(alarm.get("Dimensions", [])))]
    found = []
    for query in alarm["Metrics"]:
        if "MetricStat" in query:
            metric = query["MetricStat"]["Metric"]
            found.append((metric["Namespace"], metric["MetricName"], _dims(metric.get("Dimensions", []))))
    return found


def _dims(dimensions: list[dict[str, Any]]) -> dict[str, Any]:
    return {d["Name"]: d["Value"] for d in dimensions}


def alarms_on(resources: dict[str, Any], namespace: str, metric: str, **dims: Any) -> list[str]:
    """The alarms that read `metric` with these dimensions (among others)."""
    return [
        name
        for name, alarm in alarms(resources).items()
        if any(
            (ns, m) == (namespace, metric) and all(d.get(k) == v for k, v in dims.items())
            for ns, m, d in watched(alarm)
        )
    ]


# ------------------------------------------------------------------------------------------ WAF


@pytest.mark.parametrize(
    ("region", "waf", "web_acl_arn", "expected"),
    [
        ("us-east-1", "on", "", {"Fn::GetAtt": ["WebAcl", "Arn"]}),
        ("us-east-1", "off", "", NO_VALUE),
        ("eu-west-1", "off", "arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/1", "arn-given"),
        ("us-east-1", "on", "arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/1", "arn-given"),
        ("eu-west-1", "on", "", NO_VALUE),
    ],
)
def test_cloudfront_gets_the_stacks_own_web_acl_when_on_in_us_east_1_or_the_one_named(
    template: dict[str, Any],
    resources: dict[str, Any],
    region: str,
    waf: str,
    web_acl_arn: str,
    expected: Any,
) -> None:
    """Given a region, Waf and WebAclArn, when the conditions are evaluated, then the distribution
    is associated with the named WebACL, else the stack's own (Waf=on, us-east-1 only, where Scope
    CLOUDFRONT exists), else none, which the WebAcl output then says."""
    params = parameters(template, region, Waf=waf, WebAclArn=web_acl_arn)
    conditions = template["Conditions"]
    config = resources["Distribution"]["Properties"]["DistributionConfig"]
    associated = evaluate(config["WebACLId"], params, conditions)
    assert associated == (web_acl_arn if expected == "arn-given" else expected)
    created = evaluate(conditions[resources["WebAcl"]["Condition"]], params, conditions)
    assert created == (expected == {"Fn::GetAtt": ["WebAcl", "Arn"]})
    output = evaluate(template["Outputs"]["WebAcl"]["Value"], params, conditions)
    if expected is NO_VALUE:
        assert output.startswith("none")


def test_waf_is_off_by_default_and_the_idle_budget_says_why(template: dict[str, Any]) -> None:
    """Its WebACL bills whether or not anyone visits: off by default (issue 13's idle budget), a
    parameter away, and the docs give the price and when to turn it on."""
    assert template["Parameters"]["Waf"]["Default"] == "off"
    assert parameters(template)["Waf"] == "off"
    deploy = (ROOT / "docs" / "deploy.md").read_text()
    assert "Waf=on" in deploy
    assert "$9" in deploy


def test_the_web_acl_blocks_known_attacks_and_post_floods_from_one_address(
    template: dict[str, Any], resources: dict[str, Any]
) -> None:
    acl = resources["WebAcl"]["Properties"]
    assert acl["Scope"] == "CLOUDFRONT"
    assert acl["DefaultAction"] == {"Allow": {}}
    rules = {rule["Name"]: rule for rule in acl["Rules"]}
    groups = {
        r["Statement"]["ManagedRuleGroupStatement"]["Name"]: r
        for r in rules.values()
        if "ManagedRuleGroupStatement" in r["Statement"]
    }
    assert {
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
    } <= set(groups)
    assert all(g["OverrideAction"] == {"None": {}} for g in groups.values()), "managed groups must block"
    # A selfie is larger than the common rule set's 8 KB body limit: that one rule only counts.
    common = groups["AWSManagedRulesCommonRuleSet"]["Statement"]["ManagedRuleGroupStatement"]
    assert common["RuleActionOverrides"] == [{"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}]
    (rate,) = [r for r in rules.values() if "RateBasedStatement" in r["Statement"]]
    assert rate["Action"] == {"Block": {}}
    statement = rate["Statement"]["RateBasedStatement"]
    assert statement["AggregateKeyType"] == "IP"
    assert statement["Limit"] == {"Ref": "WafPostRequestsPerIp"}
    assert statement["ScopeDownStatement"]["ByteMatchStatement"]["SearchString"] == "POST"
    assert template["Parameters"]["WafPostRequestsPerIp"]["MinValue"] >= 100
    assert len({r["Priority"] for r in rules.values()}) == len(rules)


def test_a_web_acl_arn_must_be_a_cloudfront_one_from_us_east_1(template: dict[str, Any]) -> None:
    pattern = re.compile(template["Parameters"]["WebAclArn"]["AllowedPattern"])
    assert pattern.fullmatch("")
    assert pattern.fullmatch("arn:aws:wafv2:us-east-1:123456789012:global/webacl/eventlens/abc")
    assert not pattern.fullmatch("arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/eventlens/abc")


# ------------------------------------------------------------------------- throttles, concurrency

COSTLY_ROUTES = {
    "POST /api/events/{slug}/login",
    "POST /api/events/{slug}/match",
    "POST /api/events/{slug}/match/consent",
    "POST /api/events/{slug}/match/hide",  # hide me and forget me run the face model too
    "POST /api/events/{slug}/match/forget",
    "GET /api/events/{slug}/search",
    "POST /api/events/{slug}/download",
    "GET /api/events/{slug}/archives/{archive_id}",
}


def test_login_match_search_and_zip_downloads_have_their_own_tighter_throttles(
    resources: dict[str, Any],
) -> None:
    api = resources["HttpApi"]["Properties"]
    routes = api["RouteSettings"]
    assert set(routes) == COSTLY_ROUTES
    default = api["DefaultRouteSettings"]
    declared = {
        f"{ev['Properties']['Method']} {ev['Properties']['Path']}"
        for fn in functions(resources).values()
        for ev in fn["Properties"].get("Events", {}).values()
        if ev["Type"] == "HttpApi"
    }
    for key, limits in routes.items():
        assert key in declared, f"{key}: a route setting for a route the API does not have"
        assert 0 < limits["ThrottlingRateLimit"] < default["ThrottlingRateLimit"], key
        assert (
            limits["ThrottlingRateLimit"] <= limits["ThrottlingBurstLimit"] < default["ThrottlingBurstLimit"]
        )


def test_the_selfie_match_function_has_reserved_concurrency_above_its_route_burst(
    template: dict[str, Any], resources: dict[str, Any]
) -> None:
    """A flood of selfies gets API Gateway's 429 first, never more than MatchConcurrency 3 GB
    containers; the burst fits inside the reservation, so the route does not throttle at Lambda."""
    match = resources["MatchFunction"]["Properties"]
    assert match["MemorySize"] >= 3008
    assert match["ReservedConcurrentExecutions"] == {"Ref": "MatchConcurrency"}
    reserved = template["Parameters"]["MatchConcurrency"]["Default"]
    burst = resources["HttpApi"]["Properties"]["RouteSettings"]["POST /api/events/{slug}/match"]
    assert 1 <= burst["ThrottlingBurstLimit"] <= reserved


# ------------------------------------------------------------------------------------------ CORS


def test_cors_allows_no_origin_by_default_and_never_a_wildcard(
    template: dict[str, Any], resources: dict[str, Any]
) -> None:
    parameter = template["Parameters"]["CorsAllowOrigins"]
    assert parameter["Default"] == ""
    cors = resources["HttpApi"]["Properties"]["CorsConfiguration"]
    conditions = template["Conditions"]
    assert evaluate(cors, parameters(template), conditions) is NO_VALUE
    given = parameters(template, CorsAllowOrigins=["https://partner.example"])
    configured = evaluate(cors, given, conditions)
    assert configured["AllowOrigins"] == ["https://partner.example"]
    assert "*" not in json.dumps(cors)


# ------------------------------------------------------------------------------- data retention

KEPT = ["MediaBucket", "UserPool", "DbSecret", "DbAppSecret", "MediaSecret", "GeminiSecret"]


@pytest.mark.parametrize("name", KEPT)
def test_data_outlives_the_stack(resources: dict[str, Any], name: str) -> None:
    assert resources[name]["DeletionPolicy"] == "Retain", name
    assert resources[name]["UpdateReplacePolicy"] == "Retain", name


def test_the_database_leaves_a_final_snapshot(resources: dict[str, Any]) -> None:
    """Snapshot rather than Retain: a retained cluster would hold the stack's subnet group and
    fail the stack's deletion (template.yaml, docs/deploy.md "Teardown")."""
    cluster = resources["DbCluster"]
    assert cluster["DeletionPolicy"] == "Snapshot"
    assert cluster["UpdateReplacePolicy"] == "Snapshot"
    assert cluster["Properties"]["BackupRetentionPeriod"] >= 1


def test_the_media_bucket_is_versioned_and_forgets_old_versions_after_14_days(
    resources: dict[str, Any],
) -> None:
    bucket = resources["MediaBucket"]["Properties"]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    rules = [r for r in bucket["LifecycleConfiguration"]["Rules"] if "NoncurrentVersionExpiration" in r]
    assert len(rules) == 1
    (rule,) = rules
    assert rule["Status"] == "Enabled"
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 14}
    assert rule["ExpiredObjectDeleteMarker"] is True
    assert not {"Prefix", "Filter", "TagFilters"} & set(rule), "must cover the whole bucket"
    docs = (ROOT / "docs" / "deploy.md").read_text() + (ROOT / "docs" / "security.md").read_text()
    assert "14 days" in docs


# ---------------------------------------------------------------------------------------- alarms


@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_every_function_is_watched_for_errors_and_throttles(resources: dict[str, Any], metric: str) -> None:
    """One alarm reads the region's Lambda metric with no FunctionName dimension: it covers every
    function of the stack, one added later included, for one alarm metric ($0.10 a month) instead
    of one per function."""
    assert functions(resources)
    region_wide = [
        name for name, alarm in alarms(resources).items() if ("AWS/Lambda", metric, {}) in watched(alarm)
    ]
    assert len(region_wide) == 1, region_wide
    (alarm,) = (alarms(resources)[n] for n in region_wide)
    assert alarm["Statistic"] == "Sum"
    assert alarm["Threshold"] == 0
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"


def test_alarms_read_at_most_ten_metrics_the_free_tier(resources: dict[str, Any]) -> None:
    """Alarms bill per metric they read; an account's first ten are free."""
    assert sum(len(watched(a)) for a in alarms(resources).values()) <= 10


@pytest.mark.parametrize(
    ("signal", "namespace", "metric", "dims"),
    [
        (
            "failed runs",
            "AWS/States",
            "ExecutionsFailed",
            {"StateMachineArn": {"Ref": "PipelineStateMachine"}},
        ),
        (
            "timed-out runs",
            "AWS/States",
            "ExecutionsTimedOut",
            {"StateMachineArn": {"Ref": "PipelineStateMachine"}},
        ),
        ("runs that never started", "EventLens", "RunStartFailed", {"service": "ingest"}),
        ("API 5xx", "AWS/ApiGateway", "5xx", {"ApiId": {"Ref": "HttpApi"}}),
        (
            "Aurora at max capacity",
            "AWS/RDS",
            "ServerlessDatabaseCapacity",
            {"DBClusterIdentifier": {"Ref": "DbCluster"}},
        ),
        ("Gemini 429s", "EventLens", "GeminiRateLimited", {}),
        (
            "the ingest DLQ",
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            {"QueueName": {"Fn::GetAtt": ["IngestDeadLetterQueue", "QueueName"]}},
        ),
    ],
)
def test_each_operational_signal_has_an_alarm_that_notifies(
    resources: dict[str, Any], signal: str, namespace: str, metric: str, dims: dict[str, Any]
) -> None:
    found = alarms_on(resources, namespace, metric, **dims)
    assert found, f"no alarm for {signal}"
    for name in found:
        assert alarms(resources)[name]["AlarmActions"] == [{"Ref": "AlarmTopic"}], name


def test_every_alarm_notifies_the_alarm_topic(resources: dict[str, Any]) -> None:
    for name, alarm in alarms(resources).items():
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}], name
        assert alarm.get("TreatMissingData") == "notBreaching", name


def test_the_capacity_alarm_compares_with_the_configured_maximum(resources: dict[str, Any]) -> None:
    (name,) = alarms_on(resources, "AWS/RDS", "ServerlessDatabaseCapacity")
    alarm = alarms(resources)[name]
    (expression,) = [q for q in alarm["Metrics"] if "Expression" in q]
    assert "${DbMaxCapacity}" in expression["Expression"]["Fn::Sub"]
    assert expression["ReturnData"] is True
    assert alarm["Threshold"] >= 90


def test_gemini_429s_are_counted_from_the_line_the_client_logs(resources: dict[str, Any]) -> None:
    """The metric filter matches the message eventlens/ml/gemini.py logs on every 429, in the log
    group every function writes to (Globals LoggingConfig)."""
    (name,) = [n for n, r in resources.items() if r["Type"] == "AWS::Logs::MetricFilter"]
    metric_filter = resources[name]["Properties"]
    assert metric_filter["LogGroupName"] == {"Ref": "FunctionLogGroup"}
    (transform,) = metric_filter["MetricTransformations"]
    assert (transform["MetricNamespace"], transform["MetricName"]) == ("EventLens", "GeminiRateLimited")
    (message,) = re.findall(r'\$\.message = "([^"]+)"', metric_filter["FilterPattern"])
    source = (ROOT / "layers" / "core" / "eventlens" / "ml" / "gemini.py").read_text()
    assert re.search(
        r"if exc\.code == 429:.*\n\s+log\.warning\(" + re.escape(json.dumps(message)) + r"\)", source
    )


def test_gemini_client_logs_each_429_it_meets(caplog: pytest.LogCaptureFixture) -> None:
    """When Gemini answers 429, then the classifier (called on every failed attempt) logs the line
    the metric filter counts; another status logs nothing."""
    import httpx
    from eventlens.ml import gemini
    from google.genai import errors

    def api_error(status: int) -> errors.APIError:
        response = httpx.Response(status, json={"error": {"code": status, "message": "x", "status": "X"}})
        return errors.APIError(status, {"error": {"code": status, "message": "x"}}, response)

    with caplog.at_level("WARNING", logger="eventlens.ml.gemini"):
        assert gemini._classify(api_error(503)) is not None
        assert not caplog.records
        failure = gemini._classify(api_error(429))
    assert failure is not None
    assert failure.status == 429
    assert [r.getMessage() for r in caplog.records] == ["Gemini answered HTTP 429"]


def test_the_dashboard_shows_every_alarm(template: dict[str, Any], resources: dict[str, Any]) -> None:
    """Off by default ($3 a month beyond an account's first three); when on, it shows every alarm."""
    assert resources["Dashboard"]["Condition"] == "CreateDashboard"
    assert template["Outputs"]["DashboardUrl"]["Condition"] == "CreateDashboard"
    conditions = template["Conditions"]
    assert evaluate(conditions["CreateDashboard"], parameters(template), conditions) is False
    assert (
        evaluate(conditions["CreateDashboard"], parameters(template, MonitoringDashboard="on"), conditions)
        is True
    )
    body = resources["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    widgets = json.loads(re.sub(r"\$\{[^}]+\}", "x", body))["widgets"]
    assert widgets, "an empty dashboard"
    shown = set(re.findall(r"\$\{(\w+)\.Arn\}", body))
    assert shown == set(alarms(resources)), "alarms and dashboard differ"
    (status,) = [w for w in widgets if w["type"] == "alarm"]
    assert len(status["properties"]["alarms"]) == len(shown)


# ----------------------------------------------------------------------------------- the image


def test_the_image_weights_are_pinned_by_checksum(resources: dict[str, Any]) -> None:
    images = {n: r for n, r in functions(resources).items() if r["Properties"].get("PackageType") == "Image"}
    assert images
    digests = {r["Metadata"]["DockerBuildArgs"].get("BUFFALO_L_SHA256") for r in images.values()}
    assert len(digests) == 1, "every image function builds the same weights"
    (digest,) = digests
    assert re.fullmatch(r"[0-9a-f]{64}", str(digest)), digest


# -------------------------------------------------------------------------------------- checkov


def _skips(resources: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(check id, resource, reason) for every checkov skip in the template."""
    return [
        (skip["id"], name, skip.get("comment", ""))
        for name, res in resources.items()
        for skip in res.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]


def test_every_checkov_skip_says_why(resources: dict[str, Any]) -> None:
    skips = _skips(resources)
    assert skips
    for check, name, reason in skips:
        assert re.fullmatch(r"CKV2?_AWS_\d+", check), (name, check)
        assert len(reason.split()) >= 8, f"{name} {check}: say why in a sentence"
    assert len({(c, n) for c, n, _ in skips}) == len(skips), "a check skipped twice on one resource"


def test_every_checkov_skip_is_in_the_docs_table(resources: dict[str, Any]) -> None:
    """docs/security.md's table lists each skipped check with the resources it is skipped on."""
    text = (ROOT / "docs" / "security.md").read_text()
    rows: dict[str, str] = {}
    for row in re.finditer(r"^\| `(CKV2?_AWS_\d+)` \|([^\n]*)$", text, re.M):
        rows[row.group(1)] = rows.get(row.group(1), "") + row.group(2)
    for check, name, _ in _skips(resources):
        assert check in rows, f"{check} is not in the table"
        assert re.search(rf"\b{name}\b", rows[check]), f"{check}: {name} is not in its row"


def test_ci_runs_checkov_on_the_template() -> None:
    makefile = (ROOT / "Makefile").read_text()
    lint = makefile.split("\nlint:", 1)[1].split("\n\n", 1)[0]
    assert "checkov" in lint
    assert "template.yaml" in lint
    assert re.search(r"^CHECKOV := checkov==\d+\.\d+\.\d+$", makefile, re.M), "pin the version"
    assert re.search(r"^test:.*\blint\b", makefile, re.M)


# --------------------------------------------------------------------- direct execute-api calls


def test_cloudfront_sends_the_origin_secret_and_every_api_function_may_read_it(
    resources: dict[str, Any],
) -> None:
    distribution = resources["Distribution"]["Properties"]["DistributionConfig"]
    [api_origin] = [o for o in distribution["Origins"] if o["Id"] == "api"]
    [header] = api_origin["OriginCustomHeaders"]
    assert header["HeaderName"] == "X-EventLens-Origin"
    assert header["HeaderValue"] == {"Fn::Sub": "{{resolve:secretsmanager:${OriginSecret}:SecretString}}"}
    for name, function in functions(resources).items():
        events = function["Properties"].get("Events") or {}
        if not any(e.get("Type") == "HttpApi" for e in events.values()):
            continue
        readable = [
            p["AWSSecretsManagerGetSecretValuePolicy"]["SecretArn"]
            for p in function["Properties"].get("Policies", [])
            if isinstance(p, dict) and "AWSSecretsManagerGetSecretValuePolicy" in p
        ]
        assert {"Ref": "OriginSecret"} in readable, name


def test_the_largest_selfie_the_api_takes_fits_a_lambda_invocation(template: dict[str, Any]) -> None:
    """A synchronous invocation carries at most 6 MB; a larger request fails in the gateway with a
    bare 500, so the limit the page and the match route enforce must keep under it."""
    limit = int(template["Globals"]["Function"]["Environment"]["Variables"]["EVENTLENS_MAX_SELFIE_BYTES"])
    base64_json = -(-limit * 4 // 3) + 64 * 1024  # the body, the JSON around it, headers
    assert base64_json < 6 * 1024 * 1024
