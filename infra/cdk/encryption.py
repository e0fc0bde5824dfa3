"""The customer-managed KMS key for data at rest: tables, queues, the media bucket, the alarm topic."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_kms as kms
from constructs import Construct


class Encryption(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self, "Key",
            description="Switchboard data at rest: tables, queues, media, alarm topic",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,  # losing the key loses every table and object it encrypts
        )
