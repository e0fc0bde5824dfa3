"""Create the declared resources in whatever AWS boto3 points at (moto's server, here)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

import boto3

from infra.declaration import CORS_ORIGINS_ENVIRONMENT, RESOURCES, Queue, Table, cors_origins

PREFIX = "switchboard"


@dataclass
class Created:
    environment: dict[str, str] = field(default_factory=dict)
    queue_urls: dict[str, str] = field(default_factory=dict)
    dlq_urls: dict[str, str] = field(default_factory=dict)


def _create_table(spec: Table) -> str:
    name = f"{PREFIX}-{spec.name}"
    attributes = [{"AttributeName": spec.partition_key, "AttributeType": "S"}]
    key_schema = [{"AttributeName": spec.partition_key, "KeyType": "HASH"}]
    if spec.sort_key:
        attributes.append({"AttributeName": spec.sort_key, "AttributeType": "S"})
        key_schema.append({"AttributeName": spec.sort_key, "KeyType": "RANGE"})
    indexes = []
    for index in spec.indexes:
        attributes += [{"AttributeName": f"{index}pk", "AttributeType": "S"},
                       {"AttributeName": f"{index}sk", "AttributeType": "S"}]
        projection = "KEYS_ONLY" if index in spec.keys_only else "ALL"
        indexes.append({"IndexName": index, "Projection": {"ProjectionType": projection},
                        "KeySchema": [{"AttributeName": f"{index}pk", "KeyType": "HASH"},
                                      {"AttributeName": f"{index}sk", "KeyType": "RANGE"}]})
    kwargs = {"GlobalSecondaryIndexes": indexes} if indexes else {}
    client = boto3.client("dynamodb")
    client.create_table(TableName=name, AttributeDefinitions=attributes, KeySchema=key_schema,
                        BillingMode="PAY_PER_REQUEST", **kwargs)
    if spec.ttl_attribute:
        client.update_time_to_live(TableName=name, TimeToLiveSpecification={
            "Enabled": True, "AttributeName": spec.ttl_attribute})
    return name


def _create_queue(spec: Queue, local: bool) -> tuple[str, str]:
    sqs = boto3.client("sqs")
    suffix = ".fifo" if spec.fifo else ""
    base = {"FifoQueue": "true"} if spec.fifo else {}
    dlq_url = sqs.create_queue(QueueName=f"{PREFIX}-{spec.name}-dlq{suffix}", Attributes=base)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    visibility = spec.local_visibility_timeout_s if local else spec.visibility_timeout_s
    url = sqs.create_queue(QueueName=f"{PREFIX}-{spec.name}{suffix}", Attributes={
        **base, "VisibilityTimeout": str(visibility),
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn,
                                     "maxReceiveCount": str(spec.max_receive_count)}),
    })["QueueUrl"]
    return url, dlq_url


def create_all(local: bool = True) -> Created:
    """Tables, queues with their DLQs, the bus and the media bucket; returns the functions' environment."""
    created = Created()
    env = created.environment
    for table in RESOURCES.tables:
        env[f"{table.name.upper()}_TABLE_NAME"] = _create_table(table)
    for queue in RESOURCES.queues:
        url, dlq = _create_queue(queue, local)
        created.queue_urls[queue.name] = url
        created.dlq_urls[queue.name] = dlq
        env[f"{queue.name.upper()}_QUEUE_URL"] = url
    bus = f"{PREFIX}-{RESOURCES.bus}"
    boto3.client("events").create_event_bus(Name=bus)
    env["EVENT_BUS_NAME"] = bus
    bucket = f"{PREFIX}-{RESOURCES.bucket}"
    boto3.client("s3").create_bucket(Bucket=bucket, CreateBucketConfiguration={
        "LocationConstraint": boto3.session.Session().region_name})
    env["MEDIA_BUCKET_NAME"] = bucket
    env["SECRETS_PREFIX"] = RESOURCES.secrets_prefix
    env[CORS_ORIGINS_ENVIRONMENT] = ",".join(cors_origins(os.environ.get("SWITCHBOARD_CORS_ORIGINS")))
    boto3.client("sesv2").create_configuration_set(ConfigurationSetName=PREFIX)
    env["SES_CONFIGURATION_SET"] = PREFIX
    return created
