"""Pattern: one EC2 instance, Amazon Linux 2 from the public parameter, a role with SSM, user data that
downloads and runs a script asset (aws-cdk-examples' "ec2/instance")."""

from pathlib import Path

from aws_cdk import App, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3_assets as s3_assets

ORIGIN = {
    "kind": "pattern",
    "repo": "aws-samples/aws-cdk-examples",
    "path": "python/ec2/instance/app.py",
    "commit": "39bf5562408e0e762f2a6a5d8d2dfc9d14d25717",
}


def build(app: App) -> None:
    stack = Stack(app, "Ec2Instance")
    vpc = ec2.Vpc(stack, "Vpc", nat_gateways=0, subnet_configuration=[
        ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC)])  # fmt: skip
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))
    role.add_managed_policy(iam.ManagedPolicy.from_aws_managed_policy_name("AmazonSSMManagedInstanceCore"))
    host = ec2.Instance(stack, "Host", vpc=vpc, role=role, instance_type=ec2.InstanceType("t3.nano"),
                        machine_image=ec2.MachineImage.latest_amazon_linux2())  # fmt: skip
    script = s3_assets.Asset(stack, "Script", path=str(Path(__file__).parent / "files" / "configure.sh"))
    local = host.user_data.add_s3_download_command(bucket=script.bucket, bucket_key=script.s3_object_key)
    host.user_data.add_execute_file_command(file_path=local)
    script.grant_read(role)
