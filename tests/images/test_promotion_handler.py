"""The promotion Lambda: what a platform team relies on when an image build finishes.

SSM and EC2 run against moto; Image Builder (which moto does not implement) runs through
botocore's Stubber, which checks every request against the real API model.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from immutable_constructs.images.promotion_handler import index

REGION = "us-east-1"
ACCOUNT = "123456789012"
IMAGE_ARN = f"arn:aws:imagebuilder:{REGION}:{ACCOUNT}:image/shop-web-recipe/1.0.1234/1"
TARGET = "/images/web/stable"
SOURCE = "/images/web/candidate"
PIPELINE_ARN = f"arn:aws:imagebuilder:{REGION}:{ACCOUNT}:image-pipeline/shop-web"
INFRASTRUCTURE_ARN = f"arn:aws:imagebuilder:{REGION}:{ACCOUNT}:infrastructure-configuration/shop-web"
DISTRIBUTION_ARN = f"arn:aws:imagebuilder:{REGION}:{ACCOUNT}:distribution-configuration/shop-web"
SOURCE_CHECK = {
    "pipeline_arn": PIPELINE_ARN,
    "infrastructure_arn": INFRASTRUCTURE_ARN,
    "distribution_arn": DISTRIBUTION_ARN,
}
CONFIG = index.Config(target_parameter=TARGET, source_parameter=SOURCE, line="web", channel="stable", **SOURCE_CHECK)


def event(status: str = "AVAILABLE") -> dict[str, Any]:
    return {
        "version": "0",
        "detail-type": "EC2 Image Builder Image State Change",
        "source": "aws.imagebuilder",
        "account": ACCOUNT,
        "region": REGION,
        "resources": [IMAGE_ARN],
        "detail": {"previous-state": {"status": "TESTING"}, "state": {"status": status}},
    }


def image_record(ami_id: str, *, status: str = "AVAILABLE", scan: str = "COMPLETED", tests: bool = True) -> Any:
    return {
        "image": {
            "arn": IMAGE_ARN,
            "state": {"status": status},
            "imageTestsConfiguration": {"imageTestsEnabled": tests, "timeoutMinutes": 90},
            "imageScanningConfiguration": {"imageScanningEnabled": True},
            "scanState": {"status": scan},
            "outputResources": {"amis": [{"region": REGION, "image": ami_id, "accountId": ACCOUNT}]},
            "sourcePipelineArn": PIPELINE_ARN,
            "infrastructureConfiguration": {"arn": INFRASTRUCTURE_ARN},
            "distributionConfiguration": {"arn": DISTRIBUTION_ARN, "timeoutMinutes": 720},
        }
    }


def findings(*severities: str) -> dict[str, Any]:
    return {
        "findings": [
            {"imageBuildVersionArn": IMAGE_ARN, "severity": s, "title": f"CVE-2026-{i:04d}"}
            for i, s in enumerate(severities)
        ]
    }


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        ssm = boto3.client("ssm", region_name=REGION)
        new_ami = ec2.register_image(Name="web-new", RootDeviceName="/dev/xvda")["ImageId"]
        old_ami = ec2.register_image(Name="web-old", RootDeviceName="/dev/xvda")["ImageId"]
        imagebuilder = boto3.client("imagebuilder", region_name=REGION)
        with Stubber(imagebuilder) as stubber:
            yield {
                "ec2": ec2,
                "ssm": ssm,
                "imagebuilder": imagebuilder,
                "stubber": stubber,
                "new_ami": new_ami,
                "old_ami": old_ami,
            }
            stubber.assert_no_pending_responses()


def run(aws: dict[str, Any], evt: dict[str, Any], config: index.Config = CONFIG) -> dict[str, Any]:
    return index.promote(
        evt,
        config,
        imagebuilder=aws["imagebuilder"],
        ssm_client=lambda region: aws["ssm"],
        ec2_client=lambda region: aws["ec2"],
    )


def expect_image(aws: dict[str, Any], record: dict[str, Any], scan_findings: dict[str, Any] | None = None) -> None:
    aws["stubber"].add_response("get_image", record, {"imageBuildVersionArn": IMAGE_ARN})
    if scan_findings is not None:
        aws["stubber"].add_response(
            "list_image_scan_findings",
            scan_findings,
            {"filters": [{"name": "imageBuildVersionArn", "values": [IMAGE_ARN]}]},
        )


def stable_value(aws: dict[str, Any]) -> tuple[str, int]:
    parameter = aws["ssm"].get_parameter(Name=TARGET)["Parameter"]
    return parameter["Value"], parameter["Version"]


def promoted_tag(aws: dict[str, Any], ami: str) -> str | None:
    tags = aws["ec2"].describe_images(ImageIds=[ami])["Images"][0].get("Tags", [])
    return {t["Key"]: t["Value"] for t in tags}.get("immutable-constructs:promoted")


def test_clean_image_is_promoted_and_kept_by_the_lifecycle_tag(aws: dict[str, Any]) -> None:
    expect_image(aws, image_record(aws["new_ami"]), findings("LOW", "MEDIUM"))
    result = run(aws, event())
    assert result["promoted"] is True
    assert stable_value(aws) == (aws["new_ami"], 1)
    parameter = aws["ssm"].get_parameter(Name=TARGET)["Parameter"]
    assert parameter["DataType"] == "aws:ec2:image"
    tags = aws["ssm"].list_tags_for_resource(ResourceType="Parameter", ResourceId=TARGET)["TagList"]
    assert {"Key": "immutable-constructs:channel", "Value": "stable"} in tags
    assert promoted_tag(aws, aws["new_ami"]) == "stable"


def test_promotion_overwrites_the_previous_stable_image_as_a_new_version(aws: dict[str, Any]) -> None:
    aws["ssm"].put_parameter(Name=TARGET, Value=aws["old_ami"], Type="String", DataType="aws:ec2:image")
    expect_image(aws, image_record(aws["new_ami"]), findings())
    assert run(aws, event())["promoted"] is True
    assert stable_value(aws) == (aws["new_ami"], 2)
    history = aws["ssm"].get_parameter_history(Name=TARGET)["Parameters"]
    assert [h["Value"] for h in history] == [aws["old_ami"], aws["new_ami"]], "version 1 still pins the old AMI"


def test_redelivered_event_creates_no_new_parameter_version(aws: dict[str, Any]) -> None:
    expect_image(aws, image_record(aws["new_ami"]), findings())
    expect_image(aws, image_record(aws["new_ami"]), findings())
    run(aws, event())
    second = run(aws, event())
    assert second["promoted"] is True
    assert set(second["changes"].values()) == {"unchanged"}
    assert stable_value(aws) == (aws["new_ami"], 1)


def test_findings_over_the_threshold_refuse_promotion_and_log_why(
    aws: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    aws["ssm"].put_parameter(Name=TARGET, Value=aws["old_ami"], Type="String", DataType="aws:ec2:image")
    expect_image(aws, image_record(aws["new_ami"]), findings("LOW", "HIGH", "CRITICAL"))
    with caplog.at_level(logging.INFO):
        result = run(aws, event())
    assert result["promoted"] is False
    assert result["reason"] == "2 scan findings at or above HIGH (at most 0 allowed)"
    assert "2 scan findings at or above HIGH" in caplog.text and '"event": "refused"' in caplog.text
    assert stable_value(aws) == (aws["old_ami"], 1), "stable is untouched"
    assert promoted_tag(aws, aws["new_ami"]) is None


def test_threshold_and_limit_come_from_the_configuration(aws: dict[str, Any]) -> None:
    lenient = index.Config(
        target_parameter=TARGET,
        source_parameter=SOURCE,
        line="web",
        channel="stable",
        severity_threshold="CRITICAL",
        max_findings=1,
        **SOURCE_CHECK,
    )
    expect_image(aws, image_record(aws["new_ami"]), findings("HIGH", "HIGH", "CRITICAL"))
    assert run(aws, event(), lenient)["promoted"] is True


def test_failed_build_is_not_promoted_and_image_builder_is_not_asked(aws: dict[str, Any]) -> None:
    result = run(aws, event("FAILED"))
    assert result == {"promoted": False, "image": IMAGE_ARN, "reason": "build state is FAILED, not AVAILABLE"}
    with pytest.raises(aws["ssm"].exceptions.ParameterNotFound):
        aws["ssm"].get_parameter(Name=TARGET)


def test_image_without_tests_is_not_promoted(aws: dict[str, Any]) -> None:
    expect_image(aws, image_record(aws["new_ami"], tests=False))
    result = run(aws, event())
    assert result["promoted"] is False and result["reason"] == "image tests were not enabled for this build"


def test_unfinished_scan_is_not_promoted(aws: dict[str, Any]) -> None:
    expect_image(aws, image_record(aws["new_ami"], scan="SCANNING"))
    result = run(aws, event())
    assert result["promoted"] is False and result["reason"] == "image scan state is SCANNING, not COMPLETED"


def test_findings_are_read_across_pages(aws: dict[str, Any]) -> None:
    aws["stubber"].add_response("get_image", image_record(aws["new_ami"]), {"imageBuildVersionArn": IMAGE_ARN})
    request = {"filters": [{"name": "imageBuildVersionArn", "values": [IMAGE_ARN]}]}
    aws["stubber"].add_response("list_image_scan_findings", {**findings("LOW"), "nextToken": "page2"}, request)
    aws["stubber"].add_response("list_image_scan_findings", findings("CRITICAL"), {**request, "nextToken": "page2"})
    assert run(aws, event())["promoted"] is False


def test_unknown_severity_counts_against_promotion() -> None:
    assert index.counted_findings([{"severity": "UNTRIAGED"}, {"severity": "LOW"}], "HIGH") == 1


def test_configuration_from_environment() -> None:
    config = index.Config.from_environment(
        {
            "TARGET_PARAMETER": TARGET,
            "SOURCE_PARAMETER": SOURCE,
            "LINE": "web",
            "CHANNEL": "stable",
            "SEVERITY_THRESHOLD": "medium",
            "MAX_FINDINGS": "3",
            "REQUIRE_TESTS": "false",
        }
    )
    assert (config.severity_threshold, config.max_findings, config.require_tests, config.require_scan) == (
        "MEDIUM",
        3,
        False,
        True,
    )


def test_each_region_of_this_account_is_promoted_and_other_accounts_are_left_alone(aws: dict[str, Any]) -> None:
    europe_ec2 = boto3.client("ec2", region_name="eu-west-1")
    europe_ssm = boto3.client("ssm", region_name="eu-west-1")
    europe_ami = europe_ec2.register_image(Name="web-new", RootDeviceName="/dev/xvda")["ImageId"]
    record = image_record(aws["new_ami"])
    record["image"]["outputResources"]["amis"] += [
        {"region": "eu-west-1", "image": europe_ami, "accountId": ACCOUNT},
        {"region": "eu-west-1", "image": "ami-0123456789abcdef0", "accountId": "111111111111"},
    ]
    expect_image(aws, record, findings())
    clients = {REGION: (aws["ssm"], aws["ec2"]), "eu-west-1": (europe_ssm, europe_ec2)}
    result = index.promote(
        event(),
        CONFIG,
        imagebuilder=aws["imagebuilder"],
        ssm_client=lambda region: clients[region][0],
        ec2_client=lambda region: clients[region][1],
    )
    assert result["changes"] == {f"{REGION}:{aws['new_ami']}": "created", f"eu-west-1:{europe_ami}": "created"}
    assert europe_ssm.get_parameter(Name=TARGET)["Parameter"]["Value"] == europe_ami
    assert stable_value(aws) == (aws["new_ami"], 1)


# --- refusals are published; a scan that never arrives is explained -------------------------


@pytest.fixture
def notified(aws: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The pipeline's topic (moto) with a queue subscribed, and Inspector through a Stubber."""
    sns = boto3.client("sns", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    topic = sns.create_topic(Name="web-image-builds")["TopicArn"]
    queue = sqs.create_queue(QueueName="operator")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    inspector = boto3.client("inspector2", region_name=REGION)
    with Stubber(inspector) as inspector_stubber:
        yield {
            **aws,
            "sns": sns,
            "sqs": sqs,
            "queue": queue,
            "inspector": inspector,
            "inspector_stubber": inspector_stubber,
            "config": index.Config(
                target_parameter=TARGET,
                source_parameter=SOURCE,
                line="web",
                channel="stable",
                notification_topic=topic,
                **SOURCE_CHECK,
            ),
        }
        inspector_stubber.assert_no_pending_responses()


def run_notified(n: dict[str, Any], evt: dict[str, Any]) -> dict[str, Any]:
    return index.promote(
        evt,
        n["config"],
        imagebuilder=n["imagebuilder"],
        ssm_client=lambda region: n["ssm"],
        ec2_client=lambda region: n["ec2"],
        sns=n["sns"],
        inspector=n["inspector"],
    )


def published(n: dict[str, Any]) -> list[dict[str, Any]]:
    messages = n["sqs"].receive_message(QueueUrl=n["queue"], MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def inspector_ec2(n: dict[str, Any], status: str) -> None:
    state = {"status": status, "errorCode": "ACCESS_DENIED", "errorMessage": "-"}
    n["inspector_stubber"].add_response(
        "batch_get_account_status",
        {"accounts": [{"accountId": ACCOUNT, "state": state, "resourceState": {"ec2": state, "ecr": state}}]},
        {"accountIds": [ACCOUNT]},
    )


def test_scan_that_never_ran_names_inactive_inspector_and_is_published(notified: dict[str, Any]) -> None:
    expect_image(notified, image_record(notified["new_ami"], scan="ABANDONED"))
    inspector_ec2(notified, "DISABLED")
    result = run_notified(notified, event())
    assert result["promoted"] is False
    assert result["reason"].startswith("image scan state is ABANDONED, not COMPLETED: Amazon Inspector EC2 scanning")
    assert f"is DISABLED in account {ACCOUNT} ({REGION})" in result["reason"]
    assert f"aws inspector2 enable --resource-types EC2 --account-ids {ACCOUNT} --region {REGION}" in result["reason"]
    (message,) = published(notified)
    assert message == {
        "decision": "refused",
        "line": "web",
        "channel": "stable",
        "target": TARGET,
        "image": IMAGE_ARN,
        "reason": result["reason"],
    }
    with pytest.raises(notified["ssm"].exceptions.ParameterNotFound):
        notified["ssm"].get_parameter(Name=TARGET)


def test_unfinished_scan_with_inspector_on_points_at_the_inventory(notified: dict[str, Any]) -> None:
    expect_image(notified, image_record(notified["new_ami"], scan="TIMED_OUT"))
    inspector_ec2(notified, "ENABLED")
    reason = run_notified(notified, event())["reason"]
    assert "Amazon Inspector scans EC2 in this account" in reason and "ssm:PutInventory" in reason
    assert [m["reason"] for m in published(notified)] == [reason]


def test_unreadable_inspector_status_still_refuses_and_publishes(notified: dict[str, Any]) -> None:
    expect_image(notified, image_record(notified["new_ami"], scan="PENDING"))
    notified["inspector_stubber"].add_client_error(
        "batch_get_account_status", service_error_code="AccessDeniedException", http_status_code=403
    )
    reason = run_notified(notified, event())["reason"]
    assert "Amazon Inspector's status could not be read (AccessDeniedException)" in reason
    assert len(published(notified)) == 1


@pytest.mark.parametrize(
    "evt, record, scan_findings, reason",
    [
        (event("FAILED"), None, None, "build state is FAILED, not AVAILABLE"),
        ({**event(), "resources": []}, None, None, "event names no image"),
        (event(), "tests-off", None, "image tests were not enabled for this build"),
        (event(), "clean", ("CRITICAL",), "1 scan findings at or above HIGH (at most 0 allowed)"),
    ],
)
def test_every_refusal_is_published(
    notified: dict[str, Any], evt: dict[str, Any], record: str | None, scan_findings: Any, reason: str
) -> None:
    if record is not None:
        image = image_record(notified["new_ami"], tests=record != "tests-off")
        expect_image(notified, image, findings(*scan_findings) if scan_findings else None)
    assert run_notified(notified, evt)["reason"] == reason
    assert [m["reason"] for m in published(notified)] == [reason]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            {"sourcePipelineArn": None},
            f"the image was built by no pipeline (CreateImage), not by {PIPELINE_ARN}",
        ),
        (
            {"sourcePipelineArn": PIPELINE_ARN.replace("shop-web", "someone-else")},
            f"the image was built by {PIPELINE_ARN.replace('shop-web', 'someone-else')}, not by {PIPELINE_ARN}",
        ),
        (
            {"infrastructureConfiguration": {"arn": INFRASTRUCTURE_ARN + "-mine"}},
            f"the image was built with the infrastructure configuration {INFRASTRUCTURE_ARN}-mine, "
            f"not {INFRASTRUCTURE_ARN}",
        ),
        (
            {"distributionConfiguration": {"arn": DISTRIBUTION_ARN + "-mine", "timeoutMinutes": 720}},
            f"the image was built with the distribution configuration {DISTRIBUTION_ARN}-mine, not {DISTRIBUTION_ARN}",
        ),
    ],
)
def test_an_image_of_the_same_recipe_but_not_of_this_pipeline_is_refused_and_the_refusal_published(
    notified: dict[str, Any], change: dict[str, Any], reason: str
) -> None:
    """An image someone built with CreateImage from the recipe never reaches the next channel."""
    record = image_record(notified["new_ami"])
    record["image"].update({k: v for k, v in change.items() if v is not None})
    for key in [k for k, v in change.items() if v is None]:
        del record["image"][key]
    expect_image(notified, record)  # refused before the scan findings are read
    result = run_notified(notified, event())
    assert (result["promoted"], result["reason"]) == (False, reason)
    assert [m["reason"] for m in published(notified)] == [reason]
    assert promoted_tag(notified, notified["new_ami"]) is None


def test_an_image_of_another_account_or_region_is_refused(notified: dict[str, Any]) -> None:
    foreign = IMAGE_ARN.replace(ACCOUNT, "210987654321")
    record = image_record(notified["new_ami"])
    notified["stubber"].add_response("get_image", record, {"imageBuildVersionArn": foreign})
    result = run_notified(notified, {**event(), "resources": [foreign]})
    assert result["reason"] == f"the image is not in the pipeline's region and account ({REGION}:{ACCOUNT})"


def test_the_image_the_stack_builds_on_deploy_has_no_pipeline_and_is_accepted_only_when_allowed(
    notified: dict[str, Any],
) -> None:
    from dataclasses import replace

    record = image_record(notified["new_ami"])
    del record["image"]["sourcePipelineArn"]
    expect_image(notified, record, findings())
    notified["config"] = replace(notified["config"], allow_deploy_image=True)
    assert run_notified(notified, event())["promoted"] is True


def test_a_function_without_a_pipeline_promotes_nothing(notified: dict[str, Any]) -> None:
    from dataclasses import replace

    expect_image(notified, image_record(notified["new_ami"]))
    notified["config"] = replace(notified["config"], pipeline_arn=None)
    assert run_notified(notified, event())["reason"].startswith("the function knows no pipeline")


def test_a_promotion_publishes_nothing_and_asks_inspector_nothing(notified: dict[str, Any]) -> None:
    expect_image(notified, image_record(notified["new_ami"]), findings())
    assert run_notified(notified, event())["promoted"] is True
    assert published(notified) == []


def test_handler_wires_the_topic_sns_and_inspector(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def fake_promote(evt: Any, config: index.Config, **clients: Any) -> dict[str, Any]:
        seen.update(config=config, clients=clients)
        return {"promoted": False}

    monkeypatch.setattr(index, "promote", fake_promote)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:web"
    for key, value in {
        "TARGET_PARAMETER": TARGET,
        "SOURCE_PARAMETER": SOURCE,
        "LINE": "web",
        "CHANNEL": "stable",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("NOTIFICATION_TOPIC", topic)
    index.handler(event())
    assert seen["config"].notification_topic == topic
    assert seen["clients"]["sns"].meta.service_model.service_name == "sns"
    assert seen["clients"]["inspector"].meta.service_model.service_name == "inspector2"
    for client in (seen["clients"]["sns"], seen["clients"]["inspector"], seen["clients"]["imagebuilder"]):
        assert client.meta.config.retries["mode"] == "adaptive", "the handler runtime's retry configuration"
    assert seen["clients"]["ssm_client"](REGION).meta.config.retries["mode"] == "adaptive"


def test_the_function_may_read_the_channel_history_it_checks_before_promoting() -> None:
    """promoted_before() reads GetParameterHistory on the channel parameter (SSM API reference,
    GetParameterHistory: action ssm:GetParameterHistory on the parameter ARN)."""
    from ..conftest import template_json
    from .test_image_pipeline import build

    stack, _, _ = build()
    template = template_json(stack)
    statements = [
        s
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::IAM::Policy"
        for s in resource["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Sid") == "WriteChannel"
    ]
    assert len(statements) == 1
    assert "ssm:GetParameterHistory" in statements[0]["Action"]


# --- a catalog shared through AWS RAM -------------------------------------------------------

SHARE_ARN = f"arn:aws:ram:{REGION}:{ACCOUNT}:resource-share/0123abcd-0123-abcd-0123-0123456789ab"
#: The configuration of a catalog shared from this region (the function's SHARE_* environment).
SHARED = dataclasses.replace(CONFIG, resource_share_arn=SHARE_ARN, share_region=REGION)


def test_a_shared_channel_is_advanced_tier_and_added_to_the_share_once(aws: dict[str, Any]) -> None:
    europe_ec2 = boto3.client("ec2", region_name="eu-west-1")
    europe_ssm = boto3.client("ssm", region_name="eu-west-1")
    europe_ami = europe_ec2.register_image(Name="web-new", RootDeviceName="/dev/xvda")["ImageId"]
    record = image_record(aws["new_ami"])
    record["image"]["outputResources"]["amis"].append(
        {"region": "eu-west-1", "image": europe_ami, "accountId": ACCOUNT}
    )
    shared = SHARED
    ram = boto3.client("ram", region_name=REGION)
    clients = {REGION: (aws["ssm"], aws["ec2"]), "eu-west-1": (europe_ssm, europe_ec2)}
    parameter_arn = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{TARGET}"
    with Stubber(ram) as ram_stubber:
        # Only the share's region, only when the channel changed: a redelivered event calls RAM no more.
        ram_stubber.add_response(
            "associate_resource_share",
            {"resourceShareAssociations": [{"resourceShareArn": SHARE_ARN, "associatedEntity": parameter_arn}]},
            {"resourceShareArn": SHARE_ARN, "resourceArns": [parameter_arn]},
        )
        for _ in range(2):
            expect_image(aws, record, findings())
            index.promote(
                event(),
                shared,
                imagebuilder=aws["imagebuilder"],
                ssm_client=lambda region: clients[region][0],
                ec2_client=lambda region: clients[region][1],
                ram_client=lambda region: ram,
            )
        ram_stubber.assert_no_pending_responses()
    tiers = {
        region: ssm.describe_parameters()["Parameters"][0]["Tier"]
        for region, ssm in (("here", aws["ssm"]), ("europe", europe_ssm))
    }
    assert tiers == {"here": "Advanced", "europe": "Standard"}  # advanced parameters cost money: only where shared
    assert stable_value(aws) == (aws["new_ami"], 1)


def test_another_regions_channel_joins_the_share_of_the_same_name_there(aws: dict[str, Any]) -> None:
    """RAM shares are regional: in a distribution region other than the share's, the channel is advanced-tier and
    added to each of this account's active shares of the catalog's name there; where there is none, it stays a
    standard parameter (advanced ones cost money) and RAM is only asked."""
    clients: dict[str, tuple[Any, Any]] = {REGION: (aws["ssm"], aws["ec2"])}
    record = image_record(aws["new_ami"])
    for region in ("eu-west-1", "ap-south-1"):
        ec2 = boto3.client("ec2", region_name=region)
        clients[region] = (boto3.client("ssm", region_name=region), ec2)
        ami = ec2.register_image(Name="web-new", RootDeviceName="/dev/xvda")["ImageId"]
        record["image"]["outputResources"]["amis"].append({"region": region, "image": ami, "accountId": ACCOUNT})
    shared = dataclasses.replace(SHARED, share_name="immutable-constructs-catalog-images")
    europe_share = f"arn:aws:ram:eu-west-1:{ACCOUNT}:resource-share/4567abcd-0123-abcd-0123-0123456789ab"
    rams = {region: boto3.client("ram", region_name=region) for region in (REGION, "eu-west-1", "ap-south-1")}
    lookup = {"resourceOwner": "SELF", "name": "immutable-constructs-catalog-images", "resourceShareStatus": "ACTIVE"}
    with Stubber(rams[REGION]) as here, Stubber(rams["eu-west-1"]) as europe, Stubber(rams["ap-south-1"]) as india:
        here.add_response(
            "associate_resource_share",
            {"resourceShareAssociations": []},
            {"resourceShareArn": SHARE_ARN, "resourceArns": [f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{TARGET}"]},
        )
        europe.add_response("get_resource_shares", {"resourceShares": [], "nextToken": "t"}, lookup)
        europe.add_response(
            "get_resource_shares",
            {"resourceShares": [{"resourceShareArn": europe_share}]},
            {**lookup, "nextToken": "t"},
        )
        europe.add_response(
            "associate_resource_share",
            {"resourceShareAssociations": []},
            {"resourceShareArn": europe_share, "resourceArns": [f"arn:aws:ssm:eu-west-1:{ACCOUNT}:parameter{TARGET}"]},
        )
        india.add_response("get_resource_shares", {"resourceShares": []}, lookup)
        expect_image(aws, record, findings())
        index.promote(
            event(),
            shared,
            imagebuilder=aws["imagebuilder"],
            ssm_client=lambda region: clients[region][0],
            ec2_client=lambda region: clients[region][1],
            ram_client=lambda region: rams[region],
        )
        for stubber in (here, europe, india):
            stubber.assert_no_pending_responses()
    tiers = {region: ssm.describe_parameters()["Parameters"][0]["Tier"] for region, (ssm, _) in clients.items()}
    assert tiers == {REGION: "Advanced", "eu-west-1": "Advanced", "ap-south-1": "Standard"}


def test_sharing_upgrades_an_existing_standard_channel_at_its_next_write(aws: dict[str, Any]) -> None:
    aws["ssm"].put_parameter(Name=TARGET, Value=aws["old_ami"], Type="String", DataType="aws:ec2:image")
    shared = SHARED
    ram = boto3.client("ram", region_name=REGION)
    with Stubber(ram) as ram_stubber:
        ram_stubber.add_response(
            "associate_resource_share",
            {"resourceShareAssociations": []},
            {"resourceShareArn": SHARE_ARN, "resourceArns": [f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{TARGET}"]},
        )
        expect_image(aws, image_record(aws["new_ami"]), findings())
        result = index.promote(
            event(),
            shared,
            imagebuilder=aws["imagebuilder"],
            ssm_client=lambda region: aws["ssm"],
            ec2_client=lambda region: aws["ec2"],
            ram_client=lambda region: ram,
        )
        ram_stubber.assert_no_pending_responses()
    assert result["changes"] == {f"{REGION}:{aws['new_ami']}": "updated"}
    assert aws["ssm"].describe_parameters()["Parameters"][0]["Tier"] == "Advanced"
    assert stable_value(aws) == (aws["new_ami"], 2)
