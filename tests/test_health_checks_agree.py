"""The port and path an image serves, the fleet's health check and the target group's health check agree.

For app.py and every example: a fleet whose user data waits for ``http://localhost:8080/health``
while its image serves nginx on port 80 signals failure on every launch, and a target group that
checks another port or path than the fleet marks every instance unhealthy. The image's side is
what its Image Builder component's own test phase proves it serves (``curl http://localhost...``);
the component is found through the pinned catalog parameter, the distribution that writes it, the
pipeline, and the recipe.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from .conftest import Synthesized

Templates = dict[str, dict[str, Any]]
Endpoint = tuple[int, str]  # (port, path)

_FLEET_PROBE = re.compile(r"curl -fsS -o /dev/null --max-time \d+ '?(http://localhost[^\s';]*)")
_SERVED = re.compile(r"curl [^\n\"']*?(http://localhost[^\s\"'>]*)")
_PINNED = re.compile(r"^\{\{resolve:ssm:(/.+)/[^/]+:\d+\}\}$")


def endpoint(url: str) -> Endpoint:
    parts = urlsplit(url)
    return parts.port or 80, parts.path or "/"


def user_data(launch_template: dict[str, Any]) -> str:
    encoded = launch_template["Properties"]["LaunchTemplateData"].get("UserData", {}).get("Fn::Base64", "")
    parts = [encoded] if isinstance(encoded, str) else encoded["Fn::Join"][1]
    return "".join(p for p in parts if isinstance(p, str))


def ref(value: Any) -> str | None:
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            return str(value["Fn::GetAtt"][0])
    return None


def target_group_endpoint(target_group: dict[str, Any]) -> Endpoint:
    props = target_group["Properties"]
    port = props.get("HealthCheckPort", "traffic-port")
    return int(props["Port"] if port == "traffic-port" else port), props.get("HealthCheckPath", "/")


def served_by_image(templates: Templates, parameter_path: str) -> set[Endpoint] | None:
    """What the components of the pipeline writing ``<parameter_path>/<channel>`` test; None: no such pipeline."""
    for resources in (t["Resources"] for t in templates.values()):
        for distribution_id, distribution in resources.items():
            if distribution["Type"] != "AWS::ImageBuilder::DistributionConfiguration":
                continue
            names = [
                c["ParameterName"]
                for target in distribution["Properties"]["Distributions"]
                for c in target.get("SsmParameterConfigurations", [])
            ]
            if not any(name.rsplit("/", 1)[0] == parameter_path for name in names):
                continue
            (pipeline,) = [
                r
                for r in resources.values()
                if r["Type"] == "AWS::ImageBuilder::ImagePipeline"
                and ref(r["Properties"]["DistributionConfigurationArn"]) == distribution_id
            ]
            recipe = resources[str(ref(pipeline["Properties"]["ImageRecipeArn"]))]
            served: set[Endpoint] = set()
            for component in recipe["Properties"]["Components"]:
                component_id = ref(component["ComponentArn"])
                if component_id is not None:
                    data = resources[component_id]["Properties"]["Data"]
                    served |= {endpoint(url) for url in _SERVED.findall(data)}
            return served
    return None


def fleets(templates: Templates) -> Iterator[tuple[str, Endpoint | None, list[Endpoint], str | None]]:
    """(launch template id, fleet check, target group checks, pinned parameter path) of every fleet."""
    for resources in (t["Resources"] for t in templates.values()):
        for lt_id, launch_template in resources.items():
            if launch_template["Type"] != "AWS::EC2::LaunchTemplate":
                continue
            probes = _FLEET_PROBE.findall(user_data(launch_template))
            check = endpoint(probes[0]) if probes else None
            groups: list[str] = []
            for resource in resources.values():
                props = resource.get("Properties", {})
                if resource["Type"] == "AWS::AutoScaling::AutoScalingGroup":
                    if ref(props.get("LaunchTemplate", {}).get("LaunchTemplateId")) == lt_id:
                        groups += [str(ref(arn)) for arn in props.get("TargetGroupARNs", [])]
                elif (
                    resource["Type"] == "Custom::ImmutableBlueGreenFleet"
                    and ref(props.get("LaunchTemplateId")) == lt_id
                ):
                    groups.append(str(ref(props["TargetGroupArn"])))
            image = str(launch_template["Properties"]["LaunchTemplateData"].get("ImageId", ""))
            pinned = _PINNED.match(image)
            yield (
                lt_id,
                check,
                [target_group_endpoint(resources[g]) for g in groups],
                pinned.group(1) if pinned else None,
            )


def mismatches(templates: Templates) -> tuple[list[str], int]:
    """Every disagreement, and how many (fleet, image) pairs were cross-checked against a component."""
    problems: list[str] = []
    with_image = 0
    for lt_id, check, target_groups, parameter_path in fleets(templates):
        for group in target_groups:
            if check is not None and group != check:
                problems.append(f"{lt_id}: the target group checks {group}, the fleet's health check {check}")
        served = served_by_image(templates, parameter_path) if parameter_path else None
        if served is None:
            continue  # the image is built elsewhere: nothing in this app says what it serves
        with_image += 1
        for expected in ([check] if check else []) + target_groups:
            if expected not in served:
                problems.append(f"{lt_id}: the image of {parameter_path} serves {sorted(served)}, not {expected}")
    return problems, with_image


def test_reference_app_image_fleet_and_target_groups_agree(reference_app: Synthesized) -> None:
    problems, with_image = mismatches(reference_app.templates)
    assert problems == []
    assert with_image == 2, "both fleets (web and api) are checked against the component of their image"
    checks = {lt: (check, groups) for lt, check, groups, _ in fleets(reference_app.templates)}
    assert sorted(checks.values()) == [
        ((8080, "/health"), [(8080, "/health")]),
        ((8081, "/health"), [(8081, "/health")]),
    ]


def test_every_example_image_fleet_and_target_groups_agree(examples: dict[str, Synthesized]) -> None:
    checked = 0
    for name, example in examples.items():
        problems, with_image = mismatches(example.templates)
        assert problems == [], name
        checked += with_image
    assert checked >= 1, "golden_ami's fleet is checked against its component"


def test_the_cross_check_catches_an_image_on_another_port(reference_app: Synthesized) -> None:
    # Issue 9, finding 4: the web image served nginx's default (port 80, no /health).
    broken = copy.deepcopy(reference_app.templates)
    for template in broken.values():
        for resource in template["Resources"].values():
            if resource["Type"] == "AWS::ImageBuilder::Component" and "8080/health" in json.dumps(resource):
                data = resource["Properties"]["Data"]
                resource["Properties"]["Data"] = data.replace("http://localhost:8080/health", "http://localhost/")
    problems, _ = mismatches(broken)
    assert len(problems) == 2, problems  # the fleet's check and the target group's check
    assert all("/images/web" in p and "(80, '/')" in p for p in problems)


def test_the_cross_check_catches_a_target_group_on_another_path(reference_app: Synthesized) -> None:
    broken = copy.deepcopy(reference_app.templates)
    for template in broken.values():
        for resource in template["Resources"].values():
            if (
                resource["Type"] == "AWS::ElasticLoadBalancingV2::TargetGroup"
                and resource["Properties"]["Port"] == 8081
            ):
                resource["Properties"]["HealthCheckPath"] = "/"
    problems, _ = mismatches(broken)
    assert any("the target group checks (8081, '/')" in p for p in problems), problems
