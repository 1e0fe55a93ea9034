"""SessionManagerAccess's declared props: what their types do not say (``_private/props.py`` checks them).

Checks across props (a bucket without ``log_to_s3``, the idle timeout within the maximum, one document
name per account and region...) stay in ``_checks.py``.
"""

from __future__ import annotations

from .._private.props import Rule

#: S3 object keys are at most 1,024 bytes (S3 User Guide, "Naming Amazon S3 objects"). The agent writes
#: ``<prefix><fleet unique id>/<session id>.log``: a unique id is at most 255 characters (``Names.unique_id``),
#: and a session id the caller's name (up to 64 characters), ``-`` and a generated suffix: 100 bytes for it.
S3_KEY_PREFIX_MAX = 1024 - 256 - 100

#: The session document's preferences are regional: Session Manager encrypts with a key of the session's
#: region, the agent streams to the log group of that name in its own account and region, and the VPC
#: endpoints are created in the VPC's account and region.
SESSION_MANAGER_ACCESS = {
    "vpc": Rule(same_region=True, same_account=True, fix="use a VPC of this stack's account and region"),
    "encryption_key": Rule(same_region=True, fix="use a KMS key of this stack's region (KMS keys are regional)"),
    "log_group": Rule(
        same_region=True,
        same_account=True,
        fix="use a log group of this stack's account and region: the agent writes to the group of that name "
        "in its own account and region",
    ),
    "s3_key_prefix": Rule(
        max_length=S3_KEY_PREFIX_MAX,
        fix=f"S3 keys are at most 1,024 bytes and the fleet's id and the session id follow the prefix: keep it under "
        f"{S3_KEY_PREFIX_MAX} bytes, e.g. 'sessions/'",
    ),
    "tainted_host_grace_period": Rule(low=0, high=7 * 86400, fix="whole seconds, up to 7 days: e.g. Duration.hours(1)"),
    # The session document names the bucket the agent writes to; the library's bucket policy and key grants are
    # this stack's, so the bucket is the stack's region's.
    "log_bucket": Rule(same_region=True, fix="use a bucket of this stack's region"),
}

#: A fleet is reached through this construct's regional document, key and log destinations.
FLEET = Rule(
    same_region=True,
    same_account=True,
    fix="add a fleet of this construct's account and region (its document, key and logs are regional)",
)

#: A managed policy of this account can only be attached to a role, user or group of this account.
PRINCIPAL = Rule(
    same_account=True,
    any_region="IAM is global",
    fix="grant a role, user or group of this account (people of another account assume a role of this one)",
)

INSTANCE_ID = Rule(
    blank=False,
    pattern=r"\S+",
    fix="pass an instance id such as 'i-0123456789abcdef0' (one word: it is put into a command line)",
)
