"""Queue triggers driven as Lambda's SQS event source mapping drives them: batches of up to N records,
partial batch failures (only the reported records come back), retries after the visibility timeout,
and the queue's redrive policy moving a record to its DLQ after its last receive."""

from __future__ import annotations

import hashlib
import threading
from typing import Any

import boto3

from infra.declaration import Function
from infra.local.lambdas import invoke

# Long polls, as Lambda's pollers make them (the local AWS answers one as soon as a message arrives, without
# holding up other requests: aws_server.py); short enough that a stopping runtime is not kept waiting.
LONG_POLL_SECONDS = 2


def _record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),  # noqa: S324
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


class QueuePoller(threading.Thread):
    def __init__(self, spec: Function, queue_url: str, stop: threading.Event, log: Any, index: int = 0) -> None:
        super().__init__(name=f"poller-{spec.name}-{index}", daemon=True)
        self.index = index
        self.spec = spec
        self.queue_url = queue_url
        self.stop_event = stop
        self.log = log
        self.sqs = boto3.client("sqs")
        self.arn = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        self.busy = threading.Event()

    def run(self) -> None:
        assert self.spec.queue is not None
        while not self.stop_event.is_set():
            try:
                received = self.sqs.receive_message(
                    QueueUrl=self.queue_url, MaxNumberOfMessages=min(self.spec.queue.batch_size, 10),
                    AttributeNames=["All"], MessageAttributeNames=["All"], WaitTimeSeconds=LONG_POLL_SECONDS)
            except Exception as exc:  # noqa: BLE001 - the poller survives a broken moto call, like Lambda's
                if not self.stop_event.is_set():
                    self.log(f"{self.spec.name}: receive failed: {exc}")
                    self.stop_event.wait(0.5)
                continue
            messages = received.get("Messages", [])
            if messages:
                self.busy.set()
                try:
                    self._deliver(messages)
                finally:
                    self.busy.clear()

    def _deliver(self, messages: list[dict[str, Any]]) -> None:
        deliver(self.spec, self.sqs, self.queue_url, self.arn, messages, self.log)


def deliver(spec: Function, sqs: Any, queue_url: str, queue_arn: str, messages: list[dict[str, Any]],
            log: Any) -> set[str]:
    """Invoke the function with one batch; delete what succeeded; return the ids that failed."""
    event = {"Records": [_record(m, queue_arn, sqs.meta.region_name) for m in messages]}
    try:
        response = invoke(spec, event) or {}
    except Exception as exc:  # noqa: BLE001 - an unhandled error fails the whole batch, as in Lambda
        log(f"{spec.name}: batch failed, all {len(messages)} records will be retried: {exc!r}")
        return {m["MessageId"] for m in messages}
    failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
    done = [m for m in messages if m["MessageId"] not in failed]
    for start in range(0, len(done), 10):
        sqs.delete_message_batch(QueueUrl=queue_url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done[start:start + 10])])
    return failed


def drain(spec: Function, queue_url: str, max_batches: int = 1000, log: Any = print) -> int:
    """Deliver batches until the queue has nothing visible (tests use this instead of a poller thread).
    Returns the number of records delivered."""
    sqs = boto3.client("sqs")
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    delivered = 0
    assert spec.queue is not None
    for _ in range(max_batches):
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=min(spec.queue.batch_size, 10),
                                       AttributeNames=["All"], MessageAttributeNames=["All"]).get("Messages", [])
        if not messages:
            break
        deliver(spec, sqs, queue_url, arn, messages, log)
        delivered += len(messages)
    return delivered
