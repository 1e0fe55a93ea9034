#!/usr/bin/env python3
"""How much synth time ImmutableInfrastructureChecks adds, against AwsSolutionsChecks, on one generated app.

One process, one run: the same generated app (``--units`` x ~10 resources; 1100 by default)
is built and synthesized with no policy plugin, with AwsSolutionsChecks and with
ImmutableInfrastructureChecks, in ``--rounds`` interleaved rounds. Each plugin's cost is its
synth time minus the baseline's in the same round, and the median over rounds counts (the
machine is shared: the fastest synth of each kind, as before, made a ratio of two differences
of minima that swung from 0.4 to 1.7 between runs of one commit). The time spent inside our
plugin's ``validate`` is measured directly as well (fastest round).
The CDK's built-in "CloudFormation Validate" plugin is off (``CDK_VALIDATION=false``) so
only the two packs are compared. Both packs report findings on this app (a failing synth's
report formatting is part of what each pack costs). Bar: ours / AwsSolutions <= 1.0, ours < 1 s,
and the time inside our validate() < 0.25 s per 1,000 resources (issue 22).

    python benchmarks/rule_pack.py            # make bench
    python benchmarks/rule_pack.py --units 5  # a quick smoke run
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ["CDK_VALIDATION"] = "false"
os.environ["CDK_APP_MODE"] = "inmemory"  # a failing synth raises with its report instead of printing it
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout, installed or not

from aws_cdk import App, Duration, Stack, Validations
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_sqs as sqs
from cdk_nag import AwsSolutionsChecks

from immutable_constructs import PinnedSsmImage
from immutable_constructs.nag import ImmutableInfrastructureChecks

#: The pack's overhead per 1,000 resources must stay under this (issue 22).
PER_THOUSAND_BAR = 0.25
#: Stacks hold at most this many units, so no template nears CloudFormation's 500-resource limit.
UNITS_PER_STACK = 40


class TimedChecks(ImmutableInfrastructureChecks):
    """The pack, recording how long each ``validate`` call took."""

    spent: float = 0.0

    def validate(self, context: Any) -> Any:
        start = time.perf_counter()
        try:
            return super().validate(context)
        finally:
            TimedChecks.spent += time.perf_counter() - start


def unit(stack: Stack, index: int, vpc: ec2.IVpc, cluster: ecs.ICluster) -> None:
    """~10 resources of the kinds both packs look at; one unit in ten breaks each of eight of our rules.

    Each rule is broken in its own tenth of the units, so a new rule that judges these resources adds
    its evaluation cost, not a finding on every unit (IMM-REP11 would report every container whose
    root file system is writable: the app the baseline commit measured had no such rule)."""
    group = ec2.SecurityGroup(stack, f"Web{index}", vpc=vpc, allow_all_outbound=False)
    group.add_ingress_rule(ec2.Peer.ipv4("10.0.0.0/8"), ec2.Port.tcp(443 if index % 10 != 2 else 22))
    template = ec2.LaunchTemplate(
        stack,
        f"Template{index}",
        machine_image=PinnedSsmImage("/images/web/stable", version=index + 1),
        instance_type=ec2.InstanceType("t3.small"),
        require_imdsv2=index % 10 != 0,
        security_group=group,
        block_devices=[
            ec2.BlockDevice(device_name="/dev/xvda", volume=ec2.BlockDeviceVolume.ebs(8, encrypted=index % 10 != 1))
        ],
    )
    autoscaling.AutoScalingGroup(
        stack,
        f"Group{index}",
        vpc=vpc,
        launch_template=template,
        update_policy=autoscaling.UpdatePolicy.rolling_update() if index % 10 != 3 else None,
        max_instance_lifetime=Duration.days(14) if index % 10 != 6 else None,
    )
    repository = ecr.Repository(
        stack, f"Repo{index}", image_tag_mutability=ecr.TagMutability.IMMUTABLE if index % 10 != 4 else None
    )
    task = ecs.FargateTaskDefinition(stack, f"Task{index}")
    task.add_container(
        "app",
        image=ecs.ContainerImage.from_ecr_repository(repository, tag="latest" if index % 10 == 5 else "1.0.0"),
        readonly_root_filesystem=index % 10 != 7,
    )
    sqs.Queue(stack, f"Queue{index}", enforce_ssl=True, retention_period=Duration.days(4))


def build(units: int, plugins: Callable[[App], list[Any]], outdir: str) -> App:
    app = App(outdir=outdir)
    stack: Stack | None = None
    for index in range(units):
        if index % UNITS_PER_STACK == 0:
            stack = Stack(app, f"Bench{index // UNITS_PER_STACK}")
            vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=0, subnet_configuration=[
                ec2.SubnetConfiguration(name="app", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
            ])  # fmt: skip
            cluster = ecs.Cluster(stack, "Cluster", vpc=vpc)
        assert stack is not None
        unit(stack, index, vpc, cluster)
    chosen = plugins(app)
    if chosen:
        Validations.of(app).add_plugins(*chosen)
    return app


def timed_synth(app: App) -> float:
    start = time.perf_counter()
    with contextlib.suppress(RuntimeError):  # findings fail synth; the report is still written
        app.synth()
    return time.perf_counter() - start


def _median_added(plugin: list[float], baseline: list[float]) -> float:
    """The median over rounds of a plugin's synth time minus the baseline's synth time of the same round."""
    added = sorted(p - b for p, b in zip(plugin, baseline, strict=True))
    middle = len(added) // 2
    return added[middle] if len(added) % 2 else (added[middle - 1] + added[middle]) / 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=110, help="units of ~8 resources (default 110: 800+)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the three synths (medians count)")
    args = parser.parse_args(argv)

    variants: dict[str, Callable[[App], list[Any]]] = {
        "baseline": lambda app: [],
        "AwsSolutionsChecks": lambda app: [AwsSolutionsChecks(app)],
        "ImmutableInfrastructureChecks": lambda app: [TimedChecks()],
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    inside: list[float] = []
    findings: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as workdir:
        # Warm up jsii and the CDK modules so the first measured synth does not pay for loading them.
        timed_synth(build(1, lambda app: [], os.path.join(workdir, "warmup")))
        resources = 0
        for round_ in range(args.rounds):
            for name, plugins in variants.items():
                app = build(args.units, plugins, os.path.join(workdir, f"{name}-{round_}"))
                TimedChecks.spent = 0.0
                times[name].append(timed_synth(app))
                if name == "ImmutableInfrastructureChecks":
                    inside.append(TimedChecks.spent)
                report = Path(workdir, f"{name}-{round_}", "validation-report.json")
                if report.exists() and round_ == 0:
                    for plugin in json.loads(report.read_text())["pluginReports"]:
                        findings[plugin["pluginName"]] = sum(
                            len(v["violatingConstructs"]) for v in plugin["violations"]
                        )
                if not resources:
                    resources = sum(
                        len(json.loads(p.read_text()).get("Resources", {}))
                        for p in Path(workdir, f"{name}-{round_}").glob("*.template.json")
                    )

    baseline, solutions, ours = (min(times[name]) for name in variants)
    added_solutions = _median_added(times["AwsSolutionsChecks"], times["baseline"])
    added_ours = _median_added(times["ImmutableInfrastructureChecks"], times["baseline"])
    ratio = added_ours / added_solutions if added_solutions > 0 else float("inf")
    print(f"resources:                        {resources} (fastest synth of {args.rounds} rounds below)")
    print(f"synth, no policy plugin:          {baseline:7.3f} s")
    print(f"synth, AwsSolutionsChecks:        {solutions:7.3f} s  (median added per round {added_solutions:+.3f} s)")
    print(f"synth, ImmutableInfrastructure:   {ours:7.3f} s  (median added per round {added_ours:+.3f} s)")
    print(f"findings reported:                {findings}")
    print(f"time inside our validate():       {min(inside):7.3f} s")
    # Per 1,000 resources from the time measured inside validate(): the synth-time difference is
    # the fuller cost but, on a shared machine, noisier than the pack itself (it can even be negative).
    per_thousand = min(inside) * 1000 / resources if resources else float("inf")
    print(f"ratio ours / AwsSolutions:        {ratio:7.3f}")
    print(f"ours per 1,000 resources:         {per_thousand:7.3f} s (inside validate)")
    ok = ratio <= 1.0 and added_ours < 1.0 and per_thousand < PER_THOUSAND_BAR
    print(f"bar (ratio <= 1.0, ours < 1 s, < {PER_THOUSAND_BAR} s per 1,000 resources):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
