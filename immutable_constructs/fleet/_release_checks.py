"""The checks only a :class:`BlueGreenFleet` has: a release (launch and validate green, wait for an
operator, move traffic, wait before terminating blue) must fit in the one hour CloudFormation
gives a custom resource, and CodeDeploy's own limits.
"""

from __future__ import annotations

from aws_cdk import Duration

from .._private.validation import Problems
from ._checks import seconds
from .health import FleetHealthCheck, human

# CloudFormation fails a custom resource that has not answered within 1 hour with a generic timeout. The
# provider's waiter must give up first, with margin for the last poll and the response, so the operator
# sees the handler's own message (CloudFormation User Guide, "Custom resources": 1 hour limit).
MAX_DEPLOYMENT_TIMEOUT = Duration.minutes(50)
_MAX_ALARMS = 10  # CodeDeploy's limit per deployment group
_PROVISIONING_ALLOWANCE_MIN = 20  # green group launch + validation + reroute, before the termination wait


def check_release(
    problems: Problems,
    *,
    termination_wait: Duration,
    keep_old_fleet: bool,
    manual_reroute_wait: Duration | None,
    timeout: Duration,
    alarm_count: int,
    health_check: FleetHealthCheck | None,
    standard_alarm_count: int = 3,
) -> None:
    """Record the problems of the release timing (it must fit in one custom resource call) and CodeDeploy's limits."""
    timeout_s = seconds(timeout)
    if timeout_s is not None:
        problems.require(
            300 <= timeout_s <= MAX_DEPLOYMENT_TIMEOUT.to_seconds(),
            "deployment_timeout",
            timeout.to_human_string(),
            "must be from 5 to 50 minutes (CloudFormation gives a custom resource at most 1 hour; the "
            "waiter stops 10 minutes earlier so its own error message reaches the stack events)",
            "use at most Duration.minutes(50)",
        )
    wait_s = seconds(termination_wait)
    if wait_s is not None:
        problems.require(
            0 <= wait_s <= 2 * 86400 and wait_s % 60 == 0,
            "termination_wait",
            termination_wait.to_human_string(),
            "must be whole minutes from 0 to 2 days (CodeDeploy's limit)",
            "e.g. Duration.minutes(5)",
        )
        if timeout_s is not None and not keep_old_fleet:
            problems.require(
                wait_s + _PROVISIONING_ALLOWANCE_MIN * 60 <= timeout_s,
                "termination_wait",
                termination_wait.to_human_string(),
                f"plus {_PROVISIONING_ALLOWANCE_MIN} minutes to launch and validate the green fleet exceeds "
                f"deployment_timeout ({timeout.to_human_string()}), so the stack would fail every release",
                "shorten termination_wait, or keep_old_fleet=True to end the deployment when traffic has moved",
            )
    if manual_reroute_wait is not None:
        ready_s = seconds(manual_reroute_wait)
        if ready_s is not None:
            problems.require(
                60 <= ready_s <= 2 * 86400 and ready_s % 60 == 0,
                "manual_reroute_wait",
                manual_reroute_wait.to_human_string(),
                "must be whole minutes from 1 minute to 2 days (CodeDeploy's limit)",
                "e.g. Duration.minutes(15), or leave it unset to move traffic automatically",
            )
            if timeout_s is not None:
                problems.require(
                    ready_s + _PROVISIONING_ALLOWANCE_MIN * 60 <= timeout_s,
                    "manual_reroute_wait",
                    manual_reroute_wait.to_human_string(),
                    f"plus {_PROVISIONING_ALLOWANCE_MIN} minutes exceeds deployment_timeout "
                    f"({timeout.to_human_string()})",
                    "shorten it so an operator's approval fits in the stack update",
                )
    ready_total = seconds(manual_reroute_wait) if manual_reroute_wait is not None else 0
    if timeout_s is not None and wait_s is not None and ready_total is not None and not keep_old_fleet:
        # One deployment runs both waits in sequence: launch and validate green, wait for the operator
        # to reroute, move traffic, wait before terminating blue. All of it must fit in the waiter.
        total_s = _PROVISIONING_ALLOWANCE_MIN * 60 + ready_total + wait_s
        problems.require(
            ready_total == 0 or wait_s == 0 or total_s <= timeout_s,
            "termination_wait",
            termination_wait.to_human_string(),
            f"plus manual_reroute_wait ({human(manual_reroute_wait or 'none')}) plus {_PROVISIONING_ALLOWANCE_MIN} "
            f"minutes to launch and validate the green fleet is {int(total_s // 60)} minutes, more than "
            f"deployment_timeout ({timeout.to_human_string()}); CloudFormation gives a custom resource at "
            "most 1 hour",
            "shorten termination_wait or manual_reroute_wait, or keep_old_fleet=True",
        )
    problems.require(
        alarm_count + standard_alarm_count <= _MAX_ALARMS,
        "alarms",
        f"{alarm_count} alarms",
        f"plus the {standard_alarm_count} standard alarms exceed CodeDeploy's limit of {_MAX_ALARMS} per "
        "deployment group",
        "combine alarms with a CompositeAlarm, or pass alarm_options=FleetAlarmOptions(rollback=False)",
    )
    if health_check is not None:
        hc_s = seconds(health_check.timeout)
        problems.require(
            hc_s is None or 0 < hc_s < 3600,
            "health_check.timeout",
            health_check.timeout.to_human_string(),
            "must be shorter than 1 hour, the ValidateService hook's timeout",
            "lower the health check timeout",
        )
