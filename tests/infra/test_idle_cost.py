"""template.yaml costs next to nothing while no photo flows (issue 13): the database pauses at 0 ACU,
no RDS Proxy, no NAT gateway or interface endpoint by default, and the functions still reach the
internet (IPv6 through an egress-only gateway) and the database (the cluster, in the VPC)."""

from __future__ import annotations

from typing import Any

import pytest


def _defaults(template: dict[str, Any]) -> dict[str, Any]:
    return {name: p.get("Default") for name, p in template["Parameters"].items()}


def test_the_database_pauses_at_zero_acu_by_default_and_can_be_kept_warm(template: dict[str, Any]) -> None:
    """Given the default parameters, Aurora's minimum is 0 ACU with auto-pause after 5 minutes; the
    parameters let an organizer keep it warm during an event (a minimum above 0, or a day's wait)."""
    scaling = template["Resources"]["DbCluster"]["Properties"]["ServerlessV2ScalingConfiguration"]
    assert scaling["MinCapacity"] == {"Ref": "DbMinCapacity"}
    assert scaling["SecondsUntilAutoPause"] == {"Ref": "DbSecondsUntilAutoPause"}
    params = template["Parameters"]
    assert float(params["DbMinCapacity"]["Default"]) == 0
    assert float(params["DbMinCapacity"]["MinValue"]) == 0
    pause = params["DbSecondsUntilAutoPause"]
    assert (pause["Default"], pause["MinValue"], pause["MaxValue"]) == (300, 300, 86400)
    # Auto-pause needs Aurora PostgreSQL 13.15, 14.12, 15.7, 16.3 or later.
    major, minor = (
        int(x) for x in template["Resources"]["DbCluster"]["Properties"]["EngineVersion"].split(".")
    )
    assert (major, minor) >= {13: (13, 15), 14: (14, 12), 15: (15, 7), 16: (16, 3)}.get(major, (17, 0))


def test_no_hourly_network_charge_by_default(template: dict[str, Any]) -> None:
    """Given InternetEgress's default (ipv6), the NAT gateway, its address and its route are not
    created, no interface endpoint is, and private subnets route ::/0 to an egress-only gateway."""
    resources = template["Resources"]
    assert _defaults(template)["InternetEgress"] == "ipv6"
    assert template["Conditions"]["UseNat"] == {"Fn::Equals": [{"Ref": "InternetEgress"}, "nat"]}
    for name in ("NatGateway", "NatAddress", "PrivateDefaultRoute"):
        assert resources[name]["Condition"] == "UseNat", name
    hourly = [
        n
        for n, r in resources.items()
        if r["Type"] in ("AWS::EC2::NatGateway", "AWS::EC2::EIP") and r.get("Condition") != "UseNat"
    ]
    assert hourly == []
    endpoints = [r for r in resources.values() if r["Type"] == "AWS::EC2::VPCEndpoint"]
    assert {r["Properties"]["VpcEndpointType"] for r in endpoints} == {"Gateway"}
    route = resources["PrivateIpv6Route"]["Properties"]
    assert route["DestinationIpv6CidrBlock"] == "::/0"
    assert route["EgressOnlyInternetGatewayId"] == {"Ref": "EgressOnlyGateway"}
    assert route["RouteTableId"] == {"Ref": "PrivateRouteTable"}
    assert "Condition" not in resources["PrivateIpv6Route"]


@pytest.mark.parametrize("subnet", ["PrivateSubnetA", "PrivateSubnetB"])
def test_the_functions_subnets_are_dual_stack_and_may_send_ipv6(
    template: dict[str, Any], subnet: str
) -> None:
    resources = template["Resources"]
    assert "Ipv6CidrBlock" in resources[subnet]["Properties"]
    assert resources[subnet]["DependsOn"] == "VpcIpv6"
    assert resources["VpcIpv6"]["Properties"]["AmazonProvidedIpv6CidrBlock"] is True
    vpc = template["Globals"]["Function"]["VpcConfig"]
    assert vpc["Ipv6AllowedForDualStack"] is True
    assert {"Ref": subnet} in vpc["SubnetIds"]
    egress = resources["LambdaSecurityGroup"]["Properties"]["SecurityGroupEgress"]
    assert any(rule.get("CidrIpv6") == "::/0" for rule in egress)


def test_apis_without_ipv6_on_their_usual_name_are_called_on_their_dual_stack_one(
    template: dict[str, Any],
) -> None:
    """Step Functions (StartExecution, StopExecution) and Lambda (the archive build) answer IPv6
    only on <service>.<region>.api.aws: boto3 reads AWS_ENDPOINT_URL_<SERVICE> for them."""
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    assert env["AWS_ENDPOINT_URL_SFN"] == {"Fn::Sub": "https://states.${AWS::Region}.api.aws"}
    assert env["AWS_ENDPOINT_URL_LAMBDA"] == {"Fn::Sub": "https://lambda.${AWS::Region}.api.aws"}


def test_boto3_takes_the_dual_stack_endpoint_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The variable names above are the ones botocore reads (service-specific endpoint variables)."""
    import boto3

    monkeypatch.setenv("AWS_ENDPOINT_URL_SFN", "https://states.eu-west-1.api.aws")
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", "https://lambda.eu-west-1.api.aws")
    session = boto3.session.Session(region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y")
    assert session.client("stepfunctions").meta.endpoint_url == "https://states.eu-west-1.api.aws"
    assert session.client("lambda").meta.endpoint_url == "https://lambda.eu-west-1.api.aws"
    assert (
        session.client("secretsmanager").meta.endpoint_url == "https://secretsmanager.eu-west-1.amazonaws.com"
    )
