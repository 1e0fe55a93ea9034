"""The VPC endpoints instances without internet egress need to reach Session Manager."""

from __future__ import annotations

from typing import TypeAlias

from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from constructs import Construct

from .._private.warnings import warn

WARN_NO_ENDPOINTS = "immutable-constructs:isolatedVpcWithoutSessionEndpoints"
#: the id before 0.2.0; acknowledging it still works
WARN_NO_ENDPOINTS_FORMERLY = "immutable-constructs:session-manager-isolated-vpc-without-endpoints"

Endpoint: TypeAlias = ec2.InterfaceVpcEndpoint | ec2.GatewayVpcEndpoint


def session_endpoints(
    scope: Construct,
    vpc: ec2.IVpc,
    *,
    endpoints: bool | None,
    subnets: ec2.SubnetSelection | None,
    legacy: bool,
    cloudwatch: bool,
    s3: bool,
) -> list[Endpoint]:
    """The endpoints ``endpoints`` asks for; ``None`` means: only when ``vpc`` has isolated subnets and no
    private subnets with egress. Warns when an isolated-only VPC gets none."""
    isolated_only = not vpc.private_subnets and bool(vpc.isolated_subnets)
    if endpoints is None:
        endpoints = isolated_only
    if endpoints:
        return _create(scope, vpc, subnets, legacy=legacy, cloudwatch=cloudwatch, s3=s3)
    if isolated_only:
        warn(
            scope,
            WARN_NO_ENDPOINTS,
            "The VPC has only isolated subnets and endpoints=False: instances there reach Session Manager "
            "only if the VPC already has the ssm, ssmmessages, kms, logs and S3 endpoints.",
            formerly=WARN_NO_ENDPOINTS_FORMERLY,
        )
    return []


def _create(
    scope: Construct, vpc: ec2.IVpc, subnets: ec2.SubnetSelection | None, *, legacy: bool, cloudwatch: bool, s3: bool
) -> list[Endpoint]:
    services: list[tuple[str, ec2.InterfaceVpcEndpointAwsService]] = [
        ("SsmEndpoint", ec2.InterfaceVpcEndpointAwsService.SSM),
        ("SsmMessagesEndpoint", ec2.InterfaceVpcEndpointAwsService.SSM_MESSAGES),
        ("KmsEndpoint", ec2.InterfaceVpcEndpointAwsService.KMS),
    ]
    if legacy:
        services.append(("Ec2MessagesEndpoint", ec2.InterfaceVpcEndpointAwsService.EC2_MESSAGES))
    if cloudwatch:
        services.append(("LogsEndpoint", ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS))
    # One security group for all interface endpoints. open=True (CDK's default) lets HTTPS 443 in from
    # the VPC CIDR and nothing else; endpoints only answer, so the group needs no egress.
    security_group = ec2.SecurityGroup(
        scope,
        "EndpointSecurityGroup",
        vpc=vpc,
        description="Session Manager VPC endpoints: HTTPS from the VPC only",
        allow_all_outbound=False,
    )
    Validations.of(security_group).acknowledge(
        Acknowledgment(
            id="AwsSolutions::AwsSolutions-EC23",
            reason="The only ingress rule is TCP 443 from the VPC's own CIDR block, which is a CloudFormation "
            "reference the rule cannot evaluate; there is no 0.0.0.0/0 or ::/0 ingress.",
        )
    )
    created: list[Endpoint] = [
        ec2.InterfaceVpcEndpoint(
            scope,
            endpoint_id,
            vpc=vpc,
            service=service,
            subnets=subnets,
            private_dns_enabled=True,
            open=True,
            security_groups=[security_group],
        )
        for endpoint_id, service in services
    ]
    if s3:
        created.append(
            ec2.GatewayVpcEndpoint(
                scope,
                "S3Endpoint",
                vpc=vpc,
                service=ec2.GatewayVpcEndpointAwsService.S3,
                subnets=[subnets] if subnets is not None else None,
            )
        )
    _limit_to_this_account(scope, created)
    return created


#: AWS-owned buckets hosts read through the S3 gateway endpoint, by region: Systems Manager User Guide, "SSM
#: Agent communications with AWS managed S3 buckets" (agent updates, documents, Distributor packages, patch
#: baselines); Amazon Linux 2023 User Guide, "Package repositories" (al2023-repos-<region>-*) and the Amazon
#: Linux 2 FAQ (amazonlinux-2-repos-<region>); CloudWatch agent and CodeDeploy agent downloads.
AWS_BUCKETS = (
    "aws-ssm-{region}",
    "aws-windows-downloads-{region}",
    "amazon-ssm-{region}",
    "amazon-ssm-packages-{region}",
    "{region}-birdwatcher-prod",
    "aws-ssm-distributor-file-{region}",
    "aws-ssm-document-attachments-{region}",
    "patch-baseline-snapshot-{region}",
    "al2023-repos-{region}-*",
    "amazonlinux-2-repos-{region}",
    "amazoncloudwatch-agent-{region}",
    "aws-codedeploy-{region}",
)
#: Interface endpoints limited to this account's resources (``aws:ResourceAccount``).
_LIMITED = ("KmsEndpoint", "LogsEndpoint")
#: Interface endpoints limited to this account's principals (``aws:PrincipalAccount``): the Systems Manager ones.
_OWN_PRINCIPALS = ("SsmEndpoint", "SsmMessagesEndpoint", "Ec2MessagesEndpoint")


def _limit_to_this_account(scope: Construct, endpoints: list[Endpoint]) -> None:
    """Issue 28: the endpoints are a data perimeter. Through them a host reaches this account's keys, log
    groups and buckets (``aws:ResourceAccount``; IAM User Guide, "AWS global condition context keys"; VPC
    User Guide, "Control access to VPC endpoints using endpoint policies"), and through the S3 gateway also
    the AWS-owned buckets above, read-only. Nothing of another account."""
    stack = Stack.of(scope)
    this_account = {"StringEquals": {"aws:ResourceAccount": stack.account}}
    for endpoint in endpoints:
        name = endpoint.node.id
        if name in _OWN_PRINCIPALS:
            # Issue 28, item 7. The agent's calls through these endpoints (Systems Manager User Guide, "Reference:
            # ec2messages, ssmmessages, and other API operations": ssm:UpdateInstanceInformation, ListAssociations,
            # ssmmessages:Create/OpenControlChannel, Create/OpenDataChannel, ec2messages:GetMessages...) are
            # signed by the instance role, a principal of this account. Systems Manager has no cross-account
            # writes, so the way out through these endpoints is a host using *another* account's credentials (a
            # parameter, a document, a session or a hybrid activation of the attacker's account); aws:PrincipalAccount
            # closes it (IAM User Guide, "AWS global condition context keys": present in every signed request;
            # VPC User Guide, "Control access to VPC endpoints using endpoint policies"). A resource perimeter is not
            # used here: many agent actions name no resource (ssm:ListAssociations, every ssmmessages action), and
            # AWS's data-perimeter example for the ssm endpoint (aws-samples/data-perimeter-policy-examples,
            # ssm_endpoint_policy.json) needs exceptions for AWS-owned documents and public parameters.
            # Whether ssmmessages/ec2messages *enforce* an endpoint policy is documented nowhere we could read
            # (docs/security.md, "Endpoint policies"): the ssm endpoint does (Systems Manager User Guide, "Create an
            # interface VPC endpoint policy"); for a service that does not, the VPC User Guide says the endpoint
            # allows full access, i.e. the statement is inert there, and nothing documents that EC2 refuses it.
            endpoint.add_to_policy(
                iam.PolicyStatement(
                    sid="ThisAccountsPrincipals",
                    principals=[iam.AnyPrincipal()],
                    actions=["*"],
                    resources=["*"],
                    conditions={"StringEquals": {"aws:PrincipalAccount": stack.account}},
                )
            )
        if isinstance(endpoint, ec2.GatewayVpcEndpoint) or name in _LIMITED:
            endpoint.add_to_policy(
                iam.PolicyStatement(
                    sid="ThisAccountsResources",
                    principals=[iam.AnyPrincipal()],
                    actions=["*"],
                    resources=["*"],
                    conditions=this_account,
                )
            )
        if isinstance(endpoint, ec2.GatewayVpcEndpoint):
            buckets = [f"arn:{stack.partition}:s3:::{b.format(region=stack.region)}" for b in AWS_BUCKETS]
            endpoint.add_to_policy(
                iam.PolicyStatement(
                    sid="AwsOwnedBucketsHostsRead",
                    principals=[iam.AnyPrincipal()],
                    actions=["s3:GetObject"],
                    resources=[f"{b}/*" for b in buckets],
                )
            )
