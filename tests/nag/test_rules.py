"""Every rule of ImmutableInfrastructureChecks against non-compliant and compliant resources.

The L1/L2 cases are built into two stacks of one app that is synthesized once for the module;
the pack's pure-Python pass (`check_template`) then judges each resource. Edge cases that
need no construct (intrinsics, port ranges, secret false positives) are plain templates.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from aws_cdk import (
    App,
    Aws,
    CfnAutoScalingReplacingUpdate,
    CfnElement,
    CfnResource,
    CfnUpdatePolicy,
    CustomResource,
    Duration,
    Stack,
    Tags,
)
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_imagebuilder as imagebuilder
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_ssm as ssm
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from aws_cdk import custom_resources as cr
from constructs import IConstruct

from immutable_constructs import PinnedSsmImage, VersionedFunction, __version__
from immutable_constructs.nag import RULES, ImmutableInfrastructureChecks, Severity
from immutable_constructs.nag._model import Compliance, Resource, Template
from immutable_constructs.nag.rules import container_image_tag, ssh_rdp_ingress

PACK = ImmutableInfrastructureChecks()
FAKE_KEY = "AKIA" + "Z" * 16  # built at run time so no scanner flags this file


@dataclass
class Case:
    """One resource: the rules it must break (bad) and the rules it must not break (good)."""

    name: str
    stack: str
    logical_id: str
    bad: set[str] = field(default_factory=set)
    good: set[str] = field(default_factory=set)


CASES: list[Case] = []


def expect(construct: IConstruct, *, bad: set[str] | None = None, good: set[str] | None = None) -> None:
    element = construct if isinstance(construct, CfnElement) else construct.node.default_child
    assert isinstance(element, CfnElement), construct.node.path
    stack = Stack.of(element)
    CASES.append(
        Case(element.node.path, stack.stack_name, stack.resolve(element.logical_id), bad or set(), good or set())
    )


FLEET_TAG = "immutable-constructs:fleet"


def tainted_host_function(stack: Stack, *, replaced: list[str], tag_only: list[str]) -> lambda_.CfnFunction:
    """What IMM-REP6 reads of a TaintedHostReplacement: its function's environment."""
    return lambda_.CfnFunction(
        stack,
        "TaintedHostFunction",
        role="arn:aws:iam::123456789012:role/taint",
        runtime="python3.13",
        handler="index.handler",
        code=lambda_.CfnFunction.CodeProperty(zip_file="def handler(event, context):\n    return None\n"),
        environment=lambda_.CfnFunction.EnvironmentProperty(
            variables={
                "FLEET_TAG_KEY": FLEET_TAG,
                "FLEET_TAG_VALUES": json.dumps(replaced),
                "TAG_ONLY_FLEET_TAG_VALUES": json.dumps(tag_only),
            }
        ),
    )


def user_data(*commands: str) -> ec2.UserData:
    data = ec2.UserData.for_linux()
    data.add_commands(*commands)
    return data


def build_bad(stack: Stack, vpc: ec2.IVpc) -> None:
    # IMM-SSH1: inline (L2, IPv4 / IPv6 / prefix list / all traffic) and standalone (L1, other SG)
    sg = ec2.SecurityGroup(stack, "SshAnyIpv4", vpc=vpc)
    sg.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(22))
    expect(sg, bad={"IMM-SSH1"})
    sg6 = ec2.SecurityGroup(stack, "RdpIpv6", vpc=vpc)
    sg6.add_ingress_rule(ec2.Peer.any_ipv6(), ec2.Port.tcp(3389))
    expect(sg6, bad={"IMM-SSH1"})
    prefix = ec2.CfnSecurityGroup(
        stack, "L1RangeFromPrefixList", group_description="inline L1", vpc_id=vpc.vpc_id,
        security_group_ingress=[ec2.CfnSecurityGroup.IngressProperty(
            ip_protocol="tcp", from_port=20, to_port=30, source_prefix_list_id="pl-0123456789abcdef0"
        )],
    )  # fmt: skip
    expect(prefix, bad={"IMM-SSH1"})
    everything = ec2.SecurityGroup(stack, "AllTraffic", vpc=vpc)
    everything.add_ingress_rule(ec2.Peer.ipv4("10.0.0.0/8"), ec2.Port.all_traffic())
    expect(everything, bad={"IMM-SSH1"})
    expect(
        ec2.CfnSecurityGroupIngress(
            stack,
            "SshFromOtherGroup",
            group_id=sg.security_group_id,
            ip_protocol="6",
            from_port=22,
            to_port=22,
            source_security_group_id=prefix.attr_group_id,
        ),
        bad={"IMM-SSH1"},
    )
    expect(
        ec2.CfnSecurityGroupIngress(
            stack, "RdpUdp", group_id=sg.security_group_id, ip_protocol="udp", from_port=3389, to_port=3389,
            cidr_ip="192.168.0.0/16",
        ),
        bad={"IMM-SSH1"},
    )  # fmt: skip

    # IMM-SSH2 / IMM-HYG1 / IMM-HYG2 / IMM-IMG3 / IMM-SEC1 on an L2 launch template
    expect(
        ec2.LaunchTemplate(
            stack,
            "LoginTemplate",
            key_pair=ec2.KeyPair.from_key_pair_name(stack, "Imported", "ops"),
            machine_image=ec2.MachineImage.resolve_ssm_parameter_at_launch("/images/web/stable"),
            user_data=user_data("export DB_PASSWORD=hunter2hunter2"),
            block_devices=[ec2.BlockDevice(device_name="/dev/xvda", volume=ec2.BlockDeviceVolume.ebs(8))],
        ),
        bad={"IMM-SSH2", "IMM-HYG1", "IMM-HYG2", "IMM-IMG3", "IMM-SEC1"},
    )
    expect(
        ec2.LaunchTemplate(stack, "LatestImage", machine_image=ec2.MachineImage.latest_amazon_linux2023()),
        bad={"IMM-IMG3", "IMM-HYG1", "IMM-HYG2"},
    )
    expect(ec2.KeyPair(stack, "NewKeyPair"), bad={"IMM-SSH2"})
    expect(  # IMM-IMG4: a TrialImage's user data (the agent installed at boot)
        ec2.LaunchTemplate(
            stack, "TrialTemplate", machine_image=ec2.MachineImage.generic_linux({"us-east-1": "ami-12345678"}),
            user_data=user_data("# immutable-constructs: trial image, CloudWatch agent installed at boot", "dnf -y x"),
        ),
        bad={"IMM-IMG4"},
    )  # fmt: skip
    # L1 forms
    expect(
        ec2.CfnLaunchTemplate(
            stack,
            "L1Template",
            launch_template_data=ec2.CfnLaunchTemplate.LaunchTemplateDataProperty(
                key_name="ops",
                image_id="{{resolve:ssm:/images/web/stable}}",
                user_data=base64.b64encode(f"#!/bin/bash\nexport AWS_ACCESS_KEY_ID={FAKE_KEY}\n".encode()).decode(),
                metadata_options=ec2.CfnLaunchTemplate.MetadataOptionsProperty(http_tokens="optional"),
                block_device_mappings=[
                    ec2.CfnLaunchTemplate.BlockDeviceMappingProperty(
                        device_name="/dev/xvda", ebs=ec2.CfnLaunchTemplate.EbsProperty(encrypted=False)
                    )
                ],
            ),
        ),
        bad={"IMM-SSH2", "IMM-IMG3", "IMM-SEC1", "IMM-HYG1", "IMM-HYG2"},
    )
    expect(
        autoscaling.CfnLaunchConfiguration(
            stack, "L1LaunchConfiguration", image_id="ami-12345678", instance_type="t3.small", key_name="ops"
        ),
        bad={"IMM-SSH2", "IMM-HYG1", "IMM-HYG2"},
    )
    expect(
        imagebuilder.CfnInfrastructureConfiguration(
            stack, "L1Infrastructure", name="bake", instance_profile_name="bake", key_pair="ops"
        ),
        bad={"IMM-SSH2", "IMM-HYG1"},
    )
    # IMM-SSH3
    expect(
        ec2.CfnInstanceConnectEndpoint(stack, "Eice", subnet_id=vpc.isolated_subnets[0].subnet_id),
        bad={"IMM-SSH3"},
    )
    # IMM-REP1 (L2 and L1) and IMM-REP2
    template = ec2.LaunchTemplate(
        stack, "GroupTemplate", machine_image=PinnedSsmImage("/images/web/stable", version=3), require_imdsv2=True,
        instance_type=ec2.InstanceType("t3.small"),
    )  # fmt: skip
    expect(
        autoscaling.AutoScalingGroup(stack, "NoUpdatePolicy", vpc=vpc, launch_template=template),
        bad={"IMM-REP1"},
    )
    expect(
        autoscaling.CfnAutoScalingGroup(
            stack, "L1NoUpdatePolicy", max_size="2", min_size="1",
            launch_template=autoscaling.CfnAutoScalingGroup.LaunchTemplateSpecificationProperty(
                launch_template_id=template.launch_template_id, version=template.latest_version_number
            ), vpc_zone_identifier=[s.subnet_id for s in vpc.isolated_subnets],
        ),
        bad={"IMM-REP1"},
    )  # fmt: skip
    not_replacing = autoscaling.CfnAutoScalingGroup(stack, "WillNotReplace", max_size="2", min_size="1")
    not_replacing.cfn_options.update_policy = CfnUpdatePolicy(
        auto_scaling_replacing_update=CfnAutoScalingReplacingUpdate(will_replace=False)
    )
    expect(not_replacing, bad={"IMM-REP1", "IMM-REP7"})
    # IMM-SSH4: boot script that installs a key
    login = ec2.UserData.for_linux()
    login.add_commands("echo 'ssh-ed25519 AAAAC3Nza ops' >> /home/ec2-user/.ssh/authorized_keys")
    expect(
        ec2.LaunchTemplate(
            stack, "AuthorizedKeysTemplate", machine_image=PinnedSsmImage("/images/web/stable", version=3),
            require_imdsv2=True, user_data=login,
        ),
        bad={"IMM-SSH4"},
    )  # fmt: skip
    # IMM-REP6: a fleet no tainted-host function watches, and one whose replacement is turned off
    for name in ("Unwatched", "OptedOut"):
        group = autoscaling.AutoScalingGroup(
            stack, name, vpc=vpc, launch_template=template, update_policy=autoscaling.UpdatePolicy.replacing_update()
        )
        Tags.of(group).add(FLEET_TAG, name)
        expect(group, bad={"IMM-REP6"})
    tainted_host_function(stack, replaced=[], tag_only=["OptedOut"])
    expect(
        ec2.Instance(
            stack, "Pet", vpc=vpc, instance_type=ec2.InstanceType("t3.small"),
            machine_image=ec2.MachineImage.generic_linux({"us-east-1": "ami-12345678"}),
        ),
        bad={"IMM-REP2", "IMM-HYG1", "IMM-HYG2"},
    )  # fmt: skip
    # IMM-REP3
    expect(codedeploy.ServerDeploymentGroup(stack, "InPlace"), bad={"IMM-REP3"})
    application = codedeploy.CfnApplication(stack, "L1ServerApplication", compute_platform="Server")
    expect(
        codedeploy.CfnDeploymentGroup(
            stack, "L1InPlace", application_name=application.ref, service_role_arn="arn:aws:iam::123456789012:role/cd",
            deployment_style=codedeploy.CfnDeploymentGroup.DeploymentStyleProperty(deployment_type="IN_PLACE"),
        ),
        bad={"IMM-REP3"},
    )  # fmt: skip
    # IMM-REP4
    expect(
        ssm.CfnAssociation(stack, "RunShell", name="AWS-RunShellScript", parameters={"commands": ["yum update -y"]}),
        bad={"IMM-REP4"},
    )
    document = ssm.CfnDocument(
        stack, "PatchDocument", document_type="Command",
        content={"schemaVersion": "2.2", "mainSteps": [
            {"action": "aws:runShellScript", "name": "patch", "inputs": {"runCommand": ["yum update -y"]}}
        ]},
    )  # fmt: skip
    expect(ssm.CfnAssociation(stack, "RunOwnShellDocument", name=document.ref), bad={"IMM-REP4"})
    # IMM-REP5, IMM-IMG1, IMM-SEC3 (L2)
    cluster = ecs.Cluster(stack, "Cluster", vpc=vpc)
    task = ecs.FargateTaskDefinition(stack, "Task")
    task.add_container("Untagged", image=ecs.ContainerImage.from_registry("nginx"))
    task.add_container("Latest", image=ecs.ContainerImage.from_registry("public.ecr.aws/nginx/nginx:latest"))
    repository = ecr.Repository(stack, "MutableRepository")
    task.add_container("RepositoryDefaultTag", image=ecs.ContainerImage.from_ecr_repository(repository))
    task.add_container(
        "PlainSecret",
        image=ecs.ContainerImage.from_registry("nginx:1.27.3"),
        environment={"DB_PASSWORD": "hunter2hunter2"},
    )
    expect(task, bad={"IMM-IMG1", "IMM-SEC3", "IMM-IMG5", "IMM-REP11"})  # IMG5: nginx:1.27.3 can be pushed again
    expect(repository, bad={"IMM-IMG2"})
    expect(
        ecs.FargateService(stack, "Exec", cluster=cluster, task_definition=task, enable_execute_command=True),
        bad={"IMM-REP5", "IMM-REP10"},
    )
    # L1 forms
    expect(ecs.CfnService(stack, "L1Exec", enable_execute_command=True), bad={"IMM-REP5"})
    expect(
        ecs.CfnTaskDefinition(
            stack, "L1Task",
            container_definitions=[ecs.CfnTaskDefinition.ContainerDefinitionProperty(
                name="app", image="busybox:latest",
                environment=[ecs.CfnTaskDefinition.KeyValuePairProperty(name="API_TOKEN", value="abcd1234efgh5678")],
            )],
        ),
        bad={"IMM-IMG1", "IMM-SEC3"},
    )  # fmt: skip
    expect(ecr.CfnRepository(stack, "L1Mutable", image_tag_mutability="MUTABLE"), bad={"IMM-IMG2"})
    expect(
        lambda_.Function(
            stack, "TokenFunction", runtime=lambda_.Runtime.PYTHON_3_13, handler="index.handler",
            code=lambda_.Code.from_inline("def handler(event, context): pass"),
            environment={"API_TOKEN": "abcd1234efgh5678"},
        ),
        bad={"IMM-SEC3"},
    )  # fmt: skip
    # IMM-SEC2
    expect(
        imagebuilder.CfnComponent(
            stack, "KeyInComponent", name="key", platform="Linux", version="1.0.0",
            data="name: key\nschemaVersion: 1.0\nphases:\n  - name: build\n    steps:\n      - name: k\n"
            "        action: ExecuteBash\n        inputs:\n          commands:\n"
            "            - echo '-----BEGIN RSA PRIVATE KEY-----' > /etc/key.pem\n",
        ),
        bad={"IMM-SEC2"},
    )  # fmt: skip
    # IMM-HYG2 on a standalone volume
    expect(
        ec2.Volume(stack, "PlainVolume", availability_zone="us-east-1a", size=cdk_size(8)),
        bad={"IMM-HYG2"},
    )
    build_bad_deploy_readiness(stack)
    build_bad_functions(stack)


def cdk_size(gib: int) -> Any:
    from aws_cdk import Size

    return Size.gibibytes(gib)


def build_good(stack: Stack, vpc: ec2.IVpc) -> None:
    sg = ec2.SecurityGroup(stack, "Web", vpc=vpc)
    sg.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443))
    sg.add_ingress_rule(ec2.Peer.any_ipv6(), ec2.Port.tcp_range(8000, 8100))
    sg.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.all_icmp())
    expect(sg, good={"IMM-SSH1"})
    # IMM-SSH4: a boot script that turns password logins off
    hardened = ec2.UserData.for_linux()
    hardened.add_commands("sed -i 's/^PasswordAuthentication yes/PasswordAuthentication no/' /etc/ssh/sshd_config")
    expect(
        ec2.LaunchTemplate(
            stack, "HardenedTemplate", machine_image=PinnedSsmImage("/images/web/stable", version=3),
            require_imdsv2=True, user_data=hardened, block_devices=[
                ec2.BlockDevice(device_name="/dev/xvda", volume=ec2.BlockDeviceVolume.ebs(8, encrypted=True))
            ],
        ),
        good={"IMM-SSH4"},
    )  # fmt: skip
    other = ec2.SecurityGroup(stack, "Other", vpc=vpc)
    expect(
        ec2.CfnSecurityGroupIngress(
            stack, "AppFromOther", group_id=sg.security_group_id, ip_protocol="tcp", from_port=8080, to_port=8080,
            source_security_group_id=other.security_group_id,
        ),
        good={"IMM-SSH1"},
    )  # fmt: skip
    template = ec2.LaunchTemplate(
        stack,
        "Hardened",
        machine_image=PinnedSsmImage("/images/web/stable", version=7),
        instance_type=ec2.InstanceType("t3.small"),
        require_imdsv2=True,
        user_data=user_data(
            "DB_PASSWORD=$(aws secretsmanager get-secret-value --secret-id db --query SecretString --output text)",
            'TOKEN=$(curl -sX PUT "http://169.254.169.254/latest/api/token" '
            '-H "X-aws-ec2-metadata-token-ttl-seconds: 21600")',
            'export API_TOKEN="${API_TOKEN_FROM_ENV}"',
            "aws ssm get-parameter --name /app/password --with-decryption",
        ),
        block_devices=[ec2.BlockDevice(device_name="/dev/xvda", volume=ec2.BlockDeviceVolume.ebs(8, encrypted=True))],
    )
    expect(template, good={"IMM-SSH2", "IMM-HYG1", "IMM-HYG2", "IMM-IMG3", "IMM-SEC1", "IMM-IMG4"})
    expect(
        ec2.CfnLaunchTemplate(
            stack,
            "L1LaunchTime",
            launch_template_data=ec2.CfnLaunchTemplate.LaunchTemplateDataProperty(
                image_id="resolve:ssm:/images/web/stable:3",
                metadata_options=ec2.CfnLaunchTemplate.MetadataOptionsProperty(http_tokens="required"),
                block_device_mappings=[
                    ec2.CfnLaunchTemplate.BlockDeviceMappingProperty(
                        device_name="/dev/xvda", ebs=ec2.CfnLaunchTemplate.EbsProperty(encrypted=True)
                    )
                ],
            ),
        ),
        good={"IMM-IMG3", "IMM-HYG1", "IMM-HYG2", "IMM-SSH2"},
    )
    expect(
        autoscaling.AutoScalingGroup(
            stack,
            "Rolling",
            vpc=vpc,
            launch_template=template,
            update_policy=autoscaling.UpdatePolicy.rolling_update(),
            max_instance_lifetime=Duration.days(365),
        ),
        good={"IMM-REP1", "IMM-REP7"},
    )
    expect(
        autoscaling.AutoScalingGroup(
            stack, "Replacing", vpc=vpc, launch_template=template,
            update_policy=autoscaling.UpdatePolicy.replacing_update(), max_instance_lifetime=Duration.days(14),
        ),
        good={"IMM-REP1"},
    )  # fmt: skip
    watched = autoscaling.AutoScalingGroup(
        stack, "Watched", vpc=vpc, launch_template=template, update_policy=autoscaling.UpdatePolicy.replacing_update(),
        max_instance_lifetime=Duration.days(7),
    )  # fmt: skip
    Tags.of(watched).add(FLEET_TAG, "Watched")
    expect(watched, good={"IMM-REP6"})
    tainted_host_function(stack, replaced=["Watched"], tag_only=[])
    expect(
        autoscaling.AutoScalingGroup(
            stack, "Refresh", vpc=vpc, launch_template=template,
            update_policy=autoscaling.UpdatePolicy.instance_refresh(strategy=autoscaling.InstanceRefreshStrategy.ROLLING),
            max_instance_lifetime=Duration.days(1),
        ),
        good={"IMM-REP1"},
    )  # fmt: skip
    lambda_application = codedeploy.CfnApplication(stack, "LambdaApplication", compute_platform="Lambda")
    expect(
        codedeploy.CfnDeploymentGroup(
            stack, "LambdaGroup", application_name=lambda_application.ref,
            service_role_arn="arn:aws:iam::123456789012:role/cd",
        ),
        good={"IMM-REP3"},
    )  # fmt: skip
    expect(
        codedeploy.CfnDeploymentGroup(
            stack, "BlueGreen", application_name="web", service_role_arn="arn:aws:iam::123456789012:role/cd",
            deployment_style=codedeploy.CfnDeploymentGroup.DeploymentStyleProperty(
                deployment_type="BLUE_GREEN", deployment_option="WITH_TRAFFIC_CONTROL"
            ),
        ),
        good={"IMM-REP3"},
    )  # fmt: skip
    expect(ssm.CfnAssociation(stack, "Inventory", name="AWS-GatherSoftwareInventory"), good={"IMM-REP4"})
    cluster = ecs.Cluster(stack, "Cluster", vpc=vpc)
    task = ecs.FargateTaskDefinition(stack, "Task")
    repository = ecr.Repository(stack, "Repository", image_tag_mutability=ecr.TagMutability.IMMUTABLE)
    secret = secretsmanager.Secret(stack, "DbSecret")
    task.add_container(
        "App",
        image=ecs.ContainerImage.from_ecr_repository(repository, tag="1.4.2"),
        environment={"DB_PASSWORD_ARN": secret.secret_arn, "LOG_LEVEL": "info", "TOKEN_TTL": "3600"},
        secrets={"DB_PASSWORD": ecs.Secret.from_secrets_manager(secret)},
        readonly_root_filesystem=True,
    )
    task.add_container(
        "Pinned",
        image=ecs.ContainerImage.from_registry(
            "nginx@sha256:" + "0" * 64,
        ),
        environment={"SECRET_NAME": "prod/db", "PASSWORD_FILE": "/run/secrets/db"},
        readonly_root_filesystem=True,
    )
    expect(task, good={"IMM-IMG1", "IMM-SEC3", "IMM-IMG5", "IMM-REP11"})
    expect(repository, good={"IMM-IMG2"})
    breaker = ecs.DeploymentCircuitBreaker(enable=True, rollback=True)
    expect(
        ecs.FargateService(stack, "NoExec", cluster=cluster, task_definition=task, circuit_breaker=breaker),
        good={"IMM-REP5", "IMM-REP10"},
    )
    expect(
        imagebuilder.CfnComponent(
            stack, "ReadsSecret", name="reads", platform="Linux", version="1.0.0",
            data="name: reads\nschemaVersion: 1.0\nphases:\n  - name: build\n    steps:\n      - name: s\n"
            "        action: ExecuteBash\n        inputs:\n          commands:\n"
            "            - TOKEN=$(aws secretsmanager get-secret-value --secret-id build --query SecretString)\n",
        ),
        good={"IMM-SEC2"},
    )  # fmt: skip
    expect(
        imagebuilder.CfnInfrastructureConfiguration(
            stack, "Bake", name="bake", instance_profile_name="bake",
            instance_metadata_options=imagebuilder.CfnInfrastructureConfiguration.InstanceMetadataOptionsProperty(
                http_tokens="required"
            ),
        ),
        good={"IMM-SSH2", "IMM-HYG1"},
    )  # fmt: skip
    expect(
        ec2.Volume(stack, "Volume", availability_zone="us-east-1a", size=cdk_size(8), encrypted=True),
        good={"IMM-HYG2"},
    )
    build_good_deploy_readiness(stack)
    build_good_functions(stack)
    expect(template, good={"IMM-DEP4"})  # pins /images/web/stable, which this stack does not write


# -- IMM-DEP*: deploy-readiness (issue 9) ------------------------------------------------------

AUTO_SCALING_ROLE = (
    f"arn:{Aws.PARTITION}:iam::{Aws.ACCOUNT_ID}:role/aws-service-role/autoscaling.amazonaws.com/"
    "AWSServiceRoleForAutoScaling"
)
KEY_USE = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]


def encrypted_template(stack: Stack, id: str, key: kms.IKey, image_id: str = "resolve:ssm:/images/web/stable:3") -> Any:
    return ec2.CfnLaunchTemplate(
        stack, id,
        launch_template_data=ec2.CfnLaunchTemplate.LaunchTemplateDataProperty(
            image_id=image_id,
            metadata_options=ec2.CfnLaunchTemplate.MetadataOptionsProperty(http_tokens="required"),
            block_device_mappings=[ec2.CfnLaunchTemplate.BlockDeviceMappingProperty(
                device_name="/dev/xvda", ebs=ec2.CfnLaunchTemplate.EbsProperty(encrypted=True, kms_key_id=key.key_arn),
            )],
        ),
    )  # fmt: skip


def distribution(stack: Stack, id: str, parameter: str, key: kms.IKey | None = None) -> Any:
    return imagebuilder.CfnDistributionConfiguration(
        stack, id, name=id.lower(),
        distributions=[imagebuilder.CfnDistributionConfiguration.DistributionProperty(
            region="us-east-1",
            ami_distribution_configuration={"Name": "web-{{imagebuilder:buildDate}}"}
            | ({"KmsKeyId": key.key_arn} if key else {}),
            ssm_parameter_configurations=[imagebuilder.CfnDistributionConfiguration.SsmParameterConfigurationProperty(
                parameter_name=parameter, data_type="aws:ec2:image",
            )],
        )],
    )  # fmt: skip


def pipeline(stack: Stack, id: str, distribution_configuration: Any, role: iam.IRole | None = None) -> Any:
    return imagebuilder.CfnImagePipeline(
        stack, id, name=id.lower(),
        image_recipe_arn="arn:aws:imagebuilder:us-east-1:123456789012:image-recipe/web/1.0.0",
        infrastructure_configuration_arn="arn:aws:imagebuilder:us-east-1:123456789012:infrastructure-configuration/web",
        distribution_configuration_arn=distribution_configuration.attr_arn,
        execution_role=role.role_arn if role else None,
    )  # fmt: skip


def recipe_pipeline(stack: Stack, id: str, key: kms.IKey, role: iam.IRole) -> Any:
    """A pipeline whose recipe encrypts the root volume with ``key``, run as ``role`` (IMM-DEP8)."""
    recipe = imagebuilder.CfnImageRecipe(
        stack, f"{id}Recipe", name=id.lower(), version="1.0.0", parent_image="ami-12345678",
        components=[imagebuilder.CfnImageRecipe.ComponentConfigurationProperty(component_arn="arn:aws:c")],
        block_device_mappings=[imagebuilder.CfnImageRecipe.InstanceBlockDeviceMappingProperty(
            device_name="/dev/xvda",
            ebs=imagebuilder.CfnImageRecipe.EbsInstanceBlockDeviceSpecificationProperty(
                encrypted=True, kms_key_id=key.key_arn
            ),
        )],
    )  # fmt: skip
    return imagebuilder.CfnImagePipeline(
        stack, id, name=id.lower(), image_recipe_arn=recipe.attr_arn, execution_role=role.role_arn,
        infrastructure_configuration_arn="arn:aws:imagebuilder:us-east-1:123456789012:infrastructure-configuration/web",
    )  # fmt: skip


def image_builder(stack: Stack) -> iam.ServicePrincipal:
    """Image Builder acting for this account's resources only (IMM-PRIV3)."""
    return iam.ServicePrincipal(
        "imagebuilder.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": stack.account}}
    )


def waiting_provider(stack: Stack, id: str, total: Duration, interval: Duration) -> cr.Provider:
    code = lambda_.Code.from_inline("def handler(event, context):\n    return {'IsComplete': True}\n")
    on_event, is_complete = (
        lambda_.Function(stack, f"{id}{name}", runtime=lambda_.Runtime.PYTHON_3_13, handler="index.handler", code=code)
        for name in ("OnEvent", "IsComplete")
    )
    provider = cr.Provider(
        stack, id, on_event_handler=on_event, is_complete_handler=is_complete, total_timeout=total,
        query_interval=interval,
    )  # fmt: skip
    # the waiter's role trusts Step Functions for this account only (IMM-PRIV3), as the library's do
    waiter_role = provider.node.find_child("waiter-state-machine").node.find_child("Role").node.default_child
    assert isinstance(waiter_role, CfnResource)
    waiter_role.add_property_override(
        "AssumeRolePolicyDocument.Statement.0.Condition", {"StringEquals": {"aws:SourceAccount": stack.account}}
    )
    return provider


def agent_fleet(stack: Stack, id: str, *, dimensions: dict[str, str], endpoints: tuple[str, ...]) -> Any:
    """An Auto Scaling group in an isolated VPC whose hosts start the CloudWatch agent from an SSM parameter."""
    vpc = ec2.Vpc(
        stack, f"{id}Vpc", max_azs=1, nat_gateways=0,
        subnet_configuration=[ec2.SubnetConfiguration(name="app", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)],
    )  # fmt: skip
    for service in endpoints:
        vpc.add_interface_endpoint(
            f"{service}Endpoint", service=ec2.InterfaceVpcEndpointService(f"com.amazonaws.{Aws.REGION}.{service}", 443),
            private_dns_enabled=True,
        )  # fmt: skip
    config = {
        "logs": {"logs_collected": {"files": {"collect_list": [{"file_path": "/var/log/messages"}]}}},
        "metrics": {"namespace": "App", "append_dimensions": dimensions, "aggregation_dimensions": [[]]},
    }
    parameter = ssm.StringParameter(stack, f"{id}AgentConfig", string_value=json.dumps(config))
    template = ec2.LaunchTemplate(
        stack, f"{id}Template", machine_image=PinnedSsmImage("/images/web/stable", version=7),
        instance_type=ec2.InstanceType("t3.small"), require_imdsv2=True,
        user_data=user_data(
            "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s "
            f"-c ssm:{parameter.parameter_name}"
        ),
        block_devices=[ec2.BlockDevice(device_name="/dev/xvda", volume=ec2.BlockDeviceVolume.ebs(8, encrypted=True))],
    )  # fmt: skip
    return autoscaling.AutoScalingGroup(
        stack, id, vpc=vpc, launch_template=template, update_policy=autoscaling.UpdatePolicy.replacing_update(),
        max_instance_lifetime=Duration.days(14),
    )  # fmt: skip


def refresh_group(stack: Stack, id: str, alarm: cloudwatch.IAlarm) -> Any:
    """An L1 Auto Scaling group whose instance refresh rolls back on ``alarm``."""
    group = autoscaling.CfnAutoScalingGroup(stack, id, max_size="2", min_size="0", max_instance_lifetime=86400)
    group.add_override(
        "UpdatePolicy.AutoScalingInstanceRefresh",
        {"Preferences": {"AlarmSpecification": {"Alarms": [alarm.alarm_name]}}},
    )
    return group


def build_bad_deploy_readiness(stack: Stack) -> None:
    # IMM-DEP1: a key policy without the Auto Scaling service-linked role (CDK's default: the account only),
    # on launch template volumes, a recipe's volumes (the stack launches instances) and a distribution's AMIs.
    key = kms.Key(stack, "VolumeKeyWithoutGrant")
    encrypted_template(stack, "EncryptedTemplate", key)
    expect(key, bad={"IMM-DEP1"})
    recipe_key = kms.Key(stack, "RecipeKeyWithoutGrant")
    imagebuilder.CfnImageRecipe(
        stack, "EncryptedRecipe", name="web", version="1.0.0", parent_image="ami-12345678",
        components=[imagebuilder.CfnImageRecipe.ComponentConfigurationProperty(component_arn="arn:aws:c")],
        block_device_mappings=[imagebuilder.CfnImageRecipe.InstanceBlockDeviceMappingProperty(
            device_name="/dev/xvda",
            ebs=imagebuilder.CfnImageRecipe.EbsInstanceBlockDeviceSpecificationProperty(
                encrypted=True, kms_key_id=recipe_key.key_arn
            ),
        )],
    )  # fmt: skip
    expect(recipe_key, bad={"IMM-DEP1"})
    ami_key = kms.Key(stack, "AmiKeyUsableButNoGrants")
    ami_key.add_to_resource_policy(
        iam.PolicyStatement(actions=KEY_USE, principals=[iam.ArnPrincipal(AUTO_SCALING_ROLE)], resources=["*"])
    )  # lacks kms:CreateGrant (and names the role before it exists: IMM-DEP2)
    written = distribution(stack, "WritesCandidate", "/images/dep/candidate", key=ami_key)
    expect(ami_key, bad={"IMM-DEP1", "IMM-DEP2"})
    # IMM-DEP2: the role is created, but the key does not wait for it; an SNS topic policy names one too
    iam.CfnServiceLinkedRole(stack, "AutoScalingRole", aws_service_name="autoscaling.amazonaws.com")
    early = kms.Key(stack, "KeyBeforeRole")
    early.add_to_resource_policy(
        iam.PolicyStatement(actions=["kms:Decrypt"], principals=[iam.ArnPrincipal(AUTO_SCALING_ROLE)], resources=["*"])
    )
    expect(early, bad={"IMM-DEP2"})
    topic = sns.Topic(stack, "Events")
    topic.add_to_resource_policy(
        iam.PolicyStatement(
            actions=["sns:Publish"], resources=[topic.topic_arn],
            principals=[iam.ArnPrincipal(
                f"arn:aws:iam::{Aws.ACCOUNT_ID}:role/aws-service-role/ssm.amazonaws.com/AWSServiceRoleForAmazonSSM"
            )],
        )
    )  # fmt: skip
    expect(topic.node.find_child("Policy"), bad={"IMM-DEP2"})
    # IMM-DEP3: no execution role; an execution role allowed to write another parameter only
    expect(pipeline(stack, "NoExecutionRole", written), bad={"IMM-DEP3"})
    role = iam.Role(stack, "WrongParameterRole", assumed_by=iam.ServicePrincipal("imagebuilder.amazonaws.com"))
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["ssm:PutParameter"],
            resources=[f"arn:aws:ssm:us-east-1:{Aws.ACCOUNT_ID}:parameter/images/other/candidate"],
        )
    )
    expect(pipeline(stack, "RoleCannotWrite", written, role), bad={"IMM-DEP3"})
    # IMM-DEP4: the stack's own distribution writes the parameter a launch template pins, and an
    # SSM document (any resource) reads a parameter the role above may write
    expect(
        encrypted_template(stack, "PinsOwnCandidate", key, "{{resolve:ssm:/images/dep/candidate:1}}"),
        bad={"IMM-DEP4"},
    )
    expect(
        ssm.CfnParameter(stack, "CopiesOther", type="String", value="{{resolve:ssm:/images/other/candidate}}"),
        bad={"IMM-DEP4"},
    )
    # IMM-DEP5: a waiter as long as CloudFormation's hour; the default 30 minutes against a 10-minute ServiceTimeout
    hour = waiting_provider(stack, "HourProvider", Duration.hours(1), Duration.seconds(30))
    expect(CustomResource(stack, "WaitsAnHour", service_token=hour.service_token), bad={"IMM-DEP5"})
    default = waiting_provider(stack, "DefaultProvider", Duration.minutes(30), Duration.seconds(5))
    expect(
        CustomResource(
            stack, "ShortServiceTimeout", service_token=default.service_token, service_timeout=Duration.minutes(10)
        ),
        bad={"IMM-DEP5"},
    )
    # IMM-DEP6: an agent appending the Auto Scaling group name in subnets without an ec2 endpoint
    expect(
        agent_fleet(stack, "TaggedAgent", dimensions={"AutoScalingGroupName": "${aws:AutoScalingGroupName}"},
                    endpoints=("ssm", "logs", "monitoring")),
        bad={"IMM-DEP6"},
    )  # fmt: skip
    # IMM-DEP7: an instance refresh that rolls back on an alarm whose missing data breaches
    silent = cloudwatch.Alarm(
        stack, "SilentHosts", metric=cloudwatch.Metric(namespace="App", metric_name="Heartbeat"), threshold=1,
        evaluation_periods=5, comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
    )  # fmt: skip
    refresh_group(stack, "RefreshOnSilence", silent)
    expect(silent, bad={"IMM-DEP7"})
    # IMM-PRIV1, IMM-PRIV2 (issue 28): a function role that reads everything; RunInstances on anything
    read_only = iam.ManagedPolicy.from_aws_managed_policy_name("ReadOnlyAccess")
    reads_all = iam.Role(stack, "ReadsAll", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                         managed_policies=[read_only])  # fmt: skip
    expect(reads_all, bad={"IMM-PRIV1"})
    launches_anything = iam.Policy(stack, "LaunchesAnything", statements=[
        iam.PolicyStatement(actions=["ec2:RunInstances"], resources=["*"])])  # fmt: skip
    launches_anything.attach_to_role(reads_all)
    expect(launches_anything, bad={"IMM-PRIV2"})
    # IMM-PRIV3: a flow-log role any account's flow logs could use
    deputy = iam.Role(stack, "AnyAccountsFlowLogs", assumed_by=iam.ServicePrincipal("vpc-flow-logs.amazonaws.com"))
    expect(deputy, bad={"IMM-PRIV3"})
    # IMM-PRIV4: an instance role that may move a catalog channel
    host = iam.Role(stack, "HostWritesCatalog", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))
    host.add_to_policy(iam.PolicyStatement(actions=["ssm:PutParameter"], resources=[
        f"arn:{Aws.PARTITION}:ssm:{Aws.REGION}:{Aws.ACCOUNT_ID}:parameter/images/web/stable"]))  # fmt: skip
    expect(host, bad={"IMM-PRIV4"})
    # IMM-DEP8: the execution role may only encrypt and decrypt with the recipe's key (no CreateGrant...)
    build_key = kms.Key(stack, "BuildKeyNoGrant")
    weak = iam.Role(stack, "EncryptDecryptOnly", assumed_by=iam.ServicePrincipal("imagebuilder.amazonaws.com"))
    build_key.grant_encrypt_decrypt(weak)
    expect(recipe_pipeline(stack, "BuildsWithoutGrant", build_key, weak), bad={"IMM-DEP8"})


def build_good_deploy_readiness(stack: Stack) -> None:
    # IMM-DEP1 with the aws:PrincipalArn condition pattern (works before the role exists)
    key = kms.Key(stack, "VolumeKey")
    narrowed = {
        "ArnEquals": {"aws:PrincipalArn": AUTO_SCALING_ROLE},
        "StringEquals": {"aws:PrincipalAccount": Aws.ACCOUNT_ID},
    }
    key.add_to_resource_policy(
        iam.PolicyStatement(actions=KEY_USE, principals=[iam.AnyPrincipal()], resources=["*"], conditions=narrowed)
    )
    key.add_to_resource_policy(
        iam.PolicyStatement(
            actions=["kms:CreateGrant"], principals=[iam.AnyPrincipal()], resources=["*"],
            conditions={**narrowed, "Bool": {"kms:GrantIsForAWSResource": "true"}},
        )
    )  # fmt: skip
    expect(encrypted_template(stack, "EncryptedTemplate", key), good={"IMM-HYG1", "IMM-HYG2", "IMM-IMG3"})
    expect(key, good={"IMM-DEP1", "IMM-DEP2"})
    # IMM-DEP1 and IMM-DEP2 naming the role by ARN, created first
    role = iam.CfnServiceLinkedRole(stack, "AutoScalingRole", aws_service_name="autoscaling.amazonaws.com")
    named = kms.Key(stack, "NamedRoleKey")
    for actions, conditions in ((KEY_USE, None), (["kms:CreateGrant"], {"Bool": {"kms:GrantIsForAWSResource": True}})):
        named.add_to_resource_policy(
            iam.PolicyStatement(
                actions=actions,
                principals=[iam.ArnPrincipal(AUTO_SCALING_ROLE)],
                resources=["*"],
                conditions=conditions,
            )
        )
    named.node.add_dependency(role)
    encrypted_template(stack, "NamedRoleTemplate", named)
    expect(named, good={"IMM-DEP1", "IMM-DEP2"})
    # IMM-DEP3: an execution role that may write the parameter; the service-linked role's own /imagebuilder/*
    writer = iam.Role(stack, "ExecutionRole", assumed_by=image_builder(stack))
    writer.add_to_policy(
        iam.PolicyStatement(
            actions=["ssm:GetParameter", "ssm:PutParameter"],
            resources=[f"arn:{Aws.PARTITION}:ssm:{Aws.REGION}:{Aws.ACCOUNT_ID}:parameter/images/good/*"],
        )
    )
    expect(pipeline(stack, "WithExecutionRole", distribution(stack, "Good", "/images/good/candidate"), writer),
           good={"IMM-DEP3"})  # fmt: skip
    expect(pipeline(stack, "ServiceRoleParameter", distribution(stack, "Own", "/imagebuilder/web/latest")),
           good={"IMM-DEP3"})  # fmt: skip
    # IMM-DEP5: 50 minutes of waiting, under the hour
    provider = waiting_provider(stack, "Provider", Duration.minutes(50), Duration.seconds(30))
    expect(CustomResource(stack, "WaitsLess", service_token=provider.service_token), good={"IMM-DEP5"})
    # IMM-DEP6: the metadata dimension only, and an endpoint for each API the agent calls
    expect(
        agent_fleet(stack, "Agent", dimensions={"InstanceId": "${aws:InstanceId}"},
                    endpoints=("ssm", "logs", "monitoring")),
        good={"IMM-DEP6"},
    )  # fmt: skip
    # IMM-DEP7: the rollback alarm's missing data does not breach; a breaching one only pages
    quiet = cloudwatch.Alarm(
        stack, "Errors", metric=cloudwatch.Metric(namespace="App", metric_name="Errors"), threshold=1,
        evaluation_periods=2, treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )  # fmt: skip
    refresh_group(stack, "RefreshOnErrors", quiet)
    expect(quiet, good={"IMM-DEP7"})
    paging = cloudwatch.Alarm(
        stack, "PagesOnSilence", metric=cloudwatch.Metric(namespace="App", metric_name="Heartbeat"), threshold=1,
        evaluation_periods=5, comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
    )  # fmt: skip
    expect(paging, good={"IMM-DEP7"})
    scoped = iam.Role(stack, "ReadsItsStack", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    expect(scoped, good={"IMM-PRIV1"})
    template = "arn:aws:ec2:us-east-1:111122223333:launch-template/lt-0abc"
    bound = iam.Policy(stack, "LaunchesFromTemplate", statements=[
        iam.PolicyStatement(actions=["ec2:RunInstances"], resources=[template]),
        iam.PolicyStatement(actions=["ec2:RunInstances"], resources=["arn:aws:ec2:us-east-1:111122223333:instance/*"],
                            conditions={"ArnLike": {"ec2:LaunchTemplate": template}})])  # fmt: skip
    bound.attach_to_role(scoped)
    expect(bound, good={"IMM-PRIV2"})
    own_flow_logs = iam.Role(stack, "OwnFlowLogs", assumed_by=iam.ServicePrincipal(
        "vpc-flow-logs.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": stack.account}}))  # fmt: skip
    expect(own_flow_logs, good={"IMM-PRIV3"})
    host = iam.Role(stack, "HostReadsCatalog", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))
    host.add_to_policy(iam.PolicyStatement(actions=["ssm:GetParameter"], resources=[
        f"arn:{Aws.PARTITION}:ssm:{Aws.REGION}:{Aws.ACCOUNT_ID}:parameter/images/web/stable"]))  # fmt: skip
    expect(host, good={"IMM-PRIV4"})
    # IMM-DEP8: the execution role may do what EBS needs with the recipe's key, through EC2 only
    build_key = stack.node.find_child("VolumeKey")  # its policy lets Auto Scaling use it (IMM-DEP1)
    assert isinstance(build_key, kms.Key)
    builder = iam.Role(stack, "BuildsWithKey", assumed_by=image_builder(stack))
    builder.add_to_policy(iam.PolicyStatement(
        actions=["kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKeyWithoutPlaintext",
                 "kms:ReEncrypt*"],
        resources=[build_key.key_arn], conditions={"StringEquals": {"kms:ViaService": "ec2.us-east-1.amazonaws.com"}},
    ))  # fmt: skip
    expect(recipe_pipeline(stack, "BuildsWithGrant", build_key, builder), good={"IMM-DEP8"})


# -- IMM-REP8, IMM-REP9: functions released by version (issue 26) ------------------------------------


def inline_function(stack: Stack, id: str) -> lambda_.Function:
    code = lambda_.Code.from_inline("def handler(event, context):\n    return None\n")
    return lambda_.Function(stack, id, runtime=lambda_.Runtime.PYTHON_3_13, handler="index.handler", code=code)


def build_bad_functions(stack: Stack) -> None:
    # An alias CloudFormation moves at once, and a queue that still invokes $LATEST of the same function.
    function = inline_function(stack, "CutOverInPlace")
    expect(lambda_.Alias(stack, "LiveInPlace", alias_name="live", version=function.current_version), bad={"IMM-REP9"})
    queue = sqs.Queue(stack, "Work", enforce_ssl=True)
    expect(function.add_event_source_mapping("Unqualified", event_source_arn=queue.queue_arn), bad={"IMM-REP8"})
    # A state machine whose task invokes it unqualified (CDK writes the ARN into DefinitionString).
    expect(state_machine(stack, "InvokesLatest", function), bad={"IMM-REP8"})
    # A release that deploys production straight after the build: no earlier wave bakes first.
    expect(release_pipeline(stack, "StraightToProduction", waves=("Production",)), bad={"IMM-REL1"})


def build_good_functions(stack: Stack) -> None:
    code = lambda_.Code.from_inline("def handler(event, context):\n    return None\n")
    released = VersionedFunction(stack, "Released", runtime=lambda_.Runtime.PYTHON_3_13, handler="index.handler",
                                 code=code)  # fmt: skip
    expect(released.alias, good={"IMM-REP9"})
    queue = sqs.Queue(stack, "Work", enforce_ssl=True)
    expect(released.alias.add_event_source_mapping("ViaAlias", event_source_arn=queue.queue_arn), good={"IMM-REP8"})
    expect(state_machine(stack, "InvokesAlias", released.alias), good={"IMM-REP8"})
    expect(release_pipeline(stack, "InWaves", waves=("Canary", "Production")), good={"IMM-REL1"})


def state_machine(stack: Stack, id: str, target: lambda_.IFunction) -> sfn.StateMachine:
    """A state machine whose task invokes ``target``; its role trusts Step Functions for this account only (the
    role aws-cdk-lib makes has that condition only in newer releases than the floor, and IMM-PRIV3 asks for it)."""
    invoke = tasks.LambdaInvoke(stack, f"{id}Task", lambda_function=target)
    principal = iam.ServicePrincipal("states.amazonaws.com", conditions={
        "StringEquals": {"aws:SourceAccount": stack.account}})  # fmt: skip
    role = iam.Role(stack, f"{id}Role", assumed_by=principal)
    return sfn.StateMachine(stack, id, definition_body=sfn.DefinitionBody.from_chainable(invoke), role=role)


def release_pipeline(stack: Stack, id: str, *, waves: tuple[str, ...]) -> codepipeline.CfnPipeline:
    """What IMM-REL1 reads of a release pipeline: CloudFormation deploy stages, each gated on success by an
    alarm rule that waits (the bake time) and rolls the stage back."""

    def action(category: str, provider: str) -> dict[str, Any]:
        return {"name": provider, "actionTypeId": {"category": category, "owner": "AWS", "provider": provider,
                                                    "version": "1"}}  # fmt: skip

    alarm = {"category": "Rule", "owner": "AWS", "provider": "CloudWatchAlarm", "version": "1"}
    gate = {"name": "Bake", "ruleTypeId": alarm, "configuration": {"AlarmName": "gate", "WaitTime": "60"}}
    stages: list[Any] = [{"name": "Build", "actions": [action("Build", "CodeBuild")]}]
    stages += [
        {"name": wave, "actions": [action("Deploy", "CloudFormation")],
         "onSuccess": {"conditions": [{"result": "ROLLBACK", "rules": [gate]}]}}
        for wave in waves
    ]  # fmt: skip
    return codepipeline.CfnPipeline(
        stack, id, role_arn="arn:aws:iam::123456789012:role/release", pipeline_type="V2", stages=stages
    )


@pytest.fixture(scope="module")
def matrix() -> dict[str, dict[str, Any]]:
    return build_matrix()


def build_matrix() -> dict[str, dict[str, Any]]:
    """Stack name -> template of the Bad and Good stacks every rule has a case in (CASES filled anew)."""
    CASES.clear()
    app = App()
    for name, builder in (("Bad", build_bad), ("Good", build_good)):
        stack = Stack(app, name)
        isolated = ec2.SubnetConfiguration(name="app", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
        builder(stack, ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=0, subnet_configuration=[isolated]))
    return {artifact.stack_name: artifact.template for artifact in app.synth().stacks}


def findings_of(templates: dict[str, dict[str, Any]]) -> dict[tuple[str, str], set[str]]:
    found: dict[tuple[str, str], set[str]] = {}
    for stack_name, template in templates.items():
        for finding in PACK.check_template(template):
            found.setdefault((stack_name, str(finding.logical_id)), set()).add(finding.rule_id)
    return found


@pytest.fixture(scope="module")
def judged(matrix: dict[str, dict[str, Any]]) -> dict[tuple[str, str], set[str]]:
    """(stack, logical id) -> the rule ids the pack reports for that resource."""
    return findings_of(matrix)


def stringified(value: Any, spellings: list[str]) -> Any:
    """``value`` with every JSON Boolean written as one of the strings CloudFormation also takes for it
    (cycling through ``true``, ``True``, ``TRUE``), intrinsic functions' arguments left alone."""
    if isinstance(value, bool):
        spellings.append(spellings.pop(0))
        return (
            spellings[0]
            if value
            else spellings[0].replace("true", "false").replace("TRUE", "FALSE").replace("True", "False")
        )
    if isinstance(value, list):
        return [stringified(item, spellings) for item in value]
    if isinstance(value, dict):
        return {k: v if k.startswith("Fn::") else stringified(v, spellings) for k, v in value.items()}
    return value


def test_booleans_written_as_strings_are_judged_alike(
    matrix: dict[str, dict[str, Any]], judged: dict[tuple[str, str], set[str]]
) -> None:
    """CloudFormation takes "true", "True" and "TRUE" for a Boolean (cfn-lint's BOOLEAN_STRINGS): a template
    written by hand or converted from YAML has them, and every rule must read them as the Booleans CDK writes."""
    spellings = ["true", "True", "TRUE"]
    variant = {name: {**t, "Resources": stringified(t["Resources"], spellings)} for name, t in matrix.items()}
    assert variant != matrix
    assert findings_of(variant) == judged


def test_every_rule_has_a_bad_and_a_good_case(judged: dict[tuple[str, str], set[str]]) -> None:
    bad = set().union(*(c.bad for c in CASES))
    good = set().union(*(c.good for c in CASES))
    ids = {r.id for r in RULES} - METADATA_RULES
    assert ids <= bad, ids - bad
    # Rules against the mere existence of a type (no compliant form): the good stack has none.
    assert ids - EXISTENCE_RULES <= good, ids - good


EXISTENCE_RULES = {"IMM-SSH3", "IMM-REP2"}
#: Rules whose failing and passing cases live only in their own tests/nag/rules module: IMM-FAIL1 is
#: judged from construct metadata, not from a template; IMM-IMG4 (issue 24) from the trial image's tags.
METADATA_RULES = {"IMM-FAIL1", "IMM-IMG4"}


def test_non_compliant_resources_are_reported(judged: dict[tuple[str, str], set[str]]) -> None:
    missing = [
        (c.name, sorted(c.bad - judged.get((c.stack, c.logical_id), set())))
        for c in CASES
        if c.bad - judged.get((c.stack, c.logical_id), set())
    ]
    assert missing == []


def test_compliant_resources_are_not_reported(judged: dict[tuple[str, str], set[str]]) -> None:
    wrong = [
        (c.name, sorted(c.good & judged.get((c.stack, c.logical_id), set())))
        for c in CASES
        if c.good & judged.get((c.stack, c.logical_id), set())
    ]
    assert wrong == []


def test_good_stack_is_clean_except_the_vpc_free_things(judged: dict[tuple[str, str], set[str]]) -> None:
    good = {key: rules for key, rules in judged.items() if key[0] == "Good"}
    assert good == {}, good


def test_standalone_ingress_from_a_connection_is_reported() -> None:
    app = App()
    stack = Stack(app, "Connections")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=1, nat_gateways=0, subnet_configuration=[])
    bastion = ec2.SecurityGroup(stack, "Bastion", vpc=vpc)
    target = ec2.SecurityGroup(stack, "Target", vpc=vpc)
    target.connections.allow_from(bastion, ec2.Port.tcp(22))
    template = app.synth().get_stack_by_name("Connections").template
    findings = [f for f in PACK.check_template(template) if f.rule_id == "IMM-SSH1"]
    (ingress_id,) = [k for k, v in template["Resources"].items() if v["Type"] == "AWS::EC2::SecurityGroupIngress"]
    assert [f.logical_id for f in findings] == [ingress_id]
    assert "SourceSecurityGroupId" in findings[0].message


# -- plain templates: intrinsics, ranges and false positives -----------------------------------


def judge(resources: dict[str, Any], parameters: dict[str, Any] | None = None) -> dict[str, set[str]]:
    body = {"Resources": resources, "Parameters": parameters or {}}
    found: dict[str, set[str]] = {}
    for finding in PACK.check_template(body):
        found.setdefault(str(finding.logical_id), set()).add(finding.rule_id)
    return found


def ingress(**rule: Any) -> dict[str, Any]:
    return {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {"GroupId": "sg-1", **rule}}


@pytest.mark.parametrize(
    ("rule", "reported"),
    [
        ({"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}, True),
        ({"IpProtocol": "all", "CidrIpv6": "::/0"}, True),
        ({"IpProtocol": -1, "SourcePrefixListId": "pl-1"}, True),
        ({"IpProtocol": "tcp", "FromPort": 0, "ToPort": 65535, "CidrIp": "10.0.0.0/8"}, True),
        ({"IpProtocol": "tcp", "FromPort": -1, "ToPort": -1, "CidrIp": "10.0.0.0/8"}, True),
        ({"IpProtocol": "tcp", "FromPort": "3000", "ToPort": "4000", "CidrIp": "10.0.0.0/8"}, True),
        ({"IpProtocol": "udp", "FromPort": 3389, "ToPort": 3389, "CidrIp": "10.0.0.0/8"}, True),
        ({"IpProtocol": "tcp", "FromPort": {"Ref": "Port"}, "ToPort": {"Ref": "Port"}, "CidrIp": "1.1.1.1/32"}, True),
        ({"IpProtocol": "tcp", "FromPort": {"Ref": "Web"}, "ToPort": {"Ref": "Web"}, "CidrIp": "1.1.1.1/32"}, False),
        ({"IpProtocol": "udp", "FromPort": 22, "ToPort": 22, "CidrIp": "10.0.0.0/8"}, False),
        ({"IpProtocol": "tcp", "FromPort": 23, "ToPort": 3388, "CidrIp": "0.0.0.0/0"}, False),
        ({"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "CidrIp": "0.0.0.0/0"}, False),
        ({"IpProtocol": "tcp", "FromPort": {"Fn::GetAtt": ["Db", "Endpoint.Port"]}, "ToPort": 5432}, False),
    ],
)
def test_ingress_protocols_ports_and_sources(rule: dict[str, Any], reported: bool) -> None:
    parameters = {"Port": {"Type": "Number"}, "Web": {"Type": "Number", "Default": 443}}
    assert ("IMM-SSH1" in judge({"I": ingress(**rule)}, parameters).get("I", set())) is reported


def test_inline_ingress_in_both_branches_of_fn_if() -> None:
    group = {
        "Type": "AWS::EC2::SecurityGroup",
        "Properties": {
            "GroupDescription": "x",
            "SecurityGroupIngress": [
                {"Fn::If": ["Debug", {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"},
                            {"Ref": "AWS::NoValue"}]},
            ],
        },
    }  # fmt: skip
    (finding,) = PACK.check_template({"Resources": {"G": group}})
    assert finding.location == "Properties.SecurityGroupIngress.0.Fn::If.1"


def test_reached_ports_names_each_port() -> None:
    template = Template({})
    assert ssh_rdp_ingress.reached_ports({"IpProtocol": "-1"}, template) == [22, 3389]
    assert ssh_rdp_ingress.reached_ports({"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22}, template) == [22]


@pytest.mark.parametrize(
    ("image", "problem"),
    [
        ("nginx", "no tag"),
        ("nginx:latest", "latest"),
        ("registry.example.com:5000/team/app", "no tag"),
        ("registry.example.com:5000/team/app:LATEST", "latest"),
        ("registry.example.com:5000/team/app:1.2.3", None),
        ("app@sha256:" + "a" * 64, None),
        ("\x00", None),
        ("\x00.dkr.ecr.\x00.\x00/\x00:\x00", None),
        ("\x00.dkr.ecr.\x00.\x00/\x00:latest", "latest"),
    ],
)
def test_container_image_references(image: str, problem: str | None) -> None:
    found = container_image_tag.image_problem(image)
    assert (found is None) if problem is None else (problem in str(found))


@pytest.mark.parametrize(
    ("image_id", "reported"),
    [
        ("ami-0123456789abcdef0", False),
        ("resolve:ssm:/images/web/stable", True),
        ("resolve:ssm:/images/web/stable:12", False),
        ("resolve:ssm:arn:aws:ssm:us-east-1:123456789012:parameter/images/web", True),
        ("{{resolve:ssm:/images/web/stable}}", True),
        ("{{resolve:ssm:/images/web/stable:4}}", False),
        ({"Ref": "LatestAmi"}, True),
        ({"Ref": "PlainAmi"}, False),
        ({"Fn::FindInMap": ["Amis", {"Ref": "AWS::Region"}, "ami"]}, False),
    ],
)
def test_image_ids(image_id: Any, reported: bool) -> None:
    parameters = {
        "LatestAmi": {"Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>", "Default": "/aws/service/al2023"},
        "PlainAmi": {"Type": "String"},
    }
    resources = {"I": {"Type": "AWS::AutoScaling::LaunchConfiguration", "Properties": {"ImageId": image_id}}}
    assert ("IMM-IMG3" in judge(resources, parameters).get("I", set())) is reported


SCRIPT_CASES = [
    (f"aws configure set aws_access_key_id {FAKE_KEY}", True),
    ("aws_secret_access_key = " + "a1B2" * 10, True),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----", True),
    ("export DB_PASSWORD='s3cr3t-value'", True),
    ("mysql --password=s3cr3tvalue -h db", True),
    ('curl -H "X-Api-Token: abcdef123456"', False),  # a header name, not an assignment of a token variable
    ("GITHUB_TOKEN: ghp_abcdefghijklmnop", True),
    ("DB_PASSWORD=$(aws secretsmanager get-secret-value --secret-id db)", False),
    ('export DB_PASSWORD="${DB_PASSWORD}"', False),
    ("password: {{resolve:secretsmanager:db:SecretString:password}}", False),
    ("aws secretsmanager get-secret-value --secret-id prod/db/password", False),
    ("TOKEN_TTL=21600", False),
    ("PASSWORD_FILE=/run/secrets/db", False),
    ("echo 'no secrets here'", False),
    ('echo \'{"password": "hunter2hunter2"}\' > /etc/app.json', True),
    ('echo \'{"password": "${DB_PASSWORD}"}\' > /etc/app.json', False),
    ("sed -i 's/^PasswordAuthentication yes/PasswordAuthentication no/' /etc/ssh/sshd_config", False),
    ('curl -H "X-aws-ec2-metadata-token: $TOKEN" http://169.254.169.254/latest/meta-data/', False),
    ("aws ssm get-parameter --name /app/password --with-decryption", False),
    ("SECRET_ARN=arn:aws:secretsmanager:us-east-1:123456789012:secret:db", False),
]


@pytest.mark.parametrize(("script", "reported"), SCRIPT_CASES)
def test_user_data_secrets_and_false_positives(script: str, reported: bool) -> None:
    joined = {"Fn::Base64": {"Fn::Join": ["", ["#!/bin/bash\n", script, "\n", {"Ref": "AWS::Region"}]]}}
    resources = {
        "T": {"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateData": {"UserData": joined}}},
        "C": {"Type": "AWS::ImageBuilder::Component", "Properties": {"Data": f"commands:\n  - {script}\n"}},
    }
    found = judge(resources)
    assert ("IMM-SEC1" in found.get("T", set())) is reported
    assert ("IMM-SEC2" in found.get("C", set())) is reported


def test_secret_values_are_masked_in_messages() -> None:
    resources = {
        "T": {
            "Type": "AWS::ECS::TaskDefinition",
            "Properties": {"ContainerDefinitions": [{"Image": "a@sha256:" + "0" * 64, "ReadonlyRootFilesystem": True,
                                                     "Environment": [
                {"Name": "DB_PASSWORD", "Value": "hunter2hunter2"}, {"Name": "KEY", "Value": FAKE_KEY}]}]},
        }
    }  # fmt: skip
    findings = PACK.check_template({"Resources": resources})
    assert [f.rule_id for f in findings] == ["IMM-SEC3", "IMM-SEC3"]
    assert all("hunter2" not in f.message and FAKE_KEY not in f.message for f in findings)
    assert "Environment.0.Value" in findings[0].location  # type: ignore[operator]


def test_codedeploy_group_of_an_ecs_application_is_not_applicable() -> None:
    resources = {
        "App": {"Type": "AWS::CodeDeploy::Application", "Properties": {"ComputePlatform": "ECS"}},
        "G": {"Type": "AWS::CodeDeploy::DeploymentGroup", "Properties": {"ApplicationName": {"Ref": "App"}}},
    }
    from immutable_constructs.nag.rules import in_place_deployment

    result = in_place_deployment.evaluate(Resource("G", resources["G"]), Template({"Resources": resources}))
    assert result.compliance is Compliance.NOT_APPLICABLE


def test_each_finding_names_the_property_value_and_the_docs() -> None:
    resources = {"R": {"Type": "AWS::ECR::Repository", "Properties": {"ImageTagMutability": "MUTABLE"}}}
    (finding,) = PACK.check_template({"Resources": resources})
    assert finding.message == (
        "ECR repository with mutable tags: Properties.ImageTagMutability = MUTABLE: "
        "a pushed tag can later point at a different image."
    )
    docs = f"https://github.com/immutable-constructs/immutable-constructs/blob/v{__version__}/docs/rules.md#imm-img2"
    assert (finding.title, finding.fix, finding.docs_url) == (
        "ECR repository with mutable tags",
        "Set image_tag_mutability=ecr.TagMutability.IMMUTABLE.",
        docs,
    )
    assert finding.suggested_fix == f"Set image_tag_mutability=ecr.TagMutability.IMMUTABLE. See {docs}"
    assert finding.severity == "warning" and finding.severity is Severity.WARNING


def test_the_boolean_strings_are_cloudformations_as_cfn_lint_reads_them() -> None:
    """The pack's reader of Boolean properties mirrors cfn-lint's list of the strings CloudFormation accepts."""
    from cfnlint.helpers import BOOLEAN_STRINGS_FALSE, BOOLEAN_STRINGS_TRUE

    from immutable_constructs.nag._intrinsics import FALSE_STRINGS, TRUE_STRINGS, boolean

    assert (TRUE_STRINGS, FALSE_STRINGS) == (BOOLEAN_STRINGS_TRUE, BOOLEAN_STRINGS_FALSE)
    assert [boolean(v) for v in (True, "TRUE", False, "False", "yes", 1, None, {"Ref": "P"})] == [
        True, True, False, False, None, None, None, None,
    ]  # fmt: skip
