"""Where CloudFormation resources name a Lambda function that a service invokes (IMM-REP8's spec).

One declared table, not one branch of code per service: IMM-REP8 judges every property listed here,
a test builds a caller from each entry and expects the rule to report it (and to pass the alias),
and another test walks every resource schema CloudFormation publishes (cfn-lint's copy) and fails
on a property that names a Lambda function to invoke and is neither listed here nor in
:data:`NOT_CALLERS` with its reason. A service added to CloudFormation is then decided, not missed.

A path starts at the resource's ``Properties``; ``Name[]`` is each item of a list (``Fn::If``
branches expanded) and ``*`` each value of a map. ``when`` limits an entry to resources where a
key has one of the given values (``None``: the key is absent): a key of the object that holds
the property, or of ``Properties`` when it starts with ``/``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["CALLERS", "INVOKE_ACTIONS", "NOT_CALLERS", "Caller"]

#: The actions of an ``AWS::Lambda::Permission`` that let its principal invoke the function.
INVOKE_ACTIONS: frozenset[str | None] = frozenset(
    {"lambda:InvokeFunction", "lambda:InvokeFunctionUrl", "lambda:*", "*"}
)


@dataclass(frozen=True)
class Caller:
    """One property through which a service invokes the Lambda function it names."""

    path: str
    when: tuple[str, frozenset[str | None]] | None = None


def _on(key: str, *values: str | None) -> tuple[str, frozenset[str | None]]:
    return key, frozenset(values)


_COGNITO_TRIGGERS = (
    "CreateAuthChallenge", "CustomMessage", "DefineAuthChallenge", "PostAuthentication", "PostConfirmation",
    "PreAuthentication", "PreSignUp", "PreTokenGeneration", "UserMigration", "VerifyAuthChallengeResponse",
)  # fmt: skip
_COGNITO = tuple(Caller(f"LambdaConfig.{t}") for t in _COGNITO_TRIGGERS) + tuple(
    Caller(f"LambdaConfig.{t}.LambdaArn")
    for t in ("CustomEmailSender", "CustomSMSSender", "PreTokenGenerationConfig", "InboundFederation")
)
_FIREHOSE = tuple(
    Caller(f"{d}DestinationConfiguration.ProcessingConfiguration.Processors[].Parameters[].ParameterValue",
           when=_on("ParameterName", "LambdaArn"))
    for d in ("ExtendedS3", "Redshift", "Elasticsearch", "Amazonopensearchservice", "AmazonOpenSearchServerless",
              "Splunk", "HttpEndpoint", "Snowflake", "Iceberg")
)  # fmt: skip
_HOOK = "CodeHookSpecification.LambdaCodeHook.LambdaArn"
_ENRICHMENT = "EnrichmentConfiguration.{}ExtractionHookConfiguration.LambdaArn"

#: Resource type -> the properties through which it invokes a function.
CALLERS: Mapping[str, tuple[Caller, ...]] = {
    "AWS::Lambda::EventSourceMapping": (Caller("FunctionName"),),
    "AWS::Lambda::Permission": (Caller("FunctionName", when=("Action", INVOKE_ACTIONS)),),
    "AWS::Lambda::Url": (Caller("TargetFunctionArn", when=_on("Qualifier", None, "$LATEST")),),
    "AWS::Lambda::EventInvokeConfig": (
        Caller("DestinationConfig.OnSuccess.Destination"),
        Caller("DestinationConfig.OnFailure.Destination"),
    ),
    "AWS::ECS::Service": (
        Caller("DeploymentConfiguration.LifecycleHooks[].HookTargetArn", when=_on("TargetType", None, "AWS_LAMBDA")),
    ),
    "AWS::ApiGateway::Method": (Caller("Integration.Uri"),),
    "AWS::ApiGateway::Authorizer": (Caller("AuthorizerUri"),),
    "AWS::ApiGatewayV2::Integration": (Caller("IntegrationUri"),),
    "AWS::ApiGatewayV2::Authorizer": (Caller("AuthorizerUri"),),
    "AWS::ApiGatewayV2::Api": (Caller("Target"),),
    "AWS::ApiGatewayV2::ApiGatewayManagedOverrides": (Caller("Route.Target"),),
    "AWS::ElasticLoadBalancingV2::TargetGroup": (Caller("Targets[].Id", when=_on("/TargetType", "lambda")),),
    "AWS::SNS::Subscription": (Caller("Endpoint", when=_on("Protocol", "lambda")),),
    "AWS::SNS::Topic": (Caller("Subscription[].Endpoint", when=_on("Protocol", "lambda")),),
    "AWS::Events::Rule": (Caller("Targets[].Arn"),),
    "AWS::Scheduler::Schedule": (Caller("Target.Arn"),),
    "AWS::Pipes::Pipe": (Caller("Target"), Caller("Enrichment")),
    "AWS::S3::Bucket": (Caller("NotificationConfiguration.LambdaConfigurations[].Function"),),
    "AWS::S3ObjectLambda::AccessPoint": (
        Caller("ObjectLambdaConfiguration.TransformationConfigurations[].ContentTransformation.AwsLambda.FunctionArn"),
    ),
    "AWS::Logs::SubscriptionFilter": (Caller("DestinationArn"),),
    "AWS::CloudWatch::Alarm": (Caller("AlarmActions[]"), Caller("OKActions[]"), Caller("InsufficientDataActions[]")),
    "AWS::StepFunctions::StateMachine": (Caller("DefinitionString"), Caller("DefinitionSubstitutions.*")),
    "AWS::SecretsManager::RotationSchedule": (Caller("RotationLambdaARN"),),
    "AWS::Cognito::UserPool": _COGNITO,
    "AWS::Cognito::UserPoolRegionalConfigurationAttachment": _COGNITO,
    "AWS::AppSync::DataSource": (Caller("LambdaConfig.LambdaFunctionArn"),),
    "AWS::AppSync::GraphQLApi": (
        Caller("LambdaAuthorizerConfig.AuthorizerUri"),
        Caller("AdditionalAuthenticationProviders[].LambdaAuthorizerConfig.AuthorizerUri"),
    ),
    "AWS::AppSync::Api": (Caller("EventConfig.AuthProviders[].LambdaAuthorizerConfig.AuthorizerUri"),),
    "AWS::AppSync::Resolver": (Caller("SyncConfig.LambdaConflictHandlerConfig.LambdaConflictHandlerArn"),),
    "AWS::AppSync::FunctionConfiguration": (Caller("SyncConfig.LambdaConflictHandlerConfig.LambdaConflictHandlerArn"),),
    "AWS::AppConfig::ConfigurationProfile": (Caller("Validators[].Content", when=_on("Type", "LAMBDA")),),
    "AWS::AppFlow::Connector": (Caller("ConnectorProvisioningConfig.Lambda.LambdaArn"),),
    "AWS::IoT::TopicRule": (
        Caller("TopicRulePayload.Actions[].Lambda.FunctionArn"),
        Caller("TopicRulePayload.ErrorAction.Lambda.FunctionArn"),
    ),
    "AWS::IoT::Authorizer": (Caller("AuthorizerFunctionArn"),),
    "AWS::IoT::CertificateProvider": (Caller("LambdaFunctionArn"),),
    "AWS::IoTAnalytics::Pipeline": (Caller("PipelineActivities[].Lambda.LambdaName"),),
    "AWS::IoTEvents::AlarmModel": (Caller("AlarmEventActions.AlarmActions[].Lambda.FunctionArn"),),
    "AWS::IoTEvents::DetectorModel": tuple(
        Caller(f"DetectorModelDefinition.States[].{on}[].Actions[].Lambda.FunctionArn")
        for on in ("OnEnter.Events", "OnExit.Events", "OnInput.Events", "OnInput.TransitionEvents")
    ),
    "AWS::IoTManagedIntegrations::CloudConnector": (Caller("EndpointConfig.Lambda.Arn"),),
    "AWS::SES::ReceiptRule": (Caller("Rule.Actions[].LambdaAction.FunctionArn"),),
    "AWS::SES::MailManagerRuleSet": (Caller("Rules[].Actions[].InvokeLambda.FunctionArn"),),
    "AWS::Config::ConfigRule": (Caller("Source.SourceIdentifier", when=_on("Owner", "CUSTOM_LAMBDA")),),
    "AWS::Config::OrganizationConfigRule": (Caller("OrganizationCustomRuleMetadata.LambdaFunctionArn"),),
    "AWS::CloudFormation::Macro": (Caller("FunctionName"),),
    "AWS::CloudFormation::LambdaHook": (Caller("LambdaFunction"),),
    "AWS::KinesisFirehose::DeliveryStream": _FIREHOSE,
    "AWS::EC2::ClientVpnEndpoint": (Caller("ClientConnectOptions.LambdaFunctionArn"),),
    "AWS::KinesisAnalyticsV2::Application": (
        Caller("ApplicationConfiguration.SqlApplicationConfiguration.Inputs[].InputProcessingConfiguration"
               ".InputLambdaProcessor.ResourceARN"),
    ),
    "AWS::SageMaker::Model": tuple(
        Caller(f"{c}.ImageConfig.RepositoryAuthConfig.RepositoryCredentialsProviderArn")
        for c in ("PrimaryContainer", "Containers[]")
    ),
    "AWS::IoT::DomainConfiguration": (Caller("ServerCertificateConfig.OcspLambdaArn"),),
    "AWS::IoTSiteWise::Portal": (Caller("Alarms.NotificationLambdaArn"),),
    "AWS::Pinpoint::ApplicationSettings": (Caller("CampaignHook.LambdaFunctionName"),),
    "AWS::Pinpoint::Campaign": (Caller("CampaignHook.LambdaFunctionName"),),
    "AWS::HealthLake::FHIRDatastore": (Caller("IdentityProviderConfiguration.IdpLambdaArn"),),
    "AWS::SecurityAgent::Pentest": (Caller("Assets.Actors[].Authentication.Value"),),
    "AWS::RefactorSpaces::Service": (Caller("LambdaEndpoint.Arn"),),
    "AWS::Transfer::Server": (Caller("IdentityProviderDetails.Function"),),
    "AWS::Transfer::Workflow": (Caller("Steps[].CustomStepDetails.Target"),
                                Caller("OnExceptionSteps[].CustomStepDetails.Target")),
    "AWS::Chime::SipMediaApplication": (Caller("Endpoints[].LambdaArn"),),
    "AWS::Chime::ChannelFlow": (Caller("Processors[].Configuration.Lambda.ResourceArn"),),
    "AWS::Lex::BotAlias": (Caller(f"BotAliasLocaleSettings[].BotAliasLocaleSetting.{_HOOK}"),),
    "AWS::Lex::Bot": (Caller(f"TestBotAliasSettings.BotAliasLocaleSettings[].BotAliasLocaleSetting.{_HOOK}"),),
    "AWS::Kendra::DataSource": tuple(Caller("CustomDocument" + _ENRICHMENT.format(w)) for w in ("Pre", "Post")),
    "AWS::QBusiness::DataSource": tuple(Caller("Document" + _ENRICHMENT.format(w)) for w in ("Pre", "Post")),
    "AWS::Greengrass::FunctionDefinition": (Caller("InitialVersion.Functions[].FunctionArn"),),
    "AWS::Greengrass::FunctionDefinitionVersion": (Caller("Functions[].FunctionArn"),),
    "AWS::GreengrassV2::ComponentVersion": (Caller("LambdaFunction.LambdaArn"),),
    "AWS::Bedrock::Agent": (
        Caller("ActionGroups[].ActionGroupExecutor.Lambda"),
        Caller("CustomOrchestration.Executor.Lambda"),
        Caller("PromptOverrideConfiguration.OverrideLambda"),
    ),
    "AWS::Bedrock::DataSource": (
        Caller("VectorIngestionConfiguration.CustomTransformationConfiguration.Transformations[]"
               ".TransformationFunction.TransformationLambdaConfiguration.LambdaArn"),
    ),
    "AWS::Bedrock::Flow": (Caller("Definition.Nodes[].Configuration.LambdaFunction.LambdaArn"),),
    "AWS::BedrockAgentCore::Evaluator": (Caller("EvaluatorConfig.CodeBased.LambdaConfig.LambdaArn"),),
    "AWS::BedrockAgentCore::Gateway": (Caller("InterceptorConfigurations[].Interceptor.Lambda.Arn"),),
    "AWS::BedrockAgentCore::GatewayTarget": (Caller("TargetConfiguration.Mcp.Lambda.LambdaArn"),),
    "AWS::BedrockAgentCore::Harness": tuple(
        Caller(f"Hooks[].{hook}.Target.Lambda.Arn")
        for hook in ("BeforeInvocation", "AfterInvocation", "BeforeToolCall", "AfterToolCall")
    ),
}  # fmt: skip

#: (resource type, property path) -> why a property that names a function is not a caller IMM-REP8 judges.
NOT_CALLERS: Mapping[tuple[str, str], str] = {
    ("AWS::Lambda::Function", "FunctionName"): "the function's own name",
    ("AWS::Lambda::Version", "FunctionName"): "publishes a version of the function: how it is released",
    ("AWS::Lambda::Alias", "FunctionName"): "the alias that a release moves: what callers should name",
    ("AWS::Lambda::EventInvokeConfig", "FunctionName"): "configures asynchronous invocation; its Qualifier names "
    "the version or alias configured, and the callers are judged where they are",
    ("AWS::Lambda::EventSourceMapping", "DestinationConfig.OnFailure.Destination"): "an event source mapping's "
    "on-failure destination is a queue, topic, bucket or Kafka topic, never a function",
    ("AWS::Lambda::WebFunction", "FunctionName"): "a web function's own name (AWS::Lambda::WebFunction has "
    "revisions of its own, not AWS::Lambda::Version)",
    ("AWS::Lambda::WebFunctionEndpoint", "FunctionName"): "an endpoint of a web function, not of an "
    "AWS::Lambda::Function",
    ("AWS::Lambda::WebFunctionRevision", "FunctionName"): "a revision of a web function, not of an "
    "AWS::Lambda::Function",
    ("AWS::CloudFront::Distribution", "DistributionConfig.DefaultCacheBehavior.LambdaFunctionAssociations[]"
     ".LambdaFunctionARN"): "CloudFront accepts only a version ARN here: CloudFormation refuses an alias or $LATEST",
    ("AWS::CloudFront::Distribution", "DistributionConfig.CacheBehaviors[].LambdaFunctionAssociations[]"
     ".LambdaFunctionARN"): "CloudFront accepts only a version ARN here: CloudFormation refuses an alias or $LATEST",
    ("AWS::CloudFront::Distribution", "DistributionConfig.DefaultCacheBehavior.FunctionAssociations[].FunctionARN"):
    "a CloudFront Function, not a Lambda function",
    ("AWS::CloudFront::Distribution", "DistributionConfig.CacheBehaviors[].FunctionAssociations[].FunctionARN"):
    "a CloudFront Function, not a Lambda function",
    ("AWS::CloudFront::ConnectionFunction", "ConnectionFunctionArn"): "a CloudFront connection function, "
    "not a Lambda function",
    ("AWS::EC2::VPC", "VpcEncryptionControl.ResourceExclusions.Lambda"): "an encryption-control exclusion "
    "setting, not a function",
    ("AWS::EC2::VPCEncryptionControl", "ResourceExclusions.Lambda"): "an encryption-control exclusion setting, "
    "not a function",
    ("AWS::BedrockAgentCore::Harness", "Tools[].Config.InlineFunction"): "a tool's inline definition (its input "
    "schema), not a function ARN",
    ("AWS::Serverless::GraphQLApi", "DataSources.Lambda"): "an AWS SAM resource, expanded by the "
    "AWS::Serverless transform only when CloudFormation deploys it: the pack sees the template before the transform",
    ("AWS::Lambda::EventSourceMapping", "EventSourceArn"): "the source the mapping reads from",
    ("AWS::Lambda::EventSourceMapping", "AmazonManagedKafkaEventSourceConfig.ConsumerGroupId"): "a Kafka setting",
    ("AWS::Lambda::EventSourceMapping", "SelfManagedKafkaEventSourceConfig.ConsumerGroupId"): "a Kafka setting",
    ("AWS::Lambda::EventSourceMapping", "DocumentDBEventSourceConfig.CollectionName"): "a DocumentDB setting",
    ("AWS::Lambda::Permission", "SourceArn"): "the resource allowed to invoke, not the function",
    ("AWS::Lambda::Function", "Code.ImageUri"): "the function's own container image",
    ("AWS::ApplicationAutoScaling::ScalableTarget", "ResourceId"): "names the alias or version whose provisioned "
    "concurrency scales (function:name:alias); scaling invokes nothing",
    ("AWS::ApplicationAutoScaling::ScalingPolicy", "ResourceId"): "names the alias or version whose provisioned "
    "concurrency scales; scaling invokes nothing",
    ("AWS::InspectorV2::Filter", "FilterCriteria.LambdaFunctionName"): "a filter of findings: it matches, it does not "
    "invoke",
    ("AWS::S3ObjectLambda::AccessPoint", "Name"): "the access point's own name",
    ("AWS::SecretsManager::RotationSchedule", "HostedRotationLambda"): "a rotation function Secrets Manager creates "
    "from its own template, not one of the app's",
    ("AWS::SecretsManager::RotationSchedule", "HostedRotationLambda.RotationLambdaName"): "the name Secrets Manager "
    "gives the rotation function it creates",
    ("AWS::EventsV2::Subscriber", "InvokeConfiguration.LambdaParameters.TenantId"): "the tenant passed to the "
    "function, not the function",
    ("AWS::CleanRooms::ConfiguredTable", "AnalysisRules[].Policy.V1.Aggregation.AggregateColumns[].Function"):
    "an SQL aggregation function",
    ("AWS::Connect::Rule", "Function"): "the conditions of a Connect rule",
    ("AWS::Glue::UserDefinedFunction", "FunctionName"): "a Glue user-defined function",
    ("AWS::SageMaker::ModelCard", "Content.TrainingDetails.ObjectiveFunction.Function"): "a training objective",
    ("AWS::SageMaker::ModelCard", "Content.TrainingDetails.ObjectiveFunction.Function.Function"): "a training "
    "objective",
}  # fmt: skip
