"""The customer-managed KMS key for data at rest: tables, queues, the media bucket, the alarm topic and
every log group of the stack."""

from __future__ import annotations

from aws_cdk import Aws, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct, IConstruct


class Encryption(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self, "Key",
            description="Switchboard data at rest: tables, queues, media, alarm topic, logs",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,  # losing the key loses every table and object it encrypts
        )


def encrypt_log_groups(scope: IConstruct, key: kms.Key) -> int:
    """Every log group under ``scope`` (functions', API access logs, WAF's) encrypted with the stack's key;
    CloudWatch Logs of this region may use the key for this account's log groups only. Returns how many."""
    groups = [c for c in scope.node.find_all() if isinstance(c, logs.CfnLogGroup)]
    if not groups:
        return 0
    key.add_to_resource_policy(iam.PolicyStatement(
        principals=[iam.ServicePrincipal(f"logs.{Aws.REGION}.amazonaws.com")],
        actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        resources=["*"],
        conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn":
                                f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:*"}}))
    for group in groups:
        group.kms_key_id = key.key_arn
    return len(groups)
