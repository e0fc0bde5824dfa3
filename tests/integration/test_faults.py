"""Faults in the middle of the inbound pipeline: DynamoDB throttles or cancels the transaction that stores
a message, a write lands but its answer is lost, a poison record sits in a batch, and a function dies
halfway through a batch. The customer's messages are still stored, each exactly once, nothing is
half-written, and only the poison record ends in the dead-letter queue.

Faults are injected at the AWS boundary (botocore's API call) or at the Lambda invocation, so the code
under test runs exactly as deployed. "The visibility timeout passed" is made instant by setting the
failed records' visibility to 0 (the local declaration's timeout is 2 s: waiting for it adds nothing)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest
from boto3.dynamodb.conditions import Key
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from infra.declaration import RESOURCES, function
from infra.local import triggers
from switchboard.services import services
from switchboard.storage import keys
from tests.support.whatsapp import envelope, signed, text_message

SPEC = function("contact_resolution")


class Inbound:
    """The inbound FIFO queue as the test drives it: receive a batch, deliver it, let failures come back."""

    def __init__(self, aws: Any) -> None:
        self.sqs = boto3.client("sqs")
        self.url, self.dlq = aws.queue_urls["inbound"], aws.dlq_urls["inbound"]
        self.arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]

    def receive(self) -> list[dict[str, Any]]:
        return self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10,
                                        AttributeNames=["All"]).get("Messages", [])

    def deliver(self, messages: list[dict[str, Any]]) -> set[str]:
        """One invocation of contact_resolution; the ids it reported failed (all of them if it died)."""
        return triggers.deliver(SPEC, self.sqs, self.url, self.arn, messages, log=lambda *_: None)

    def expire(self, messages: list[dict[str, Any]], failed: set[str]) -> None:
        """The failed records' visibility timeout passes: they are visible again."""
        for message in messages:
            if message["MessageId"] in failed:
                self.sqs.change_message_visibility(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"],
                                                   VisibilityTimeout=0)

    def run_until_empty(self, rounds: int = 20) -> int:
        delivered = 0
        for _ in range(rounds):
            messages = self.receive()
            if not messages:
                return delivered
            self.expire(messages, self.deliver(messages))
            delivered += len(messages)
        raise AssertionError("the queue never emptied")

    def dead_letters(self) -> list[str]:
        found = self.sqs.receive_message(QueueUrl=self.dlq, MaxNumberOfMessages=10).get("Messages", [])
        return [m["Body"] for m in found]

    def send_raw(self, body: str, group: str) -> None:
        self.sqs.send_message(QueueUrl=self.url, MessageBody=body, MessageGroupId=group,
                              MessageDeduplicationId=f"raw-{group}")


@pytest.fixture
def inbound(aws) -> Inbound:  # noqa: ANN001
    return Inbound(aws)


def _error(code: str, operation: str, params: dict) -> ClientError:
    """A cancelled transaction names its failed condition: the last item's (the sender's pointer or
    contact, which another writer changed), never the message's own duplicate check (the first item)."""
    reasons = {}
    if code == "TransactionCanceledException":
        items = len(params["TransactItems"])
        reasons = {"CancellationReasons": [{"Code": "None"}] * (items - 1) + [{"Code": "ConditionalCheckFailed"}]}
    return ClientError({"Error": {"Code": code, "Message": f"injected {code}"}, **reasons}, operation)


@pytest.fixture
def faults(monkeypatch):  # noqa: ANN001, ANN201
    """Inject DynamoDB faults on TransactWriteItems: `before` raises instead of writing, `after` writes and
    then raises (the answer was lost). Each entry is used once, in order; `injected` counts them."""
    real = BaseClient._make_api_call
    plan: list[tuple[str, str, Callable[[dict], bool]]] = []
    injected: list[str] = []

    def call(self, operation, params):  # noqa: ANN001, ANN202
        if operation == "TransactWriteItems" and plan and plan[0][2](params):
            when, code, _ = plan.pop(0)
            injected.append(code)
            if when == "after":
                real(self, operation, params)
            raise _error(code, operation, params)
        return real(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", call)

    class Faults:
        def add(self, when: str, code: str, match: Callable[[dict], bool] = lambda _: True) -> None:
            plan.append((when, code, match))

        @property
        def count(self) -> int:
            return len(injected)

    return Faults()


def _post(api, *messages: dict) -> None:  # noqa: ANN001
    raw, headers = signed(envelope(list(messages)))
    assert api.call("POST", "/webhooks/whatsapp", raw, headers=headers)[0] == 200


def _stored() -> dict[str, list[dict]]:
    """Every session of the demo tenant with its stored messages (read straight from the table)."""
    table = services().table
    sessions = table.query(IndexName="gsi1", KeyConditionExpression=Key(keys.GSI1_PK).eq(
        keys.sessions_index("demo")))["Items"]
    return {s["session_id"]: table.query(KeyConditionExpression=Key("pk").eq(
        keys.session_partition("demo", s["session_id"])) & Key("sk").begins_with("M#"))["Items"] for s in sessions}


def _mentions(needle: str) -> Callable[[dict], bool]:
    return lambda params: needle in str(params)


@pytest.mark.parametrize("code", ["ProvisionedThroughputExceededException", "ThrottlingException",
                                  "InternalServerError"])
def test_a_throttled_write_stores_nothing_and_its_retry_stores_the_message_once(api, demo, inbound, faults,
                                                                                code) -> None:
    _post(api, text_message(sender="420777000001", body="first try", wamid="wamid.THROTTLE"))
    faults.add("before", code)

    batch = inbound.receive()
    failed = inbound.deliver(batch)
    assert failed == {batch[0]["MessageId"]} and faults.count == 1
    assert _stored() == {}
    assert services().table.get(keys.provider_id("demo", "wamid.THROTTLE")) is None

    inbound.expire(batch, failed)
    assert inbound.run_until_empty() == 1
    [(session_id, messages)] = _stored().items()
    assert [m["text"] for m in messages] == ["first try"]
    assert services().table.get(keys.session("demo", session_id))["unread_count"] == 1


def test_a_cancelled_transaction_is_replanned_and_stores_exactly_one(api, demo, inbound, faults) -> None:
    """A conditional check failed (another writer got there first): the worker reads again and retries
    inside the same invocation; nothing is reported failed."""
    _post(api, text_message(sender="420777000002", body="hello", wamid="wamid.CANCEL"))
    faults.add("before", "TransactionCanceledException")
    faults.add("before", "TransactionCanceledException")

    batch = inbound.receive()
    assert inbound.deliver(batch) == set() and faults.count == 2
    [(session_id, messages)] = _stored().items()
    assert len(messages) == 1
    assert services().table.get(keys.session("demo", session_id))["unread_count"] == 1


def test_a_write_that_landed_but_whose_answer_was_lost_is_not_stored_twice(api, demo, inbound, faults) -> None:
    _post(api, text_message(sender="420777000003", body="did it arrive?", wamid="wamid.LOST"))
    faults.add("after", "InternalServerError")

    batch = inbound.receive()
    failed = inbound.deliver(batch)
    assert failed == {batch[0]["MessageId"]} and faults.count == 1
    inbound.expire(batch, failed)
    inbound.run_until_empty()

    [(session_id, messages)] = _stored().items()
    assert [m["text"] for m in messages] == ["did it arrive?"]
    assert services().table.get(keys.session("demo", session_id))["unread_count"] == 1


def test_a_fault_on_one_sender_in_a_batch_fails_only_that_senders_record(api, demo, inbound, faults) -> None:
    _post(api, text_message(sender="420777000004", body="from Ann", wamid="wamid.ANN", name="Ann"),
          text_message(sender="420777000005", body="from Bob", wamid="wamid.BOB", name="Bob"))
    faults.add("before", "ProvisionedThroughputExceededException", _mentions("wamid.BOB"))

    batch = inbound.receive()
    assert len(batch) == 2
    failed = inbound.deliver(batch)
    bob = next(m["MessageId"] for m in batch if "wamid.BOB" in m["Body"])
    assert failed == {bob}
    assert sorted(m[0]["text"] for m in _stored().values()) == ["from Ann"]

    inbound.expire(batch, failed)
    inbound.run_until_empty()
    assert sorted(m[0]["text"] for m in _stored().values()) == ["from Ann", "from Bob"]
    assert all(len(m) == 1 for m in _stored().values())


def test_a_poison_record_fails_alone_and_ends_in_the_dead_letter_queue(api, demo, inbound) -> None:
    _post(api, text_message(sender="420777000006", body="a real message", wamid="wamid.REAL"))
    inbound.send_raw("{not json", group="poison")
    max_receives = next(q.max_receive_count for q in RESOURCES.queues if q.name == "inbound")

    batch = inbound.receive()
    assert len(batch) == 2
    failed = inbound.deliver(batch)
    assert [m["Body"] for m in batch if m["MessageId"] in failed] == ["{not json"]
    assert [m[0]["text"] for m in _stored().values()] == ["a real message"]

    receives = 1
    inbound.expire(batch, failed)
    while batch := inbound.receive():  # each further receive of the poison fails again
        receives += 1
        assert [m["Body"] for m in batch] == ["{not json"]
        inbound.expire(batch, inbound.deliver(batch))
    assert receives == max_receives
    assert inbound.dead_letters() == ["{not json"]
    assert [len(m) for m in _stored().values()] == [1]


def test_a_function_that_dies_halfway_through_a_batch_stores_nothing_twice(api, demo, inbound,
                                                                          monkeypatch) -> None:
    senders = ["420777000007", "420777000008", "420777000009"]
    _post(api, *[text_message(sender=s, body=f"{s} #{n}", wamid=f"wamid.HALF{s}{n}", name=s)
                 for s in senders for n in (1, 2)])
    real_invoke = triggers.invoke
    deaths: list[int] = []

    def dies_halfway(spec, event):  # noqa: ANN001, ANN202
        """The first invocation processes half its records, then times out: Lambda fails the whole batch."""
        if deaths:
            return real_invoke(spec, event)
        half = len(event["Records"]) // 2
        real_invoke(spec, {**event, "Records": event["Records"][:half]})
        deaths.append(half)
        raise TimeoutError("Task timed out after 90.00 seconds")

    monkeypatch.setattr(triggers, "invoke", dies_halfway)
    batch = inbound.receive()
    assert len(batch) == 6
    failed = inbound.deliver(batch)
    assert failed == {m["MessageId"] for m in batch} and deaths == [3]
    assert sum(len(m) for m in _stored().values()) == 3  # what the dying invocation committed stays

    inbound.expire(batch, failed)
    inbound.run_until_empty()
    stored = _stored()
    assert sorted(m["text"] for ms in stored.values() for m in ms) == sorted(
        f"{s} #{n}" for s in senders for n in (1, 2))
    for session_id in stored:
        assert services().table.get(keys.session("demo", session_id))["unread_count"] == 2
