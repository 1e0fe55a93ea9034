"""The unit tests' model-validated CodeDeploy fake (tests/codedeploy_fake.py), served over HTTP on 127.0.0.1.

ministack has no CodeDeploy. The blue/green handler, run by the emulator's Lambda, reaches this server
through ``AWS_ENDPOINT_URL_CODEDEPLOY`` with the real JSON protocol (``X-Amz-Target:
CodeDeploy_20141006.<Operation>``). Each request is replayed on a botocore ``codedeploy`` client to
which the fake is attached, so botocore validates it against the CodeDeploy API model and the fake's
answer against the output shape, as in the unit tests. The fake plays CodeDeploy's side of a
deployment on the emulator's Auto Scaling (it copies the blue group into a green one).

``CreateApplication`` and ``DeleteApplication`` (the CloudFormation handler of
``AWS::CodeDeploy::Application`` in tests/deploy/emulator.py calls them) keep the fake's set of
applications. Deployments end as ``outcome`` says: ``"succeed"`` (the default) or ``"fail"``
(CodeDeploy rolls back automatically and the rollback deployment succeeds).
"""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
from botocore import xform_name
from botocore.exceptions import ClientError

from tests.codedeploy_fake import ACTIVE, FakeCodeDeploy


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"cannot serialize {type(value).__name__}")


class CodeDeployServer:
    def __init__(self, autoscaling: Any, *, region: str) -> None:
        self.client = boto3.client(
            "codedeploy",
            region_name=region,
            endpoint_url="http://127.0.0.1:9",  # never reached: the fake answers before sending
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        self.fake = FakeCodeDeploy(self.client, autoscaling, applications=())
        self.lock = threading.Lock()
        self.outcome = "succeed"
        self.ended: list[tuple[str, str]] = []  # (deployment id, outcome)
        self.errors: list[str] = []
        self._stop = threading.Event()
        server = self
        input_shapes = self.client.meta.service_model

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                operation = self.headers.get("X-Amz-Target", "").rsplit(".", 1)[-1]
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                params = json.loads(body or b"{}")
                status, answer = server.answer(operation, params, input_shapes)
                payload = json.dumps(answer, default=_json_default).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.http.server_address[1]}"
        self._threads = [
            threading.Thread(target=self.http.serve_forever, daemon=True),
            threading.Thread(target=self._play, daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def answer(self, operation: str, params: dict[str, Any], model: Any) -> tuple[int, dict[str, Any]]:
        with self.lock:
            if operation == "CreateApplication":
                self.fake.applications.add(params["applicationName"])
                return 200, {"applicationId": f"app-{len(self.fake.applications)}"}
            if operation == "DeleteApplication":
                self.fake.applications.discard(params["applicationName"])
                return 200, {}
            try:
                shape = model.operation_model(operation).input_shape
                result = getattr(self.client, xform_name(operation))(**_from_wire(params, shape))
            except ClientError as error:
                details = error.response["Error"]
                return 400, {"__type": details["Code"], "message": details.get("Message", "")}
            except Exception as error:  # a request the model rejects, or an unknown operation
                self.errors.append(f"{operation}: {error}")
                return 400, {"__type": "ValidationException", "message": str(error)}
            result.pop("ResponseMetadata", None)
            return 200, result

    def _play(self) -> None:
        """CodeDeploy's side: end each running deployment a moment after it started."""
        while not self._stop.wait(1.0):
            with self.lock:
                for deployment_id, deployment in list(self.fake.deployments.items()):
                    if deployment["status"] not in ACTIVE or time.time() - deployment["created"].timestamp() < 2:
                        continue
                    try:
                        if _is_rollback(self.fake, deployment_id):
                            deployment["status"] = "Succeeded"
                            outcome = "rollback"
                        elif self.outcome == "fail":
                            self.fake.fail(deployment_id)
                            outcome = "fail"
                        else:
                            self.fake.succeed(deployment_id)
                            outcome = "succeed"
                        self.ended.append((deployment_id, outcome))
                    except Exception as error:  # surfaced by the test through server.errors
                        self.errors.append(f"playing {deployment_id}: {error!r}")
                        deployment["status"] = "Failed"

    def close(self) -> None:
        self._stop.set()
        self.http.shutdown()
        self.http.server_close()


def _is_rollback(fake: FakeCodeDeploy, deployment_id: str) -> bool:
    return any(
        d.get("rollbackInfo", {}).get("rollbackDeploymentId") == deployment_id for d in fake.deployments.values()
    )


def _from_wire(value: Any, shape: Any) -> Any:
    """JSON values back to what a botocore client takes (timestamps arrive as epoch seconds)."""
    if shape is None:
        return value
    if shape.type_name == "structure" and isinstance(value, dict):
        return {k: _from_wire(v, shape.members.get(k)) for k, v in value.items()}
    if shape.type_name == "list" and isinstance(value, list):
        return [_from_wire(v, shape.member) for v in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {k: _from_wire(v, shape.value) for k, v in value.items()}
    if shape.type_name == "timestamp" and isinstance(value, int | float):
        from datetime import UTC

        return datetime.fromtimestamp(value, UTC)
    return value
