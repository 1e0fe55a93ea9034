"""The rules of ImmutableInfrastructureChecks, one pure function per module.

Each module has ``RESOURCE_TYPES`` (the CloudFormation types it judges) and
``evaluate(resource, template) -> Result``; ids, severities and messages live in
:mod:`immutable_constructs.nag.catalog`.
"""

__all__: list[str] = []
