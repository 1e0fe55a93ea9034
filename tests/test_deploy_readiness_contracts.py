"""Run-time contracts of the first deploy in a fresh account, read off synthesized templates.

1. The CloudWatch agent appends no EC2-tag dimension (it would call ec2:DescribeTags and publish
   nothing until that succeeds), and IMM-DEP6 flags an agent whose subnets cannot reach an API it calls.
2. Releases never roll back on an alarm whose missing data breaches (a fleet with no instance, or one
   just created, has no data): the agent silence alarm pages only; IMM-DEP7 flags such a rollback alarm.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from aws_cdk.assertions import Template

from immutable_constructs.fleet._agent import APPENDED_DIMENSIONS_NEEDING_EC2
from immutable_constructs.nag import ImmutableInfrastructureChecks

from .conftest import Synthesized, logical_id

PACK = ImmutableInfrastructureChecks()
ASG_DIMENSION = {"AutoScalingGroupName": "${aws:AutoScalingGroupName}", "InstanceId": "${aws:InstanceId}"}


def findings(template: dict[str, Any], rule: str) -> list[tuple[str, str]]:
    return [(str(f.logical_id), f.message) for f in PACK.check_template(template) if f.rule_id == rule]


@pytest.fixture(scope="module")
def isolated(examples: dict[str, Synthesized]) -> dict[str, Any]:
    return examples["isolated_fleet"].templates["IsolatedFleet"]


def of_type(template: dict[str, Any], type_name: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_name}


def agent_config(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The fleet's agent parameter and its configuration (log group references rendered as text)."""
    ((logical_id, parameter),) = of_type(template, "AWS::SSM::Parameter").items()
    value = parameter["Properties"]["Value"]
    parts = value["Fn::Join"][1] if isinstance(value, dict) else [value]
    return logical_id, json.loads("".join(p if isinstance(p, str) else "group" for p in parts))


def with_config(template: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(template)
    logical_id, _ = agent_config(template)
    changed["Resources"][logical_id]["Properties"]["Value"] = json.dumps(config)
    return changed


def test_agent_appends_only_instance_metadata(isolated: dict[str, Any]) -> None:
    _, config = agent_config(isolated)
    assert config["metrics"]["append_dimensions"] == {"InstanceId": "${aws:InstanceId}"}
    assert not set(config["metrics"]["append_dimensions"].values()) & set(APPENDED_DIMENSIONS_NEEDING_EC2)
    # The alarms read the roll-up without dimensions, which the aggregation keeps.
    assert config["metrics"]["aggregation_dimensions"] == [[]]
    namespace = config["metrics"]["namespace"]
    agent_alarms = [a for a in of_type(isolated, "AWS::CloudWatch::Alarm").values()
                    if a["Properties"].get("Namespace") == namespace
                    and a["Properties"].get("MetricName") != "SessionLoggingFailures"]  # fmt: skip
    assert len(agent_alarms) == 2 and all("Dimensions" not in a["Properties"] for a in agent_alarms)


def test_agent_needs_no_ec2_permission(isolated: dict[str, Any]) -> None:
    actions = {
        action
        for policy in of_type(isolated, "AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    }
    assert "cloudwatch:PutMetricData" in actions
    assert not {"ec2:DescribeTags", "ec2:DescribeVolumes"} & actions


def test_isolated_example_reaches_every_api_the_agent_calls(isolated: dict[str, Any]) -> None:
    assert findings(isolated, "IMM-DEP6") == []


def test_dep6_flags_the_group_name_dimension_without_an_ec2_endpoint(isolated: dict[str, Any]) -> None:
    _, config = agent_config(isolated)
    config["metrics"]["append_dimensions"] = ASG_DIMENSION
    ((group, message),) = findings(with_config(isolated, config), "IMM-DEP6")
    assert group.startswith("WorkersGroupASG")
    assert "for ec2," in message and "ec2:DescribeTags" in message and "no metric" in message


def test_dep6_passes_with_an_ec2_endpoint(isolated: dict[str, Any]) -> None:
    _, config = agent_config(isolated)
    config["metrics"]["append_dimensions"] = ASG_DIMENSION
    changed = with_config(isolated, config)
    resources = changed["Resources"]
    (monitoring,) = [k for k in of_type(changed, "AWS::EC2::VPCEndpoint") if k.startswith("VpcMonitoring")]
    ec2_endpoint = copy.deepcopy(resources[monitoring])
    ec2_endpoint["Properties"]["ServiceName"] = {"Fn::Join": ["", ["com.amazonaws.", {"Ref": "AWS::Region"}, ".ec2"]]}
    resources["Ec2Endpoint"] = ec2_endpoint
    assert findings(changed, "IMM-DEP6") == []


@pytest.mark.parametrize("change", ["no monitoring endpoint", "monitoring without private DNS"])
def test_dep6_flags_metrics_without_a_monitoring_endpoint(isolated: dict[str, Any], change: str) -> None:
    changed = copy.deepcopy(isolated)
    (monitoring,) = [k for k in of_type(changed, "AWS::EC2::VPCEndpoint") if k.startswith("VpcMonitoring")]
    if change == "no monitoring endpoint":
        del changed["Resources"][monitoring]
    else:
        changed["Resources"][monitoring]["Properties"]["PrivateDnsEnabled"] = False
    ((_, message),) = findings(changed, "IMM-DEP6")
    assert "for monitoring," in message and "publishes metrics" in message


def test_dep6_passes_subnets_with_a_default_route(isolated: dict[str, Any]) -> None:
    _, config = agent_config(isolated)
    config["metrics"]["append_dimensions"] = ASG_DIMENSION
    changed = with_config(isolated, config)
    for table in of_type(changed, "AWS::EC2::RouteTable"):
        changed["Resources"][f"{table}Nat"] = {
            "Type": "AWS::EC2::Route",
            "Properties": {
                "RouteTableId": {"Ref": table},
                "DestinationCidrBlock": "0.0.0.0/0",
                "NatGatewayId": "nat-1",
            },
        }
    assert findings(changed, "IMM-DEP6") == []


def test_dep6_does_not_judge_subnets_from_outside_the_template(isolated: dict[str, Any]) -> None:
    _, config = agent_config(isolated)
    config["metrics"]["append_dimensions"] = ASG_DIMENSION
    changed = with_config(isolated, config)
    (group,) = of_type(changed, "AWS::AutoScaling::AutoScalingGroup").values()
    group["Properties"]["VPCZoneIdentifier"] = ["subnet-0123456789abcdef0"]
    assert findings(changed, "IMM-DEP6") == []


# -- 2. rollback alarms and missing data ---------------------------------------------------------


def rollback_alarm_ids(template: dict[str, Any]) -> set[str]:
    """Alarms an instance refresh or a blue/green deployment of the template rolls back on."""
    found: set[str] = set()
    for group in of_type(template, "AWS::AutoScaling::AutoScalingGroup").values():
        refresh = group.get("UpdatePolicy", {}).get("AutoScalingInstanceRefresh", {})
        found |= {a["Ref"] for a in refresh.get("Preferences", {}).get("AlarmSpecification", {}).get("Alarms", [])}
    for resource in template["Resources"].values():
        if resource["Type"].startswith("Custom::"):
            found |= {a["Ref"] for a in resource["Properties"].get("AlarmNames", [])}
    return found


@pytest.mark.parametrize(("example", "count"), [("isolated_fleet", 1), ("blue_green", 4)])
def test_releases_roll_back_only_on_alarms_whose_missing_data_does_not_breach(
    examples: dict[str, Synthesized], example: str, count: int
) -> None:
    (template,) = examples[example].templates.values()
    alarms = of_type(template, "AWS::CloudWatch::Alarm")
    rollback = rollback_alarm_ids(template)
    # CPU (no target group); unhealthy hosts, 5xx, CPU and the example's own latency alarm
    assert len(rollback) == count
    assert {alarms[a]["Properties"].get("TreatMissingData") for a in rollback} == {"notBreaching"}
    silence = [k for k in alarms if "AgentSilenceAlarm" in k]
    assert len(silence) == 1 and alarms[silence[0]]["Properties"]["TreatMissingData"] == "breaching"
    assert silence[0] not in rollback, "the silence alarm pages; it never blocks a release"
    assert findings(template, "IMM-DEP7") == []


def test_a_fleet_that_can_be_empty_still_releases() -> None:
    from aws_cdk import App, Stack
    from aws_cdk import aws_autoscaling as autoscaling
    from aws_cdk import aws_ec2 as ec2

    from immutable_constructs import FleetUpdate, ImmutableFleet, PinnedSsmImage

    stack = Stack(App(), "Empty")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    fleet = ImmutableFleet(
        stack, "Night", vpc=vpc, instance_type=ec2.InstanceType("t3.small"),
        machine_image=PinnedSsmImage("/images/web/stable", version=3), min_capacity=1, max_capacity=2,
        update=FleetUpdate.instance_refresh(),
    )  # fmt: skip
    # Empty every night: no agent reports, and a release started then must not fail on silence.
    fleet.auto_scaling_group.scale_on_schedule(
        "Night", schedule=autoscaling.Schedule.cron(hour="20", minute="0"), min_capacity=0, max_capacity=0
    )
    template = Template.from_stack(stack).to_json()
    alarms = of_type(template, "AWS::CloudWatch::Alarm")
    rollback = rollback_alarm_ids(template)
    assert [alarms[a]["Properties"]["MetricName"] for a in rollback] == ["cpu_usage_active"]
    assert alarms[next(iter(rollback))]["Properties"]["TreatMissingData"] == "notBreaching"
    assert findings(template, "IMM-DEP7") == []


def test_dep7_flags_a_breaching_rollback_alarm(examples: dict[str, Synthesized]) -> None:
    (template,) = examples["blue_green"].templates.values()
    changed = copy.deepcopy(template)
    (deployment,) = [r for r in changed["Resources"].values() if r["Type"].startswith("Custom::")
                     and "AlarmNames" in r["Properties"]]  # fmt: skip
    (silence,) = [k for k in of_type(changed, "AWS::CloudWatch::Alarm") if "AgentSilenceAlarm" in k]
    deployment["Properties"]["AlarmNames"].append({"Ref": silence})
    ((alarm, message),) = findings(changed, "IMM-DEP7")
    assert alarm == silence and "no instance running" in message and "custom resource" in message


# -- 3. the execution role and the pipeline's key ------------------------------------------------


def statements_by_sid(policy: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"] if "Sid" in s}


def test_execution_role_may_use_the_key_that_encrypts_build_volumes(reference_app: Synthesized) -> None:
    images = reference_app.templates["ImmutableReferenceImages"]
    recipes = of_type(images, "AWS::ImageBuilder::ImageRecipe")
    pipelines = of_type(images, "AWS::ImageBuilder::ImagePipeline")
    assert len(pipelines) == 2
    for pipeline in pipelines.values():
        recipe_id = pipeline["Properties"]["ImageRecipeArn"]["Fn::GetAtt"][0]
        (mapping,) = recipes[recipe_id]["Properties"]["BlockDeviceMappings"]
        key = mapping["Ebs"]["KmsKeyId"]  # {"Fn::GetAtt": [<key>, "Arn"]}
        role = pipeline["Properties"]["ExecutionRole"]["Fn::GetAtt"][0]
        (policy,) = [
            p for p in of_type(images, "AWS::IAM::Policy").values() if {"Ref": role} in p["Properties"]["Roles"]
        ]
        found = statements_by_sid(policy)
        use, grant = found["BuildVolumesUseKey"], found["BuildVolumesGrantKey"]
        assert sorted(use["Action"]) == sorted(
            ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom",
             "kms:ReEncryptTo"]
        )  # fmt: skip
        assert grant["Action"] == "kms:CreateGrant"
        assert use["Resource"] == grant["Resource"] == key
        via = {"kms:ViaService": "ec2.us-east-1.amazonaws.com"}  # the app pins its region
        assert use["Condition"] == {"StringEquals": via}
        assert grant["Condition"] == {"StringEquals": via, "Bool": {"kms:GrantIsForAWSResource": "true"}}
        # IAM statements count only when the key policy delegates to the account.
        key_policy = images["Resources"][key["Fn::GetAtt"][0]]["Properties"]["KeyPolicy"]
        root = [s for s in key_policy["Statement"] if s.get("Action") == "kms:*"]
        assert root and "root" in json.dumps(root[0]["Principal"])


def test_a_role_you_pass_gets_the_volume_key_statements() -> None:
    from aws_cdk import App, Stack
    from aws_cdk import aws_ec2 as ec2
    from aws_cdk import aws_iam as iam

    from immutable_constructs import AmiCatalog, GoldenImagePipeline, ImageComponent, ParentImage

    stack = Stack(App(), "OwnRole")
    role = iam.Role(stack, "Builder", assumed_by=iam.ServicePrincipal("imagebuilder.amazonaws.com"))
    pipeline = GoldenImagePipeline(
        stack, "Web", catalog=AmiCatalog(stack, "Catalog"), vpc=ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1),
        parent_image=ParentImage.from_ssm_parameter("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"),
        components=[ImageComponent.from_yaml("noop", "name: n\nschemaVersion: 1.0\nphases: []\n")],
        execution_role=role,
    )  # fmt: skip
    template = Template.from_stack(stack).to_json()
    role_ref = [{"Ref": logical_id(stack, role)}]
    (policy,) = [p for p in of_type(template, "AWS::IAM::Policy").values() if p["Properties"]["Roles"] == role_ref]
    grant = statements_by_sid(policy)["BuildVolumesGrantKey"]
    assert grant["Resource"] == stack.resolve(pipeline.key.key_arn)


# -- 4. the system journal reaches the log the fleets ship ---------------------------------------


def test_the_pipeline_writes_the_journal_to_the_log_the_fleets_ship(reference_app: Synthesized) -> None:
    from immutable_constructs.fleet._agent import SYSTEM_LOGS

    images = reference_app.templates["ImmutableReferenceImages"]
    journal = {k: v for k, v in of_type(images, "AWS::ImageBuilder::Component").items() if "SystemJournal" in k}
    assert len(journal) == 2, "one per image line"
    recipes = of_type(images, "AWS::ImageBuilder::ImageRecipe")
    for component_id, component in journal.items():
        uses = [r for r in recipes.values() if {"ComponentArn": {"Fn::GetAtt": [component_id, "Arn"]}}
                in r["Properties"]["Components"]]  # fmt: skip
        assert len(uses) == 1
        document = json.loads(component["Properties"]["Data"])  # from_dict writes JSON
        phases = {p["name"]: [c for s in p["steps"] for c in s["inputs"]["commands"]] for p in document["phases"]}
        assert any("dnf install -y rsyslog" in c for c in phases["build"])
        assert "systemctl enable rsyslog" in phases["build"]
        # The test phase runs on a fresh instance of the image: the journal must reach the file.
        assert any("/var/log/messages" in c and "grep" in c for c in phases["test"])
    assert "/var/log/messages" in SYSTEM_LOGS
    web = reference_app.templates["ImmutableReference"]
    configs = [p["Properties"]["Value"] for p in of_type(web, "AWS::SSM::Parameter").values()
               if "collect_list" in json.dumps(p["Properties"]["Value"])]  # fmt: skip
    assert configs and all('\\"file_path\\":\\"/var/log/messages\\"' in json.dumps(c) for c in configs)


# -- 5. the first deploy in a fresh account ------------------------------------------------------


def test_the_images_stack_waits_for_each_lines_first_promotion(reference_app: Synthesized) -> None:
    images = reference_app.templates["ImmutableReferenceImages"]
    first = of_type(images, "Custom::ImmutableFirstImage")
    pipelines = of_type(images, "AWS::ImageBuilder::ImagePipeline")
    for line in ("web", "api"):
        chain = sorted(
            ((k, v) for k, v in first.items() if v["Properties"]["Line"] == line),
            key=lambda item: (item[1]["Properties"]["Phase"] != "start", item[0]),
        )
        assert [v["Properties"]["Phase"] for _, v in chain] == ["start", "wait", "wait", "wait"]
        assert [v["Properties"]["Last"] for _, v in chain] == ["false", "false", "false", "true"]
        (pipeline_id,) = [k for k in pipelines if k.lower().startswith(line)]
        for index, (_, resource) in enumerate(chain):
            props = resource["Properties"]
            assert props["PipelineArn"] == {"Fn::GetAtt": [pipeline_id, "Arn"]}
            assert props["TargetParameter"] == f"/images/{line}/stable"
            assert (props["RequireInspector"], props["EnableInspector"], props["WaitSeconds"]) == (
                "true",
                "true",
                "2700",
            )
            depends = set(resource["DependsOn"])
            # The pipeline is ordered by the GetAtt above (a DependsOn too would be cfn-lint W3005); what it
            # builds, the promotion function included, by DependsOn.
            assert pipeline_id not in depends
            assert any(d.startswith(f"{line.capitalize()}ImagePromotion") for d in depends)
            if index:
                assert chain[index - 1][0] in depends, "each waiter starts when the previous one handed over"
    # Each waiter resource stays within CloudFormation's hour (the Provider gives up after 50 minutes).
    assert findings(images, "IMM-DEP5") == []


def test_the_first_image_handler_has_least_privilege(reference_app: Synthesized) -> None:
    images = reference_app.templates["ImmutableReferenceImages"]
    (policy,) = [p for k, p in of_type(images, "AWS::IAM::Policy").items() if k.startswith("FirstImagesHandlerPolicy")]
    found = statements_by_sid(policy)
    pipelines = sorted(of_type(images, "AWS::ImageBuilder::ImagePipeline"))
    start = found["StartFirstBuild"]
    assert sorted(start["Action"]) == [
        "imagebuilder:ListImagePipelineImages",
        "imagebuilder:StartImagePipelineExecution",
    ]
    assert sorted(r["Fn::GetAtt"][0] for r in start["Resource"]) == pipelines
    read = found["ReadPromotedParameter"]
    assert read["Action"] == "ssm:GetParameter"
    assert sorted(json.dumps(r).rsplit(":parameter/", 1)[1] for r in read["Resource"]) == [
        'images/api/stable"]]}',
        'images/web/stable"]]}',
    ]
    assert found["ActivateInspector"]["Action"] == "inspector2:Enable"
    role = found["InspectorServiceLinkedRole"]
    assert role["Condition"] == {"StringEquals": {"iam:AWSServiceName": "inspector2.amazonaws.com"}}
    assert "AWSServiceRoleForAmazonInspector2" in json.dumps(role["Resource"])
    everything = {a for s in found.values() for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert not any(a.endswith("*") for a in everything)


def _first_image(**props: Any) -> Any:
    from aws_cdk import App, Stack
    from aws_cdk import aws_ec2 as ec2

    from immutable_constructs import AmiCatalog, FirstImage, GoldenImagePipeline, ImageComponent, ParentImage

    stack = Stack(App(), "Images")
    pipeline = GoldenImagePipeline(
        stack, "Web", catalog=AmiCatalog(stack, "Catalog"), vpc=ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1),
        parent_image=ParentImage.from_ssm_parameter("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"),
        components=[ImageComponent.from_yaml("noop", "name: n\nschemaVersion: 1.0\nphases: []\n")],
    )  # fmt: skip
    return stack, FirstImage(stack, "First", **{"pipelines": [pipeline], **props})


def test_first_image_props_are_checked() -> None:
    from aws_cdk import Duration

    from immutable_constructs import ValidationError

    with pytest.raises(ValidationError, match=r"max_wait='10 minutes': must be from 45 minutes to 6 hours"):
        _first_image(max_wait=Duration.minutes(10))
    with pytest.raises(ValidationError, match=r"pipelines"):
        _first_image(pipelines=[])
    with pytest.raises(ValidationError, match=r"enable_inspector='yes'"):
        _first_image(enable_inspector="yes")


def test_without_enable_inspector_the_handler_may_not_activate_it() -> None:
    from aws_cdk import Duration

    stack, first = _first_image(enable_inspector=False, max_wait=Duration.minutes(45))
    template = Template.from_stack(stack).to_json()
    assert len(first.resources["web"]) == 2, "a start and one waiter"
    (policy,) = [p for k, p in of_type(template, "AWS::IAM::Policy").items() if k.startswith("FirstHandlerPolicy")]
    assert not {"ActivateInspector", "InspectorServiceLinkedRole"} & set(statements_by_sid(policy))
