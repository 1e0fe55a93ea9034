"""VersionedFunction's build steps, and the props that flow through them.

The constructor gathers its keyword arguments once into :class:`FunctionProps`; ``check_props`` checks
them; the steps here build from them: the function (unless one was given), the alarms that roll a
release back, and the CodeDeploy release that moves the alias.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_cdk import CfnResource, Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs

from .._private.handler_function import handler_log_group
from ._deployment import codedeploy_role, execution_role, grant_release

if TYPE_CHECKING:
    from .versioned_function import VersionedFunction

_NOT_PROPS = ("self", "scope", "id", "__class__")


@dataclass(frozen=True, kw_only=True)
class FunctionProps:
    """VersionedFunction's props, as the caller gave them (the spec has checked their types)."""

    runtime: lambda_.Runtime | None = None
    handler: str | None = None
    code: lambda_.Code | None = None
    function: lambda_.Function | None = None
    function_options: Mapping[str, Any] | None = None
    environment: Mapping[str, str] | None = None
    timeout: Duration | None = None
    memory_size: int | None = None
    log_retention: logs.RetentionDays | None = None
    alias_name: str = "live"
    deployment_config: codedeploy.ILambdaDeploymentConfig | None = None
    application: codedeploy.ILambdaApplication | None = None
    pre_traffic_hook: lambda_.IFunction | None = None
    post_traffic_hook: lambda_.IFunction | None = None
    provisioned_concurrency: int | None = None
    error_threshold: int = 1
    throttle_threshold: int = 1
    alarms: Sequence[cloudwatch.IAlarm] | None = None

    @classmethod
    def of(cls, arguments: Mapping[str, Any]) -> FunctionProps:
        """The props from the constructor's ``locals()``."""
        return cls(**{name: value for name, value in arguments.items() if name not in _NOT_PROPS})


def build_function(owner: VersionedFunction, props: FunctionProps) -> lambda_.Function:
    """The given function, or a new one with its own log group and a role that writes only to it."""
    function = props.function
    if function is None:
        timeout = props.timeout or Duration.seconds(30)
        owner.log_group = handler_log_group(owner, "Logs", props.log_retention or logs.RetentionDays.ONE_YEAR)
        options = dict(props.function_options or {})
        role: iam.IRole | None = options.pop("role", None)
        if role is None:
            role = execution_role(owner, owner.log_group)
        else:  # your role: it still writes only to this function's log group for the function's logs
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[owner.log_group.log_group_arn]
                )
            )
        function = lambda_.Function(
            owner,
            "Function",
            runtime=props.runtime,  # type: ignore[arg-type]  # checked: required without `function`
            handler=props.handler,  # type: ignore[arg-type]
            code=props.code,  # type: ignore[arg-type]
            environment=dict(props.environment) if props.environment else None,
            timeout=timeout,
            memory_size=props.memory_size or 256,
            log_group=owner.log_group,
            role=role,
            **options,
        )
        # lambda_.Function adds a DependsOn on its role that the GetAtt of its ARN already implies (cfn-lint
        # W3005); the one on the role's policy, which must exist before the function runs, is the one that counts.
        cfn = function.node.default_child
        if isinstance(cfn, CfnResource):
            cfn.add_metadata("cfn-lint", {"config": {"ignore_checks": ["W3005"]}})
    return function


def build_alarms(owner: VersionedFunction, props: FunctionProps) -> None:
    """The error, throttle and duration alarms on the alias, which roll a release back."""
    function, alias_name = owner.function, props.alias_name
    limit = function.timeout or props.timeout or Duration.seconds(3)
    owner.error_alarm = owner._alarm(
        "Errors", owner.alias.metric_errors(period=Duration.minutes(1), statistic="Sum"), props.error_threshold, 1,
        f"invocations of {owner.node.path} ({alias_name}) failed",
    )  # fmt: skip
    owner.throttle_alarm = owner._alarm(
        "Throttles", owner.alias.metric_throttles(period=Duration.minutes(1), statistic="Sum"),
        props.throttle_threshold, 1, f"invocations of {owner.node.path} ({alias_name}) were throttled",
    )  # fmt: skip
    owner.duration_alarm = owner._alarm(
        "Duration", owner.alias.metric_duration(period=Duration.minutes(1), statistic="p99"),
        limit.to_milliseconds() * 0.8, 3, f"p99 duration of {owner.node.path} ({alias_name}) neared its timeout",
    )  # fmt: skip
    owner.alarms = [
        owner.error_alarm, owner.throttle_alarm, owner.duration_alarm, *(props.alarms or ()),
    ]  # fmt: skip


def build_release(owner: VersionedFunction, props: FunctionProps) -> None:
    """The CodeDeploy application, role and deployment group that move the alias, and move it back."""
    function = owner.function
    owner.application = props.application or codedeploy.LambdaApplication(owner, "Application")
    owner.deployment_role = codedeploy_role(owner, owner.application)
    owner.deployment_group = codedeploy.LambdaDeploymentGroup(
        owner,
        "Deployment",
        alias=owner.alias,
        application=owner.application,
        deployment_config=props.deployment_config or codedeploy.LambdaDeploymentConfig.CANARY_10_PERCENT_5_MINUTES,
        alarms=owner.alarms,
        auto_rollback=codedeploy.AutoRollbackConfig(
            failed_deployment=True, stopped_deployment=True, deployment_in_alarm=True
        ),
        pre_hook=props.pre_traffic_hook,
        post_hook=props.post_traffic_hook,
        # Immutable here: LambdaDeploymentGroup would attach AWSCodeDeployRoleForLambdaLimited (any alias of
        # the account) to a role it may change; the role's statements are grant_release's, scoped, hooks too.
        role=iam.Role.from_role_arn(owner, "DeploymentRoleRef", owner.deployment_role.role_arn, mutable=False),
    )
    hooks = [h for h in (props.pre_traffic_hook, props.post_traffic_hook) if h is not None]
    owner.deployment_policy = grant_release(owner, owner.deployment_role, function, owner.alias, hooks)
    # Moving the alias starts a release: CodeDeploy must hold its permissions (and the hooks') by then. On the
    # alias, not on the group: the hooks' own grant names the group.
    owner.alias.node.add_dependency(owner.deployment_policy)
