"""EventBridge rules on this machine. For each function with event triggers in the declaration, a rule on
the Switchboard bus, or on the default bus for AWS services' events (SES sending events, S3), with the
CDK stack's pattern (source, detail types, the trigger's filter on the detail), targets an SQS queue; moto delivers
the matching events there, and a poller (or ``drain`` in tests) invokes the function with each event,
as EventBridge's Lambda target would. A failing event is retried twice, then dropped with a log line
(EventBridge's asynchronous invocation does the same by default)."""

from __future__ import annotations

import json
import threading
from typing import Any

import boto3

from infra.declaration import FUNCTIONS, Function
from infra.event_patterns import rule_pattern
from infra.local.lambdas import invoke
from infra.local.triggers import LONG_POLL_SECONDS

PREFIX = "switchboard"
MAX_RECEIVES = 3


def create_rules(bus_name: str) -> dict[str, str]:
    """Rules and their queues; returns {function name: queue url}."""
    events, sqs = boto3.client("events"), boto3.client("sqs")
    queues: dict[str, str] = {}
    for spec in FUNCTIONS:
        if not spec.events:
            continue
        url = sqs.create_queue(QueueName=f"{PREFIX}-rules-{spec.name}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        for number, trigger in enumerate(spec.events, start=1):
            rule = f"{PREFIX}-{spec.name}-events-{number}"
            on_bus = bus_name if trigger.bus == "switchboard" else "default"
            events.put_rule(
                Name=rule,
                EventBusName=on_bus,
                State="ENABLED",
                # the CDK stack's pattern, with the trigger's filter on the detail: moto's rule matching
                # honours every operator infra/event_patterns.py admits (tests/unit/test_event_patterns.py)
                EventPattern=json.dumps(rule_pattern(trigger.source, trigger.detail_types, trigger.detail)),
            )
            events.put_targets(Rule=rule, EventBusName=on_bus, Targets=[{"Id": "local-queue", "Arn": arn}])
        queues[spec.name] = url
    return queues


def _deliver(spec: Function, sqs: Any, queue_url: str, messages: list[dict[str, Any]], log: Any) -> None:
    for message in messages:
        try:
            invoke(spec, json.loads(message["Body"]))
        except Exception as exc:  # noqa: BLE001 - like EventBridge's async invoke: retried, then dropped
            receives = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
            if receives < MAX_RECEIVES:
                log(f"{spec.name}: event failed (attempt {receives}), will retry: {exc!r}")
                continue
            log(f"{spec.name}: event dropped after {receives} attempts: {exc!r}")
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def drain(spec: Function, queue_url: str, max_batches: int = 100, log: Any = print) -> int:
    """Invoke the function with every event waiting for it; returns how many were delivered."""
    sqs = boto3.client("sqs")
    delivered = 0
    for _ in range(max_batches):
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            break
        _deliver(spec, sqs, queue_url, messages, log)
        delivered += len(messages)
    return delivered


class RulePoller(threading.Thread):
    def __init__(self, spec: Function, queue_url: str, stop: threading.Event, log: Any) -> None:
        super().__init__(name=f"rules-{spec.name}", daemon=True)
        self.spec, self.queue_url, self.stop_event, self.log = spec, queue_url, stop, log
        self.sqs = boto3.client("sqs")
        self.busy = threading.Event()

    def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                messages = self.sqs.receive_message(
                    QueueUrl=self.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"],
                    WaitTimeSeconds=LONG_POLL_SECONDS).get("Messages", [])
            except Exception as exc:  # noqa: BLE001 - the poller survives a broken moto call
                if not self.stop_event.is_set():
                    self.log(f"{self.spec.name}: receive failed: {exc}")
                    self.stop_event.wait(0.5)
                continue
            if not messages:
                continue
            self.busy.set()
            try:
                _deliver(self.spec, self.sqs, self.queue_url, messages, self.log)
            finally:
                self.busy.clear()
