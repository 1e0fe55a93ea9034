"""IMM-DEP8: an Image Builder pipeline whose recipe encrypts volumes with a key runs as a role that may use it.

With an ``ExecutionRole`` on the pipeline, Image Builder assumes that role to run the build and
test workflows, so the ``ec2:RunInstances`` that creates the build and test instances, whose
volumes the recipe encrypts with its key, is that role's call (Image Builder User Guide,
"Configure image pipeline workflows", the IAM service role that runs workflow actions). EBS then
uses the key on the launching principal's behalf and needs ``kms:CreateGrant``, ``kms:Decrypt``,
``kms:DescribeKey``, ``kms:GenerateDataKeyWithoutPlaintext`` and ``kms:ReEncrypt*`` from it (Amazon
EBS User Guide, "Requirements for Amazon EBS encryption", "Permissions for users"). A role that
lacks one fails every build at its first launch. The AWS managed ``EC2ImageBuilderExecutionPolicy``
carries these statements for any key (``arn:aws:kms:*:*:key/*`` through ``ec2.*.amazonaws.com``),
so a role with AWS managed policies the template does not contain is not judged.

Not judged either: pipelines without an execution role (Image Builder's service-linked role acts,
and the key policy decides), roles and keys from outside the template, and key policies that name
the role themselves (a key policy of the template that allows the role by ARN counts as a grant).
"""

from __future__ import annotations

from typing import Any

from .._intrinsics import get, items, text
from .._model import Offence, Resource, Result, Template
from .._policies import allowed, allows_action, matches, references, role_documents, statements, strings

RESOURCE_TYPES = frozenset({"AWS::ImageBuilder::ImagePipeline"})

#: What EBS calls KMS for when the launching principal creates an encrypted volume.
ACTIONS = (
    "kms:CreateGrant",
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
)
#: A key ARN that an ARN pattern of a policy (deploy-time parts as wildcards) must match.
_SAMPLE_KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"


def recipe_keys(recipe: Any, template: Template) -> dict[str, str]:
    """Key logical id -> the recipe's device that it encrypts, for keys of the template."""
    keys: dict[str, str] = {}
    for _, mapping in items(get(recipe, "Properties", "BlockDeviceMappings")):
        device = text(get(mapping, "DeviceName"), template) or "a volume"
        for name in references(get(mapping, "Ebs", "KmsKeyId")):
            if (template.resource(name) or {}).get("Type") == "AWS::KMS::Key":
                keys.setdefault(name, device)
    return keys


def covers(resource: Any, key_id: str, template: Template) -> bool:
    """True when a policy ``Resource`` entry names the key: ``*``, a reference to it, or an ARN pattern
    that matches any key (``arn:aws:kms:*:*:key/*``). A reference to another resource does not."""
    names = references(resource)
    if names:
        return key_id in names
    return isinstance(resource, str) and (resource == "*" or matches(resource, _SAMPLE_KEY_ARN))


def granted(documents: list[tuple[str, Any]], key_id: str, template: Template) -> set[str]:
    """The actions of :data:`ACTIONS` that the identity documents allow on the key."""
    found: set[str] = set()
    for _, document in documents:
        for _, statement in statements(document):
            resources = strings(statement.get("Resource"))
            if not allowed(statement) or not any(covers(r, key_id, template) for r in resources):
                continue
            found.update(a for a in ACTIONS if allows_action(statement, a))
    return found


def granted_by_key_policy(key: Any, role_id: str, template: Template) -> set[str]:
    """The actions of :data:`ACTIONS` the key's own policy allows a principal that references the role."""
    found: set[str] = set()
    for _, statement in statements(get(key, "Properties", "KeyPolicy")):
        principal = statement.get("Principal")
        if allowed(statement) and isinstance(principal, dict) and role_id in references(principal.get("AWS")):
            found.update(a for a in ACTIONS if allows_action(statement, a))
    return found


def evaluate(resource: Resource, template: Template) -> Result:
    recipe_ids = [
        r
        for r in sorted(references(resource.properties.get("ImageRecipeArn")))
        if (template.resource(r) or {}).get("Type") == "AWS::ImageBuilder::ImageRecipe"
    ]
    keys: dict[str, str] = {}
    for recipe_id in recipe_ids:
        keys.update(recipe_keys(template.resource(recipe_id), template))
    execution_role = resource.properties.get("ExecutionRole")
    if not keys or execution_role is None:
        return Result.not_applicable()
    roles = [r for r in references(execution_role) if (template.resource(r) or {}).get("Type") == "AWS::IAM::Role"]
    if not roles:
        return Result.compliant()  # a role from outside the template: its policies cannot be read
    documents, unknown = role_documents(template).get(roles[0], ([], False))
    if unknown:
        return Result.compliant()  # AWS managed policies (EC2ImageBuilderExecutionPolicy) may allow it
    offences = []
    for key_id, device in sorted(keys.items()):
        allowed_actions = granted(documents, key_id, template) | granted_by_key_policy(
            template.resource(key_id), roles[0], template
        )
        missing = [a for a in ACTIONS if a not in allowed_actions]
        if missing:
            offences.append(
                Offence(
                    "Properties.ExecutionRole",
                    execution_role,
                    f"the recipe encrypts {device} with key {key_id}, and Image Builder launches the build and "
                    f"test instances as execution role {roles[0]}, which may not {', '.join(missing)} on it: "
                    "every build fails at launch",
                )
            )
    return Result.of(offences) if offences else Result.compliant()
