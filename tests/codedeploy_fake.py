"""An in-memory CodeDeploy for the blue/green handler tests.

moto 5.2.5 has no UpdateDeploymentGroup, DeleteDeploymentGroup or StopDeployment, and its
GetDeploymentGroup drops the Auto Scaling group names and the blue/green settings. This fake
answers a real botocore ``codedeploy`` client the way botocore's Stubber does (on the
``before-call`` event, after botocore has validated every request against the CodeDeploy API
model), checks every response against the model's output shape like the Stubber, and plays
CodeDeploy's side of a blue/green deployment on moto's Auto Scaling: ``succeed`` copies the
serving group into a green group (named as CodeDeploy names it) and terminates or keeps the
blue one; ``fail`` deletes the green group and leaves the blue one serving, like an automatic
rollback.
"""

from __future__ import annotations

import copy
import itertools
from datetime import UTC, datetime
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.validate import ParamValidator

ACTIVE = ("Created", "Queued", "InProgress", "Baking", "Ready")


class CodeDeployError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class FakeCodeDeploy:
    def __init__(self, client: Any, autoscaling: Any, applications: tuple[str, ...] = ("app",)) -> None:
        self.client = client
        self.autoscaling = autoscaling
        self.applications = set(applications)
        self.groups: dict[tuple[str, str], dict[str, Any]] = {}
        self.deployments: dict[str, dict[str, Any]] = {}
        self.tags: dict[tuple[str, str], dict[str, str]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.fail_next: dict[str, tuple[str, str]] = {}
        self._ids = itertools.count(1)
        self._params: dict[str, Any] = {}
        client.meta.events.register_first("before-parameter-build.codedeploy", self._capture)
        client.meta.events.register_first("before-call.codedeploy", self._answer)

    # -- botocore hooks ----------------------------------------------------------

    def _capture(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self._params = copy.deepcopy(params)

    def _answer(self, model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        name = model.name
        params = self._params
        self.calls.append((name, params))
        try:
            if name in self.fail_next:
                code, message = self.fail_next.pop(name)
                raise CodeDeployError(code, message)
            handler = getattr(self, "_" + "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_"))
            body = handler(**params)
        except CodeDeployError as error:
            return AWSResponse("", 400, {}, None), {
                "Error": {"Code": error.code, "Message": error.message},
                "ResponseMetadata": {"HTTPStatusCode": 400},
            }
        errors = ParamValidator().validate(body, model.output_shape) if model.output_shape else None
        if errors and errors.has_errors():
            raise AssertionError(f"fake {name} response does not match the API model: {errors.generate_report()}")
        body["ResponseMetadata"] = {"HTTPStatusCode": 200}
        return AWSResponse("", 200, {}, None), body

    # -- API --------------------------------------------------------------------

    def _app(self, name: str) -> None:
        if name not in self.applications:
            raise CodeDeployError("ApplicationDoesNotExistException", f"application {name} does not exist")

    def _group(self, app: str, name: str) -> dict[str, Any]:
        self._app(app)
        if (app, name) not in self.groups:
            raise CodeDeployError("DeploymentGroupDoesNotExistException", f"deployment group {name} does not exist")
        return self.groups[(app, name)]

    def _create_deployment_group(self, applicationName: str, deploymentGroupName: str, **settings: Any) -> Any:
        self._app(applicationName)
        if (applicationName, deploymentGroupName) in self.groups:
            raise CodeDeployError("DeploymentGroupAlreadyExistsException", "already exists")
        self.groups[(applicationName, deploymentGroupName)] = {
            "applicationName": applicationName,
            "deploymentGroupName": deploymentGroupName,
            **self._render(settings),
        }
        return {"deploymentGroupId": f"dg-{next(self._ids)}"}

    @staticmethod
    def _render(settings: dict[str, Any]) -> dict[str, Any]:
        rendered = copy.deepcopy(settings)
        rendered["autoScalingGroups"] = [
            {"name": n, "hook": "CodeDeploy-managed-hook"} for n in settings["autoScalingGroups"]
        ]
        return rendered

    def _update_deployment_group(self, applicationName: str, currentDeploymentGroupName: str, **settings: Any) -> Any:
        group = self._group(applicationName, currentDeploymentGroupName)
        group.update(self._render(settings))
        return {"hooksNotCleanedUp": []}

    def _delete_deployment_group(self, applicationName: str, deploymentGroupName: str) -> Any:
        self._group(applicationName, deploymentGroupName)
        del self.groups[(applicationName, deploymentGroupName)]
        self.tags.pop((applicationName, deploymentGroupName), None)  # a deleted resource's tags go with it
        return {"hooksNotCleanedUp": []}

    def _tagged(self, arn: str) -> tuple[str, str]:
        """The deployment group an ARN names (arn:<partition>:codedeploy:<region>:<account>:deploymentgroup:a/g)."""
        parts = arn.split(":")
        if len(parts) != 7 or parts[2] != "codedeploy" or parts[5] != "deploymentgroup":
            raise CodeDeployError("InvalidArnException", f"{arn} is not a deployment group ARN")
        app, _, name = parts[6].partition("/")
        self._group(app, name)
        return app, name

    def _tag_resource(self, ResourceArn: str, Tags: list[dict[str, str]]) -> Any:
        key = self._tagged(ResourceArn)
        self.tags.setdefault(key, {}).update({t["Key"]: t["Value"] for t in Tags})
        return {}

    def _list_tags_for_resource(self, ResourceArn: str, **_: Any) -> Any:
        key = self._tagged(ResourceArn)
        return {"Tags": [{"Key": k, "Value": v} for k, v in self.tags.get(key, {}).items()]}

    def _get_deployment_group(self, applicationName: str, deploymentGroupName: str) -> Any:
        return {"deploymentGroupInfo": copy.deepcopy(self._group(applicationName, deploymentGroupName))}

    def _create_deployment(self, applicationName: str, deploymentGroupName: str, revision: Any, **rest: Any) -> Any:
        group = self._group(applicationName, deploymentGroupName)
        if any(d["status"] in ACTIVE and d["group"] == deploymentGroupName for d in self.deployments.values()):
            raise CodeDeployError("DeploymentLimitExceededException", "a deployment is already in progress")
        deployment_id = f"d-{next(self._ids):09d}"
        self.deployments[deployment_id] = {
            "deploymentId": deployment_id,
            "group": deploymentGroupName,
            "app": applicationName,
            "status": "InProgress",
            "revision": revision,
            "blue": group["autoScalingGroups"][0]["name"],
            "created": datetime.now(UTC),
            "description": rest.get("description", ""),
        }
        return {"deploymentId": deployment_id}

    def _get_deployment(self, deploymentId: str) -> Any:
        if deploymentId not in self.deployments:
            raise CodeDeployError("DeploymentDoesNotExistException", deploymentId)
        d = self.deployments[deploymentId]
        info: dict[str, Any] = {
            "deploymentId": deploymentId,
            "applicationName": d["app"],
            "deploymentGroupName": d["group"],
            "status": d["status"],
        }
        for key in ("errorInformation", "rollbackInfo", "description"):
            if key in d:
                info[key] = d[key]
        return {"deploymentInfo": info}

    def _list_deployments(
        self,
        applicationName: str,
        deploymentGroupName: str,
        includeOnlyStatuses: list[str] | None = None,
        createTimeRange: dict[str, datetime] | None = None,
    ) -> Any:
        self._group(applicationName, deploymentGroupName)
        found = [
            d["deploymentId"]
            for d in self.deployments.values()
            if d["group"] == deploymentGroupName
            and (includeOnlyStatuses is None or d["status"] in includeOnlyStatuses)
            and (createTimeRange is None or d["created"] >= createTimeRange["start"])
        ]
        return {"deployments": found}

    def _stop_deployment(self, deploymentId: str, autoRollbackEnabled: bool | None = None) -> Any:
        d = self.deployments.get(deploymentId)
        if d is None:
            raise CodeDeployError("DeploymentDoesNotExistException", deploymentId)
        if d["status"] not in ACTIVE:
            raise CodeDeployError("DeploymentAlreadyCompletedException", deploymentId)
        d["status"] = "Stopped"
        return {"status": "Pending", "statusMessage": "stopping"}

    # -- CodeDeploy's side of a blue/green deployment ---------------------------

    def succeed(self, deployment_id: str, *, version: str | None = None) -> str:
        """Copy the blue group into a green one, move the deployment group to it, then terminate or keep blue."""
        d = self.deployments[deployment_id]
        group = self.groups[(d["app"], d["group"])]
        (blue,) = self.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[d["blue"]])["AutoScalingGroups"]
        green = f"CodeDeploy_{d['group']}_{deployment_id}"
        self.autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=green,
            LaunchTemplate={
                "LaunchTemplateId": blue["LaunchTemplate"]["LaunchTemplateId"],
                "Version": version or blue["LaunchTemplate"]["Version"],
            },
            MinSize=blue["MinSize"],
            MaxSize=blue["MaxSize"],
            DesiredCapacity=blue["DesiredCapacity"],
            VPCZoneIdentifier=blue["VPCZoneIdentifier"],
            TargetGroupARNs=blue.get("TargetGroupARNs", []),
            Tags=[
                {**{k: t[k] for k in ("Key", "Value", "PropagateAtLaunch")}, "ResourceId": green,
                 "ResourceType": "auto-scaling-group"}
                for t in blue.get("Tags", [])
            ],
        )  # fmt: skip
        group["autoScalingGroups"] = [{"name": green, "hook": "CodeDeploy-managed-hook"}]
        action = group["blueGreenDeploymentConfiguration"]["terminateBlueInstancesOnDeploymentSuccess"]["action"]
        if action == "TERMINATE":
            self.autoscaling.delete_auto_scaling_group(AutoScalingGroupName=d["blue"], ForceDelete=True)
        d["status"] = "Succeeded"
        return green

    def fail(
        self, deployment_id: str, *, code: str = "HEALTH_CONSTRAINTS", rollback: bool = True, leave_green: bool = False
    ) -> None:
        """The green fleet failed validation (or an alarm fired): roll back, blue keeps serving.

        ``leave_green`` leaves the green group behind, as a failed or stopped deployment can.
        """
        d = self.deployments[deployment_id]
        if leave_green:
            self.succeed(deployment_id)
            group = self.groups[(d["app"], d["group"])]
            group["autoScalingGroups"] = [{"name": d["blue"], "hook": "CodeDeploy-managed-hook"}]
        d["status"] = "Failed"
        d["errorInformation"] = {"code": code, "message": "The overall deployment failed because too many "
                                 "individual instances failed deployment"}  # fmt: skip
        if rollback:
            rollback_id = f"d-{next(self._ids):09d}"
            d["rollbackInfo"] = {"rollbackDeploymentId": rollback_id, "rollbackMessage": "automatic rollback"}
            self.deployments[rollback_id] = {
                "deploymentId": rollback_id,
                "group": d["group"],
                "app": d["app"],
                "status": "InProgress",
                "revision": d["revision"],
                "blue": d["blue"],
                # Created now; whether CodeDeploy copies the description is not documented: assume it does (the
                # handler must not take this deployment for its own successful release).
                "created": datetime.now(UTC),
                "description": d.get("description", ""),
            }

    def finish_rollback(self, deployment_id: str) -> None:
        rollback_id = self.deployments[deployment_id]["rollbackInfo"]["rollbackDeploymentId"]
        self.deployments[rollback_id]["status"] = "Succeeded"

    def started(self) -> list[str]:
        return [params.get("description", "") for name, params in self.calls if name == "CreateDeployment"]

    def operations(self) -> list[str]:
        return [name for name, _ in self.calls]
