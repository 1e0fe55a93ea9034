"""BlueGreenFleet: an immutable fleet released by CodeDeploy blue/green deployments.

CloudFormation cannot create an EC2 blue/green deployment group, and CodeDeploy's
COPY_AUTO_SCALING_GROUP deletes the Auto Scaling group it copies. So ownership is split:
CloudFormation owns the launch template, IAM, the security group, the alarms and the
CodeDeploy application; one custom resource owns the deployment group and every Auto
Scaling group of the fleet. See docs/blue-green.md for the lifecycle.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Sequence
from pathlib import Path

import jsii
from aws_cdk import (
    Acknowledgment,
    Annotations,
    ArnFormat,
    CfnResource,
    CustomResource,
    Duration,
    Names,
    Stack,
    Tags,
    Validations,
)
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import custom_resources as cr
from constructs import Construct, IConstruct

from ._private.arns import instance_arn
from ._private.checkov import skip_checkov
from ._private.fleet_checks import check_fleet
from ._private.limits import alarm_description, iam_description, lambda_description
from ._private.nag import acknowledge_wildcards
from ._private.subnets import select as select_subnets
from ._private.validation import Problems, is_unresolved
from .fleet import (
    _DEFAULT_GRACE_PERIOD,
    _DEFAULT_MAX_INSTANCE_LIFETIME,
    _DEFAULT_MIN_CAPACITY,
    _DEFAULT_ROOT_DEVICE,
    _DEFAULT_ROOT_VOLUME_GIB,
    FLEET_TAG_KEY,
    FleetHealthCheck,
    _seconds,
    agent_statements,
    check_image,
    grant_volume_key,
    select_private_subnets,
)

__all__ = ["BlueGreenFleet"]


def _human(duration: Duration | None) -> str:
    return duration.to_human_string() if duration is not None else "none"


_HANDLER_DIR = Path(__file__).resolve().parent / "_handlers" / "blue_green"
_HEALTH_CHECK_SCRIPT = "/etc/immutable-constructs/health-check.sh"
_DEFAULT_TERMINATION_WAIT = Duration.minutes(5)
# CloudFormation fails a custom resource that has not answered within 1 hour with a generic timeout. The
# provider's waiter must give up first, with margin for the last poll and the response, so the operator
# sees the handler's own message (CloudFormation User Guide, "Custom resources": 1 hour limit).
_MAX_DEPLOYMENT_TIMEOUT = Duration.minutes(50)
_DEFAULT_DEPLOYMENT_TIMEOUT = _MAX_DEPLOYMENT_TIMEOUT
_MAX_ALARMS = 10  # CodeDeploy's limit per deployment group
_PROVISIONING_ALLOWANCE_MIN = 20  # green group launch + validation + reroute, before the termination wait

_APPSPEC = """version: 0.0
os: linux
hooks:
  ValidateService:
    - location: validate.sh
      timeout: 3600
      runas: root
"""
_VALIDATE = f"""#!/bin/bash
# immutable-constructs: a green instance passes validation only when its application is healthy.
# The check was written by the launch template's user data, so it is part of the image release.
# User data runs under cloud-init while the CodeDeploy agent already polls for work, so wait for
# cloud-init to finish first: otherwise this hook can run before the check exists.
set -u
# 1 when the fleet was given a health_check (two revision bundles exist: with and without one).
REQUIRE_CHECK="{{require_check}}"
if command -v cloud-init > /dev/null 2>&1; then
  cloud-init status --wait > /dev/null
  status=$?
  # 0: done; 2: done with recoverable errors. Anything else: user data failed, the instance is not ready.
  if [ "$status" -ne 0 ] && [ "$status" -ne 2 ]; then
    echo "cloud-init did not finish cleanly (status $status); see /var/log/cloud-init-output.log" >&2
    exit 1
  fi
fi
if [ -x {_HEALTH_CHECK_SCRIPT} ]; then
  exec {_HEALTH_CHECK_SCRIPT}
fi
if [ "$REQUIRE_CHECK" = "1" ]; then
  echo "a health check was configured but {_HEALTH_CHECK_SCRIPT} is missing or not executable" >&2
  exit 1
fi
echo "no health check configured for this fleet; the target group's health check decides" >&2
exit 0
"""


def validate_script(*, require_check: bool) -> str:
    """The ValidateService hook's script; ``require_check`` makes a missing health-check script a failure."""
    return _VALIDATE.replace("{require_check}", "1" if require_check else "0")


@functools.cache
def _revision_directory(require_check: bool = True) -> str:
    """A directory holding the revision bundle (appspec.yml + validate.sh); same content, same asset hash.

    Written once per process and variant: every fleet with a health check shares one bundle, every
    fleet without one the other."""
    directory = Path(tempfile.mkdtemp(prefix="immutable-constructs-revision-"))
    (directory / "appspec.yml").write_text(_APPSPEC)
    script = directory / "validate.sh"
    script.write_text(validate_script(require_check=require_check))
    script.chmod(0o755)
    return str(directory)


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

    Secure, documented defaults:

    * The launch template of :class:`ImmutableFleet`: IMDSv2 (hop limit 1), no key pair, no
      public IP, encrypted gp3 root volume, scoped Session Manager and CloudWatch agent
      policy, the fleet's own log group, a security group with ingress only from the load
      balancer. The AMI must contain the CodeDeploy agent (bake it into the image).
    * **Rollback** on deployment failure and on alarms: the target group's unhealthy host
      count (>= 1 for 3 of 3 minutes) and target 5xx count (>= 10 a minute for 2 of 2
      minutes), plus ``alarms``.
    * **Traffic**: ``deployment_config`` ``ServerDeploymentConfig.ONE_AT_A_TIME``;
      traffic moves as soon as green instances pass validation (``manual_reroute_wait``).
    * **Old fleet**: terminated ``termination_wait`` (5 minutes) after traffic moved; until
      then an alarm still rolls traffic back to it. ``keep_old_fleet`` keeps it running.
    * **Timeout**: the stack waits ``deployment_timeout`` (50 minutes: CloudFormation allows a custom
      resource 1 hour, the waiter stops first so its message reaches the stack) for a release.
    * **Regeneration**: ``max_instance_lifetime`` 14 days, launching before terminating.
    """

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
    ) -> None:
        """Create the fleet, its CodeDeploy application and the custom resource that deploys it.

        :param vpc: the VPC to launch into.
        :param machine_image: the AMI; pin it (:class:`PinnedSsmImage`) so a release is a template diff.
            It must contain the CodeDeploy agent.
        :param instance_type: the EC2 instance type.
        :param target_group: the ALB target group CodeDeploy moves between the blue and green
            fleets. It must be attached to a load balancer (the default alarms use its metrics).
        :param vpc_subnets: where to launch. Default: private subnets with egress, else isolated ones.
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
        :param imds_hop_limit: IMDSv2 hop limit, 1-64. Default: 1.
        :param root_volume_size: GiB. Default: 20.
        :param root_device_name: Default: ``/dev/xvda``.
        :param volume_key: KMS key for the root volume. Default: the account's EBS key.
        :param role: an existing instance role. Default: a new one.
        :param security_group: an existing security group. Default: a new one with no ingress
            but from the load balancer.
        :param user_data: user data to start from. Default: empty Linux user data.
        :param log_retention: retention of the fleet's log group. Default: one month.
        """
        super().__init__(scope, id)
        problems = check_fleet(
            self,
            durations=(
                "termination_wait",
                "manual_reroute_wait",
                "deployment_timeout",
                "max_instance_lifetime",
                "health_check_grace_period",
            ),
            flags=("keep_old_fleet",),
            vpc=vpc,
            machine_image=machine_image,
            instance_type=instance_type,
            target_group=target_group,
            vpc_subnets=vpc_subnets,
            min_capacity=min_capacity,
            max_capacity=max_capacity,
            desired_capacity=desired_capacity,
            health_check=health_check,
            deployment_config=deployment_config,
            termination_wait=termination_wait,
            keep_old_fleet=keep_old_fleet,
            manual_reroute_wait=manual_reroute_wait,
            alarms=alarms,
            deployment_timeout=deployment_timeout,
            application=application,
            max_instance_lifetime=max_instance_lifetime,
            health_check_grace_period=health_check_grace_period,
            imds_hop_limit=imds_hop_limit,
            root_volume_size=root_volume_size,
            root_device_name=root_device_name,
            volume_key=volume_key,
            role=role,
            security_group=security_group,
            user_data=user_data,
            log_retention=log_retention,
        )
        min_cap = _DEFAULT_MIN_CAPACITY if min_capacity is None else min_capacity
        max_cap = max_capacity if max_capacity is not None else 2 * max(min_cap, desired_capacity or 0)
        termination_wait = termination_wait if termination_wait is not None else _DEFAULT_TERMINATION_WAIT
        timeout = deployment_timeout or _DEFAULT_DEPLOYMENT_TIMEOUT
        lifetime = max_instance_lifetime or _DEFAULT_MAX_INSTANCE_LIFETIME
        grace = health_check_grace_period or _DEFAULT_GRACE_PERIOD
        hop_limit = 1 if imds_hop_limit is None else imds_hop_limit
        extra_alarms = list(alarms or ())

        self._validate(
            problems,
            min_cap=min_cap,
            max_cap=max_cap,
            desired=desired_capacity,
            termination_wait=termination_wait,
            keep_old_fleet=bool(keep_old_fleet),
            manual_reroute_wait=manual_reroute_wait,
            timeout=timeout,
            lifetime=lifetime,
            grace=grace,
            hop_limit=hop_limit,
            alarm_count=len(extra_alarms),
            health_check=health_check,
        )
        subnets = select_private_subnets(problems, vpc, vpc_subnets)
        image_config = check_image(self, problems, machine_image)
        problems.raise_if_any()
        assert subnets is not None

        stack = Stack.of(self)
        self.instance_tag: tuple[str, str] = (FLEET_TAG_KEY, Names.unique_id(self)[-255:])
        """(key, value) of the tag every instance carries; used to scope Session Manager access."""

        # -- what CloudFormation owns: log group, role, security group, launch template ----------
        self.log_group = logs.LogGroup(self, "LogGroup", retention=log_retention or logs.RetentionDays.ONE_MONTH)
        self.role: iam.IRole = role or iam.Role(
            self,
            "InstanceRole",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            description=iam_description(f"Instance role of the blue/green fleet {self.node.path}"),
        )
        revision = s3_assets.Asset(self, "Revision", path=_revision_directory(health_check is not None))
        agent_policy = iam.Policy(
            self,
            "AgentPolicy",
            statements=[
                *agent_statements(stack, self.log_group),
                iam.PolicyStatement(
                    sid="CodeDeployAgentRevision",
                    actions=["s3:GetObject"],
                    resources=[revision.bucket.arn_for_objects(revision.s3_object_key)],
                ),
            ],
        )
        agent_policy.attach_to_role(self.role)
        acknowledge_wildcards(
            agent_policy,
            {
                "*": "ssmmessages channel actions and ec2:DescribeTags/DescribeVolumes support no resource-level "
                "permissions; cloudwatch:PutMetricData is limited to the CWAgent namespace by condition.",
                instance_arn(stack): "ssm:UpdateInstanceInformation is scoped to this account's instances: "
                "the instance ids of an Auto Scaling group are not known in advance.",
                f"{self.log_group.log_group_arn}:*": "the CloudWatch agent writes to log streams it creates in the "
                "fleet's own log group, whose names are not known in advance.",
            },
        )

        self.security_group = security_group or ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="Blue/green fleet: ingress only from the load balancer; use Session Manager",
            allow_all_outbound=True,
        )
        self._connections = ec2.Connections(security_groups=[self.security_group])
        target_group.register_connectable(self)

        self.user_data: ec2.UserData = user_data or image_config.user_data or ec2.UserData.for_linux()
        """The fleet's user data; it ends by installing the health check the revision's ValidateService runs."""
        if health_check is not None:
            script = "\n".join(["#!/bin/bash", *health_check.render(), "exit 0"])
            self.user_data.add_commands(
                "# immutable-constructs: the health check CodeDeploy's ValidateService hook runs",
                f"mkdir -p {Path(_HEALTH_CHECK_SCRIPT).parent}",
                f"cat > {_HEALTH_CHECK_SCRIPT} <<'IMMUTABLE_CONSTRUCTS_EOF'\n{script}\nIMMUTABLE_CONSTRUCTS_EOF",
                f"chmod 0755 {_HEALTH_CHECK_SCRIPT}",
            )
        else:
            Annotations.of(self).add_warning_v2(
                "immutable-constructs:blueGreenWithoutHealthCheck",
                "No health_check: CodeDeploy's ValidateService hook passes at once, so only the target group's "
                "health check and the alarms judge a release. Pass health_check=FleetHealthCheck.http(...).",
            )

        if volume_key is not None:
            # EC2 Auto Scaling launches with its service-linked role, which must be able to use the key
            # (EC2 Auto Scaling User Guide, "Required AWS KMS key policy for use with encrypted volumes").
            grant_volume_key(self, volume_key)
        self.launch_template = ec2.LaunchTemplate(
            self,
            "LaunchTemplate",
            machine_image=machine_image,
            instance_type=instance_type,
            role=self.role,
            security_group=self.security_group,
            user_data=self.user_data,
            require_imdsv2=True,
            http_tokens=ec2.LaunchTemplateHttpTokens.REQUIRED,
            http_put_response_hop_limit=hop_limit,
            http_endpoint=True,
            associate_public_ip_address=False,
            detailed_monitoring=True,
            block_devices=[
                ec2.BlockDevice(
                    device_name=root_device_name or _DEFAULT_ROOT_DEVICE,
                    volume=ec2.BlockDeviceVolume.ebs(
                        _DEFAULT_ROOT_VOLUME_GIB if root_volume_size is None else root_volume_size,
                        encrypted=True,
                        kms_key=volume_key,
                        volume_type=ec2.EbsDeviceVolumeType.GP3,
                        delete_on_termination=True,
                    ),
                )
            ],
        )

        # Instances carry the fleet tag (and any tag added to the fleet, e.g. Session Manager's access
        # tag) from the launch template itself, whichever Auto Scaling group launches them.
        Tags.of(self.launch_template).add(self.instance_tag[0], self.instance_tag[1])

        # -- alarms that roll a deployment back -------------------------------------------------
        self.unhealthy_hosts_alarm = cloudwatch.Alarm(
            self,
            "UnhealthyHostsAlarm",
            alarm_description=alarm_description(
                f"{self.node.path}: a target of the fleet is unhealthy; rolls a release back"
            ),
            metric=target_group.metrics.unhealthy_host_count(period=Duration.minutes(1), statistic="Maximum"),
            threshold=1,
            evaluation_periods=3,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.server_errors_alarm = cloudwatch.Alarm(
            self,
            "ServerErrorsAlarm",
            alarm_description=alarm_description(f"{self.node.path}: the fleet answers 5xx; rolls a release back"),
            metric=target_group.metrics.http_code_target(
                elbv2.HttpCodeTarget.TARGET_5XX_COUNT, period=Duration.minutes(1), statistic="Sum"
            ),
            threshold=10,
            evaluation_periods=2,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        all_alarms = [self.unhealthy_hosts_alarm, self.server_errors_alarm, *extra_alarms]

        # -- CodeDeploy: the application (CloudFormation) and its service role ------------------
        self._deployment_config = deployment_config or codedeploy.ServerDeploymentConfig.ONE_AT_A_TIME
        self.application = application or codedeploy.ServerApplication(self, "Application")
        self.deployment_group_name = Names.unique_resource_name(self, max_length=80, separator="-")
        service_role = iam.Role(
            self,
            "CodeDeployRole",
            assumed_by=iam.ServicePrincipal("codedeploy.amazonaws.com"),
            description=iam_description(f"CodeDeploy service role of the blue/green fleet {self.node.path}"),
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AWSCodeDeployRole")],
        )
        Validations.of(service_role).acknowledge(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AWSCodeDeployRole]",
                reason="AWSCodeDeployRole is the service role policy CodeDeploy documents for EC2 blue/green; "
                "it manages Auto Scaling groups, lifecycle hooks and target registration CodeDeploy names itself.",
            )
        )
        launch_resources = self._launch_resources(stack)
        service_policy = iam.Policy(
            self,
            "CodeDeployLaunchPolicy",
            statements=[
                iam.PolicyStatement(
                    sid="LaunchGreenFleetFromTemplate",
                    actions=["ec2:RunInstances", "ec2:CreateTags"],
                    resources=launch_resources,
                ),
                iam.PolicyStatement(sid="PassInstanceRole", actions=["iam:PassRole"], resources=[self.role.role_arn]),
            ],
        )
        service_policy.attach_to_role(service_role)
        self._acknowledge_launch(service_policy, stack, "CodeDeploy launches the green group's instances")

        # -- the custom resource that owns the deployment group and every Auto Scaling group ----
        handler_role = iam.Role(
            self,
            "HandlerRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=iam_description(f"Deploys the blue/green fleet {self.node.path}"),
        )
        handler_log_group = logs.LogGroup(self, "HandlerLogs", retention=logs.RetentionDays.ONE_MONTH)
        handler_policy = iam.Policy(
            self, "HandlerPolicy", statements=self._handler_statements(stack, service_role, handler_log_group)
        )
        handler_policy.attach_to_role(handler_role)
        self._acknowledge_launch(handler_policy, stack, "the handler creates the first Auto Scaling group")
        acknowledge_wildcards(
            handler_policy,
            {
                "*": "autoscaling:DescribeAutoScalingGroups/DescribeScalingActivities and "
                "elasticloadbalancing:DescribeTargetHealth support no resource-level permissions.",
                self._group_arn(stack, f"{self.deployment_group_name}-*"): "the fleet's first Auto Scaling group "
                "is named after the deployment group; its ARN contains a generated UUID.",
                self._group_arn(stack, f"CodeDeploy_{self.deployment_group_name}_*"): "CodeDeploy names each "
                "green Auto Scaling group after the deployment group and the deployment id it creates.",
                f"{handler_log_group.log_group_arn}:*": "the handler writes log streams Lambda names at run time "
                "into its own log group.",
            },
        )
        code = lambda_.Code.from_asset(str(_HANDLER_DIR), exclude=["__pycache__", "*.pyc"])

        def handler(name: str, entry: str) -> lambda_.Function:
            return lambda_.Function(
                self,
                name,
                runtime=lambda_.Runtime.PYTHON_3_14,
                handler=f"index.{entry}",
                code=code,
                role=handler_role,
                timeout=Duration.minutes(5),
                memory_size=256,
                log_group=handler_log_group,
                description=lambda_description(f"blue/green fleet {self.node.path}: {entry}"),
            )

        on_event = handler("OnEvent", "on_event")
        is_complete = handler("IsComplete", "is_complete")
        for fn in (on_event, is_complete):
            fn.node.add_dependency(handler_policy)
        provider = cr.Provider(
            self,
            "Provider",
            on_event_handler=on_event,
            is_complete_handler=is_complete,
            query_interval=Duration.seconds(30),
            total_timeout=timeout,
            log_group=logs.LogGroup(self, "ProviderLogs", retention=logs.RetentionDays.ONE_MONTH),
            disable_waiter_state_machine_logging=False,
            waiter_state_machine_log_options=cr.LogOptions(
                destination=logs.LogGroup(self, "WaiterLogs", retention=logs.RetentionDays.ONE_MONTH),
                level=sfn.LogLevel.ALL,
                include_execution_data=False,
            ),
        )
        self._acknowledge_provider(provider, [on_event, is_complete])
        self._depend_only_on_policies(provider, [on_event, is_complete], handler_policy)

        selected = select_subnets(vpc, subnets)
        self.deployment = CustomResource(
            self,
            "Deployment",
            service_token=provider.service_token,
            resource_type="Custom::ImmutableBlueGreenFleet",
            properties={
                "ApplicationName": self.application.application_name,
                # Fixed by design, spelled out so the template shows what the deployment group is.
                "DeploymentType": "BLUE_GREEN",
                "DeploymentOption": "WITH_TRAFFIC_CONTROL",
                "GreenFleetProvisioning": "COPY_AUTO_SCALING_GROUP",
                "AutoRollbackEvents": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"],
                "DeploymentGroupName": self.deployment_group_name,
                "ServiceRoleArn": service_role.role_arn,
                "DeploymentConfigName": self._deployment_config.deployment_config_name,
                "LaunchTemplateId": self.launch_template.launch_template_id,
                "LaunchTemplateVersion": self.launch_template.latest_version_number,
                "SubnetIds": selected.subnet_ids,
                "TargetGroupArn": target_group.target_group_arn,
                "TargetGroupName": target_group.target_group_name,
                "MinSize": str(min_cap),
                "MaxSize": str(max_cap),
                "DesiredCapacity": "" if desired_capacity is None else str(desired_capacity),
                "HealthCheckGracePeriod": str(int(grace.to_seconds())),
                "MaxInstanceLifetime": str(int(lifetime.to_seconds())),
                "FleetTagKey": self.instance_tag[0],
                "FleetTagValue": self.instance_tag[1],
                "AlarmNames": [alarm.alarm_name for alarm in all_alarms],
                "KeepBlue": "true" if keep_old_fleet else "false",
                "TerminationWaitMinutes": str(int(termination_wait.to_minutes())),
                "ReadyWaitMinutes": str(int(manual_reroute_wait.to_minutes())) if manual_reroute_wait else "0",
                "RevisionBucket": revision.s3_bucket_name,
                "RevisionKey": revision.s3_object_key,
            },
        )
        # Deleted before what it uses: its permissions, the instance permissions and the network.
        self.deployment.node.add_dependency(
            handler_policy, service_policy, agent_policy, selected.internet_connectivity_established
        )

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

    # -- helpers ------------------------------------------------------------------

    @staticmethod
    def _group_arn(stack: Stack, name: str) -> str:
        return stack.format_arn(
            service="autoscaling",
            resource="autoScalingGroup",
            resource_name=f"*:autoScalingGroupName/{name}",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )

    def _launch_resources(self, stack: Stack) -> list[str]:
        """What ``RunInstances`` from this fleet's launch template touches; AMIs and network ids vary by release."""
        ec2_arn = f"arn:{stack.partition}:ec2:{stack.region}:{stack.account}"
        return [
            f"{ec2_arn}:launch-template/{self.launch_template.launch_template_id}",
            f"{ec2_arn}:instance/*",
            f"{ec2_arn}:volume/*",
            f"{ec2_arn}:network-interface/*",
            f"{ec2_arn}:subnet/*",
            f"{ec2_arn}:security-group/*",
            f"arn:{stack.partition}:ec2:{stack.region}::image/*",
        ]

    def _acknowledge_launch(self, policy: iam.Policy, stack: Stack, who: str) -> None:
        ec2_arn = f"arn:{stack.partition}:ec2:{stack.region}:{stack.account}"
        reason = (
            f"{who} with ec2:RunInstances from this fleet's launch template; RunInstances also authorizes the "
            "instances, volumes and network interfaces it creates (unknown ids), the subnet, security group and "
            "AMI (which changes with every release)."
        )
        acknowledge_wildcards(
            policy,
            {
                f"{ec2_arn}:instance/*": reason,
                f"{ec2_arn}:volume/*": reason,
                f"{ec2_arn}:network-interface/*": reason,
                f"{ec2_arn}:subnet/*": reason,
                f"{ec2_arn}:security-group/*": reason,
                f"arn:{stack.partition}:ec2:{stack.region}::image/*": reason,
            },
        )

    def _handler_statements(
        self, stack: Stack, service_role: iam.IRole, log_group: logs.ILogGroup
    ) -> list[iam.PolicyStatement]:
        app = self.application.application_name
        group = self.deployment_group_name
        deployment_group_arn = stack.format_arn(
            service="codedeploy",
            resource="deploymentgroup",
            resource_name=f"{app}/{group}",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        return [
            iam.PolicyStatement(
                sid="OwnTheDeploymentGroup",
                actions=[
                    "codedeploy:CreateDeploymentGroup",
                    "codedeploy:UpdateDeploymentGroup",
                    "codedeploy:DeleteDeploymentGroup",
                    "codedeploy:GetDeploymentGroup",
                    "codedeploy:CreateDeployment",
                    "codedeploy:GetDeployment",
                    "codedeploy:ListDeployments",
                    "codedeploy:StopDeployment",
                ],
                resources=[deployment_group_arn],
            ),
            iam.PolicyStatement(
                sid="DeployRevisions",
                actions=["codedeploy:GetApplicationRevision", "codedeploy:RegisterApplicationRevision"],
                resources=[
                    stack.format_arn(
                        service="codedeploy",
                        resource="application",
                        resource_name=app,
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    )
                ],
            ),
            iam.PolicyStatement(
                sid="ReadDeploymentConfigs",
                actions=["codedeploy:GetDeploymentConfig"],
                resources=[
                    stack.format_arn(
                        service="codedeploy",
                        resource="deploymentconfig",
                        resource_name=self._deployment_config.deployment_config_name,
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    )
                ],
            ),
            iam.PolicyStatement(
                sid="OwnTheFleetGroups",
                actions=[
                    "autoscaling:CreateAutoScalingGroup",
                    "autoscaling:UpdateAutoScalingGroup",
                    "autoscaling:DeleteAutoScalingGroup",
                    "autoscaling:CreateOrUpdateTags",
                    "autoscaling:EnableMetricsCollection",
                ],
                resources=[
                    self._group_arn(stack, f"{group}-*"),
                    self._group_arn(stack, f"CodeDeploy_{group}_*"),
                ],
            ),
            iam.PolicyStatement(
                sid="ReadFleetState",
                actions=[
                    "autoscaling:DescribeAutoScalingGroups",
                    "autoscaling:DescribeScalingActivities",
                    "elasticloadbalancing:DescribeTargetHealth",
                ],
                resources=["*"],
            ),
            iam.PolicyStatement(
                sid="LaunchFirstGroupFromTemplate",
                actions=["ec2:RunInstances", "ec2:CreateTags"],
                resources=self._launch_resources(stack),
            ),
            iam.PolicyStatement(
                sid="PassRoles",
                actions=["iam:PassRole"],
                resources=[self.role.role_arn, service_role.role_arn],
            ),
            iam.PolicyStatement(
                sid="AutoScalingServiceLinkedRole",
                actions=["iam:CreateServiceLinkedRole"],
                resources=[
                    f"arn:{stack.partition}:iam::{stack.account}:role/aws-service-role/autoscaling.amazonaws.com/"
                    "AWSServiceRoleForAutoScaling"
                ],
                conditions={"StringEquals": {"iam:AWSServiceName": "autoscaling.amazonaws.com"}},
            ),
            iam.PolicyStatement(
                sid="Logs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[log_group.log_group_arn, f"{log_group.log_group_arn}:*"],
            ),
        ]

    def _acknowledge_provider(self, provider: cr.Provider, handlers: Sequence[lambda_.IFunction]) -> None:
        """The CDK Provider framework's own roles and state machine are not configurable here."""
        invoke = (
            "the CDK Provider framework invokes this function by ARN with any version or alias suffix "
            "(lambda:InvokeFunction on <arn>:*); the framework writes this policy itself."
        )
        framework = [
            fn
            for fn in provider.node.find_all()
            if isinstance(fn, lambda_.Function) and fn.node.id in ("framework-isComplete", "framework-onTimeout")
        ]
        reasons = {f"{fn.function_arn}:*": invoke for fn in [*handlers, *framework]}
        reasons["*"] = (
            "the waiter state machine's log delivery (logs:CreateLogDelivery, PutResourcePolicy and the like) "
            "and X-Ray tracing (xray:PutTraceSegments and the like) support no resource-level permissions."
        )
        acknowledge_wildcards(provider, reasons)
        # Trace the waiter state machine (AwsSolutions-SF2) rather than acknowledge it.
        waiter = provider.node.find_child("waiter-state-machine")
        cfn_machine = waiter.node.default_child
        assert isinstance(cfn_machine, sfn.CfnStateMachine)
        cfn_machine.tracing_configuration = sfn.CfnStateMachine.TracingConfigurationProperty(enabled=True)
        waiter_role = waiter.node.find_child("Role")
        assert isinstance(waiter_role, iam.Role)
        waiter_role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=[
                    "xray:PutTraceSegments",
                    "xray:PutTelemetryRecords",
                    "xray:GetSamplingRules",
                    "xray:GetSamplingTargets",
                ],
                resources=["*"],
            )
        )
        waiter_policy = waiter_role.node.try_find_child("DefaultPolicy")
        if waiter_policy is not None and isinstance(waiter_policy.node.default_child, CfnResource):
            skip_checkov(
                waiter_policy.node.default_child,
                "CKV_AWS_111",
                "Step Functions log delivery (logs:CreateLogDelivery and the like) and X-Ray tracing support no "
                "resource-level permissions.",
            )
        for fn in [*handlers, *(c for c in provider.node.find_all() if isinstance(c, lambda_.Function))]:
            if isinstance(fn.node.default_child, CfnResource):
                skip_checkov(
                    fn.node.default_child,
                    "CKV_AWS_116",
                    "Part of a CloudFormation custom resource: the Provider framework reports every failure to "
                    "CloudFormation (the stack update fails and rolls back); a dead-letter queue would hold events "
                    "nobody can answer any more.",
                )
        Validations.of(provider).acknowledge(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AWSLambdaBasicExecutionRole]",
                reason="The CDK Provider framework's own functions use AWSLambdaBasicExecutionRole to write their "
                "logs; the framework creates these roles itself.",
            )
        )

    @staticmethod
    def _depend_only_on_policies(
        provider: cr.Provider, handlers: Sequence[lambda_.Function], handler_policy: iam.Policy
    ) -> None:
        """Drop the DependsOn on a role that a function (or state machine) already references by GetAtt.

        CDK adds both; cfn-lint flags the role one (W3005). Each keeps its DependsOn on the policy,
        which no property references and which must exist before the function runs.
        """
        pairs: list[tuple[IConstruct, IConstruct]] = [(fn, handler_policy) for fn in handlers]
        for child in provider.node.find_all():
            role = child.node.try_find_child("ServiceRole") or child.node.try_find_child("Role")
            policy = role.node.try_find_child("DefaultPolicy") if role is not None else None
            if policy is not None and (isinstance(child, lambda_.Function) or child.node.id == "waiter-state-machine"):
                pairs.append((child, policy))
        for construct, policy in pairs:
            cfn = construct.node.default_child
            policy_cfn = policy.node.default_child
            if isinstance(cfn, CfnResource) and isinstance(policy_cfn, CfnResource):
                cfn.add_override("DependsOn", [Stack.of(cfn).get_logical_id(policy_cfn)])

    @staticmethod
    def _validate(
        problems: Problems,
        *,
        min_cap: int,
        max_cap: int,
        desired: int | None,
        termination_wait: Duration,
        keep_old_fleet: bool,
        manual_reroute_wait: Duration | None,
        timeout: Duration,
        lifetime: Duration,
        grace: Duration,
        hop_limit: int,
        alarm_count: int,
        health_check: FleetHealthCheck | None,
    ) -> None:
        problems.require(
            is_unresolved(min_cap) or (isinstance(min_cap, int) and min_cap >= 1),
            "min_capacity",
            min_cap,
            "must be at least 1 (CodeDeploy needs instances to validate)",
            "use 1 or more",
        )
        problems.require(
            min_cap <= max_cap and (desired is None or min_cap <= desired <= max_cap),
            "max_capacity",
            max_cap,
            f"does not satisfy min_capacity ({min_cap}) <= desired_capacity ({desired}) <= max_capacity",
            "keep min_capacity <= desired_capacity <= max_capacity",
            depends_on=(min_cap, desired or 0),
        )
        timeout_s = _seconds(timeout)
        if timeout_s is not None:
            problems.require(
                300 <= timeout_s <= _MAX_DEPLOYMENT_TIMEOUT.to_seconds(),
                "deployment_timeout",
                timeout.to_human_string(),
                "must be from 5 to 50 minutes (CloudFormation gives a custom resource at most 1 hour; the "
                "waiter stops 10 minutes earlier so its own error message reaches the stack events)",
                "use at most Duration.minutes(50)",
            )
        wait_s = _seconds(termination_wait)
        if wait_s is not None:
            problems.require(
                0 <= wait_s <= 2 * 86400 and wait_s % 60 == 0,
                "termination_wait",
                termination_wait.to_human_string(),
                "must be whole minutes from 0 to 2 days (CodeDeploy's limit)",
                "e.g. Duration.minutes(5)",
            )
            if timeout_s is not None and not keep_old_fleet:
                problems.require(
                    wait_s + _PROVISIONING_ALLOWANCE_MIN * 60 <= timeout_s,
                    "termination_wait",
                    termination_wait.to_human_string(),
                    f"plus {_PROVISIONING_ALLOWANCE_MIN} minutes to launch and validate the green fleet exceeds "
                    f"deployment_timeout ({timeout.to_human_string()}), so the stack would fail every release",
                    "shorten termination_wait, or keep_old_fleet=True to end the deployment when traffic has moved",
                )
        if manual_reroute_wait is not None:
            ready_s = _seconds(manual_reroute_wait)
            if ready_s is not None:
                problems.require(
                    60 <= ready_s <= 2 * 86400 and ready_s % 60 == 0,
                    "manual_reroute_wait",
                    manual_reroute_wait.to_human_string(),
                    "must be whole minutes from 1 minute to 2 days (CodeDeploy's limit)",
                    "e.g. Duration.minutes(15), or leave it unset to move traffic automatically",
                )
                if timeout_s is not None:
                    problems.require(
                        ready_s + _PROVISIONING_ALLOWANCE_MIN * 60 <= timeout_s,
                        "manual_reroute_wait",
                        manual_reroute_wait.to_human_string(),
                        f"plus {_PROVISIONING_ALLOWANCE_MIN} minutes exceeds deployment_timeout "
                        f"({timeout.to_human_string()})",
                        "shorten it so an operator's approval fits in the stack update",
                    )
        ready_total = _seconds(manual_reroute_wait) if manual_reroute_wait is not None else 0
        if timeout_s is not None and wait_s is not None and ready_total is not None and not keep_old_fleet:
            # One deployment runs both waits in sequence: launch and validate green, wait for the operator
            # to reroute, move traffic, wait before terminating blue. All of it must fit in the waiter.
            total_s = _PROVISIONING_ALLOWANCE_MIN * 60 + ready_total + wait_s
            problems.require(
                ready_total == 0 or wait_s == 0 or total_s <= timeout_s,
                "termination_wait",
                termination_wait.to_human_string(),
                f"plus manual_reroute_wait ({_human(manual_reroute_wait)}) plus {_PROVISIONING_ALLOWANCE_MIN} "
                f"minutes to launch and validate the green fleet is {int(total_s // 60)} minutes, more than "
                f"deployment_timeout ({timeout.to_human_string()}); CloudFormation gives a custom resource at "
                "most 1 hour",
                "shorten termination_wait or manual_reroute_wait, or keep_old_fleet=True",
            )
        for prop, value, low, high, reason in (
            ("max_instance_lifetime", lifetime, 86400, 365 * 86400, "must be from 1 day to 365 days"),
            ("health_check_grace_period", grace, 0, 7200, "must be from 0 to 2 hours"),
        ):
            seconds = _seconds(value)
            if seconds is not None:
                problems.require(low <= seconds <= high, prop, value.to_human_string(), reason, "see the docstring")
        problems.require(
            alarm_count + 2 <= _MAX_ALARMS,
            "alarms",
            f"{alarm_count} alarms",
            f"plus the 2 default alarms exceed CodeDeploy's limit of {_MAX_ALARMS} per deployment group",
            "combine alarms with a CompositeAlarm",
        )
        if health_check is not None:
            hc_s = _seconds(health_check.timeout)
            problems.require(
                hc_s is None or 0 < hc_s < 3600,
                "health_check.timeout",
                health_check.timeout.to_human_string(),
                "must be shorter than 1 hour, the ValidateService hook's timeout",
                "lower the health check timeout",
            )
