"""Pattern: a Step Functions state machine that invokes a function's current version through
LambdaInvoke (aws-cdk's own integration test of the "invoke all versions" grant). The task names the
version, so nothing runs $LATEST: correct for IMM-REP8, which reads the state machine's definition."""

from aws_cdk import App, Duration, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks

ORIGIN = {
    "kind": "pattern",
    "repo": "aws/aws-cdk",
    "path": (
        "packages/@aws-cdk-testing/framework-integ/test/aws-stepfunctions-tasks/test/lambda/"
        "integ.invoke.all-versions.ts"
    ),
    "commit": "2a2bb501d52106ae4c83928dfe78b2228ba557e5",
}


def build(app: App) -> None:
    app.node.set_context("@aws-cdk/aws-stepfunctions-tasks:lambdaInvokeGrantAllVersions", True)
    stack = Stack(app, "SfnInvokeVersion")
    function = lambda_.Function(
        stack,
        "MyFunction",
        code=lambda_.Code.from_inline("exports.handler = async (event) => ({ statusCode: '200', ...event });"),
        runtime=lambda_.Runtime.NODEJS_22_X,
        handler="index.handler",
    )
    version = function.current_version
    invoke = tasks.LambdaInvoke(stack, "InvokeLambda", lambda_function=version, output_path="$.Payload")
    chain = sfn.DefinitionBody.from_chainable(invoke)
    sfn.StateMachine(stack, "StateMachine", definition_body=chain, timeout=Duration.seconds(30))
