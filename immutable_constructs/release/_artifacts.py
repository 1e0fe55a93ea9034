"""What ``ReleasePipeline`` adds to the artifact buckets and the asset roles CDK Pipelines generates.

* **Access logs.** Every artifact bucket (the pipeline's, and the replication bucket of each cross-region support
  stack) logs its requests to a retained access-log bucket in its own stack and region: S3 server access logging
  delivers only to a bucket of the same account and region, encrypted with SSE-S3, not SSE-KMS (S3 User Guide,
  "Enabling Amazon S3 server access logging"). The artifacts are the cloud assemblies every release deploys to
  every target account; the access log is who read or replaced one. CDK Pipelines creates the buckets with no
  logging prop, so the ``LoggingConfiguration`` is set on the generated ``AWS::S3::Bucket``, and the log bucket's
  policy lets the logging service principal write for that bucket and account only, as CDK's own ``Bucket``
  does with ``server_access_logs_bucket`` (S3 User Guide, "Permissions for log delivery").
* **Artifact keys kept with their buckets.** CDK Pipelines retains the artifact buckets on delete but deletes
  their KMS keys (cross-account releases): the kept artifacts would become unreadable once the key's deletion
  window ends (KMS Developer Guide, "Deleting AWS KMS keys"). The keys are retained too; their aliases are still
  deleted, so a re-created pipeline can take the same alias name.
* **Asset roles confined to their own projects.** CDK Pipelines gives its asset-publishing role (one role for all
  asset CodeBuild projects, ``pipelines/lib/private/asset-singleton-role``) ``codebuild:StartBuild``,
  ``StopBuild`` and ``BatchGetBuilds`` on ``*``, and logs and report groups of every CodeBuild project of the
  account. StartBuild takes a buildspec override (CodeBuild API Reference, ``StartBuild``: ``buildspecOverride``),
  so whoever controls an asset build could run commands as any CodeBuild project's role of the account, e.g. the
  self-mutation project's, which deploys the pipeline's stack. A deny statement with ``NotResource`` confines
  each of these actions to the role's own asset projects (IAM User Guide, "Policy evaluation logic": an explicit
  deny overrides any allow); the allow statements stay as CDK writes them.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from .._private.secure_bucket import secure_bucket

#: The prefix of the artifact bucket's access logs in the access-log bucket.
ACCESS_LOG_PREFIX = "artifacts/"

_NO_ACCESS_LOGS = (
    "This bucket receives the server access logs of the release pipeline's artifact bucket; logging its own "
    "access would need yet another bucket, and S3 logging a bucket to itself loops."
)


def log_artifact_access(scope: Construct, pipeline: codepipeline.Pipeline) -> list[s3.Bucket]:
    """An access-log bucket per artifact bucket (this stack's, and each cross-region support stack's)."""
    targets: list[tuple[Construct, str, s3.IBucket]] = [(scope, "ArtifactAccessLogs", pipeline.artifact_bucket)]
    for support in pipeline.cross_region_support.values():
        targets.append((support.stack, "ReplicationAccessLogs", support.replication_bucket))
    made = []
    for owner, construct_id, bucket in targets:
        cfn = bucket.node.default_child
        if not isinstance(cfn, s3.CfnBucket):  # an imported bucket: its owner logs it
            continue
        logs = secure_bucket(owner, construct_id, key=None, no_access_logs_reason=_NO_ACCESS_LOGS)
        cfn.logging_configuration = s3.CfnBucket.LoggingConfigurationProperty(
            destination_bucket_name=logs.bucket_name, log_file_prefix=ACCESS_LOG_PREFIX
        )
        logs.add_to_resource_policy(
            iam.PolicyStatement(
                sid="S3ServerAccessLogsPolicy",
                principals=[iam.ServicePrincipal("logging.s3.amazonaws.com")],
                actions=["s3:PutObject"],
                resources=[logs.arn_for_objects(f"{ACCESS_LOG_PREFIX}*")],
                conditions={
                    "ArnLike": {"aws:SourceArn": bucket.bucket_arn},
                    "StringEquals": {"aws:SourceAccount": Stack.of(logs).account},
                },
            )
        )
        made.append(logs)
    return made


def retain_artifact_keys(pipeline: codepipeline.Pipeline) -> list[kms.CfnKey]:
    """The KMS keys of the artifact buckets (this stack's and each support stack's), retained like the buckets."""
    buckets = [pipeline.artifact_bucket, *(s.replication_bucket for s in pipeline.cross_region_support.values())]
    kept = []
    for bucket in buckets:
        key = bucket.encryption_key
        # The support stacks give their replication bucket the key's alias (aws-codepipeline's cross-region support)
        key = key.alias_target_key if isinstance(key, kms.Alias) else key
        cfn = key.node.default_child if key is not None else None
        if isinstance(cfn, kms.CfnKey):
            cfn.apply_removal_policy(RemovalPolicy.RETAIN)
            kept.append(cfn)
    return kept


def confine_asset_roles(scope: Construct, pipeline: Construct) -> list[iam.Policy]:
    """A deny policy on each asset role: CodeBuild builds, logs and reports of its own asset projects only."""
    assets = pipeline.node.try_find_child("Assets")
    if assets is None:
        return []
    stack = Stack.of(scope)
    projects: dict[str, list[codebuild.Project]] = {}
    for node in assets.node.find_all():
        if isinstance(node, codebuild.Project) and isinstance(node.role, iam.Role):
            projects.setdefault(node.role.node.path, []).append(node)
    policies = []
    for role in (node for node in assets.node.children if isinstance(node, iam.Role)):
        own = projects.get(role.node.path, [])
        if not own:
            continue
        names = [project.project_name for project in own]
        groups = [
            stack.format_arn(
                service="logs", resource="log-group", arn_format=ArnFormat.COLON_RESOURCE_NAME, resource_name=name
            )
            for name in (f"/aws/codebuild/{n}" for n in names)
        ]
        reports = [
            stack.format_arn(service="codebuild", resource="report-group", resource_name=f"{n}-*") for n in names
        ]
        builds = ["codebuild:StartBuild", "codebuild:StopBuild", "codebuild:BatchGetBuilds"]
        statements = [
            _deny(builds, [project.project_arn for project in own]),
            _deny(
                ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                [*groups, *(f"{g}:*" for g in groups)],
            ),
            _deny(
                [
                    "codebuild:CreateReportGroup",
                    "codebuild:CreateReport",
                    "codebuild:UpdateReport",
                    "codebuild:BatchPutTestCases",
                    "codebuild:BatchPutCodeCoverages",
                ],
                reports,
            ),
        ]
        policies.append(iam.Policy(scope, f"{role.node.id}Confinement", statements=statements, roles=[role]))
    return policies


def _deny(actions: list[str], own: list[str]) -> iam.PolicyStatement:
    return iam.PolicyStatement(effect=iam.Effect.DENY, actions=actions, not_resources=own)
