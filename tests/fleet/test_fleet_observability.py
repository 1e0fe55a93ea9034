"""Logs and metrics from every host, read off the synthesized templates.

The CloudWatch agent configuration each fleet writes to SSM (parsed as the agent would read it),
the user data that starts the agent from it, the instance role's permissions, the standard alarms
and their use in rollbacks, the opt-in dashboard, the validation of the new props, and the golden
image pipeline's agent component.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk.assertions import Annotations, Match

from immutable_constructs import (
    AmiCatalog,
    BlueGreenFleet,
    FleetAlarmOptions,
    FleetHealthCheck,
    FleetUpdate,
    GoldenImagePipeline,
    ImageComponent,
    ImmutableFleet,
    ParentImage,
    PinnedSsmImage,
    ValidationError,
)
from immutable_constructs.fleet._agent import AGENT_CTL, CODEDEPLOY_LOGS, SYSTEM_LOGS

from ..conftest import only, resources_of, template_json

IMAGE = PinnedSsmImage("/images/web/stable", version=17)
T3 = ec2.InstanceType("t3.small")
NGINX = ["/var/log/nginx/access.log", "/var/log/nginx/error.log"]


def network(stack: Stack) -> tuple[ec2.Vpc, elbv2.ApplicationTargetGroup]:
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    alb = elbv2.ApplicationLoadBalancer(stack, "Alb", vpc=vpc)
    target_group = alb.add_listener("Http", port=80, open=False).add_targets(
        "Web", port=8080, protocol=elbv2.ApplicationProtocol.HTTP
    )
    return vpc, target_group


def rendered(value: Any) -> str:
    """A string property with its intrinsics rendered as <Ref:Id> or <...> (``Fn::Join`` parts concatenated)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return f"<Ref:{value['Ref']}>"
    if isinstance(value, dict) and "Fn::Join" in value:
        return "".join(rendered(p) for p in value["Fn::Join"][1])
    return "<" + json.dumps(value, sort_keys=True) + ">"


def agent_config(template: dict[str, Any], fleet: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the parameter resource, its value parsed as JSON, the log group reference as "<{...}>")."""
    parameter = only(template, "AWS::SSM::Parameter", f"{fleet}AgentConfig")
    return parameter, json.loads(rendered(parameter["Properties"]["Value"]))


def user_data(template: dict[str, Any], fleet: str) -> str:
    launch_template = only(template, "AWS::EC2::LaunchTemplate", f"{fleet}LaunchTemplate")
    return rendered(launch_template["Properties"]["LaunchTemplateData"]["UserData"]["Fn::Base64"])


def statements(template: dict[str, Any], fleet: str) -> dict[str, dict[str, Any]]:
    policy = only(template, "AWS::IAM::Policy", f"{fleet}AgentPolicy")
    return {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}


def alarms(template: dict[str, Any], fleet: str) -> dict[str, dict[str, Any]]:
    return {
        k: v["Properties"] for k, v in resources_of(template, "AWS::CloudWatch::Alarm").items() if k.startswith(fleet)
    }


def alarm(template: dict[str, Any], fleet: str, name: str) -> dict[str, Any]:
    (found,) = [v for k, v in alarms(template, fleet).items() if k.startswith(f"{fleet}{name}")]
    return found


@pytest.fixture(scope="module")
def synth() -> dict[str, Any]:
    stack = Stack(App(), "Hosts")
    vpc, target_group = network(stack)
    own = cloudwatch.Alarm(
        stack, "Latency", metric=target_group.metrics.target_response_time(), threshold=1, evaluation_periods=1
    )
    api_vpc_tg = elbv2.ApplicationTargetGroup(
        stack, "ApiTg", vpc=vpc, port=8081, protocol=elbv2.ApplicationProtocol.HTTP
    )
    api_vpc_tg_listener = elbv2.ApplicationLoadBalancer(stack, "ApiAlb", vpc=vpc).add_listener(
        "Http", port=80, open=False
    )
    api_vpc_tg_listener.add_target_groups("Api", target_groups=[api_vpc_tg])
    fleets = {
        "Web": ImmutableFleet(
            stack,
            "Web",
            vpc=vpc,
            machine_image=IMAGE,
            instance_type=T3,
            target_groups=[target_group],
            health_check=FleetHealthCheck.http("http://localhost:8080/health"),
            log_paths=NGINX,
            dashboard=True,
        ),
        "Plain": ImmutableFleet(stack, "Plain", vpc=vpc, machine_image=IMAGE, instance_type=T3),
        "Refresh": ImmutableFleet(
            stack,
            "Refresh",
            vpc=vpc,
            machine_image=IMAGE,
            instance_type=T3,
            target_groups=[target_group],
            update=FleetUpdate.instance_refresh(alarms=[own]),
            metrics_namespace="Shop/Web",
            alarm_options=FleetAlarmOptions(cpu_percent=75, cpu_minutes=3, agent_silent_minutes=10),
        ),
        "Quiet": ImmutableFleet(
            stack,
            "Quiet",
            vpc=vpc,
            machine_image=IMAGE,
            instance_type=T3,
            target_groups=[target_group],
            update=FleetUpdate.instance_refresh(),
            alarm_options=FleetAlarmOptions(rollback=False),
        ),
        "Api": BlueGreenFleet(
            stack,
            "Api",
            vpc=vpc,
            machine_image=IMAGE,
            instance_type=T3,
            target_group=api_vpc_tg,
            log_paths=["/var/log/api/*.log"],
        ),
    }
    return {"stack": stack, "json": template_json(stack), "fleets": fleets, "own": own}


# -- 1. the agent configuration ---------------------------------------------------------------


def test_the_agent_configuration_ships_system_and_application_logs_to_the_fleet_log_group(
    synth: dict[str, Any],
) -> None:
    parameter, config = agent_config(synth["json"], "Web")
    assert parameter["Properties"]["Type"] == "String"
    assert parameter["Properties"]["Tier"] == "Standard"
    collect = config["logs"]["logs_collected"]["files"]["collect_list"]
    assert [c["file_path"] for c in collect] == [*SYSTEM_LOGS, *NGINX]
    assert "/var/log/cloud-init-output.log" in SYSTEM_LOGS and "/var/log/amazon/ssm/amazon-ssm-agent.log" in SYSTEM_LOGS
    (log_group_id,) = resources_of(synth["json"], "AWS::Logs::LogGroup", "WebLogGroup")
    for entry in collect:
        assert entry["log_group_name"] == f"<Ref:{log_group_id}>"
        # One stream per instance and file.
        assert entry["log_stream_name"] == "{instance_id}" + entry["file_path"]


def test_the_agent_configuration_puts_memory_disk_and_cpu_into_the_fleet_namespace(synth: dict[str, Any]) -> None:
    _, config = agent_config(synth["json"], "Web")
    metrics = config["metrics"]
    assert metrics["namespace"] == synth["fleets"]["Web"].metrics_namespace
    assert metrics["namespace"].startswith("ImmutableConstructs/HostsWeb")
    assert metrics["aggregation_dimensions"] == [[]], "the fleet-wide series the alarms read"
    collected = metrics["metrics_collected"]
    assert collected["mem"]["measurement"] == ["mem_used_percent"]
    assert collected["disk"]["measurement"] == ["used_percent"] and collected["disk"]["resources"] == ["/"]
    assert collected["cpu"]["measurement"] == ["usage_active"]
    _, refresh = agent_config(synth["json"], "Refresh")
    assert refresh["metrics"]["namespace"] == "Shop/Web"


def test_a_blue_green_fleet_also_ships_the_codedeploy_agent_logs(synth: dict[str, Any]) -> None:
    _, config = agent_config(synth["json"], "Api")
    paths = [c["file_path"] for c in config["logs"]["logs_collected"]["files"]["collect_list"]]
    assert paths == [*SYSTEM_LOGS, *CODEDEPLOY_LOGS, "/var/log/api/*.log"]
    assert (
        config["logs"]["logs_collected"]["files"]["collect_list"][-1]["log_stream_name"]
        == "{instance_id}/var/log/api/_.log"
    )


def test_user_data_starts_the_agent_from_the_parameter_and_fails_the_boot_without_it(synth: dict[str, Any]) -> None:
    for fleet in ("Web", "Plain", "Api"):
        (parameter_id,) = resources_of(synth["json"], "AWS::SSM::Parameter", f"{fleet}AgentConfig")
        text = user_data(synth["json"], fleet)
        start = f"{AGENT_CTL} -a fetch-config -m ec2 -s -c ssm:<Ref:{parameter_id}>"
        assert start in text, fleet
        line = next(line for line in text.splitlines() if line.startswith(start))
        assert line.endswith("exit 1; }"), "a failed start fails the boot"
        assert f"if [ ! -x {AGENT_CTL} ]; then" in text
        missing = text.index(f"if [ ! -x {AGENT_CTL} ]; then")
        assert "exit 1" in text[missing : text.index(start)], "a missing agent fails the boot"
    web = user_data(synth["json"], "Web")
    # ImmutableFleet: the exit trap signals the failure, and the agent starts before the health check.
    assert "trap exitTrap EXIT" in web
    assert web.index("fetch-config") < web.index("http://localhost:8080/health")


def test_a_changed_agent_configuration_changes_the_user_data(synth: dict[str, Any]) -> None:
    def hash_line(fleet: str) -> str:
        return next(line for line in user_data(synth["json"], fleet).splitlines() if "configuration sha256" in line)

    # Web and Plain differ in log paths only (and the log group they reference).
    assert hash_line("Web") != hash_line("Plain")
    stack = Stack(App(), "Again")
    vpc, _ = network(stack)
    ImmutableFleet(stack, "Plain", vpc=vpc, machine_image=IMAGE, instance_type=T3)
    again = next(line for line in user_data(template_json(stack), "Plain").splitlines() if "sha256" in line)
    stack2 = Stack(App(), "Again")
    vpc2, _ = network(stack2)
    ImmutableFleet(stack2, "Plain", vpc=vpc2, machine_image=IMAGE, instance_type=T3, log_paths=["/var/log/app.log"])
    changed = next(line for line in user_data(template_json(stack2), "Plain").splitlines() if "sha256" in line)
    assert again != changed, "a new log path makes a new launch template version, so hosts are replaced"


def test_the_instance_role_may_read_only_its_parameter_and_write_only_its_namespace(synth: dict[str, Any]) -> None:
    for fleet in ("Web", "Refresh", "Api"):
        found = statements(synth["json"], fleet)
        (parameter_id,) = resources_of(synth["json"], "AWS::SSM::Parameter", f"{fleet}AgentConfig")
        read = found["CloudWatchAgentConfiguration"]
        assert read["Action"] == "ssm:GetParameter"
        resource = rendered(read["Resource"])
        # CloudFormation names the parameter (CFN-...), so the ARN is .../parameter/<name>.
        assert resource.startswith("arn:<") and resource.endswith(f":parameter/<Ref:{parameter_id}>")
        namespace = synth["fleets"][fleet].metrics_namespace
        assert found["CloudWatchAgentMetrics"]["Action"] == "cloudwatch:PutMetricData"
        assert found["CloudWatchAgentMetrics"]["Condition"] == {"StringEquals": {"cloudwatch:namespace": namespace}}
        logs = json.dumps(found["CloudWatchAgentLogs"]["Resource"])
        assert f"{fleet}LogGroup" in logs and '"*"' not in logs
    assert statements(synth["json"], "Refresh")["CloudWatchAgentMetrics"]["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": "Shop/Web"}
    }


# -- 2. the standard alarms and rollbacks -------------------------------------------------------


def test_every_fleet_has_its_standard_alarms(synth: dict[str, Any]) -> None:
    web = synth["fleets"]["Web"]
    assert [a.node.id for a in web.alarms] == [
        "UnhealthyHostsAlarm",
        "ServerErrorsAlarm",
        "CpuAlarm",
        "AgentSilenceAlarm",
    ]
    # Without a target group: CPU and agent silence only.
    assert [a.node.id for a in synth["fleets"]["Plain"].alarms] == ["CpuAlarm", "AgentSilenceAlarm"]
    unhealthy = alarm(synth["json"], "Web", "UnhealthyHostsAlarm")
    assert (unhealthy["MetricName"], unhealthy["Statistic"], unhealthy["Threshold"]) == (
        "UnHealthyHostCount",
        "Maximum",
        1,
    )
    assert (unhealthy["EvaluationPeriods"], unhealthy["Period"]) == (3, 60)
    errors = alarm(synth["json"], "Web", "ServerErrorsAlarm")
    assert (errors["MetricName"], errors["Statistic"], errors["Threshold"]) == ("HTTPCode_Target_5XX_Count", "Sum", 10)
    cpu = alarm(synth["json"], "Web", "CpuAlarm")
    assert (cpu["Namespace"], cpu["MetricName"], cpu["Statistic"]) == (
        web.metrics_namespace,
        "cpu_usage_active",
        "Average",
    )
    assert (cpu["Threshold"], cpu["EvaluationPeriods"], cpu["ComparisonOperator"]) == (
        90,
        10,
        "GreaterThanOrEqualToThreshold",
    )
    assert "Dimensions" not in cpu, "the rolled-up series survives blue/green group changes"


def test_agent_silence_breaches_on_missing_data(synth: dict[str, Any]) -> None:
    silence = alarm(synth["json"], "Web", "AgentSilenceAlarm")
    assert (silence["Namespace"], silence["MetricName"], silence["Statistic"]) == (
        synth["fleets"]["Web"].metrics_namespace,
        "mem_used_percent",
        "SampleCount",
    )
    assert (silence["Threshold"], silence["ComparisonOperator"]) == (1, "LessThanThreshold")
    assert silence["TreatMissingData"] == "breaching"
    assert silence["EvaluationPeriods"] == 5
    custom = alarm(synth["json"], "Refresh", "AgentSilenceAlarm")
    assert custom["EvaluationPeriods"] == 10
    cpu = alarm(synth["json"], "Refresh", "CpuAlarm")
    assert (cpu["Threshold"], cpu["EvaluationPeriods"]) == (75, 3)


def test_an_instance_refresh_rolls_back_on_the_standard_alarms(synth: dict[str, Any]) -> None:
    group = only(synth["json"], "AWS::AutoScaling::AutoScalingGroup", "RefreshGroup")
    names = group["UpdatePolicy"]["AutoScalingInstanceRefresh"]["Preferences"]["AlarmSpecification"]["Alarms"]
    refresh_alarms = sorted(k for k in alarms(synth["json"], "Refresh") if "AgentSilence" not in k)
    assert names[:3] == [{"Ref": k} for k in sorted(refresh_alarms, key=_alarm_order)]
    assert names[3]["Ref"].startswith("Latency"), "the strategy's own alarm comes after the fleet's"
    assert len(names) == 4, "the agent silence alarm pages but never stops a refresh (issue 23)"
    quiet = only(synth["json"], "AWS::AutoScaling::AutoScalingGroup", "QuietGroup")
    assert "AlarmSpecification" not in quiet["UpdatePolicy"]["AutoScalingInstanceRefresh"]["Preferences"]


def _alarm_order(logical_id: str) -> int:
    order = ("UnhealthyHostsAlarm", "ServerErrorsAlarm", "CpuAlarm", "AgentSilenceAlarm")
    return next(i for i, name in enumerate(order) if name in logical_id)


def test_the_blue_green_deployment_group_rolls_back_on_the_standard_alarms(synth: dict[str, Any]) -> None:
    (deployment,) = resources_of(synth["json"], "Custom::ImmutableBlueGreenFleet").values()
    names = deployment["Properties"]["AlarmNames"]
    api_alarms = [k for k in alarms(synth["json"], "Api") if "AgentSilence" not in k]
    assert sorted(n["Ref"] for n in names) == sorted(api_alarms), "not the agent silence alarm (issue 23)"
    assert sorted(a.node.id for a in synth["fleets"]["Api"].alarms) == sorted(
        ["UnhealthyHostsAlarm", "ServerErrorsAlarm", "CpuAlarm", "AgentSilenceAlarm"]
    )
    assert deployment["Properties"]["AutoRollbackEvents"] == ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]


def test_rollback_false_keeps_the_alarms_out_of_codedeploy() -> None:
    stack = Stack(App(), "NoRollback")
    vpc, target_group = network(stack)
    extra = [
        cloudwatch.Alarm(stack, f"A{i}", metric=target_group.metrics.request_count(), threshold=1, evaluation_periods=1)
        for i in range(9)
    ]
    fleet = BlueGreenFleet(
        stack,
        "Api",
        vpc=vpc,
        machine_image=IMAGE,
        instance_type=T3,
        target_group=target_group,
        alarms=extra,
        alarm_options=FleetAlarmOptions(rollback=False),
    )
    (deployment,) = resources_of(template_json(stack), "Custom::ImmutableBlueGreenFleet").values()
    names = [n["Ref"] for n in deployment["Properties"]["AlarmNames"]]
    assert names == [str(stack.resolve(a.alarm_name)["Ref"]) for a in extra], "only the alarms given"
    assert len(deployment["Properties"]["AlarmNames"]) == 9
    assert len(fleet.alarms) == 4, "the alarms exist; they only do not stop deployments"


def test_too_many_instance_refresh_alarms_are_refused() -> None:
    stack = Stack(App(), "Many")
    vpc, target_group = network(stack)
    extra = [
        cloudwatch.Alarm(stack, f"A{i}", metric=target_group.metrics.request_count(), threshold=1, evaluation_periods=1)
        for i in range(8)
    ]
    with pytest.raises(ValidationError, match=r"update.alarms='8 alarms': plus the fleet's 3 standard alarms exceed"):
        ImmutableFleet(
            stack,
            "Web",
            vpc=vpc,
            machine_image=IMAGE,
            instance_type=T3,
            target_groups=[target_group],
            update=FleetUpdate.instance_refresh(alarms=extra),
        )


def test_a_target_group_without_a_load_balancer_gets_a_warning_not_a_crash() -> None:
    stack = Stack(App(), "Loose")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    loose = elbv2.ApplicationTargetGroup(stack, "Loose", vpc=vpc, port=80)
    fleet = ImmutableFleet(stack, "Web", vpc=vpc, machine_image=IMAGE, instance_type=T3, target_groups=[loose])
    assert [a.node.id for a in fleet.alarms] == ["CpuAlarm", "AgentSilenceAlarm"]
    Annotations.from_stack(stack).has_warning("/Loose/Web", Match.string_like_regexp("not attached to a load balancer"))


STOCK = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"


@pytest.mark.parametrize(
    ("image", "warned"),
    [
        (PinnedSsmImage(STOCK, version=3), True),
        (ec2.MachineImage.latest_amazon_linux2023(), True),
        (IMAGE, False),  # a golden image: the pipeline installs the agent
    ],
    ids=["pinned-stock", "latest-al2023", "golden"],
)
def test_a_stock_aws_image_warns_that_it_has_no_agent_and_the_boot_will_fail(
    image: ec2.IMachineImage, warned: bool
) -> None:
    stack = Stack(App(), "Stock")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    ImmutableFleet(stack, "Web", vpc=vpc, machine_image=image, instance_type=T3)
    found = Annotations.from_stack(stack).find_warning("/Stock/Web", Match.string_like_regexp("stockImageWithoutAgent"))
    assert bool(found) is warned, found


# -- 3. the dashboard ---------------------------------------------------------------------------


def test_the_dashboard_is_opt_in_and_shows_the_alarms_and_agent_metrics(synth: dict[str, Any]) -> None:
    dashboards = resources_of(synth["json"], "AWS::CloudWatch::Dashboard")
    assert list(dashboards) == [k for k in dashboards if k.startswith("WebDashboard")] and len(dashboards) == 1
    assert synth["fleets"]["Plain"].dashboard is None
    body = rendered(next(iter(dashboards.values()))["Properties"]["DashboardBody"])
    for name in ("UnhealthyHostsAlarm", "ServerErrorsAlarm", "CpuAlarm", "AgentSilenceAlarm"):
        assert f"Web{name}" in body
    namespace = synth["fleets"]["Web"].metrics_namespace
    for metric in ("mem_used_percent", "disk_used_percent", "cpu_usage_active"):
        assert f'"{namespace}","{metric}"' in body


# -- validation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"log_paths": "/var/log/app.log"}, r"log_paths='/var/log/app.log': must be a list of absolute file paths"),
        ({"log_paths": ["var/log/app.log"]}, r"log_paths\[0\]='var/log/app.log': is not an absolute file path"),
        ({"log_paths": ["/var/log/my app.log"]}, r"log_paths\[0\]='/var/log/my app.log': is not an absolute"),
        ({"log_paths": ["/var/log/a'b.log"]}, r"is not an absolute file path without whitespace, quotes"),
        ({"log_paths": ["/var/log/../etc/shadow"]}, r"log_paths\[0\]=.*'\.\.'"),
        ({"log_paths": ["/var/log/a.log", "/var/log/a.log"]}, r"log_paths\[1\]='/var/log/a.log': is listed twice"),
        ({"log_paths": [42]}, r"log_paths\[0\]=42: must be a string"),
        ({"metrics_namespace": "AWS/EC2"}, r"metrics_namespace='AWS/EC2': starts with 'AWS/'"),
        ({"metrics_namespace": "bad$name"}, r"metrics_namespace='bad\$name': is not a CloudWatch namespace"),
        ({"alarm_options": {"cpu_percent": 80}}, r"alarm_options=.*is not a FleetAlarmOptions"),
        (
            {"alarm_options": FleetAlarmOptions(cpu_percent=150)},
            r"alarm_options.cpu_percent=150: must be a whole number",
        ),
        ({"alarm_options": FleetAlarmOptions(agent_silent_minutes=0)}, r"alarm_options.agent_silent_minutes=0"),
        ({"dashboard": "yes"}, r"dashboard='yes': must be True or False"),
    ],
)
def test_bad_observability_props_are_one_clear_error(props: dict[str, Any], message: str) -> None:
    for make in (_immutable, _blue_green):
        with pytest.raises(ValidationError, match=message) as raised:
            make(props)
        assert "Fix:" in str(raised.value)


def _immutable(props: dict[str, Any]) -> None:
    stack = Stack(App(), "Bad")
    vpc, _ = network(stack)
    ImmutableFleet(stack, "Web", vpc=vpc, machine_image=IMAGE, instance_type=T3, **props)


def _blue_green(props: dict[str, Any]) -> None:
    stack = Stack(App(), "Bad")
    vpc, target_group = network(stack)
    BlueGreenFleet(stack, "Api", vpc=vpc, machine_image=IMAGE, instance_type=T3, target_group=target_group, **props)


# -- the golden image pipeline installs the agent ------------------------------------------------

AGENT_ARN_TAIL = ":aws:component/amazon-cloudwatch-agent-linux/1.0.1"


def _pipeline(**overrides: Any) -> dict[str, Any]:
    stack = Stack(App(), "Images", env=Environment(region="us-east-1"))
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    props: dict[str, Any] = {
        "catalog": AmiCatalog(stack, "Catalog"),
        "vpc": vpc,
        "parent_image": ParentImage.from_ssm_parameter(
            "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
        ),
        "components": [ImageComponent.from_aws_managed("update-linux", "1.0.2")],
        **overrides,
    }
    GoldenImagePipeline(stack, "Web", **props)
    return only(template_json(stack), "AWS::ImageBuilder::ImageRecipe")


def _component_arns(recipe: dict[str, Any]) -> list[str]:
    return [rendered(c["ComponentArn"]) for c in recipe["Properties"]["Components"]]


def test_the_pipeline_installs_the_cloudwatch_agent_by_default() -> None:
    arns = _component_arns(_pipeline())
    assert len(arns) == 3 and arns[0].endswith(":aws:component/update-linux/1.0.2")
    assert "SystemJournalToMessages" in arns[1], "the journal in /var/log/messages (issue 23)"
    assert arns[2].endswith(AGENT_ARN_TAIL), "the agent the fleets' user data starts"


def test_the_agent_component_can_be_opted_out_and_is_not_added_twice() -> None:
    default, opted_out = _pipeline(), _pipeline(install_cloudwatch_agent=False)
    assert not any(a.endswith(AGENT_ARN_TAIL) for a in _component_arns(opted_out))
    # Content-hash versioning: a different component list is a different recipe version.
    assert default["Properties"]["Version"] != opted_out["Properties"]["Version"]
    assert _pipeline()["Properties"]["Version"] == default["Properties"]["Version"], "unchanged content, same version"
    listed = _pipeline(
        components=[
            ImageComponent.from_aws_managed("amazon-cloudwatch-agent-linux", "1.0.0"),
            ImageComponent.from_aws_managed("update-linux", "1.0.2"),
        ]
    )
    arns = _component_arns(listed)
    assert len(arns) == 3 and arns[0].endswith("/amazon-cloudwatch-agent-linux/1.0.0"), "the user's pick is kept"


def test_install_cloudwatch_agent_must_be_a_bool() -> None:
    with pytest.raises(ValidationError, match=r"install_cloudwatch_agent='no': must be True or False"):
        _pipeline(install_cloudwatch_agent="no")


def _fleet_with_paths(count: int) -> dict[str, Any]:
    stack = Stack(App(), "Many")
    vpc, _ = network(stack)
    paths = [
        f"/var/log/application-with-a-rather-long-directory-name/component-{i:03d}/output.log" for i in range(count)
    ]
    ImmutableFleet(stack, "Web", vpc=vpc, machine_image=IMAGE, instance_type=T3, log_paths=paths)
    return only(template_json(stack), "AWS::SSM::Parameter")


def test_the_parameter_tier_follows_the_configuration_size() -> None:
    assert _fleet_with_paths(2)["Properties"]["Tier"] == "Standard"
    # Over 4 KB at the longest log group name CloudFormation can generate: the Advanced tier (8 KB).
    assert _fleet_with_paths(20)["Properties"]["Tier"] == "Advanced"
    with pytest.raises(ValidationError, match=r"log_paths='45 files': make the CloudWatch agent configuration up to"):
        _fleet_with_paths(40)
