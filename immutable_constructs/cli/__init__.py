"""``immutable-constructs``: turn ``cdk.out/validation-report.json`` into SARIF and a readable summary.

    immutable-constructs report cdk.out --sarif findings.sarif [--fail-on error]
    immutable-constructs explain IMM-SSH1

The report fails closed: a folder that is not the cloud assembly of a synth in which the pack
ran (no or a broken ``manifest.json``, no run record of the pack, a validation report older
than the manifest, an unreadable file) exits 2 and writes no SARIF, so a crashed synth or a
pull request that drops the pack never tells code scanning that every finding went away.

Every plugin that ran is converted (ImmutableInfrastructureChecks, AwsSolutions, the CDK's own
CloudFormation validation...), one SARIF run per plugin; a registered plugin that found nothing
gets an empty run. Acknowledged findings are kept, marked as suppressed with the
acknowledgement's reason, so GitHub code scanning shows them as dismissed instead of losing them.

No aws_cdk import anywhere in this package: the command runs without Node.
"""

from __future__ import annotations

from ..nag.catalog import PLUGIN_NAME
from ._main import BROKEN_PIPE, NO_ASSEMBLY, main
from .sarif import to_sarif

__all__ = ["BROKEN_PIPE", "NO_ASSEMBLY", "PLUGIN_NAME", "main", "to_sarif"]
