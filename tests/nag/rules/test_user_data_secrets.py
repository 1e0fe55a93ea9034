"""IMM-SEC1: a literal secret in user data is reported; one read at boot passes."""

from __future__ import annotations

from ..helpers import reported


def lt(script: str) -> dict[str, object]:
    return {"Type": "AWS::EC2::LaunchTemplate",
            "Properties": {"LaunchTemplateData": {"UserData": {"Fn::Base64": script}}}}  # fmt: skip


def test_literal_password_is_reported() -> None:
    assert reported({"T": lt("#!/bin/bash\nexport DB_PASSWORD=hunter22hunter\n")}, "IMM-SEC1") == {"T"}


def test_secret_read_at_boot_passes() -> None:
    script = "#!/bin/bash\nDB_PASSWORD=$(aws secretsmanager get-secret-value --secret-id db --query SecretString)\n"
    assert reported({"T": lt(script)}, "IMM-SEC1") == set()
