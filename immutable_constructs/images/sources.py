"""What a golden image is made of: the :class:`ParentImage` a recipe starts from and the
:class:`ImageComponent` steps that build and test it.

Both are value objects made by ``from_*`` factories. A factory never raises: it records the first
problem of its input, and :class:`~immutable_constructs.GoldenImagePipeline` reports it in its one
ValidationError, which names the pipeline's construct path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

from aws_cdk import Aws

from .._private.props import Rule, checked_factory, checked_types
from ..errors import Problem, ValidationError
from ._pipeline_checks import component_problem, file_problem, managed_problem, parent_problem
from ._props import DESCRIPTION, first_problem
from .catalog import AmiCatalog

__all__ = ["ImageComponent", "ParentImage"]

_MANAGED_VERSION = re.compile(r"^([0-9]+|x)\.([0-9]+|x)\.([0-9]+|x)$")
_MANAGED_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,125}$")

Parameters = Mapping[str, str | Sequence[str]]
_NAME = Rule(blank=False, fix="e.g. 'install-web'")


def _component(owner: str) -> Callable[[Mapping[str, Any], list[Problem]], ImageComponent]:
    """What a component factory returns for input its spec refuses: a component carrying the first problem."""

    def defer(arguments: Mapping[str, Any], problems: list[Problem]) -> ImageComponent:
        name = arguments.get("name")
        return ImageComponent(name=name if isinstance(name, str) else "invalid")._with_problem(
            first_problem(owner, "components", problems)
        )

    return defer


def _parent(owner: str) -> Callable[[Mapping[str, Any], list[Problem]], ParentImage]:
    """What a parent image factory returns for input its spec refuses: a parent carrying the first problem."""

    def defer(arguments: Mapping[str, Any], problems: list[Problem]) -> ParentImage:
        return ParentImage("invalid", description="invalid")._with_problem(
            first_problem(owner, "parent_image", problems)
        )

    return defer


class ImageComponent:
    """One build or test step of an image: a component document of yours, or an AWS-managed component.

    Use the factories: :meth:`from_file`, :meth:`from_yaml`, :meth:`from_dict`, :meth:`from_aws_managed`.

    :param name: the component's name (``<pipeline>-<name>`` in Image Builder), or the AWS-managed
        component's name.
    :param data: the component document (YAML or JSON text). Default: ``None`` (an AWS-managed component).
    :param managed_version: the AWS-managed component's version. Default: ``None`` (a document of yours).
    :param parameters: name -> value or list of values, passed to the component in the recipe.
        Default: none.
    :param description: the component's description in Image Builder. Default: none.
    :param source: where the document was read from, for messages. Default: ``None`` (not from a file).
    """

    @checked_types()
    def __init__(
        self,
        *,
        name: str,
        data: str | None = None,
        managed_version: str | None = None,
        parameters: Parameters | None = None,
        description: str | None = None,
        source: str | None = None,
    ) -> None:
        self.name = name
        self.data = data
        self.managed_version = managed_version
        self.parameters: dict[str, list[str]] = {
            k: [v] if isinstance(v, str) else list(v) if isinstance(v, (list, tuple)) else [str(v)]
            for k, v in (parameters or {}).items()
        }
        self.description = description
        self.source = source
        # An input problem found by a factory, reported by the pipeline (which knows its construct path).
        self._problem: tuple[str, object, str, str] | None = None

    def _with_problem(self, problem: tuple[str, object, str, str] | None) -> ImageComponent:
        self._problem = problem
        return self

    @classmethod
    @checked_factory(_component("ImageComponent.from_file"), name=_NAME, description=DESCRIPTION)
    def from_file(
        cls,
        path: str | Path,
        *,
        name: str | None = None,
        parameters: Parameters | None = None,
        description: str | None = None,
    ) -> ImageComponent:
        """A component document (YAML or JSON) read from ``path``, a file inside the app's directory.

        :param name: the component's name. Default: the file's stem, lower-cased, ``.`` replaced by ``-``.
        :param parameters: name -> value or list of values, passed in the recipe. Default: none.
        :param description: the component's description. Default: none.
        """
        resolved, problem = file_problem(path)
        file = Path(path) if isinstance(path, (str, Path)) else Path("?")
        component_name = name or file.stem.lower().replace(".", "-")
        if resolved is None:
            return cls(name=component_name, source=str(file))._with_problem(problem)
        try:
            data = resolved.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError) as error:
            reason = (
                f"is not UTF-8 text ({error.reason} at byte {error.start})"
                if isinstance(error, UnicodeDecodeError)
                else f"cannot be read ({error.strerror})"
            )
            return cls(name=component_name, source=str(file))._with_problem(
                ("components", str(file), reason, "save the component document as UTF-8 (YAML or JSON)")
            )
        return cls(
            name=component_name,
            data=data,
            parameters=_parameters(parameters),
            description=description,
            source=str(file),
        )._with_problem(component_problem(component_name, data=data, parameters=parameters))

    @classmethod
    @checked_factory(_component("ImageComponent.from_yaml"), name=_NAME, text=_NAME, description=DESCRIPTION)
    def from_yaml(
        cls,
        name: str,
        text: str,
        *,
        parameters: Parameters | None = None,
        description: str | None = None,
    ) -> ImageComponent:
        """A component document given as YAML (or JSON) text.

        :param parameters: name -> value or list of values, passed in the recipe. Default: none.
        :param description: the component's description. Default: none.
        """
        problem = component_problem(name, data=text, parameters=parameters)
        return cls(name=name, data=text, parameters=_parameters(parameters), description=description)._with_problem(
            problem
        )

    @classmethod
    @checked_factory(_component("ImageComponent.from_dict"), name=_NAME, description=DESCRIPTION)
    def from_dict(
        cls,
        name: str,
        document: Mapping[str, Any],
        *,
        parameters: Parameters | None = None,
        description: str | None = None,
    ) -> ImageComponent:
        """A component document given as a dict (``schemaVersion``, ``phases``...), written as JSON (valid YAML).

        :param parameters: name -> value or list of values, passed in the recipe. Default: none.
        :param description: the component's description. Default: none.
        """
        if not isinstance(cast(object, document), Mapping):  # callers without a type checker
            return cls(name=str(name))._with_problem(
                ("components", document, "the component document must be a dict", "pass e.g. {'phases': [...]}")
            )
        problem = component_problem(name, data=None, parameters=parameters)
        if problem is None and "phases" not in document:
            problem = ("components", name, "component document has no 'phases'", "add phases: build/validate/test")
        return cls(
            name=name,
            data=json.dumps(document, indent=2, default=str),
            parameters=_parameters(parameters),
            description=description,
        )._with_problem(problem)

    @classmethod
    @checked_factory(_component("ImageComponent.from_aws_managed"), name=_NAME, version=_NAME)
    def from_aws_managed(
        cls, name: str, version: str = "x.x.x", *, parameters: Parameters | None = None
    ) -> ImageComponent:
        """An AWS-managed component by name and version, e.g. ``from_aws_managed("update-linux", "1.0.2")``.

        ``x`` parts of ``version`` float to the newest matching version when the image is built (a
        warning says so); a full version pins it.

        :param version: ``<major>.<minor>.<patch>``, each a number or ``x``. Default: ``"x.x.x"`` (the newest).
        :param parameters: name -> value or list of values, passed in the recipe. Default: none.
        """
        problem = managed_problem(name, version, parameters)
        if problem is not None:
            return cls(name=str(name), managed_version=str(version))._with_problem(problem)
        if not _MANAGED_VERSION.fullmatch(version):
            problem = (
                "components",
                f"{name}/{version}",
                "AWS-managed component version must be <major>.<minor>.<patch>, each a number or 'x'",
                "use e.g. '1.0.2' (pinned) or '1.x.x'",
            )
        elif not _MANAGED_NAME.fullmatch(name):
            problem = ("components", name, "is not an AWS-managed component name", "use e.g. 'update-linux'")
        return cls(name=name, managed_version=version, parameters=_parameters(parameters))._with_problem(problem)

    @property
    def is_managed(self) -> bool:
        return self.managed_version is not None

    def __repr__(self) -> str:
        kind = f"aws_managed {self.managed_version}" if self.is_managed else "document"
        return f"ImageComponent({self.name!r}, {kind})"


class ParentImage:
    """The image a recipe starts from. Use the factories: :meth:`from_ssm_parameter`, :meth:`from_catalog`,
    :meth:`from_managed`, :meth:`from_ami`.

    :param reference: what the recipe's ``ParentImage`` property holds (``ssm:<name>``, an image ARN or an
        AMI id).
    :param description: how the image is described in the recipe's description.
    :param parameter_name: the SSM parameter the AMI id is read from when a build starts, which the
        pipeline's execution role is allowed to read. Default: ``None`` (the parent is not an SSM
        parameter).
    """

    @checked_types()
    def __init__(self, reference: str, *, description: str, parameter_name: str | None = None) -> None:
        self.reference = reference
        self.description = description
        #: The SSM parameter the AMI id is read from when a build starts (the execution role reads it).
        self.parameter_name = parameter_name
        # An input problem found by a factory, reported by the pipeline (which knows its construct path).
        self._problem: tuple[str, object, str, str] | None = None

    def _with_problem(self, problem: tuple[str, object, str, str] | None) -> ParentImage:
        self._problem = problem
        return self

    @classmethod
    @checked_factory(_parent("ParentImage.from_ssm_parameter"), name=Rule(blank=False))
    def from_ssm_parameter(cls, name: str) -> ParentImage:
        """The AMI in an SSM parameter, read when each build starts (``ssm:<name>``).

        E.g. ``/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64``. With a
        schedule that runs only when dependencies updated, a new parent AMI triggers a build.
        """
        return cls(f"ssm:{name}", description=f"ssm parameter {name}", parameter_name=name)._with_problem(
            parent_problem("ssm_parameter", name)
        )

    @classmethod
    @checked_factory(
        _parent("ParentImage.from_catalog"),
        # Only its parameter name is used: the parent is read from that parameter in the pipeline's region.
        catalog=Rule(any_region="the parent is the catalog line's parameter of that name in the pipeline's region"),
    )
    def from_catalog(cls, catalog: AmiCatalog, line: str, channel: str = "stable") -> ParentImage:
        """An image line of an :class:`~immutable_constructs.AmiCatalog` channel (layered golden images).

        :param channel: the catalog channel the parent is read from. Default: ``"stable"``.
        """
        try:
            name = catalog.parameter_name(line, channel)
        except ValidationError as error:  # a line or channel the catalog does not have
            return _parent("ParentImage.from_catalog")({}, list(error.problems))
        if catalog.owner_account is not None:  # not verified: Image Builder resolving a shared parameter's ARN
            why = "reads another account's shared parameters; a recipe's parent is read by name in this account"
            fix = "build from a catalog of this account, or ParentImage.from_ami(<the AMI id>)"
            return _parent("ParentImage.from_catalog")({}, [Problem("catalog", catalog.node.path, why, fix)])
        return cls.from_ssm_parameter(name)

    @classmethod
    @checked_factory(_parent("ParentImage.from_managed"), name=Rule(blank=False), version=Rule(blank=False))
    def from_managed(cls, name: str, version: str = "x.x.x") -> ParentImage:
        """An Image Builder managed image, e.g. ``from_managed("amazon-linux-2023-x86")``.

        :param version: ``<major>.<minor>.<patch>``, each a number or ``x``. Default: ``"x.x.x"`` (the newest).
        """
        arn = f"arn:{Aws.PARTITION}:imagebuilder:{Aws.REGION}:aws:image/{name}/{version}"
        return cls(arn, description=f"managed image {name}/{version}")._with_problem(
            parent_problem("managed", name, version)
        )

    @classmethod
    @checked_factory(_parent("ParentImage.from_ami"), ami_id=Rule(blank=False))
    def from_ami(cls, ami_id: str) -> ParentImage:
        """A fixed AMI id (``ami-...``): fully pinned, never updated."""
        return cls(str(ami_id), description=str(ami_id))._with_problem(parent_problem("ami", ami_id))

    def __repr__(self) -> str:
        return f"ParentImage({self.reference!r})"


def _parameters(parameters: Parameters | None) -> Parameters | None:
    """Parameters as given when they are a dict (the factory reported any other type); else none."""
    return parameters if isinstance(parameters, Mapping) else None
