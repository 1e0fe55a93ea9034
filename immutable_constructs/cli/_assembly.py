"""What ``immutable-constructs report`` reads from ``cdk.out``, and which plugins it reports.

A folder is reported on only when it is the cloud assembly of a synth in which the pack ran:
``manifest.json`` is a CDK manifest, the pack's run record (``nag/_run_record.py``) is there
and not older than the manifest, the validation report is not older either, and no plugin
crashed. Anything else raises :class:`~._inputs.InputError` (exit 2, no SARIF).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..nag._run_record import CFN_VALIDATE, RUN_RECORD_FILE
from ..nag.catalog import PLUGIN_NAME
from ._inputs import InputError, check_report_shape, read_json_object

__all__ = ["MANIFEST_FILE", "REPORT_FILE", "Assembly", "load"]

REPORT_FILE = "validation-report.json"
MANIFEST_FILE = "manifest.json"


@dataclass(frozen=True)
class Assembly:
    """A fresh cloud assembly: its validation report and the plugins that ran in its synth."""

    report: dict[str, Any]
    #: every plugin that ran, in report order, then the registered ones the report lacks (empty runs)
    plugins: tuple[str, ...]


def _older(path: Path, than: Path) -> bool:
    return path.stat().st_mtime_ns < than.stat().st_mtime_ns


def load(cdk_out: Path, required: Sequence[str] = ()) -> Assembly:
    """Read ``cdk_out`` or raise InputError saying why it cannot be reported on.

    :param required: plugins that must have run (``report --plugin``); one that did not is an error.
    """
    if not cdk_out.is_dir():
        raise InputError(f"{cdk_out} is not a folder: the synth did not run, or wrote its cloud assembly elsewhere")
    manifest = cdk_out / MANIFEST_FILE
    if not manifest.exists():
        raise InputError(
            f"{cdk_out} holds no cloud assembly ({MANIFEST_FILE} is missing): the app failed before synth "
            "finished (see the synth's output above)"
        )
    read_json_object(manifest, "the cloud assembly manifest", required={"version": str})
    record_path = cdk_out / RUN_RECORD_FILE
    if not record_path.exists():
        raise InputError(
            f"{PLUGIN_NAME} did not run in this synth ({RUN_RECORD_FILE} is missing): the app must call "
            f"Validations.of(app).add_plugins({PLUGIN_NAME}()), and a pull request that removes it must not pass"
        )
    record = read_json_object(record_path, "the pack's run record", required={"plugin": str, "registeredPlugins": list})
    if _older(record_path, manifest):
        raise InputError(
            f"{record_path} is older than {manifest}: it is left over from an earlier synth in which the pack "
            f"ran, and {PLUGIN_NAME} did not run in this one; delete {cdk_out} before each synth"
        )
    report_path = cdk_out / REPORT_FILE
    report = read_json_object(report_path, "validation report", required={"pluginReports": list})
    check_report_shape(report, report_path)
    if _older(report_path, manifest):
        raise InputError(
            f"{report_path} is older than {manifest}: it is left over from an earlier synth; "
            f"delete {cdk_out} before each synth"
        )
    registered = [str(name) for name in record["registeredPlugins"]]
    if record.get("cloudFormationValidate") is True:
        registered.append(CFN_VALIDATE)
    ran = [str(plugin["pluginName"]) for plugin in report["pluginReports"]]
    for plugin in report["pluginReports"]:
        error = (plugin.get("metadata") or {}).get("error") if isinstance(plugin.get("metadata"), dict) else None
        if plugin.get("conclusion") == "failure" and not plugin.get("violations") and error:
            raise InputError(f"plugin {plugin['pluginName']} crashed, so its findings are unknown: {error}")
    missing = [name for name in required if name not in {*registered, *ran}]
    if missing:
        raise InputError(
            f"--plugin {', '.join(missing)}: did not run in this synth (the app registers "
            f"{', '.join(sorted(set(registered))) or 'no plugin'}); an empty run would close its alerts"
        )
    return Assembly(report, tuple(dict.fromkeys([*ran, *registered])))
