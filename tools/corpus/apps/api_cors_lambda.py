"""Pattern: a REST API resource with CORS preflight whose GET is a non-proxy Lambda integration
(aws-cdk-examples' "api-cors-lambda")."""

from aws_cdk import App, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_lambda as lambda_

from ._files import HANDLER

ORIGIN = {
    "kind": "pattern",
    "repo": "aws-samples/aws-cdk-examples",
    "path": "python/api-cors-lambda/app.py",
    "commit": "bccff1d2775e4b0bf777721c6b41c0107e122f73",
}


def build(app: App) -> None:
    stack = Stack(app, "ApiCorsLambda")
    function = lambda_.Function(
        stack,
        "ApiCorsLambda",
        handler="index.handler",
        runtime=lambda_.Runtime.PYTHON_3_12,
        code=lambda_.Code.from_asset(HANDLER),
    )
    api = apigw.RestApi(stack, "ApiGatewayWithCors", rest_api_name="ApiGatewayWithCors")
    entity = api.root.add_resource(
        "example",
        default_cors_preflight_options=apigw.CorsOptions(
            allow_methods=["GET", "OPTIONS"], allow_origins=apigw.Cors.ALL_ORIGINS
        ),
    )
    integration = apigw.LambdaIntegration(
        function,
        proxy=False,
        integration_responses=[
            apigw.IntegrationResponse(
                status_code="200", response_parameters={"method.response.header.Access-Control-Allow-Origin": "'*'"}
            )
        ],
    )
    entity.add_method(
        "GET",
        integration,
        method_responses=[
            apigw.MethodResponse(
                status_code="200", response_parameters={"method.response.header.Access-Control-Allow-Origin": True}
            )
        ],
    )
