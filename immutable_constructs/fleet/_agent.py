"""The CloudWatch agent of a fleet: its configuration in an SSM parameter, and the user data that starts it.

Every host ships its system logs and the application logs the fleet names to the fleet's log group
(one stream per instance and file: ``<instance id>/<file path>``), and its memory, disk and CPU use
to the fleet's metric namespace, so nobody needs to log in to see what a host did.

AWS sources:

* CloudWatch User Guide, "Manually create or edit the CloudWatch agent configuration file"
  (sections ``agent``, ``metrics``: ``namespace``, ``append_dimensions``, ``aggregation_dimensions``
  where ``[]`` rolls every metric up into one series without dimensions, ``metrics_collected``;
  ``logs``: ``collect_list`` entries with ``file_path``, ``log_group_name``, ``log_stream_name`` and
  its ``{instance_id}`` placeholder);
* CloudWatch User Guide, "Start the CloudWatch agent using the command line":
  ``amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c ssm:<parameter name>`` reads the
  configuration from Parameter Store (the instance role needs ``ssm:GetParameter`` on it) and starts
  the agent;
* the agent's source, ``plugins/processors/ec2tagger/ec2tagger.go`` (aws/amazon-cloudwatch-agent):
  ``append_dimensions`` from instance metadata (``InstanceId``, ``ImageId``, ``InstanceType``) come
  from IMDS; any EC2 tag (``AutoScalingGroupName`` is the tag ``aws:autoscaling:groupName``) makes
  ``Start`` call ``ec2:DescribeTags`` in a retry loop, and ``processMetrics`` returns no metrics until
  that first call succeeded (``started``). With no tag key the tagger starts at once;
* CloudWatch User Guide, "Create IAM roles and users for use with the CloudWatch agent"
  (``CloudWatchAgentServerPolicy``: ``cloudwatch:PutMetricData``, ``ec2:DescribeTags``,
  ``ec2:DescribeVolumes``, ``logs:CreateLogStream``/``PutLogEvents``/``DescribeLogStreams``,
  ``ssm:GetParameter``), scoped here to the fleet's own log group, namespace and parameter.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from aws_cdk import CfnElement, Names, Stack, Token
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from .._private.content_hash import content_hash
from .._private.validation import Problems, is_unresolved

#: Where the agent's control script lives (the RPM of the agent and the Image Builder component install it there).
AGENT_CTL = "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl"

#: Namespaces of fleets that do not name one: ``ImmutableConstructs/<the fleet's unique id>``.
NAMESPACE_PREFIX = "ImmutableConstructs/"

#: System logs every fleet ships, as the images of ``GoldenImagePipeline`` write them: Amazon Linux 2023
#: logs to the systemd journal only, and the pipeline's ``system-journal-to-messages`` component
#: (images/_recipe.py) installs rsyslog so the journal reaches ``/var/log/messages``. On an image without
#: rsyslog (a stock AL2023 AMI) that file never exists; the agent skips a missing file until it appears.
SYSTEM_LOGS = (
    "/var/log/messages",
    "/var/log/cloud-init.log",
    "/var/log/cloud-init-output.log",
    "/var/log/amazon/ssm/amazon-ssm-agent.log",
    "/opt/aws/amazon-cloudwatch-agent/logs/amazon-cloudwatch-agent.log",
)

#: The CodeDeploy agent's logs (a BlueGreenFleet's hosts run it).
CODEDEPLOY_LOGS = (
    "/var/log/aws/codedeploy-agent/codedeploy-agent.log",
    "/opt/codedeploy-agent/deployment-root/deployment-logs/codedeploy-agent-deployments.log",
)

#: ``append_dimensions`` values the agent resolves through ``ec2:DescribeTags`` (EC2 tags, not metadata):
#: an agent configured with one of them publishes nothing until the EC2 API answers once.
APPENDED_DIMENSIONS_NEEDING_EC2 = ("${aws:AutoScalingGroupName}",)

#: The agent metrics in the fleet's namespace (rolled up without dimensions, and per instance).
MEMORY_METRIC = "mem_used_percent"
DISK_METRIC = "disk_used_percent"
CPU_METRIC = "cpu_usage_active"

_LOG_PATH = re.compile(r"/[^\s'\"`\\$;&|<>]+")
_NAMESPACE = re.compile(r"[0-9A-Za-z._/#: -]+")
_STANDARD_TIER_BYTES = 4096
_ADVANCED_TIER_BYTES = 8192
_LOG_PATH_MAX = 4096


def default_namespace(scope: Construct) -> str:
    """``ImmutableConstructs/<unique id of the fleet>``: one namespace per fleet, at most 255 characters."""
    return (NAMESPACE_PREFIX + Names.unique_id(scope))[:255]


def check_log_paths(problems: Problems, log_paths: object) -> None:
    """``log_paths``: a list of absolute file paths (globs allowed), no whitespace, quotes or shell characters."""
    if log_paths is None or not problems.sequence("log_paths", log_paths, item="absolute file paths"):
        return
    assert isinstance(log_paths, (list, tuple))
    seen: set[str] = set()
    for index, path in enumerate(log_paths):
        prop = f"log_paths[{index}]"
        if is_unresolved(path):
            problems.add(prop, path, "is a deploy-time token", "pass the path as a plain string")
        elif not isinstance(path, str):
            problems.add(prop, path, "must be a string", "pass an absolute path, e.g. '/var/log/nginx/access.log'")
        elif len(path) > _LOG_PATH_MAX or _LOG_PATH.fullmatch(path) is None or "/../" in f"{path}/":
            problems.add(
                prop,
                path,
                "is not an absolute file path without whitespace, quotes, '..' or shell characters",
                "pass an absolute path such as '/var/log/nginx/access.log' (a * glob is allowed)",
            )
        elif path in seen or path in SYSTEM_LOGS or path in CODEDEPLOY_LOGS:
            problems.add(prop, path, "is listed twice (or is a system log every fleet ships)", "list each file once")
        else:
            seen.add(path)


def check_namespace(problems: Problems, namespace: object) -> None:
    """``metrics_namespace``: CloudWatch's characters, at most 255, not ``AWS/...``."""
    if namespace is None or is_unresolved(namespace):
        return
    if problems.text(
        "metrics_namespace",
        namespace,
        pattern=_NAMESPACE,
        max_length=255,
        what="a CloudWatch namespace (letters, digits and . - _ / # : space)",
        fix="use e.g. 'MyApp/Web'",
    ):
        assert isinstance(namespace, str)
        problems.require(
            not namespace.startswith("AWS/"),
            "metrics_namespace",
            namespace,
            "starts with 'AWS/', which CloudWatch reserves for AWS services",
            "use your own prefix, e.g. 'MyApp/Web'",
        )


def stream_name(path: str) -> str:
    """``{instance_id}<path>``: one stream per instance and file (``*`` and ``:`` are not allowed in stream names)."""
    return "{instance_id}" + path.replace("*", "_").replace(":", "_")


def agent_config(
    *, log_group_name: str, namespace: str, log_paths: Sequence[str], extra_system_logs: Sequence[str] = ()
) -> dict[str, Any]:
    """The CloudWatch agent configuration (a JSON document; ``log_group_name`` may be a token)."""
    files = [*SYSTEM_LOGS, *extra_system_logs, *log_paths]
    return {
        "agent": {"metrics_collection_interval": 60, "run_as_user": "root"},
        "logs": {
            "logs_collected": {
                "files": {
                    "collect_list": [
                        {"file_path": path, "log_group_name": log_group_name, "log_stream_name": stream_name(path)}
                        for path in files
                    ]
                }
            },
        },
        "metrics": {
            "namespace": namespace,
            # InstanceId only: the agent reads it from the instance metadata. ``${aws:AutoScalingGroupName}``
            # would make it call ec2:DescribeTags and drop every metric until that call succeeds
            # (APPENDED_DIMENSIONS_NEEDING_EC2), which never happens in subnets without a route or an
            # ec2 endpoint; no alarm or dashboard reads a per-group series (they read the roll-up below).
            "append_dimensions": {"InstanceId": "${aws:InstanceId}"},
            # [] rolls every metric up into one series without dimensions: the fleet's own, whichever
            # Auto Scaling group (blue or green) its instances belong to. The alarms and dashboard read it.
            "aggregation_dimensions": [[]],
            "metrics_collected": {
                "mem": {"measurement": ["mem_used_percent"]},
                "disk": {"measurement": ["used_percent"], "resources": ["/"], "drop_device": True},
                "cpu": {"measurement": ["usage_active"], "totalcpu": True},
            },
        },
    }


def agent_parameter(scope: Construct, config: dict[str, Any], *, log_group_name_bound: int) -> ssm.StringParameter:
    """The String parameter (id AgentConfig) holding ``config``: Standard tier (4 KB) when it fits, else Advanced.

    The log group name is a token here; ``log_group_name_bound`` is the longest it can resolve to.
    A configuration over 8 KB (the Advanced tier's limit) is one ValidationError naming ``log_paths``.
    """
    files = config["logs"]["logs_collected"]["files"]["collect_list"]
    worst = {**config, "logs": {"logs_collected": {"files": {"collect_list": [
        {**entry, "log_group_name": "x" * log_group_name_bound} for entry in files
    ]}}}}  # fmt: skip
    size = len(json.dumps(worst, separators=(",", ":")).encode())
    if size > _ADVANCED_TIER_BYTES:
        problems = Problems(scope)
        problems.add(
            "log_paths",
            f"{len(files)} files",
            f"make the CloudWatch agent configuration up to {size} bytes, more than the {_ADVANCED_TIER_BYTES} "
            "an SSM parameter holds",
            "ship a directory with one glob (e.g. '/var/log/app/*.log') instead of each file",
        )
        problems.raise_if_any()
    return ssm.StringParameter(
        scope,
        "AgentConfig",
        string_value=Stack.of(scope).to_json_string(config),
        tier=ssm.ParameterTier.STANDARD if size <= _STANDARD_TIER_BYTES else ssm.ParameterTier.ADVANCED,
        description=f"CloudWatch agent configuration of the fleet {scope.node.path}"[:1024],
    )


def log_group_name_bound(log_group: logs.ILogGroup) -> int:
    """The longest name CloudFormation can generate for the fleet's log group: ``<stack>-<logical id>-<suffix>``.

    CloudFormation names an unnamed resource after the stack and the logical id with a random suffix
    (shortening them when the whole is too long), so their lengths plus a margin bound it.
    """
    stack = Stack.of(log_group)
    element = log_group.node.default_child
    if not isinstance(element, CfnElement) or Token.is_unresolved(stack.stack_name):
        return 512  # a log group name's limit
    return min(512, len(stack.stack_name) + len(str(stack.resolve(element.logical_id))) + 20)


def start_agent_commands(stack: Stack, parameter: ssm.IStringParameter, config: dict[str, Any]) -> list[str]:
    """User data that starts the agent from the parameter, and fails the boot when the agent is missing.

    The configuration's hash is part of the user data, so a changed configuration makes a new launch
    template version and reaches every host by replacement, never by an edit on a running host.
    """
    digest = content_hash(stack.resolve(config))
    name = parameter.parameter_name
    return [
        f"# immutable-constructs: CloudWatch agent configuration sha256 {digest}",
        f"if [ ! -x {AGENT_CTL} ]; then",
        "  echo 'immutable-constructs: the CloudWatch agent is not installed; bake it into the image "
        "(GoldenImagePipeline installs amazon-cloudwatch-agent-linux by default)' >&2",
        "  exit 1",
        "fi",
        f"{AGENT_CTL} -a fetch-config -m ec2 -s -c ssm:{name} || {{ "
        "echo 'immutable-constructs: the CloudWatch agent did not start' >&2; exit 1; }",
    ]


def add_agent(
    scope: Construct,
    user_data: ec2.UserData,
    *,
    log_group: logs.ILogGroup,
    namespace: str,
    log_paths: Sequence[str],
    extra_system_logs: Sequence[str] = (),
) -> ssm.StringParameter:
    """Write the configuration parameter and add the start commands to ``user_data``; returns the parameter."""
    config = agent_config(
        log_group_name=log_group.log_group_name,
        namespace=namespace,
        log_paths=log_paths,
        extra_system_logs=extra_system_logs,
    )
    parameter = agent_parameter(scope, config, log_group_name_bound=log_group_name_bound(log_group))
    user_data.add_commands(*start_agent_commands(Stack.of(scope), parameter, config))
    return parameter
