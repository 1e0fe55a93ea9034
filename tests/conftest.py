"""Shared fixtures.

One Python process (so one jsii/Node process) runs the whole suite. The reference app and
every example are synthesized once per session into build/templates/<name>/, where the
tests inspect them and `make test` runs cfn-lint over them afterwards.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

# CDK's built-in "CloudFormation Validate" plugin adds seconds to every synth; cfn-lint
# checks the same templates (and more) in `make test`. Policy plugins (cdk-nag) still run.
os.environ.setdefault("CDK_VALIDATION", "false")

from aws_cdk import App, CfnElement, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk.assertions import Template
from constructs import IConstruct

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "build" / "templates"


def load_module(path: Path, name: str) -> ModuleType:
    """Import a Python file (app.py or an example) as a module without running its __main__ block."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def example_apps() -> list[Path]:
    return sorted((ROOT / "examples").glob("*/app.py"))


@dataclass
class Synthesized:
    """One app synthesized into build/templates/<name>/."""

    name: str
    outdir: Path
    templates: dict[str, dict[str, Any]]  # stack name -> template
    report: dict[str, Any] | None  # validation-report.json when a policy plugin ran
    app: App | None = None  # the synthesized app, for tests that read the construct tree

    def count(self, kind: type) -> int:
        """How many ``kind`` constructs the app holds (every stack, stages' too)."""
        assert self.app is not None, f"{self.name} was synthesized without its App"
        return sum(isinstance(node, kind) for node in self.app.node.find_all())

    def resources(self, type_name: str) -> dict[str, dict[str, Any]]:
        """Every resource of ``type_name`` in every stack of the app, by logical id; a logical id that several
        stacks share (the same stage deployed to several environments) is keyed ``<stack name>/<logical id>``."""
        found = [
            (stack_name, logical_id, resource)
            for stack_name, template in self.templates.items()
            for logical_id, resource in template.get("Resources", {}).items()
            if resource["Type"] == type_name
        ]
        counts = Counter(logical_id for _, logical_id, _ in found)
        return {
            (logical_id if counts[logical_id] == 1 else f"{stack_name}/{logical_id}"): resource
            for stack_name, logical_id, resource in found
        }


# -- one set of template helpers for every test module ------------------------------------------


def template_json(template: Mapping[str, Any] | Template | Stack) -> dict[str, Any]:
    """A template as a dict: from a dict, an assertions ``Template`` or a ``Stack`` (synthesized)."""
    if isinstance(template, Stack):
        template = Template.from_stack(template)
    if isinstance(template, Template):
        return template.to_json()  # type: ignore[no-any-return]
    return dict(template)


def resources_of(
    template: Mapping[str, Any] | Template | Stack, type_name: str, prefix: str = ""
) -> dict[str, dict[str, Any]]:
    """Every resource of ``type_name`` (logical id -> resource), optionally whose logical id starts with ``prefix``."""
    found = template_json(template).get("Resources", {})
    return {
        logical_id: resource
        for logical_id, resource in found.items()
        if resource["Type"] == type_name and logical_id.startswith(prefix)
    }


def joined(value: Any) -> str:
    """A string, or a ``Fn::Join`` of strings and ``Ref: AWS::Partition``, as it reads in the aws partition."""
    if isinstance(value, str):
        return value
    separator, parts = value["Fn::Join"]
    return str(separator).join("aws" if part == {"Ref": "AWS::Partition"} else part for part in parts)


def only_item(
    template: Mapping[str, Any] | Template | Stack, type_name: str, prefix: str = ""
) -> tuple[str, dict[str, Any]]:
    """The one resource of ``type_name`` (and ``prefix``) as (logical id, resource); fails unless exactly one."""
    found = resources_of(template, type_name, prefix)
    assert len(found) == 1, f"expected one {type_name} starting with {prefix!r}, found {sorted(found)}"
    return next(iter(found.items()))


def only(template: Mapping[str, Any] | Template | Stack, type_name: str, prefix: str = "") -> dict[str, Any]:
    """The one resource of ``type_name`` (and ``prefix``), the whole resource (``Type``, ``Properties``, ...)."""
    return only_item(template, type_name, prefix)[1]


def logical_id(stack: Stack, construct: IConstruct) -> str:
    """The logical id of a construct's CloudFormation resource (its default child, or itself)."""
    element = construct if isinstance(construct, CfnElement) else construct.node.default_child
    assert isinstance(element, CfnElement), f"{construct.node.path} has no CloudFormation resource"
    return str(stack.resolve(element.logical_id))


def app_context(path: Path) -> dict[str, Any]:
    """The context committed in the app's cdk.json (its image pins), as `cdk synth` would read it."""
    cdk_json = path.parent / "cdk.json"
    return dict(json.loads(cdk_json.read_text()).get("context", {})) if cdk_json.exists() else {}


def synthesize(name: str, path: Path, context: dict[str, Any] | None = None) -> Synthesized:
    outdir = TEMPLATES / name
    shutil.rmtree(outdir, ignore_errors=True)
    module = load_module(path, f"synth_{name}")
    app = App(outdir=str(outdir), context=app_context(path) if context is None else context)
    module.build(app)
    assembly = app.synth()
    # Every stack, the stacks of nested stages too (a ReleasePipeline's waves): the whole-app checks judge them all.
    stacks = assembly.stacks_recursively
    templates = {stack.stack_name: stack.template for stack in stacks}
    assert len(templates) == len(stacks), f"{name}: two stacks share a name: {[s.stack_name for s in stacks]}"
    report_path = outdir / "validation-report.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else None
    return Synthesized(name=name, outdir=outdir, templates=templates, report=report, app=app)


@pytest.fixture(scope="session")
def reference_app() -> Synthesized:
    """app.py, synthesized with its rule packs."""
    return synthesize("app", ROOT / "app.py")


@pytest.fixture(scope="session")
def examples() -> dict[str, Synthesized]:
    """Every examples/<name>/app.py, synthesized."""
    return {path.parent.name: synthesize(f"example-{path.parent.name}", path) for path in example_apps()}


@pytest.fixture
def stack() -> Iterator[Stack]:
    """A fresh, empty stack in a fresh app (construction is cheap; only synth costs)."""
    app = App()
    yield Stack(app, "Test")


@pytest.fixture
def vpc(stack: Stack) -> ec2.Vpc:
    return ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
