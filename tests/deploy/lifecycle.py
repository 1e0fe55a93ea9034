"""Deploy, release, failed release and destroy of one stack, checked against the emulator's services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import App, Stack

from ..retained import DOC, RETAINED_SECTION, is_documented, retained_resources
from .conftest import Emulator
from .resources import CHECKS, exists, physical_ids, template_of, unchecked_types


def ensure_versions(emulator: Emulator, parameter: str, newest: int) -> dict[int, str]:
    """Give ``parameter`` at least ``newest`` versions (each a distinct AMI id); version -> AMI id."""
    ssm = emulator.client("ssm")
    try:
        current = ssm.get_parameter(Name=parameter)["Parameter"]["Version"]
    except ssm.exceptions.ParameterNotFound:
        current = 0
    tag = abs(hash(parameter)) % 0xFFFF
    for version in range(current + 1, newest + 1):
        ssm.put_parameter(Name=parameter, Value=f"ami-{tag:04x}{version:013x}", Type="String", Overwrite=True)
    return {v: ssm.get_parameter(Name=f"{parameter}:{v}")["Parameter"]["Value"] for v in range(1, newest + 1)}


BLUE_GREEN_OWNER_TAG = "immutable-constructs:blue-green"  # on every group a BlueGreenFleet's handler owns


def group_images(emulator: Emulator, stack: str) -> dict[str, str]:
    """Each Auto Scaling group of the stack -> the AMI its launch template version resolves to.

    The stack's groups are CloudFormation's and those a blue/green custom resource of the stack owns
    (tagged with its physical id by its handler, outside CloudFormation).
    """
    autoscaling, ec2 = emulator.client("autoscaling"), emulator.client("ec2")
    resources = physical_ids(emulator.client, stack).values()
    cloudformation_groups = {physical for kind, physical in resources if kind == "AWS::AutoScaling::AutoScalingGroup"}
    owners = {physical for kind, physical in resources if kind.startswith("Custom::")}
    groups = autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]
    found = {group["AutoScalingGroupName"] for group in groups}
    assert cloudformation_groups <= found, f"CloudFormation's groups {cloudformation_groups - found} are gone"
    images: dict[str, str] = {}
    for group in groups:
        name = group["AutoScalingGroupName"]
        tags = {tag["Key"]: tag["Value"] for tag in group.get("Tags", [])}
        if name not in cloudformation_groups and tags.get(BLUE_GREEN_OWNER_TAG) not in owners:
            continue
        spec = group["LaunchTemplate"]
        (version,) = ec2.describe_launch_template_versions(
            LaunchTemplateId=spec["LaunchTemplateId"], Versions=[spec["Version"]]
        )["LaunchTemplateVersions"]
        images[name] = version["LaunchTemplateData"]["ImageId"]
    return images


def stack_status(emulator: Emulator, stack: str) -> str | None:
    cloudformation = emulator.client("cloudformation")
    try:
        (found,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except cloudformation.exceptions.ClientError as error:
        if "does not exist" in str(error):
            return None
        raise
    return str(found["StackStatus"])


@dataclass
class Lifecycle:
    """The four steps for one stack: deploy, release, failed release, destroy."""

    emulator: Emulator
    stack: str
    build: Callable[[int], Callable[[App], Stack]]  # image version -> the app's build function
    parameters: tuple[str, ...]  # the SSM parameters the stack pins (all at the same version here)
    first: int
    # Logical ids a release may give a new physical id (none: the launch template gets a new version).
    may_replace: frozenset[str] = frozenset()
    # Checks that need the first deployment (the functions invoked on it): stack name -> None.
    on_deployed: Callable[[Emulator, str], None] | None = None
    # More releases after the failed one: (emulator, stack, a version that exists and was never deployed,
    # version -> AMI ids) -> None. The stack must end as it was (on version first + 1).
    on_rolled_back: Callable[[Emulator, str, int, Callable[[int], set[str]]], None] | None = None

    def run(self) -> dict[str, Any]:
        emulator, stack = self.emulator, self.stack
        amis = [ensure_versions(emulator, parameter, self.first + 2) for parameter in self.parameters]
        missing = self.first + 1000

        def images_of(version: int) -> set[str]:
            return {by_version[version] for by_version in amis}

        assembly, built = emulator.synth(f"{stack}-v{self.first}", self.build(self.first))
        unchecked = unchecked_types(template_of(assembly, stack))
        assert not unchecked, f"give these types a check in tests/deploy/resources.py: {sorted(unchecked)}"
        emulator.deploy(assembly, stack)
        assert stack_status(emulator, stack) == "CREATE_COMPLETE"
        images = group_images(emulator, stack)
        assert len(images) == len(self.parameters) and set(images.values()) == images_of(self.first), images
        if self.on_deployed is not None:
            self.on_deployed(emulator, stack)
        first_ids = physical_ids(emulator.client, stack)

        release, _ = emulator.synth(f"{stack}-v{self.first + 1}", self.build(self.first + 1))
        emulator.deploy(release, stack)
        assert stack_status(emulator, stack) == "UPDATE_COMPLETE"
        assert set(group_images(emulator, stack).values()) == images_of(self.first + 1)
        released_ids = physical_ids(emulator.client, stack)
        assert released_ids.keys() == first_ids.keys()
        replaced = {lid for lid in first_ids if first_ids[lid] != released_ids[lid]}
        assert replaced <= self.may_replace, f"a release replaced {sorted(replaced)}"

        broken, _ = emulator.synth(f"{stack}-v{missing}", self.build(missing))
        failed = emulator.deploy(broken, stack, check=False)
        assert failed.returncode != 0, "deploying a pin whose version does not exist succeeded"
        assert stack_status(emulator, stack) == "UPDATE_ROLLBACK_COMPLETE"
        assert set(group_images(emulator, stack).values()) == images_of(self.first + 1)
        assert physical_ids(emulator.client, stack) == released_ids, "the rollback changed resources"
        output = failed.stdout + failed.stderr
        assert any(f"{p}:{missing}" in output for p in self.parameters), output[-2000:]
        if self.on_rolled_back is not None:
            self.on_rolled_back(emulator, stack, self.first + 2, images_of)

        template = template_of(release, stack)
        retained = retained_resources(built, template)
        in_template = {lid for lid, body in template["Resources"].items() if body.get("DeletionPolicy") == "Retain"}
        assert set(retained) == in_template
        undocumented = {lid: where for lid, where in retained.items() if not is_documented(where)}
        assert not undocumented, f"retained on delete but not in {DOC.name} ({RETAINED_SECTION}): {undocumented}"

        emulator.destroy(release, stack)
        assert stack_status(emulator, stack) in (None, "DELETE_COMPLETE")
        left = {}
        for logical_id, (resource_type, physical_id) in released_ids.items():
            if resource_type not in CHECKS:
                continue
            still = exists(emulator.client, resource_type, physical_id)
            if still != (logical_id in retained):
                left[logical_id] = (resource_type, physical_id, "left" if still else "gone although retained")
        assert not left, f"after destroy: {left}"
        return {"retained": retained, "resources": len(released_ids)}


def load_build(path: Path, name: str, pin_attribute: str = "PinnedSsmImage") -> Callable[[int], Callable[[App], Stack]]:
    """An example's ``build`` with its image pin replaced: the examples pin a constant version."""
    from tests.conftest import load_module

    def for_version(version: int) -> Callable[[App], Stack]:
        module = load_module(path, f"deploy_{name}_{version}")
        real = getattr(module, pin_attribute)

        def pinned(parameter_name: str, **kwargs: Any) -> Any:
            return real(parameter_name, **{**kwargs, "version": version})

        setattr(module, pin_attribute, pinned)
        return module.build  # type: ignore[no-any-return]

    return for_version
