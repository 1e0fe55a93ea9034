"""Deploy tests: the real CDK CLI against a local emulator (ministack, pinned in tools/emulator).

These tests carry the ``deploy`` marker, which pytest.ini deselects by default, so ``make unit``
never runs them. ``make deploy-test`` installs the emulator into .tools/emulator, selects them
with ``-m deploy`` and passes the emulator's interpreter in ``DEPLOY_TEST_EMULATOR_PYTHON``;
without it the ``emulator`` fixture FAILS (it never skips), so a broken setup cannot pass.

One emulator per session, on a free port of 127.0.0.1, in a temporary folder of its own; the
session bootstraps it once with ``cdk bootstrap``. Apps are synthesized in this process (the
examples' own ``build`` functions) into a cloud assembly that ``cdk deploy --app <dir>`` deploys.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_cdk import App, Stack

from .codedeploy_server import CodeDeployServer

ROOT = Path(__file__).resolve().parents[2]
CDK = ROOT / "node_modules" / ".bin" / "cdk"
ACCOUNT = "000000000000"
REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Emulator:
    endpoint: str
    workdir: Path
    log: Path
    codedeploy: CodeDeployServer
    env: dict[str, str] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def cdk(self, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """The pinned CDK CLI (package.json) with the emulator as its only endpoint."""
        result = subprocess.run(
            [str(CDK), *args, "--no-notices", "--no-version-reporting", "--ci"],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            pytest.fail(
                f"cdk {' '.join(args)} exited {result.returncode}:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
            )
        return result

    def synth(self, name: str, build: Callable[[App], Stack]) -> tuple[Path, Stack]:
        """Synthesize ``build`` into a fresh cloud assembly under the session's folder."""
        outdir = self.workdir / "assemblies" / f"{name}-{time.monotonic_ns()}"
        app = App(outdir=str(outdir))
        stack = build(app)
        app.synth()
        return outdir, stack

    def deploy(self, assembly: Path, stack: str, *, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.cdk(
            "deploy", stack, "--app", str(assembly), "--require-approval", "never", "--progress", "events", check=check
        )

    def destroy(self, assembly: Path, stack: str) -> subprocess.CompletedProcess[str]:
        return self.cdk("destroy", stack, "--app", str(assembly), "--force")

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _cli_env(endpoint: str, workdir: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_"))}
    return {
        **keep,
        # CDK CLI 2.1148 (AWS SDK for JavaScript v3) takes every service's endpoint from
        # AWS_ENDPOINT_URL and uses path-style S3 addressing for a loopback endpoint.
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(workdir / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(workdir / "aws-credentials"),
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "CDK_DISABLE_VERSION_CHECK": "1",
        "HOME": str(workdir),
    }


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    python = os.environ.get("DEPLOY_TEST_EMULATOR_PYTHON")
    if not python or not Path(python).exists():
        pytest.fail("no emulator: run `make deploy-test` (it installs ministack into .tools/emulator)")
    if not CDK.exists():
        pytest.fail(f"no CDK CLI at {CDK}: run `make env`")
    workdir = tmp_path_factory.mktemp("emulator")
    port = _free_port()
    log = workdir / "ministack.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        GATEWAY_PORT=str(port),
        BIND_HOST="127.0.0.1",
        TMPDIR=str(workdir),
        S3_DATA_DIR=str(workdir / "s3"),
        STATE_DIR=str(workdir / "state"),
        PERSIST_STATE="0",
        LOG_LEVEL="WARNING",
        MINISTACK_REGION=REGION,
        # Lambda workers: not kept warm long (2 cores shared with the rest of the machine).
        LAMBDA_WARM_TTL_SECONDS="5",
        # Step Functions Wait states and retry intervals at a tenth: the blue/green Provider's waiter
        # polls every 3 s instead of 30 s (its total timeout shrinks alike, to 5 minutes).
        SFN_WAIT_SCALE="0.1",
    )
    endpoint = f"http://127.0.0.1:{port}"
    autoscaling = boto3.client(
        "autoscaling", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test"
    )
    codedeploy = CodeDeployServer(autoscaling, region=REGION)
    # ministack has no CodeDeploy: its CloudFormation handler and the Lambda functions it runs (which
    # inherit its environment) reach the fake through the SDKs' per-service endpoint variable.
    env["AWS_ENDPOINT_URL_CODEDEPLOY"] = codedeploy.endpoint
    with log.open("w") as out:
        process = subprocess.Popen(
            [python, str(Path(__file__).with_name("emulator.py"))],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=workdir,
            start_new_session=True,
        )
    emulator = Emulator(
        endpoint=endpoint, workdir=workdir, log=log, codedeploy=codedeploy, env=_cli_env(endpoint, workdir)
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"the emulator exited with {process.returncode}:\n{emulator.tail()}")
            try:
                with urllib.request.urlopen(f"{endpoint}/_ministack/health", timeout=2) as response:
                    json.load(response)
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"the emulator did not answer within 60 s:\n{emulator.tail()}")
                time.sleep(0.5)
        emulator.cdk("bootstrap", f"aws://{ACCOUNT}/{REGION}")
        yield emulator
    finally:
        # The emulator and the Lambda workers it spawned share its process group.
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(process.pid, sig)
                process.wait(timeout=10)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
        codedeploy.close()
