"""IMM-DEP6: a CloudWatch agent on hosts in subnets with no way out needs an endpoint for every API it calls.

An Auto Scaling group whose launch template starts the CloudWatch agent from an SSM parameter
(``amazon-cloudwatch-agent-ctl -a fetch-config ... -c ssm:<parameter>``) and whose subnets have no
default route (no internet or NAT gateway: "isolated") reaches AWS APIs only through VPC interface
endpoints with private DNS. The agent calls:

* ``ssm`` to fetch its configuration (CloudWatch User Guide, "Start the CloudWatch agent using the
  command line");
* ``logs`` when the configuration has a ``logs`` section, ``monitoring`` when it has ``metrics``
  (CloudWatch User Guide, "Manually create or edit the CloudWatch agent configuration file";
  the endpoint names: AWS PrivateLink guide, "AWS services that integrate with AWS PrivateLink");
* ``ec2`` when ``append_dimensions`` names an EC2 tag (``${aws:AutoScalingGroupName}``): the agent
  calls ``ec2:DescribeTags`` and publishes no metric at all until that call has succeeded once (the
  agent's source, ``plugins/processors/ec2tagger/ec2tagger.go``: ``processMetrics`` returns nothing
  until the tagger has ``started``).

Without them the agent sends nothing: alarms on its metrics see no data (an alarm that treats
missing data as breaching sits in ALARM, and as a rollback alarm fails every release).
Judged only when the subnets, their route tables and the VPC's endpoints are all in the template.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from .._intrinsics import UNKNOWN, boolean, get, items, text, user_data_text
from .._model import Offence, Resource, Result, Template
from .._policies import references

RESOURCE_TYPES = frozenset({"AWS::AutoScaling::AutoScalingGroup"})

_AGENT_FROM_SSM = re.compile(r"amazon-cloudwatch-agent-ctl\b[^\n]*-c\s+ssm:")
#: ``append_dimensions`` values the agent resolves with ec2:DescribeTags (EC2 tags, not instance metadata).
_TAG_DIMENSIONS = ("${aws:AutoScalingGroupName}",)
_ROUTE_TARGETS = (
    "GatewayId",
    "NatGatewayId",
    "TransitGatewayId",
    "EgressOnlyInternetGatewayId",
    "InstanceId",
    "NetworkInterfaceId",
    "VpcPeeringConnectionId",
    "VpcEndpointId",
)


def _launch_template(resource: Resource, template: Template) -> Mapping[str, Any] | None:
    specification = resource.properties.get("LaunchTemplate") or get(
        resource.properties, "MixedInstancesPolicy", "LaunchTemplate", "LaunchTemplateSpecification"
    )
    for logical_id in sorted(references(get(specification, "LaunchTemplateId"))):
        found = template.resource(logical_id)
        if found and found.get("Type") == "AWS::EC2::LaunchTemplate":
            return found
    return None


def _agent_parameters(user_data: Any, template: Template) -> list[tuple[str, Mapping[str, Any]]]:
    """The SSM parameters of the template that the user data starts the agent from, with their configuration."""
    if not _AGENT_FROM_SSM.search(user_data_text(user_data, template)):
        return []
    found: list[tuple[str, Mapping[str, Any]]] = []
    for logical_id in sorted(references(user_data)):
        parameter = template.resource(logical_id)
        if not parameter or parameter.get("Type") != "AWS::SSM::Parameter":
            continue
        try:
            config = json.loads(text(get(parameter, "Properties", "Value"), template), strict=False)
        except ValueError:
            continue
        if isinstance(config, dict) and ("metrics" in config or "logs" in config):
            found.append((logical_id, config))
    return found


def needed_services(config: Mapping[str, Any]) -> dict[str, str]:
    """Endpoint service name -> why the agent with this configuration calls it."""
    needs = {"ssm": "the agent fetches its configuration from Parameter Store"}
    if config.get("logs"):
        needs["logs"] = "the configuration ships logs"
    metrics = config.get("metrics")
    if metrics:
        needs["monitoring"] = "the configuration publishes metrics"
        dimensions = metrics.get("append_dimensions") if isinstance(metrics, dict) else None
        tags = sorted(v for v in (dimensions or {}).values() if isinstance(v, str) and v in _TAG_DIMENSIONS)
        if tags:
            needs["ec2"] = (
                f"append_dimensions {', '.join(tags)} makes the agent call ec2:DescribeTags, and it publishes no "
                "metric until that call succeeds"
            )
    return needs


def _has_default_route(route_table: str, template: Template) -> bool:
    for _, route in template.of_type("AWS::EC2::Route"):
        properties = route.get("Properties") or {}
        if route_table not in references(properties.get("RouteTableId")):
            continue
        cidr = properties.get("DestinationCidrBlock")
        if (cidr == "0.0.0.0/0" or properties.get("DestinationIpv6CidrBlock") == "::/0") and any(
            properties.get(target) is not None for target in _ROUTE_TARGETS
        ):
            return True
    return False


def _isolated_subnet(subnet: str, template: Template) -> bool | None:
    """True when the subnet has no default route; None when its route table is not in the template."""
    tables = [
        table
        for _, association in template.of_type("AWS::EC2::SubnetRouteTableAssociation")
        if subnet in references(get(association, "Properties", "SubnetId"))
        for table in references(get(association, "Properties", "RouteTableId"))
    ]
    if not tables:
        return None
    return not any(_has_default_route(table, template) for table in tables)


def _endpoint_services(vpc: str, template: Template) -> set[str]:
    """The services (last part of the name) the VPC has an endpoint for that hosts reach by default DNS names."""
    services: set[str] = set()
    for _, endpoint in template.of_type("AWS::EC2::VPCEndpoint"):
        properties = endpoint.get("Properties") or {}
        if vpc not in references(properties.get("VpcId")):
            continue
        name = text(properties.get("ServiceName"), template)
        if UNKNOWN in name.rsplit(".", 1)[-1]:
            continue
        interface = properties.get("VpcEndpointType", "Gateway") == "Interface" or "SubnetIds" in properties
        if interface and boolean(properties.get("PrivateDnsEnabled")) is not True:
            continue  # without private DNS the agent's default endpoint names do not resolve to it
        services.add(name.rsplit(".", 1)[-1])
    return services


def evaluate(resource: Resource, template: Template) -> Result:
    launch_template = _launch_template(resource, template)
    user_data = get(launch_template, "Properties", "LaunchTemplateData", "UserData")
    agents = _agent_parameters(user_data, template) if user_data is not None else []
    if not agents:
        return Result.not_applicable()
    subnets: list[str] = []
    for _, value in items(resource.properties.get("VPCZoneIdentifier")):
        ids = [r for r in references(value) if (template.resource(r) or {}).get("Type") == "AWS::EC2::Subnet"]
        if not ids:
            return Result.not_applicable()  # a subnet from outside the template: its routes cannot be read
        subnets.extend(ids)
    isolated = []
    for subnet in sorted(set(subnets)):
        verdict = _isolated_subnet(subnet, template)
        if verdict is None:
            return Result.not_applicable()
        if verdict:
            isolated.append(subnet)
    if not isolated:
        return Result.compliant()
    by_vpc: dict[str, list[str]] = {}
    for subnet in isolated:
        vpcs = sorted(references(get(template.resource(subnet), "Properties", "VpcId")))
        by_vpc.setdefault(vpcs[0] if vpcs else "", []).append(subnet)
    offences: list[Offence] = []
    for vpc, in_vpc in sorted(by_vpc.items()):
        reachable = _endpoint_services(vpc, template) if vpc else set()
        for parameter, config in agents:
            missing = {s: why for s, why in needed_services(config).items() if s not in reachable}
            if not missing:
                continue
            offences.append(
                Offence(
                    "Properties.VPCZoneIdentifier",
                    in_vpc,
                    f"subnet(s) {', '.join(in_vpc)} have no default route and the VPC has no endpoint (private DNS "
                    f"on) for {', '.join(sorted(missing))}, which the CloudWatch agent configured by {parameter} "
                    "calls ("
                    + "; ".join(f"{s}: {why}" for s, why in sorted(missing.items()))
                    + "): the agent sends nothing, and alarms on its metrics see no data",
                    fix="add interface endpoints with private DNS for "
                    + ", ".join(sorted(missing))
                    + (", or drop ${aws:AutoScalingGroupName} from append_dimensions" if "ec2" in missing else ""),
                )
            )
    return Result.of(offences)
