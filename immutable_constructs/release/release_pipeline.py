"""A release pipeline: one image version, released wave by wave across accounts and regions (issue 25).

``ReleasePipeline(stack, "Release", synth=..., service=ServiceStage, waves=[...], image_lines=["web"])``
builds, on CDK Pipelines (``aws_cdk.pipelines.CodePipeline``, a V2 CodePipeline):

* the source, synth and **self-mutation** stages of CDK Pipelines; cross-account KMS keys for the artifact
  bucket whenever a wave deploys to another account than the pipeline's;
* per wave, a CodePipeline stage (``add_wave``) whose environments deploy **in parallel**, waves in order;
  an optional **manual approval** before the wave and an optional ``DeploymentWindow`` entry condition;
* per wave, a **bake time**: an ``OnSuccess`` condition whose ``CloudWatchAlarm`` rules watch each target
  stack's release gate (a composite alarm of its fleets' rollback alarms, ``_gates.py``) for ``bake_time``;
  an alarm in ALARM **rolls the wave back** (result ``ROLLBACK``: CodePipeline redeploys the wave's last
  successful revision) and the release goes no further. A wave holds at most five gated stacks per
  CodePipeline stage (one condition, five rules); a bigger wave is deployed as consecutive stages
  ``<name>-1``, ``<name>-2``... of at most five, each baked;
* the **image version travels with the release**: the pin of each image line (context
  ``images.<line>.<channel>``, committed in cdk.json) is read once, here, and given identically to every
  stage; a commit that raises it is a new release.

Each target account and region is bootstrapped to trust the pipeline's account (docs/release-waves.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from aws_cdk import CfnResource, Environment, Stack, Stage, Token, pipelines
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_iam as iam
from constructs import Construct

from .._private.checkov import skip_checkov
from .._private.origin import record_origin
from .._private.props import Rule, checked
from .._private.validation import Problems
from ._acknowledge import acknowledge_generated
from ._artifacts import confine_asset_roles, log_artifact_access, retain_artifact_keys
from ._checks import check_waves, read_pins
from ._gates import Gate, add_gates, bake_rules, window_rule
from .wave import ReleaseWave

__all__ = ["ReleasePipeline"]

#: Rules in one stage condition (CloudFormation ``AWS::CodePipeline::Pipeline`` ``Condition``: Rules maximum 5).
MAX_RULES = 5


class ReleasePipeline(Construct):
    """One image version released wave by wave through CDK Pipelines, each wave baked under its fleets' alarms
    and rolled back when one fires.

    :param synth: the step that checks out and synthesizes the app, e.g. ``pipelines.ShellStep("Synth",
        input=pipelines.CodePipelineSource.connection(...), commands=[...])``. Default: none, required.
    :param service: the class (or factory) of the service's ``Stage``, called as ``service(scope, id, env=...,
        image_versions={line: version})`` once per environment; its fleets are found in its stacks.
        Default: none, required.
    :param waves: the waves, in release order (e.g. a one-environment canary first, production last).
        Default: none, required.
    :param image_lines: the image lines whose pins travel with the release. Default: none (``image_versions`` is
        empty).
    :param image_channel: the channel of those pins (``images.<line>.<channel>``). Default: ``"stable"``.
    :param pipeline_name: the CodePipeline's name. Default: a name CloudFormation generates.
    :param self_mutation: whether the pipeline updates itself first on every run (CDK Pipelines'
        ``UpdatePipeline`` stage). Default: True.

    With cross-account keys, the artifact keys rotate yearly (``enable_key_rotation``); without, the artifacts
    are encrypted with the AWS managed key ``aws/s3`` (CDK Pipelines' ``KMS_MANAGED``), which AWS rotates.

    Always (no prop turns them off): every artifact bucket, this stack's and each cross-region support stack's
    replication bucket, logs its requests to a retained, SSE-S3 access-log bucket in its own stack and region
    (``ArtifactAccessLogs``, ``ReplicationAccessLogs``; prefix ``artifacts/``): who read or replaced the cloud
    assembly a release deployed. The artifact buckets' KMS keys (cross-account releases) are retained like the
    buckets (CDK Pipelines deletes them, leaving the kept artifacts unreadable). CDK Pipelines' asset-publishing
    roles, which it lets start, stop and log any CodeBuild project of the account, are confined by a deny policy
    (``<Role>Confinement``) to their own asset projects. The AwsSolutions-IAM5 wildcards CDK Pipelines' generated
    policies keep are acknowledged one by one on each policy, with what each covers (``_acknowledge.py``);
    docs/security.md says what is left.

    Attributes: ``pipeline`` (the ``pipelines.CodePipeline``, built), ``image_versions`` (line -> version),
    ``stages`` (wave name -> its ``Stage`` objects), ``gates`` (CodePipeline stage name -> its alarm gates),
    ``access_logs`` (the artifact buckets' access-log buckets).
    """

    @checked(
        waves=Rule(fix="list each wave once"),
        image_lines=Rule(pattern=r"[a-z0-9][a-z0-9-]*", max_length=64, fix="name a line of the AmiCatalog"),
        image_channel=Rule(pattern=r"[a-z0-9][a-z0-9-]*", max_length=64, fix="e.g. 'stable'"),
        pipeline_name=Rule(pattern=r"[A-Za-z0-9.@\-_]+", max_length=100, fix="letters, digits, .@-_"),
    )
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        synth: pipelines.IFileSetProducer,
        service: Callable[..., Stage],
        waves: Sequence[ReleaseWave],
        image_lines: Sequence[str] | None = None,
        image_channel: str = "stable",
        pipeline_name: str | None = None,
        self_mutation: bool = True,
    ) -> None:
        super().__init__(scope, id)
        record_origin(self)
        self.image_versions = self._check(waves, image_lines or (), image_channel)
        account = Stack.of(self).account
        cross_account = any(env.account != account for wave in waves for env in wave.environments)
        self.pipeline = pipelines.CodePipeline(
            self,
            "Pipeline",
            synth=synth,
            pipeline_name=pipeline_name,
            self_mutation=self_mutation,
            pipeline_type=codepipeline.PipelineType.V2,  # stage conditions need a V2 pipeline
            cross_account_keys=cross_account,
            enable_key_rotation=cross_account or None,  # CDK: rotation needs cross-account keys (a key at all)
        )
        self.stages: dict[str, list[Stage]] = {}
        self.gates: dict[str, list[Gate]] = {}
        plan = [self._add_wave(wave, service, account) for wave in waves]
        self.pipeline.build_pipeline()
        self._add_conditions([item for items in plan for item in items])
        self.access_logs = log_artifact_access(self, self.pipeline.pipeline)
        retain_artifact_keys(self.pipeline.pipeline)
        confine_asset_roles(self, self.pipeline)
        self._explain_generated()

    def _check(self, waves: Sequence[ReleaseWave], lines: Sequence[str], channel: str) -> Mapping[str, int]:
        problems = Problems(self)
        check_waves(problems, waves)
        stack = Stack.of(self)
        for name, value in (("account", stack.account), ("region", stack.region)):
            if Token.is_unresolved(value):  # the gates' roles trust this account; cross-account keys compare it
                problems.add(
                    "scope",
                    stack.stack_name,
                    f"the pipeline's stack has no literal {name}",
                    "give its Stack env=Environment(account='111111111111', region='eu-west-1')",
                )
        pins = read_pins(self, problems, lines, channel)
        problems.raise_if_any()
        return pins

    def _add_wave(
        self, wave: ReleaseWave, service: Callable[..., Stage], account: str
    ) -> list[tuple[str, ReleaseWave, list[Gate]]]:
        """The wave's stages, in CodePipeline stages of at most MAX_RULES gates; returns (stage, wave, gates)."""
        stages: list[tuple[Stage, list[Gate]]] = []
        for env in wave.environments:
            stage: Any = service(
                Stack.of(self),
                f"{wave.name}-{env.account}-{env.region}",
                env=Environment(account=env.account, region=env.region),
                image_versions=dict(self.image_versions),
            )
            if not isinstance(stage, Stage):
                problems = Problems(self)
                problems.add("service", stage, "did not return an aws_cdk.Stage", "make service a Stage subclass")
                problems.raise_if_any()
            stages.append((stage, add_gates(stage, account)))
        self.stages[wave.name] = [stage for stage, _ in stages]
        chunks: list[list[tuple[Stage, list[Gate]]]] = [[]]
        for stage, gates in stages:
            if sum(len(g) for _, g in chunks[-1]) + len(gates) > MAX_RULES and chunks[-1]:
                chunks.append([])
            chunks[-1].append((stage, gates))
        plan = []
        for index, chunk in enumerate(chunks):
            name = wave.name if len(chunks) == 1 else f"{wave.name}-{index + 1}"
            pre = [pipelines.ManualApprovalStep(f"Approve-{wave.name}")] if wave.approval and index == 0 else []
            pipeline_wave = self.pipeline.add_wave(name, pre=pre)
            for stage, _ in chunk:
                pipeline_wave.add_stage(stage)
            # CDK Pipelines names a one-stage wave's CodePipeline stage after that stage, not the wave
            name = chunk[0][0].stage_name if len(chunk) == 1 else name
            self.gates[name] = [gate for _, gates in chunk for gate in gates]
            plan.append((name, wave, self.gates[name]))
        return plan

    def _add_conditions(self, plan: Sequence[tuple[str, ReleaseWave, list[Gate]]]) -> None:
        """The bake (OnSuccess, ROLLBACK) and window (BeforeEntry, FAIL) conditions, on the built CfnPipeline,
        since CDK Pipelines' waves take no conditions; the pipeline's role may assume each gate's reader role."""
        built = self.pipeline.pipeline
        cfn: Any = built.node.default_child
        names = [stage.stage_name for stage in built.stages]
        # CDK Pipelines writes each cross-account action's role ARN as Fn::Join with an empty delimiter, which
        # cfn-lint 1.x reports as E3703 ("prefer Fn::Sub"): a style preference, valid CloudFormation. CDK also
        # makes the pipeline depend on the role it references (W3005): redundant, harmless.
        cfn.add_metadata("cfn-lint", {"config": {"ignore_checks": ["E3703", "W3005"]}})
        partition = Stack.of(self).partition
        for name, wave, gates in plan:
            index = names.index(name)
            minutes = int(wave.bake_time.to_minutes())
            if gates:
                rules = bake_rules(gates, minutes, partition, prefix=f"Bake-{name}")
                cfn.add_property_override(
                    f"Stages.{index}.OnSuccess", {"Conditions": [{"Result": "ROLLBACK", "Rules": rules}]}
                )
                built.role.add_to_principal_policy(
                    iam.PolicyStatement(
                        actions=["sts:AssumeRole"], resources=[gate.role_arn(partition) for gate in gates]
                    )
                )
            if wave.window_cron is not None:
                rule = window_rule(f"Window-{name}", wave.window_cron, wave.window_time_zone)
                cfn.add_property_override(
                    f"Stages.{index}.BeforeEntry", {"Conditions": [{"Result": "FAIL", "Rules": [rule]}]}
                )

    def _explain_generated(self) -> None:
        """Reasoned checkov skips on what CDK Pipelines generates and this construct cannot shape."""
        built = self.pipeline.pipeline
        buckets = [built.artifact_bucket, *(s.replication_bucket for s in built.cross_region_support.values())]
        for bucket in buckets:
            if isinstance(bucket.node.default_child, CfnResource):
                skip_checkov(
                    bucket.node.default_child,
                    "CKV_AWS_21",
                    "CodePipeline artifacts: every execution writes new object keys, nothing is overwritten, and a "
                    "rollback redeploys an earlier execution's own artifacts.",
                )
        for policy in (c for c in self.node.find_all() if isinstance(c, CfnResource)):
            path = policy.node.path
            if path.endswith("/Pipeline/Role/DefaultPolicy/Resource"):
                reason = "kms:* on '*': CDK Pipelines names the other regions' artifact keys, which live in the "
                reason += "cross-region support stacks, by wildcard; the keys' policies admit only this pipeline."
            elif path.endswith("/FileRole/DefaultPolicy/Resource"):
                reason = "CDK Pipelines' asset publishing role may start and read CodeBuild builds on '*'; the "
                reason += "role's <Role>Confinement deny policy limits it to its own asset projects."
            else:
                continue
            skip_checkov(policy, "CKV_AWS_111", reason)
        arns = [bucket.bucket_arn for bucket in buckets]
        keys = [bucket.encryption_key.key_arn for bucket in buckets if bucket.encryption_key is not None]
        acknowledge_generated(self.pipeline, arns, keys)
