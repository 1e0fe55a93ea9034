"""FirstImage: the first image of each golden image pipeline, built, tested, scanned and promoted during the deploy.

A fresh account has no ``/images/<line>/stable`` until a pipeline has built an image and the promotion
function has written it, and a pipeline's schedule does not run when it is created. Stacks that pin
``{{resolve:ssm:/images/<line>/stable:1}}`` therefore could not deploy until someone started the
pipelines by hand and waited. With a :class:`FirstImage` in the images stack, that stack's deploy starts
each pipeline, turns on Amazon Inspector's EC2 scanning when it is off (no CloudFormation resource type
does: the ``AWS::InspectorV2`` types are CIS scans, code security and filters), and returns only once
every pipeline's first image was promoted; then ``cdk deploy --all`` goes on to the service stack.
An account that already has the promoted parameter skips all of it within seconds.

CloudFormation gives one custom resource at most one hour (``ServiceTimeout``). Each pipeline gets a
chain of custom resources (``Start``, then ``Wait1``..``WaitN``), each waiting at most 45 minutes
through a Provider whose waiter gives up after 50 (rule IMM-DEP5); a waiter that reaches its deadline
while the build goes on hands over to the next one, and the last one fails the deploy with a message
naming the image and its state. ``max_wait`` sets how many waiters there are.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from aws_cdk import Aws, CustomResource, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import custom_resources as cr
from constructs import Construct

from .._private.limits import lambda_description
from .._private.nag import acknowledge_wildcards
from .._private.props import Rule, checked
from .._private.validation import Problems, is_unresolved
from ..fleet._provider_framework import acknowledge_provider, depend_only_on_policies
from .pipeline import GoldenImagePipeline

__all__ = ["FirstImage"]

HANDLER_DIR = Path(__file__).resolve().parent / "first_image_handler"
#: How long one waiter resource waits, and how long the Provider's waiter may poll it (below 1 hour).
WAIT_PER_RESOURCE = Duration.minutes(45)
PROVIDER_TIMEOUT = Duration.minutes(50)
_MAX_WAIT_RANGE_MINUTES = (45, 6 * 60)


class FirstImage(Construct):
    """Build, test, scan and promote the first image of each pipeline while the stack deploys.

    :param pipelines: the :class:`GoldenImagePipeline` s of this stack whose first image the deploy waits for.
        Required, at least one.
    :param enable_inspector: turn on Amazon Inspector's EC2 scanning in the account and region when a
        pipeline scans its images and Inspector is off (``inspector2:Enable``; Inspector bills per scanned
        instance). With ``False`` a deploy into an account without it fails at once, naming the command
        that activates it. Default: True.
    :param max_wait: the longest the deploy waits for each pipeline's first promotion, from 45 minutes to
        6 hours, in 45-minute waiters. Default: 2 hours 15 minutes (three waiters).
    """

    # Its function starts the pipelines through Image Builder's regional API, in its own account.
    @checked(
        pipelines=Rule(same_region=True, same_account=True, fix="list pipelines of this stack's account and region")
    )
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        pipelines: Sequence[GoldenImagePipeline],
        enable_inspector: bool = True,
        max_wait: Duration | None = None,
    ) -> None:
        super().__init__(scope, id)
        waiters = _check(self, pipelines, enable_inspector, max_wait)
        stack = Stack.of(self)
        scanning = {p.image_line: _scans(p) for p in pipelines}
        targets = {p.image_line: _target_parameter(p) for p in pipelines}
        self.provider, self.policy = _provider(self, pipelines, list(targets.values()), enable_inspector)
        self.resources: dict[str, list[CustomResource]] = {}
        """Per image line, the chain of custom resources: Start, Wait1..WaitN."""
        for pipeline in pipelines:
            line = pipeline.image_line
            common = {
                "Line": line,
                "PipelineArn": pipeline.pipeline.attr_arn,
                "TargetParameter": targets[line],
                "Account": stack.account,
                "RequireInspector": str(scanning[line]).lower(),
                "EnableInspector": str(enable_inspector).lower(),
                "WaitSeconds": str(int(WAIT_PER_RESOURCE.to_seconds())),
            }
            chain: list[CustomResource] = []
            for index in range(waiters + 1):
                phase = "start" if index == 0 else "wait"
                resource = CustomResource(
                    self,
                    f"{_construct_id(line)}{'Start' if index == 0 else f'Wait{index}'}",
                    service_token=self.provider.service_token,
                    resource_type="Custom::ImmutableFirstImage",
                    properties={**common, "Phase": phase, "Last": str(index == waiters).lower()},
                )
                # Everything the pipeline builds (roles, promotion function, rules) exists first; the pipeline
                # resource itself is already ordered by the GetAtt on its ARN (a second DependsOn is W3005).
                resource.node.add_dependency(
                    *[c for c in pipeline.node.children if c is not pipeline.pipeline], *chain[-1:]
                )
                chain.append(resource)
            self.resources[line] = chain


def _construct_id(line: str) -> str:
    return "".join(part.capitalize() for part in line.replace("_", "-").split("-"))


def _scans(pipeline: GoldenImagePipeline) -> bool:
    scanning = pipeline.pipeline.image_scanning_configuration
    return bool(getattr(scanning, "image_scanning_enabled", False))


def _target_parameter(pipeline: GoldenImagePipeline) -> str:
    """The parameter whose existence means a first image went all the way: the promoted channel, else the first."""
    catalog = pipeline.catalog
    promoted = catalog.next_channel(catalog.first_channel)
    channel = promoted if pipeline.promotion_function is not None and promoted else catalog.first_channel
    return catalog.parameter_name(pipeline.image_line, channel)


def _check(scope: Construct, pipelines: object, enable_inspector: object, max_wait: object) -> int:
    """Check the props; the number of waiter resources per pipeline."""
    problems = Problems(scope)
    if problems.sequence("pipelines", pipelines, item="GoldenImagePipelines", allow_empty=False):
        assert isinstance(pipelines, (list, tuple))
        lines: set[str] = set()
        for index, pipeline in enumerate(pipelines):
            if not problems.instance(
                f"pipelines[{index}]",
                pipeline,
                GoldenImagePipeline,
                what="a GoldenImagePipeline",
                fix="pass the pipelines whose first image the deploy waits for",
            ):
                continue
            assert isinstance(pipeline, GoldenImagePipeline)
            problems.require(
                Stack.of(pipeline) is Stack.of(scope),
                f"pipelines[{index}]",
                pipeline.node.path,
                "is in another stack",
                "create the FirstImage in the pipeline's stack (it waits during that stack's deploy)",
            )
            problems.require(
                pipeline.image_line not in lines,
                f"pipelines[{index}]",
                pipeline.node.path,
                f"builds line {pipeline.image_line!r}, which another pipeline of the list builds too",
                "list each line's pipeline once",
            )
            lines.add(pipeline.image_line)
    problems.flag("enable_inspector", enable_inspector)
    minutes = 135.0
    if max_wait is not None and problems.duration("max_wait", max_wait):
        assert isinstance(max_wait, Duration)
        if not is_unresolved(max_wait.to_seconds()):
            minutes = max_wait.to_seconds() / 60
            low, high = _MAX_WAIT_RANGE_MINUTES
            problems.require(
                low <= minutes <= high,
                "max_wait",
                max_wait.to_human_string(),
                f"must be from {low} minutes to {high // 60} hours",
                "use e.g. Duration.hours(2)",
            )
    problems.raise_if_any()
    return max(1, math.ceil(minutes / WAIT_PER_RESOURCE.to_minutes()))


def _provider(
    scope: Construct, pipelines: Sequence[GoldenImagePipeline], targets: list[str], enable_inspector: bool
) -> tuple[cr.Provider, iam.Policy]:
    stack = Stack.of(scope)
    role = iam.Role(scope, "HandlerRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    log_group = logs.LogGroup(scope, "HandlerLogs", retention=logs.RetentionDays.ONE_MONTH)
    policy = iam.Policy(
        scope, "HandlerPolicy", statements=_statements(stack, pipelines, targets, enable_inspector, log_group)
    )
    policy.attach_to_role(role)
    reasons = {
        f"{log_group.log_group_arn}:*": "the handler writes log streams Lambda names at run time into its own "
        "log group."
    }
    if enable_inspector:
        reasons["*"] = (
            "inspector2:BatchGetAccountStatus and inspector2:Enable act on the account, not on a resource "
            "(Service Authorization Reference, Amazon Inspector2: no resource types for these actions)."
        )
    acknowledge_wildcards(policy, reasons)
    code = lambda_.Code.from_asset(str(HANDLER_DIR), exclude=["__pycache__", "*.pyc"])

    def handler(name: str, entry: str) -> lambda_.Function:
        fn = lambda_.Function(
            scope,
            name,
            runtime=lambda_.Runtime.PYTHON_3_14,
            handler=f"index.{entry}",
            code=code,
            role=role,
            timeout=Duration.minutes(1),
            memory_size=256,
            log_group=log_group,
            description=lambda_description(f"first image of {scope.node.path}: {entry}"),
        )
        fn.node.add_dependency(policy)
        return fn

    on_event, is_complete = handler("OnEvent", "on_event"), handler("IsComplete", "is_complete")
    provider = cr.Provider(
        scope,
        "Provider",
        on_event_handler=on_event,
        is_complete_handler=is_complete,
        query_interval=Duration.minutes(1),
        total_timeout=PROVIDER_TIMEOUT,
        log_group=logs.LogGroup(scope, "ProviderLogs", retention=logs.RetentionDays.ONE_MONTH),
        disable_waiter_state_machine_logging=False,
        waiter_state_machine_log_options=cr.LogOptions(
            destination=logs.LogGroup(scope, "WaiterLogs", retention=logs.RetentionDays.ONE_MONTH),
            level=sfn.LogLevel.ALL,
            include_execution_data=False,
        ),
    )
    acknowledge_provider(provider, [on_event, is_complete])
    depend_only_on_policies(provider, [on_event, is_complete], policy)
    return provider, policy


def _statements(
    stack: Stack,
    pipelines: Sequence[GoldenImagePipeline],
    targets: list[str],
    enable_inspector: bool,
    log_group: logs.ILogGroup,
) -> list[iam.PolicyStatement]:
    """Least privilege: start and read these pipelines, read their target parameters, Inspector's status."""
    statements = [
        # Image Builder API Reference: StartImagePipelineExecution, ListImagePipelineImages (image-pipeline resource).
        iam.PolicyStatement(
            sid="StartFirstBuild",
            actions=["imagebuilder:StartImagePipelineExecution", "imagebuilder:ListImagePipelineImages"],
            resources=[p.pipeline.attr_arn for p in pipelines],
        ),
        iam.PolicyStatement(
            sid="ReadPromotedParameter",
            actions=["ssm:GetParameter"],
            resources=[
                f"arn:{Aws.PARTITION}:ssm:{stack.region}:{stack.account}:parameter/{name.lstrip('/')}"
                for name in targets
            ],
        ),
        iam.PolicyStatement(sid="InspectorStatus", actions=["inspector2:BatchGetAccountStatus"], resources=["*"]),
        iam.PolicyStatement(
            sid="Logs",
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[log_group.log_group_arn, f"{log_group.log_group_arn}:*"],
        ),
    ]
    if enable_inspector:
        statements += [
            # Amazon Inspector API Reference, Enable (resourceTypes EC2); enabling creates Inspector's
            # service-linked role (Amazon Inspector User Guide, "Using service-linked roles for Amazon Inspector").
            iam.PolicyStatement(sid="ActivateInspector", actions=["inspector2:Enable"], resources=["*"]),
            iam.PolicyStatement(
                sid="InspectorServiceLinkedRole",
                actions=["iam:CreateServiceLinkedRole"],
                resources=[
                    f"arn:{Aws.PARTITION}:iam::{stack.account}:role/aws-service-role/inspector2.amazonaws.com/"
                    "AWSServiceRoleForAmazonInspector2"
                ],
                conditions={"StringEquals": {"iam:AWSServiceName": "inspector2.amazonaws.com"}},
            ),
        ]
    return statements
