"""GoldenImagePipeline: versions from content, cattle build instances, SSM distribution, lifecycle, validation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Annotations, Match, Template

from immutable_constructs import (
    AmiCatalog,
    FindingSeverity,
    GoldenImagePipeline,
    ImageComponent,
    ParentImage,
    ValidationError,
)
from immutable_constructs.images.promotion_handler import index as promotion_index

from ..conftest import only, resources_of, template_json

PARENT = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
WEB = {
    "name": "InstallWeb",
    "schemaVersion": 1.0,
    "phases": [
        {
            "name": "build",
            "steps": [{"name": "Install", "action": "ExecuteBash", "inputs": {"commands": ["dnf -y install nginx"]}}],
        }
    ],
}
HARDEN = """name: Harden
schemaVersion: 1.0
phases:
  - name: build
    steps:
      - name: Ssh
        action: ExecuteBash
        inputs:
          commands: ['systemctl disable sshd']
"""


def build(
    *, harden: str = HARDEN, app: App | None = None, **overrides: Any
) -> tuple[Stack, GoldenImagePipeline, AmiCatalog]:
    app = app or App()
    stack = Stack(app, "Images", env=Environment(region="us-east-1"))
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    catalog = AmiCatalog(stack, "Catalog")
    props: dict[str, Any] = {
        "catalog": catalog,
        "vpc": vpc,
        "parent_image": ParentImage.from_ssm_parameter(PARENT),
        "components": [
            ImageComponent.from_dict("install-web", WEB),
            ImageComponent.from_yaml("harden", harden, parameters={"level": "strict"}),
        ],
        "source_revision": "0123abc",
    }
    props.update(overrides)
    pipeline = GoldenImagePipeline(stack, "Web", **props)
    return stack, pipeline, catalog


@pytest.fixture(scope="module")
def default() -> tuple[Stack, GoldenImagePipeline, dict[str, Any]]:
    stack, pipeline, _ = build()
    return stack, pipeline, template_json(stack)


def diff(a: Any, b: Any, path: str = "") -> list[str]:
    """Paths where two JSON values differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for key in sorted(set(a) | set(b)):
            out += diff(a.get(key), b.get(key), f"{path}/{key}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [p for i, (x, y) in enumerate(zip(a, b, strict=True)) for p in diff(x, y, f"{path}/{i}")]
    return [] if a == b else [path]


# --- versions from content ---------------------------------------------------------------


def test_unchanged_content_synthesizes_byte_identically(default: Any) -> None:
    _, _, first = default
    stack, _, _ = build()
    assert json.dumps(template_json(stack), sort_keys=True) == json.dumps(first, sort_keys=True)


def test_versions_are_base_plus_hash_patch(default: Any) -> None:
    _, pipeline, template = default
    recipe = only(template, "AWS::ImageBuilder::ImageRecipe")["Properties"]
    assert recipe["Version"] == pipeline.recipe_version
    major, minor, patch = recipe["Version"].split(".")
    assert (major, minor) == ("1", "0") and 0 <= int(patch) < 2**28
    assert int(patch) == int(pipeline.content_hash[:7], 16)
    versions = {
        c["Properties"]["Name"].rsplit("-", 1)[-1]: c["Properties"]["Version"]
        for c in resources_of(template, "AWS::ImageBuilder::Component").values()
    }
    assert set(versions) == {"web", "harden", "messages"}  # messages: the journal component (issue 23)
    assert len(set(versions.values())) == 3


def test_changing_one_byte_of_one_component_changes_only_its_and_the_recipes_version(default: Any) -> None:
    _, before_pipeline, before = default
    stack, after_pipeline, _ = build(harden=HARDEN.replace("sshd", "sshd "))
    after = template_json(stack)
    components_before = resources_of(before, "AWS::ImageBuilder::Component")
    components_after = resources_of(after, "AWS::ImageBuilder::Component")
    assert set(components_before) == set(components_after), "logical ids do not change"
    changed = {
        logical_id: diff(components_before[logical_id], components_after[logical_id])
        for logical_id in components_before
    }
    harden_id = next(k for k in changed if "Harden" in k)
    web_id = next(k for k in changed if "Web" in k)
    assert changed[web_id] == [], "the other component is untouched"
    assert sorted(changed[harden_id]) == [
        "/Properties/ChangeDescription",
        "/Properties/Data",
        "/Properties/Tags/immutable-constructs:content-hash",
        "/Properties/Version",
    ]
    assert before_pipeline.component_versions["install-web"] == after_pipeline.component_versions["install-web"]
    assert before_pipeline.component_versions["harden"] != after_pipeline.component_versions["harden"]
    assert before_pipeline.recipe_version != after_pipeline.recipe_version
    # Nothing else in the template changes but what carries the recipe version or content hash.
    changes = {
        (before["Resources"][path.split("/")[2]]["Type"], "/".join(path.split("/")[3:])) for path in diff(before, after)
    }
    assert changes == {
        ("AWS::ImageBuilder::Component", "Properties/ChangeDescription"),
        ("AWS::ImageBuilder::Component", "Properties/Data"),
        ("AWS::ImageBuilder::Component", "Properties/Tags/immutable-constructs:content-hash"),
        ("AWS::ImageBuilder::Component", "Properties/Version"),
        ("AWS::ImageBuilder::ImageRecipe", "Properties/Tags/immutable-constructs:content-hash"),
        ("AWS::ImageBuilder::ImageRecipe", "Properties/Version"),
        ("AWS::ImageBuilder::ImagePipeline", "Properties/Description"),
        ("AWS::ImageBuilder::ImagePipeline", "Properties/ImageTags/immutable-constructs:content-hash"),
        (
            "AWS::ImageBuilder::DistributionConfiguration",
            "Properties/Distributions/0/AmiDistributionConfiguration/AmiTags/immutable-constructs:content-hash",
        ),
        (
            "AWS::ImageBuilder::DistributionConfiguration",
            "Properties/Distributions/0/AmiDistributionConfiguration/Description",
        ),
    }


def test_reverting_content_gives_the_original_versions_back(default: Any) -> None:
    _, first, _ = default
    _, changed, _ = build(harden=HARDEN + "# comment\n")
    _, reverted, _ = build()
    assert changed.recipe_version != first.recipe_version
    assert (reverted.recipe_version, reverted.component_versions) == (first.recipe_version, first.component_versions)


def test_parent_image_block_devices_and_order_are_part_of_the_recipe_version(default: Any) -> None:
    _, first, _ = default
    _, other_parent, _ = build(parent_image=ParentImage.from_ssm_parameter(PARENT.replace("x86_64", "arm64")))
    _, bigger_disk, _ = build(root_volume_size=40)
    _, reordered, _ = build(
        components=[ImageComponent.from_yaml("harden", HARDEN), ImageComponent.from_dict("install-web", WEB)]
    )
    versions = {first.recipe_version, other_parent.recipe_version, bigger_disk.recipe_version, reordered.recipe_version}
    assert len(versions) == 4


def test_data_volumes_are_encrypted_and_part_of_the_recipe(default: Any) -> None:
    _, first, _ = default
    stack, with_volume, _ = build(data_volumes={"/dev/sdf": 100})
    devices = only(template_json(stack), "AWS::ImageBuilder::ImageRecipe")["Properties"]["BlockDeviceMappings"]
    assert [d["DeviceName"] for d in devices] == ["/dev/xvda", "/dev/sdf"]
    assert devices[1]["Ebs"]["Encrypted"] is True and "KmsKeyId" in devices[1]["Ebs"]
    assert devices[1]["Ebs"]["VolumeSize"] == 100 and devices[1]["Ebs"]["VolumeType"] == "gp3"
    assert with_volume.recipe_version != first.recipe_version


def test_component_parameters_and_managed_components_go_into_the_recipe(default: Any) -> None:
    stack, _, _ = build(
        components=[
            ImageComponent.from_dict("install-web", WEB),
            ImageComponent.from_aws_managed("update-linux", "1.0.2", parameters={"exclude": ["kernel", "glibc"]}),
        ]
    )
    recipe = only(template_json(stack), "AWS::ImageBuilder::ImageRecipe")["Properties"]
    managed = recipe["Components"][1]
    assert json.dumps(managed["ComponentArn"]).endswith(':aws:component/update-linux/1.0.2"]]}')
    assert managed["Parameters"] == [{"Name": "exclude", "Value": ["kernel", "glibc"]}]
    _, pipeline, _ = default
    assert pipeline.recipe.components  # recipe keeps the given order


def test_component_from_file(tmp_path: Path) -> None:
    path = tmp_path / "install-app.yaml"
    path.write_text(HARDEN)
    stack, pipeline, _ = build(components=[ImageComponent.from_file(path)])
    component = only(template_json(stack), "AWS::ImageBuilder::Component", "WebComponentInstall")["Properties"]
    assert component["Data"] == HARDEN
    assert set(pipeline.component_versions) == {"install-app", "system-journal-to-messages"}


def test_floating_managed_component_warns() -> None:
    stack, _, _ = build(components=[ImageComponent.from_aws_managed("update-linux", "1.x.x")])
    Annotations.from_stack(stack).has_warning("/Images/Web", Match.string_like_regexp("unpinnedManagedComponent"))


# --- build instances are cattle ----------------------------------------------------------


def test_build_infrastructure_is_cattle(default: Any) -> None:
    _, _, template = default
    infrastructure = only(template, "AWS::ImageBuilder::InfrastructureConfiguration")["Properties"]
    assert "KeyPair" not in infrastructure
    assert infrastructure["InstanceMetadataOptions"] == {"HttpTokens": "required", "HttpPutResponseHopLimit": 1}
    assert infrastructure["TerminateInstanceOnFailure"] is True
    assert infrastructure["Logging"]["S3Logs"]["S3KeyPrefix"] == "web"
    (topic_id,) = resources_of(template, "AWS::SNS::Topic")
    assert infrastructure["SnsTopicArn"] == {"Ref": topic_id}
    (subnet,) = [infrastructure["SubnetId"]]
    assert "Private" in subnet["Ref"]
    (group_id,) = [g["Fn::GetAtt"][0] for g in infrastructure["SecurityGroupIds"]]
    group = template["Resources"][group_id]["Properties"]
    assert "SecurityGroupIngress" not in group
    assert not resources_of(template, "AWS::EC2::SecurityGroupIngress")


def test_build_log_bucket_is_encrypted_and_ssl_only(default: Any) -> None:
    stack, _, _ = default
    Template.from_stack(stack).has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    Match.object_like(
                        {
                            "ServerSideEncryptionByDefault": {
                                "SSEAlgorithm": "aws:kms",
                                "KMSMasterKeyID": Match.any_value(),
                            }
                        }
                    )
                ]
            },
            "PublicAccessBlockConfiguration": Match.object_like({"BlockPublicAcls": True}),
        },
    )


def test_instance_role_has_no_managed_policies(default: Any) -> None:
    _, _, template = default
    for role in resources_of(template, "AWS::IAM::Role").values():
        statement = role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
        if statement["Principal"].get("Service") == "ec2.amazonaws.com":
            assert "ManagedPolicyArns" not in role["Properties"]


def test_public_subnets_are_refused() -> None:
    with pytest.raises(ValidationError, match="selects public subnets"):
        build(vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC))


def test_keeping_failed_instances_warns() -> None:
    stack, _, _ = build(terminate_on_failure=False)
    Annotations.from_stack(stack).has_warning("/Images/Web", Match.string_like_regexp("buildInstanceKeptOnFailure"))


# --- distribution, pipeline, notifications -----------------------------------------------


def test_distribution_writes_the_candidate_parameter_as_an_image(default: Any) -> None:
    _, _, template = default
    (distribution,) = only(template, "AWS::ImageBuilder::DistributionConfiguration")["Properties"]["Distributions"]
    assert distribution["Region"] == "us-east-1"
    assert distribution["SsmParameterConfigurations"] == [
        {"ParameterName": "/images/web/candidate", "DataType": "aws:ec2:image"}
    ]
    tags = distribution["AmiDistributionConfiguration"]["AmiTags"]
    assert tags["immutable-constructs:source-revision"] == "0123abc"
    assert tags["immutable-constructs:build-date"] == "{{imagebuilder:buildDate}}"
    assert len(tags["immutable-constructs:content-hash"]) == 64


EU_KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_cross_account_and_region_distribution() -> None:
    stack, _, _ = build(
        distribution_regions=["us-east-1", "eu-west-1"],
        distribution_accounts=["111111111111"],
        launch_permission_accounts=["222222222222"],
        launch_permission_organizations=["arn:aws:organizations::123456789012:organization/o-abcdefghij"],
        launch_permission_organizational_units=["arn:aws:organizations::123456789012:ou/o-abcdefghij/ou-ab12-cdefgh34"],
        # A shared AMI's copy in another region needs a key the consumers can use (test_catalog_sharing.py).
        distribution_kms_keys={"eu-west-1": EU_KEY},
    )
    distribution_configuration = only(template_json(stack), "AWS::ImageBuilder::DistributionConfiguration")
    distributions = distribution_configuration["Properties"]["Distributions"]
    assert [d["Region"] for d in distributions] == ["us-east-1", "eu-west-1"]
    for distribution in distributions:
        assert distribution["SsmParameterConfigurations"][1] == {
            "ParameterName": "/images/web/candidate",
            "DataType": "aws:ec2:image",
            "AmiAccountId": "111111111111",
        }
        ami = distribution["AmiDistributionConfiguration"]
        assert ami["TargetAccountIds"] == ["111111111111"]
        assert ami["LaunchPermissionConfiguration"] == {
            "UserIds": ["222222222222"],
            "OrganizationArns": ["arn:aws:organizations::123456789012:organization/o-abcdefghij"],
            "OrganizationalUnitArns": ["arn:aws:organizations::123456789012:ou/o-abcdefghij/ou-ab12-cdefgh34"],
        }
        assert ami.get("KmsKeyId") == (EU_KEY if distribution["Region"] == "eu-west-1" else None)


def test_a_given_execution_role_gets_exactly_the_parameter_permissions() -> None:
    app = App()
    holder = Stack(app, "Roles", env=Environment(region="us-east-1"))
    role = iam.Role(holder, "Exec", assumed_by=iam.ServicePrincipal("imagebuilder.amazonaws.com"))
    stack, pipeline, _ = build(app=app, execution_role=role)
    template = template_json(stack)
    assert only(template, "AWS::ImageBuilder::ImagePipeline")["Properties"]["ExecutionRole"]["Fn::ImportValue"]
    assert "AWS::IAM::Role" not in {r["Type"] for k, r in template["Resources"].items() if k.startswith("WebExec")}
    assert pipeline.execution_role is role
    (policy,) = resources_of(template_json(holder), "AWS::IAM::Policy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    # Another stack's role gets no grant on this stack's key (that would be a reference cycle).
    assert [s["Action"] for s in statements] == [
        ["ssm:GetParameter", "ssm:PutParameter"],
        "ec2:DescribeImages",
        "ssm:GetParameter",
    ]
    assert json.dumps(statements[0]["Resource"]).endswith(':parameter/images/web/candidate"]]}')
    assert statements[1]["Resource"] == "*"
    assert json.dumps(statements[2]["Resource"]).endswith(f':ssm:us-east-1::parameter{PARENT}"]]}}')


def test_pipeline_schedule_tests_and_scanning(default: Any) -> None:
    _, _, template = default
    pipeline = only(template, "AWS::ImageBuilder::ImagePipeline")["Properties"]
    assert pipeline["Schedule"] == {
        "ScheduleExpression": "cron(0 4 ? * MON *)",
        "PipelineExecutionStartCondition": "EXPRESSION_MATCH_AND_DEPENDENCY_UPDATES_AVAILABLE",
    }
    assert pipeline["ImageTestsConfiguration"]["ImageTestsEnabled"] is True
    assert pipeline["ImageScanningConfiguration"] == {"ImageScanningEnabled": True}
    assert "Fn::GetAtt" in pipeline["ExecutionRole"], "its own execution role, not the service-linked role, distributes"


def test_manual_pipeline_has_no_schedule() -> None:
    stack, _, _ = build(schedule="")
    assert "Schedule" not in only(template_json(stack), "AWS::ImageBuilder::ImagePipeline")["Properties"]


def test_notification_rules_for_success_failure_and_cves(default: Any) -> None:
    _, _, template = default
    rules = resources_of(template, "AWS::Events::Rule").values()
    patterns = [
        (r["Properties"]["EventPattern"]["detail-type"][0], json.dumps(r["Properties"]["EventPattern"].get("detail")))
        for r in rules
    ]
    assert ("EC2 Image Builder Image State Change", '{"state": {"status": ["FAILED"]}}') in patterns
    assert ("EC2 Image Builder CVE Detected", "null") in patterns
    available = [p for p in patterns if "AVAILABLE" in p[1]]
    assert len(available) == 2, "one rule notifies, one promotes"
    topic = only(template, "AWS::SNS::Topic")["Properties"]
    assert "KmsMasterKeyId" in topic


def test_every_rule_watches_only_this_pipelines_images(default: Any) -> None:
    _, pipeline, template = default
    patterns = [r["Properties"]["EventPattern"] for r in resources_of(template, "AWS::Events::Rule").values()]
    assert len(patterns) == 4, "succeeded, failed, CVE detected, promote"
    assert {json.dumps(p["source"]) for p in patterns} == {'["aws.imagebuilder"]'}
    (watched,) = {json.dumps(p["resources"], sort_keys=True) for p in patterns}
    assert watched == json.dumps([{"prefix": Stack.of(pipeline).resolve(pipeline.image_arn_prefix)}], sort_keys=True), (
        "one prefix: this pipeline's recipe"
    )
    assert json.dumps(Stack.of(pipeline).resolve(pipeline.image_arn_prefix)).endswith('-recipe/"]]}')


@pytest.mark.parametrize("threshold", [FindingSeverity.CRITICAL, "CRITICAL"])
def test_severity_threshold_is_a_finding_severity_or_its_string(threshold: FindingSeverity | str) -> None:
    stack, _, _ = build(severity_threshold=threshold)
    (function,) = [
        r["Properties"]
        for r in resources_of(stack, "AWS::Lambda::Function").values()
        if "SEVERITY_THRESHOLD" in r["Properties"].get("Environment", {}).get("Variables", {})
    ]
    assert function["Environment"]["Variables"]["SEVERITY_THRESHOLD"] == "CRITICAL"
    assert [str(s) for s in FindingSeverity] == ["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"]  # lowest first
    assert tuple(FindingSeverity) == promotion_index.SEVERITIES  # the handler's own copy (it ships alone) agrees


def test_promotion_function_and_its_rule(default: Any) -> None:
    _, pipeline, template = default
    function = only(template, "AWS::Lambda::Function")["Properties"]
    assert function["Runtime"] == "python3.14"
    assert function["Environment"]["Variables"]["TARGET_PARAMETER"] == "/images/web/stable"
    assert function["Environment"]["Variables"]["SEVERITY_THRESHOLD"] == "HIGH"
    assert pipeline.promotion_function is not None


def test_failed_promotions_land_in_a_dead_letter_queue(default: Any) -> None:
    _, _, template = default
    (queue_id,) = resources_of(template, "AWS::SQS::Queue")
    function = only(template, "AWS::Lambda::Function")["Properties"]
    assert function["DeadLetterConfig"] == {"TargetArn": {"Fn::GetAtt": [queue_id, "Arn"]}}
    (rule,) = (
        r["Properties"]
        for r in resources_of(template, "AWS::Events::Rule").values()
        if r["Properties"]["Targets"][0]["Arn"]
        == {"Fn::GetAtt": [next(iter(resources_of(template, "AWS::Lambda::Function"))), "Arn"]}
    )
    assert rule["Targets"][0]["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [queue_id, "Arn"]}}
    statements = [
        s
        for policy in resources_of(template, "AWS::IAM::Policy").values()
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Sid") == "DeadLetters"
    ]
    assert statements == [
        {
            "Sid": "DeadLetters",
            "Action": "sqs:SendMessage",
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [queue_id, "Arn"]},
        }
    ]


def test_build_agent_registers_only_instances(default: Any) -> None:
    _, _, template = default
    statements = {
        s["Sid"]: s
        for policy in resources_of(template, "AWS::IAM::Policy").values()
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if "Sid" in s
    }
    assert statements["AgentRegistration"]["Action"] == "ssm:UpdateInstanceInformation"
    assert ":instance/*" in json.dumps(statements["AgentRegistration"]["Resource"])
    assert "ssm:UpdateInstanceInformation" not in statements["RunCommandChannel"]["Action"]


def test_no_promotion_means_no_function() -> None:
    stack, pipeline, _ = build(promote=False)
    assert pipeline.promotion_function is None
    Template.from_stack(stack).resource_count_is("AWS::Lambda::Function", 0)


# --- lifecycle and deploy-time build -----------------------------------------------------


def test_lifecycle_deprecates_then_deletes_with_exclusions(default: Any) -> None:
    _, pipeline, template = default
    policy = only(template, "AWS::ImageBuilder::LifecyclePolicy")["Properties"]
    assert policy["ResourceType"] == "AMI_IMAGE"
    assert policy["ResourceSelection"]["Recipes"] == [{"Name": pipeline.recipe.name, "SemanticVersion": "1.0.x"}]
    deprecate, delete = policy["PolicyDetails"]
    assert deprecate["Action"] == {"Type": "DEPRECATE"}
    assert delete["Action"] == {"Type": "DELETE", "IncludeResources": {"Amis": True, "Snapshots": True}}
    assert delete["Filter"] == {"Type": "AGE", "Value": 90, "Unit": "DAYS", "RetainAtLeast": 3}
    for detail in (deprecate, delete):
        assert detail["ExclusionRules"]["Amis"] == {
            "LastLaunched": {"Value": 30, "Unit": "DAYS"},
            "TagMap": {"immutable-constructs:promoted": "stable"},
        }
    Template.from_stack(default[0]).has_resource_properties(
        "AWS::IAM::Role",
        {
            "ManagedPolicyArns": [
                {
                    "Fn::Join": [
                        "",
                        [
                            "arn:",
                            {"Ref": "AWS::Partition"},
                            ":iam::aws:policy/service-role/EC2ImageBuilderLifecycleExecutionPolicy",
                        ],
                    ]
                }
            ]
        },
    )


def test_no_deploy_time_build_by_default(default: Any) -> None:
    _, _, template = default
    assert not resources_of(template, "AWS::ImageBuilder::Image")


def test_build_on_deploy_creates_an_image() -> None:
    stack, _, _ = build(build_on_deploy=True)
    image = only(template_json(stack), "AWS::ImageBuilder::Image")["Properties"]
    assert image["ImageTestsConfiguration"]["ImageTestsEnabled"] is True
    assert "DistributionConfigurationArn" in image


# --- validation: one clear error per bad input -------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"version": "1.0.0"}, r"version='1.0.0': is not a valid <major>.<minor> semantic version base"),
        ({"version": "01.2"}, r"version='01.2': is not a valid"),
        ({"parent_image": None}, r"parent_image=None: is missing"),
        ({"components": []}, r"components=\[\]: no components"),
        ({"components": [ImageComponent.from_file("does/not/exist.yaml")]}, r"component file does not exist"),
        ({"components": [ImageComponent.from_aws_managed("update-linux", "latest")]}, r"AWS-managed component version"),
        ({"components": [ImageComponent.from_yaml("Bad Name", HARDEN)]}, r"component name must be"),
        ({"components": [ImageComponent.from_yaml("big", "x" * 16001)]}, r"component document must be 1-16000"),
        ({"components": [ImageComponent.from_dict("nophases", {"schemaVersion": 1.0})]}, r"has no 'phases'"),
        (
            {"components": [ImageComponent.from_yaml("same", HARDEN), ImageComponent.from_yaml("same", HARDEN)]},
            r"two components have the same name",
        ),
        ({"schedule": "rate(1 day)"}, r"is not an Image Builder cron expression"),
        ({"schedule": "cron(0 4 * * ?)"}, r"is not an Image Builder cron expression"),
        ({"distribution_accounts": ["12345"]}, r"distribution_accounts='12345': is not a 12-digit"),
        ({"launch_permission_accounts": ["abc"]}, r"launch_permission_accounts='abc'"),
        ({"launch_permission_organizations": ["o-123"]}, r"is not an organization ARN"),
        ({"launch_permission_organizational_units": ["ou-1"]}, r"is not an organizational unit ARN"),
        ({"distribution_regions": ["Europe"]}, r"is not a region name"),
        ({"severity_threshold": "SEVERE"}, r"severity_threshold='SEVERE': must be one of"),
        ({"severity_threshold": "high"}, r"severity_threshold='high': must be one of INFORMATIONAL, LOW, MEDIUM, HIGH"),
        ({"max_findings": -1}, r"max_findings=-1: must be an integer >= 0"),
        ({"image_scanning": False}, r"promotion is on but images are not scanned"),
        ({"keep_at_least": 11}, r"keep_at_least=11: must be 1-10"),
        ({"keep_launched_within_days": 0}, r"keep_launched_within_days=0"),
        ({"deprecate_after_days": 90, "delete_after_days": 30}, r"need 1 <= deprecate_after_days < delete_after_days"),
        ({"root_volume_size": 0}, r"root_volume_size=0: must be 1-16000"),
        ({"data_volumes": {"/dev/xvda": 10}}, r"data_volumes='/dev/xvda': is not a data volume device name"),
        ({"data_volumes": {"/dev/sdf": 0}}, r"data_volumes='/dev/sdf=0': volume size must be 1-16000"),
        ({"instance_types": []}, r"instance_types=\[\]: is empty"),
        ({"image_line": "api"}, r"image_line='api': is not a line of the catalog"),
    ],
)
def test_bad_input_gives_one_clear_validation_error(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message) as raised:
        build(**overrides)
    assert raised.value.construct_path == "Images/Web"


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ValidationError) as raised:
        build(version="v1", parent_image=None, components=[])
    assert len(raised.value.problems) == 3


def test_key_lets_the_image_builder_service_linked_role_encrypt_volumes(default: Any) -> None:
    _, _, template = default
    (key,) = resources_of(template, "AWS::KMS::Key").values()
    statements = {s.get("Sid"): s for s in key["Properties"]["KeyPolicy"]["Statement"]}
    uses = statements["ImageBuilderUsesKey"]
    # Matched by condition, not named as principal: the role may not exist before the first build.
    assert uses["Principal"] == {"AWS": "*"}
    assert "AWSServiceRoleForImageBuilder" in json.dumps(uses["Condition"]["ArnEquals"]["aws:PrincipalArn"])
    assert "aws:PrincipalAccount" in uses["Condition"]["StringEquals"]
    grants = statements["ImageBuilderGrantsForVolumes"]
    assert grants["Action"] == "kms:CreateGrant"
    assert grants["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}
    assert statements["EventBridgePublishesNotifications"]["Principal"] == {"Service": "events.amazonaws.com"}


def test_parent_image_forms() -> None:
    stack = Stack(App(), "Parents")
    catalog = AmiCatalog(stack, "Catalog", lines=["base", "web"])
    assert ParentImage.from_ssm_parameter(PARENT).reference == f"ssm:{PARENT}"
    assert ParentImage.from_catalog(catalog, "base").reference == "ssm:/images/base/stable"
    assert ParentImage.from_ami("ami-0123456789abcdef0").reference == "ami-0123456789abcdef0"
    managed = stack.resolve(ParentImage.from_managed("amazon-linux-2023-x86").reference)
    assert json.dumps(managed).endswith(':aws:image/amazon-linux-2023-x86/x.x.x"]]}')


def test_layered_image_uses_the_base_lines_stable_channel() -> None:
    app = App()
    stack = Stack(app, "Layers", env=Environment(region="us-east-1"))
    catalog = AmiCatalog(stack, "Catalog", lines=["base", "web"])
    GoldenImagePipeline(
        stack,
        "Web",
        catalog=catalog,
        image_line="web",
        vpc=ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1),
        parent_image=ParentImage.from_catalog(catalog, "base", "stable"),
        components=[ImageComponent.from_yaml("harden", HARDEN)],
    )
    template = template_json(stack)
    assert only(template, "AWS::ImageBuilder::ImageRecipe")["Properties"]["ParentImage"] == "ssm:/images/base/stable"
    (distribution,) = only(template, "AWS::ImageBuilder::DistributionConfiguration")["Properties"]["Distributions"]
    assert distribution["SsmParameterConfigurations"][0]["ParameterName"] == "/images/web/candidate"
