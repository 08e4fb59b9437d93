"""template.yaml: lint-clean, secure by default, and wired the way the code expects."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def functions(resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: res["Properties"]
        for name, res in resources.items()
        if res["Type"] == "AWS::Serverless::Function"
    }


def http_routes(resources: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(function, method, path, properties) for every HttpApi event."""
    return [
        (name, ev["Properties"]["Method"], ev["Properties"]["Path"], ev["Properties"])
        for name, props in functions(resources).items()
        for ev in props.get("Events", {}).values()
        if ev["Type"] == "HttpApi"
    ]


def test_template_is_cfn_lint_clean() -> None:
    lint = Path(sys.executable).with_name("cfn-lint")
    result = subprocess.run(
        [str(lint), str(ROOT / "template.yaml")], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_admin_routes_require_the_cognito_authorizer(resources: dict[str, Any]) -> None:
    admin = [r for r in http_routes(resources) if "/admin/" in r[2]]
    assert admin, "no admin route found"
    for function, method, path, props in admin:
        assert props["Auth"]["Authorizer"] == "CognitoAuthorizer", (function, method, path)


def test_api_is_secure_by_default_and_public_routes_say_so(resources: dict[str, Any]) -> None:
    auth = resources["HttpApi"]["Properties"]["Auth"]
    assert auth["DefaultAuthorizer"] == "CognitoAuthorizer"
    jwt = auth["Authorizers"]["CognitoAuthorizer"]["JwtConfiguration"]
    assert jwt["audience"] == [{"Ref": "UserPoolClient"}]
    assert "UserPool" in str(jwt["issuer"])
    public = {(m, p) for _, m, p, props in http_routes(resources) if props["Auth"]["Authorizer"] == "NONE"}
    assert ("POST", "/api/events/{slug}/match") in public
    assert ("GET", "/api/events/{slug}/search") in public
    assert not any("/admin/" in p for _, p in public)


def test_cors_origins_come_from_a_parameter(template: dict[str, Any], resources: dict[str, Any]) -> None:
    condition, cors, otherwise = resources["HttpApi"]["Properties"]["CorsConfiguration"]["Fn::If"]
    assert (condition, otherwise) == ("HasCorsOrigins", {"Ref": "AWS::NoValue"})  # test_hardening.py
    assert cors["AllowOrigins"] == {"Ref": "CorsAllowOrigins"}
    assert "CorsAllowOrigins" in template["Parameters"]


def _router_routes(module: str) -> set[tuple[str, str]]:
    """(METHOD, /path/{param}) for every route an eventlens.api router declares."""
    import importlib

    router = importlib.import_module(f"eventlens.api.{module}").router
    found = set()
    for key in router._routes:  # Powertools Router: (rule, methods, cors, compress, cache, ...)
        rule, methods = key[0], key[1]
        path = re.sub(r"<(\w+)>", "{\\1}", rule)
        found |= {(m.upper(), path) for m in (methods if isinstance(methods, (list, tuple)) else [methods])}
    return found


@pytest.mark.parametrize(
    ("function", "module"),
    [
        ("GalleryFunction", "gallery"),
        ("MatchFunction", "match"),
        ("AdminFunction", "admin"),
        ("GalleryFunction", "engagement"),
        ("GalleryFunction", "albums"),
    ],
)
def test_every_api_route_reaches_the_function_that_serves_it(
    resources: dict[str, Any], function: str, module: str
) -> None:
    served = {(m, p) for f, m, p, _ in http_routes(resources) if f == function}
    for method, path in _router_routes(module):
        if (method, path) in served:
            continue
        proxies = [p.replace("{proxy+}", "") for m, p in served if p.endswith("{proxy+}") and m == "ANY"]
        prefixes = [re.sub(r"\{\w+\}", "[^/]+", p) for p in proxies]
        assert any(re.match(pre, path) for pre in prefixes), f"{method} {path} not routed to {function}"


def test_functions_are_arm64_and_runtime_is_per_function(
    template: dict[str, Any], resources: dict[str, Any]
) -> None:
    globals_fn = template["Globals"]["Function"]
    assert "Runtime" not in globals_fn, "image functions reject a Runtime from Globals"
    assert globals_fn["Architectures"] == ["arm64"]
    for name, props in functions(resources).items():
        if props.get("PackageType") == "Image":
            assert not {"Runtime", "Layers", "Handler"} & set(props), name
            assert resources[name]["Metadata"]["Dockerfile"] == "functions/face_embed/Dockerfile"
        else:
            assert props["Runtime"] == "python3.12", name
            assert {"Ref": "CoreLayer"} in props["Layers"], name


def test_zip_handlers_exist(resources: dict[str, Any]) -> None:
    for name, props in functions(resources).items():
        if props.get("PackageType") == "Image":
            module = props["ImageConfig"]["Command"][0].split(".")[0]
            assert module in {"app", "api_match"}, name
            continue
        module = props["Handler"].split(".")[0]
        assert (ROOT / props["CodeUri"] / f"{module}.py").is_file(), name


def test_heavy_layers_only_where_used(resources: dict[str, Any]) -> None:
    fns = functions(resources)

    def layers(name: str) -> set[str]:
        return {layer["Ref"] for layer in fns[name].get("Layers", [])}

    for api in ("GalleryFunction", "AdminFunction", "IngestFunction", "RecordRunFunction", "MigrateFunction"):
        assert not layers(api) & {"ImagingLayer", "VideoLayer"}, api
    assert [n for n in fns if "VideoLayer" in layers(n)] == ["ScanFunction"]
    assert layers("SyncFunction") == {"CoreLayer", "BaseDepsLayer"}
    onnx = {n for n, p in fns.items() if p.get("PackageType") == "Image"}
    assert onnx == {"MatchFunction", "FacesFunction", "AnalyzeFunction", "TranscodeFunction"}


def test_each_phase_function_is_pinned_to_its_phase(resources: dict[str, Any]) -> None:
    from eventlens.pipeline.graph import PHASES

    for phase in PHASES:
        env = functions(resources)[f"{phase.capitalize()}Function"]["Environment"]["Variables"]
        assert env["PIPELINE_PHASE"] == phase


def test_ingest_queue_has_a_dead_letter_queue_and_an_alarm(resources: dict[str, Any]) -> None:
    redrive = resources["IngestQueue"]["Properties"]["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["IngestDeadLetterQueue", "Arn"]}
    assert 1 < redrive["maxReceiveCount"] <= 10
    alarm = resources["IngestDeadLetterAlarm"]["Properties"]
    assert alarm["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["IngestDeadLetterQueue", "QueueName"]}
    timeout = functions(resources)["IngestFunction"]["Timeout"]
    assert resources["IngestQueue"]["Properties"]["VisibilityTimeout"] >= 6 * timeout


def test_ingest_reports_partial_batch_failures(resources: dict[str, Any]) -> None:
    event = functions(resources)["IngestFunction"]["Events"]["Uploads"]
    assert event["Type"] == "SQS"
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    env = functions(resources)["IngestFunction"]["Environment"]["Variables"]
    assert env["IDEMPOTENCY_TABLE"] == {"Ref": "IdempotencyTable"}


def test_bucket_notifies_the_queue_without_a_dependency_cycle(resources: dict[str, Any]) -> None:
    bucket = resources["MediaBucket"]
    assert bucket["DependsOn"] == "IngestQueuePolicy"
    (queue,) = bucket["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    assert queue["Event"] == "s3:ObjectCreated:*"
    assert queue["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "events/"}]
    condition = resources["IngestQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"][0]["Condition"]
    assert "eventlens-media-" in str(condition["ArnEquals"]["aws:SourceArn"])


def test_state_machine_substitutes_every_placeholder(resources: dict[str, Any], asl_text: str) -> None:
    props = resources["PipelineStateMachine"]["Properties"]
    assert props["DefinitionUri"] == "infra/statemachines/pipeline.asl.json"
    assert set(re.findall(r"\$\{(\w+)\}", asl_text)) == set(props["DefinitionSubstitutions"])
    invoked = {
        p["LambdaInvokePolicy"]["FunctionName"]["Ref"] for p in props["Policies"] if "LambdaInvokePolicy" in p
    }
    arns = {v["Fn::GetAtt"][0] for v in props["DefinitionSubstitutions"].values() if "Fn::GetAtt" in v}
    assert invoked == arns


def _statements(props: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for p in props.get("Policies", []) if isinstance(p, dict) for s in p.get("Statement", [])]


def test_no_function_is_granted_wildcard_actions_or_buckets(resources: dict[str, Any]) -> None:
    for name, props in functions(resources).items():
        for statement in _statements(props):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert not any(a == "*" or a.endswith(":*") for a in actions), name
            assert statement.get("Resource") != "*", name
        assert not any(isinstance(p, str) for p in props.get("Policies", [])), f"{name}: managed policy"


def test_functions_reach_the_database_cluster_itself_in_the_vpc(
    resources: dict[str, Any], template: dict[str, Any]
) -> None:
    cluster = resources["DbCluster"]["Properties"]
    assert cluster["Engine"] == "aurora-postgresql"
    assert "ServerlessV2ScalingConfiguration" in cluster
    assert resources["DbInstance"]["Properties"]["DBInstanceClass"] == "db.serverless"
    assert resources["DbInstance"]["Properties"]["PubliclyAccessible"] is False
    assert not [n for n, r in resources.items() if r["Type"].startswith("AWS::RDS::DBProxy")]
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    assert env["DB_HOST"] == {"Fn::GetAtt": ["DbCluster", "Endpoint.Address"]}
    assert env["DB_APP_SECRET_ARN"] == {"Ref": "DbAppSecret"}
    assert "DB_SECRET_ARN" not in env
    assert "VpcConfig" in template["Globals"]["Function"]
    (ingress,) = resources["DbSecurityGroup"]["Properties"]["SecurityGroupIngress"]
    assert ingress["SourceSecurityGroupId"] == {"Ref": "LambdaSecurityGroup"}
    assert (ingress["FromPort"], ingress["ToPort"]) == (5432, 5432)
    assert resources["Schema"]["Properties"]["ServiceToken"] == {"Fn::GetAtt": ["MigrateFunction", "Arn"]}


def test_cloudfront_reads_buckets_through_origin_access_control(resources: dict[str, Any]) -> None:
    origins = resources["Distribution"]["Properties"]["DistributionConfig"]["Origins"]
    for origin in origins:
        if "S3OriginConfig" in origin:
            assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["OriginAccessControl", "Id"]}
    allow = resources["WebBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert "AWS:SourceArn" in allow["Condition"]["StringEquals"]


def test_no_media_is_served_by_its_key(resources: dict[str, Any]) -> None:
    """The media bucket allows nobody but the functions' roles: CloudFront sends /media/* to the
    gallery function, which checks the capability and redirects to a presigned GET (issue 11)."""
    statements = resources["MediaBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert [s["Effect"] for s in statements] == ["Deny"]
    config = resources["Distribution"]["Properties"]["DistributionConfig"]
    assert not any("MediaBucket" in str(origin["DomainName"]) for origin in config["Origins"])
    (media,) = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/media/*"]
    assert media["TargetOriginId"] == "api"
    routes = resources["GalleryFunction"]["Properties"]["Events"]
    assert routes["Media"]["Properties"]["Path"] == "/media/{token}"
    assert routes["Media"]["Properties"]["Auth"] == {"Authorizer": "NONE"}


def test_every_log_group_has_a_retention(resources: dict[str, Any]) -> None:
    groups = [r for r in resources.values() if r["Type"] == "AWS::Logs::LogGroup"]
    assert len(groups) >= 3
    assert all(g["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"} for g in groups)


def test_gemini_key_lives_in_secrets_manager(template: dict[str, Any], resources: dict[str, Any]) -> None:
    assert resources["GeminiSecret"]["Type"] == "AWS::SecretsManager::Secret"
    assert template["Globals"]["Function"]["Environment"]["Variables"]["EVENTLENS_GEMINI_SECRET_ARN"] == {
        "Ref": "GeminiSecret"
    }
    envs = [template["Globals"]["Function"]["Environment"]["Variables"]] + [
        props.get("Environment", {}).get("Variables", {}) for props in functions(resources).values()
    ]
    assert not any("GEMINI_API_KEY" in env for env in envs), "the key itself must not sit in an env var"


def test_dashboard_login_signs_in_with_cognito_and_no_token_secret_is_deployed(
    template: dict[str, Any], resources: dict[str, Any]
) -> None:
    client = resources["UserPoolClient"]["Properties"]
    assert client["GenerateSecret"] is False, "InitiateAuth from the login route sends no secret hash"
    assert {"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"} <= set(client["ExplicitAuthFlows"])
    gallery_env = {
        **template["Globals"]["Function"]["Environment"]["Variables"],
        **functions(resources)["GalleryFunction"].get("Environment", {}).get("Variables", {}),
    }
    assert gallery_env["EVENTLENS_COGNITO_CLIENT_ID"] == {"Ref": "UserPoolClient"}
    login = [r for r in http_routes(resources) if r[2] == "/api/events/{slug}/login"]
    assert [(f, m, props["Auth"]["Authorizer"]) for f, m, _, props in login] == [
        ("GalleryFunction", "POST", "NONE")
    ]
    assert "TokenSecret" not in resources
    assert "TOKEN_SECRET" not in (ROOT / "template.yaml").read_text()


def test_only_the_migration_function_can_read_the_owners_secret(resources: dict[str, Any]) -> None:
    """Functions log in as eventlens_app (row-level security binds it); the master password, which
    owns the schema and is not bound by the policies, is readable by migrations alone."""

    def secrets_of(properties: dict[str, Any]) -> set[str]:
        found = set()
        for policy in properties.get("Policies", []):
            if isinstance(policy, dict) and "AWSSecretsManagerGetSecretValuePolicy" in policy:
                found.add(policy["AWSSecretsManagerGetSecretValuePolicy"]["SecretArn"]["Ref"])
        return found

    readers = {name for name, fn in functions(resources).items() if "DbSecret" in secrets_of(fn)}
    assert readers == {"MigrateFunction"}
    migrate = functions(resources)["MigrateFunction"]
    assert secrets_of(migrate) == {"DbSecret", "DbAppSecret"}
    assert migrate["Environment"]["Variables"]["DB_SECRET_ARN"] == {"Ref": "DbSecret"}
    app_readers = {name for name, fn in functions(resources).items() if "DbAppSecret" in secrets_of(fn)}
    assert len(app_readers) >= 10  # every function that touches the database


def test_the_policy_reader_refuses_what_a_role_does_not_grant() -> None:
    """tests/infra/iam.py can say no: the checker behind test_iam_policies.py is not vacuous."""
    from tests.infra.iam import Names, statements

    names = Names("media")
    scan = statements("ScanFunction", names)
    assert any(s.allows("s3:ListBucket", "arn:aws:s3:::media", "events/x/originals/") for s in scan)
    assert not any(s.allows("s3:ListBucket", "arn:aws:s3:::media", "") for s in scan)  # outside events/
    assert not any(s.allows("s3:PutObject", "arn:aws:s3:::media/events/x/thumbs/a.jpg") for s in scan)
    assert not any(s.allows("s3:GetObject", "arn:aws:s3:::other/events/a.jpg") for s in scan)
