"""IMM-SSH4: hand-login enablers in user data and Image Builder components (inline and from a file)."""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_cdk import Fn
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_imagebuilder as imagebuilder
from aws_cdk import aws_s3_assets as s3_assets

from immutable_constructs.nag._logins import find_logins

from ..helpers import findings, new_stack

IMAGE = ec2.MachineImage.generic_linux({"us-east-1": "ami-12345678"})


@pytest.mark.parametrize(
    ("script", "reported"),
    [
        ("echo 'ssh-rsa AAAA ops' >> ~/.ssh/authorized_keys", True),
        ("cat /tmp/key.pub | tee -a /home/ops/.ssh/authorized_keys", True),
        ("install -m 600 /tmp/k /home/ops/.ssh/authorized_keys", True),
        ("ssh-import-id gh:someone", True),
        ("#cloud-config\nusers:\n  - name: ops\n    ssh_authorized_keys:\n      - ssh-ed25519 AAAA", True),
        ("#cloud-config\nssh_pwauth: true", True),
        ("sed -i 's/^PasswordAuthentication no/PasswordAuthentication yes/' /etc/ssh/sshd_config", True),
        ("echo 'PermitRootLogin yes' >> /etc/ssh/sshd_config", True),
        ("useradd ops && echo 'ops:hunter22' | chpasswd", True),
        ("echo secret | passwd --stdin ops", True),
        ("useradd -m -p $(openssl passwd -1 x) ops", True),
        ("net user ops P4ssw0rd! /add", True),
        # Not a login: turning password logins off, reading or protecting the file, a comment.
        ("sed -i 's/^PasswordAuthentication yes/PasswordAuthentication no/' /etc/ssh/sshd_config", False),
        ("echo 'PasswordAuthentication no' > /etc/ssh/sshd_config.d/00-no-passwords.conf", False),
        ("chmod 600 ~/.ssh/authorized_keys; wc -l ~/.ssh/authorized_keys", False),
        ("# never write to authorized_keys >> here", False),
        ("useradd --system --no-create-home app", False),
    ],
)
def test_login_enablers_in_scripts(script: str, reported: bool) -> None:
    assert bool(find_logins(script)) is reported, find_logins(script)


def test_instance_user_data_from_fn_join_is_reported_and_clean_user_data_passes() -> None:
    _, stack, vpc = new_stack()
    bad = ec2.Instance(stack, "Bad", vpc=vpc, instance_type=ec2.InstanceType("t3.micro"), machine_image=IMAGE)
    bad.add_user_data("echo 'PasswordAuthentication yes' >> /etc/ssh/sshd_config", "systemctl restart sshd")
    ec2.Instance(stack, "Good", vpc=vpc, instance_type=ec2.InstanceType("t3.micro"), machine_image=IMAGE,
                 user_data=ec2.UserData.custom(Fn.join("", ["#!/bin/bash\n", "dnf -y install nginx\n"])))  # fmt: skip
    found = findings(stack, "IMM-SSH4")
    assert [k for k in found if k.startswith("Bad")] and not [k for k in found if k.startswith("Good")]
    (messages,) = found.values()
    assert "turns on SSH password logins" in messages[0] and "every instance it boots" in messages[0]


def component(stack: object, id: str, data: str) -> imagebuilder.CfnComponent:
    return imagebuilder.CfnComponent(stack, id, name=id.lower(), platform="Linux", version="1.0.0", data=data)  # type: ignore[arg-type]


DOCUMENT = """name: {name}
schemaVersion: 1.0
phases:
  - name: build
    steps:
      - name: Setup
        action: ExecuteBash
        inputs:
          commands:
            - {command}
"""


def test_inline_component_is_reported_and_clean_component_passes() -> None:
    _, stack, _ = new_stack()
    component(stack, "Keys", DOCUMENT.format(name="keys", command="echo ssh-rsa AAAA >> /root/.ssh/authorized_keys"))
    component(stack, "Nginx", DOCUMENT.format(name="nginx", command="dnf -y install nginx"))
    found = findings(stack, "IMM-SSH4")
    assert list(found) == ["Keys"]
    assert "every image built with this component" in found["Keys"][0]


def test_component_from_a_file_asset_is_read(tmp_path: Path) -> None:
    document = tmp_path / "login.yml"
    document.write_text(DOCUMENT.format(name="login", command="echo 'ops:pw123456' | chpasswd"))
    _, stack, _ = new_stack()
    asset = s3_assets.Asset(stack, "Document", path=str(document))
    imagebuilder.CfnComponent(stack, "FromFile", name="from-file", platform="Linux", version="1.0.0",
                              uri=asset.s3_object_url)  # fmt: skip
    from .._pack_app import synth_app_findings

    found = synth_app_findings(stack.node.root, "IMM-SSH4")  # type: ignore[arg-type]
    assert len(found) == 1 and "chpasswd" in found[0]["description"] and ".yml>" in found[0]["description"]


def test_script_asset_the_user_data_downloads_is_read(tmp_path: Path) -> None:
    script = tmp_path / "configure.sh"
    script.write_text("#!/bin/bash\necho 'ssh-ed25519 AAAA ops' >> /home/ec2-user/.ssh/authorized_keys\n")
    clean = tmp_path / "clean.sh"
    clean.write_text("#!/bin/bash\ndnf -y install httpd\n")
    _, stack, vpc = new_stack()
    for name, path in (("Keys", script), ("Clean", clean)):
        host = ec2.Instance(stack, name, vpc=vpc, instance_type=ec2.InstanceType("t3.micro"), machine_image=IMAGE)
        asset = s3_assets.Asset(stack, f"{name}Script", path=str(path))
        local = host.user_data.add_s3_download_command(bucket=asset.bucket, bucket_key=asset.s3_object_key)
        host.user_data.add_execute_file_command(file_path=local)
    from .._pack_app import synth_app_findings

    found = synth_app_findings(stack.node.root, "IMM-SSH4")  # type: ignore[arg-type]
    assert [c["constructPath"] for f in found for c in f["violatingConstructs"]] == ["Test/Keys/Resource"]
