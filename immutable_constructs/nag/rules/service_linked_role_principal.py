"""IMM-DEP2: a policy names a service-linked role as a principal only once the template has created it.

KMS, S3, SNS, SQS and IAM check a policy's principals when the policy is written and reject
one that does not exist (KMS: ``MalformedPolicyDocumentException``; AWS KMS API Reference,
``CreateKey``, parameter ``Policy``: "The principals in the key policy must exist and be
visible to KMS"). A service-linked role
exists only after the account first used its service, or once an
``AWS::IAM::ServiceLinkedRole`` created it. Name it through an ``aws:PrincipalArn``
condition instead (checked at request time), or create it in the template and make the
resource depend on it.
"""

from __future__ import annotations

from typing import Any

from .._intrinsics import UNKNOWN, get, text
from .._model import Offence, Resource, Result, Template
from .._policies import SERVICE_LINKED_ROLE, depends_on, principal_arns, statements

#: Resource type -> where its resource policy lives.
POLICY_PROPERTIES: dict[str, tuple[str, ...]] = {
    "AWS::KMS::Key": ("KeyPolicy",),
    "AWS::KMS::ReplicaKey": ("KeyPolicy",),
    "AWS::S3::BucketPolicy": ("PolicyDocument",),
    "AWS::SNS::TopicPolicy": ("PolicyDocument",),
    "AWS::SQS::QueuePolicy": ("PolicyDocument",),
    "AWS::SecretsManager::ResourcePolicy": ("ResourcePolicy",),
    "AWS::ECR::Repository": ("RepositoryPolicyText",),
    "AWS::IAM::Role": ("AssumeRolePolicyDocument",),
}
RESOURCE_TYPES = frozenset(POLICY_PROPERTIES)


def _created_roles(template: Template) -> dict[str, list[str]]:
    """Service principal (``autoscaling.amazonaws.com``) -> AWS::IAM::ServiceLinkedRole logical ids."""
    created: dict[str, list[str]] = {}
    for logical_id, role in template.of_type("AWS::IAM::ServiceLinkedRole"):
        service = text(get(role, "Properties", "AWSServiceName"), template)
        created.setdefault(service, []).append(logical_id)
    return created


def _shown(arn: str) -> str:
    return arn.replace(UNKNOWN, "${...}")


def evaluate(resource: Resource, template: Template) -> Result:
    keys = POLICY_PROPERTIES[resource.type]
    document: Any = get(resource.properties, *keys)
    if document is None:
        return Result.not_applicable()
    created = template.memo("dep2.created", _created_roles)
    waits_for: set[str] | None = None
    base = "Properties." + ".".join(keys)
    offences: list[Offence] = []
    for path, statement in statements(document):
        for suffix, arn in principal_arns(statement, template):
            match = SERVICE_LINKED_ROLE.search(arn)
            if not match:
                continue
            service = match.group("service")
            roles = created.get(service, [])
            waits_for = depends_on(resource.body) if waits_for is None else waits_for
            if any(role in waits_for for role in roles):
                continue
            if roles:
                why = f"the template creates it ({', '.join(roles)}) but this resource does not DependsOn it"
            else:
                why = f"nothing in the template creates it (AWS::IAM::ServiceLinkedRole for {service})"
            offences.append(
                Offence(
                    f"{base}.{path}.{suffix}",
                    _shown(arn),
                    f"names the service-linked role of {service} as a principal; in an account where that "
                    f"role does not exist yet the policy is rejected (MalformedPolicyDocumentException), and {why}",
                )
            )
    return Result.of(offences)
