"""TrialImage: a fleet on AWS's stock Amazon Linux 2023 image, the agent installed at boot (pinned)."""

from __future__ import annotations

import base64
import json
import subprocess
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk.assertions import Annotations, Match

from immutable_constructs import ImmutableFleet, TrialImage, ValidationError
from immutable_constructs.images.trial import AGENT_PACKAGE_VERSION, AL2023_RELEASE, TRIAL_MARKER

from ..conftest import only, template_json

AGENT_CTL = "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl"


def user_data_text(stack: Stack) -> tuple[str, dict[str, Any]]:
    data = only(template_json(stack), "AWS::EC2::LaunchTemplate")["Properties"]["LaunchTemplateData"]
    parts = data["UserData"]["Fn::Base64"]
    text = (
        parts
        if isinstance(parts, str)
        else "".join(p if isinstance(p, str) else json.dumps(p) for p in parts["Fn::Join"][1])
    )
    return text, data


@pytest.fixture(scope="module")
def trial() -> Stack:
    app = App()
    stack = Stack(app, "Trial")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    ImmutableFleet(stack, "Web", vpc=vpc, instance_type=ec2.InstanceType("t3.small"),
                   machine_image=TrialImage.amazon_linux_2023(version=97))  # fmt: skip
    return stack


def test_the_stock_ami_is_pinned_like_any_other(trial: Stack) -> None:
    _, data = user_data_text(trial)
    assert data["ImageId"] == "{{resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64:97}}"


def test_the_pinned_agent_is_installed_before_it_is_started(trial: Stack) -> None:
    text, _ = user_data_text(trial)
    install = f"dnf install -y --releasever={AL2023_RELEASE} amazon-cloudwatch-agent-{AGENT_PACKAGE_VERSION}"
    assert install in text
    assert text.index(install) < text.index(f"{AGENT_CTL} -a fetch-config")


def test_no_stock_image_warning_for_a_trial_image(trial: Stack) -> None:
    warnings = Annotations.from_stack(trial).find_warning("*", Match.string_like_regexp("stockImageWithoutAgent"))
    assert warnings == []
    plain = Stack(App(), "Plain")
    ImmutableFleet(plain, "Web", vpc=ec2.Vpc(plain, "Vpc", max_azs=2, nat_gateways=1),
                   instance_type=ec2.InstanceType("t3.small"),
                   machine_image=TrialImage.amazon_linux_2023(version=97)._pinned)  # fmt: skip
    assert Annotations.from_stack(plain).find_warning("*", Match.string_like_regexp("stockImageWithoutAgent"))


def test_arm64_and_overrides() -> None:
    image = TrialImage.amazon_linux_2023(
        version=5, arm64=True, release="2023.9.20251110", agent_version="1.300060.1-1.amzn2023"
    )
    assert image.parameter_name.endswith("al2023-ami-kernel-default-arm64")
    assert (
        "--releasever=2023.9.20251110 amazon-cloudwatch-agent-1.300060.1-1.amzn2023"
        in image.agent_install_commands()[2]
    )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"version": 0}, "version"),
        ({"version": 3, "release": "latest"}, "release='latest': is not an AL2023 release"),
        ({"version": 3, "agent_version": "latest; rm -rf /"}, "agent_version=.*is not a package version"),
        ({"version": 3, "arm64": "yes"}, "arm64='yes': must be True or False"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        TrialImage.amazon_linux_2023(**kwargs)


def test_user_data_decodes() -> None:
    # The marker the rule looks for survives base64 (a literal user data string is decoded by the rule).
    encoded = base64.b64encode(
        b"#!/bin/bash\n# immutable-constructs: trial image, CloudWatch agent installed at boot\n"
    )
    from immutable_constructs.nag._intrinsics import user_data_text as decode
    from immutable_constructs.nag._model import Template

    assert TRIAL_MARKER in decode(encoded.decode(), Template({}))


def test_the_system_journal_reaches_var_log_messages_on_a_trial_host() -> None:
    # Amazon Linux 2023 has no rsyslog, so /var/log/messages (a log every fleet ships) would never be written.
    image = TrialImage.amazon_linux_2023(version=5, release="2023.9.20251110")
    (line,) = [c for c in image.agent_install_commands() if "rsyslog" in c and not c.startswith("#")]
    assert line.startswith("dnf install -y --releasever=2023.9.20251110 rsyslog && systemctl enable --now rsyslog")
    assert "exit" not in line, "a host without rsyslog still serves: the install is not fatal"
    proc = subprocess.run(["bash", "-n", "-c", "\n".join(image.agent_install_commands())], capture_output=True)
    assert proc.returncode == 0, proc.stderr
