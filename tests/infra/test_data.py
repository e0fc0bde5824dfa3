"""Data at rest and in flight: tables, queues with their DLQs and alarms, the media bucket."""

from __future__ import annotations

import json

import pytest

from infra.declaration import RESOURCES, Queue, Table
from tests.infra.stack_view import StackView, referenced_ids

pytestmark = pytest.mark.infra


@pytest.mark.parametrize("spec", RESOURCES.tables, ids=lambda spec: spec.name)
def test_table_is_on_demand_recoverable_encrypted_and_expires_items(stack: StackView, spec: Table) -> None:
    props = stack.props(stack.declared_resource(f"table:{spec.name}"))

    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert referenced_ids(props["SSESpecification"]["KMSMasterKeyId"]) == set(stack.of_type("AWS::KMS::Key"))
    if spec.ttl_attribute:
        assert props["TimeToLiveSpecification"] == {"AttributeName": spec.ttl_attribute, "Enabled": True}
    keys = {k["KeyType"]: k["AttributeName"] for k in props["KeySchema"]}
    assert keys == {"HASH": spec.partition_key, **({"RANGE": spec.sort_key} if spec.sort_key else {})}


@pytest.mark.parametrize("spec", [t for t in RESOURCES.tables if t.indexes], ids=lambda spec: spec.name)
def test_table_indexes_are_keyed_gsin_pk_and_sk_and_project_as_declared(stack: StackView, spec: Table) -> None:
    props = stack.props(stack.declared_resource(f"table:{spec.name}"))
    indexes = {i["IndexName"]: i for i in props["GlobalSecondaryIndexes"]}
    types = {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]}

    assert sorted(indexes) == sorted(spec.indexes)
    for name, index in indexes.items():
        assert index["KeySchema"] == [{"AttributeName": f"{name}pk", "KeyType": "HASH"},
                                      {"AttributeName": f"{name}sk", "KeyType": "RANGE"}]
        assert index["Projection"] == {"ProjectionType": "KEYS_ONLY" if name in spec.keys_only else "ALL"}
        assert types[f"{name}pk"] == types[f"{name}sk"] == "S"


@pytest.mark.parametrize("spec", RESOURCES.queues, ids=lambda spec: spec.name)
def test_queue_has_a_dead_letter_queue_after_the_declared_receives(stack: StackView, spec: Queue) -> None:
    queue = stack.declared_resource(f"queue:{spec.name}")
    props = stack.props(queue)
    dlq = stack.dead_letter_queue_of(queue)

    assert props["RedrivePolicy"]["maxReceiveCount"] == spec.max_receive_count
    assert props["VisibilityTimeout"] == spec.visibility_timeout_s
    assert bool(props.get("FifoQueue")) is spec.fifo
    assert bool(stack.props(dlq).get("FifoQueue")) is spec.fifo
    for logical_id in (queue, dlq):
        props = stack.props(logical_id)
        assert props.get("KmsMasterKeyId") or props.get("SqsManagedSseEnabled"), logical_id
        denies = [s for s in stack.policy_of(logical_id, "AWS::SQS::QueuePolicy", "Queues")
                  if s["Effect"] == "Deny"]
        assert {"Bool": {"aws:SecureTransport": "false"}} in [s.get("Condition") for s in denies]


def test_the_inbound_queue_is_fifo(stack: StackView) -> None:
    assert stack.props(stack.declared_resource("queue:inbound"))["FifoQueue"] is True


@pytest.mark.parametrize("spec", RESOURCES.queues, ids=lambda spec: spec.name)
def test_a_message_in_the_dead_letter_queue_or_a_stuck_queue_raises_an_alarm(
        stack: StackView, spec: Queue) -> None:
    queue = stack.declared_resource(f"queue:{spec.name}")
    (depth,) = stack.alarms_on(stack.dead_letter_queue_of(queue), "ApproximateNumberOfMessagesVisible")
    (age,) = stack.alarms_on(queue, "ApproximateAgeOfOldestMessage")

    assert (depth["Threshold"], depth["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    assert age["ComparisonOperator"] == "GreaterThanThreshold"
    for alarm in (depth, age):
        assert alarm["Namespace"] == "AWS/SQS"
        assert alarm["AlarmActions"], "an alarm nobody hears about"


def test_the_media_bucket_is_private_encrypted_tls_only_and_logged(stack: StackView) -> None:
    bucket = stack.declared_resource(f"bucket:{RESOURCES.bucket}")
    props = stack.props(bucket)
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]

    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert props["LoggingConfiguration"]["DestinationBucketName"]


def test_every_bucket_blocks_public_access_and_refuses_plain_http(stack: StackView) -> None:
    buckets = stack.of_type("AWS::S3::Bucket")
    assert buckets
    for logical_id, bucket in buckets.items():
        assert bucket["Properties"]["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True}, logical_id
        assert "BucketEncryption" in bucket["Properties"], logical_id
        policy = stack.policy_of(logical_id, "AWS::S3::BucketPolicy", "Bucket")
        denies = [s for s in policy if s["Effect"] == "Deny"]
        assert {"Bool": {"aws:SecureTransport": "false"}} in [s.get("Condition") for s in denies], logical_id


def test_the_kms_key_rotates(stack: StackView) -> None:
    for key in stack.of_type("AWS::KMS::Key").values():
        assert key["Properties"]["EnableKeyRotation"] is True


def test_every_log_group_is_encrypted_with_the_stacks_key(stack: StackView) -> None:
    (key_id, key), = stack.of_type("AWS::KMS::Key").items()
    groups = stack.of_type("AWS::Logs::LogGroup")
    logs_service = [s for s in key["Properties"]["KeyPolicy"]["Statement"]
                    if "logs." in json.dumps(s.get("Principal", {}))]

    assert groups
    assert {lid for lid, g in groups.items() if referenced_ids(g["Properties"].get("KmsKeyId")) == {key_id}} \
        == set(groups)
    (statement,) = logs_service
    assert "kms:EncryptionContext:aws:logs:arn" in json.dumps(statement["Condition"])
