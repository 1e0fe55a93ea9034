"""FleetHealthCheck: the application check a new instance must pass before it counts as released.

A value object that checks itself (its factories raise on wrong types) and renders itself as
user data lines. Both fleets use it: :class:`ImmutableFleet` runs it before ``cfn-signal``,
:class:`BlueGreenFleet` in CodeDeploy's ``ValidateService`` hook.
"""

from __future__ import annotations

import shlex
import urllib.parse
from dataclasses import dataclass
from typing import Literal

from aws_cdk import Duration

from .._private.props import Rule, checked, checked_class, checked_types, duration_problem
from .._private.props_text import whole_text
from .._private.validation import Problems, is_unresolved

__all__ = ["FleetHealthCheck"]

_DEFAULT_TIMEOUT = Duration.minutes(10)
_DEFAULT_INTERVAL = Duration.seconds(5)
_URL = r"https?://[^\s/?#]+[^\s]*"


def human(value: object) -> object:
    """A Duration as text for a repr or a message (``10 minutes``), anything else as is."""
    if isinstance(value, Duration):
        try:
            return value.to_human_string()
        except Exception:  # a token duration
            return "a Duration token"
    return value


@checked_class()
@dataclass(frozen=True)
class FleetHealthCheck:
    """The application check an instance must pass before it signals success to CloudFormation.

    Build one with :meth:`http` or :meth:`command`. The check runs at the end of user
    data and is retried every ``interval`` until it passes or ``timeout`` runs out;
    the instance then signals success (exit code 0) or failure.
    """

    kind: Literal["http", "command"]
    target: str
    timeout: Duration
    interval: Duration

    @classmethod
    @checked_types()
    def http(cls, url: str, *, timeout: Duration | None = None, interval: Duration | None = None) -> FleetHealthCheck:
        """Pass when ``curl -fsS URL`` succeeds (any 2xx/3xx status), e.g. ``http://localhost:8080/health``.

        :param timeout: how long to keep trying. Default: 10 minutes; shorter than the fleet's ``signal_timeout``.
        :param interval: wait between tries. Default: 5 seconds.
        """
        return cls._checked("http", url, timeout, interval)

    @classmethod
    @checked_types()
    def command(
        cls, command: str, *, timeout: Duration | None = None, interval: Duration | None = None
    ) -> FleetHealthCheck:
        """Pass when the shell command exits 0, e.g. ``systemctl is-active --quiet app``.

        :param timeout: how long to keep trying. Default: 10 minutes; shorter than the fleet's ``signal_timeout``.
        :param interval: wait between tries. Default: 5 seconds.
        """
        return cls._checked("command", command, timeout, interval)

    @classmethod
    def _checked(
        cls, kind: Literal["http", "command"], target: str, timeout: Duration | None, interval: Duration | None
    ) -> FleetHealthCheck:
        check = cls(kind, target, timeout or _DEFAULT_TIMEOUT, interval or _DEFAULT_INTERVAL)
        # Wrong types fail here; the URL's or command's value is checked by the fleet, which has a path.
        problems = Problems(f"FleetHealthCheck.{kind}")
        check._check_types(problems, prefix="")
        problems.raise_if_any()
        return check

    def _target_prop(self) -> str:
        return "url" if self.kind == "http" else "command"

    def _check_types(self, problems: Problems, *, prefix: str) -> None:
        """The types of the target, timeout and interval (props named ``<prefix>url`` and so on)."""
        problems.instance(f"{prefix}{self._target_prop()}", self.target, str, what="a string", fix="pass a string")
        problems.duration(f"{prefix}timeout", self.timeout)
        problems.duration(f"{prefix}interval", self.interval, fix="use e.g. Duration.seconds(5)")

    def _check_values(self, problems: Problems, *, prefix: str) -> None:
        """The URL (full match, with a scheme) or the command (not blank), and the interval (at least
        1 second: ``sleep`` gets whole seconds); run by the fleet, which has a path."""
        try:
            interval_s: float | None = float(self.interval.to_milliseconds()) / 1000
        except Exception:  # a token duration: skip the check
            interval_s = None
        for name, duration in (("timeout", self.timeout), ("interval", self.interval)):
            problem = duration_problem(duration, Rule(low=1))  # the script counts whole seconds
            if problem is not None and not (name == "interval" and interval_s is not None and interval_s < 1):
                problems.add(f"{prefix}{name}", duration, problem, "use whole seconds, e.g. Duration.seconds(5)")
        if interval_s is not None:
            problems.require(
                interval_s >= 1,
                f"{prefix}interval",
                self.interval.to_human_string(),
                "must be at least 1 second",
                "e.g. Duration.seconds(5)",
            )
        if self.kind == "http":
            if problems.text(
                f"{prefix}url",
                self.target,
                pattern=_URL,
                what="an http(s) URL",
                fix="use e.g. 'http://localhost:8080/health'",
            ) and not is_unresolved(self.target):
                problems.require(
                    _port_ok(self.target), f"{prefix}url", self.target, "has a port outside 1-65535", "fix the port"
                )
        elif problems.text(
            f"{prefix}command",
            self.target,
            what="a shell command",
            fix="pass a shell command that exits 0 when the application is healthy",
        ) and not is_unresolved(self.target):
            reason = _command_problem(self.target)
            if reason is not None:
                problems.add(f"{prefix}command", self.target, reason, "pass one shell command line that parses alone")

    def __repr__(self) -> str:
        return (
            f"FleetHealthCheck(kind={self.kind!r}, target={self.target!r}, "
            f"timeout={human(self.timeout)!r}, interval={human(self.interval)!r})"
        )

    @checked()
    def render(self) -> list[str]:
        """The user data lines that run the check; the script exits 1 (signalling failure) when it never passes.

        When the check passes, the script goes on: commands added to the user data later run
        after the check, and the signal reports the script's final exit code.
        """
        timeout = whole_text(self.timeout)
        interval = whole_text(self.interval)
        if self.kind == "http":
            probe = f"curl -fsS -o /dev/null --max-time 5 {shlex.quote(self.target)}"
        else:
            probe = f"( {self.target} )"
        return [
            "# immutable-constructs: signal success only once the application is healthy",
            f"ic_deadline=$((SECONDS + {timeout}))",
            f"until {probe}; do",
            '  if [ "$SECONDS" -ge "$ic_deadline" ]; then',
            f"    echo {shlex.quote(f'health check failed for {timeout}s: {self.target}')} >&2",
            "    exit 1",
            "  fi",
            f"  sleep {interval}",
            "done",
        ]


def _port_ok(url: str) -> bool:
    """curl refuses a port outside 1-65535 (``http://localhost:99999/``), so the check could never pass."""
    try:
        port = urllib.parse.urlsplit(url).port
    except ValueError:
        return False
    return port is None or 1 <= port <= 65535


def _command_problem(command: str) -> str | None:
    """What breaks the generated ``until ( <command> ); do`` line: an unbalanced quote, a comment
    (it swallows the closing parenthesis), a line break."""
    try:
        words = shlex.split(command)
        without_comments = shlex.split(command, comments=True)
    except ValueError as error:
        return f"is not one shell command line ({error})"
    if words != without_comments:
        return "ends in a '#' comment, which would swallow the generated script's closing parenthesis"
    if "\n" in command.strip() or "\r" in command:
        return "spans several lines; the check runs it inside one line of user data"
    return None
