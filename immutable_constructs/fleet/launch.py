"""The launch kit both fleets build their instances from, each part in one place.

:func:`build_launch` makes the fleet's log group, instance role and scoped agent policy,
CloudWatch agent configuration (``_agent.py``), security group, user data and launch template
(IMDSv2, no key pair, no public IP, encrypted gp3 root volume); :func:`check_image` and
:func:`select_private_subnets` check what the fleet launches and where. :class:`ImmutableFleet`
and :class:`BlueGreenFleet` add what differs (an Auto Scaling group and its update policy;
CodeDeploy and its custom resource).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Annotations, CfnParameter, Duration, Names, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from .._private import tags
from .._private.arns import instance_arn
from .._private.kms_grants import allow_autoscaling_service_linked_role
from .._private.limits import iam_description
from .._private.nag import acknowledge_wildcards
from .._private.subnets import select as select_subnets
from .._private.validation import Problems, is_unresolved
from .._private.warnings import warn
from ._agent import add_agent, default_namespace

#: The tag every instance of a fleet carries; SessionManagerAccess scopes operator access with it.
FLEET_TAG_KEY = tags.FLEET

# The defaults both fleets share; each prop's :param says what its default is.
DEFAULT_MIN_CAPACITY = 2
DEFAULT_MAX_INSTANCE_LIFETIME = Duration.days(14)
DEFAULT_GRACE_PERIOD = Duration.minutes(5)
DEFAULT_IMDS_HOP_LIMIT = 1
DEFAULT_ROOT_VOLUME_GIB = 20
DEFAULT_ROOT_DEVICE = "/dev/xvda"
DEFAULT_LOG_RETENTION = logs.RetentionDays.ONE_MONTH

WARN_IMMUTABLE_ROLE = "immutable-constructs:immutableInstanceRole"
# Resolved by EC2 at each launch; with a version number (``:17``, a label cannot start with a digit) every
# launch gets the same AMI: PinnedSsmImage renders a parameter shared from another account that way.
_RESOLVE_AT_LAUNCH = re.compile(r"^resolve:ssm:(?!.*:[0-9]+$)")
_UNVERSIONED_DYNAMIC_REF = re.compile(r"\{\{resolve:ssm:[^:}]+\}\}")


@dataclass(frozen=True)
class Launch:
    """What :func:`build_launch` made (or was given), for the fleet to expose as attributes."""

    log_group: logs.LogGroup
    role: iam.IRole
    agent_policy: iam.Policy
    security_group: ec2.ISecurityGroup
    user_data: ec2.UserData
    launch_template: ec2.LaunchTemplate
    agent_config: ssm.StringParameter
    metrics_namespace: str


def fleet_tag(scope: Construct) -> tuple[str, str]:
    """(key, value) of the tag every instance of the fleet ``scope`` carries."""
    return (FLEET_TAG_KEY, Names.unique_id(scope)[-255:])


def build_launch(
    scope: Construct,
    *,
    what: str,
    vpc: ec2.IVpc,
    machine_image: ec2.IMachineImage,
    image_config: ec2.MachineImageConfig,
    instance_type: ec2.InstanceType,
    role: iam.IRole | None,
    security_group: ec2.ISecurityGroup | None,
    security_group_description: str,
    allow_all_outbound: bool,
    user_data: ec2.UserData | None,
    log_retention: logs.RetentionDays | None,
    log_key: kms.IKey | None,
    imds_hop_limit: int | None,
    root_volume_size: int | None,
    root_device_name: str | None,
    volume_key: kms.IKey | None,
    log_paths: Sequence[str] | None = None,
    metrics_namespace: str | None = None,
    extra_system_logs: Sequence[str] = (),
    extra_statements: Sequence[iam.PolicyStatement] = (),
) -> Launch:
    """The fleet's log group, role, agent policy and configuration, security group, user data and launch template.

    ``what`` names the fleet in the role's description (``immutable fleet``); ``extra_statements``
    are added to the agent policy (the CodeDeploy agent's revision download); ``extra_system_logs``
    are shipped with the system logs (the CodeDeploy agent's).
    """
    log_group = logs.LogGroup(
        scope, "LogGroup", retention=log_retention or DEFAULT_LOG_RETENTION, encryption_key=log_key
    )
    namespace = metrics_namespace or default_namespace(scope)
    user_data = user_data or image_config.user_data or ec2.UserData.for_linux()
    # A TrialImage (images/trial.py): the stock AMI has no agent, so install it before it is started.
    user_data.add_commands(*getattr(machine_image, "agent_install_commands", lambda: [])())
    agent_config = add_agent(
        scope,
        user_data,
        log_group=log_group,
        namespace=namespace,
        log_paths=list(log_paths or ()),
        extra_system_logs=extra_system_logs,
    )
    instance_role, agent_policy = _instance_role(
        scope, what, role, log_group, namespace, agent_config, extra_statements
    )
    security_group = security_group or ec2.SecurityGroup(
        scope,
        "SecurityGroup",
        vpc=vpc,
        description=security_group_description,
        allow_all_outbound=allow_all_outbound,
    )
    if volume_key is not None:
        grant_volume_key(scope, volume_key)
    launch_template = ec2.LaunchTemplate(
        scope,
        "LaunchTemplate",
        machine_image=machine_image,
        instance_type=instance_type,
        role=instance_role,
        security_group=security_group,
        user_data=user_data,
        require_imdsv2=True,
        http_tokens=ec2.LaunchTemplateHttpTokens.REQUIRED,
        http_put_response_hop_limit=DEFAULT_IMDS_HOP_LIMIT if imds_hop_limit is None else imds_hop_limit,
        http_endpoint=True,
        associate_public_ip_address=False,
        detailed_monitoring=True,
        block_devices=[
            ec2.BlockDevice(
                device_name=root_device_name or DEFAULT_ROOT_DEVICE,
                volume=ec2.BlockDeviceVolume.ebs(
                    DEFAULT_ROOT_VOLUME_GIB if root_volume_size is None else root_volume_size,
                    encrypted=True,
                    kms_key=volume_key,
                    volume_type=ec2.EbsDeviceVolumeType.GP3,
                    delete_on_termination=True,
                ),
            )
        ],
    )
    return Launch(
        log_group, instance_role, agent_policy, security_group, user_data, launch_template, agent_config, namespace
    )


def _instance_role(
    scope: Construct,
    what: str,
    role: iam.IRole | None,
    log_group: logs.LogGroup,
    namespace: str,
    agent_config: ssm.StringParameter,
    extra_statements: Sequence[iam.PolicyStatement],
) -> tuple[iam.IRole, iam.Policy]:
    """The instance role (the given one or the fleet's own) and the scoped agent policy attached to it."""
    stack = Stack.of(scope)
    instance_role: iam.IRole = role or iam.Role(
        scope,
        "InstanceRole",
        assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
        description=iam_description(f"Instance role of the {what} {scope.node.path}"),
    )
    agent_policy = iam.Policy(
        scope,
        "AgentPolicy",
        statements=[*agent_statements(stack, log_group, namespace, agent_config), *extra_statements],
    )
    agent_policy.attach_to_role(instance_role)
    if role is not None and is_immutable_role(role):
        warn(
            scope,
            WARN_IMMUTABLE_ROLE,
            f"role {role.node.path} was imported with mutable=False: the fleet's own policies (AgentPolicy, "
            "and SessionManagerAccess's InstanceLoggingPolicy when added) still name it, but every grant made "
            "through the fleet (fleet.grant_principal: bucket.grant_read(fleet), the cloudformation:SignalResource "
            "on this stack that CDK grants for cfn-signal...) is dropped. Add those statements to the role yourself, "
            "or import it with mutable=True.",
        )
    acknowledge_wildcards(
        agent_policy,
        {
            "*": "ssmmessages channel actions support no resource-level "
            "permissions; cloudwatch:PutMetricData is limited to the fleet's own namespace by condition.",
            instance_arn(stack): "ssm:UpdateInstanceInformation is scoped to this account's instances: "
            "the instance ids of an Auto Scaling group are not known in advance.",
            f"{log_group.log_group_arn}:*": "the CloudWatch agent writes to log streams it creates in the "
            "fleet's own log group, whose names are not known in advance.",
        },
    )
    return instance_role, agent_policy


def is_immutable_role(role: iam.IRole) -> bool:
    """``Role.from_role_arn(..., mutable=False)``: CDK wraps the imported role (then named ``MutableRole<id>``)
    in one that drops every policy and grant added to it (aws-cdk-lib ``aws-iam/lib/role.ts``, ``fromRoleArn``)."""
    node = getattr(role, "node", None)
    if node is None or node.scope is None:
        return False
    return node.scope.node.try_find_child(f"MutableRole{node.id}") is not None


def agent_statements(
    stack: Stack, log_group: logs.ILogGroup, namespace: str, agent_config: ssm.IStringParameter
) -> list[iam.PolicyStatement]:
    """The scoped Session Manager and CloudWatch agent permissions of a fleet's instance role.

    The agent reads its configuration from ``agent_config`` (``fetch-config -c ssm:<name>``), writes to
    the fleet's log group and puts metrics into the fleet's ``namespace`` only (CloudWatch User Guide,
    "Create IAM roles and users for use with the CloudWatch agent"; the ``cloudwatch:namespace``
    condition key: "Using condition keys to limit access to CloudWatch namespaces").
    """
    instance_arn_ = instance_arn(stack)
    return [
        iam.PolicyStatement(
            sid="SessionManagerAgentRegistration",
            actions=["ssm:UpdateInstanceInformation"],
            resources=[instance_arn_],
        ),
        iam.PolicyStatement(
            sid="SessionManagerAgentChannels",
            actions=[
                "ssmmessages:CreateControlChannel",
                "ssmmessages:CreateDataChannel",
                "ssmmessages:OpenControlChannel",
                "ssmmessages:OpenDataChannel",
            ],
            resources=["*"],
        ),
        iam.PolicyStatement(
            sid="CloudWatchAgentLogs",
            actions=["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            resources=[log_group.log_group_arn, f"{log_group.log_group_arn}:*"],
        ),
        iam.PolicyStatement(
            sid="CloudWatchAgentMetrics",
            actions=["cloudwatch:PutMetricData"],
            resources=["*"],
            conditions={"StringEquals": {"cloudwatch:namespace": namespace}},
        ),
        iam.PolicyStatement(
            sid="CloudWatchAgentConfiguration",
            actions=["ssm:GetParameter"],
            resources=[agent_config.parameter_arn],
        ),
        # No ec2:DescribeTags/DescribeVolumes: the configuration appends only the metadata dimension
        # InstanceId (fleet/_agent.py), so the agent never calls the EC2 API.
    ]


def select_private_subnets(
    problems: Problems, vpc: ec2.IVpc, selection: ec2.SubnetSelection | None
) -> ec2.SubnetSelection | None:
    """The fleet's subnets: the selection (public subnets refused), else private with egress, else isolated."""
    if selection is not None:
        public_ids = {s.subnet_id for s in vpc.public_subnets}
        chosen = select_subnets(vpc, selection)
        # A subnet's id is the same string (token or literal) wherever it is read.
        if public_ids.intersection(chosen.subnet_ids):
            problems.add(
                "vpc_subnets",
                "public subnets",
                "would give instances a route from the internet",
                "launch into private subnets (the default) and put a load balancer in front",
            )
        return selection
    if vpc.private_subnets:
        return ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
    if vpc.isolated_subnets:
        return ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
    problems.add(
        "vpc",
        vpc.node.path,
        "has no private or isolated subnets",
        "add private subnets to the VPC or pass vpc_subnets selecting them",
    )
    return None


def grant_volume_key(scope: Construct, key: kms.IKey) -> None:
    """Let EC2 Auto Scaling's service-linked role launch instances whose volumes ``key`` encrypts.

    EC2 Auto Scaling User Guide, "Required AWS KMS key policy for use with encrypted volumes": Auto
    Scaling launches with its service-linked role, which must be able to use the key. An imported
    key's policy cannot be edited here: warn with what its owner must add.
    """
    if not allow_autoscaling_service_linked_role(key):
        warn(
            scope,
            "immutable-constructs:volumeKeyPolicy",
            f"volume_key {key.key_arn} is imported, so its key policy cannot be edited here. EC2 Auto Scaling "
            "launches instances with its service-linked role AWSServiceRoleForAutoScaling, which must be allowed "
            "kms:Encrypt, kms:Decrypt, kms:ReEncrypt*, kms:GenerateDataKey*, kms:DescribeKey and kms:CreateGrant "
            "(with kms:GrantIsForAWSResource=true) on it, or every launch fails. Add those statements to the key's "
            "policy (EC2 Auto Scaling User Guide, 'Required AWS KMS key policy for use with encrypted volumes'; "
            "docs/deploying.md shows them).",
            fails="launch",
        )


def check_image(scope: Construct, problems: Problems, machine_image: ec2.IMachineImage) -> ec2.MachineImageConfig:
    """Refuse images resolved at launch and Windows; warn about unpinned SSM images."""
    config = machine_image.get_image(scope)
    image_id = config.image_id
    if config.os_type == ec2.OperatingSystemType.WINDOWS:
        problems.add(
            "machine_image",
            "a Windows image",
            "is not supported yet: the health check and signal are Linux shell",
            "use a Linux image",
        )
    if isinstance(image_id, str) and not is_unresolved(image_id) and _RESOLVE_AT_LAUNCH.match(image_id):
        problems.add(
            "machine_image",
            image_id,
            "is resolved from SSM when each instance launches, so instances of one fleet can run different images",
            "pin the version in the template: machine_image=PinnedSsmImage(name, version=N)",
        )
    elif isinstance(image_id, str) and _UNVERSIONED_DYNAMIC_REF.search(image_id):
        Annotations.of(scope).add_warning_v2(
            "immutable-constructs:unpinnedImage",
            f"machine_image {image_id} has no parameter version, so every deploy may pick a new AMI. "
            "Pin it: PinnedSsmImage(name, version=N).",
        )
    elif isinstance(image_id, str) and is_unresolved(image_id):
        resolved = Stack.of(scope).resolve(image_id)
        ref = resolved.get("Ref") if isinstance(resolved, dict) else None
        if isinstance(ref, str) and ref.startswith("SsmParameterValue"):
            stack = Stack.of(scope)
            name = next(
                (
                    child.default
                    for child in stack.node.children
                    if isinstance(child, CfnParameter) and stack.resolve(child.logical_id) == ref
                ),
                None,
            )
            shown = f"SSM parameter {name}" if isinstance(name, str) else "an SSM parameter"
            pin = f"PinnedSsmImage({name!r}, version=N)" if isinstance(name, str) else "PinnedSsmImage(name, version=N)"
            Annotations.of(scope).add_warning_v2(
                "immutable-constructs:unpinnedImage",
                f"machine_image reads the newest version of {shown} on every deploy "
                "(what MachineImage.latest_amazon_linux2023() and from_ssm_parameter() do), so any deploy "
                f"can roll the fleet to a different AMI. Pin a version in the template: {pin}.",
            )
            _warn_if_stock_image(scope, name if isinstance(name, str) else "")
    if isinstance(image_id, str) and not is_unresolved(image_id) and not _installs_agent(machine_image):
        _warn_if_stock_image(scope, image_id)
    return config


def _installs_agent(machine_image: ec2.IMachineImage) -> bool:
    """A TrialImage: the fleet installs the agent at boot, so the stock image's lack of it is no failure."""
    return getattr(machine_image, "installs_cloudwatch_agent_at_boot", False) is True


def _warn_if_stock_image(scope: Construct, source: str) -> None:
    """AWS's public AMIs (``/aws/service/...`` parameters) have no CloudWatch agent, and the user data
    fails the boot without it (fleet/_agent.py): say so at synth instead of at the first launch."""
    if "/aws/service/" not in source:
        return
    warn(
        scope,
        "immutable-constructs:stockImageWithoutAgent",
        f"machine_image comes from AWS's public parameter ({source}); AWS's Amazon Linux AMIs do not include "
        "the CloudWatch agent, and the fleet's user data fails the boot without it, so every launch fails. "
        "Build the image with GoldenImagePipeline (it installs amazon-cloudwatch-agent-linux by default) or "
        "bake the agent into your image; to try a fleet first, TrialImage.amazon_linux_2023(version=N) installs it "
        "at boot.",
        fails="launch",
    )
