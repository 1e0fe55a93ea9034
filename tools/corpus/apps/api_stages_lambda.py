"""Pattern: one published version, three aliases (prod, dev, test) and a REST API whose stages pick the
alias through a stage variable in the integration URI; each alias lets only its stage invoke it
(aws-cdk-examples' "api-stages-lambda")."""

from aws_cdk import App, Aws, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_

from ._files import HANDLER

ORIGIN = {
    "kind": "pattern",
    "repo": "aws-samples/aws-cdk-examples",
    "path": "python/api-stages-lambda/api_stages_lambda/api_stages_lambda_stack.py",
    "commit": "bccff1d2775e4b0bf777721c6b41c0107e122f73",
}


def build(app: App) -> None:
    stack = Stack(app, "ApiStagesLambda")
    function = lambda_.Function(
        stack,
        "LambdaFunction",
        runtime=lambda_.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=lambda_.Code.from_asset(HANDLER),
    )
    version = function.current_version
    api = apigw.RestApi(stack, "DeploymentStagesAPI", rest_api_name="MultiStageApi", deploy=False)
    resource = api.root.add_resource("stage_info")
    method = resource.add_method(
        "GET",
        authorization_type=apigw.AuthorizationType.IAM,
        integration=apigw.AwsIntegration(
            service="lambda",
            region=Aws.REGION,
            proxy=True,
            path=f"2015-03-31/functions/{function.function_arn}:${{stageVariables.lambdaAlias}}/invocations",
        ),
    )
    for name, prefix in (("prod", "Prod"), ("dev", "Dev"), ("test", "Test")):
        alias = lambda_.Alias(stack, f"{prefix}Alias", alias_name=name, version=version)
        deployment = apigw.Deployment(stack, f"{prefix}ApiDeployment", api=api)
        stage = apigw.Stage(
            stack,
            f"{prefix}ApiStage",
            deployment=deployment,
            stage_name=name,
            variables={"lambdaAlias": alias.alias_name},
        )
        alias.add_permission(
            f"{prefix}StageInvoke{prefix}AliasPermission",
            principal=iam.ServicePrincipal("apigateway.amazonaws.com"),
            action="lambda:InvokeFunction",
            source_arn=api.arn_for_execute_api(method=method.http_method, path=resource.path, stage=stage.stage_name),
        )
