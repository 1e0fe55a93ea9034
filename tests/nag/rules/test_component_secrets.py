"""IMM-SEC2: a literal secret in an Image Builder component is reported; one read at build time passes."""

from __future__ import annotations

from ..helpers import reported


def component(command: str) -> dict[str, object]:
    data = (
        "name: c\nschemaVersion: 1.0\nphases:\n  - name: build\n    steps:\n      - name: s\n"
        f"        action: ExecuteBash\n        inputs:\n          commands:\n            - {command}\n"
    )
    return {"Type": "AWS::ImageBuilder::Component",
            "Properties": {"Name": "c", "Platform": "Linux", "Version": "1.0.0", "Data": data}}  # fmt: skip


def test_literal_token_is_reported() -> None:
    assert reported({"C": component("curl -H 'x' --token s3cr3tvalue https://example.com")}, "IMM-SEC2") == {"C"}


def test_secret_read_at_build_time_passes() -> None:
    command = "TOKEN=$(aws secretsmanager get-secret-value --secret-id build --query SecretString --output text)"
    assert reported({"C": component(command)}, "IMM-SEC2") == set()
