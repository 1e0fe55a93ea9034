"""Warning ids have one style (``immutable-constructs:lowerCamelCase``) and a renamed id's old
acknowledgement still silences the warning (users acknowledged the 0.1.0 ids)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from aws_cdk import Annotations as CoreAnnotations
from aws_cdk import App, Stack
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Annotations, Match

import immutable_constructs
from immutable_constructs import SessionManagerAccess
from immutable_constructs._private.warnings import ID_STYLE, warn

# The installed package (the nox matrix tests the wheel in a copy without the repository's sources).
PACKAGE = Path(immutable_constructs.__file__).resolve().parent
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def warning_ids() -> dict[str, str]:
    """Every warning id the package emits (add_warning_v2 or warn), resolved from literals and module constants."""
    found: dict[str, str] = {}
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        constants = {
            target.id: node.value.value
            for node in tree.body
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name not in {"add_warning_v2", "warn"} or not node.args or path.name == "warnings.py":
                continue  # (warnings.py is the helper itself)
            if isinstance(node.func, ast.Attribute) and ast.unparse(node.func) == "warnings.warn":
                continue  # Python's warnings module (DeprecationWarning), not a CDK annotation
            args = node.args[1:] if name == "warn" else node.args
            first = args[0] if args else None
            if isinstance(first, ast.Constant):
                value = first.value
            elif isinstance(first, ast.Name) and first.id in constants:
                value = constants[first.id]
            elif isinstance(first, ast.JoinedStr) and "Deprecated" in ast.unparse(first):
                continue  # CDK's own deprecation ids (Deprecated:<api>)
            else:
                value = f"<unresolved {ast.unparse(first) if first else ''}>"
            found[f"{path.relative_to(PACKAGE)}:{node.lineno}"] = str(value)
    return found


def test_every_warning_id_is_in_the_house_style() -> None:
    ids = warning_ids()
    assert len(ids) >= 10, ids  # the scan finds the fleets', the pipeline's and Session Manager's warnings
    wrong = {where: value for where, value in ids.items() if not ID_STYLE.fullmatch(value)}
    assert wrong == {}


def test_warn_refuses_an_id_in_another_style() -> None:
    with pytest.raises(ValueError, match="lowerCamelCase"):
        warn(Stack(App(), "S"), "immutable-constructs:some-kebab-id", "text")


@pytest.mark.parametrize(
    "acknowledged",
    ["immutable-constructs:sessionKeyPolicyNotUpdated", "immutable-constructs:session-manager-key-policy-not-updated"],
)
def test_the_new_and_the_former_id_both_acknowledge_a_renamed_warning(acknowledged: str) -> None:
    stack = Stack(App(), "S")
    SessionManagerAccess(stack, "Sessions", encryption_key=kms.Key.from_key_arn(stack, "Key", KEY_ARN))
    pattern = Match.string_like_regexp("key policy cannot be changed here")
    assert Annotations.from_stack(stack).find_warning("*", pattern) != []
    CoreAnnotations.of(stack).acknowledge_warning(acknowledged)
    assert Annotations.from_stack(stack).find_warning("*", pattern) == []
