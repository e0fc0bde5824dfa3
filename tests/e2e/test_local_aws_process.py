"""The local runtime's AWS as its own process (infra/local/aws_server.py ``MotoProcess``): it prints its
endpoint, boto3 works against it over HTTP like against AWS, and when it is stopped (its standard input
closes) the process is gone and its port is closed."""

from __future__ import annotations

import socket
from urllib.parse import urlparse

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError

from infra.local.aws_server import MotoProcess

pytestmark = pytest.mark.e2e


def _accepts_connections(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def test_moto_in_its_own_process_serves_boto3_and_stops_for_good(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
                        "AWS_DEFAULT_REGION": "eu-west-1"}.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)

    moto = MotoProcess().start()
    child = moto._process
    try:
        address = urlparse(moto.endpoint)
        assert address.scheme == "http" and address.hostname == "127.0.0.1" and address.port
        assert child is not None and child.poll() is None
        monkeypatch.setenv("AWS_ENDPOINT_URL", moto.endpoint)
        session = boto3.session.Session(region_name="eu-west-1")
        dynamodb = session.client("dynamodb")  # the endpoint from AWS_ENDPOINT_URL, as the functions get it
        sqs = session.client("sqs", endpoint_url=moto.endpoint)

        dynamodb.create_table(
            TableName="things", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                       {"AttributeName": "sk", "KeyType": "RANGE"}])
        item = {"pk": {"S": "T#demo"}, "sk": {"S": "ITEM#1"}, "text": {"S": "Olá 🎉"},
                "raw": {"B": b"\xff\x00\x80"}, "count": {"N": "3"}, "tags": {"SS": ["a"]}}
        dynamodb.put_item(TableName="things", Item=item, ConditionExpression="attribute_not_exists(pk)")
        got = dynamodb.get_item(TableName="things", Key={"pk": item["pk"], "sk": item["sk"]})["Item"]
        queried = dynamodb.query(TableName="things", KeyConditionExpression="pk = :pk",
                                 ExpressionAttributeValues={":pk": {"S": "T#demo"}})["Items"]
        queue = sqs.create_queue(QueueName="jobs")["QueueUrl"]
        sqs.send_message(QueueUrl=queue, MessageBody="job 1")
        received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]

        assert got == item and queried == [item]
        assert queue.endswith("/jobs") and [m["Body"] for m in received] == ["job 1"]
        assert _accepts_connections(address.hostname, address.port)
    finally:
        moto.stop()

    assert child.poll() == 0  # it ended by itself, when its standard input closed (not killed)
    assert not _accepts_connections(address.hostname, address.port)
    with pytest.raises(EndpointConnectionError):  # the clients were talking to that process, and it is gone
        once = Config(connect_timeout=1, retries={"max_attempts": 1})
        session.client("dynamodb", config=once).list_tables()
    moto.stop()  # stopping again is harmless
