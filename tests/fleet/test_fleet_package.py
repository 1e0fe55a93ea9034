"""The fleet package: FleetUpdate strategies that check and render themselves, lazy
imports, the old module paths, and the layout rules (sizes, no imports between the two fleets)."""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Duration, Stack
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2

import immutable_constructs
import immutable_constructs.fleet
from immutable_constructs import FleetUpdate, ValidationError
from immutable_constructs._private.validation import Problems

from ..conftest import only

ROOT = Path(__file__).resolve().parents[2]
# The installed package, not the repository path: the nox matrix tests the wheel in a copy without the sources.
FLEET = Path(immutable_constructs.fleet.__file__).resolve().parent


def rendered(update: FleetUpdate, *, in_service: int = 2, grace: Duration | None = None) -> dict[str, Any]:
    """The UpdatePolicy a strategy renders, on a plain Auto Scaling group (no ImmutableFleet involved)."""
    stack = Stack(App(), "S")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=1, nat_gateways=0)
    autoscaling.AutoScalingGroup(
        stack,
        "Group",
        vpc=vpc,
        launch_template=ec2.LaunchTemplate(
            stack,
            "Lt",
            machine_image=ec2.MachineImage.generic_linux({"us-east-1": "ami-12345678"}),
            instance_type=ec2.InstanceType("t3.micro"),
        ),
        update_policy=update._render(in_service=in_service, grace_period=grace or Duration.minutes(5)),
    )
    return dict(only(stack, "AWS::AutoScaling::AutoScalingGroup")["UpdatePolicy"])


def problems_of(update: FleetUpdate, *, max_capacity: int = 4, in_service: int = 2, signal: int = 15) -> list[str]:
    problems = Problems("Fleet")
    update._validate(
        problems, max_capacity=max_capacity, in_service=in_service, signal_timeout=Duration.minutes(signal)
    )
    return [f"{p.prop}={p.value!r}: {p.reason}" for p in problems.problems]


# -- each strategy renders itself ---------------------------------------------------------------


def test_replacing_renders_a_replacing_update() -> None:
    update = FleetUpdate.replacing()
    assert (update.kind, update.options, update.waits_for_signals) == ("replacing", {}, True)
    assert rendered(update)["AutoScalingReplacingUpdate"] == {"WillReplace": True}
    assert "AutoScalingRollingUpdate" not in rendered(update)


def test_rolling_renders_its_options_and_defaults_to_the_fleets_in_service_capacity() -> None:
    update = FleetUpdate.rolling(max_batch_size=2, min_success_percentage=50)
    assert update.kind == "rolling" and update.waits_for_signals
    assert update.options == {
        "max_batch_size": 2,
        "min_instances_in_service": None,
        "min_success_percentage": 50,
        "suspend_processes": None,
    }
    policy = rendered(update, in_service=3)["AutoScalingRollingUpdate"]
    assert (policy["MaxBatchSize"], policy["MinInstancesInService"], policy["MinSuccessfulInstancesPercent"]) == (
        2,
        3,
        50,
    )
    assert rendered(FleetUpdate.rolling(min_instances_in_service=1))["AutoScalingRollingUpdate"]["MaxBatchSize"] == 1
    assert (
        rendered(FleetUpdate.rolling(min_instances_in_service=1))["AutoScalingRollingUpdate"]["MinInstancesInService"]
        == 1
    )


def test_instance_refresh_renders_a_rolling_refresh_that_never_drops_capacity() -> None:
    update = FleetUpdate.instance_refresh(checkpoint_percentages=(50, 100))
    assert update.kind == "instance_refresh" and not update.waits_for_signals
    assert update.options["checkpoint_percentages"] == [50, 100]  # copied to a list
    refresh = rendered(update, grace=Duration.minutes(3))["AutoScalingInstanceRefresh"]
    text = json.dumps(refresh)
    assert '"Strategy": "Rolling"' in text and '"SkipMatching": true' in text
    assert '"MinHealthyPercentage": 100' in text and '"MaxHealthyPercentage": 200' in text
    assert '"InstanceWarmup": 180' in text  # the fleet's grace period when no warmup is given
    assert '"CheckpointPercentages": [50, 100]' in text


def test_strategies_compare_by_value_and_show_what_was_given() -> None:
    assert FleetUpdate.rolling(max_batch_size=2) == FleetUpdate.rolling(max_batch_size=2)
    assert FleetUpdate.rolling(max_batch_size=2) != FleetUpdate.rolling(max_batch_size=3)
    assert FleetUpdate.replacing() != FleetUpdate.rolling()
    assert repr(FleetUpdate.rolling(max_batch_size=2)) == "FleetUpdate.rolling(max_batch_size=2)"
    assert repr(FleetUpdate.instance_refresh(bake_time=Duration.minutes(5))) == (
        "FleetUpdate.instance_refresh(bake_time='5 minutes')"
    )
    assert isinstance(FleetUpdate.instance_refresh(), FleetUpdate)


# -- each strategy checks itself ----------------------------------------------------------------


def test_factories_refuse_wrong_types_at_once() -> None:
    with pytest.raises(ValidationError, match=r"(?s)FleetUpdate.rolling: .*max_batch_size='2'"):
        FleetUpdate.rolling(max_batch_size="2")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"(?s)FleetUpdate.instance_refresh: .*checkpoint_percentages\[1\]=200"):
        FleetUpdate.instance_refresh(checkpoint_percentages=[50, 200])
    with pytest.raises(ValidationError, match=r"alarms=\['alarm'\]: must be a list of a cloudwatch.IAlarm"):
        FleetUpdate.instance_refresh(alarms=["alarm"])  # type: ignore[list-item]
    with pytest.raises(ValidationError, match=r"bake_time=5"):
        FleetUpdate.instance_refresh(bake_time=5)  # type: ignore[arg-type]


def test_replacing_has_nothing_to_check() -> None:
    assert problems_of(FleetUpdate.replacing(), max_capacity=1, in_service=1, signal=600) == []


def test_rolling_checks_its_options_against_the_fleet() -> None:
    assert problems_of(FleetUpdate.rolling(max_batch_size=2)) == []
    assert problems_of(FleetUpdate.rolling(max_batch_size=5, min_success_percentage=101), signal=61) == [
        "update.max_batch_size=5: must be from 1 to max_capacity (4)",
        "update.min_success_percentage=101: must be a percentage from 0 to 100",
        "signal_timeout='1 hour 1 minute': is longer than one hour, the longest PauseTime a rolling update accepts",
    ]
    # In service defaults to the fleet's capacity, which must leave room to launch a new instance.
    assert problems_of(FleetUpdate.rolling(), max_capacity=2, in_service=2) == [
        "update.min_instances_in_service=2: must be from 0 to below max_capacity (2); "
        "CloudFormation rejects the update otherwise"
    ]


def test_instance_refresh_checks_its_percentages_checkpoints_and_alarms() -> None:
    assert problems_of(FleetUpdate.instance_refresh(checkpoint_percentages=[20, 50, 100])) == []
    alarms = [
        cloudwatch.Alarm.from_alarm_arn(Stack(App(), "A"), f"A{i}", f"arn:aws:cloudwatch:us-east-1:1:alarm:a{i}")
        for i in range(11)
    ]
    assert problems_of(
        FleetUpdate.instance_refresh(
            min_healthy_percentage=50, max_healthy_percentage=200, checkpoint_percentages=[20, 50], alarms=alarms
        )
    ) == [
        "update.max_healthy_percentage=200: minus min_healthy_percentage (50) exceeds 100",
        "update.checkpoint_percentages=[20, 50]: must be unique, ascending, from 1 to 100 and end with 100",
        "update.alarms='11 alarms': at most 10 alarms are allowed",
    ]


# -- imports: lazy, and the old paths still work -------------------------------------------------


def test_importing_immutable_fleet_loads_neither_codedeploy_nor_image_builder_nor_cdk_nag() -> None:
    code = (
        "import sys\n"
        "from immutable_constructs import ImmutableFleet\n"
        "ImmutableFleet\n"
        "heavy = ('aws_cdk.aws_codedeploy', 'aws_cdk.aws_imagebuilder', 'cdk_nag')\n"
        "print(sorted(m for m in sys.modules if m in heavy or m.startswith(tuple(h + '.' for h in heavy))))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stdout
    # The check can fail: the blue/green fleet does load CodeDeploy.
    code = code.replace("ImmutableFleet", "BlueGreenFleet")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert "aws_cdk.aws_codedeploy" in result.stdout.strip().splitlines()[-1]


def test_the_package_and_the_top_level_name_the_same_classes() -> None:
    from immutable_constructs import fleet

    for name in ("ImmutableFleet", "FleetUpdate", "FleetHealthCheck", "BlueGreenFleet"):
        assert getattr(fleet, name) is getattr(immutable_constructs, name), name
    assert fleet.FLEET_TAG_KEY == "immutable-constructs:fleet"
    assert "FLEET_TAG_KEY" not in fleet.__all__
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("immutable_constructs.blue_green")
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        fleet.Nope  # noqa: B018


# -- layout: sizes and no imports between the two fleets -----------------------------------------


def _modules() -> list[Path]:
    """Every module of the package; the Lambda handlers (``*_handler/index.py``, shipped alone) aside."""
    package = FLEET.parent
    return sorted(p for p in package.rglob("*.py") if not p.parent.name.endswith("_handler"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(FLEET.parent)))
def test_every_module_stays_small(path: Path) -> None:
    """Sizes, for the whole package: no module over 400 lines, no class over 300."""
    source = path.read_text()
    assert source.count("\n") <= 400, f"{path.name} has {source.count(chr(10))} lines"
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            assert length <= 300, f"{path.name}: class {node.name} has {length} lines"


@pytest.mark.parametrize(("module", "sibling"), [("immutable_fleet", "blue_green"), ("blue_green", "immutable_fleet")])
def test_the_two_fleets_share_code_only_through_the_building_blocks(module: str, sibling: str) -> None:
    tree = ast.parse((FLEET / f"{module}.py").read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert sibling not in imported and f"immutable_constructs.fleet.{sibling}" not in imported
    assert "launch" in imported  # both build from the launch kit
