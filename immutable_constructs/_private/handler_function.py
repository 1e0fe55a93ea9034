"""One recipe for the library's four Lambda functions (blue/green handler, promotion, tainted hosts,
stack drift): the same runtime, asset excludes, memory, log group, role and checkov skips.

* the handler folder is its own asset (Lambda imports ``index.py`` from its root, next to its copy of
  ``handler_runtime.py``), without caches;
* the role is one Lambda assumes; the function references it by ARN, because ``lambda_.Function`` would
  otherwise add a DependsOn on the role that its GetAtt already implies (cfn-lint W3005): each caller
  adds the DependsOn on its policy;
* the log group is the function's own (``log_group``), with a retention;
* checkov's CKV_AWS_116 (no dead-letter queue) is skipped with the caller's reason when the function has
  none, and any other skip the caller names.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from .checkov import skip_checkov

RUNTIME = lambda_.Runtime.PYTHON_3_14
MEMORY_MB = 256
ASSET_EXCLUDES = ("__pycache__", "*.pyc")


def handler_role(scope: Construct, id: str, description: str) -> iam.Role:
    """A role for one handler function; its permissions are the caller's own policy."""
    return iam.Role(scope, id, assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"), description=description)


def handler_log_group(
    scope: Construct,
    id: str,
    retention: logs.RetentionDays,
    removal_policy: RemovalPolicy | None = RemovalPolicy.RETAIN,
) -> logs.LogGroup:
    return logs.LogGroup(scope, id, retention=retention, removal_policy=removal_policy)


def handler_code(folder: Path) -> lambda_.Code:
    return lambda_.Code.from_asset(str(folder), exclude=list(ASSET_EXCLUDES))


def handler_function(
    scope: Construct,
    id: str,
    *,
    code: lambda_.Code,
    entry: str,
    role: iam.IRole,
    log_group: logs.ILogGroup,
    timeout: Duration,
    description: str,
    environment: Mapping[str, str] | None = None,
    retry_attempts: int | None = None,
    dead_letter_queue: sqs.IQueue | None = None,
    no_dead_letter_queue: str | None = None,
    checkov: Mapping[str, str] | None = None,
) -> lambda_.Function:
    """A handler function: ``entry`` is the function in ``index.py``; ``no_dead_letter_queue`` says why the
    function has none (required unless ``dead_letter_queue`` is given)."""
    function = lambda_.Function(
        scope,
        id,
        runtime=RUNTIME,
        handler=f"index.{entry}",
        code=code,
        role=iam.Role.from_role_arn(scope, f"{id}RoleRef", role.role_arn, mutable=False),
        log_group=log_group,
        timeout=timeout,
        memory_size=MEMORY_MB,
        retry_attempts=retry_attempts,
        dead_letter_queue=dead_letter_queue,
        description=description,
        environment=dict(environment) if environment else None,
    )
    skips: dict[str, str] = {}
    if dead_letter_queue is None:
        assert no_dead_letter_queue, f"{id}: say why the function has no dead-letter queue"
        skips["CKV_AWS_116"] = no_dead_letter_queue
    skips.update(checkov or {})
    for check, reason in skips.items():
        skip_checkov(function.node.default_child, check, reason)  # type: ignore[arg-type]  # its CfnFunction
    return function
