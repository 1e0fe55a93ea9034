"""Sharing a catalog's promoted parameters with an organization, OUs or accounts through AWS RAM.

What AWS requires (Systems Manager User Guide, "Working with shared parameters"):

- a parameter can be shared only when it is in the **advanced** tier, and only by the account that owns
  it (a consumer cannot share it on); sharing with an organization or OU needs "sharing with AWS
  Organizations" turned on in RAM (AWS RAM User Guide, "Enable resource sharing within AWS
  Organizations"); otherwise each account gets an invitation it must accept;
- consumers get read-only access (``AWSRAMDefaultPermissionSSMParameterReadOnly``: ``DescribeParameters``,
  ``GetParameter``, ``GetParameters``) and must name the parameter by its **full ARN**;
- CloudFormation dynamic references do not support shared parameters; EC2 launch templates do
  (``resolve:ssm:<ARN>:<version>``), which is how :class:`~immutable_constructs.PinnedSsmImage` pins one;
- the owner pays USD 0.05 a month per advanced parameter, each account pays for its own API calls to it
  (USD 0.05 per 10,000; "Pricing for shared parameters"; AWS Systems Manager pricing).

Why the share is created without resources: the catalog's writers own its parameters (``catalog.py``),
so the promoted channel does not exist when the stack is first deployed, and a resource share cannot
name a resource that does not exist. The promotion function writes the channel in the advanced tier and
associates it with this share (``ram:AssociateResourceShare``) once it exists; RAM may then ask the
caller for ``ssm:PutResourcePolicy``/``ssm:GetResourcePolicies`` on the parameter ("Permissions sets for
sharing parameters", note), which the function's role has on that parameter only.

Why every share of a prefix has the same name: resource shares are regional (AWS RAM User Guide, "Shareable
AWS resources"), and the promotion writes the channel in every region the pipeline distributes to. The
channel of another region is shared by a catalog with ``share_with`` in a stack of that region; the promotion
function finds that share by its name (``ram:GetResourceShares``, this account's active shares) and adds
the channel there, allowed only for shares of that name (``ram:ResourceShareName``, Service Authorization
Reference: a condition key of the ``resource-share`` resource type).
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Stack
from aws_cdk import aws_ram as ram
from constructs import Construct

from .._private.validation import Problems, is_unresolved

#: A 12-digit account, an organization ARN or an OU ARN (AWS RAM ``Principals``, AWS Organizations ARN formats).
ACCOUNT = r"[0-9]{12}"
ORGANIZATION = r"arn:aws[a-z-]*:organizations::[0-9]{12}:organization/o-[a-z0-9]{10,32}"
ORGANIZATIONAL_UNIT = r"arn:aws[a-z-]*:organizations::[0-9]{12}:ou/o-[a-z0-9]{10,32}/ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}"
PRINCIPAL = f"{ACCOUNT}|{ORGANIZATION}|{ORGANIZATIONAL_UNIT}"
PRINCIPAL_FIX = (
    "list each principal once: a 12-digit account id, an organization ARN "
    "('arn:aws:organizations::111111111111:organization/o-exampleorgid') or an OU ARN "
    "('arn:aws:organizations::111111111111:ou/o-exampleorgid/ou-ab12-exampleou')"
)
#: The managed RAM permission that gives consumers read-only access to a shared parameter.
READ_ONLY_PERMISSION = "AWSRAMDefaultPermissionSSMParameterReadOnly"


def check_sharing(
    problems: Problems, *, share_with: Sequence[str], owner_account: str | None, stack_account: str
) -> None:
    """What the prop specs cannot say: one catalog either shares its parameters or reads shared ones."""
    problems.require(
        not (share_with and owner_account is not None),
        "owner_account",
        owner_account,
        "is set together with share_with, but a parameter shared with this account cannot be shared on "
        "(Systems Manager User Guide, 'Working with shared parameters')",
        "share from the catalog of the account that owns the parameters; here pass only owner_account",
    )
    if owner_account is not None and not is_unresolved(stack_account) and not is_unresolved(owner_account):
        problems.require(
            owner_account != stack_account,
            "owner_account",
            owner_account,
            "is this stack's own account",
            "leave owner_account unset for the catalog of the account that owns the parameters",
        )


def share_name(prefix: str) -> str:
    """The name of every resource share of the catalogs with ``prefix`` in this account, in any region: a pipeline's
    promotion function finds the share of another region by it (a stack names no resource of another region)."""
    return f"immutable-constructs-catalog{prefix.replace('/', '-')}"


def create_share(
    scope: Construct, *, prefix: str, share_with: Sequence[str], allow_external_principals: bool
) -> ram.CfnResourceShare:
    """An ``AWS::RAM::ResourceShare`` with the principals and the read-only parameter permission, no resources yet."""
    stack = Stack.of(scope)
    return ram.CfnResourceShare(
        scope,
        "Share",
        name=share_name(prefix),
        principals=list(share_with),
        allow_external_principals=allow_external_principals,
        permission_arns=[f"arn:{stack.partition}:ram::aws:permission/{READ_ONLY_PERMISSION}"],
    )
