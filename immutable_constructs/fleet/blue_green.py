"""BlueGreenFleet: an immutable fleet released by CodeDeploy blue/green deployments.

CloudFormation cannot create an EC2 blue/green deployment group, and CodeDeploy's
COPY_AUTO_SCALING_GROUP deletes the Auto Scaling group it copies. So ownership is split:
CloudFormation owns the launch template, IAM, the security group, the alarms and the
CodeDeploy application; one custom resource owns the deployment group and every Auto
Scaling group of the fleet. See docs/blue-green.md for the lifecycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import jsii
from aws_cdk import Annotations, CustomResource, Duration, Names, Tags
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from .._private.origin import record_origin
from .._private.props import checked
from .._private.props_text import whole_text
from .._private.subnets import select as select_subnets
from ._agent import CODEDEPLOY_LOGS
from ._checks import check_capacity, check_lifetime
from ._props import BLUE_GREEN_FLEET
from ._release import codedeploy_service_role, deployment_provider
from ._release_checks import MAX_DEPLOYMENT_TIMEOUT, check_release
from ._release_policies import ReleaseParts
from ._revision import install_health_check, revision_directory
from ._steps import BlueGreenFleetProps, Plan, build_fleet_launch, close_checks, lifetime_and_grace, open_checks
from .alarms import FleetAlarmOptions, observe
from .health import FleetHealthCheck
from .launch import DEFAULT_MIN_CAPACITY, Launch, fleet_tag

__all__ = ["BlueGreenFleet"]

_DEFAULT_TERMINATION_WAIT = Duration.minutes(5)
# The blue/green fleet's own jsii-interface props, checked with the shared ones (check_fleet).
_TYPES = {
    "deployment_config": (
        codedeploy.IServerDeploymentConfig,
        "a CodeDeploy server deployment config",
        "use e.g. codedeploy.ServerDeploymentConfig.ONE_AT_A_TIME",
    ),
    "application": (codedeploy.IServerApplication, "a CodeDeploy server application", "pass one, or leave it unset"),
}


@jsii.implements(iam.IGrantable, ec2.IConnectable)
class BlueGreenFleet(Construct):
    """An immutable fleet behind an ALB target group, released by CodeDeploy blue/green deployments.

    A new image (any change that makes a new launch template version) is released by a
    CodeDeploy deployment that the stack update starts and waits for: CodeDeploy copies the
    serving Auto Scaling group with the new version (the green fleet), runs the revision's
    ``ValidateService`` hook (the fleet's ``health_check``) on every green instance, reroutes
    the target group to them, then terminates the old (blue) fleet. A failed deployment, or
    one stopped by an alarm, is rolled back by CodeDeploy and fails the stack update, so
    CloudFormation rolls back to the previous launch template version too.

    What no prop turns off: the launch template of :class:`ImmutableFleet` (IMDSv2, no key
    pair, no public IP, encrypted gp3 root volume, scoped Session Manager and CloudWatch agent
    policy, the fleet's own log group); a new security group admits only the load balancer.
    The AMI must contain the CodeDeploy and CloudWatch agents (bake them into the image). CodeDeploy
    rolls back on deployment failure and on the standard rollback alarms (unhealthy hosts, target 5xx,
    CPU; :class:`FleetAlarmOptions`), plus ``alarms``. The agent silence alarm pages but never stops a
    release: it is in ALARM whenever no host reports, e.g. before the first one has.
    Until ``termination_wait`` has passed, an alarm still rolls traffic back to the old fleet.
    Each prop's default is described with the prop below.
    """

    @checked(**BLUE_GREEN_FLEET)
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        vpc: ec2.IVpc,
        machine_image: ec2.IMachineImage,
        instance_type: ec2.InstanceType,
        target_group: elbv2.IApplicationTargetGroup,
        vpc_subnets: ec2.SubnetSelection | None = None,
        min_capacity: int | None = None,
        max_capacity: int | None = None,
        desired_capacity: int | None = None,
        health_check: FleetHealthCheck | None = None,
        deployment_config: codedeploy.IServerDeploymentConfig | None = None,
        termination_wait: Duration | None = None,
        keep_old_fleet: bool | None = None,
        manual_reroute_wait: Duration | None = None,
        alarms: Sequence[cloudwatch.IAlarm] | None = None,
        deployment_timeout: Duration | None = None,
        application: codedeploy.IServerApplication | None = None,
        max_instance_lifetime: Duration | None = None,
        health_check_grace_period: Duration | None = None,
        imds_hop_limit: int | None = None,
        root_volume_size: int | None = None,
        root_device_name: str | None = None,
        volume_key: kms.IKey | None = None,
        role: iam.IRole | None = None,
        security_group: ec2.ISecurityGroup | None = None,
        user_data: ec2.UserData | None = None,
        log_retention: logs.RetentionDays | None = None,
        log_paths: Sequence[str] | None = None,
        metrics_namespace: str | None = None,
        alarm_options: FleetAlarmOptions | None = None,
        dashboard: bool | None = None,
    ) -> None:
        """Create the fleet, its CodeDeploy application and the custom resource that deploys it.

        :param vpc: the VPC to launch into.
        :param machine_image: the AMI; pin it (:class:`PinnedSsmImage`) so a release is a template diff.
            It must contain the CodeDeploy agent.
        :param instance_type: the EC2 instance type.
        :param target_group: the ALB target group CodeDeploy moves between the blue and green
            fleets. It must be attached to a load balancer (the default alarms use its metrics).
        :param vpc_subnets: where to launch; public subnets are refused. Default: the VPC's
            private subnets with egress, else its isolated ones.
        :param min_capacity: Default: 2.
        :param max_capacity: Default: twice the larger of ``min_capacity`` and ``desired_capacity``.
        :param desired_capacity: Default: unset (the group starts at ``min_capacity``).
        :param health_check: runs in the revision's ``ValidateService`` hook on every green
            instance; a failure fails the deployment. Default: none (a warning says so);
            the target group's health check alone decides.
        :param deployment_config: how traffic moves to the green fleet. Default:
            ``ServerDeploymentConfig.ONE_AT_A_TIME``; ``HALF_AT_A_TIME`` / ``ALL_AT_ONCE`` are faster.
        :param termination_wait: how long the old fleet keeps running after traffic moved;
            an alarm in this window still reroutes traffic back. Default: 5 minutes (0 to 2 days).
        :param keep_old_fleet: keep the old fleet running (out of the target group) after a
            release, for inspection or a manual switch back; it is deleted at the next release
            or with the stack. Default: false (terminate after ``termination_wait``).
        :param manual_reroute_wait: when set, green instances wait this long for an operator's
            ``aws deploy continue-deployment`` before traffic moves; without it the deployment
            stops and rolls back. Default: none (traffic moves automatically).
        :param alarms: more CloudWatch alarms that stop and roll back a deployment. Default: none.
        :param deployment_timeout: how long a stack operation waits for the fleet. Default: 50 minutes
            (5 to 50 minutes: CloudFormation fails a custom resource after 1 hour with a generic
            timeout, so the waiter stops 10 minutes earlier with the handler's own message).
        :param application: an existing CodeDeploy server application. Default: a new one.
        :param max_instance_lifetime: Default: 14 days (1 to 365 days).
        :param health_check_grace_period: ELB health check grace period. Default: 5 minutes.
        :param imds_hop_limit: IMDSv2 PUT response hop limit, 1-64. Default: 1.
        :param root_volume_size: GiB. Default: 20.
        :param root_device_name: Default: ``/dev/xvda``.
        :param volume_key: KMS key for the root volume; its key policy is extended so EC2 Auto
            Scaling can use it. Default: the account's EBS key.
        :param role: an existing instance role. Default: a new one.
        :param security_group: an existing security group. Default: a new one with no ingress
            but from the load balancer.
        :param user_data: user data to start from. Default: empty Linux user data.
        :param log_retention: retention of the fleet's log group. Default: one month.
        :param log_paths: application log files (absolute, ``*`` allowed) shipped to the log group with the
            system and CodeDeploy agent logs, a stream per instance and file. Default: none.
        :param metrics_namespace: of the agent metrics. Default: ``ImmutableConstructs/<fleet unique id>``.
        :param alarm_options: the standard alarms' thresholds; CodeDeploy rolls back on them.
            Default: ``FleetAlarmOptions()``.
        :param dashboard: a CloudWatch dashboard of alarms and agent metrics. Default: false.
        """
        super().__init__(scope, id)
        record_origin(self)  # the user's line that created it, for the SARIF report
        props = BlueGreenFleetProps.of(locals())
        plan = self._check(props)

        self.instance_tag: tuple[str, str] = fleet_tag(self)
        """(key, value) of the tag every instance carries; used to scope Session Manager access."""
        # -- what CloudFormation owns: log group, role, security group, launch template ----------
        revision = s3_assets.Asset(self, "Revision", path=revision_directory(props.health_check is not None))
        launch = self._build_launch(props, plan, revision)
        self.log_group = launch.log_group
        """The fleet's log group; the instance role may write to it (CloudWatch agent)."""
        self.role: iam.IRole = launch.role
        """The instance role (the one given as ``role``, or the fleet's own)."""
        self.security_group = launch.security_group
        """The fleet's security group (the one given as ``security_group``, or the fleet's own)."""
        self._connections = ec2.Connections(security_groups=[self.security_group])
        props.target_group.register_connectable(self)
        self.user_data: ec2.UserData = launch.user_data
        """The fleet's user data; it ends by installing the health check the revision's ValidateService runs."""
        self.launch_template = launch.launch_template
        """The launch template; each change makes a new version, which the next deployment releases."""
        self._wire_launch(props)

        # -- alarms that roll a deployment back, CodeDeploy, the handler ------------------------
        self.agent_config, self.metrics_namespace = launch.agent_config, launch.metrics_namespace
        """The CloudWatch agent configuration's SSM parameter and the agent metrics' namespace."""
        rollback = plan.alarm_options.rollback
        release = "rolls a blue/green deployment back" if rollback else "notifies only (rollback=False)"
        standard, self.dashboard = observe(
            self, launch.metrics_namespace, [props.target_group], plan.alarm_options, props.dashboard, release=release
        )
        self.alarms: list[cloudwatch.Alarm] = standard.all
        """The standard alarms: the target group's unhealthy hosts and 5xx, CPU, agent silence."""
        self.unhealthy_hosts_alarm, self.server_errors_alarm = standard.first_target_group
        self._deployment_config = props.deployment_config or codedeploy.ServerDeploymentConfig.ONE_AT_A_TIME
        self.application = props.application or codedeploy.ServerApplication(self, "Application")
        """The CodeDeploy server application (the one given as ``application``, or the fleet's own)."""
        self.deployment_group_name = Names.unique_resource_name(self, max_length=80, separator="-")
        """The name of the deployment group the fleet's custom resource owns."""
        self.deployment = _build_deployment(
            self, props, plan, revision, launch, [*(standard.rollback if rollback else []), *(props.alarms or ())]
        )
        """The custom resource that owns the deployment group and every Auto Scaling group of the fleet."""

    # -- the build steps --------------------------------------------------------

    def _check(self, props: BlueGreenFleetProps) -> _ReleasePlan:
        """Every check of the props, in one ValidationError; the plan the build steps follow."""
        problems, alarm_options = open_checks(
            self,
            props,
            durations=(
                "termination_wait",
                "manual_reroute_wait",
                "deployment_timeout",
                "max_instance_lifetime",
                "health_check_grace_period",
            ),
            flags=("keep_old_fleet",),
            types=_TYPES,
        )
        termination_wait = props.termination_wait if props.termination_wait is not None else _DEFAULT_TERMINATION_WAIT
        timeout = props.deployment_timeout or MAX_DEPLOYMENT_TIMEOUT
        lifetime, grace = lifetime_and_grace(props)
        min_cap = DEFAULT_MIN_CAPACITY if props.min_capacity is None else props.min_capacity
        max_cap = check_capacity(
            problems,
            min_capacity=min_cap,
            max_capacity=props.max_capacity,
            desired=props.desired_capacity,
            why_one="CodeDeploy needs instances to validate",
        )
        check_release(
            problems,
            termination_wait=termination_wait,
            keep_old_fleet=bool(props.keep_old_fleet),
            manual_reroute_wait=props.manual_reroute_wait,
            timeout=timeout,
            alarm_count=len(list(props.alarms or ())),
            standard_alarm_count=3 if alarm_options.rollback else 0,  # unhealthy hosts, 5xx, CPU
            health_check=props.health_check,
        )
        check_lifetime(problems, max_instance_lifetime=lifetime, grace_period=grace)
        subnets, image_config = close_checks(self, problems, props)
        return _ReleasePlan(
            min_capacity=min_cap,
            max_capacity=max_cap,
            lifetime=lifetime,
            grace_period=grace,
            subnets=subnets,
            image_config=image_config,
            alarm_options=alarm_options,
            termination_wait=termination_wait,
            timeout=timeout,
        )

    def _build_launch(self, props: BlueGreenFleetProps, plan: _ReleasePlan, revision: s3_assets.Asset) -> Launch:
        """The launch kit; the instance role may also read the CodeDeploy revision."""
        return build_fleet_launch(
            self,
            props,
            plan,
            what="blue/green fleet",
            security_group_description="Blue/green fleet: ingress only from the load balancer; use Session Manager",
            allow_all_outbound=True,
            log_key=None,
            extra_system_logs=CODEDEPLOY_LOGS,
            extra_statements=[
                iam.PolicyStatement(
                    sid="CodeDeployAgentRevision",
                    actions=["s3:GetObject"],
                    resources=[revision.bucket.arn_for_objects(revision.s3_object_key)],
                )
            ],
        )

    def _wire_launch(self, props: BlueGreenFleetProps) -> None:
        """User data installs the health check ValidateService runs; the launch template carries the fleet tag."""
        if props.health_check is not None:
            install_health_check(self.user_data, props.health_check)
        else:
            Annotations.of(self).add_warning_v2(
                "immutable-constructs:blueGreenWithoutHealthCheck",
                "No health_check: CodeDeploy's ValidateService hook passes at once, so only the target group's "
                "health check and the alarms judge a release. Pass health_check=FleetHealthCheck.http(...).",
            )
        # Instances carry the fleet tag (and any tag added to the fleet, e.g. Session Manager's access
        # tag) from the launch template itself, whichever Auto Scaling group launches them.
        Tags.of(self.launch_template).add(self.instance_tag[0], self.instance_tag[1])

    # -- public API -------------------------------------------------------------

    @property
    def grant_principal(self) -> iam.IPrincipal:
        """The instance role, for ``bucket.grant_read(fleet)`` and the like."""
        return self.role

    @property
    def connections(self) -> ec2.Connections:
        """The fleet's security group connections."""
        return self._connections

    @property
    def auto_scaling_group_name(self) -> str:
        """The Auto Scaling group serving now (it changes with every release), as a deploy-time token."""
        return self.deployment.get_att_string("AutoScalingGroupName")


@dataclass(frozen=True, kw_only=True)
class _ReleasePlan(Plan):
    """The shared plan, plus CodeDeploy's waits."""

    termination_wait: Duration
    timeout: Duration


def _build_deployment(
    fleet: BlueGreenFleet,
    props: BlueGreenFleetProps,
    plan: _ReleasePlan,
    revision: s3_assets.Asset,
    launch: Launch,
    alarms: Sequence[cloudwatch.IAlarm],
) -> CustomResource:
    """CodeDeploy's service role, the handler, and the custom resource that owns the deployment
    group and every Auto Scaling group."""
    target_group = props.target_group
    parts_of_fleet = (fleet.role, fleet.launch_template, target_group.target_group_arn, fleet.instance_tag)
    parts = ReleaseParts(fleet.application, fleet.deployment_group_name, fleet._deployment_config, *parts_of_fleet)
    service_role, service_policy = codedeploy_service_role(fleet, parts)
    provider, handler_policy = deployment_provider(fleet, parts, service_role, plan.timeout)
    selected = select_subnets(props.vpc, plan.subnets)
    deployment = CustomResource(
        fleet,
        "Deployment",
        service_token=provider.service_token,
        resource_type="Custom::ImmutableBlueGreenFleet",
        properties={
            "ApplicationName": fleet.application.application_name,
            # Fixed by design, spelled out so the template shows what the deployment group is.
            "DeploymentType": "BLUE_GREEN",
            "DeploymentOption": "WITH_TRAFFIC_CONTROL",
            "GreenFleetProvisioning": "COPY_AUTO_SCALING_GROUP",
            "AutoRollbackEvents": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"],
            "DeploymentGroupName": fleet.deployment_group_name,
            "ServiceRoleArn": service_role.role_arn,
            "DeploymentConfigName": fleet._deployment_config.deployment_config_name,
            "LaunchTemplateId": fleet.launch_template.launch_template_id,
            "LaunchTemplateVersion": fleet.launch_template.latest_version_number,
            "SubnetIds": selected.subnet_ids,
            "TargetGroupArn": target_group.target_group_arn,
            "TargetGroupName": target_group.target_group_name,
            "MinSize": str(plan.min_capacity),
            "MaxSize": str(plan.max_capacity),
            "DesiredCapacity": "" if props.desired_capacity is None else str(props.desired_capacity),
            "HealthCheckGracePeriod": whole_text(plan.grace_period),
            "MaxInstanceLifetime": whole_text(plan.lifetime),
            "FleetTagKey": fleet.instance_tag[0],
            "FleetTagValue": fleet.instance_tag[1],
            "AlarmNames": [alarm.alarm_name for alarm in alarms],
            "KeepBlue": "true" if props.keep_old_fleet else "false",
            "TerminationWaitMinutes": whole_text(plan.termination_wait, "minutes"),
            "ReadyWaitMinutes": (
                whole_text(props.manual_reroute_wait, "minutes") if props.manual_reroute_wait else "0"
            ),
            "RevisionBucket": revision.s3_bucket_name,
            "RevisionKey": revision.s3_object_key,
        },
    )
    # Deleted before what it uses: its permissions, the instance permissions and the network.
    deployment.node.add_dependency(
        handler_policy, service_policy, launch.agent_policy, selected.internet_connectivity_established
    )
    return deployment
