"""The one S3 bucket recipe of the library: private, TLS-only, owner-enforced, versioned, retained.

Used for the pipeline's build logs and the session logs (and their access-log bucket). What
differs between them is a parameter here, so a hardening added to one is added to all.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Validations
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct


def secure_bucket(
    scope: Construct,
    construct_id: str,
    *,
    key: kms.IKey | None,
    lifecycle_rules: Sequence[s3.LifecycleRule] | None = None,
    minimum_tls_version: float | None = None,
    server_access_logs_bucket: s3.IBucket | None = None,
    server_access_logs_prefix: str | None = None,
    no_access_logs_reason: str | None = None,
    object_lock_retention: Duration | None = None,
) -> s3.Bucket:
    """A bucket that blocks public access, refuses plain HTTP, disables ACLs, keeps versions and is retained.

    ``key`` encrypts with that KMS key (with an S3 Bucket Key, fewer KMS calls); ``None`` uses
    SSE-S3 (an access-log bucket: S3 server access logging cannot write to an SSE-KMS bucket).
    Without ``server_access_logs_bucket``, ``no_access_logs_reason`` must say why
    (it acknowledges AwsSolutions-S1). ``object_lock_retention`` turns S3 Object Lock on, in compliance mode
    with that default retention.
    """
    if server_access_logs_bucket is None and not no_access_logs_reason:
        raise ValueError("secure_bucket: pass server_access_logs_bucket or no_access_logs_reason")
    bucket = s3.Bucket(
        scope,
        construct_id,
        encryption=s3.BucketEncryption.KMS if key is not None else s3.BucketEncryption.S3_MANAGED,
        encryption_key=key,
        bucket_key_enabled=True if key is not None else None,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        minimum_tls_version=minimum_tls_version,
        versioned=True,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        server_access_logs_bucket=server_access_logs_bucket,
        server_access_logs_prefix=server_access_logs_prefix,
        lifecycle_rules=list(lifecycle_rules) if lifecycle_rules else None,
        removal_policy=RemovalPolicy.RETAIN,
        object_lock_enabled=True if object_lock_retention is not None else None,
        object_lock_default_retention=s3.ObjectLockRetention.compliance(object_lock_retention)
        if object_lock_retention is not None
        else None,
    )
    if no_access_logs_reason is not None:
        acknowledgment = Acknowledgment(id="AwsSolutions::AwsSolutions-S1", reason=no_access_logs_reason)
        Validations.of(bucket).acknowledge(acknowledgment)
    return bucket
