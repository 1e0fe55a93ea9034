"""Prove a refactoring left the templates alone: synthesize app.py and every example at a
git revision and in the working tree, and diff the templates.

    python tools/compare_templates.py                # against HEAD
    python tools/compare_templates.py --ref 84cc379  # against any revision

Asset hashes (64 hex digits: file assets, the handler bundles) are replaced by a placeholder
before comparing, because the issue's "byte-identical" is "asset hashes aside". Every other
byte counts. Exit status 0 when all templates are equal, 1 with a unified diff otherwise.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HASH = re.compile(r"[0-9a-f]{64}")

# Runs inside the tree being snapshotted, with that tree first on sys.path.
SNAPSHOT = r"""
import importlib.util, json, os, sys
from pathlib import Path
os.environ["CDK_VALIDATION"] = "false"
from aws_cdk import App
tree, out = Path(sys.argv[1]), Path(sys.argv[2])
apps = [("app", tree / "app.py")] + [(p.parent.name, p) for p in sorted((tree / "examples").glob("*/app.py"))]
for name, path in apps:
    cdk_json = path.parent / "cdk.json"
    context = json.loads(cdk_json.read_text()).get("context", {}) if cdk_json.exists() else {}
    spec = importlib.util.spec_from_file_location(f"snapshot_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    app = App(outdir=str(out / "cdk.out" / name), context=context)
    module.build(app)
    for stack in app.synth().stacks:
        target = out / name / f"{stack.stack_name}.template.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(stack.template, indent=1, sort_keys=True) + "\n")
"""


def snapshot(tree: Path, out: Path) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(tree))
    subprocess.run([sys.executable, "-c", SNAPSHOT, str(tree), str(out)], cwd=tree, env=env, check=True)
    return {
        str(path.relative_to(out)): HASH.sub("<asset-hash>", path.read_text())
        for path in sorted(out.glob("*/*.template.json"))
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ref", default="HEAD", help="git revision to compare with (default: HEAD)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="compare-templates-") as temp:
        base = Path(temp) / "base"
        subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(base), args.ref], cwd=ROOT, check=True)
        try:
            before = snapshot(base, Path(temp) / "before")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=ROOT, check=True)
        after = snapshot(ROOT, Path(temp) / "after")
    differ = 0
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name, ""), after.get(name, "")
        if old != new:
            differ += 1
            sys.stdout.writelines(
                difflib.unified_diff(
                    old.splitlines(True), new.splitlines(True), f"{args.ref}/{name}", f"worktree/{name}"
                )
            )
    print(f"compare-templates: {len(after)} templates, {differ} differ from {args.ref}", file=sys.stderr)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
