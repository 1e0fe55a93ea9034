"""Pattern: a CloudWatch alarm whose alarm, OK and insufficient-data actions invoke a function three ways:
its current version, an alias of it, and the unqualified function (aws-cdk's own integration test of
LambdaAction). The function publishes versions, so the unqualified actions (and the invoke permissions
CDK adds for them) run $LATEST: what IMM-REP8 reports; the version and the alias pass. The alias is moved
without a deployment group: IMM-REP9."""

from aws_cdk import App, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_lambda as lambda_

ORIGIN = {
    "kind": "pattern",
    "repo": "aws/aws-cdk",
    "path": "packages/@aws-cdk-testing/framework-integ/test/aws-cloudwatch-actions/test/integ.lambda-alarm-action.ts",
    "commit": "7023141145226c0e186995df9db469ebddc9fede",
}
HANDLER = "exports.handler = (event, _context, callback) => { console.log(JSON.stringify(event)); return callback(); }"


def _function(stack: Stack, name: str) -> lambda_.Function:
    return lambda_.Function(stack, name, function_name=name, runtime=lambda_.Runtime.NODEJS_22_X,
                            handler="index.handler", code=lambda_.Code.from_inline(HANDLER))  # fmt: skip


def build(app: App) -> None:
    stack = Stack(app, "LambdaAlarmActionIntegrationTestStack")
    in_alarm = _function(stack, "inAlarmLambda")
    alarm = cloudwatch.Alarm(
        stack,
        "Alarm",
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        threshold=1,
        evaluation_periods=1,
        metric=in_alarm.metric_errors(period=Duration.minutes(1)),
        actions_enabled=True,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
    alarm_lambda = _function(stack, "alarmLambda")
    version = alarm_lambda.current_version
    alias = alarm_lambda.add_alias("aliasName")
    for add in (alarm.add_alarm_action, alarm.add_ok_action, alarm.add_insufficient_data_action):
        for target in (version, alias, alarm_lambda):
            add(actions.LambdaAction(target))
