"""The record the pack leaves in the cloud assembly on every run, findings or not.

The CDK writes a plugin into ``validation-report.json`` only when it found something, so an
empty report cannot tell "the pack ran and everything passed" from "the pull request deleted
the ``add_plugins`` line". The pack therefore writes ``immutable-constructs-run.json`` next to
``manifest.json`` each time it runs, naming itself and every plugin the app registered;
``immutable-constructs report`` refuses (exit 2, no SARIF) when it is missing or older than the
manifest, and reports an empty run (a pass) for each registered plugin the report lacks, and
for no other.

No aws_cdk import at module level: the CLI imports the file name from here without Node.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Sequence
from typing import Any

__all__ = [
    "CFN_VALIDATE",
    "ORIGIN_METADATA",
    "RUN_RECORD_FILE",
    "RUN_RECORD_SCHEMA",
    "record_run",
    "registered_plugins",
]

RUN_RECORD_FILE = "immutable-constructs-run.json"
RUN_RECORD_SCHEMA = 1
#: Construct metadata type: where the app created a construct, ``{"file": ..., "line": ...}`` (_private/origin.py).
ORIGIN_METADATA = "immutable-constructs:origin"
#: The name of aws-cdk-lib's built-in template validator in reports (CloudFormationValidatePlugin.PLUGIN_NAME).
CFN_VALIDATE = "CloudFormation Validate"


def registered_plugins(app: Any) -> list[str]:
    """The names of the policy-validation plugins added to the app (``Validations.of(app).add_plugins``).

    aws-cdk-lib 2.275 exposes them only as the deprecated ``Stage.policyValidationBeta1``
    (its suggested replacement ``Validations.of(stage).plugins`` does not exist yet); its
    one-time deprecation notice is swallowed so the user's synth output stays clean.
    Plugins added to a nested Stage are not seen (they are reported when they find something).
    """
    with contextlib.redirect_stderr(io.StringIO()):
        plugins = getattr(app, "policy_validation_beta1", None) or []
        return sorted({str(plugin.name) for plugin in plugins})


def builtin_validation_enabled(registered: Sequence[str]) -> bool:
    """Whether the CDK's own CloudFormation Validate plugin runs in this synth, as far as the
    pack can see: ``CDK_VALIDATION=false`` (what ``cdk synth --no-validation`` sets) turns it
    off. ``App(builtin_cloud_formation_validation=False)`` is invisible to plugins: such an app
    must also set ``CDK_VALIDATION=false`` in CI (docs/getting-started.md)."""
    return CFN_VALIDATE in registered or os.environ.get("CDK_VALIDATION", "").lower() != "false"


def record_run(app: Any, *, plugin: str, version: str, findings: int) -> str:
    """Write the record into the app's cloud assembly (next to manifest.json); return its path."""
    registered = registered_plugins(app)
    record = {
        "schema": RUN_RECORD_SCHEMA,
        "plugin": plugin,
        "version": version,
        "findings": findings,
        "registeredPlugins": sorted({*registered, plugin}),
        "cloudFormationValidate": builtin_validation_enabled(registered),
    }
    path = os.path.join(str(app.outdir), RUN_RECORD_FILE)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(record, indent=2) + "\n")
    return path
