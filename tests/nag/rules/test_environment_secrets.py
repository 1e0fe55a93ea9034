"""IMM-SEC3: a literal secret in a container's environment is reported; `secrets` and pointers pass."""

from __future__ import annotations

from aws_cdk import aws_lambda as lambda_

from ..helpers import findings, new_stack, reported


def task(environment: list[dict[str, str]]) -> dict[str, object]:
    return {"Type": "AWS::ECS::TaskDefinition", "Properties": {"ContainerDefinitions": [
        {"Name": "app", "Image": "app:1.0.0", "Environment": environment}]}}  # fmt: skip


def test_literal_password_is_reported() -> None:
    assert reported({"T": task([{"Name": "DB_PASSWORD", "Value": "hunter22hunter"}])}, "IMM-SEC3") == {"T"}


def test_pointer_to_a_secret_passes() -> None:
    environment = [{"Name": "DB_PASSWORD_ARN", "Value": "arn:aws:secretsmanager:us-east-1:1:secret:db"}]
    assert reported({"T": task(environment)}, "IMM-SEC3") == set()


def test_what_a_token_is_checked_against_is_configuration() -> None:
    # A JWT issuer and audience (Istio's own TOKEN_ISSUER) are public; only the literal token is reported.
    _, stack, _ = new_stack()
    environment = {
        "TOKEN_ISSUER": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abcdefghi",
        "TOKEN_AUDIENCE": "api://orders",
        "TOKEN_TABLE": "issued-tokens",
        "API_TOKEN": "s3cr3t-t0ken-value",
    }
    code = lambda_.Code.from_inline("def handler(event, context): pass")
    runtime = lambda_.Runtime.PYTHON_3_12
    lambda_.Function(stack, "Fn", runtime=runtime, handler="index.handler", code=code, environment=environment)
    (messages,) = findings(stack, "IMM-SEC3").values()
    assert len(messages) == 1 and "Variables.API_TOKEN" in messages[0], messages
