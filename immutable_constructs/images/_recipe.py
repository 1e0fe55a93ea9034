"""Components and the image recipe, versioned by their content.

Image Builder components and recipes are immutable (every property but Tags is create-only, and
a name+version exists once). Their versions are ``<major>.<minor>.<patch>`` where ``major.minor``
is the pipeline's ``version`` prop and ``patch`` is the first 28 bits of a sha256 over a canonical
JSON of everything that defines the resource (``_private/content_hash.py``). Unchanged content
gives a byte-identical template and no new image; changed content gives new versions. Reverting
(A -> B -> A) is safe: a version change replaces the resource, CloudFormation creates the
replacement (version A again) before it deletes B, and A's old resource was deleted when B
replaced it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import Annotations, Aws, Stack
from aws_cdk import aws_imagebuilder as imagebuilder
from aws_cdk import aws_kms as kms
from constructs import Construct

from .._private import tags
from .._private.content_hash import content_hash, versioned
from ._names import component_id
from .sources import ImageComponent, ParentImage

WARN_UNPINNED_COMPONENT = "immutable-constructs:unpinnedManagedComponent"

#: The AWS-managed Image Builder component that installs the CloudWatch agent (name, pinned version):
#: ``arn:<partition>:imagebuilder:<region>:aws:component/amazon-cloudwatch-agent-linux/1.0.1`` (EC2 Image
#: Builder User Guide, "AWS managed components"; ``aws imagebuilder list-components --owner Amazon``
#: lists its versions). The fleets' user data starts the agent it installs (fleet/_agent.py).
CLOUDWATCH_AGENT_COMPONENT = ("amazon-cloudwatch-agent-linux", "1.0.1")


#: Amazon Linux 2023 logs to the systemd journal only: it has no rsyslog, so ``/var/log/messages``, the
#: system log every fleet ships (fleet/_agent.py ``SYSTEM_LOGS``), is never written (Amazon Linux 2023
#: User Guide, "Comparing AL2 and AL2023", journald replaces rsyslog; rsyslog stays installable from the
#: AL2023 repository). This component installs rsyslog, whose default configuration reads the journal
#: (``imjournal``) and writes ``/var/log/messages``, enables it at boot, and its test phase (on a fresh
#: instance of the image) checks that a journal line reaches the file. The CloudWatch agent itself reads
#: files only (its ``logs`` section has ``files`` and ``windows_events``; CloudWatch User Guide, "Manually
#: create or edit the CloudWatch agent configuration file"), so the journal reaches it through this file.
SYSTEM_JOURNAL_COMPONENT = "system-journal-to-messages"
_INSTALL_RSYSLOG = (
    "if command -v dnf >/dev/null 2>&1; then dnf install -y rsyslog; "
    "elif command -v yum >/dev/null 2>&1; then yum install -y rsyslog; "
    "elif command -v apt-get >/dev/null 2>&1; then apt-get update && apt-get install -y rsyslog; "
    "else echo 'no package manager to install rsyslog with' >&2; exit 1; fi"
)
_JOURNAL_DOCUMENT = {
    "name": SYSTEM_JOURNAL_COMPONENT,
    "description": "Write the system journal to /var/log/messages (rsyslog), which the fleets ship to CloudWatch",
    "schemaVersion": "1.0",
    "phases": [
        {
            "name": "build",
            "steps": [
                {"name": "InstallRsyslog", "action": "ExecuteBash", "inputs": {"commands": [_INSTALL_RSYSLOG]}},
                {
                    "name": "EnableRsyslog",
                    "action": "ExecuteBash",
                    "inputs": {"commands": ["systemctl enable rsyslog"]},
                },
            ],
        },
        {
            "name": "test",
            "steps": [
                {
                    "name": "JournalReachesMessages",
                    "action": "ExecuteBash",
                    "inputs": {
                        "commands": [
                            "systemctl is-enabled rsyslog && systemctl is-active rsyslog",
                            'marker="immutable-constructs journal check $(date +%s%N)"',
                            'logger -t immutable-constructs "$marker"',
                            'for i in $(seq 1 30); do grep -qF "$marker" /var/log/messages && exit 0; sleep 1; done',
                            "echo 'the journal does not reach /var/log/messages' >&2; exit 1",
                        ]
                    },
                }
            ],
        },
    ],
}


def with_cloudwatch_agent(components: Sequence[ImageComponent]) -> list[ImageComponent]:
    """``components`` plus, at the end, the component that writes the journal to ``/var/log/messages`` and the
    AWS-managed CloudWatch agent component, each unless one of that name is listed already."""
    name, version = CLOUDWATCH_AGENT_COMPONENT
    listed = list(components)  # checked by check_pipeline before the recipe is built
    if not any(c.name == SYSTEM_JOURNAL_COMPONENT for c in listed):
        listed.append(
            ImageComponent.from_dict(
                SYSTEM_JOURNAL_COMPONENT,
                _JOURNAL_DOCUMENT,
                description="The system journal in /var/log/messages (rsyslog), shipped by the CloudWatch agent",
            )
        )
    if any(c.is_managed and c.name == name for c in listed):
        return listed
    return [*listed, ImageComponent.from_aws_managed(name, version)]


@dataclass(frozen=True)
class Recipe:
    """What :func:`build_recipe` made."""

    components: dict[str, imagebuilder.CfnComponent]  # name -> component (documents of yours only)
    component_versions: dict[str, str]  # name -> version
    recipe: imagebuilder.CfnImageRecipe
    recipe_version: str
    content_hash: str  # of the whole recipe


def build_recipe(
    scope: Construct,
    *,
    prefix: str,
    line: str,
    version: str,
    key: kms.IKey,
    parent_image: ParentImage,
    components: Sequence[ImageComponent],
    root_device_name: str,
    root_volume_size: int,
    data_volumes: Mapping[str, int] | None,
    working_directory: str | None,
) -> Recipe:
    """One ``CfnComponent`` per document of yours, then the ``CfnImageRecipe`` over all components."""
    stack = Stack.of(scope)
    built: dict[str, imagebuilder.CfnComponent] = {}
    component_versions: dict[str, str] = {}
    recipe_components: list[imagebuilder.CfnImageRecipe.ComponentConfigurationProperty] = []
    recipe_identity: list[Any] = []
    for component in components:
        parameters = [
            imagebuilder.CfnImageRecipe.ComponentParameterProperty(name=k, value=v)
            for k, v in component.parameters.items()
        ] or None
        if component.is_managed:
            arn = (
                f"arn:{Aws.PARTITION}:imagebuilder:{Aws.REGION}:aws:component/"
                f"{component.name}/{component.managed_version}"
            )
            if "x" in str(component.managed_version):
                Annotations.of(scope).add_warning_v2(
                    WARN_UNPINNED_COMPONENT,
                    f"AWS-managed component {component.name}/{component.managed_version} floats: builds "
                    "pick its newest matching version, so the same recipe version can bake different "
                    "content. Pin a full version for reproducible images.",
                )
            recipe_identity.append(
                {"managed": component.name, "version": component.managed_version, "parameters": component.parameters}
            )
        else:
            identity = {
                "name": component.name,
                "platform": "Linux",
                "data": component.data,
                "description": component.description,
                "kms": stack.resolve(key.key_arn),
                "base": version,
            }
            digest = content_hash(identity)
            component_version = versioned(version, digest)
            component_versions[component.name] = component_version
            cfn_component = imagebuilder.CfnComponent(
                scope,
                component_id(scope, component.name),
                name=f"{prefix}-{component.name}",
                platform="Linux",
                version=component_version,
                data=component.data,
                description=component.description,
                change_description=f"content sha256 {digest}",
                kms_key_id=key.key_arn,
                tags={tags.CONTENT_HASH: digest, tags.IMAGE_LINE: line},
            )
            built[component.name] = cfn_component
            arn = cfn_component.attr_arn
            recipe_identity.append(
                {"component": component.name, "version": component_version, "parameters": component.parameters}
            )
        recipe_components.append(
            imagebuilder.CfnImageRecipe.ComponentConfigurationProperty(component_arn=arn, parameters=parameters)
        )

    # The root volume first, then the data volumes by device name: every one encrypted with the key.
    volumes = [(root_device_name, root_volume_size), *sorted((data_volumes or {}).items())]
    block_devices = [
        imagebuilder.CfnImageRecipe.InstanceBlockDeviceMappingProperty(
            device_name=device,
            ebs=imagebuilder.CfnImageRecipe.EbsInstanceBlockDeviceSpecificationProperty(
                encrypted=True, kms_key_id=key.key_arn, volume_size=size, volume_type="gp3", delete_on_termination=True
            ),
        )
        for device, size in volumes
    ]
    # AWS::ImageBuilder::ImageRecipe.Description is at most 1024 characters; a long parent parameter name
    # (SSM allows 1011) would exceed it.
    description = f"{line} golden image from {parent_image.description}"[:1024]
    recipe_hash = content_hash(
        {
            "parent": stack.resolve(parent_image.reference),
            "components": recipe_identity,
            "block_devices": stack.resolve(block_devices),
            "working_directory": working_directory,
            "description": description,
            "base": version,
        }
    )
    recipe_version = versioned(version, recipe_hash)
    recipe = imagebuilder.CfnImageRecipe(
        scope,
        "Recipe",
        name=f"{prefix}-recipe",
        version=recipe_version,
        parent_image=parent_image.reference,
        components=recipe_components,
        block_device_mappings=block_devices,
        working_directory=working_directory,
        description=description,
        tags={tags.CONTENT_HASH: recipe_hash, tags.IMAGE_LINE: line},
    )
    return Recipe(built, component_versions, recipe, recipe_version, recipe_hash)
