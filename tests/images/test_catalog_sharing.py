"""One image across accounts and regions: the catalog shared through AWS RAM, fleets of other accounts pinning the
shared parameter by ARN and version, and each distribution region's own key. Checked on the synthesized templates;
the AWS document behind each is named in the code (docs/golden-images.md, "Organization-wide catalog")."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk.assertions import Annotations, Match

from immutable_constructs import (
    AmiCatalog,
    GoldenImagePipeline,
    ImageComponent,
    ImageDistributionKey,
    ImageDistributionTarget,
    ImmutableFleet,
    ParentImage,
    PinnedSsmImage,
    ValidationError,
)

from ..conftest import joined, logical_id, only, resources_of, template_json
from .test_image_pipeline import PARENT, WEB

OWNER = "111111111111"
CONSUMER = "222222222222"
ORG = "arn:aws:organizations::111111111111:organization/o-abcdefghij"
OU = "arn:aws:organizations::111111111111:ou/o-abcdefghij/ou-ab12-cdefgh34"
US_KEY = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def pipeline_props(stack: Stack, catalog: AmiCatalog, **props: Any) -> dict[str, Any]:
    return {
        "catalog": catalog,
        "vpc": ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1),
        "parent_image": ParentImage.from_ssm_parameter(PARENT),
        "components": [ImageComponent.from_dict("install-web", WEB)],
        **props,
    }


class Organization:
    """The tooling account's images stack (a shared catalog, a pipeline copying to a second region) and a
    workload account's fleet pinning the shared parameter, in one App."""

    def __init__(self) -> None:
        self.app = App()
        self.owner = Stack(self.app, "Images", env={"account": OWNER, "region": "eu-west-1"})
        self.catalog = AmiCatalog(self.owner, "Catalog", share_with=[ORG, OU, CONSUMER])
        self.pipeline = GoldenImagePipeline(
            self.owner,
            "Web",
            **pipeline_props(
                self.owner,
                self.catalog,
                distribution_regions=["eu-west-1", "us-east-1"],
                launch_permission_organizations=[ORG],
                distribution_kms_keys={"us-east-1": US_KEY},
            ),
        )
        self.consumer = Stack(self.app, "Service", env={"account": CONSUMER, "region": "eu-west-1"})
        self.shared = AmiCatalog(self.consumer, "Catalog", owner_account=OWNER)
        self.fleet = ImmutableFleet(
            self.consumer,
            "Fleet",
            vpc=ec2.Vpc(self.consumer, "Vpc", max_azs=2, nat_gateways=1),
            instance_type=ec2.InstanceType("t3.small"),
            machine_image=self.shared.machine_image("web", version=8),
        )
        self.owner_template = template_json(self.owner)
        self.consumer_template = template_json(self.consumer)


@pytest.fixture(scope="module")
def org() -> Organization:
    return Organization()


def statements(template: dict[str, Any], policy_id: str) -> dict[str, dict[str, Any]]:
    document = template["Resources"][policy_id]["Properties"]["PolicyDocument"]
    return {s["Sid"]: s for s in document["Statement"]}


# --- the owner shares the promoted channel --------------------------------------------------


def test_the_share_names_the_principals_and_the_read_only_parameter_permission(org: Organization) -> None:
    share = only(org.owner_template, "AWS::RAM::ResourceShare")["Properties"]
    assert share["Principals"] == [ORG, OU, CONSUMER]
    assert share["AllowExternalPrincipals"] is False
    assert share["PermissionArns"] == [
        {
            "Fn::Join": [
                "",
                ["arn:", {"Ref": "AWS::Partition"}, ":ram::aws:permission/AWSRAMDefaultPermissionSSMParameterReadOnly"],
            ]
        }
    ]
    # The channel does not exist at the first deploy: the promotion function adds it once it wrote it.
    assert "ResourceArns" not in share
    # One name for every share of the prefix, in every region: the promotion finds another region's share by it.
    assert share["Name"] == "immutable-constructs-catalog-images"


def test_promotion_writes_the_shared_channel_and_adds_it_to_the_share(org: Organization) -> None:
    assert org.pipeline.promotion_function is not None
    function = org.owner_template["Resources"][logical_id(org.owner, org.pipeline.promotion_function)]
    variables = function["Properties"]["Environment"]["Variables"]
    share_id = logical_id(org.owner, org.catalog.share)
    assert variables["RESOURCE_SHARE_ARN"] == {"Fn::GetAtt": [share_id, "Arn"]}
    assert variables["SHARE_REGION"] == "eu-west-1"
    promotion_policy = org.pipeline.node.find_child("PromotionPolicy")
    granted = statements(org.owner_template, logical_id(org.owner, promotion_policy))
    assert granted["ShareChannel"]["Action"] == "ram:AssociateResourceShare"
    assert granted["ShareChannel"]["Resource"] == {"Fn::GetAtt": [share_id, "Arn"]}
    assert set(granted["ShareChannelPolicy"]["Action"]) == {"ssm:GetResourcePolicies", "ssm:PutResourcePolicy"}
    assert [joined(r) for r in granted["ShareChannelPolicy"]["Resource"]] == [
        f"arn:aws:ssm:{region}:111111111111:parameter/images/web/stable" for region in ("eu-west-1", "us-east-1")
    ]
    # The other distribution region's channel: added to this account's share of the same name there, only.
    assert variables["SHARE_NAME"] == "immutable-constructs-catalog-images"
    assert granted["FindRegionalShares"]["Action"] == "ram:GetResourceShares"
    elsewhere = granted["ShareChannelElsewhere"]
    assert elsewhere["Action"] == "ram:AssociateResourceShare"
    assert joined(elsewhere["Resource"]) == "arn:aws:ram:us-east-1:111111111111:resource-share/*"
    assert list(elsewhere["Condition"]) == ["StringEquals"]
    assert elsewhere["Condition"]["StringEquals"]["ram:ResourceShareName"] == "immutable-constructs-catalog-images"
    # Only the channel, never a principal: a principal's association carries no ram:ResourceArn.
    assert joined(elsewhere["Condition"]["StringEquals"]["ram:ResourceArn"]) == (
        "arn:aws:ssm:us-east-1:111111111111:parameter/images/web/stable"
    )
    assert joined(granted["ShareChannel"]["Condition"]["StringEquals"]["ram:ResourceArn"]) == (
        "arn:aws:ssm:eu-west-1:111111111111:parameter/images/web/stable"
    )


def test_regions_a_regional_share_cannot_hold_are_named_in_a_warning(org: Organization) -> None:
    warnings = Annotations.from_stack(org.owner).find_warning(
        "/Images/Web", Match.string_like_regexp("us-east-1 keep /images/web/stable unshared until a catalog")
    )
    assert warnings, "the us-east-1 channel is shared only once a catalog there shares it: the user must be told"


def test_an_unshared_catalog_creates_no_share_and_no_share_permissions() -> None:
    stack = Stack(App(), "Images", env={"account": OWNER, "region": "eu-west-1"})
    catalog = AmiCatalog(stack, "Catalog")
    pipeline = GoldenImagePipeline(stack, "Web", **pipeline_props(stack, catalog))
    template = template_json(stack)
    assert not resources_of(template, "AWS::RAM::ResourceShare")
    assert catalog.share is None
    assert pipeline.promotion_function is not None
    function = template["Resources"][logical_id(stack, pipeline.promotion_function)]
    assert "RESOURCE_SHARE_ARN" not in function["Properties"]["Environment"]["Variables"]
    assert "ShareChannel" not in statements(template, logical_id(stack, pipeline.node.find_child("PromotionPolicy")))


# --- a fleet of another account pins the shared parameter by ARN and version -----------------


def test_a_consumer_fleet_pins_the_owners_parameter_by_arn_at_launch(org: Organization) -> None:
    (template,) = resources_of(org.consumer_template, "AWS::EC2::LaunchTemplate").values()
    image_id = template["Properties"]["LaunchTemplateData"]["ImageId"]
    # CloudFormation dynamic references do not read shared parameters; EC2 launch templates do, at a version.
    assert image_id == {
        "Fn::Join": [
            "",
            [
                "resolve:ssm:arn:",
                {"Ref": "AWS::Partition"},
                ":ssm:eu-west-1:111111111111:parameter/images/web/stable:8",
            ],
        ]
    }


def test_pinned_image_by_arn_renders_a_launch_time_reference_with_its_version() -> None:
    arn = "arn:aws:ssm:eu-west-1:111111111111:parameter/images/web/stable"
    image = PinnedSsmImage(arn, version=8)
    assert image.shared
    assert image.image_id == f"resolve:ssm:{arn}:8"
    assert not PinnedSsmImage("/images/web/stable", version=8).shared


def test_a_fleet_still_refuses_a_shared_parameter_without_a_version() -> None:
    stack = Stack(App(), "Service", env={"account": CONSUMER, "region": "eu-west-1"})
    with pytest.raises(ValidationError, match=r"machine_image.*resolved from SSM when each instance launches"):
        ImmutableFleet(
            stack,
            "Fleet",
            vpc=ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1),
            instance_type=ec2.InstanceType("t3.small"),
            machine_image=ec2.MachineImage.resolve_ssm_parameter_at_launch(
                "arn:aws:ssm:eu-west-1:111111111111:parameter/images/web/stable"
            ),
        )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("arn:aws:ssm:eu-west-1:1111:parameter/images/web/stable", "is not an SSM parameter ARN"),
        ("arn:aws:ssm:eu-west-1:111111111111:images/web/stable", "is not an SSM parameter ARN"),
        ("arn:aws:ssm:eu-west-1:111111111111:parameter/images/web stable", "is not an SSM parameter ARN"),
        ("arn:aws:ssm:eu-west-1:111111111111:parameter/" + "/".join("l" * 16), "more than 15 hierarchy levels"),
    ],
)
def test_bad_parameter_arns(name: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as raised:
        PinnedSsmImage(name, version=8)
    assert [p.prop for p in raised.value.problems] == ["parameter_name"]


def test_a_catalog_cannot_both_share_and_read_shared_parameters() -> None:
    stack = Stack(App(), "Service", env={"account": CONSUMER, "region": "eu-west-1"})
    with pytest.raises(ValidationError, match=r"owner_account.*cannot be shared on") as raised:
        AmiCatalog(stack, "Catalog", share_with=[ORG], owner_account=OWNER)
    assert raised.value.construct_path == "Service/Catalog"
    with pytest.raises(ValidationError, match=r"owner_account.*is this stack's own account"):
        AmiCatalog(stack, "Own", owner_account=CONSUMER)


def test_share_with_takes_accounts_organizations_and_ous_only() -> None:
    stack = Stack(App(), "Images", env={"account": OWNER, "region": "eu-west-1"})
    with pytest.raises(ValidationError, match=r"share_with.*'o-abcdefghij'.*Fix: list each principal once"):
        AmiCatalog(stack, "Catalog", share_with=["o-abcdefghij"])


# --- each distribution region encrypts its copy with its own key -----------------------------


def test_each_region_copy_is_encrypted_with_that_regions_key(org: Organization) -> None:
    distributions = only(org.owner_template, "AWS::ImageBuilder::DistributionConfiguration")["Properties"]
    by_region = {d["Region"]: d["AmiDistributionConfiguration"] for d in distributions["Distributions"]}
    assert by_region["us-east-1"]["KmsKeyId"] == US_KEY
    assert "KmsKeyId" not in by_region["eu-west-1"]  # the build region keeps the pipeline's key


def test_the_execution_role_may_use_each_distribution_key_through_ec2(org: Organization) -> None:
    assert org.pipeline.execution_policy is not None
    granted = statements(org.owner_template, logical_id(org.owner, org.pipeline.execution_policy))
    use, grant = granted["DistributionKeysUse"], granted["DistributionKeysGrant"]
    assert use["Resource"] == US_KEY and grant["Resource"] == US_KEY
    assert "kms:ReEncryptTo" in use["Action"] and grant["Action"] == "kms:CreateGrant"
    assert use["Condition"] == {"StringLike": {"kms:ViaService": "ec2.*.amazonaws.com"}}
    assert grant["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}


@pytest.mark.parametrize(
    ("props", "message"),
    [
        (
            {"launch_permission_accounts": [CONSUMER]},
            "distribution_kms_keys=.*has no key for us-east-1.*cannot launch it there",
        ),
        (
            {
                "distribution_accounts": [CONSUMER],
                "distribution_kms_keys": {"us-east-1": US_KEY.replace("us-east-1", "eu-west-2")},
            },
            "is not the ARN of a customer managed KMS key or alias in us-east-1",
        ),
        (
            {"distribution_kms_keys": {"ap-south-1": US_KEY.replace("us-east-1", "ap-south-1")}},
            "names region 'ap-south-1', which is not a distribution region",
        ),
        (
            {"distribution_kms_keys": {"us-east-1": "arn:aws:kms:eu-west-1:111111111111:alias/images"}},
            "is not the ARN of a customer managed KMS key or alias in us-east-1",
        ),
    ],
)
def test_bad_distribution_keys(props: dict[str, Any], message: str) -> None:
    stack = Stack(App(), "Images", env={"account": OWNER, "region": "eu-west-1"})
    catalog = AmiCatalog(stack, "Catalog")
    given = pipeline_props(stack, catalog, distribution_regions=["eu-west-1", "us-east-1"], **props)
    with pytest.raises(ValidationError, match=message) as raised:
        GoldenImagePipeline(stack, "Web", **given)
    assert {p.prop for p in raised.value.problems} == {"distribution_kms_keys"}
    assert raised.value.construct_path == "Images/Web"


def test_an_unshared_ami_needs_no_distribution_key() -> None:
    stack = Stack(App(), "Images", env={"account": OWNER, "region": "eu-west-1"})
    catalog = AmiCatalog(stack, "Catalog")
    GoldenImagePipeline(stack, "Web", **pipeline_props(stack, catalog, distribution_regions=["eu-west-1", "us-east-1"]))


# --- each target account: the role Image Builder distributes with --------------------------------


def test_a_target_account_role_trusts_the_pipeline_and_writes_only_the_catalog_parameter() -> None:
    stack = Stack(App(), "Target", env={"account": CONSUMER, "region": "eu-west-1"})
    catalog = AmiCatalog(stack, "Catalog", lines=["web", "worker"])
    pipeline_key = "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    target = ImageDistributionTarget(
        stack,
        "Distribution",
        pipeline_account=OWNER,
        catalog=catalog,
        key_arns=[pipeline_key, US_KEY],
        lines=["web"],
        regions=["eu-west-1", "us-east-1"],
    )
    template = template_json(stack)
    role = template["Resources"][logical_id(stack, target.role)]["Properties"]
    # Image Builder assumes the role by this name (Image Builder User Guide, "Set up cross-account AMI distribution").
    assert role["RoleName"] == "EC2ImageBuilderDistributionCrossAccountRole"
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {
        "AWS": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::111111111111:root"]]}
    }
    assert "Ec2ImageBuilderCrossAccountDistributionAccess" in json.dumps(role["ManagedPolicyArns"])
    granted = statements(template, logical_id(stack, target.policy))
    assert granted["UseImageKeys"]["Resource"] == [pipeline_key, US_KEY]
    assert "kms:CreateGrant" in granted["UseImageKeys"]["Action"]
    written = json.dumps(granted["WriteCatalogParameter"]["Resource"])
    assert granted["WriteCatalogParameter"]["Action"] == "ssm:PutParameter"
    for region in ("eu-west-1", "us-east-1"):
        assert f":ssm:{region}:222222222222:parameter/images/web/candidate" in written
    assert "worker" not in written and "stable" not in written
    assert granted["ValidateImageParameter"]["Action"] == "ec2:DescribeImages"


def test_a_target_account_needs_the_image_keys() -> None:
    stack = Stack(App(), "Target", env={"account": CONSUMER, "region": "eu-west-1"})
    catalog = AmiCatalog(stack, "Catalog")
    with pytest.raises(ValidationError, match=r"key_arns=\[\]: is empty") as raised:
        ImageDistributionTarget(stack, "Distribution", pipeline_account=OWNER, catalog=catalog, key_arns=[])
    assert raised.value.construct_path == "Target/Distribution"


def test_a_pipeline_cannot_publish_to_a_catalog_of_another_account() -> None:
    stack = Stack(App(), "Images", env={"account": CONSUMER, "region": "eu-west-1"})
    shared = AmiCatalog(stack, "Catalog", owner_account=OWNER)
    with pytest.raises(ValidationError, match=r"catalog='Images/Catalog': reads the parameters account 1{12}") as e:
        GoldenImagePipeline(stack, "Web", **pipeline_props(stack, shared))
    assert [p.prop for p in e.value.problems] == ["catalog"]


def test_a_layered_image_cannot_start_from_a_shared_catalog() -> None:
    stack = Stack(App(), "Images", env={"account": CONSUMER, "region": "eu-west-1"})
    own, shared = AmiCatalog(stack, "Catalog"), AmiCatalog(stack, "Shared", owner_account=OWNER)
    given = pipeline_props(stack, own, parent_image=ParentImage.from_catalog(shared, "web"))
    with pytest.raises(ValidationError, match=r"from_catalog\(catalog\) reads another account's shared") as raised:
        GoldenImagePipeline(stack, "Web", **given)
    assert [p.prop for p in raised.value.problems] == ["parent_image"]


# --- a region's distribution key -------------------------------------------------------------------


@pytest.fixture(scope="module")
def regional() -> tuple[Stack, ImageDistributionKey, Stack, GoldenImagePipeline]:
    app = App()
    keys = Stack(app, "ImageKeys", env={"account": OWNER, "region": "us-east-1"})
    key = ImageDistributionKey(keys, "Copies", accounts=[CONSUMER], organizations=[ORG])
    images = Stack(app, "Images", env={"account": OWNER, "region": "eu-west-1"})
    pipeline = GoldenImagePipeline(
        images,
        "Web",
        **pipeline_props(
            images,
            AmiCatalog(images, "Catalog"),
            distribution_regions=["eu-west-1", "us-east-1"],
            launch_permission_accounts=[CONSUMER],
            distribution_kms_keys={"us-east-1": key.alias_arn},
        ),
    )
    return keys, key, images, pipeline


def test_a_distribution_key_lets_the_consumers_and_auto_scaling_use_it(
    regional: tuple[Stack, ImageDistributionKey, Stack, GoldenImagePipeline],
) -> None:
    keys, _, _, _ = regional
    template = template_json(keys)
    key = only(template, "AWS::KMS::Key")
    assert key["DeletionPolicy"] == "Retain" and key["Properties"]["EnableKeyRotation"] is True
    sids = {s.get("Sid") for s in key["Properties"]["KeyPolicy"]["Statement"]}
    assert {"AutoScalingUsesKey", "ImageBuilderUsesKey", "SharedAmisAccountsUseKey"} <= sids
    assert {"SharedAmisOrganizationsUseKey", "SharedAmisAccountsCreateGrants"} <= sids
    assert only(template, "AWS::KMS::Alias")["Properties"]["AliasName"] == "alias/golden-images"


def test_the_pipeline_names_another_regions_key_by_alias_without_a_cross_region_reference(
    regional: tuple[Stack, ImageDistributionKey, Stack, GoldenImagePipeline],
) -> None:
    _, _, images, pipeline = regional
    template = template_json(images)
    alias = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":kms:us-east-1:111111111111:alias/golden-images"]]}
    distributions = only(template, "AWS::ImageBuilder::DistributionConfiguration")["Properties"]["Distributions"]
    assert {d["Region"]: d["AmiDistributionConfiguration"].get("KmsKeyId") for d in distributions} == {
        "eu-west-1": None,
        "us-east-1": alias,
    }
    assert "Fn::ImportValue" not in json.dumps(template)
    assert pipeline.execution_policy is not None
    granted = statements(template, logical_id(images, pipeline.execution_policy))
    use = granted["DistributionAliasesUse"]
    assert use["Resource"] == {
        "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":kms:us-east-1:111111111111:key/*"]]
    }
    # KMS Developer Guide, "Use aliases to control access to KMS keys": only the key with that alias.
    assert use["Condition"]["ForAnyValue:StringEquals"] == {"kms:ResourceAliases": ["alias/golden-images"]}
    assert granted["DistributionAliasesGrant"]["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}


def test_a_distribution_key_needs_a_stack_with_an_account_and_region() -> None:
    stack = Stack(App(), "ImageKeys")
    with pytest.raises(ValidationError, match="without an explicit account and region") as raised:
        ImageDistributionKey(stack, "Copies")
    assert raised.value.construct_path == "ImageKeys/Copies"


def test_the_default_ebs_alias_is_not_a_distribution_key() -> None:
    stack = Stack(App(), "Images", env={"account": OWNER, "region": "eu-west-1"})
    given = pipeline_props(
        stack,
        AmiCatalog(stack, "Catalog"),
        distribution_regions=["eu-west-1", "us-east-1"],
        distribution_kms_keys={"us-east-1": "arn:aws:kms:us-east-1:111111111111:alias/aws/ebs"},
    )
    with pytest.raises(ValidationError, match="is not the ARN of a customer managed KMS key or alias in us-east-1"):
        GoldenImagePipeline(stack, "Web", **given)
