"""How to build each callable that has a props spec, for the generated bad-input tests (``test_props.py``).

``BUILDERS`` maps a spec's owner (``"ImmutableFleet.__init__"``, ``"StackDriftAlarm.metric_drifted"``) to a
function ``(world, props) -> anything`` that builds it in the module's one :class:`World` with valid
required props, ``props`` overriding them. A method is called on an object the world builds once; a value
object's factory (``FleetHealthCheck.http``) is built and then given to the construct that checks its
values, so a wrong value is judged where it has a construct path.

Add a builder with every new spec: ``test_every_spec_has_a_builder`` fails without one.
"""

from __future__ import annotations

import functools
import importlib
import itertools
import json
from collections.abc import Callable
from typing import Any

from aws_cdk import App, CfnParameter, Duration, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns

import immutable_constructs
from immutable_constructs import (
    AlarmTopic,
    AmiCatalog,
    BlueGreenFleet,
    FirstImage,
    FleetAlarmOptions,
    FleetHealthCheck,
    FleetUpdate,
    GoldenImagePipeline,
    ImageComponent,
    ImageDistributionKey,
    ImageDistributionTarget,
    ImageKeyGrant,
    ImmutableFleet,
    ParentImage,
    PinnedSsmImage,
    SessionManagerAccess,
    StackDriftAlarm,
    TaintedHostReplacement,
    TrialImage,
)
from immutable_constructs.access.session_manager import SessionTarget
from immutable_constructs.drift.tainted_hosts import TaintableFleet
from immutable_constructs.images.trial import AGENT_PACKAGE_VERSION as AGENT
from immutable_constructs.images.trial import AL2023_RELEASE as RELEASE
from immutable_constructs.nag import ImmutableInfrastructureChecks

_COUNTER = itertools.count()
PARENT = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
TARGET_KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
#: A component file inside the app's directory (the tests run from the repository's root).
COMPONENT_FILE = "examples/golden_ami/components/web-server.yaml"

#: A component document that Image Builder accepts.
COMPONENT = {
    "schemaVersion": 1.0,
    "phases": [{"name": "build", "steps": [{"name": "Ok", "action": "ExecuteBash", "inputs": {"commands": ["true"]}}]}],
}


def load_specs() -> None:
    """Import every public name (the package exports lazily), so each ``@checked`` callable is in ``SPECS``."""
    for name in immutable_constructs.__all__:
        getattr(immutable_constructs, name)
    importlib.import_module("immutable_constructs.images.first_image")
    importlib.import_module("immutable_constructs.nag.pack")


def unique(prefix: str) -> str:
    """A construct id not used yet in the world's stack."""
    return f"{prefix}{next(_COUNTER)}"


class World:
    """One App with a VPC, a target group, a catalog and a pipeline; objects of another App and region."""

    def __init__(self) -> None:
        self.app = App(context={"@aws-cdk/core:validation": False})
        self.stack = Stack(self.app, "Props", env={"account": "111111111111", "region": "eu-west-1"})
        self.vpc = ec2.Vpc(self.stack, "Vpc", max_azs=2, nat_gateways=1)
        self.target_group = elbv2.ApplicationTargetGroup(self.stack, "Tg", vpc=self.vpc, port=80)
        elbv2.ApplicationLoadBalancer(self.stack, "Alb", vpc=self.vpc).add_listener(
            "Http", port=80, default_target_groups=[self.target_group]
        )
        other = Stack(App(), "Other", env={"account": "222222222222", "region": "us-east-1"})
        self.other_app_vpc = ec2.Vpc(other, "Vpc", max_azs=1)
        self.other_region = Stack(self.app, "OtherRegion", env={"account": "111111111111", "region": "us-east-1"})
        self._other_region_objects: dict[Any, Any] = {}
        self.other_account = Stack(self.app, "OtherAccount", env={"account": "222222222222", "region": "eu-west-1"})
        self._other_account_objects: dict[Any, Any] = {}
        # Values known only at deploy time: a prop that accepts one renders it (never ``int()``) or refuses it.
        self.text_token = CfnParameter(self.stack, "Text").value_as_string
        self.number_token = CfnParameter(self.stack, "Number", type="Number").value_as_number

    def other_region_object(self, kind: Any) -> Any:
        """One object of type ``kind`` (a key, topic, VPC...) that a stack of another region creates, or None for
        a type :data:`OTHER_REGION` does not know."""
        if kind not in OTHER_REGION:
            return None
        if kind not in self._other_region_objects:
            self._other_region_objects[kind] = OTHER_REGION[kind](self)
        return self._other_region_objects[kind]

    def other_account_object(self, kind: Any) -> Any:
        """One object of type ``kind`` that a stack of another account (the same region) creates, or None for a
        type :data:`OTHER_ACCOUNT` does not know."""
        if kind not in OTHER_ACCOUNT:
            return None
        if kind not in self._other_account_objects:
            self._other_account_objects[kind] = OTHER_ACCOUNT[kind](self)
        return self._other_account_objects[kind]

    @functools.cached_property
    def other_account_role(self) -> iam.Role:
        return iam.Role(self.other_account, "Role", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))

    @functools.cached_property
    def other_region_vpc(self) -> ec2.Vpc:
        return ec2.Vpc(self.other_region, "Vpc", max_azs=1, nat_gateways=1)

    @functools.cached_property
    def other_region_catalog(self) -> AmiCatalog:
        return AmiCatalog(self.other_region, "Catalog")

    @functools.cached_property
    def other_region_role(self) -> iam.Role:
        return iam.Role(self.other_region, "Role", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))

    @functools.cached_property
    def other_region_topic(self) -> sns.Topic:
        return sns.Topic(self.other_region, "Topic")

    @functools.cached_property
    def catalog(self) -> AmiCatalog:
        return AmiCatalog(self.stack, "Catalog")

    @functools.cached_property
    def pipeline(self) -> GoldenImagePipeline:
        return GoldenImagePipeline(self.stack, "Pipeline", **pipeline_props(self))

    @functools.cached_property
    def role(self) -> iam.Role:
        return iam.Role(self.stack, "Role", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))

    @functools.cached_property
    def drift(self) -> StackDriftAlarm:
        return StackDriftAlarm(self.stack, "Drift")

    @functools.cached_property
    def fleet(self) -> ImmutableFleet:
        return ImmutableFleet(self.stack, "Fleet", **fleet_props(self))


def fleet_props(world: World) -> dict[str, Any]:
    """The required props of both fleets (and of ImmutableFleet alone)."""
    return {
        "vpc": world.vpc,
        "machine_image": PinnedSsmImage("/images/web/stable", version=3),
        "instance_type": ec2.InstanceType("t3.small"),
    }


def pipeline_props(world: World) -> dict[str, Any]:
    """The required props of a GoldenImagePipeline."""
    return {
        "catalog": world.catalog,
        "vpc": world.vpc,
        "parent_image": ParentImage.from_ssm_parameter(PARENT),
        "components": [ImageComponent.from_dict(unique("hello-"), COMPONENT)],
    }


def _immutable(world: World, **props: Any) -> ImmutableFleet:
    return ImmutableFleet(world.stack, unique("Fleet"), **{**fleet_props(world), **props})


def _blue_green(world: World, **props: Any) -> BlueGreenFleet:
    return BlueGreenFleet(
        world.stack, unique("BlueGreen"), **{**fleet_props(world), "target_group": world.target_group, **props}
    )


def _pipeline(world: World, **props: Any) -> GoldenImagePipeline:
    return GoldenImagePipeline(world.stack, unique("Pipeline"), **{**pipeline_props(world), **props})


def _component(world: World, component: ImageComponent) -> GoldenImagePipeline:
    """A value object is judged by the construct it is given to, which names its path."""
    return _pipeline(world, components=[component])


def _parent(world: World, parent: ParentImage) -> GoldenImagePipeline:
    return _pipeline(world, parent_image=parent)


def _pinned(**props: Any) -> PinnedSsmImage:
    return PinnedSsmImage(**{"parameter_name": "/images/web/stable", "version": 3, **props})


def _varargs(method: Callable[..., Any], name: str) -> Callable[[World, dict[str, Any]], Any]:
    """A builder for a ``*name`` method: a list or tuple is spread, anything else passed as the one argument."""

    def build(world: World, props: dict[str, Any]) -> Any:
        value = props.get(name, ())
        return method(world, *(value if isinstance(value, (list, tuple)) else (value,)))

    return build


Builder = Callable[[World, dict[str, Any]], Any]

BUILDERS: dict[str, Builder] = {
    # -- fleet/ ---------------------------------------------------------------------------------------
    "ImmutableFleet.__init__": lambda w, p: _immutable(w, **p),
    "ImmutableFleet.attach_to_target_group": lambda w, p: w.fleet.attach_to_target_group(
        **{"target_group": w.target_group, **p}
    ),
    "BlueGreenFleet.__init__": lambda w, p: _blue_green(w, **p),
    "FleetHealthCheck.http": lambda w, p: _immutable(
        w, health_check=FleetHealthCheck.http(**{"url": "http://localhost:8080/health", **p})
    ),
    "FleetHealthCheck.command": lambda w, p: _immutable(
        w, health_check=FleetHealthCheck.command(**{"command": "systemctl is-active --quiet app", **p})
    ),
    "FleetUpdate.replacing": lambda w, p: _immutable(w, update=FleetUpdate.replacing(**p)),
    "FleetUpdate.rolling": lambda w, p: _immutable(w, update=FleetUpdate.rolling(**p)),
    "FleetUpdate.instance_refresh": lambda w, p: _immutable(w, update=FleetUpdate.instance_refresh(**p)),
    "FleetAlarmOptions.__init__": lambda w, p: _immutable(
        w, target_groups=[w.target_group], alarm_options=FleetAlarmOptions(**p)
    ),
    # -- drift/ ---------------------------------------------------------------------------------------
    "StackDriftAlarm.__init__": lambda w, p: StackDriftAlarm(w.stack, unique("Drift"), **p),
    "StackDriftAlarm.metric_drifted": lambda w, p: w.drift.metric_drifted(**{"stack_name": "Props", **p}),
    "StackDriftAlarm.metric_drifted_resources": lambda w, p: w.drift.metric_drifted_resources(
        **{"stack_name": "Props", **p}
    ),
    "StackDriftAlarm.add_alarm_action": _varargs(lambda w, *a: w.drift.add_alarm_action(*a), "actions"),
    # -- images/ --------------------------------------------------------------------------------------
    "FirstImage.__init__": lambda w, p: FirstImage(w.stack, unique("FirstImage"), **{"pipelines": [w.pipeline], **p}),
    "GoldenImagePipeline.__init__": lambda w, p: _pipeline(w, **p),
    "ImageComponent.__init__": lambda w, p: _component(
        w, ImageComponent(**{"name": unique("c-"), "data": json.dumps(COMPONENT), **p})
    ),
    "ImageComponent.from_file": lambda w, p: _component(
        w, ImageComponent.from_file(**{"path": COMPONENT_FILE, "name": unique("f-"), **p})
    ),
    "ImageComponent.from_yaml": lambda w, p: _component(
        w, ImageComponent.from_yaml(**{"name": unique("y-"), "text": json.dumps(COMPONENT), **p})
    ),
    "ImageComponent.from_dict": lambda w, p: _component(
        w, ImageComponent.from_dict(**{"name": unique("d-"), "document": COMPONENT, **p})
    ),
    "ImageComponent.from_aws_managed": lambda w, p: _component(
        w, ImageComponent.from_aws_managed(**{"name": "update-linux", "version": "1.0.2", **p})
    ),
    "ParentImage.__init__": lambda w, p: _parent(
        w, ParentImage(**{"reference": "ami-0123456789abcdef0", "description": "ami-0123456789abcdef0", **p})
    ),
    "ParentImage.from_ssm_parameter": lambda w, p: _parent(w, ParentImage.from_ssm_parameter(**{"name": PARENT, **p})),
    "ParentImage.from_catalog": lambda w, p: _parent(
        w, ParentImage.from_catalog(**{"catalog": w.catalog, "line": "web", **p})
    ),
    "ParentImage.from_managed": lambda w, p: _parent(
        w, ParentImage.from_managed(**{"name": "amazon-linux-2023-x86", **p})
    ),
    "ParentImage.from_ami": lambda w, p: _parent(w, ParentImage.from_ami(**{"ami_id": "ami-0123456789abcdef0", **p})),
    "AmiCatalog.__init__": lambda w, p: AmiCatalog(w.stack, unique("Catalog"), **p),
    "AmiCatalog.next_channel": lambda w, p: w.catalog.next_channel(**{"channel": "candidate", **p}),
    "AmiCatalog.parameter_name": lambda w, p: w.catalog.parameter_name(**{"line": "web", "channel": "stable", **p}),
    "AmiCatalog.parameter_arn": lambda w, p: w.catalog.parameter_arn(**{"line": "web", "channel": "stable", **p}),
    "AmiCatalog.context_key": lambda w, p: AmiCatalog.context_key(**{"line": "web", "channel": "stable", **p}),
    "AmiCatalog.machine_image": lambda w, p: _immutable(
        w, machine_image=w.catalog.machine_image(**{"line": "web", "version": 3, **p})
    ),
    "AmiCatalog.grant_read": lambda w, p: w.catalog.grant_read(**{"grantee": w.role, **p}),
    "ImageDistributionTarget.__init__": lambda w, p: ImageDistributionTarget(
        w.stack,
        unique("Target"),
        **{"pipeline_account": "123456789012", "catalog": w.catalog, "key_arns": [TARGET_KEY], **p},
    ),
    "ImageDistributionKey.__init__": lambda w, p: ImageDistributionKey(w.stack, unique("DistributionKey"), **p),
    "ImageKeyGrant.__init__": lambda w, p: ImageKeyGrant(w.stack, unique("KeyGrant"), **{"key_arn": TARGET_KEY, **p}),
    "PinnedSsmImage.__init__": lambda w, p: _immutable(w, machine_image=_pinned(**p)),
    "PinnedSsmImage.get_image": lambda w, p: _pinned().get_image(**{"scope": w.stack, **p}),
    "TrialImage.__init__": lambda w, p: _immutable(
        w, machine_image=TrialImage(**{"pinned": _pinned(), "release": RELEASE, "agent_version": AGENT, **p})
    ),
    "TrialImage.amazon_linux_2023": lambda w, p: _immutable(
        w, machine_image=TrialImage.amazon_linux_2023(**{"version": 3, **p})
    ),
    "TrialImage.agent_install_commands": lambda w, p: TrialImage.amazon_linux_2023(version=3).agent_install_commands(
        **p
    ),
    "TrialImage.get_image": lambda w, p: TrialImage.amazon_linux_2023(version=3).get_image(**{"scope": w.stack, **p}),
    # -- access/, AlarmTopic, the health check's value object ---------------------------------------------
    "SessionManagerAccess.__init__": lambda w, p: SessionManagerAccess(w.stack, unique("Access"), **p),
    "SessionManagerAccess.add_fleet": lambda w, p: _access(w).add_fleet(**{"fleet": w.fleet, **p}),
    "SessionManagerAccess.grant_instance_logging": lambda w, p: _access(w).grant_instance_logging(
        **{"grantee": w.fleet, **p}
    ),
    "SessionManagerAccess.grant_start_session": lambda w, p: _access(w).grant_start_session(
        **{"principal": _operator(w), **p}
    ),
    "SessionManagerAccess.start_session_command": lambda w, p: _access(w).start_session_command(**p),
    "TaintedHostReplacement.__init__": lambda w, p: TaintedHostReplacement(
        w.stack, unique("Tainted"), **{"fleets": [w.fleet], **p}
    ),
    "TaintedHostReplacement.add_fleet": lambda w, p: _tainted(w).add_fleet(**{"fleet": w.fleet, **p}),
    "TaintedHostReplacement.replaces": lambda w, p: _tainted(w).replaces(**{"fleet": w.fleet, **p}),
    "AlarmTopic.__init__": lambda w, p: AlarmTopic(_topic_stack(w), "ImmutableAlarmTopic", **p),
    "AlarmTopic.of": lambda w, p: AlarmTopic.of(**{"scope": w.stack, **p}),
    "AlarmTopic.use": lambda w, p: AlarmTopic.use(**{"stack": _topic_stack(w), "topic": _topic(w), **p}),
    "FleetHealthCheck.__init__": lambda w, p: _immutable(
        w,
        health_check=FleetHealthCheck(
            **{"kind": "http", "target": "http://localhost/", "timeout": Duration.minutes(5), "interval": FIVE, **p}
        ),
    ),
    "FleetHealthCheck.render": lambda w, p: FleetHealthCheck.http("http://localhost/").render(**p),
    # -- nag/ -----------------------------------------------------------------------------------------
    "ImmutableInfrastructureChecks.__init__": lambda w, p: ImmutableInfrastructureChecks(**p),
}

#: A value object is judged by the construct it is given to: its problem may name the construct's prop that holds
#: it (``components``), with the value object's own argument in the reason where the factory's spec found it.
HOLDERS = {
    **dict.fromkeys((o for o in BUILDERS if o.startswith("ImageComponent.")), "components"),
    **dict.fromkeys((o for o in BUILDERS if o.startswith("ParentImage.")), "parent_image"),
    **dict.fromkeys(
        (o for o in BUILDERS if o.startswith(("PinnedSsmImage.__init__", "TrialImage.", "AmiCatalog.machine_image"))),
        "machine_image",
    ),
    **dict.fromkeys((o for o in BUILDERS if o.startswith("FleetHealthCheck.")), "health_check"),
    **dict.fromkeys((o for o in BUILDERS if o.startswith("FleetUpdate.")), "update"),
    "FleetAlarmOptions.__init__": "alarm_options",
}

FIVE = Duration.seconds(5)


def _access(world: World) -> SessionManagerAccess:
    """The world's one SessionManagerAccess (its methods' builders call it)."""
    found = world.stack.node.try_find_child("Access")
    return found if isinstance(found, SessionManagerAccess) else SessionManagerAccess(world.stack, "Access")


def _tainted(world: World) -> TaintedHostReplacement:
    found = world.stack.node.try_find_child("Tainted")
    if isinstance(found, TaintedHostReplacement):
        return found
    return TaintedHostReplacement(world.stack, "Tainted", fleets=[world.fleet])


def _operator(world: World) -> iam.Role:
    return iam.Role(world.stack, unique("Operator"), assumed_by=iam.AccountRootPrincipal())


def _topic_stack(world: World) -> Stack:
    """A stack of the world's account and region without an alarm topic yet."""
    return Stack(world.app, unique("Topics"), env={"account": "111111111111", "region": "eu-west-1"})


def _topic(world: World) -> sns.Topic:
    return sns.Topic(world.stack, unique("Topic"))


# -- functions/ (issue 26) ------------------------------------------------------------------------------


def _function_props() -> dict[str, Any]:
    """The required props of a new VersionedFunction."""
    from aws_cdk import aws_lambda as lambda_

    return {
        "runtime": lambda_.Runtime.PYTHON_3_13,
        "handler": "index.handler",
        "code": lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
    }


def _versioned(world: World) -> Any:
    """The world's one VersionedFunction (its methods' builders call it)."""
    from immutable_constructs import VersionedFunction

    found = world.stack.node.try_find_child("Versioned")
    return (
        found
        if isinstance(found, VersionedFunction)
        else VersionedFunction(world.stack, "Versioned", **_function_props())
    )


def _queue_source(world: World) -> Any:
    from aws_cdk import aws_lambda_event_sources as sources
    from aws_cdk import aws_sqs as sqs

    return sources.SqsEventSource(sqs.Queue(world.stack, unique("Queue")))


def _alarm(world: World) -> Any:
    from aws_cdk import aws_cloudwatch as cloudwatch

    metric = cloudwatch.Metric(namespace="Props", metric_name="Failed")
    return cloudwatch.Alarm(world.stack, unique("Alarm"), metric=metric, threshold=1, evaluation_periods=1)


def _new_versioned(world: World, props: dict[str, Any]) -> Any:
    from immutable_constructs import VersionedFunction

    return VersionedFunction(world.stack, unique("Function"), **{**_function_props(), **props})


BUILDERS.update(
    {
        "VersionedFunction.__init__": _new_versioned,
        "VersionedFunction.grant_invoke": lambda w, p: _versioned(w).grant_invoke(**{"grantee": _operator(w), **p}),
        "VersionedFunction.add_event_source": lambda w, p: _versioned(w).add_event_source(
            **{"source": _queue_source(w), **p}
        ),
        "VersionedFunction.add_function_url": lambda w, p: _versioned(w).add_function_url(**p),
        "VersionedFunction.add_alarm": lambda w, p: _versioned(w).add_alarm(**{"alarm": _alarm(w), **p}),
    }
)


# -- containers/ ------------------------------------------------------------------------------------------


def _new_service(world: World, props: dict[str, Any]) -> Any:
    from aws_cdk import aws_ecs as ecs

    from immutable_constructs import ImmutableService

    listener = world.stack.node.find_child("Alb").node.find_child("Http")
    required = {"image": ecs.ContainerImage.from_registry("nginx@sha256:" + "0" * 64), "listener": listener,
                "vpc": world.vpc}  # fmt: skip
    return ImmutableService(world.stack, unique("Service"), **{**required, **props})


BUILDERS["ImmutableService.__init__"] = _new_service
BUILDERS["ImmutableService.add_alarm"] = lambda w, p: _new_service(w, {}).add_alarm(**{"alarm": _alarm(w), **p})


# -- objects of another region ------------------------------------------------------------------------------


def _other_region_alarm(world: World) -> Any:
    from aws_cdk import aws_cloudwatch as cloudwatch

    metric = cloudwatch.Metric(namespace="Props", metric_name="Other")
    return cloudwatch.Alarm(world.other_region, "Alarm", metric=metric, threshold=1, evaluation_periods=1)


def _other_region_function(world: World) -> Any:
    from aws_cdk import aws_lambda as lambda_

    found = world.other_region.node.try_find_child("Function")
    return found if found is not None else lambda_.Function(world.other_region, "Function", **_function_props())


def _other_region_fleet(world: World) -> ImmutableFleet:
    found = world.other_region.node.try_find_child("Fleet")
    if isinstance(found, ImmutableFleet):
        return found
    return ImmutableFleet(world.other_region, "Fleet", **{**fleet_props(world), "vpc": world.other_region_vpc})


def _other_region_objects() -> dict[Any, Callable[[World], Any]]:
    from aws_cdk import aws_cloudwatch as cloudwatch
    from aws_cdk import aws_cloudwatch_actions as cw_actions
    from aws_cdk import aws_codedeploy as codedeploy
    from aws_cdk import aws_lambda as lambda_
    from aws_cdk import aws_logs as logs
    from aws_cdk import aws_s3 as s3

    return {
        kms.IKey: lambda w: kms.Key(w.other_region, "Key"),
        sns.ITopic: lambda w: w.other_region_topic,
        ec2.IVpc: lambda w: w.other_region_vpc,
        ec2.ISecurityGroup: lambda w: ec2.SecurityGroup(w.other_region, "Sg", vpc=w.other_region_vpc),
        elbv2.IApplicationTargetGroup: lambda w: elbv2.ApplicationTargetGroup(
            w.other_region, "Tg", vpc=w.other_region_vpc, port=80
        ),
        logs.ILogGroup: lambda w: logs.LogGroup(w.other_region, "Logs"),
        s3.IBucket: lambda w: s3.Bucket(w.other_region, "Bucket"),
        cloudwatch.IAlarm: _other_region_alarm,
        cloudwatch.IAlarmAction: lambda w: cw_actions.SnsAction(w.other_region_topic),
        iam.IRole: lambda w: w.other_region_role,
        iam.IGrantable: lambda w: w.other_region_role,
        lambda_.IFunction: _other_region_function,
        lambda_.Function: _other_region_function,
        codedeploy.IServerApplication: lambda w: codedeploy.ServerApplication(w.other_region, "ServerApp"),
        codedeploy.ILambdaApplication: lambda w: codedeploy.LambdaApplication(w.other_region, "LambdaApp"),
        codedeploy.IServerDeploymentConfig: lambda w: codedeploy.ServerDeploymentConfig(
            w.other_region, "ServerConfig", minimum_healthy_hosts=codedeploy.MinimumHealthyHosts.count(1)
        ),
        codedeploy.ILambdaDeploymentConfig: lambda w: codedeploy.LambdaDeploymentConfig(
            w.other_region, "LambdaConfig", traffic_routing=codedeploy.TrafficRouting.all_at_once()
        ),
        # the library's own constructs: a fleet, a catalog and a pipeline of another region
        SessionTarget: _other_region_fleet,
        TaintableFleet: _other_region_fleet,
        AmiCatalog: lambda w: w.other_region_catalog,
        GoldenImagePipeline: lambda w: GoldenImagePipeline(
            w.other_region,
            "Pipeline",
            **{**pipeline_props(w), "catalog": w.other_region_catalog, "vpc": w.other_region_vpc},
        ),
    }


#: The regional resource types a spec's field may take, and how the world makes one in another region: the generated
#: "an object of another region" case of such a field must end in a ValidationError (``Rule(same_region=True)``),
#: unless the field's rule says why another region is fine (``Rule(any_region=...)``, IAM being global).
OTHER_REGION: dict[Any, Callable[[World], Any]] = _other_region_objects()


def _other_account_objects() -> dict[Any, Callable[[World], Any]]:
    from aws_cdk import aws_logs as logs

    return {
        ec2.IVpc: lambda w: ec2.Vpc(w.other_account, "Vpc", max_azs=1, nat_gateways=0),
        logs.ILogGroup: lambda w: logs.LogGroup(w.other_account, "Logs"),
        iam.IRole: lambda w: w.other_account_role,
        iam.IGrantable: lambda w: w.other_account_role,
    }


#: Types of the objects a field whose rule says ``same_account=True`` may take, and how the world makes one in another
#: account: the generated "an object of another account" case of such a field must end in a ValidationError.
OTHER_ACCOUNT: dict[Any, Callable[[World], Any]] = _other_account_objects()


# -- release/ -----------------------------------------------------------------------------------------


def _release(world: World, props: dict[str, Any]) -> Any:
    from aws_cdk import Environment, Stage, pipelines

    from immutable_constructs import ReleasePipeline, ReleaseWave

    def service(scope: Any, id: str, *, env: Environment, image_versions: Any) -> Stage:
        stage = Stage(scope, id, env=env)
        Stack(stage, "Service")
        return stage

    connection = "arn:aws:codeconnections:eu-west-1:111111111111:connection/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"
    source = pipelines.CodePipelineSource.connection("o/r", "main", connection_arn=connection)
    wave = ReleaseWave("canary", [Environment(account="111111111111", region="eu-west-1")])
    defaults = {
        "synth": pipelines.ShellStep("Synth", input=source, commands=["npx cdk synth"]),
        "service": service,
        "waves": [wave],
    }
    stack = Stack(world.app, unique("Release"), env={"account": "111111111111", "region": "eu-west-1"})
    return ReleasePipeline(stack, "Release", **{**defaults, **props})


def _wave(world: World, props: dict[str, Any]) -> Any:
    from aws_cdk import Environment

    from immutable_constructs import ReleaseWave

    wave = ReleaseWave(
        **{"name": "canary", "environments": [Environment(account="111111111111", region="eu-west-1")], **props}
    )
    return _release(world, {"waves": [wave]})


BUILDERS.update({"ReleasePipeline.__init__": _release, "ReleaseWave.__init__": _wave})
