"""What a first image build and a first fleet launch need at run time, checked on the synthesized template.

Each test names the AWS document the permission rests on (docs/golden-images.md, "Run-time
permissions"). Linters cannot see any of these: a missing one fails a build or a launch, not a synth.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Acknowledgment, App, Environment, Stack, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Annotations, Match
from cdk_nag import AwsSolutionsChecks

from immutable_constructs import AmiCatalog, GoldenImagePipeline, ImageComponent, ParentImage
from immutable_constructs._private import kms_grants

from ..conftest import logical_id, only, resources_of, template_json
from .test_image_pipeline import PARENT, build

ASG_ROLE = "role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
OU = "arn:aws:organizations::123456789012:ou/o-abcdefghij/ou-ab12-cdefgh34"
ORG = "arn:aws:organizations::123456789012:organization/o-abcdefghij"


@pytest.fixture(scope="module")
def default() -> tuple[Stack, GoldenImagePipeline, dict[str, Any]]:
    stack, pipeline, _ = build()
    return stack, pipeline, template_json(stack)


def policy_statements(template: dict[str, Any], policy_id: str) -> dict[str, dict[str, Any]]:
    statements = template["Resources"][policy_id]["Properties"]["PolicyDocument"]["Statement"]
    return {s["Sid"]: s for s in statements}


def key_statements(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (key,) = resources_of(template, "AWS::KMS::Key").values()
    return {s.get("Sid"): s for s in key["Properties"]["KeyPolicy"]["Statement"]}


def flat(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def actions(statement: dict[str, Any]) -> list[str]:
    value = statement["Action"]
    return [value] if isinstance(value, str) else list(value)


# --- item 1: the pipeline's own execution role ---------------------------------------------


def test_pipeline_and_deploy_time_image_use_the_pipelines_execution_role() -> None:
    stack, pipeline, _ = build(build_on_deploy=True)
    template = template_json(stack)
    role_id = logical_id(stack, pipeline.execution_role)
    expected = {"Fn::GetAtt": [role_id, "Arn"]}
    assert only(template, "AWS::ImageBuilder::ImagePipeline")["Properties"]["ExecutionRole"] == expected
    (_, image) = next(iter(resources_of(template, "AWS::ImageBuilder::Image").items()))
    assert image["Properties"]["ExecutionRole"] == expected
    assert pipeline.execution_policy is not None
    policy_id = logical_id(stack, pipeline.execution_policy)
    assert policy_id in image["DependsOn"], "a deploy-time build must not start before the role has its policy"


def test_execution_role_trusts_only_image_builder_of_this_account_and_has_the_documented_policy(
    default: Any,
) -> None:
    stack, pipeline, template = default
    role = template["Resources"][logical_id(stack, pipeline.execution_role)]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "imagebuilder.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    (managed,) = role["ManagedPolicyArns"]
    assert flat(managed).endswith(':iam::aws:policy/EC2ImageBuilderExecutionPolicy"]]}')


def test_execution_policy_writes_exactly_the_catalog_parameter_and_reads_the_parent(default: Any) -> None:
    stack, pipeline, template = default
    statements = policy_statements(template, logical_id(stack, pipeline.execution_policy))
    assert set(statements) == {
        "WriteCatalogParameter",
        "ValidateImageParameter",
        "ReadParentParameter",
        "PublishToEncryptedTopic",
        "BuildVolumesUseKey",  # issue 23: the execution role launches the encrypted build instances
        "BuildVolumesGrantKey",
    }
    write = statements["WriteCatalogParameter"]
    assert actions(write) == ["ssm:GetParameter", "ssm:PutParameter"]
    assert write["Resource"] == {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":ssm:us-east-1:",
                {"Ref": "AWS::AccountId"},
                ":parameter/images/web/candidate",
            ],
        ]
    }
    assert statements["ValidateImageParameter"] == {
        "Sid": "ValidateImageParameter",
        "Action": "ec2:DescribeImages",
        "Effect": "Allow",
        "Resource": "*",
    }
    parent = statements["ReadParentParameter"]
    assert parent["Action"] == "ssm:GetParameter"
    assert flat(parent["Resource"]).endswith(f':ssm:us-east-1::parameter{PARENT}"]]}}'), "AWS public parameter"
    topic_key = statements["PublishToEncryptedTopic"]
    assert actions(topic_key) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert topic_key["Resource"] == {"Fn::GetAtt": [logical_id(stack, pipeline.key), "Arn"]}


def test_catalog_parameter_is_granted_per_distribution_region_and_account() -> None:
    stack, pipeline, _ = build(
        distribution_regions=["us-east-1", "eu-west-1"],
        distribution_accounts=["111111111111"],
        distribution_kms_keys={
            "eu-west-1": "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        },
    )
    statements = policy_statements(template_json(stack), logical_id(stack, pipeline.execution_policy))
    write = statements["WriteCatalogParameter"]
    rendered = [flat(r) for r in write["Resource"]]
    assert len(rendered) == 4
    for region in ("us-east-1", "eu-west-1"):
        assert sum(f":ssm:{region}:" in r and "AWS::AccountId" in r for r in rendered) == 1
        assert sum(f":ssm:{region}:111111111111:parameter/images/web/candidate" in r for r in rendered) == 1


def test_layered_image_reads_the_base_lines_stable_parameter_in_this_account() -> None:
    app = App()
    stack = Stack(app, "Layers", env=Environment(region="us-east-1", account="123456789012"))
    catalog = AmiCatalog(stack, "Catalog", lines=["base", "web"])
    pipeline = GoldenImagePipeline(
        stack,
        "Web",
        catalog=catalog,
        image_line="web",
        vpc=ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1),
        parent_image=ParentImage.from_catalog(catalog, "base"),
        components=[ImageComponent.from_yaml("noop", "name: n\nschemaVersion: 1.0\nphases: []\n")],
    )
    statements = policy_statements(template_json(stack), logical_id(stack, pipeline.execution_policy))
    parent = statements["ReadParentParameter"]
    assert parent["Resource"] == {
        "Fn::Join": [
            "",
            ["arn:", {"Ref": "AWS::Partition"}, ":ssm:us-east-1:123456789012:parameter/images/base/stable"],
        ]
    }


def test_fixed_ami_parent_needs_no_parameter_read() -> None:
    stack, pipeline, _ = build(parent_image=ParentImage.from_ami("ami-0123456789abcdef0"))
    statements = policy_statements(template_json(stack), logical_id(stack, pipeline.execution_policy))
    assert "ReadParentParameter" not in statements


def test_new_permissions_pass_aws_solutions_with_precise_acknowledgements(tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path))
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    stack, _, _ = build(app=app)
    Validations.of(stack.node.find_child("Vpc")).acknowledge(
        Acknowledgment(id="AwsSolutions::AwsSolutions-VPC7", reason="The test's VPC, not the pipeline's concern.")
    )
    app.synth()  # raises on any unacknowledged AwsSolutions error
    (report,) = [r for r in json.loads((tmp_path / "validation-report.json").read_text())["pluginReports"]]
    assert report["violations"] == []
    acknowledged = {
        (v["violatingConstructs"][0]["constructPath"].split("/Web/", 1)[-1], v["ruleName"])
        for v in report["suppressedViolations"]
    }
    assert (
        "ExecutionRole/Resource",
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/EC2ImageBuilderExecutionPolicy]",
    ) in acknowledged
    assert ("ExecutionPolicy/Resource", "AwsSolutions-IAM5[Resource::*]") in acknowledged
    instance = {rule for path, rule in acknowledged if path == "InstancePolicy/Resource"}
    assert (
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:*:document/AmazonInspector2-*]" in instance
    )
    assert (
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:association/*]" in instance
    )


# --- item 2: the key lets EC2 Auto Scaling launch from the AMIs -----------------------------


def test_key_lets_the_auto_scaling_service_linked_role_use_it_before_the_role_exists(default: Any) -> None:
    _, _, template = default
    statements = key_statements(template)
    uses, grants = statements["AutoScalingUsesKey"], statements["AutoScalingGrantsForVolumes"]
    for statement in (uses, grants):
        assert statement["Principal"] == {"AWS": "*"}, "a named principal that does not exist fails the deploy"
        assert statement["Condition"]["StringEquals"] == {"aws:PrincipalAccount": {"Ref": "AWS::AccountId"}}
        assert flat(statement["Condition"]["ArnEquals"]["aws:PrincipalArn"]).endswith(f':{ASG_ROLE}"]]}}')
    assert actions(uses) == ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
    assert grants["Action"] == "kms:CreateGrant"
    assert grants["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}


def test_key_grants_accounts_organizations_and_ous_the_amis_are_shared_with() -> None:
    stack, _, _ = build(
        launch_permission_accounts=["222222222222"],
        distribution_accounts=["111111111111"],
        launch_permission_organizations=[ORG],
        launch_permission_organizational_units=[OU],
    )
    statements = key_statements(template_json(stack))
    accounts = statements["SharedAmisAccountsUseKey"]
    assert flat(accounts["Principal"]).count(":iam::111111111111:root") == 1
    assert flat(accounts["Principal"]).count(":iam::222222222222:root") == 1
    assert statements["SharedAmisAccountsCreateGrants"]["Action"] == "kms:CreateGrant"
    orgs = statements["SharedAmisOrganizationsUseKey"]
    assert orgs["Principal"] == {"AWS": "*"}
    assert orgs["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": ["o-abcdefghij"]}}
    ous = statements["SharedAmisOrganizationalUnitsCreateGrants"]
    assert ous["Condition"] == {
        "ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": ["o-abcdefghij/*/ou-ab12-cdefgh34/*"]}
    }


def test_unshared_pipeline_grants_no_other_account(default: Any) -> None:
    _, _, template = default
    assert not [sid for sid in key_statements(template) if sid and sid.startswith("SharedAmis")]


def test_imported_key_warns_that_its_owner_must_grant_auto_scaling() -> None:
    app = App()
    stack = Stack(app, "Imported", env=Environment(region="us-east-1", account="123456789012"))
    key = kms.Key.from_key_arn(
        stack, "Key", "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    )
    GoldenImagePipeline(
        stack,
        "Web",
        catalog=AmiCatalog(stack, "Catalog"),
        vpc=ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1),
        parent_image=ParentImage.from_ssm_parameter(PARENT),
        components=[ImageComponent.from_yaml("noop", "name: n\nschemaVersion: 1.0\nphases: []\n")],
        encryption_key=key,
    )
    warnings = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("AWSServiceRoleForAutoScaling"))
    assert len(warnings) == 1


def test_kms_grants_helper_reports_whether_it_could_change_the_policy() -> None:
    stack = Stack(App(), "Keys", env=Environment(region="us-east-1", account="123456789012"))
    own = kms.Key(stack, "Own")
    imported = kms.Key.from_key_arn(stack, "Imported", "arn:aws:kms:us-east-1:123456789012:key/abc")
    assert kms_grants.allow_autoscaling_service_linked_role(own) is True
    assert kms_grants.allow_autoscaling_service_linked_role(imported) is False
    custom = kms.Key(stack, "Custom")
    kms_grants.allow_autoscaling_service_linked_role(custom, role_name="AWSServiceRoleForAutoScaling_web")
    policy = flat(stack.resolve(custom.node.default_child.key_policy))  # type: ignore[union-attr]
    assert "autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling_web" in policy


# --- item 6: build instances report inventory, so Inspector can scan them -------------------


def test_instance_role_can_report_inventory_and_association_status_for_its_own_instance(default: Any) -> None:
    stack, pipeline, template = default
    statements = policy_statements(template, logical_id(stack, pipeline._instance_policy))
    instances = {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":ec2:us-east-1:",  # the stack's region, as in the fleets' instance ARN (one builder)
                {"Ref": "AWS::AccountId"},
                ":instance/*",
            ],
        ]
    }
    # PutInventory has no resource type (Service Authorization Reference): only '*' authorizes it
    inventory = statements["Inventory"]
    assert (inventory["Action"], inventory["Resource"]) == ("ssm:PutInventory", "*")
    # the association is a required resource of UpdateInstanceAssociationStatus, the instance an optional one
    status = statements["AssociationStatus"]
    assert status["Action"] == "ssm:UpdateInstanceAssociationStatus"
    assert instances in status["Resource"] and len(status["Resource"]) == 2
    assert any(flat(r).endswith(':association/*"]]}') for r in status["Resource"])
    associations = statements["InventoryAssociations"]
    assert associations["Action"] == "ssm:DescribeAssociation"
    assert instances in associations["Resource"]
    assert any(flat(r).endswith(':association/*"]]}') for r in associations["Resource"])
    documents = statements["InventoryDocuments"]
    assert actions(documents) == ["ssm:GetDocument", "ssm:DescribeDocument"]
    rendered = [flat(r) for r in documents["Resource"]]
    assert [r.rsplit(":", 1)[-1] for r in rendered] == [
        'document/AWS-GatherSoftwareInventory"]]}',
        'document/AmazonInspector2-*"]]}',
    ]
    listing = actions(statements["RunCommandChannel"])
    assert {"ssm:ListAssociations", "ssm:ListInstanceAssociations"} <= set(listing)
    assert "ssm:PutInventory" not in listing, "inventory has its own statement"


def test_instance_role_still_has_no_managed_policy_and_no_parameter_reads(default: Any) -> None:
    stack, pipeline, template = default
    role = template["Resources"][logical_id(stack, pipeline.instance_role)]["Properties"]
    assert "ManagedPolicyArns" not in role
    every_action = [
        a
        for s in policy_statements(template, logical_id(stack, pipeline._instance_policy)).values()
        for a in actions(s)
    ]
    assert not [a for a in every_action if a.startswith("ssm:GetParameter")]


# --- item 6: the promotion function can explain and publish a refusal -----------------------


def test_promotion_function_can_publish_refusals_and_read_inspector_status(default: Any) -> None:
    stack, pipeline, template = default
    (policy_id,) = [k for k in resources_of(template, "AWS::IAM::Policy") if k.startswith("WebPromotionPolicy")]
    statements = policy_statements(template, policy_id)
    topic_ref = {"Ref": stack.get_logical_id(pipeline.topic.node.default_child)}  # type: ignore[arg-type]
    assert statements["NotifyRefusals"]["Action"] == "sns:Publish"
    assert statements["NotifyRefusals"]["Resource"] == topic_ref
    assert statements["InspectorStatus"] == {
        "Sid": "InspectorStatus",
        "Action": "inspector2:BatchGetAccountStatus",
        "Effect": "Allow",
        "Resource": "*",
    }
    assert statements["NotifyRefusalsEncrypted"]["Resource"] == {"Fn::GetAtt": [logical_id(stack, pipeline.key), "Arn"]}
    function = template["Resources"][logical_id(stack, pipeline.promotion_function)]["Properties"]
    assert function["Environment"]["Variables"]["NOTIFICATION_TOPIC"] == topic_ref
