"""An ECS Fargate service that is replaced, never changed in place (issue 26).

``ImmutableService(self, "Web", image=..., vpc=vpc, listener=listener)`` builds:

* a Fargate **task definition** whose one container runs an image pinned by digest or built as an image asset
  (``latest`` and tags, which can be pushed again, are refused at synth), with a read-only root file system
  (scratch volumes where it must write), logs to its own log group, secrets only through ``ecs.Secret``;
* a **service** released by ECS's native **blue/green** deployments: the new revision's tasks start in the
  alternate (green) target group, production traffic moves to them on the listener rule, and the old ones stay
  for the bake time; the **deployment circuit breaker** and the service's **alarms** (target 5XX) roll the
  service back; no ECS Exec;
* the roles: a task role with no permissions, an execution role with what CDK grants it (image, logs,
  secrets), and the infrastructure role ECS assumes to move traffic (``_roles.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from .._private.alarm_topic import notify
from .._private.limits import alarm_description
from .._private.nag import acknowledge_wildcards
from .._private.origin import record_origin
from .._private.props import Rule, checked
from ._checks import check_image, check_props
from ._roles import load_balancer_role, task_roles
from ._routing import build_routing

__all__ = ["ImmutableService"]

_CONTAINER = "app"
_REGIONAL = Rule(same_region=True, fix="use one of the service's region (ECS, ELB and CloudWatch are regional)")


class ImmutableService(Construct):
    """An ECS Fargate service whose pinned image is released by blue/green, rolled back by alarms.

    :param image: the container image, pinned: ``ecs.ContainerImage.from_asset("./app")`` (tagged by its
        content hash), ``from_ecr_repository(repo, tag="sha256:...")`` or ``from_registry("name@sha256:...")``.
        A tag (``latest`` or a version, which can be pushed again) fails synth. Default: none, required.
    :param listener: the production listener of an Application Load Balancer; the service adds a rule to it
        that ECS moves between the two target groups. Default: none, required.
    :param vpc: where the tasks run (private subnets with egress). Default: the cluster's VPC; required when
        ``cluster`` is not given.
    :param cluster: an existing cluster. Default: a new cluster in ``vpc`` with Container Insights.
    :param container_port: the port the container serves on. Default 8080.
    :param health_check_path: the target groups' health check path. Default ``"/"``.
    :param path_patterns: the paths of the listener rule. Default ``["/*"]``.
    :param priority: the listener rule's priority (unique on the listener). Default 100.
    :param desired_count: running tasks. Default 2.
    :param cpu: task CPU units. Default 256.
    :param memory_limit_mib: task memory in MiB. Default 512.
    :param environment: plain configuration (never a secret: a name like ``DB_PASSWORD`` with a literal value
        fails synth). Default: none.
    :param secrets: secrets from Secrets Manager or SSM (``ecs.Secret.from_secrets_manager(secret)``), read by
        the execution role. Default: none.
    :param writable_paths: paths where an ephemeral volume is mounted writable (the root file system is
        read-only). Default ``["/tmp"]``.
    :param log_retention: how long the container's logs are kept (own log group, retained on stack
        deletion). Default one year.
    :param task_role: the role the containers act as. Default: a new role with no permissions.
    :param bake_time: how long the old (blue) tasks stay after traffic moved, so a rollback is instant.
        Default 10 minutes; 0 to 1440 minutes.
    :param error_threshold: target 5XX responses per minute, blue and green together, that roll a release
        back. Default 5.
    :param alarms: more alarms that roll a release back (ECS reads them by name; they should treat missing
        data as not breaching, IMM-DEP7). Default: none.
    :param target_group: an existing primary (blue) target group (IP targets). Default: a new one.
    :param alternate_target_group: an existing alternate (green) target group, with ``target_group``. Default:
        a new one.
    :param lifecycle_hooks: hooks ECS calls at deployment stages
        (``ecs.DeploymentLifecycleLambdaTarget(fn, "Check", lifecycle_stages=[...])``); CDK's default role for a
        hook trusts ``ecs.amazonaws.com`` without ``aws:SourceAccount``: pass ``role=`` to confine it. A hook that
        is a ``VersionedFunction`` takes its ``alias``: ECS invokes the ARN it is given, and the function's own
        ARN runs ``$LATEST`` (IMM-REP8). Default: none.

    Attributes: ``service``, ``task_definition``, ``container``, ``cluster``, ``log_group``, ``task_role``,
    ``execution_role``, ``load_balancer_role``, ``listener_rule``, ``target_group``, ``alternate_target_group``,
    ``error_alarm``, ``alarms`` (every rollback alarm).
    """

    @checked(
        container_port=Rule(low=1, high=65535),
        priority=Rule(low=1, high=50000),
        desired_count=Rule(low=1, high=1000, unit="tasks"),
        cpu=Rule(low=256, high=16384, unit="CPU units", fix="use a Fargate size: 256, 512, 1024..."),
        memory_limit_mib=Rule(low=512, high=122880, unit="MiB"),
        health_check_path=Rule(pattern=r"/[^\s]*", max_length=1024, fix="use a path starting with /"),
        bake_time=Rule(low=0, high=1440 * 60, whole="minutes", fix="use Duration.minutes(N), 0 <= N <= 1440"),
        error_threshold=Rule(low=1, unit="responses per minute"),
        alarms=Rule(same_region=True, fix="list alarms of the service's region"),
        listener=Rule(same_region=True, fix="use a listener of the service's region"),
        vpc=_REGIONAL,
        cluster=_REGIONAL,
        target_group=_REGIONAL,
        alternate_target_group=_REGIONAL,
        lifecycle_hooks=_REGIONAL,
        task_role=Rule(any_region="IAM is global"),
    )
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        image: ecs.ContainerImage,
        listener: elbv2.IApplicationListener,
        vpc: ec2.IVpc | None = None,
        cluster: ecs.ICluster | None = None,
        container_port: int = 8080,
        health_check_path: str = "/",
        path_patterns: Sequence[str] | None = None,
        priority: int = 100,
        desired_count: int = 2,
        cpu: int = 256,
        memory_limit_mib: int = 512,
        environment: Mapping[str, str] | None = None,
        secrets: Mapping[str, ecs.Secret] | None = None,
        writable_paths: Sequence[str] | None = None,
        log_retention: logs.RetentionDays | None = None,
        task_role: iam.IRole | None = None,
        bake_time: Duration | None = None,
        error_threshold: int = 5,
        alarms: Sequence[cloudwatch.IAlarm] | None = None,
        target_group: elbv2.IApplicationTargetGroup | None = None,
        alternate_target_group: elbv2.IApplicationTargetGroup | None = None,
        lifecycle_hooks: Sequence[ecs.IDeploymentLifecycleHookTarget] | None = None,
    ) -> None:
        super().__init__(scope, id)
        record_origin(self)  # the user's line that created it, for the SARIF report
        problems = check_props(
            self,
            environment=environment,
            vpc=vpc,
            cluster=cluster,
            target_group=target_group,
            alternate_target_group=alternate_target_group,
        )
        self._build_task(
            image, container_port, environment, secrets, writable_paths, log_retention, task_role, cpu, memory_limit_mib
        )
        check_image(problems, image, self.container.image_name)  # as the container names it
        problems.raise_if_any()
        self.cluster: ecs.ICluster = cluster or ecs.Cluster(
            self, "Cluster", vpc=vpc, container_insights_v2=ecs.ContainerInsights.ENABLED
        )
        self.target_group, self.alternate_target_group, self.listener_rule = build_routing(
            self,
            vpc or self.cluster.vpc,
            listener,
            container_port,
            health_check_path,
            path_patterns or ["/*"],
            priority,
            target_group,
            alternate_target_group,
        )
        self._build_alarms(error_threshold, alarms)
        self._build_service(listener, container_port, desired_count, bake_time or Duration.minutes(10), lifecycle_hooks)

    def _build_task(
        self,
        image: ecs.ContainerImage,
        port: int,
        environment: Mapping[str, str] | None,
        secrets: Mapping[str, ecs.Secret] | None,
        writable_paths: Sequence[str] | None,
        log_retention: logs.RetentionDays | None,
        task_role: iam.IRole | None,
        cpu: int,
        memory: int,
    ) -> None:
        """The task definition: one read-only container, its scratch volumes, its log group, its roles."""
        self._from_ecr = isinstance(image, (ecs.EcrImage, ecs.AssetImage))  # the execution role gets ECR's token
        new_task_role, self.execution_role = task_roles(self)
        self.task_role: iam.IRole = task_role or new_task_role
        if task_role is not None:
            new_task_role.node.try_remove_child("Resource")  # not used: the user's role acts instead
            self.node.try_remove_child("TaskRole")
        self.log_group = logs.LogGroup(
            self, "Logs", retention=log_retention or logs.RetentionDays.ONE_YEAR, removal_policy=RemovalPolicy.RETAIN
        )
        self.task_definition = ecs.FargateTaskDefinition(
            self, "Task", cpu=cpu, memory_limit_mib=memory, task_role=self.task_role, execution_role=self.execution_role
        )
        self.container = self.task_definition.add_container(
            _CONTAINER,
            image=image,
            port_mappings=[ecs.PortMapping(container_port=port)],
            readonly_root_filesystem=True,
            environment=dict(environment or {}),
            secrets=dict(secrets or {}),
            logging=ecs.LogDriver.aws_logs(stream_prefix=_CONTAINER, log_group=self.log_group),
        )
        for index, path in enumerate(writable_paths if writable_paths is not None else ["/tmp"]):
            self.task_definition.add_volume(name=f"scratch{index}")
            self.container.add_mount_points(
                ecs.MountPoint(container_path=path, source_volume=f"scratch{index}", read_only=False)
            )

    def _build_alarms(self, threshold: int, extra: Sequence[cloudwatch.IAlarm] | None) -> None:
        """Target 5XX of both target groups: the service's own rollback alarm, and the user's."""
        metrics = {
            name: group.metrics.http_code_target(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, period=Duration.minutes(1))
            for name, group in (("blue", self.target_group), ("green", self.alternate_target_group))
        }
        errors = cloudwatch.MathExpression(
            expression="FILL(blue, 0) + FILL(green, 0)",
            using_metrics=metrics,
            period=Duration.minutes(1),
            label="Target 5XX, blue and green",
        )
        self.error_alarm = errors.create_alarm(
            self,
            "ErrorAlarm",
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            # No requests, no data: that is no reason to stop (or roll back) a release.
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=alarm_description(
                "Target 5XX responses of the service. During a blue/green deployment ECS rolls the service back "
                "to the previous revision; otherwise look at the service's log group and its latest deployment."
            ),
        )
        notify(self, self.error_alarm)
        self.alarms: list[cloudwatch.IAlarm] = [self.error_alarm, *(extra or [])]

    def _build_service(
        self,
        listener: elbv2.IApplicationListener,
        port: int,
        desired_count: int,
        bake_time: Duration,
        hooks: Sequence[ecs.IDeploymentLifecycleHookTarget] | None,
    ) -> None:
        """The service: blue/green on the listener rule, rolled back by the circuit breaker and the alarms."""
        self.service = ecs.FargateService(
            self,
            "Service",
            cluster=self.cluster,
            task_definition=self.task_definition,
            desired_count=desired_count,
            min_healthy_percent=100,
            max_healthy_percent=200,
            deployment_strategy=ecs.DeploymentStrategy.BLUE_GREEN,
            bake_time=bake_time,
            circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
            deployment_alarms=ecs.DeploymentAlarmConfig(
                alarm_names=[alarm.alarm_name for alarm in self.alarms],
                behavior=ecs.AlarmBehavior.ROLLBACK_ON_ALARM,
            ),
            enable_execute_command=False,  # nobody changes a running container (IMM-REP5)
        )
        self.load_balancer_role = load_balancer_role(
            self,
            listener_arn=listener.listener_arn,
            rule_arn=self.listener_rule.listener_rule_arn,
            target_groups=(self.target_group, self.alternate_target_group),
        )
        target = self.service.load_balancer_target(
            container_name=_CONTAINER,
            container_port=port,
            alternate_target=ecs.AlternateTarget(
                "AlternateTarget",
                alternate_target_group=self.alternate_target_group,
                role=self.load_balancer_role,
                production_listener=ecs.ListenerRuleConfiguration.application_listener_rule(self.listener_rule),
            ),
        )
        target.attach_to_application_target_group(self.target_group)
        # The two wildcards: calls IAM cannot narrow to a resource (Service Authorization Reference).
        if self._from_ecr:
            acknowledge_wildcards(
                self.execution_role.node.find_child("DefaultPolicy"),
                {"*": "ecr:GetAuthorizationToken takes no resource: ECS needs the registry token to pull the image."},
            )
        acknowledge_wildcards(
            self.load_balancer_role.node.find_child("DefaultPolicy"),
            {"*": "elasticloadbalancing:Describe* take no resource; every change is limited to this service's rule."},
        )
        service = self.service.node.default_child
        assert isinstance(service, ecs.CfnService)
        # CDK makes the service depend on the rule it also references (ProductionListenerRule); cfn-lint says so.
        service.add_metadata("cfn-lint", {"config": {"ignore_checks": ["W3005"]}})
        self.service.connections.allow_from(listener, ec2.Port.tcp(port), "The load balancer reaches the tasks")
        for hook in hooks or []:
            self.service.add_lifecycle_hook(hook)

    @checked(alarm=_REGIONAL)
    def add_alarm(self, alarm: cloudwatch.IAlarm) -> None:
        """Roll releases back when ``alarm`` goes off too (it should treat missing data as not breaching)."""
        self.alarms.append(alarm)
        # FargateService.enable_deployment_alarms on a service that has alarms drops the new names (aws-cdk-lib
        # 2.275 concatenates without keeping the result): the service's property names them all instead.
        service = self.service.node.default_child
        assert isinstance(service, ecs.CfnService)
        names = [a.alarm_name for a in self.alarms]
        service.add_property_override("DeploymentConfiguration.Alarms.AlarmNames", names)
