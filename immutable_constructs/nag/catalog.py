"""The rules of ImmutableInfrastructureChecks: stable ids, severities, titles and fixes.

Rule ids are public API: they appear in reports, acknowledgements and docs/rules.md
(one section per id, anchor ``#<id in lower case>``). Never reuse or renumber one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from importlib import import_module
from types import ModuleType

from .._links import doc_url
from ._model import Resource, Result, Template

__all__ = [
    "ACKNOWLEDGEMENT_RULES",
    "DOCS_PATH",
    "DOCS_URL",
    "PLUGIN_NAME",
    "RULES",
    "AcknowledgementRule",
    "Rule",
    "Severity",
    "describe",
    "docs_url",
    "rule",
]

#: The plugin's name in reports and in acknowledgement ids (``ImmutableInfrastructureChecks::IMM-SSH1``).
PLUGIN_NAME = "ImmutableInfrastructureChecks"
#: Where each rule is documented, relative to the repository root (shipped in the wheel too:
#: ``immutable-constructs explain IMM-SSH1`` prints a section offline).
DOCS_PATH = "docs/rules.md"


def docs_url(anchor: str = "", *, base: str | None = None) -> str:
    """A link into docs/rules.md: the one place such links are built (findings, SARIF, ``explain``).

    :param anchor: a rule id (any case, ``IMM-SSH1`` -> ``#imm-ssh1``, GitHub's anchor of its
        ``## IMM-SSH1`` heading) or another heading's anchor; empty for the whole file.
    :param base: where docs/rules.md is served instead of this release's file on GitHub
        (``immutable-constructs report --docs-url``).
    """
    anchor = anchor.strip().lower()
    if base is None:
        return doc_url(DOCS_PATH, anchor)
    return f"{base}#{anchor}" if anchor else base


#: docs/rules.md of this release, absolute (what findings and SARIF link to).
DOCS_URL = docs_url()


class Severity(StrEnum):
    """How a finding is reported; equal to the CDK's severity strings (``"error"``...).

    A rule is an ``ERROR`` (fails synth) or a ``WARNING`` (fails synth only in strict mode,
    where it is reported as an error). ``FATAL`` fails synth and no acknowledgement
    suppresses it: the pack reports a rule the platform team made not acknowledgeable
    as fatal, and a broken acknowledgement (IMM-ACK1, IMM-ACK2).
    """

    ERROR = "error"
    WARNING = "warning"
    FATAL = "fatal"

    @property
    def fails_synth(self) -> bool:
        """Whether a finding of this severity fails synth (the plugin reports failure)."""
        return self is not Severity.WARNING

    def reported(self, *, strict: bool = False, locked: bool = False) -> Severity:
        """The severity a finding of this rule severity is reported with: ``FATAL`` when its
        rule is not acknowledgeable, ``ERROR`` for a warning in strict mode, else itself."""
        if locked:
            return Severity.FATAL
        if strict and self is Severity.WARNING:
            return Severity.ERROR
        return self


@dataclass(frozen=True)
class Rule:
    """One rule: its stable id, severity, what it checks, how to fix it and the function that judges."""

    id: str
    severity: Severity
    title: str
    fix: str
    resource_types: frozenset[str]
    evaluate: Callable[[Resource, Template], Result]

    @property
    def anchor(self) -> str:
        """The section of docs/rules.md (GitHub's anchor for the heading ``## <id>``)."""
        return self.id.lower()

    @property
    def docs(self) -> str:
        """The absolute, versioned URL of the rule's section of docs/rules.md."""
        return docs_url(self.id)


def _rule(name: str, id: str | None, severity: Severity, title: str = "", fix: str = "") -> Rule:
    """The rule of ``rules/<name>.py`` (each judges one concern; imported here, by name); with id None,
    the module holds its own ``ID``, ``TITLE`` and ``FIX``."""
    module: ModuleType = import_module(f"{__package__}.rules.{name}")
    return Rule(
        id=id or module.ID,
        severity=severity,
        title=title or module.TITLE,
        fix=fix or module.FIX,
        resource_types=module.RESOURCE_TYPES,
        evaluate=module.evaluate,
    )


E, W = Severity.ERROR, Severity.WARNING

RULES: tuple[Rule, ...] = (
    _rule(
        "ssh_rdp_ingress",
        "IMM-SSH1",
        E,
        "Ingress reaches SSH (22) or RDP (3389)",
        "Remove the ingress rule; open sessions with Session Manager (SessionManagerAccess) instead.",
    ),
    _rule(
        "key_pairs",
        "IMM-SSH2",
        E,
        "EC2 key pair",
        "Remove the key pair; nobody logs in to change an immutable server.",
    ),
    _rule(
        "instance_connect",
        "IMM-SSH3",
        E,
        "EC2 Instance Connect endpoint",
        "Remove the endpoint; use Session Manager (logged, no inbound ports).",
    ),
    _rule(
        "login_enablers",
        "IMM-SSH4",
        E,
        "Image or boot script opens a login",
        "Remove the step that writes authorized_keys, turns on password or root logins or gives a user a "
        "password; open sessions with Session Manager (SessionManagerAccess) instead.",
    ),
    _rule(
        "asg_update_policy",
        "IMM-REP1",
        E,
        "Auto Scaling group without a replacing update policy",
        "Use ImmutableFleet, or set UpdatePolicy.replacing_update(), rolling_update(...) or instance_refresh(...).",
    ),
    _rule(
        "standalone_instance",
        "IMM-REP2",
        E,
        "Standalone EC2 instance (a pet)",
        "Run the server in an Auto Scaling group (ImmutableFleet) so a new image replaces it.",
    ),
    _rule(
        "in_place_deployment",
        "IMM-REP3",
        E,
        "CodeDeploy deployment group deploys in place",
        "Deploy by replacing the fleet (a new image rolled out by the group's update policy) or use BLUE_GREEN.",
    ),
    _rule(
        "shell_association",
        "IMM-REP4",
        E,
        "SSM association runs shell commands on live instances",
        "Bake the change into a new image and replace the instances.",
    ),
    _rule(
        "ecs_exec",
        "IMM-REP5",
        E,
        "ECS Exec enabled",
        "Set enable_execute_command=False; ship a new task definition revision instead.",
    ),
    _rule(
        "tainted_hosts",
        "IMM-REP6",
        W,
        "Fleet whose tainted hosts are not replaced",
        "Add the fleet to a SessionManagerAccess (access.add_fleet(fleet)) or a TaintedHostReplacement in any "
        "stack of the app; for a break-glass fleet, acknowledge IMM-REP6 on it with the reason.",
    ),
    _rule(
        "instance_lifetime",
        "IMM-REP7",
        E,
        "Auto Scaling group without a maximum instance lifetime of at most 365 days",
        "Use ImmutableFleet (14 days by default) or set max_instance_lifetime=Duration.days(N), 1 <= N <= 365.",
    ),
    _rule(
        "unqualified_invocation",
        "IMM-REP8",
        W,
        "Caller invokes a versioned Lambda function unqualified or `$LATEST`",
        "Invoke the alias (VersionedFunction: add_event_source, grant_invoke, add_function_url, or pass "
        "versioned.alias wherever a function is expected), never the function itself or $LATEST.",
    ),
    _rule(
        "alias_without_deployment",
        "IMM-REP9",
        W,
        "Lambda alias moved without a CodeDeploy deployment group",
        "Release through VersionedFunction, or give the alias a codedeploy.LambdaDeploymentGroup (canary or "
        "linear, with alarms and automatic rollback).",
    ),
    _rule("ecs_rolling_without_rollback", None, W),
    _rule("writable_root_filesystem", None, E),
    _rule(
        "container_image_tag",
        "IMM-IMG1",
        E,
        "Container image tagged `latest` or untagged",
        "Name the image by a version tag or digest (ContainerImage.from_ecr_repository(repo, tag='1.4.2')).",
    ),
    _rule(
        "ecr_tag_mutability",
        "IMM-IMG2",
        W,
        "ECR repository with mutable tags",
        "Set image_tag_mutability=ecr.TagMutability.IMMUTABLE.",
    ),
    _rule(
        "unversioned_ami",
        "IMM-IMG3",
        E,
        "AMI resolved from an unversioned SSM parameter",
        "Pin the parameter version: PinnedSsmImage('/images/web/stable', version=N).",
    ),
    _rule("trial_image", None, W),
    _rule("unpinned_container_image", None, W),
    _rule(
        "user_data_secrets",
        "IMM-SEC1",
        E,
        "Secret in user data",
        "Read the secret at run time (Secrets Manager or SSM SecureString) and grant the instance role access.",
    ),
    _rule(
        "component_secrets",
        "IMM-SEC2",
        E,
        "Secret in an Image Builder component document",
        "Read the secret at build time from Secrets Manager; never write it into the document or the image.",
    ),
    _rule(
        "environment_secrets",
        "IMM-SEC3",
        E,
        "Secret in a plain environment variable",
        "Pass it through `secrets` (ecs.Secret.from_secrets_manager) or read it from SSM/Secrets Manager.",
    ),
    _rule(
        "imdsv2",
        "IMM-HYG1",
        E,
        "IMDSv2 not required",
        "Set MetadataOptions.HttpTokens to required (require_imdsv2=True).",
    ),
    _rule(
        "ebs_encryption",
        "IMM-HYG2",
        E,
        "Unencrypted EBS volume",
        "Map every EBS volume, the root volume included, with encrypted=True.",
    ),
    _rule(
        "auto_scaling_key_policy",
        "IMM-DEP1",
        E,
        "Key encrypts volumes Auto Scaling launches, without a grant for its service-linked role",
        "Let AWSServiceRoleForAutoScaling use the key and create grants (kms:CreateGrant with "
        "kms:GrantIsForAWSResource), by ARN or as principal * narrowed by an aws:PrincipalArn condition.",
    ),
    _rule(
        "service_linked_role_principal",
        "IMM-DEP2",
        E,
        "Policy names a service-linked role that may not exist yet",
        "Name the role through an aws:PrincipalArn condition (principal * with aws:PrincipalAccount), or create "
        "it (AWS::IAM::ServiceLinkedRole) and make the resource DependsOn it.",
    ),
    _rule(
        "image_builder_parameter_writer",
        "IMM-DEP3",
        E,
        "Image Builder pipeline writes SSM parameters without an execution role allowed to",
        "Give the pipeline an ExecutionRole whose policy allows ssm:PutParameter on each parameter its "
        "distribution writes.",
    ),
    _rule(
        "parameter_written_later",
        "IMM-DEP4",
        E,
        "Dynamic reference to an SSM parameter the same stack writes only after an image build",
        "Deploy the image pipeline in its own stack first; pin the parameter in a stack deployed after a build.",
    ),
    _rule(
        "custom_resource_timeout",
        "IMM-DEP5",
        E,
        "Custom resource provider can wait as long as CloudFormation's timeout",
        "Lower the Provider's total_timeout (or query_interval x attempts) below the custom resource's "
        "ServiceTimeout (default 3600 s), with margin.",
    ),
    _rule(
        "agent_endpoints",
        "IMM-DEP6",
        E,
        "CloudWatch agent on hosts without a route to an API it calls",
        "Add interface endpoints with private DNS (ssm, logs, monitoring; ec2 for EC2-tag dimensions) to the "
        "VPC, or drop ${aws:AutoScalingGroupName} from the agent's append_dimensions.",
    ),
    _rule(
        "rollback_alarm_missing_data",
        "IMM-DEP7",
        E,
        "Release rolls back on an alarm that treats missing data as breaching",
        "Roll back on alarms whose missing data does not breach (notBreaching, missing or ignore); keep an "
        "alarm on silence for paging only.",
    ),
    _rule(
        "image_builder_volume_key",
        "IMM-DEP8",
        E,
        "Image Builder recipe encrypts volumes with a key its pipeline's execution role may not use",
        "Allow the execution role kms:CreateGrant (with kms:GrantIsForAWSResource), Decrypt, DescribeKey, "
        "GenerateDataKeyWithoutPlaintext and ReEncrypt* on the key, through ec2.<region>.amazonaws.com.",
    ),
    _rule("release_without_bake", None, E),
    _rule(
        "predicted_failures",
        "IMM-FAIL1",
        E,
        "The library predicts that the deploy or every launch fails",
        "Do what the finding says; if the prediction does not hold here (the imported key's policy already "
        "allows it), acknowledge IMM-FAIL1 on the construct with the reason.",
    ),
    _rule(
        "read_everything_role",
        "IMM-PRIV1",
        E,
        "Role a service assumes has an AWS managed policy that reads or does everything",
        "Replace ReadOnlyAccess/AdministratorAccess/PowerUserAccess with statements for what the job needs "
        "(for drift detection, StackDriftAlarm's own role).",
    ),
    _rule(
        "unbound_run_instances",
        "IMM-PRIV2",
        E,
        "ec2:RunInstances not bound to a launch template",
        "Allow RunInstances on the launch template's ARN and on every other resource only with an "
        "ec2:LaunchTemplate condition naming that template.",
    ),
    _rule(
        "unconditioned_service_trust",
        "IMM-PRIV3",
        W,
        "Role a service assumes for your resources, trusted without aws:SourceAccount or aws:SourceArn",
        "Add aws:SourceAccount (and aws:SourceArn) naming your account and resources to the trust statement "
        "(for VPC flow logs, a role of your own: FlowLogDestination.to_cloud_watch_logs(iam_role=...)).",
    ),
    _rule(
        "instance_writes_catalog",
        "IMM-PRIV4",
        E,
        "Instance role may write the AMI catalog",
        "Remove ssm:PutParameter on the catalog's parameters (/images/*) from the instance role; only the image "
        "pipeline's distribution and the promotion function write channels.",
    ),
)


# Defined after Severity and docs_url, which they use (a module of their own keeps this one small).
from ._ack_rules import ACKNOWLEDGEMENT_RULES, AcknowledgementRule  # noqa: E402

_BY_ID = {r.id: r for r in RULES}
_DESCRIBED: dict[str, Rule | AcknowledgementRule] = {**_BY_ID, **{r.id: r for r in ACKNOWLEDGEMENT_RULES}}


def rule(rule_id: str) -> Rule:
    """The rule with id ``rule_id`` (KeyError if there is none)."""
    return _BY_ID[rule_id]


def describe(rule_id: str) -> Rule | AcknowledgementRule:
    """The rule or acknowledgement check with id ``rule_id`` (KeyError if there is none)."""
    return _DESCRIBED[rule_id]
