"""Write immutable_constructs/drift/_read_permissions.json from the CloudFormation resource schemas.

    python tools/drift_read_permissions.py           # rewrite the file
    python tools/drift_read_permissions.py --check   # exit 1 when the file differs from the schemas

Drift detection reads every resource of a stack with the caller's permissions through the resource
type's read handler (CloudFormation User Guide, "Detect unmanaged configuration changes to stacks and
resources with drift detection"); each registry schema lists that handler's permissions under
``handlers.read.permissions`` (CloudFormation CLI User Guide, "Resource type schema"). cfn-lint ships
the schemas of every public type (``cfnlint/data/schemas/providers/<region>.json`` maps a type to its
schema file). The file keeps, per type, the read actions only: a few schemas list write actions in their
read handler (``kms:PutKeyPolicy``, ``ec2:CreateLaunchTemplate``, ``iam:PassRole``...), which a read
never needs and which the drift role must not hold. ``kms:Decrypt`` is kept: StackDriftAlarm grants it
on its own terms (only the watched stacks' keys, only through the service).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import cfnlint
from cfnlint.version import __version__ as CFN_LINT_VERSION

# The table of the package that is imported: an installed one first (the nox sessions install the wheel
# and copy the project without its package), else this checkout's source tree.
sys.path.append(str(Path(__file__).resolve().parent.parent))
import immutable_constructs

TARGET = Path(immutable_constructs.__file__).resolve().parent / "drift" / "_read_permissions.json"
SCHEMAS = Path(cfnlint.__file__).resolve().parent / "data" / "schemas"
REGIONS = ("us-east-1", "us-west-2", "eu-west-1")  # the union: a few types exist outside us-east-1 first
READ = re.compile(
    r"^[A-Za-z0-9-]+:(Get|Describe|List|BatchGet|Search|View|Select|DoesObjectExist|DomainMetadata|query|GET$)"
)


def build() -> dict[str, list[str]]:
    table: dict[str, set[str]] = {}
    for region in REGIONS:
        providers = json.loads((SCHEMAS / "providers" / f"{region}.json").read_text())
        for resource_type, schema_id in providers.items():
            path = SCHEMAS / "resources" / f"{schema_id}.json"
            if not path.exists():
                continue
            read = json.loads(path.read_text()).get("handlers", {}).get("read")
            if read is None:
                continue
            kept = {a for a in read.get("permissions", []) if READ.match(a) or a.lower() == "kms:decrypt"}
            table.setdefault(resource_type, set()).update(kept)
    return {t: sorted(actions, key=str.lower) for t, actions in sorted(table.items())}


def render(table: dict[str, list[str]]) -> str:
    lines = [f"  {json.dumps(t)}: {json.dumps(actions)}" for t, actions in table.items()]
    header = '  "_source": ' + json.dumps(f"cfn-lint {CFN_LINT_VERSION} schemas, tools/drift_read_permissions.py")
    return "{\n" + ",\n".join([header, *lines]) + "\n}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail when the file is not what the schemas give")
    args = parser.parse_args(argv)
    text = render(build())
    if args.check:
        if TARGET.read_text() != text:
            print(f"{TARGET} is stale: run python tools/drift_read_permissions.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
