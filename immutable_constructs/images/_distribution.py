"""Where AMIs go: the distribution (AMI id -> catalog parameter, copies, launch permissions) and the
execution role Image Builder distributes with (``_image_builder_roles.py`` has the documents).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_imagebuilder as imagebuilder
from aws_cdk import aws_kms as kms
from constructs import Construct

from .._private import tags
from .._private.nag import acknowledge_wildcards
from ._execution_boundary import execution_boundary
from ._image_builder_roles import create_execution_role, execution_statements, grant_execution
from ._volume_key import alias_keys, distribution_key_statements, volume_key_statements


def build_distribution(
    scope: Construct,
    *,
    prefix: str,
    line: str,
    parameter_name: str,
    recipe_version: str,
    content_hash: str,
    source_revision: str | None,
    regions: Sequence[str],
    distribution_accounts: Sequence[str],
    distribution_keys: Mapping[str, str],
    launch_permission_accounts: Sequence[str],
    launch_permission_organizations: Sequence[str],
    launch_permission_organizational_units: Sequence[str],
) -> imagebuilder.CfnDistributionConfiguration:
    """Image Builder writes each new AMI's id to ``parameter_name`` in every region (and account) itself."""
    # The L1 types this property as plain JSON, so the keys are written as CloudFormation spells them.
    launch_permission: dict[str, list[str]] = {}
    if launch_permission_accounts:
        launch_permission["UserIds"] = list(launch_permission_accounts)
    if launch_permission_organizations:
        launch_permission["OrganizationArns"] = list(launch_permission_organizations)
    if launch_permission_organizational_units:
        launch_permission["OrganizationalUnitArns"] = list(launch_permission_organizational_units)
    ami_tags = {
        tags.CONTENT_HASH: content_hash,
        tags.SOURCE_REVISION: source_revision or "unknown",
        tags.BUILD_DATE: "{{imagebuilder:buildDate}}",
        tags.IMAGE_LINE: line,
    }
    ssm_configs = [
        imagebuilder.CfnDistributionConfiguration.SsmParameterConfigurationProperty(
            parameter_name=parameter_name, data_type="aws:ec2:image", ami_account_id=account
        )
        for account in (None, *distribution_accounts)
    ]
    distributions = [
        imagebuilder.CfnDistributionConfiguration.DistributionProperty(
            region=region,
            ami_distribution_configuration={
                "Name": f"{line}-{{{{imagebuilder:buildDate}}}}",
                "Description": f"{line} golden image, recipe {recipe_version}",
                "AmiTags": ami_tags,
                **({"TargetAccountIds": list(distribution_accounts)} if distribution_accounts else {}),
                # Image Builder User Guide, "Set up cross-account AMI distribution": the image is re-encrypted in
                # each target Region with the key designated for that Region (AmiDistributionConfiguration.KmsKeyId).
                **({"KmsKeyId": distribution_keys[region]} if region in distribution_keys else {}),
                **({"LaunchPermissionConfiguration": launch_permission} if launch_permission else {}),
            },
            ssm_parameter_configurations=ssm_configs,
        )
        for region in regions
    ]
    return imagebuilder.CfnDistributionConfiguration(
        scope,
        "Distribution",
        name=f"{prefix}-distribution",
        distributions=distributions,
        description=f"{line} AMIs and their catalog parameter {parameter_name}",
    )


def build_execution_role(
    scope: Construct,
    *,
    line: str,
    parameter_name: str,
    regions: Sequence[str],
    distribution_accounts: Sequence[str],
    distribution_keys: Mapping[str, str],
    parent_parameter: str | None,
    key: kms.IKey,
    own_topic: bool,
    execution_role: iam.IRole | None,
    instance_role: iam.IRole,
    topic_arn: str,
) -> tuple[iam.IRole, iam.Policy | None]:
    """The role Image Builder acts as, and the policy this construct made for it (``None`` for a role you pass)."""
    stack = Stack.of(scope)
    statements = execution_statements(
        region=stack.region,
        account=stack.account,
        catalog_parameter=parameter_name,
        regions=regions,
        accounts=distribution_accounts,
        parent_parameter=parent_parameter,
        # A role of another stack would reference this stack's key while this stack references the role.
        notification_key=(key if own_topic and (execution_role is None or Stack.of(execution_role) is stack) else None),
    )
    if execution_role is None or Stack.of(execution_role) is stack:
        # The execution role launches the build and test instances, whose volumes the key encrypts.
        statements.extend(volume_key_statements(stack, key))
    statements.extend(distribution_key_statements(distribution_keys))
    if execution_role is not None:
        grant_execution(execution_role, statements)
        return execution_role, None
    created = create_execution_role(
        scope, "ExecutionRole", description=f"Image Builder builds, tests and distributes {line} images"
    )
    policy = iam.Policy(scope, "ExecutionPolicy", roles=[created], statements=statements)
    written = next(s for s in statements if s.sid == "WriteCatalogParameter").resources
    boundary = execution_boundary(
        scope,
        instance_role=instance_role,
        topic_arn=topic_arn,
        parameter_arns=written,
        distribution_accounts=distribution_accounts,
        own_statements=statements,
    )
    iam.PermissionsBoundary.of(created).apply(boundary)
    acknowledge_wildcards(
        policy,
        {
            "*": "ec2:DescribeImages has no resource-level permissions (needed for aws:ec2:image parameters).",
            **{
                alias_keys(alias): "A distribution key named by its alias (its key id is not known in this stack): "
                "only the key with that alias, through kms:ResourceAliases, and only through EC2."
                for alias in distribution_keys.values()
                if ":alias/" in alias
            },
        },
    )
    return created, policy
