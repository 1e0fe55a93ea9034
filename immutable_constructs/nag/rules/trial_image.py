"""IMM-IMG4: a launch template whose user data installs the CloudWatch agent at boot (a TrialImage).

``TrialImage.amazon_linux_2023`` (images/trial.py) runs a fleet on AWS's stock image and installs
the agent from the package repository at every boot, marked by ``TRIAL_MARKER`` in the user data.
Fine for a first look; not the immutable way, so the pack says so until it is acknowledged.
"""

from __future__ import annotations

from .._intrinsics import get, user_data_text
from .._model import Offence, Resource, Result, Template

ID = "IMM-IMG4"
TITLE = "CloudWatch agent installed at boot (a trial image)"
FIX = (
    "Build the image with GoldenImagePipeline (it bakes the agent in) and pin it with AmiCatalog or "
    "PinnedSsmImage; while you are trying a fleet out, acknowledge IMM-IMG4 with that reason."
)
#: Kept equal to images/trial.py's TRIAL_MARKER (a test checks it; no import: rules stay plain functions).
MARKER = "# immutable-constructs: trial image, CloudWatch agent installed at boot"
USER_DATA_PROPERTIES: dict[str, tuple[str, ...]] = {
    "AWS::EC2::LaunchTemplate": ("LaunchTemplateData", "UserData"),
    "AWS::EC2::Instance": ("UserData",),
    "AWS::AutoScaling::LaunchConfiguration": ("UserData",),
}
RESOURCE_TYPES = frozenset(USER_DATA_PROPERTIES)


def evaluate(resource: Resource, template: Template) -> Result:
    keys = USER_DATA_PROPERTIES[resource.type]
    value = get(resource.properties, *keys)
    if value is None:
        return Result.not_applicable()
    if MARKER not in user_data_text(value, template):
        return Result.of([])
    path = "Properties." + ".".join(keys)
    return Result.of([Offence(path, "<user data>", "installs the CloudWatch agent at every boot (TrialImage)")])
