"""IMM-SEC3: a literal secret in a container's environment is reported; `secrets` and pointers pass."""

from __future__ import annotations

from ..helpers import reported


def task(environment: list[dict[str, str]]) -> dict[str, object]:
    return {"Type": "AWS::ECS::TaskDefinition", "Properties": {"ContainerDefinitions": [
        {"Name": "app", "Image": "app:1.0.0", "Environment": environment}]}}  # fmt: skip


def test_literal_password_is_reported() -> None:
    assert reported({"T": task([{"Name": "DB_PASSWORD", "Value": "hunter22hunter"}])}, "IMM-SEC3") == {"T"}


def test_pointer_to_a_secret_passes() -> None:
    environment = [{"Name": "DB_PASSWORD_ARN", "Value": "arn:aws:secretsmanager:us-east-1:1:secret:db"}]
    assert reported({"T": task(environment)}, "IMM-SEC3") == set()
