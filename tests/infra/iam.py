"""A function's IAM statements as template.yaml gives them, and whether a call is allowed.

Reads the inline `Statement` lists and the SAM policy templates this template uses (expanded as
SAM documents them), resolving the few intrinsics they name against stand-in physical names.
Enough to prove "every AWS call a handler makes is allowed by its own role"; not a general IAM
engine (no conditions, no Deny, which the template does not use).
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


class _Loader(yaml.SafeLoader):
    pass


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return {suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {suffix: loader.construct_sequence(node, deep=True)}
    return {suffix: loader.construct_mapping(node, deep=True)}  # type: ignore[arg-type]


_Loader.add_multi_constructor("!", _tag)


def template() -> dict[str, Any]:
    return yaml.load((ROOT / "template.yaml").read_text(), Loader=_Loader)  # noqa: S506 - SafeLoader subclass


@dataclass(frozen=True)
class Statement:
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    prefix: str | None = None
    """A `StringLike` condition on `s3:prefix` (the only condition this template uses)."""

    def allows(self, action: str, resource: str, prefix: str | None = None) -> bool:
        return (
            any(fnmatchcase(action, a) for a in self.actions)
            and any(fnmatchcase(resource, r) for r in self.resources)
            and (self.prefix is None or (prefix is not None and fnmatchcase(prefix, self.prefix)))
        )


class Names:
    """Physical names for the template's logical ids (what the deployed stack would have), and the
    stack's parameter values where a test gives them (`parameters`; else their defaults)."""

    def __init__(
        self,
        bucket: str,
        region: str = "us-east-1",
        account: str = "123456789012",
        stack: str = "eventlens",
        parameters: dict[str, Any] | None = None,
    ) -> None:
        self.bucket, self.region, self.account, self.stack = bucket, region, account, stack
        self.parameters = parameters or {}

    def function_arn(self, logical: str) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{logical}"

    def ref(self, logical: str) -> Any:
        pseudo = {
            "AWS::Partition": "aws",
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::StackName": self.stack,
        }
        if logical in pseudo:
            return pseudo[logical]
        if logical == "MediaBucket":
            return self.bucket
        if logical.endswith("Secret"):
            return f"arn:aws:secretsmanager:{self.region}:{self.account}:secret:{logical}-*"
        parameter = template().get("Parameters", {}).get(logical)
        if parameter is not None:
            value = self.parameters.get(logical, parameter.get("Default", ""))
            if parameter["Type"] == "CommaDelimitedList" and isinstance(value, str):
                return value.split(",") if value else [""]
            return value
        return logical

    def attr(self, logical: str, attribute: str) -> str:
        if (logical, attribute) == ("MediaBucket", "Arn"):
            return f"arn:aws:s3:::{self.bucket}"
        if attribute == "Arn" and logical.endswith("Table"):
            return f"arn:aws:dynamodb:{self.region}:{self.account}:table/{logical}"
        if attribute == "Arn" and logical.endswith("Function"):
            return self.function_arn(logical)
        return f"{logical}.{attribute}"

    def value(self, value: Any) -> Any:
        """An intrinsic's value: a string, or a list (Ref of a list parameter, Split)."""
        if isinstance(value, str | list):
            return [self.value(v) for v in value] if isinstance(value, list) else value
        if "Ref" in value:
            return self.ref(value["Ref"])
        if "Join" in value:
            delimiter, items = value["Join"]
            parts: list[str] = []
            for item in self.value(items):
                parts.extend(item if isinstance(item, list) else [item])
            return delimiter.join(parts)
        if "Split" in value:
            delimiter, text = value["Split"]
            return str(self.value(text)).split(delimiter)
        return self.resolve(value)

    def condition(self, name: str) -> bool:
        return self._truth(template()["Conditions"][name])

    def _truth(self, node: Any) -> bool:
        if "Not" in node:
            return not self._truth(node["Not"][0])
        if "And" in node:
            return all(self._truth(n) for n in node["And"])
        if "Equals" in node:
            left, right = (self.value(v) for v in node["Equals"])
            return bool(left == right)
        if "Condition" in node:
            return self.condition(node["Condition"])
        raise ValueError(f"unsupported condition {node}")

    def resolve(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        if "Ref" in value or "Join" in value:
            return str(self.value(value))
        if "GetAtt" in value:
            logical, _, attribute = str(value["GetAtt"]).partition(".")
            return self.attr(logical, attribute)
        if "Sub" in value:
            text = value["Sub"]
            while "${" in text:
                start = text.index("${")
                end = text.index("}", start)
                name = text[start + 2 : end]
                logical, _, attribute = name.partition(".")
                text = (
                    text[:start]
                    + (self.attr(logical, attribute) if attribute else str(self.ref(logical)))
                    + text[end + 1 :]
                )
            return text
        raise ValueError(f"unsupported intrinsic {value}")

    def resources(self, value: Any) -> tuple[str, ...]:
        """A statement's Resource: one ARN, a list of them, or an intrinsic making a list."""
        if isinstance(value, dict) and "Split" in value:
            return tuple(self.value(value))
        return tuple(self.resolve(r) for r in _listed(value))


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements(function: str, names: Names) -> list[Statement]:
    """The Allow statements of `function`'s role, SAM policy templates expanded."""
    properties = template()["Resources"][function]["Properties"]
    out: list[Statement] = []
    for listed in properties.get("Policies", []):
        policy = listed
        if "If" in listed:  # !If [Condition, policy, !Ref AWS::NoValue]
            condition, when, otherwise = listed["If"]
            policy = when if names.condition(condition) else otherwise
            if policy == {"Ref": "AWS::NoValue"}:
                continue
        if "Statement" in policy:
            for s in policy["Statement"]:
                assert s["Effect"] == "Allow"
                condition = s.get("Condition", {})
                assert set(condition) <= {"StringLike"}, condition
                prefix = condition.get("StringLike", {}).get("s3:prefix")
                out.append(
                    Statement(
                        tuple(_listed(s["Action"])),
                        names.resources(s["Resource"]),
                        prefix,
                    )
                )
        elif "S3ReadPolicy" in policy:
            bucket = names.resolve(policy["S3ReadPolicy"]["BucketName"])
            actions = (
                "s3:GetObject",
                "s3:ListBucket",
                "s3:GetBucketLocation",
                "s3:GetObjectVersion",
                "s3:GetLifecycleConfiguration",
            )
            out.append(Statement(actions, (f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*")))
        elif "AWSSecretsManagerGetSecretValuePolicy" in policy:
            arn = names.resolve(policy["AWSSecretsManagerGetSecretValuePolicy"]["SecretArn"])
            out.append(Statement(("secretsmanager:GetSecretValue",), (arn,)))
        elif "StepFunctionsExecutionPolicy" in policy:
            out.append(Statement(("states:StartExecution",), ("arn:aws:states:*:*:stateMachine:*",)))
        else:
            raise AssertionError(f"{function}: teach tests/infra/iam.py the policy {policy}")
    return out


_S3_ACTIONS = {
    "ListObjectsV2": ("s3:ListBucket", False),
    "GetObject": ("s3:GetObject", True),
    "HeadObject": ("s3:GetObject", True),
    "PutObject": ("s3:PutObject", True),
    "DeleteObject": ("s3:DeleteObject", True),
    "GetObjectTagging": ("s3:GetObjectTagging", True),
    # A multipart upload is PutObject in IAM, but for its abort.
    "CreateMultipartUpload": ("s3:PutObject", True),
    "UploadPart": ("s3:PutObject", True),
    "CompleteMultipartUpload": ("s3:PutObject", True),
    "AbortMultipartUpload": ("s3:AbortMultipartUpload", True),
    "ListParts": ("s3:ListMultipartUploadParts", True),
}


def s3_call(operation: str, params: dict[str, Any]) -> tuple[str, str, str | None]:
    """(IAM action, resource ARN, listed prefix) that an S3 API call needs."""
    if operation not in _S3_ACTIONS:
        raise AssertionError(f"teach tests/infra/iam.py the S3 call {operation}")
    action, on_object = _S3_ACTIONS[operation]
    bucket = params["Bucket"]
    if on_object:
        return action, f"arn:aws:s3:::{bucket}/{params['Key']}", None
    return action, f"arn:aws:s3:::{bucket}", params.get("Prefix", "")


def s3_calls(operation: str, params: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """Every IAM action an S3 API call needs: its own, plus s3:PutObjectTagging when it tags."""
    call = s3_call(operation, params)
    return [call, ("s3:PutObjectTagging", call[1], None)] if params.get("Tagging") else [call]


def lambda_call(operation: str, params: dict[str, Any]) -> tuple[str, str, None]:
    """(IAM action, function ARN, None) that a Lambda API call needs."""
    if operation != "Invoke":
        raise AssertionError(f"teach tests/infra/iam.py the Lambda call {operation}")
    return "lambda:InvokeFunction", params["FunctionName"], None


def secrets_call(operation: str, params: dict[str, Any]) -> tuple[str, str, None]:
    """(IAM action, secret ARN, None) that a Secrets Manager API call needs."""
    if operation != "GetSecretValue":
        raise AssertionError(f"teach tests/infra/iam.py the Secrets Manager call {operation}")
    return "secretsmanager:GetSecretValue", params["SecretId"], None
