"""Messages: IMM-REP1 with a launch configuration, IMM-IMG3's fix per case."""

from __future__ import annotations

import pytest

from immutable_constructs.nag.rules.unversioned_ami import suggested_fix

from ..helpers import PACK


def test_rep1_with_a_launch_configuration_names_it_and_no_scheduled_action() -> None:
    group = {
        "Type": "AWS::AutoScaling::AutoScalingGroup",
        "Properties": {"MinSize": "1", "MaxSize": "2", "LaunchConfigurationName": {"Ref": "Config"},
                       "MaxInstanceLifetime": 86400},
        "UpdatePolicy": {"AutoScalingScheduledAction": {"IgnoreUnmodifiedGroupSizeProperties": True}},
    }  # fmt: skip
    (finding,) = [f for f in PACK.check_template({"Resources": {"G": group}}) if f.rule_id == "IMM-REP1"]
    assert "new launch configuration" in finding.message
    assert "launch template" not in finding.message and "IgnoreUnmodified" not in finding.message


def test_rep1_with_a_launch_template_names_its_versions() -> None:
    group = {
        "Type": "AWS::AutoScaling::AutoScalingGroup",
        "Properties": {"MinSize": "1", "MaxSize": "2", "LaunchTemplate": {"LaunchTemplateId": {"Ref": "T"}}},
    }
    (finding,) = [f for f in PACK.check_template({"Resources": {"G": group}}) if f.rule_id == "IMM-REP1"]
    assert "new launch template version" in finding.message


@pytest.mark.parametrize(
    ("name", "expected", "absent"),
    [
        ("/images/web/stable", "catalog.machine_image('web', channel='stable', version=N)", "GoldenImagePipeline"),
        ("/team/ami", "PinnedSsmImage('/team/ami', version=N)", "catalog"),
        (
            "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
            "GoldenImagePipeline",
            "deprecated",
        ),
        ("/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2", "deprecated image line", "PinnedSsmImage"),
        ("/aws/service/canonical/ubuntu/server/20.04/stable/current/amd64/hvm/ebs-gp2/ami-id", "deprecated", "xx"),
    ],
)
def test_img3_fix_per_case(name: str, expected: str, absent: str) -> None:
    fix = suggested_fix(name)
    assert expected in fix and absent not in fix
    if name.startswith("/aws/service/"):
        assert "literal id" in fix


def test_img3_finding_carries_the_case_fix() -> None:
    template = {
        "Parameters": {"P": {"Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
                             "Default": "/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2"}},
        "Resources": {"T": {"Type": "AWS::EC2::LaunchTemplate",
                            "Properties": {"LaunchTemplateData": {"ImageId": {"Ref": "P"}}}}},
    }  # fmt: skip
    (finding,) = [f for f in PACK.check_template(template) if f.rule_id == "IMM-IMG3"]
    assert "Amazon Linux 2 reaches end of support" in finding.fix
