"""A fleet before there is a golden image: AWS's stock Amazon Linux 2023, the agent installed at boot.

Every fleet's user data starts the CloudWatch agent and fails the boot without it, and AWS's
Amazon Linux AMIs do not include the agent. ``TrialImage.amazon_linux_2023(version=N)`` lets a
team see a fleet work on day one: the AMI is AWS's public parameter
``/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-<arch>`` pinned at a parameter
version (``{{resolve:ssm:...:N}}``, so a new AMI is still a template diff), and the fleet's user
data installs one pinned agent package from the Amazon Linux repository, at a pinned repository
release, before it starts the agent:

    dnf install -y --releasever=2023.12.20260928 amazon-cloudwatch-agent-1.300071.0-1.amzn2023

This is not the immutable way: every boot downloads and installs software, a boot without the
repository (no NAT, no S3 gateway endpoint) fails, and the host is not the image that was
tested. The rule pack reports every launch template that does it as ``IMM-IMG4`` (a warning,
acknowledgeable for a trial). For production, build the image with ``GoldenImagePipeline``
(which installs the agent in the image) and pin it with ``AmiCatalog`` or ``PinnedSsmImage``.

Sources: Amazon Linux 2023 User Guide, "Deterministic upgrades through versioned repositories"
(``dnf --releasever``) and release notes 2023.12.20260928 (``amazon-cloudwatch-agent-1.300071.0-1.amzn2023``
in its repository; read 2026-12-05); AWS Systems Manager User Guide, "Finding public AMIs"
(``/aws/service/ami-amazon-linux-latest/...``).
"""

from __future__ import annotations

import re

import jsii
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from .._private.props import Rule, checked, checked_types
from ..errors import Problem, ValidationError
from .pinned import PinnedSsmImage

__all__ = ["TRIAL_MARKER", "TrialImage"]

#: The Amazon Linux 2023 repository release the agent package is taken from (its release notes list it).
AL2023_RELEASE = "2023.12.20260928"
#: The agent package of that release.
AGENT_PACKAGE_VERSION = "1.300071.0-1.amzn2023"
#: The comment that marks the install in user data (nag/rules/trial_image.py looks for it).
TRIAL_MARKER = "# immutable-constructs: trial image, CloudWatch agent installed at boot"
_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{arch}"
_RELEASE = re.compile(r"^2023\.\d+\.\d{8}$")
_PACKAGE_VERSION = re.compile(r"^\d+\.\d+(\.\d+)?(-[0-9A-Za-z._]+)?$")


@jsii.implements(ec2.IMachineImage)
class TrialImage:
    """AWS's stock Amazon Linux 2023 AMI at a pinned parameter version, for trying a fleet
    without a golden image. The fleet installs the CloudWatch agent at boot (pinned package,
    pinned repository release) before starting it, and rsyslog from the same release so the system
    journal reaches ``/var/log/messages`` (not fatal when it fails); the rule pack reports ``IMM-IMG4``.

    Use :meth:`amazon_linux_2023`.
    """

    #: Read by the fleets' launch kit: install the agent before starting it, and do not warn that
    #: the stock image has no agent.
    installs_cloudwatch_agent_at_boot = True

    @checked_types()
    def __init__(self, pinned: PinnedSsmImage, *, release: str, agent_version: str) -> None:
        self._pinned = pinned
        self.release = release
        self.agent_version = agent_version

    @staticmethod
    @checked(version=Rule(low=1, fix="the parameter version in your region, e.g. version=42"))
    def amazon_linux_2023(
        *,
        version: int,
        arm64: bool | None = None,
        release: str | None = None,
        agent_version: str | None = None,
    ) -> TrialImage:
        """The stock AL2023 AMI at version ``version`` of AWS's public parameter.

        :param version: the version of ``/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-<arch>``
            in your region (``aws ssm get-parameter --name <that name> --query Parameter.Version``;
            versions differ per region). Required: the AMI is pinned like any other.
        :param arm64: the arm64 (Graviton) AMI. Default: False (x86_64).
        :param release: the Amazon Linux repository release the agent is installed from.
            Default: ``2023.12.20260928``.
        :param agent_version: the ``amazon-cloudwatch-agent`` package version-release in that
            repository release. Default: ``1.300071.0-1.amzn2023``.
        """
        problems: list[Problem] = []
        chosen_release = AL2023_RELEASE if release is None else release
        chosen_agent = AGENT_PACKAGE_VERSION if agent_version is None else agent_version
        if not isinstance(chosen_release, str) or not _RELEASE.fullmatch(chosen_release):
            problems.append(Problem("release", release, "is not an AL2023 release", "e.g. '2023.12.20260928'"))
        if not isinstance(chosen_agent, str) or not _PACKAGE_VERSION.fullmatch(chosen_agent):
            problems.append(
                Problem("agent_version", agent_version, "is not a package version", "e.g. '1.300071.0-1.amzn2023'")
            )
        architecture: object = arm64  # a typed signature does not stop a caller passing "yes"
        if not isinstance(architecture, (bool, type(None))):
            problems.append(Problem("arm64", arm64, "must be a boolean", "pass True for Graviton instance types"))
        if problems:
            raise ValidationError("TrialImage.amazon_linux_2023", problems)
        name = _PARAMETER.format(arch="arm64" if arm64 else "x86_64")
        return TrialImage(PinnedSsmImage(name, version=version), release=chosen_release, agent_version=chosen_agent)

    @property
    def parameter_name(self) -> str:
        return self._pinned.parameter_name

    @checked()
    def agent_install_commands(self) -> list[str]:
        """The user data that installs the pinned agent package (the launch kit runs it before the agent starts)."""
        return [
            TRIAL_MARKER,
            "# Not immutable: bake the agent into an image (GoldenImagePipeline) for production; IMM-IMG4.",
            f"dnf install -y --releasever={self.release} amazon-cloudwatch-agent-{self.agent_version} || {{ "
            "echo 'immutable-constructs: could not install the CloudWatch agent from the Amazon Linux repository "
            "(the subnet needs a NAT gateway or an S3 gateway endpoint)' >&2; exit 1; }",
            # Amazon Linux 2023 logs to the journal only; rsyslog writes it to /var/log/messages, the system log
            # every fleet ships (what the pipeline's system-journal-to-messages component bakes; images/_recipe.py).
            # Not fatal: without it the host works and ships its other logs.
            f"dnf install -y --releasever={self.release} rsyslog && systemctl enable --now rsyslog || "
            "echo 'immutable-constructs: rsyslog not installed: /var/log/messages stays empty' >&2",
        ]

    @jsii.member(jsii_name="getImage")
    @checked()
    def get_image(self, scope: Construct) -> ec2.MachineImageConfig:
        """Return the image configuration for ``scope`` (called by CDK)."""
        return self._pinned.get_image(scope)

    def __repr__(self) -> str:
        return f"TrialImage({self._pinned!r}, release={self.release!r}, agent_version={self.agent_version!r})"
