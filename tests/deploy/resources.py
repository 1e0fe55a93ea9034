"""What a deployed stack holds, read back from the emulator's service APIs (not from CloudFormation)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

Client = Callable[[str], Any]

# Types that are part of a parent resource (a policy on a role, a route in a table, a permission on
# a function...): they go with it, so the parent's check covers them. AWS::SSM::Document is here
# because ministack has no SSM document API (tests/deploy/emulator.py stubs its handler).
PARTS = frozenset(
    {
        "AWS::CDK::Metadata",
        "AWS::EC2::Route",
        "AWS::EC2::SubnetRouteTableAssociation",
        "AWS::EC2::VPCGatewayAttachment",
        "AWS::EC2::SecurityGroupIngress",
        "AWS::EC2::SecurityGroupEgress",
        "AWS::IAM::Policy",
        "AWS::Lambda::Permission",
        "AWS::Lambda::EventInvokeConfig",
        "AWS::S3::BucketPolicy",
        "AWS::SNS::TopicPolicy",
        "AWS::SNS::Subscription",
        "AWS::SSM::Document",
        "AWS::KMS::Alias",
        "AWS::ElasticLoadBalancingV2::Listener",
        "AWS::ElasticLoadBalancingV2::ListenerRule",
        # ministack has no CodeDeploy: the test reads the fake (tests/deploy/codedeploy_server.py).
        "AWS::CodeDeploy::Application",
    }
)


def _missing(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code", "")
    return bool(re.search(r"NotFound|NoSuch|DoesNotExist|Nonexistent|NotExist|Invalid.*Id", code))


def _ec2(client: Client, call: str, key: str, **kwargs: Any) -> bool:
    try:
        return bool(getattr(client("ec2"), call)(**kwargs)[key])
    except ClientError as error:
        if _missing(error):
            return False
        raise


def _ec2_like(client: Client, service: str, call: str, key: str, **kwargs: Any) -> bool:
    try:
        return bool(getattr(client(service), call)(**kwargs)[key])
    except ClientError as error:
        if _missing(error):
            return False
        raise


def _call(client: Client, service: str, call: str, **kwargs: Any) -> Any:
    try:
        return getattr(client(service), call)(**kwargs)
    except ClientError as error:
        if _missing(error):
            return None
        raise


def _key_usable(client: Client, key_id: str) -> bool:
    found = _call(client, "kms", "describe_key", KeyId=key_id)
    return found is not None and found["KeyMetadata"]["KeyState"] not in ("PendingDeletion", "PendingReplicaDeletion")


def _log_group(client: Client, name: str) -> bool:
    groups = client("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    return any(group["logGroupName"] == name for group in groups)


def _metric_filter(client: Client, name: str) -> bool:
    """A metric filter by name, in any log group."""
    pages = client("logs").get_paginator("describe_metric_filters").paginate()
    return any(f["filterName"] == name for page in pages for f in page["metricFilters"])


def _nat(client: Client, nat_id: str) -> bool:
    gateways = client("ec2").describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"]
    return any(gateway["State"] not in ("deleted", "deleting") for gateway in gateways)


CHECKS: dict[str, Callable[[Client, str], bool]] = {
    "AWS::EC2::VPC": lambda c, i: _ec2(c, "describe_vpcs", "Vpcs", VpcIds=[i]),
    "AWS::EC2::Subnet": lambda c, i: _ec2(c, "describe_subnets", "Subnets", SubnetIds=[i]),
    "AWS::EC2::RouteTable": lambda c, i: _ec2(c, "describe_route_tables", "RouteTables", RouteTableIds=[i]),
    "AWS::EC2::InternetGateway": lambda c, i: _ec2(
        c, "describe_internet_gateways", "InternetGateways", InternetGatewayIds=[i]
    ),
    "AWS::EC2::SecurityGroup": lambda c, i: _ec2(c, "describe_security_groups", "SecurityGroups", GroupIds=[i]),
    "AWS::EC2::VPCEndpoint": lambda c, i: _ec2(c, "describe_vpc_endpoints", "VpcEndpoints", VpcEndpointIds=[i]),
    "AWS::EC2::LaunchTemplate": lambda c, i: _ec2(
        c, "describe_launch_templates", "LaunchTemplates", LaunchTemplateIds=[i]
    ),
    "AWS::EC2::EIP": lambda c, i: _ec2(c, "describe_addresses", "Addresses", PublicIps=[i]),
    "AWS::EC2::NatGateway": _nat,
    "AWS::AutoScaling::AutoScalingGroup": lambda c, i: bool(
        c("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[i])["AutoScalingGroups"]
    ),
    "AWS::Lambda::Function": lambda c, i: _call(c, "lambda", "get_function", FunctionName=i) is not None,
    "AWS::Events::Rule": lambda c, i: _call(c, "events", "describe_rule", Name=i.split("|")[-1]) is not None,
    "AWS::CloudWatch::Alarm": lambda c, i: bool(c("cloudwatch").describe_alarms(AlarmNames=[i])["MetricAlarms"]),
    "AWS::SNS::Topic": lambda c, i: _call(c, "sns", "get_topic_attributes", TopicArn=i) is not None,
    "AWS::SSM::Parameter": lambda c, i: _call(c, "ssm", "get_parameter", Name=i) is not None,
    "AWS::IAM::Role": lambda c, i: _call(c, "iam", "get_role", RoleName=i) is not None,
    "AWS::IAM::ManagedPolicy": lambda c, i: _call(c, "iam", "get_policy", PolicyArn=i) is not None,
    "AWS::IAM::InstanceProfile": lambda c, i: (
        _call(c, "iam", "get_instance_profile", InstanceProfileName=i.rsplit("/", 1)[-1]) is not None
    ),
    "AWS::KMS::Key": _key_usable,
    "AWS::S3::Bucket": lambda c, i: _call(c, "s3", "head_bucket", Bucket=i) is not None,
    "AWS::Logs::LogGroup": _log_group,
    "AWS::Logs::MetricFilter": _metric_filter,
    "AWS::ElasticLoadBalancingV2::LoadBalancer": lambda c, i: _ec2_like(
        c, "elbv2", "describe_load_balancers", "LoadBalancers", LoadBalancerArns=[i]
    ),
    "AWS::ElasticLoadBalancingV2::TargetGroup": lambda c, i: _ec2_like(
        c, "elbv2", "describe_target_groups", "TargetGroups", TargetGroupArns=[i]
    ),
    "AWS::EC2::FlowLog": lambda c, i: _ec2(c, "describe_flow_logs", "FlowLogs", FlowLogIds=[i]),
    "AWS::CloudWatch::Dashboard": lambda c, i: _call(c, "cloudwatch", "get_dashboard", DashboardName=i) is not None,
    "AWS::StepFunctions::StateMachine": lambda c, i: (
        _call(c, "stepfunctions", "describe_state_machine", stateMachineArn=i) is not None
    ),
}


def physical_ids(client: Client, stack: str) -> dict[str, tuple[str, str]]:
    """logical id -> (type, physical id) of every resource CloudFormation holds for ``stack``."""
    found: dict[str, tuple[str, str]] = {}
    paginator = client("cloudformation").get_paginator("list_stack_resources")
    for page in paginator.paginate(StackName=stack):
        for summary in page["StackResourceSummaries"]:
            found[summary["LogicalResourceId"]] = (summary["ResourceType"], summary.get("PhysicalResourceId", ""))
    return found


def exists(client: Client, resource_type: str, physical_id: str) -> bool:
    if resource_type.startswith("Custom::") or resource_type == "AWS::CloudFormation::CustomResource":
        raise AssertionError(f"{resource_type}: check a custom resource through what its handler made")
    return CHECKS[resource_type](client, physical_id)


def unchecked_types(template: dict[str, Any]) -> set[str]:
    """Types in ``template`` with neither a check nor a parent: a new type must get a check here."""
    types = {resource["Type"] for resource in template["Resources"].values()}
    return {t for t in types if t not in CHECKS and t not in PARTS and not t.startswith("Custom::")}


def template_of(assembly: Path, stack: str) -> dict[str, Any]:
    import json

    return dict(json.loads((assembly / f"{stack}.template.json").read_text()))
