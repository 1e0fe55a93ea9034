"""Start ministack (the pinned version) on 127.0.0.1 with test-only CloudFormation handlers.

Run with the emulator's own interpreter (``.tools/emulator/bin/python tests/deploy/emulator.py``):
ministack keeps its CloudFormation resource handlers in the private table
``ministack.services.cloudformation.provisioners._RESOURCE_HANDLERS``; version 1.5.33 has none for
three types the library's stacks use. They are registered here, in the tests, never in the library:

- ``AWS::EC2::EIP`` and ``AWS::EC2::NatGateway`` go through the emulator's own EC2 API functions
  (AllocateAddress/ReleaseAddress, CreateNatGateway/DeleteNatGateway), so the addresses and NAT
  gateways really exist in its EC2 state and a destroy can be checked to remove them.
- ``AWS::EC2::FlowLog`` goes through CreateFlowLogs/DeleteFlowLogs, ``AWS::EC2::SecurityGroupIngress``
  and ``AWS::EC2::SecurityGroupEgress`` add (and on delete remove) the rule on the group's record in
  the emulator's EC2 state, in the shape its own ``AWS::EC2::SecurityGroup`` handler writes.
- ``AWS::SSM::Document``: ministack's SSM has no document API at all (no CreateDocument), so the
  handler only records the name (the template's ``Name`` or a generated one) and returns it.

One handler it has is completed: ``AWS::EC2::VPC`` returns no ``CidrBlock`` attribute (CloudFormation
documents ``CidrBlock``, ``CidrBlockAssociations`` and ``Ipv6CidrBlocks``), so ``Fn::GetAtt`` of it, which
CDK renders for every interface endpoint's security group (HTTPS from the VPC's CIDR), fails the deploy.
The wrapper adds them from the emulator's VPC record.

``AWS::CodeDeploy::Application``: ministack has no CodeDeploy. The handler calls CreateApplication and
DeleteApplication on ``AWS_ENDPOINT_URL_CODEDEPLOY``: the model-validated CodeDeploy fake of the unit
tests served over HTTP by the test process (tests/deploy/codedeploy_server.py). Lambda functions the
emulator runs inherit its environment, so the blue/green handler's CodeDeploy client goes there too.

Four Auto Scaling gaps that the blue/green handler meets are filled the same way:
``EnableMetricsCollection`` (missing: answered after checking the group exists),
``UpdateAutoScalingGroup`` ignoring ``LaunchTemplate`` (a group pointed at a new launch template
version kept the old one; now the group takes it, its running instances keep theirs),
``DescribeAutoScalingGroups`` ignoring ``Filters`` (it answered every group to a ``tag:<key>`` filter,
so the handler took the web fleet's CloudFormation group for one of its own and deleted it; now the
filters ``tag:<key>``, ``tag-key`` and ``tag-value`` apply), and target groups
(``CreateAutoScalingGroup`` drops ``TargetGroupARNs``: they are kept, returned by
``DescribeAutoScalingGroups``, and the group's instances are registered in them, as Auto Scaling does,
where ministack's load balancer reports every registered target healthy).

The private table and the functions' request shape are why the version is pinned
(tools/emulator/requirements.txt) and checked here.
"""

from __future__ import annotations

import os
import sys
from importlib.metadata import version
from typing import Any

PINNED = "1.5.33"


def _ec2_params(**values: str) -> dict[str, list[str]]:
    return {key: [value] for key, value in values.items() if value}


def _eip_create(logical_id: str, props: dict[str, Any], stack_name: str) -> tuple[str, dict[str, str]]:
    from ministack.services import ec2

    ec2._allocate_address(_ec2_params(Domain=props.get("Domain") or "vpc"))
    allocation_id = list(ec2._addresses.keys())[-1]
    record = ec2._addresses[allocation_id]
    # Ref of an EIP is its public IP; GetAtt AllocationId/PublicIp.
    return record["PublicIp"], {"AllocationId": allocation_id, "PublicIp": record["PublicIp"]}


def _eip_delete(physical_id: str, props: dict[str, Any]) -> None:
    from ministack.services import ec2

    for allocation_id, record in list(ec2._addresses.items()):
        if record["PublicIp"] == physical_id:
            ec2._release_address(_ec2_params(AllocationId=allocation_id))


def _nat_create(logical_id: str, props: dict[str, Any], stack_name: str) -> tuple[str, dict[str, str]]:
    from ministack.services import ec2

    before = set(ec2._nat_gateways.keys())
    ec2._create_nat_gateway(_ec2_params(SubnetId=props.get("SubnetId", ""), AllocationId=props.get("AllocationId", "")))
    (nat_id,) = set(ec2._nat_gateways.keys()) - before
    return nat_id, {}


def _nat_delete(physical_id: str, props: dict[str, Any]) -> None:
    from ministack.services import ec2

    if physical_id in ec2._nat_gateways:
        ec2._delete_nat_gateway(_ec2_params(NatGatewayId=physical_id))


def _flow_log_create(logical_id: str, props: dict[str, Any], stack_name: str) -> tuple[str, dict[str, str]]:
    from ministack.services import ec2

    before = set(ec2._flow_logs.keys())
    ec2._create_flow_logs(
        _ec2_params(
            **{"ResourceId.1": props.get("ResourceId", "")},
            ResourceType=props.get("ResourceType", "VPC"),
            TrafficType=props.get("TrafficType", "ALL"),
            LogDestinationType=props.get("LogDestinationType", "cloud-watch-logs"),
            LogDestination=props.get("LogDestination") or props.get("LogGroupName", ""),
        )
    )
    (flow_log_id,) = set(ec2._flow_logs.keys()) - before
    return flow_log_id, {"Id": flow_log_id}


def _flow_log_delete(physical_id: str, props: dict[str, Any]) -> None:
    from ministack.services import ec2

    ec2._delete_flow_logs(_ec2_params(**{"FlowLogId.1": physical_id}))


def _rule_handlers(egress: bool) -> dict[str, Any]:
    key = "IpPermissionsEgress" if egress else "IpPermissions"

    def permission(props: dict[str, Any]) -> dict[str, Any]:
        from ministack.services.cloudformation import provisioners

        render = provisioners._ec2_sg_egress_permissions if egress else provisioners._ec2_sg_permissions
        (rendered,) = render([props])
        return dict(rendered)

    def create(logical_id: str, props: dict[str, Any], stack_name: str) -> tuple[str, dict[str, str]]:
        from ministack.services import ec2

        group = ec2._security_groups.get(props.get("GroupId", ""))
        if group is None:
            raise ValueError(f"security group {props.get('GroupId')!r} does not exist")
        rule = permission(props)
        if not any(ec2._rules_match(rule, existing) for existing in group[key]):
            group[key].append(rule)
        return f"sgr-{abs(hash((props.get('GroupId'), logical_id, stack_name))):017x}"[:21], {}

    def delete(physical_id: str, props: dict[str, Any]) -> None:
        from ministack.services import ec2

        group = ec2._security_groups.get(props.get("GroupId", ""))
        if group is not None:
            rule = permission(props)
            group[key] = [existing for existing in group[key] if not ec2._rules_match(rule, existing)]

    return {"create": create, "delete": delete}


def _document_create(logical_id: str, props: dict[str, Any], stack_name: str) -> tuple[str, dict[str, str]]:
    return props.get("Name") or f"{stack_name}-{logical_id}", {}


def _document_delete(physical_id: str, props: dict[str, Any]) -> None:
    return None


def _with_vpc_attributes(handler: Any) -> Any:
    def wrapped(*args: Any, **kwargs: Any) -> tuple[str, dict[str, Any]]:
        from ministack.services import ec2

        physical_id, attributes = handler(*args, **kwargs)
        vpc = ec2._vpcs.get(physical_id) or {}
        cidr = vpc.get("CidrBlock", "")
        return physical_id, {
            **attributes,
            "CidrBlock": cidr,
            "CidrBlockAssociations": [f"vpc-cidr-assoc-{physical_id[4:]}"],
            "Ipv6CidrBlocks": [],
        }

    return wrapped


def _codedeploy() -> Any:
    import botocore.session

    return botocore.session.get_session().create_client(
        "codedeploy",
        region_name=os.environ.get("MINISTACK_REGION", "us-east-1"),
        endpoint_url=os.environ["AWS_ENDPOINT_URL_CODEDEPLOY"],
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def _application_create(logical_id: str, props: dict[str, Any], stack_name: str) -> tuple[str, dict[str, str]]:
    name = props.get("ApplicationName") or f"{stack_name}-{logical_id}"
    _codedeploy().create_application(applicationName=name, computePlatform=props.get("ComputePlatform", "Server"))
    return name, {}


def _application_delete(physical_id: str, props: dict[str, Any]) -> None:
    _codedeploy().delete_application(applicationName=physical_id)


def _register_targets(group: dict[str, Any]) -> None:
    from ministack.services import alb

    for arn in group.get("TargetGroupARNs", []):
        targets = alb._targets.setdefault(arn, [])
        known = {target["Id"] for target in targets}
        targets.extend({"Id": i["InstanceId"]} for i in group["Instances"] if i["InstanceId"] not in known)


def _deregister_targets(group: dict[str, Any]) -> None:
    from ministack.services import alb

    gone = {i["InstanceId"] for i in group["Instances"]}
    for arn in group.get("TargetGroupARNs", []):
        alb._targets[arn] = [t for t in alb._targets.get(arn, []) if t["Id"] not in gone]


def _matches(group: dict[str, Any], name: str, values: set[str]) -> bool:
    tags = {tag["Key"]: tag["Value"] for tag in group.get("Tags", [])}
    if name.startswith("tag:"):
        return tags.get(name[4:]) in values
    if name == "tag-key":
        return bool(values & set(tags))
    if name == "tag-value":
        return bool(values & set(tags.values()))
    raise ValueError(f"filter {name!r} is not emulated")


def _patch_autoscaling() -> None:
    from ministack.services import autoscaling as asg

    reconcile, create, describe, delete, update = (
        asg._reconcile_instances,
        asg._create_asg,
        asg._describe_asgs,
        asg._delete_asg,
        asg._update_asg,
    )

    def updated(params: dict[str, Any]) -> Any:
        group = asg._asgs.get(asg._p(params, "AutoScalingGroupName"))
        template = asg._p(params, "LaunchTemplate.LaunchTemplateId") or asg._p(
            params, "LaunchTemplate.LaunchTemplateName"
        )
        if group is not None and template:
            version = asg._p(params, "LaunchTemplate.Version") or "$Default"
            group["LaunchTemplate"] = {"LaunchTemplateId": template, "LaunchTemplateName": template, "Version": version}
        return update(params)

    def reconciled(group: dict[str, Any]) -> None:
        reconcile(group)
        _register_targets(group)

    def created(params: dict[str, Any]) -> Any:
        answer = create(params)
        name = asg._p(params, "AutoScalingGroupName")
        if answer[0] == 200 and name in asg._asgs:
            asg._asgs[name]["TargetGroupARNs"] = asg._parse_member_list(params, "TargetGroupARNs")
            _register_targets(asg._asgs[name])
        return answer

    def described(params: dict[str, Any]) -> Any:
        filters: list[tuple[str, set[str]]] = []
        index = 1
        while asg._p(params, f"Filters.member.{index}.Name"):
            name = asg._p(params, f"Filters.member.{index}.Name")
            filters.append((name, set(asg._parse_member_list(params, f"Filters.member.{index}.Values"))))
            index += 1
        if filters:
            chosen = [n for n, g in asg._asgs.items() if all(_matches(g, name, values) for name, values in filters)]
            if not chosen:
                return asg._xml(
                    200,
                    "DescribeAutoScalingGroupsResponse",
                    "<DescribeAutoScalingGroupsResult><AutoScalingGroups/></DescribeAutoScalingGroupsResult>",
                )
            params = {k: v for k, v in params.items() if not k.startswith("Filters.")}
            for position, name in enumerate(chosen, start=1):
                params[f"AutoScalingGroupNames.member.{position}"] = [name]
        status, headers, body = describe(params)
        text = body.decode()
        for name, group in asg._asgs.items():
            arns = "".join(f"<member>{arn}</member>" for arn in group.get("TargetGroupARNs", []))
            opening = f"<AutoScalingGroupName>{name}</AutoScalingGroupName>"
            text = text.replace(opening, f"{opening}<TargetGroupARNs>{arns}</TargetGroupARNs>", 1)
        return status, headers, text.encode()

    def deleted(params: dict[str, Any]) -> Any:
        group = asg._asgs.get(asg._p(params, "AutoScalingGroupName"))
        if group is not None:
            _deregister_targets(group)
        return delete(params)

    def enable_metrics_collection(params: dict[str, Any]) -> Any:
        name = asg._p(params, "AutoScalingGroupName")
        if name not in asg._asgs:
            return asg._error("ValidationError", f"Group {name} not found")
        return asg._xml(200, "EnableMetricsCollectionResponse", "")

    asg._reconcile_instances = reconciled
    asg._ACTION_MAP.update(
        {
            "CreateAutoScalingGroup": created,
            "DescribeAutoScalingGroups": described,
            "DeleteAutoScalingGroup": deleted,
            "UpdateAutoScalingGroup": updated,
            "EnableMetricsCollection": enable_metrics_collection,
        }
    )


def register() -> None:
    installed = version("ministack")
    if installed != PINNED:
        sys.exit(f"ministack {installed} is installed; these handlers are written against {PINNED}")
    from ministack.services.cloudformation import provisioners

    stubs = {
        "AWS::EC2::EIP": {"create": _eip_create, "delete": _eip_delete},
        "AWS::EC2::NatGateway": {"create": _nat_create, "delete": _nat_delete},
        "AWS::SSM::Document": {"create": _document_create, "delete": _document_delete},
        "AWS::CodeDeploy::Application": {"create": _application_create, "delete": _application_delete},
        "AWS::EC2::FlowLog": {"create": _flow_log_create, "delete": _flow_log_delete},
        "AWS::EC2::SecurityGroupIngress": _rule_handlers(egress=False),
        "AWS::EC2::SecurityGroupEgress": _rule_handlers(egress=True),
    }
    for resource_type, handler in stubs.items():
        if resource_type in provisioners._RESOURCE_HANDLERS:
            sys.exit(f"ministack {installed} now has a handler for {resource_type}: drop the test stub")
        provisioners._RESOURCE_HANDLERS[resource_type] = handler
    vpc = provisioners._RESOURCE_HANDLERS["AWS::EC2::VPC"]
    vpc["create"] = _with_vpc_attributes(vpc["create"])
    vpc["update"] = _with_vpc_attributes(vpc["update"])
    _patch_autoscaling()


def main() -> None:
    # Loopback only, never every interface (ministack's default BIND_HOST is 0.0.0.0).
    os.environ["BIND_HOST"] = "127.0.0.1"
    register()
    from ministack.app import main as serve

    sys.argv = sys.argv[:1]
    serve()


if __name__ == "__main__":
    main()
