"""A Lambda function that is released, never updated in place (issue 26).

``VersionedFunction(self, "Api", runtime=..., handler=..., code=...)`` builds:

* the function, with its own log group (retention) and an execution role that may write only there;
* a new **version** whenever its code or configuration changes (``current_version``: the version's
  logical id is a hash of both, so an unchanged function gives a byte-identical template);
* an **alias** (``live``) that callers, event sources, permissions and URLs use (``grant_invoke``,
  ``add_event_source``, ``add_function_url``...), never the unqualified function or ``$LATEST``;
  provisioned concurrency, when asked for, is the alias's, so it moves with it;
* a **CodeDeploy Lambda deployment group** that moves the alias to each new version with a careful canary
  (10 % for 5 minutes, then all), with automatic rollback when the deployment fails, is stopped, or one of
  its alarms goes off: the alias's errors, throttles and p99 duration (missing data is not breaching, so an
  idle function can still be released), plus any alarm you add; optional pre- and post-traffic hooks;
* the deployment group's own service role, scoped to this function and alias (``_deployment.py``).

The alarms notify the stack's alarm topic (``AlarmTopic.of(stack)``) when they go off and when they clear.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from .._private.alarm_topic import notify
from .._private.limits import alarm_description
from .._private.origin import record_origin
from .._private.props import Rule, checked
from ._checks import check_props
from ._steps import FunctionProps, build_alarms, build_function, build_release

__all__ = ["VersionedFunction"]

_ALIAS_NAME = r"(?!^[0-9]+$)[a-zA-Z0-9_-]+"  # Lambda's alias name pattern (a number would be a version)
_REGIONAL = Rule(same_region=True, fix="use one of the function's region (CodeDeploy and CloudWatch are regional)")


class VersionedFunction(Construct):
    """A Lambda function released as a new version behind an alias that CodeDeploy moves, with rollback.

    :param runtime: the function's runtime, e.g. ``lambda_.Runtime.PYTHON_3_13``. Default: none, required
        unless ``function`` is given.
    :param handler: the handler, e.g. ``"index.handler"``. Default: none, required unless ``function`` is given.
    :param code: the function's code, e.g. ``lambda_.Code.from_asset("src")``. Default: none, required unless
        ``function`` is given.
    :param function: an existing ``lambda_.Function`` of this stack to release instead (a ``NodejsFunction``,
        a ``DockerImageFunction``...): its ``current_version`` is aliased; ``runtime``, ``handler``, ``code``,
        ``environment``, ``timeout``, ``memory_size``, ``log_retention`` and ``function_options`` must then be
        unset (the function's own apply). Default: a new function.
    :param function_options: more keyword arguments for ``lambda_.Function`` (``vpc``, ``layers``,
        ``architecture``, ``role``, ``reserved_concurrent_executions``...): the escape hatch for every
        function prop this construct does not name. Default: none.
    :param environment: environment variables. Never put a secret here (the rule pack's IMM-SEC3 fails synth
        on one): pass the name of a Secrets Manager secret or SSM parameter and read it at run time. Default:
        none.
    :param timeout: how long one invocation may run; the duration alarm fires at 80 % of it. Default 30
        seconds; 1 second to 15 minutes.
    :param memory_size: memory in MB. Default 256; 128 to 10240.
    :param log_retention: how long the function's logs are kept (its own log group, retained when the stack
        is deleted). Default one year.
    :param alias_name: the name of the alias callers use. Default ``"live"``.
    :param deployment_config: how CodeDeploy shifts traffic to a new version, e.g.
        ``codedeploy.LambdaDeploymentConfig.LINEAR_10_PERCENT_EVERY_1_MINUTE`` or a config you made. Default
        ``LambdaDeploymentConfig.CANARY_10_PERCENT_5_MINUTES`` (10 % of invocations for five minutes, then all).
    :param application: the CodeDeploy application of the deployment group. Default: a new Lambda application.
    :param pre_traffic_hook: a function CodeDeploy invokes before any traffic shifts (it must report with
        ``codedeploy:PutLifecycleEventHookExecutionStatus``, which is granted to it). Default: none.
    :param post_traffic_hook: a function CodeDeploy invokes after all traffic shifted. Default: none.
    :param provisioned_concurrency: provisioned concurrent executions of the alias (they move with it:
        CodeDeploy waits until the new version's are ready). Default: none.
    :param error_threshold: errors of the alias per minute (Sum) that roll a release back. Default 1.
    :param throttle_threshold: throttled invocations of the alias per minute (Sum) that roll a release back.
        Default 1.
    :param alarms: more alarms that roll a release back (a business metric, a downstream error rate); they
        should treat missing data as not breaching (IMM-DEP7). Default: none.

    Attributes: ``function``, ``version`` (``current_version``), ``alias``, ``deployment_group``,
    ``application``, ``deployment_role``, ``log_group`` (None for a ``function`` you pass), ``error_alarm``,
    ``throttle_alarm``, ``duration_alarm``, ``alarms`` (every rollback alarm).
    """

    # What the build steps (_steps.py) make, set on the construct as they go.
    error_alarm: cloudwatch.Alarm
    throttle_alarm: cloudwatch.Alarm
    duration_alarm: cloudwatch.Alarm
    alarms: list[cloudwatch.IAlarm]
    application: codedeploy.ILambdaApplication
    deployment_role: iam.Role
    deployment_group: codedeploy.LambdaDeploymentGroup
    deployment_policy: iam.Policy

    @checked(
        handler=Rule(blank=False, max_length=128, fix="name the handler, e.g. 'index.handler'"),
        timeout=Rule(low=1, high=900, fix="use Duration.seconds(N), 1 <= N <= 900"),
        memory_size=Rule(low=128, high=10240, unit="MB"),
        alias_name=Rule(pattern=_ALIAS_NAME, max_length=128, fix="use letters, digits, - and _, e.g. 'live'"),
        provisioned_concurrency=Rule(low=1, fix="ask for at least 1, or leave it unset"),
        error_threshold=Rule(low=1, unit="errors per minute"),
        throttle_threshold=Rule(low=1, unit="throttles per minute"),
        # CodeDeploy and CloudWatch are regional: the deployment group's alarms, hooks and application, and the
        # function it shifts traffic on, are the function's region's.
        alarms=Rule(same_region=True, fix="list each alarm of the function's region once"),
        function=Rule(same_region=True, fix="wrap a function of this stack's region"),
        pre_traffic_hook=_REGIONAL,
        post_traffic_hook=_REGIONAL,
        application=_REGIONAL,
        deployment_config=_REGIONAL,
    )
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        runtime: lambda_.Runtime | None = None,
        handler: str | None = None,
        code: lambda_.Code | None = None,
        function: lambda_.Function | None = None,
        function_options: Mapping[str, Any] | None = None,
        environment: Mapping[str, str] | None = None,
        timeout: Duration | None = None,
        memory_size: int | None = None,
        log_retention: logs.RetentionDays | None = None,
        alias_name: str = "live",
        deployment_config: codedeploy.ILambdaDeploymentConfig | None = None,
        application: codedeploy.ILambdaApplication | None = None,
        pre_traffic_hook: lambda_.IFunction | None = None,
        post_traffic_hook: lambda_.IFunction | None = None,
        provisioned_concurrency: int | None = None,
        error_threshold: int = 1,
        throttle_threshold: int = 1,
        alarms: Sequence[cloudwatch.IAlarm] | None = None,
    ) -> None:
        super().__init__(scope, id)
        record_origin(self)  # the user's line that created it, for the SARIF report
        props = FunctionProps.of(locals())
        check_props(
            self,
            runtime=runtime,
            handler=handler,
            code=code,
            function=function,
            function_options=function_options,
            environment=environment,
            timeout=timeout,
            memory_size=memory_size,
            log_retention=log_retention,
        )

        # --- the function and its versions -----------------------------------------------------
        self.log_group: logs.ILogGroup | None = None
        self.function: lambda_.Function = build_function(self, props)
        self.version: lambda_.Version = self.function.current_version
        self.alias = lambda_.Alias(
            self,
            "Alias",
            alias_name=alias_name,
            version=self.version,
            provisioned_concurrent_executions=provisioned_concurrency,
            description=f"What callers invoke; CodeDeploy moves it to each new version of {self.node.path}",
        )
        build_alarms(self, props)  # alarms that roll a release back
        notify(self, self.error_alarm, self.throttle_alarm, self.duration_alarm)
        build_release(self, props)  # CodeDeploy moves the alias, and moves it back

    def _alarm(self, id: str, metric: cloudwatch.Metric, threshold: float, periods: int, what: str) -> cloudwatch.Alarm:
        return metric.create_alarm(
            self,
            f"{id}Alarm",
            threshold=threshold,
            evaluation_periods=periods,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            # An idle function publishes nothing: that is no reason to stop (or roll back) a release.
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=alarm_description(
                f"The {what}. While CodeDeploy moves the alias this alarm rolls the release back to the previous "
                "version; otherwise look at the function's log group and the latest deployment."
            ),
        )

    @checked(grantee=Rule(any_region="IAM is global"))
    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` invoke the alias (never the unqualified function)."""
        return self.alias.grant_invoke(grantee)

    @checked()
    def add_event_source(self, source: lambda_.IEventSource) -> None:
        """Attach an event source (``aws_lambda_event_sources.SqsEventSource(queue)``...) to the alias."""
        self.alias.add_event_source(source)

    @checked()
    def add_function_url(self, *, auth_type: lambda_.FunctionUrlAuthType | None = None) -> lambda_.FunctionUrl:
        """A function URL that invokes the alias. Default ``auth_type``: ``AWS_IAM`` (signed requests only)."""
        return self.alias.add_function_url(auth_type=auth_type or lambda_.FunctionUrlAuthType.AWS_IAM)

    @checked(alarm=_REGIONAL)
    def add_alarm(self, alarm: cloudwatch.IAlarm) -> None:
        """Roll releases back when ``alarm`` goes off too (it should treat missing data as not breaching)."""
        self.deployment_group.add_alarm(alarm)
        self.alarms.append(alarm)
