"""IMM-REP11: containers run with a read-only root file system.

A writable root file system lets a process (or a person with a shell in it) change the running
container: install a package, edit a config file, drop a binary. The next task starts from the image
again, so the change is drift that lives as long as the task. Scratch space belongs on a volume
(a task-definition volume mounted at ``/tmp``), never in the image's layers
(ContainerDefinition ``ReadonlyRootFilesystem``, Amazon ECS Developer Guide, "Task definition parameters").
Windows containers are not judged: ECS does not support the parameter for them ("This parameter is not
supported for Windows containers", ContainerDefinition, Amazon ECS API Reference) and refuses a task
definition that sets it, so a task definition whose ``RuntimePlatform.OperatingSystemFamily`` is a
``WINDOWS_SERVER_*`` family has no compliant form.
"""

from __future__ import annotations

from .._intrinsics import boolean, get, items
from .._model import Offence, Resource, Result, Template

ID = "IMM-REP11"
TITLE = "Container with a writable root file system"
FIX = (
    "Set readonly_root_filesystem=True on the container (ImmutableService does); mount a volume where the "
    "process must write (task_definition.add_volume + container.add_mount_points)."
)
RESOURCE_TYPES = frozenset({"AWS::ECS::TaskDefinition"})


def _windows(resource: Resource) -> bool:
    """Whether the task definition runs Windows containers (a literal ``WINDOWS_SERVER_*`` family)."""
    family = get(resource.properties, "RuntimePlatform", "OperatingSystemFamily")
    return isinstance(family, str) and family.upper().startswith("WINDOWS")


def evaluate(resource: Resource, template: Template) -> Result:
    if _windows(resource):
        return Result.not_applicable()
    offences: list[Offence] = []
    for suffix, container in items(resource.properties.get("ContainerDefinitions")):
        if not isinstance(container, dict):
            continue
        value = container.get("ReadonlyRootFilesystem")
        if boolean(value) is True or isinstance(value, dict):
            continue  # a deploy-time value is the deployer's choice
        name = container.get("Name") if isinstance(container.get("Name"), str) else f"container{suffix}"
        offences.append(
            Offence(
                f"Properties.ContainerDefinitions{suffix}.ReadonlyRootFilesystem",
                value if value is not None else "false (default)",
                f"{name} can change its own file system while it runs",
            )
        )
    return Result.of(offences)
