"""CodeDeploy's pre-traffic hook: invoke the new version once and report the verdict before any traffic moves."""

import json
import os

import boto3

codedeploy = boto3.client("codedeploy")
lambda_client = boto3.client("lambda")


def handler(event, context):
    status = "Succeeded"
    try:
        answer = lambda_client.invoke(
            FunctionName=os.environ["FUNCTION_NAME"],
            Qualifier=os.environ["FUNCTION_VERSION"],
            Payload=json.dumps({"pathParameters": {"id": "smoke-test"}}).encode(),
        )
        if answer.get("FunctionError") or json.loads(answer["Payload"].read()).get("statusCode") != 200:
            status = "Failed"
    except Exception:  # the new version cannot even be invoked: do not shift traffic to it
        status = "Failed"
    codedeploy.put_lifecycle_event_hook_execution_status(
        deploymentId=event["DeploymentId"],
        lifecycleEventHookExecutionId=event["LifecycleEventHookExecutionId"],
        status=status,
    )
    return status
