"""The checks of a :class:`ReleasePipeline`'s waves and image pins, all collected into one ValidationError."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from aws_cdk import Token
from constructs import Construct

from .._private.props import Rule, duration_problem
from .._private.validation import Problems
from .wave import ReleaseWave

#: CodePipeline stage names: [A-Za-z0-9.@\-_]+, at most 100 characters (API Reference, StageDeclaration).
STAGE_NAME = r"[A-Za-z0-9.@\-_]{1,60}"
#: CodePipeline's DeploymentWindow cron: six fields and an optional year (rule reference "DeploymentWindow").
_CRON_FIELD = r"[0-9A-Za-z*?/,#L\-]+"
_BAKE = Rule(whole="minutes", low=60, high=86400)


def check_waves(problems: Problems, waves: Sequence[ReleaseWave]) -> None:
    """Names unique and valid, environments literal and each released once, bake times, windows."""
    if not waves:
        problems.add("waves", [], "is empty", "list at least one ReleaseWave, e.g. a canary and production")
    names: set[str] = set()
    seen: dict[tuple[str, str], str] = {}
    for index, wave in enumerate(waves):
        prop = f"waves[{index}]"
        if re.fullmatch(STAGE_NAME, wave.name) is None:
            problems.add(f"{prop}.name", wave.name, f"does not match {STAGE_NAME}", "use letters, digits, .@-_")
        elif wave.name in names:
            problems.add(f"{prop}.name", wave.name, "names another wave too", "give every wave its own name")
        names.add(wave.name)
        if not wave.environments:
            problems.add(f"{prop}.environments", [], "is empty", "list the wave's environments (account x region)")
        for n, env in enumerate(wave.environments):
            key = _check_environment(problems, f"{prop}.environments[{n}]", env.account, env.region)
            if key is not None and key in seen:
                problems.add(
                    f"{prop}.environments[{n}]",
                    "/".join(key),
                    f"is released by wave {seen[key]!r} already",
                    "release each account and region in one wave only",
                )
            elif key is not None:
                seen[key] = wave.name
        reason = duration_problem(wave.bake_time, _BAKE)
        if reason is not None:
            problems.add(f"{prop}.bake_time", wave.bake_time, reason, "use Duration.minutes(N), 1 <= N <= 1440")
        _check_window(problems, prop, wave)


def _check_environment(problems: Problems, prop: str, account: object, region: object) -> tuple[str, str] | None:
    ok = True
    for name, value, fix in (
        ("account", account, "give the 12-digit account id, e.g. '111111111111' (no lookups: no token)"),
        ("region", region, "give the region, e.g. 'eu-west-1'"),
    ):
        if not isinstance(value, str) or Token.is_unresolved(value):
            problems.add(f"{prop}.{name}", value, "must be a literal: the pipeline deploys to a known place", fix)
            ok = False
    if ok:
        ok = problems.account_id(f"{prop}.account", account) & problems.region(f"{prop}.region", region)
    return (str(account), str(region)) if ok else None


def _check_window(problems: Problems, prop: str, wave: ReleaseWave) -> None:
    cron, zone = wave.window_cron, wave.window_time_zone
    if cron is not None:
        fields = cron.split()
        if len(fields) not in (6, 7) or any(re.fullmatch(_CRON_FIELD, f) is None for f in fields):
            problems.add(
                f"{prop}.window_cron",
                cron,
                "is not a CodePipeline cron expression (six fields and an optional year)",
                "use seconds minutes hours day-of-month month day-of-week [year], e.g. '* 8-16 ? * MON-THU *'",
            )
    if zone is not None:
        if cron is None:
            problems.add(f"{prop}.window_time_zone", zone, "is set without window_cron", "set window_cron too")
        else:
            problems.time_zone(f"{prop}.window_time_zone", zone)


def read_pins(scope: Construct, problems: Problems, lines: Sequence[str], channel: str) -> Mapping[str, int]:
    """The pinned version of each image line, read once from the context key ``images.<line>.<channel>``."""
    from ..images import AmiCatalog

    pins: dict[str, int] = {}
    for line in lines:
        key = AmiCatalog.context_key(line, channel)
        raw = scope.node.try_get_context(key)
        if isinstance(raw, bool) or re.fullmatch(r"[1-9][0-9]*", str(raw)) is None:
            problems.add(
                "image_lines",
                line,
                f"no image pin: the context value {key!r} is {raw!r}, not a version",
                f'add "{key}": N to the "context" object of the app\'s cdk.json and commit it (a new pin is a '
                "new release)",
            )
            continue
        pins[line] = int(str(raw))
    return pins
