"""ImageKeyGrant: lets the fleets of this account launch AMIs shared with it whose snapshots another account's
key encrypts (``GoldenImagePipeline(launch_permission_*=...)`` in the owner's account).

Two halves (EC2 Auto Scaling User Guide, "Required AWS KMS key policy for use with encrypted volumes",
Example 2): the owner's key policy allows this account (the pipeline does: ``SharedAmis*``), and this
account creates a KMS grant for its own ``AWSServiceRoleForAutoScaling``, because a service-linked role's
policy cannot be edited and a cross-account principal needs permission from its own account too. No
CloudFormation resource creates a grant, so a small custom resource does (``key_grant_handler/index.py``):
it creates the service-linked role if the account never had one, creates the grant with the example's
operations, and retires it when the resource is deleted (the function's role is the grant's retiring
principal). The Amazon EBS User Guide ("Share the KMS key used to encrypt a shared Amazon EBS snapshot")
lists what users of such a key need; the grant gives the Auto Scaling role that.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Acknowledgment, CfnResource, CustomResource, Duration, Names, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import custom_resources as cr
from constructs import Construct

from .._private.checkov import skip_checkov
from .._private.handler_function import handler_code, handler_function, handler_log_group, handler_role
from .._private.kms_grants import service_linked_role_arn
from .._private.limits import iam_description, lambda_description
from .._private.nag import acknowledge_wildcards
from .._private.origin import record_origin
from .._private.props import Rule, checked
from ..fleet._provider_framework import NO_DEAD_LETTER_QUEUE, depend_only_on_policies

__all__ = ["ImageKeyGrant"]

HANDLER = Path(__file__).resolve().parent / "key_grant_handler"
AUTOSCALING = "autoscaling.amazonaws.com"
_KEY_ARN = r"arn:aws[a-z-]*:kms:[a-z]{2}(-[a-z]+)+-[0-9]+:[0-9]{12}:key/[A-Za-z0-9-]{1,128}"
_ROLE_NAME = r"AWSServiceRoleForAutoScaling(_[A-Za-z0-9+=,.@-]{1,54})?"


class ImageKeyGrant(Construct):
    """A KMS grant that lets this account's EC2 Auto Scaling role use a shared AMI's key of another account.

    :param key_arn: the ARN of the key that encrypts the shared AMI's snapshots in this stack's region (the
        owner's ``pipeline.key``, or its ``distribution_kms_keys`` entry for this region). Required.
    :param role_name: the Auto Scaling service-linked role the groups launch with. Default:
        ``"AWSServiceRoleForAutoScaling"`` (``AWSServiceRoleForAutoScaling_<suffix>`` for a custom one, which
        must exist already: only the default one is created when missing).

    Deploy it in each account and region whose fleets launch the AMI, before the fleets (make them depend on
    it: ``fleet.node.add_dependency(grant)``).
    """

    @checked(
        key_arn=Rule(pattern=_KEY_ARN, fix="the key's ARN, e.g. 'arn:aws:kms:eu-west-1:111111111111:key/...'"),
        role_name=Rule(pattern=_ROLE_NAME, fix="'AWSServiceRoleForAutoScaling' or 'AWSServiceRoleForAutoScaling_x'"),
    )
    def __init__(
        self, scope: Construct, id: str, *, key_arn: str, role_name: str = "AWSServiceRoleForAutoScaling"
    ) -> None:
        super().__init__(scope, id)
        record_origin(self)
        stack = Stack.of(self)
        grantee = service_linked_role_arn(stack, AUTOSCALING, role_name)
        role = handler_role(self, "HandlerRole", iam_description(f"Grants Auto Scaling the key of {self.node.path}"))
        log_group = handler_log_group(self, "HandlerLogs", logs.RetentionDays.ONE_MONTH)
        policy = iam.Policy(
            self, "HandlerPolicy", roles=[role], statements=_handler_statements(stack, key_arn, grantee, log_group)
        )
        acknowledge_wildcards(
            policy, {f"{log_group.log_group_arn}:*": "Log streams of the function's own log group, named by Lambda."}
        )
        provider = _provider(self, role, log_group, policy, role_name)
        #: The grant (its physical id is the grant id).
        self.resource = CustomResource(
            self,
            "Grant",
            service_token=provider.service_token,
            resource_type="Custom::ImageKeyGrant",
            properties={
                "KeyArn": key_arn,
                "GranteePrincipal": grantee,
                "RetiringPrincipal": role.role_arn,
                "GrantName": Names.unique_resource_name(self, max_length=200),
            },
        )


def _acknowledge_framework(provider: cr.Provider, on_event: lambda_.Function) -> None:
    """What the CDK Provider framework (no waiter here: one call, no polling) writes itself."""
    acknowledge_wildcards(
        provider,
        {
            f"{on_event.function_arn}:*": "the CDK Provider framework invokes this function by ARN with any version "
            "or alias suffix (lambda:InvokeFunction on <arn>:*); the framework writes this policy itself."
        },
    )
    Validations.of(provider).acknowledge(
        Acknowledgment(
            id="AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AWSLambdaBasicExecutionRole]",
            reason="The CDK Provider framework's own function uses AWSLambdaBasicExecutionRole to write its logs; "
            "the framework creates this role itself.",
        )
    )
    for fn in provider.node.find_all():
        if isinstance(fn, lambda_.Function) and isinstance(fn.node.default_child, CfnResource):
            skip_checkov(fn.node.default_child, "CKV_AWS_116", NO_DEAD_LETTER_QUEUE)


def _handler_statements(
    stack: Stack, key_arn: str, grantee: str, log_group: logs.LogGroup
) -> list[iam.PolicyStatement]:
    """What the handler calls: CreateGrant for the Auto Scaling role only, RetireGrant, the role itself, its logs."""
    return [
        # Only grants for the Auto Scaling role; retiring is what the grant itself allows (its retiring
        # principal is this role: AWS KMS Developer Guide, "Retiring and revoking grants").
        iam.PolicyStatement(
            sid="GrantAutoScaling",
            actions=["kms:CreateGrant"],
            resources=[key_arn],
            conditions={"StringEquals": {"kms:GranteePrincipal": grantee}},
        ),
        iam.PolicyStatement(sid="RetireGrant", actions=["kms:RetireGrant"], resources=[key_arn]),
        # IAM User Guide, "Service-linked role permissions": iam:CreateServiceLinkedRole for that service.
        iam.PolicyStatement(
            sid="CreateAutoScalingRole",
            actions=["iam:CreateServiceLinkedRole"],
            resources=[service_linked_role_arn(stack, "autoscaling.amazonaws.com", "AWSServiceRoleForAutoScaling")],
            conditions={"StringLike": {"iam:AWSServiceName": "autoscaling.amazonaws.com"}},
        ),
        iam.PolicyStatement(
            sid="Logs",
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[f"{log_group.log_group_arn}:*"],
        ),
    ]


def _provider(
    scope: Construct, role: iam.Role, log_group: logs.LogGroup, policy: iam.Policy, role_name: str
) -> cr.Provider:
    """The handler function and the Provider that calls it (one call per event, no waiter)."""
    on_event = handler_function(
        scope,
        "OnEvent",
        code=handler_code(HANDLER),
        entry="on_event",
        role=role,
        log_group=log_group,
        timeout=Duration.minutes(1),
        description=lambda_description(f"{scope.node.path}: KMS grant for {role_name}"),
        no_dead_letter_queue=NO_DEAD_LETTER_QUEUE,
    )
    on_event.node.add_dependency(policy)
    provider = cr.Provider(scope, "Provider", on_event_handler=on_event)
    _acknowledge_framework(provider, on_event)
    depend_only_on_policies(provider, [on_event], policy)
    return provider
