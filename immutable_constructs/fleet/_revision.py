"""The CodeDeploy revision a :class:`BlueGreenFleet` deploys: an appspec whose ``ValidateService``
hook runs the fleet's health check on every green instance.

The check itself is written by the launch template's user data (:func:`install_health_check`),
so it is part of the image release; the revision bundle is the same for every fleet (two
variants: with and without a health check), so its asset hash does not change between releases.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

from aws_cdk import aws_ec2 as ec2

from .health import FleetHealthCheck

HEALTH_CHECK_SCRIPT = "/etc/immutable-constructs/health-check.sh"

APPSPEC = """version: 0.0
os: linux
hooks:
  ValidateService:
    - location: validate.sh
      timeout: 3600
      runas: root
"""
_VALIDATE = f"""#!/bin/bash
# immutable-constructs: a green instance passes validation only when its application is healthy.
# The check was written by the launch template's user data, so it is part of the image release.
# User data runs under cloud-init while the CodeDeploy agent already polls for work, so wait for
# cloud-init to finish first: otherwise this hook can run before the check exists.
set -u
# 1 when the fleet was given a health_check (two revision bundles exist: with and without one).
REQUIRE_CHECK="{{require_check}}"
if command -v cloud-init > /dev/null 2>&1; then
  cloud-init status --wait > /dev/null
  status=$?
  # 0: done; 2: done with recoverable errors. Anything else: user data failed, the instance is not ready.
  if [ "$status" -ne 0 ] && [ "$status" -ne 2 ]; then
    echo "cloud-init did not finish cleanly (status $status); see /var/log/cloud-init-output.log" >&2
    exit 1
  fi
fi
if [ -x {HEALTH_CHECK_SCRIPT} ]; then
  exec {HEALTH_CHECK_SCRIPT}
fi
if [ "$REQUIRE_CHECK" = "1" ]; then
  echo "a health check was configured but {HEALTH_CHECK_SCRIPT} is missing or not executable" >&2
  exit 1
fi
echo "no health check configured for this fleet; the target group's health check decides" >&2
exit 0
"""


def validate_script(*, require_check: bool) -> str:
    """The ValidateService hook's script; ``require_check`` makes a missing health-check script a failure."""
    return _VALIDATE.replace("{require_check}", "1" if require_check else "0")


@functools.cache
def revision_directory(require_check: bool = True) -> str:
    """A directory holding the revision bundle (appspec.yml + validate.sh); same content, same asset hash.

    Written once per process and variant: every fleet with a health check shares one bundle, every
    fleet without one the other."""
    directory = Path(tempfile.mkdtemp(prefix="immutable-constructs-revision-"))
    (directory / "appspec.yml").write_text(APPSPEC)
    script = directory / "validate.sh"
    script.write_text(validate_script(require_check=require_check))
    script.chmod(0o755)
    return str(directory)


def install_health_check(user_data: ec2.UserData, health_check: FleetHealthCheck) -> None:
    """Add the user data lines that write the health check where the ValidateService hook runs it."""
    script = "\n".join(["#!/bin/bash", *health_check.render(), "exit 0"])
    user_data.add_commands(
        "# immutable-constructs: the health check CodeDeploy's ValidateService hook runs",
        f"mkdir -p {Path(HEALTH_CHECK_SCRIPT).parent}",
        f"cat > {HEALTH_CHECK_SCRIPT} <<'IMMUTABLE_CONSTRUCTS_EOF'\n{script}\nIMMUTABLE_CONSTRUCTS_EOF",
        f"chmod 0755 {HEALTH_CHECK_SCRIPT}",
    )
