"""Machine images pinned to a version, so a new image is an explicit template diff.

``PinnedSsmImage("/images/web/stable", version=17)`` renders the launch template's
``ImageId`` as the dynamic reference ``{{resolve:ssm:/images/web/stable:17}}``. The
version is in the template: releasing a new image means changing ``17`` to ``18`` in a
reviewed change, and rolling back means pinning ``17`` again. Compare:

* ``MachineImage.from_ssm_parameter(name, parameter_version=...)`` goes through a
  CloudFormation parameter that CloudFormation re-resolves on every deploy; CDK ignores
  the version there, so any unrelated deploy may roll the fleet to a different AMI.
* ``MachineImage.resolve_ssm_parameter_at_launch(name)`` resolves when each instance
  launches, so instances of one fleet can run different images. That is drift, and
  ``ImmutableFleet`` refuses it.

A parameter **shared from another account** (AWS RAM, ``AmiCatalog(share_with=...)``) is named by its
full ARN, and CloudFormation dynamic references do not support shared parameters (Systems Manager
User Guide, "Working with shared parameters", "Supported and unsupported integrations"). EC2 launch
templates do, with a version: ``resolve:ssm:<parameter-ARN>:<version-number>`` (EC2 Auto Scaling User
Guide, "Use AWS Systems Manager parameters instead of AMI IDs in launch templates"). So
``PinnedSsmImage("arn:aws:ssm:eu-west-1:111111111111:parameter/images/web/stable", version=8)`` renders
``resolve:ssm:arn:aws:ssm:eu-west-1:111111111111:parameter/images/web/stable:8``: EC2 resolves it when
an instance launches, always to version 8, so every instance of the fleet runs the same AMI and a new
image is still a template diff. (``CfnParameter`` of an SSM type, the only CloudFormation-side way to
read a shared parameter, reads its newest version on every deploy: the drift this class avoids.)
"""

from __future__ import annotations

import re

import jsii
from aws_cdk import Token
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from .._private.props import checked, checked_types
from .._private.validation import SSM_PARAMETER_NAME_MAX, is_unresolved
from ..errors import Problem, ValidationError

__all__ = ["PinnedSsmImage"]

# SSM parameter names: letters, digits, . - _ and /, at most 1011 characters
# (a fully qualified name starts with "/"), at most 15 levels of hierarchy.
_PARAMETER_NAME = re.compile(r"^/?[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)*$")
# A parameter's ARN: arn:<partition>:ssm:<region>:<account>:parameter/<name without its leading '/'>.
_PARAMETER_ARN = re.compile(
    r"^arn:aws[a-z-]*:ssm:[a-z]{2}(-[a-z]+)+-[0-9]+:[0-9]{12}:parameter/(?P<name>[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)*)$"
)


def _name_problem(parameter_name: object) -> Problem | None:
    """Why ``parameter_name`` is neither a parameter name nor a parameter ARN, or None."""
    if not isinstance(parameter_name, str):
        return Problem("parameter_name", parameter_name, "is not a string", "e.g. '/images/web/stable'")
    arn = _PARAMETER_ARN.fullmatch(parameter_name)
    name = f"/{arn.group('name')}" if arn else parameter_name
    if parameter_name.startswith("arn:") and arn is None:
        return Problem(
            "parameter_name",
            parameter_name,
            "is not an SSM parameter ARN",
            "use arn:<partition>:ssm:<region>:<12-digit account>:parameter/<name>, e.g. "
            "'arn:aws:ssm:eu-west-1:111111111111:parameter/images/web/stable'",
        )
    if not _PARAMETER_NAME.fullmatch(name) or len(name) > SSM_PARAMETER_NAME_MAX:
        return Problem(
            "parameter_name",
            parameter_name,
            "is not a valid SSM parameter name",
            "use letters, digits, '.', '-', '_' and '/' separators, e.g. '/images/web/stable'",
        )
    if name.strip("/").count("/") >= 15:
        return Problem("parameter_name", parameter_name, "has more than 15 hierarchy levels", "shorten the path")
    return None


@jsii.implements(ec2.IMachineImage)
class PinnedSsmImage:
    """An AMI id read from an SSM parameter at one fixed parameter version.

    :param parameter_name: the parameter's name, e.g. ``/images/web/stable``, or the full ARN of a
        parameter shared with this account through AWS RAM (then the image is resolved by EC2 at launch,
        at the pinned version; see the module docstring). Its data type should be ``aws:ec2:image`` so
        SSM checks that the value is an AMI id. Required.
    :param version: the parameter version to pin (a positive integer). SSM keeps the 100
        newest versions of a parameter; a pinned version older than that no longer resolves. Required.
    :param os_type: the image's operating system. Default: Linux.
    :param user_data: user data to start from. Default: ``UserData.for_linux()``
        (or ``for_windows()`` when ``os_type`` is Windows).
    """

    @checked_types()
    def __init__(
        self,
        parameter_name: str,
        *,
        version: int,
        os_type: ec2.OperatingSystemType | None = None,
        user_data: ec2.UserData | None = None,
    ) -> None:
        problems: list[Problem] = []
        if not is_unresolved(parameter_name):
            problem = _name_problem(parameter_name)
            if problem is not None:
                problems.append(problem)
        if not is_unresolved(version) and (isinstance(version, bool) or not isinstance(version, int) or version < 1):
            problems.append(
                Problem(
                    "version",
                    version,
                    "must be a positive integer parameter version",
                    "pin the version to deploy, e.g. version=17 (see `aws ssm get-parameter-history`)",
                )
            )
        if problems:
            raise ValidationError(f"PinnedSsmImage({parameter_name!r})", problems)
        self.parameter_name = parameter_name
        self.version = version
        self.os_type = os_type or ec2.OperatingSystemType.LINUX
        self._user_data = user_data

    @property
    def shared(self) -> bool:
        """True when the parameter is named by its ARN (a parameter shared from another account)."""
        return isinstance(self.parameter_name, str) and self.parameter_name.startswith("arn:")

    @property
    def image_id(self) -> str:
        """What goes into the template: ``{{resolve:ssm:/images/web/stable:17}}`` (resolved by CloudFormation),
        or for a shared parameter's ARN ``resolve:ssm:<ARN>:17`` (resolved by EC2 at launch, at that version)."""
        version = Token.as_string(self.version) if is_unresolved(self.version) else str(self.version)
        if self.shared:
            return f"resolve:ssm:{self.parameter_name}:{version}"
        return f"{{{{resolve:ssm:{self.parameter_name}:{version}}}}}"

    @jsii.member(jsii_name="getImage")
    @checked()
    def get_image(self, scope: Construct) -> ec2.MachineImageConfig:
        """Return the image configuration for ``scope`` (called by CDK)."""
        if self._user_data is not None:
            user_data = self._user_data
        elif self.os_type == ec2.OperatingSystemType.WINDOWS:
            user_data = ec2.UserData.for_windows()
        else:
            user_data = ec2.UserData.for_linux()
        return ec2.MachineImageConfig(image_id=self.image_id, os_type=self.os_type, user_data=user_data)

    def __repr__(self) -> str:
        return f"PinnedSsmImage({self.parameter_name!r}, version={self.version!r})"
