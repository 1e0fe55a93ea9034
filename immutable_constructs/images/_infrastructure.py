"""Where builds run: cattle build instances in a private subnet, no key pair, no ingress, IMDSv2.

The instances' role gets what the SSM agent needs to be driven by Image Builder (Run Command), to
read the components, to write build logs and to report the inventory Amazon Inspector scans from
(``_image_builder_roles.py`` has the documents), all scoped where IAM allows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Annotations, Aws, Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_imagebuilder as imagebuilder
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from constructs import Construct

from .._private import tags
from .._private.arns import instance_arn
from .._private.nag import acknowledge_wildcards
from .._private.secure_bucket import secure_bucket
from ._image_builder_roles import inventory_statements, inventory_wildcard_reasons

WARN_KEPT_ON_FAILURE = "immutable-constructs:buildInstanceKeptOnFailure"


@dataclass(frozen=True)
class Infrastructure:
    """What :func:`build_infrastructure` made."""

    log_bucket: s3.Bucket
    security_group: ec2.SecurityGroup
    instance_role: iam.Role
    instance_policy: iam.Policy
    instances_arn: str
    instance_profile: iam.InstanceProfile
    configuration: imagebuilder.CfnInfrastructureConfiguration


def build_infrastructure(
    scope: Construct,
    *,
    prefix: str,
    line: str,
    key: kms.IKey,
    vpc: ec2.IVpc,
    subnet_id: str,
    instance_types: Sequence[str],
    component_arns: Sequence[str],
    topic: sns.ITopic,
    terminate_on_failure: bool,
) -> Infrastructure:
    """The build-log bucket, the instances' security group, role and profile, and the configuration."""
    log_bucket = secure_bucket(
        scope,
        "BuildLogs",
        key=key,
        lifecycle_rules=[
            s3.LifecycleRule(expiration=Duration.days(365), noncurrent_version_expiration=Duration.days(30))
        ],
        no_access_logs_reason="Build logs are written only by this pipeline's build instances; logging access to a "
        "log bucket needs yet another bucket. Versioned, KMS-encrypted, SSL-only, retained.",
    )
    security_group = ec2.SecurityGroup(
        scope,
        "BuildSecurityGroup",
        vpc=vpc,
        description="Image Builder build and test instances: no ingress",
        allow_all_outbound=True,
    )
    role = iam.Role(
        scope,
        "InstanceRole",
        assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
        description="Image Builder build/test instances: Run Command channel, components, logs (scoped)",
    )
    instances = instance_arn(scope)
    policy = _instance_policy(scope, role, instances, log_bucket, key, line, component_arns)
    profile = iam.InstanceProfile(scope, "InstanceProfile", role=role)
    configuration = imagebuilder.CfnInfrastructureConfiguration(
        scope,
        "Infrastructure",
        name=f"{prefix}-infrastructure",
        instance_profile_name=profile.instance_profile_name,
        instance_types=list(instance_types),
        subnet_id=subnet_id,
        security_group_ids=[security_group.security_group_id],
        instance_metadata_options=imagebuilder.CfnInfrastructureConfiguration.InstanceMetadataOptionsProperty(
            http_tokens="required", http_put_response_hop_limit=1
        ),
        logging=imagebuilder.CfnInfrastructureConfiguration.LoggingProperty(
            s3_logs=imagebuilder.CfnInfrastructureConfiguration.S3LogsProperty(
                s3_bucket_name=log_bucket.bucket_name, s3_key_prefix=line
            )
        ),
        sns_topic_arn=topic.topic_arn,
        terminate_instance_on_failure=terminate_on_failure,
        resource_tags={tags.IMAGE_LINE: line},
        description=f"{line} build instances: private subnet, no key pair, no ingress, IMDSv2",
    )
    if not terminate_on_failure:
        Annotations.of(scope).add_warning_v2(
            WARN_KEPT_ON_FAILURE,
            "terminate_on_failure=False keeps failed build instances running (and billed) for debugging; "
            "connect with Session Manager, never change them, and terminate them when done.",
        )
    return Infrastructure(log_bucket, security_group, role, policy, instances, profile, configuration)


def _instance_policy(
    scope: Construct,
    role: iam.Role,
    instances: str,
    log_bucket: s3.Bucket,
    key: kms.IKey,
    line: str,
    component_arns: Sequence[str],
) -> iam.Policy:
    logs = log_bucket.arn_for_objects(f"{line}/*")
    managed_components = f"arn:{Aws.PARTITION}:imagebuilder:{Aws.REGION}:aws:component/*"
    policy = iam.Policy(
        scope,
        "InstancePolicy",
        roles=[role],
        statements=[
            # Registration can be scoped to instances, not to the caller: IAM needs an ARN in Resource, so the
            # policy variable ${ec2:SourceInstanceARN} cannot stand alone there (cfn-lint E3510), and no condition
            # key compares it with the resource. The channel actions have no resource-level permissions
            # (checkov CKV_AWS_111).
            iam.PolicyStatement(
                sid="AgentRegistration", actions=["ssm:UpdateInstanceInformation"], resources=[instances]
            ),
            iam.PolicyStatement(
                sid="RunCommandChannel",
                actions=[
                    "ssm:ListInstanceAssociations",
                    "ssm:ListAssociations",
                    "ssmmessages:CreateControlChannel",
                    "ssmmessages:CreateDataChannel",
                    "ssmmessages:OpenControlChannel",
                    "ssmmessages:OpenDataChannel",
                    "ec2messages:AcknowledgeMessage",
                    "ec2messages:DeleteMessage",
                    "ec2messages:FailMessage",
                    "ec2messages:GetEndpoint",
                    "ec2messages:GetMessages",
                    "ec2messages:SendReply",
                ],
                resources=["*"],
            ),
            iam.PolicyStatement(
                sid="Components",
                actions=["imagebuilder:GetComponent"],
                resources=[*component_arns, managed_components],
            ),
            iam.PolicyStatement(sid="BuildLogs", actions=["s3:PutObject"], resources=[logs]),
            iam.PolicyStatement(
                sid="BuildLogsEncryption", actions=["s3:GetEncryptionConfiguration"], resources=[log_bucket.bucket_arn]
            ),
            iam.PolicyStatement(sid="Key", actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=[key.key_arn]),
            # Inventory and associations, which Amazon Inspector's scan of the test instance relies on.
            *inventory_statements(instances),
        ],
    )
    acknowledge_wildcards(
        policy,
        {
            "*": "The SSM agent's Run Command channel (ssm/ssmmessages/ec2messages) and ssm:PutInventory have no "
            "resource-level permissions (Service Authorization Reference); Image Builder drives every build "
            "through the channel, and Amazon Inspector scans from the inventory.",
            managed_components: "AWS-managed components are owned by AWS and versioned by Image Builder; "
            "reading them (GetComponent) is all this grants.",
            logs: "Build logs are written under this line's prefix of the pipeline's own bucket; object names "
            "are chosen by Image Builder.",
            **inventory_wildcard_reasons(instances),
        },
    )
    return policy
