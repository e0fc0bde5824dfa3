"""Data at rest: the declared DynamoDB tables and the media bucket (with its server-access-log bucket)."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.cdk import nag
from infra.cdk.naming import pascal
from infra.declaration import Resources, Table


def _string(name: str) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING)


class Tables(Construct):
    """On-demand, point-in-time recovery, the customer-managed key, TTL where declared, and each index
    ``gsiN`` keyed by ``gsiNpk`` / ``gsiNsk`` projecting everything (the layout the repositories expect)."""

    def __init__(self, scope: Construct, construct_id: str, *, tables: tuple[Table, ...],
                 key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.by_name: dict[str, dynamodb.Table] = {spec.name: self._table(spec, key) for spec in tables}

    def _table(self, spec: Table, key: kms.IKey) -> dynamodb.Table:
        table = dynamodb.Table(
            self, pascal(spec.name),
            partition_key=_string(spec.partition_key),
            sort_key=_string(spec.sort_key) if spec.sort_key else None,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True),
            time_to_live_attribute=spec.ttl_attribute,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        for index in spec.indexes:
            table.add_global_secondary_index(
                index_name=index,
                partition_key=_string(f"{index}pk"),
                sort_key=_string(f"{index}sk"),
                projection_type=(dynamodb.ProjectionType.KEYS_ONLY if index in spec.keys_only
                                 else dynamodb.ProjectionType.ALL),
            )
        return table


class MediaStorage(Construct):
    """The media bucket: private, KMS-encrypted, TLS only; its server access logs go to a second bucket."""

    def __init__(self, scope: Construct, construct_id: str, *, name: str, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = s3.Bucket(
            self, "AccessLogs",
            # S3 server access logging can only deliver to a bucket with S3-managed keys.
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(365))],
            removal_policy=RemovalPolicy.RETAIN,
        )
        nag.suppress(self.access_logs, nag.suppression(
            "S1", "This is the server-access-log bucket of the media bucket; logging its own access would "
                  "log every log delivery, forever."))
        self.bucket = s3.Bucket(
            self, pascal(name),
            encryption=s3.BucketEncryption.KMS,
            encryption_key=key,
            bucket_key_enabled=True,  # one KMS call per object and session, not per request
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix=f"{name}/",
            removal_policy=RemovalPolicy.RETAIN,
        )


class Data(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, resources: Resources, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.tables = Tables(self, "Tables", tables=resources.tables, key=key).by_name
        self.media = MediaStorage(self, "Media", name=resources.bucket, key=key).bucket
