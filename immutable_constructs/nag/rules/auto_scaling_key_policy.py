"""IMM-DEP1: a customer-managed key that encrypts volumes Auto Scaling launches lets Auto Scaling use it.

EC2 Auto Scaling launches instances through its service-linked role
``AWSServiceRoleForAutoScaling``. When their EBS volumes (launch template block devices, or
the AMI's snapshots) are encrypted with a customer-managed key, the key policy must let that
role use the key and create grants for EBS (EC2 Auto Scaling User Guide, "Required AWS KMS
key policy for use with encrypted volumes"); otherwise every launch fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._intrinsics import get, items, text
from .._model import Offence, Resource, Result, Template
from .._policies import allowed, allows_action, condition_values, matches, principal_arns, references, statements

RESOURCE_TYPES = frozenset({"AWS::KMS::Key"})

#: The role's ARN in a made-up account; patterns in the policy are matched against it.
SERVICE_LINKED_ROLE_ARN = (
    "arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
)
#: What the guide's key policy allows the role: using the key, and creating grants for EBS.
ACTIONS = (
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:DescribeKey",
    "kms:CreateGrant",
)
_LAUNCHERS = ("AWS::AutoScaling::AutoScalingGroup", "AWS::EC2::LaunchTemplate", "AWS::AutoScaling::LaunchConfiguration")


def _keys_of(value: Any, template: Template) -> set[str]:
    """The AWS::KMS::Key logical ids a ``KmsKeyId`` names (directly, or through an alias of the template)."""
    keys: set[str] = set()
    names = references(value)
    literal = text(value, template)
    for alias_id, alias in template.of_type("AWS::KMS::Alias"):
        properties = alias.get("Properties") or {}
        alias_name = properties.get("AliasName")
        if alias_id in names or (isinstance(alias_name, str) and literal.endswith(alias_name)):
            names |= references(properties.get("TargetKeyId"))
    for name in names:
        if (template.resource(name) or {}).get("Type") == "AWS::KMS::Key":
            keys.add(name)
    return keys


def _uses(template: Template) -> dict[str, list[str]]:
    """Key logical id -> what it encrypts that Auto Scaling launches."""
    uses: dict[str, list[str]] = {}

    def add(value: Any, what: str) -> None:
        for key in _keys_of(value, template):
            uses.setdefault(key, []).append(what)

    for logical_id, launch_template in template.of_type("AWS::EC2::LaunchTemplate"):
        mappings = get(launch_template.get("Properties"), "LaunchTemplateData", "BlockDeviceMappings")
        for _, mapping in items(mappings):
            add(get(mapping, "Ebs", "KmsKeyId"), f"the volumes of launch template {logical_id}")
    if any(True for type_name in _LAUNCHERS for _ in template.of_type(type_name)):
        for logical_id, recipe in template.of_type("AWS::ImageBuilder::ImageRecipe"):
            for _, mapping in items(get(recipe.get("Properties"), "BlockDeviceMappings")):
                add(get(mapping, "Ebs", "KmsKeyId"), f"the AMI snapshots of image recipe {logical_id}")
    for logical_id, distribution in template.of_type("AWS::ImageBuilder::DistributionConfiguration"):
        for _, item in items(get(distribution.get("Properties"), "Distributions")):
            add(get(item, "AmiDistributionConfiguration", "KmsKeyId"), f"the AMIs of distribution {logical_id}")
    return uses


def _names_the_role(statement: Mapping[str, Any], template: Template) -> bool:
    """True when the statement's principal is the Auto Scaling service-linked role, either by ARN
    or as a wildcard principal narrowed to it by an ``aws:PrincipalArn`` condition."""
    arns = [arn for _, arn in principal_arns(statement, template)]
    named = any("AWSServiceRoleForAutoScaling" in arn and matches(arn, SERVICE_LINKED_ROLE_ARN) for arn in arns)
    if named:
        return True
    if not any(arn == "*" or arn.replace("\x00", "") == "" for arn in arns):
        return False
    conditions = condition_values(statement, "aws:PrincipalArn", template)
    return bool(conditions) and any(
        ":role/" in value and matches(value, SERVICE_LINKED_ROLE_ARN) for value in conditions or []
    )


def missing_actions(key_policy: Any, template: Template) -> list[str]:
    """The actions of :data:`ACTIONS` no Allow statement of the key policy grants the role."""
    granted: set[str] = set()
    for _, statement in statements(key_policy):
        if allowed(statement) and _names_the_role(statement, template):
            granted.update(a for a in ACTIONS if allows_action(statement, a))
    return [a for a in ACTIONS if a not in granted]


def evaluate(resource: Resource, template: Template) -> Result:
    uses = template.memo("dep1.uses", _uses).get(resource.logical_id)
    if not uses:
        return Result.not_applicable()
    missing = missing_actions(resource.properties.get("KeyPolicy"), template)
    if not missing:
        return Result.compliant()
    return Result.of(
        [
            Offence(
                "Properties.KeyPolicy",
                "<key policy>",
                f"the key encrypts {', '.join(sorted(set(uses)))}, but the key policy does not let the "
                f"Auto Scaling service-linked role AWSServiceRoleForAutoScaling use it ({', '.join(missing)} "
                "missing): every launch fails",
            )
        ]
    )
