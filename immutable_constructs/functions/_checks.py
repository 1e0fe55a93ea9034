"""The props of :class:`VersionedFunction` across each other: one ``ValidationError`` naming every problem.

Each prop's type and range is the spec's (``@checked``); this module judges what only the props together say:
a new function needs runtime, handler and code; an existing one takes none of the new function's props; a
secret never goes into a plain environment variable (the check IMM-SEC3 makes on the template, made earlier,
where the fix is one line of the user's code).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from .._private.validation import Problems, is_unresolved
from ..nag._secrets import secret_variable

#: Props this construct names itself: given in ``function_options`` too, which one would win?
_OWN = ("runtime", "handler", "code", "environment", "timeout", "memory_size", "log_group", "log_retention")


def check_props(
    scope: Construct,
    *,
    runtime: object,
    handler: object,
    code: object,
    function: object,
    function_options: Mapping[str, Any] | None,
    environment: Mapping[str, str] | None,
    timeout: object,
    memory_size: object,
    log_retention: object,
) -> None:
    problems = Problems(scope)
    if function is None:
        for prop, value, example in (
            ("runtime", runtime, "runtime=lambda_.Runtime.PYTHON_3_13"),
            ("handler", handler, "handler='index.handler'"),
            ("code", code, "code=lambda_.Code.from_asset('src')"),
        ):
            if value is None:
                problems.add(prop, None, "is required for a new function", f"pass {example}, or pass function=")
        for name in sorted(set(function_options or {}) & set(_OWN)):
            problems.add(
                f"function_options[{name!r}]",
                (function_options or {})[name],
                f"is a prop of VersionedFunction itself ({name}=)",
                f"pass {name}= directly" if name != "log_group" else "leave it out: the construct owns the log group",
            )
    else:
        assert isinstance(function, lambda_.Function)  # the spec checked its type
        given = {
            "runtime": runtime, "handler": handler, "code": code, "function_options": function_options,
            "environment": environment, "timeout": timeout, "memory_size": memory_size, "log_retention": log_retention,
        }  # fmt: skip
        for prop, value in given.items():
            if value is not None:
                problems.add(
                    prop,
                    value,
                    "applies to a new function, but function= is given",
                    f"set it on {function.node.path} itself, or leave function unset",
                )
        if Stack.of(function) is not Stack.of(scope):
            problems.add(
                "function",
                function.node.path,
                f"is in stack {Stack.of(function).node.path}, not in {Stack.of(scope).node.path}",
                "create the VersionedFunction in the function's stack (its versions and alias live there)",
            )
    if isinstance(timeout, Duration) and not _known(timeout):
        # The duration alarm's threshold is 80 % of it, and Lambda converts a token timeout only from its own unit.
        problems.add("timeout", timeout, "is a token: it must be known at synth time", "use Duration.seconds(N)")
    for name, value in (environment or {}).items():
        if isinstance(value, str) and not is_unresolved(value):
            problem = secret_variable(name, value)
            if problem:
                problems.add(
                    f"environment[{name!r}]",
                    "<masked>",
                    problem,
                    "store it in Secrets Manager or SSM (SecureString), pass its name, read it at run time and "
                    "grant the function access (secret.grant_read(versioned.function))",
                )
    problems.raise_if_any()


def _known(duration: Duration) -> bool:
    try:
        return not is_unresolved(duration.to_milliseconds())
    except Exception:  # a token duration converts to no other unit
        return False
