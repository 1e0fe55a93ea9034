"""IMM-SSH1: no ingress that reaches SSH (22) or RDP (3389), from any source.

A rule whose source is the group itself (``sg.add_ingress_rule(sg, Port.all_tcp())``, the peer rule of
database, cache and EMR clusters) lets members of the group reach each other, not anyone outside it.
It is reported only when it names SSH or RDP deliberately (a port range narrower than all ports that
spans 22 or 3389); opening every port to the group's own members is the peer pattern and is not.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._intrinsics import get, integer, items
from .._model import Offence, Resource, Result, Template

RESOURCE_TYPES = frozenset({"AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress"})

#: Port -> the protocols that reach it (RDP also listens on UDP).
PORTS = {22: ("tcp",), 3389: ("tcp", "udp")}
_PROTOCOLS = {"-1": "all", "all": "all", "tcp": "tcp", "6": "tcp", "udp": "udp", "17": "udp"}
_SOURCES = ("CidrIp", "CidrIpv6", "SourcePrefixListId", "SourceSecurityGroupId", "SourceSecurityGroupName")


def _port(value: Any, template: Template, default: int) -> int | None:
    """A port number; None when it is known only at deploy time from a resource attribute (not SSH/RDP).

    A ``Ref`` to a template parameter uses its ``Default``; without one the port could be
    anything, so it is taken as ``default`` (the widest reading).
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        number = integer(value)
        return default if number is None else number
    if isinstance(value, dict) and isinstance(value.get("Ref"), str):
        parameter = template.parameters.get(value["Ref"]) or {}
        return _port(parameter.get("Default"), template, default) if "Default" in parameter else default
    return None


def reached_ports(rule: Mapping[str, Any], template: Template) -> list[int]:
    """The SSH/RDP ports an ingress rule opens (empty when it opens neither)."""
    raw = rule.get("IpProtocol")
    protocol = _PROTOCOLS.get(str(raw).lower()) if isinstance(raw, (str, int)) else "all"
    if protocol is None:  # icmp, icmpv6, other protocol numbers
        return []
    if protocol == "all":
        return sorted(PORTS)
    low = _port(rule.get("FromPort"), template, 0)
    high = _port(rule.get("ToPort"), template, 65535)
    if low is None or high is None:
        return []
    if low == -1 or high == -1:
        low, high = 0, 65535
    return [port for port, protocols in PORTS.items() if protocol in protocols and low <= port <= high]


def _group_id(value: Any) -> str | None:
    """The logical id of a security group named by ``Fn::GetAtt [id, GroupId]`` or ``Ref id``."""
    if isinstance(value, dict):
        attribute = value.get("Fn::GetAtt")
        if isinstance(attribute, list) and len(attribute) == 2 and attribute[1] == "GroupId":
            return str(attribute[0])
        if isinstance(value.get("Ref"), str):
            return str(value["Ref"])
    return None


def _all_ports(rule: Mapping[str, Any], template: Template) -> bool:
    """True when the rule opens every port of its protocol (``-1``, or 0-65535 / -1 ranges)."""
    raw = rule.get("IpProtocol")
    if isinstance(raw, (str, int)) and _PROTOCOLS.get(str(raw).lower()) == "all":
        return True
    low, high = _port(rule.get("FromPort"), template, 0), _port(rule.get("ToPort"), template, 65535)
    return low in (0, -1) and high in (65535, -1)


def _source(rule: Mapping[str, Any]) -> str:
    for key in _SOURCES:
        if key in rule:
            value = rule[key]
            if isinstance(value, str):
                return f"{key}={value}"
            return f"{key}=<{next(iter(value), 'intrinsic') if isinstance(value, dict) else 'deploy-time value'}>"
    return "an unnamed source"


def _check(path: str, rule: Any, template: Template, group: str | None = None) -> list[Offence]:
    """``group``: the logical id of the security group the rule belongs to, when known."""
    if not isinstance(rule, dict):
        return []
    ports = reached_ports(rule, template)
    if not ports:
        return []
    shown = {k: rule[k] for k in ("IpProtocol", "FromPort", "ToPort") if k in rule}
    names = " and ".join("SSH (22)" if p == 22 else "RDP (3389)" for p in ports)
    source = _group_id(rule.get("SourceSecurityGroupId"))
    if group is not None and source == group:
        if _all_ports(rule, template):
            return []  # the peer rule of a cluster: members reach each other on every port
        return [
            Offence(
                path,
                shown,
                f"ingress from the group itself ({group}) reaches {names}: every member of the group can open "
                "a login on every other member",
                "Remove the rule (or open only the service's ports to the group); open sessions with Session "
                "Manager (SessionManagerAccess) instead.",
            )
        ]
    return [Offence(path, shown, f"ingress from {_source(rule)} reaches {names}")]


def evaluate(resource: Resource, template: Template) -> Result:
    if resource.type == "AWS::EC2::SecurityGroupIngress":
        group = _group_id(resource.properties.get("GroupId"))
        return Result.of(_check("Properties", resource.properties, template, group))
    ingress = get(resource.properties, "SecurityGroupIngress")
    if ingress is None:
        return Result.compliant()
    offences: list[Offence] = []
    for suffix, rule in items(ingress):
        offences.extend(_check(f"Properties.SecurityGroupIngress{suffix}", rule, template, resource.logical_id))
    return Result.of(offences)
