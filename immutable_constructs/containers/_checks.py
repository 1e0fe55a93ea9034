"""The props of :class:`ImmutableService` across each other: one ``ValidationError`` naming every problem.

The image must be pinned (the checks IMM-IMG1 and IMM-IMG5 make on the template, made earlier, where the fix is
one line of the user's code); a secret never goes into a plain environment variable (IMM-SEC3's check).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from aws_cdk import aws_ecs as ecs
from constructs import Construct

from .._private.validation import Problems, is_unresolved
from ..nag._secrets import secret_variable

_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
_PIN = (
    "pin it by digest: ContainerImage.from_ecr_repository(repo, tag='sha256:<64 hex>') (a repository with "
    "immutable tags) or from_registry('name@sha256:<64 hex>'), or build it: ContainerImage.from_asset('./app')"
)


def image_problem(image: ecs.ContainerImage, name: str) -> str | None:
    """Why ``image`` (named ``name`` in its container) may run different bytes in two tasks of one revision."""
    if isinstance(image, ecs.AssetImage):
        return None  # tagged by its content hash in the bootstrap repository (immutable tags)
    if isinstance(image, ecs.TagParameterContainerImage):
        return "takes its tag from a pipeline parameter: a tag, not a digest"
    if not isinstance(image, (ecs.EcrImage, ecs.RepositoryImage)):
        return f"is a {type(image).__name__}: only image assets, ECR images and registry images can be checked"
    tail = name.rsplit("/", 1)[-1]
    if _DIGEST.search(tail) or ("@" in tail and is_unresolved(tail.rsplit("@", 1)[1])):
        return None  # by digest (or a digest known at deploy time)
    if ":" not in tail:
        return "has no tag: it means whatever `latest` is when a task starts"
    tag = tail.rsplit(":", 1)[1]
    if tag.lower() == "latest":
        return "is tagged `latest`, which moves"
    return f"is tagged {tag!r}: a tag can be pushed again with another image"


def check_props(
    scope: Construct,
    *,
    environment: Mapping[str, str] | None,
    vpc: object,
    cluster: object,
    target_group: object,
    alternate_target_group: object,
) -> Problems:
    """Every problem of the props but the image's (judged once its container names it: ``check_image``)."""
    problems = Problems(scope)
    if vpc is None and cluster is None:
        problems.add("vpc", None, "is required when no cluster is given", "pass vpc=, or cluster= (its VPC is used)")
    if (target_group is None) != (alternate_target_group is None):
        problems.add(
            "alternate_target_group" if target_group is not None else "target_group",
            None,
            "blue/green needs both target groups",
            "pass target_group= and alternate_target_group= together, or neither (two new ones)",
        )
    for name, value in (environment or {}).items():
        if isinstance(value, str) and not is_unresolved(value):
            secret = secret_variable(name, value)
            if secret:
                problems.add(
                    f"environment[{name!r}]",
                    "<masked>",
                    secret,
                    f"pass it in secrets={{{name!r}: ecs.Secret.from_secrets_manager(secret)}} (or from_ssm_parameter)",
                )
    return problems


def check_image(problems: Problems, image: ecs.ContainerImage, name: str) -> None:
    """Add the image's problem, if any (``name``: the image as its container definition names it)."""
    problem = image_problem(image, name)
    if problem:
        problems.add("image", name, problem, _PIN)
