"""Grant this account's EC2 Auto Scaling service-linked role the use of a KMS key of another account.

An AMI shared with this account (launch permissions) keeps its snapshots encrypted with the owner's key.
EC2 Auto Scaling launches through ``AWSServiceRoleForAutoScaling``, whose policy cannot be edited, so a key
policy naming this account is not enough: this account must create a grant for that role (EC2 Auto Scaling
User Guide, "Required AWS KMS key policy for use with encrypted volumes", Example 2: "create a grant ... for
the service-linked role"). Without it every launch from the AMI fails.

Create: make sure the service-linked role exists (``iam:CreateServiceLinkedRole``; ``InvalidInput`` means it
already does), then ``kms:CreateGrant`` with the operations of Example 2 and a ``Name`` (KMS: "Use this value
to prevent the unintended creation of duplicate grants when retrying this request"); the grant id is the
physical id. Update: a new grant (CloudFormation then deletes the old one). Delete: ``kms:RetireGrant`` as the
grant's retiring principal (this function's role); a grant already gone counts as retired.

Properties: ``KeyArn``, ``GranteePrincipal`` (the role's ARN), ``GrantName``, ``RetiringPrincipal``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3
from botocore.exceptions import ClientError

try:  # Lambda imports index.py from the asset root, where the runtime's copy sits beside it
    import handler_runtime as runtime  # type: ignore[import-not-found,unused-ignore]
except ModuleNotFoundError:  # imported as part of the package (tests, tools)
    from . import handler_runtime as runtime

runtime.HANDLER = "key-grant"
call = runtime.call

#: Example 2's grant operations for the Auto Scaling service-linked role.
OPERATIONS = (
    "Encrypt",
    "Decrypt",
    "ReEncryptFrom",
    "ReEncryptTo",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "DescribeKey",
    "CreateGrant",
)
GONE = ("NotFoundException", "InvalidGrantIdException")


def ensure_service_linked_role(iam: Any) -> None:
    """Create ``AWSServiceRoleForAutoScaling`` unless it exists (a grant needs an existing grantee)."""
    try:
        call(iam, "create_service_linked_role", AWSServiceName="autoscaling.amazonaws.com")
    except ClientError as error:
        if runtime.error_code(error) != "InvalidInput":  # "... has been taken in this account"
            raise


def on_event(event: Mapping[str, Any], context: Any = None, *, kms: Any = None, iam: Any = None) -> dict[str, Any]:
    """The Provider framework's onEvent: create, replace or retire the grant."""
    props = event["ResourceProperties"]
    key = str(props["KeyArn"])
    kms = kms or boto3.client("kms", region_name=key.split(":")[3], config=runtime.RETRY_CONFIG)
    if event["RequestType"] == "Delete":
        grant_id = str(event["PhysicalResourceId"])
        try:
            call(kms, "retire_grant", KeyId=key, GrantId=grant_id)
        except ClientError as error:
            if runtime.error_code(error) not in GONE:
                raise
        runtime.log("info", "retired", f"grant {grant_id} on {key} retired", key=key, grant=grant_id)
        return {"PhysicalResourceId": grant_id}
    ensure_service_linked_role(iam or boto3.client("iam", config=runtime.RETRY_CONFIG))
    grant = call(
        kms,
        "create_grant",
        KeyId=key,
        GranteePrincipal=str(props["GranteePrincipal"]),
        RetiringPrincipal=str(props["RetiringPrincipal"]),
        Operations=list(OPERATIONS),
        Name=str(props["GrantName"]),
    )
    runtime.log("info", "granted", f"grant {grant['GrantId']} on {key}", key=key, grant=grant["GrantId"])
    return {"PhysicalResourceId": grant["GrantId"]}
