"""Two SQS batches handled at the same moment by one function's process (the local runtime polls the
outbound queue with four threads): each batch's response names exactly its own failed records.

When one Powertools batch processor was shared by the module, concurrent batches mixed their outcomes: a
batch could report the other's failures (which the poller then could not find) and lose its own (the
poller deleted them as done: the sends were gone). Both batches here wait for each other at a barrier
inside the processor, record by record, so their outcomes interleave every time."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from infra.declaration import function
from infra.local import resources
from infra.local.lambdas import invoke


def _batch(ids: list[str], fifo_group: str | None = None) -> dict[str, Any]:
    """An SQS event as Lambda's event source mapping hands it over (infra/local/triggers.py)."""
    queue = "switchboard-inbound.fifo" if fifo_group else "switchboard-outbound"
    fifo = lambda message_id: (
        {"MessageGroupId": fifo_group, "MessageDeduplicationId": message_id} if fifo_group else {})
    return {"Records": [{
        "messageId": message_id, "receiptHandle": f"receipt-{message_id}", "body": "{}",
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1700000000000", **fifo(message_id)},
        "messageAttributes": {}, "md5OfBody": "99914b932bd37a50b983c5e7c90ae93b", "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:eu-west-1:123456789012:{queue}", "awsRegion": "eu-west-1",
    } for message_id in ids]}


class _Settling:
    """A record handler for both batches: the records named in ``failing`` raise; every record first waits
    at the barrier for the other batch's record of the same position."""

    def __init__(self, failing: set[str], barrier: threading.Barrier) -> None:
        self.failing = failing
        self.barrier = barrier
        self.settled: list[str] = []

    def settle(self, record: SQSRecord) -> None:
        self.barrier.wait()
        self.settled.append(record.message_id)
        if record.message_id in self.failing:
            raise RuntimeError(f"send of {record.message_id} failed")


def _failures(response: dict[str, Any]) -> list[str]:
    return sorted(item["itemIdentifier"] for item in response["batchItemFailures"])


def _at_once(spec_name: str, batches: list[dict[str, Any]]) -> list[dict[str, Any]]:
    with ThreadPoolExecutor(max_workers=len(batches)) as pool:
        return list(pool.map(lambda event: invoke(function(spec_name), event), batches))


# Batch A: two sends fail, one succeeds. Batch B: one send fails, two succeed.
A = ["a-1", "a-2", "a-3"]
B = ["b-1", "b-2", "b-3"]
FAILING = {"a-1", "a-3", "b-2"}


def test_concurrent_send_batches_each_report_only_their_own_failures(
        aws: resources.Created, monkeypatch: pytest.MonkeyPatch) -> None:
    from switchboard.outbound import batch as message_send  # the function's queue work

    barrier = threading.Barrier(2, timeout=10)
    handlers = {}

    def send_batch(records: list[dict[str, Any]], services: Any) -> _Settling:
        handler = _Settling(FAILING, barrier)
        handlers[records[0]["messageId"][0]] = handler
        return handler

    monkeypatch.setattr(message_send, "send_batch", send_batch)

    for _ in range(5):  # a few rounds: the threads start in either order
        response_a, response_b = _at_once("message_send", [_batch(A), _batch(B)])

        assert _failures(response_a) == ["a-1", "a-3"]
        assert _failures(response_b) == ["b-2"]
        assert sorted(handlers["a"].settled) == A and sorted(handlers["b"].settled) == B


def test_concurrent_inbound_batches_each_report_only_their_own_failures(
        aws: resources.Created, monkeypatch: pytest.MonkeyPatch) -> None:
    from switchboard.inbound import batch as contact_resolution  # the function's queue work

    barrier = threading.Barrier(2, timeout=10)
    handler = _Settling(FAILING, barrier)
    monkeypatch.setattr(contact_resolution, "record_handler", lambda record, logger: handler.settle(record))

    for _ in range(5):
        # each record its own customer (message group): a failure holds back only its own group
        batch_a = {"Records": [r for i in A for r in _batch([i], fifo_group=f"group-{i}")["Records"]]}
        batch_b = {"Records": [r for i in B for r in _batch([i], fifo_group=f"group-{i}")["Records"]]}
        response_a, response_b = _at_once("contact_resolution", [batch_a, batch_b])

        assert _failures(response_a) == ["a-1", "a-3"]
        assert _failures(response_b) == ["b-2"]
