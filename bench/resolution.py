"""contact_resolution: DynamoDB round trips and request units per inbound message and per status.

Webhooks put the events on the inbound FIFO queue (not metered); the queue is then drained the way
Lambda's event source mapping drains it, batches of up to ten, into the real handler, with the meter on
the function's clients. Three populations: first messages of new senders, second messages of the same
senders (a known contact with an open session), and delivery statuses of our outbound messages (of one
that is no longer the session's last message, and of one that is: its session then follows the tick). A
second, unmetered pass times the handler per message (the meter's read-backs would slow it)."""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import boto3

from bench.environment import LocalAws, own_cpu, own_cpu_since
from bench.meter import Meter
from bench.webhook import api_event

_numbers = itertools.count(1)


@dataclass
class Drained:
    messages: int = 0
    handler_seconds: float = 0.0
    own_cpu_seconds: float = 0.0  # the function's own CPU time (moto's and the simulator's taken out)
    invocations: int = 0
    log_bytes: int = 0
    failures: list[str] = field(default_factory=list)


def _post(env: LocalAws, body: dict[str, Any]) -> None:
    from infra.declaration import function
    from infra.local.lambdas import LambdaContext, handler_module
    from switchboard.whatsapp.signature import sign

    raw = json.dumps(body).encode()
    event = api_event(raw, {"Content-Type": "application/json",
                            "X-Hub-Signature-256": sign(raw, env.demo.app_secret)})
    spec = function("webhook_receipt")
    response = handler_module("webhook_receipt").handler(event, LambdaContext(spec.name, spec.memory_mb))
    if response["statusCode"] != 200:
        raise RuntimeError(f"webhook_receipt answered {response['statusCode']}: {response['body']}")


def _envelope(env: LocalAws, value: dict[str, Any]) -> dict[str, Any]:
    value = {"messaging_product": "whatsapp",
             "metadata": {"display_phone_number": "15550783881", "phone_number_id": env.demo.phone_number_id},
             **value}
    return {"object": "whatsapp_business_account",
            "entry": [{"id": env.demo.waba_id, "changes": [{"field": "messages", "value": value}]}]}


def post_messages(env: LocalAws, senders: list[str], per_body: int = 10) -> None:
    for start in range(0, len(senders), per_body):
        chunk = senders[start:start + per_body]
        contacts = [{"profile": {"name": f"Customer {s[-4:]}"}, "wa_id": s} for s in chunk]
        messages = [{"from": s, "id": f"wamid.RES{next(_numbers):012d}", "timestamp": str(int(time.time())),
                     "type": "text", "text": {"body": "Hi! Where is my order #1234? It was due yesterday."}}
                    for s in chunk]
        _post(env, _envelope(env, {"contacts": contacts, "messages": messages}))


def post_statuses(env: LocalAws, outbound: list[tuple[str, str]], state: str, per_body: int = 10) -> None:
    """``outbound``: (provider message id, recipient) of messages we sent."""
    for start in range(0, len(outbound), per_body):
        statuses = [{"id": wamid, "status": state, "timestamp": str(int(time.time())), "recipient_id": to,
                     "conversation": {"id": "CONVERSATION_ID", "origin": {"type": "service"}},
                     "pricing": {"billable": True, "pricing_model": "PMP", "category": "service"}}
                    for wamid, to in outbound[start:start + per_body]]
        _post(env, _envelope(env, {"statuses": statuses}))


def drain(env: LocalAws, queue: str = "inbound", function_name: str = "contact_resolution",
          batch: int = 10) -> Drained:
    """Deliver everything on the queue to the function, ``batch`` records at a time, timing the handler."""
    from infra.declaration import function
    from infra.local.lambdas import LambdaContext, handler_module
    from infra.local.triggers import _record

    spec = function(function_name)
    handler = handler_module(function_name).handler
    sqs = boto3.client("sqs")  # the event source mapping's client: not the function's, not metered
    url = env.created.queue_urls[queue]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    drained = Drained()
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=batch, AttributeNames=["All"],
                                       MessageAttributeNames=["All"]).get("Messages", [])
        if not messages:
            return drained
        event = {"Records": [_record(m, arn, sqs.meta.region_name) for m in messages]}
        logged = env.log.bytes
        mark = own_cpu(env)
        start = time.perf_counter()
        response = handler(event, LambdaContext(spec.name, spec.memory_mb, spec.timeout_s)) or {}
        drained.handler_seconds += time.perf_counter() - start
        drained.own_cpu_seconds += own_cpu_since(env, mark)
        drained.log_bytes += env.log.bytes - logged
        drained.invocations += 1
        failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
        drained.failures.extend(sorted(failed))
        done = [m for m in messages if m["MessageId"] not in failed]
        drained.messages += len(done)
        if done:
            sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)])
        if failed:
            raise RuntimeError(f"{function_name} failed {len(failed)} records")


def outbound_messages(env: LocalAws, recipients: list[str], last: bool = False) -> list[tuple[str, str]]:
    """Messages we sent to each recipient (in the session of their last inbound message), as the send
    path records them: the message in the session, its provider-id alias, status "sent". With ``last``,
    the message is the session's last one (the session's summary and the thread pointer name it, as the
    send path writes them); without, the customer's message after it is."""
    from switchboard import clock, ids
    from switchboard.services import services
    from switchboard.storage import keys

    table = services().table
    tenant, channel = "demo", "wa-demo"
    sent = []
    for recipient in recipients:
        pointer = table.get(keys.thread(tenant, channel, recipient), consistent=True) or {}
        session_id = pointer.get("session_id")
        now = clock.iso(clock.now())
        message_id = ids.new_id()
        wamid = f"wamid.OUT{next(_numbers):012d}"
        message_key = keys.message(tenant, session_id, keys.message_sort_key(now, message_id))
        table.put({**message_key, "message_id": message_id, "tenant_id": tenant, "channel_id": channel,
                   "session_id": session_id, "contact_id": pointer.get("contact_id"), "direction": "out",
                   "kind": "text", "text": "Your order ships today.", "status": "sent", "status_rank": 1,
                   "statuses": {"queued": now, "sent": now}, "sent_at": now, "created_at": now,
                   "provider_message_id": wamid})
        table.put({**keys.provider_id(tenant, wamid), "session_id": session_id, "direction": "out",
                   "message_pk": message_key["pk"], "message_sk": message_key["sk"], "message_id": message_id})
        if last:
            table.update(keys.session(tenant, session_id), "SET last_message = :l", {":l": {
                "message_id": message_id, "text": "Your order ships today.", "direction": "out", "kind": "text",
                "at": now, "status": "sent", "status_rank": 1}})
            table.update(keys.thread(tenant, channel, recipient), "SET last_message_id = :m", {":m": message_id})
        sent.append((wamid, recipient))
    return sent


def _per(meter: Meter, n: int) -> dict[str, Any]:
    return {
        "ddb_requests": round(meter.count("dynamodb") / n, 2),
        "ddb_operations": {k: round(v / n, 2) for k, v in sorted(meter.operations("dynamodb").items())},
        "read_units": round(meter.total("read_units", "dynamodb") / n, 2),
        "write_units": round(meter.total("write_units", "dynamodb") / n, 2),
        "eventbridge_calls": round(meter.count("eventbridge") / n, 2),
        "eventbridge_entries": round(sum(c.entries for c in meter.calls if c.service == "eventbridge") / n, 2),
        "items": _items(meter, n),
        "other_calls": {k: round(v / n, 2) for k, v in sorted(Counter(
            f"{c.service}:{c.operation}" for c in meter.calls if c.service not in ("dynamodb", "eventbridge")).items())},
    }


class BusTap:
    """The entries contact_resolution puts on the bus (botocore's provide-client-params hook), while on."""

    def __init__(self) -> None:
        self.on = False
        self.entries: list[dict[str, Any]] = []

    def __call__(self, params: dict[str, Any], **_: Any) -> None:
        if self.on:
            self.entries.extend(params.get("Entries", []))


def bus_consumers(env: LocalAws, entries: list[dict[str, Any]], meter: Meter, n: int) -> dict[str, Any]:
    """Each function whose EventBridge rule (infra/declaration.py ``events``, with its filter on the detail)
    matches an entry, invoked
    with it as EventBridge's Lambda target would, metered: per inbound event, its invocations, DynamoDB
    figures, other calls, own CPU time and log bytes. EventBridge bills the entry once, whatever its targets."""
    from infra.declaration import FUNCTIONS
    from infra.event_patterns import matches, rule_pattern
    from infra.local.lambdas import LambdaContext, handler_module

    delivered = [{"version": "0", "id": str(uuid.uuid4()), "detail-type": entry["DetailType"],
                  "source": entry["Source"], "account": "000000000000", "time": "2026-01-01T00:00:00Z",
                  "region": "eu-west-1", "resources": [], "detail": json.loads(entry["Detail"])}
                 for entry in entries]
    found: dict[str, Any] = {}
    for spec in FUNCTIONS:
        # the rules' own patterns, content filters included (infra/event_patterns.py); each rule that
        # matches an event invokes the function with it
        patterns = [rule_pattern(t.source, t.detail_types, t.detail) for t in spec.events if t.bus == "switchboard"]
        events = [event for pattern in patterns for event in delivered if matches(pattern, event)]
        if not events:
            continue
        handler = handler_module(spec.name).handler
        meter.reset()
        meter.active = True
        logged, mark, cpu = env.log.bytes, own_cpu(env), 0.0
        for event in events:
            handler(event, LambdaContext(spec.name, spec.memory_mb, spec.timeout_s))
        cpu = own_cpu_since(env, mark)
        meter.active = False
        figures = _per(meter, n)
        figures.update({
            "memory_mb": spec.memory_mb, "invocations_per_event": round(len(events) / n, 3),
            "own_ms_per_invocation": round(cpu * 1000 / len(events), 3),
            "calls_per_invocation": {k: round(v / len(events), 3) for k, v in sorted(Counter(
                f"{c.service}:{c.operation}" for c in meter.calls).items())},
            "log_bytes_per_event": round((env.log.bytes - logged) / n),
            "detail_types": sorted({e["detail-type"] for e in events}),
        })
        found[spec.name] = figures
    return found


def _items(meter: Meter, n: int) -> dict[str, dict[str, float]]:
    """Per event, what each kind of item written cost: its write units, its indexes', its mean size."""
    found: dict[str, dict[str, float]] = {}
    for call in meter.calls:
        for write in call.writes:
            line = found.setdefault(f"{call.operation} {write.action} {write.item}",
                                    {"count": 0, "units": 0.0, "index_units": 0.0, "bytes": 0})
            line["count"] += 1
            line["units"] += write.units
            line["index_units"] += write.index_units
            line["bytes"] += write.size
    return {label: {"per_event": round(line["count"] / n, 2), "wru": round(line["units"] / n, 2),
                    "index_wru": round(line["index_units"] / n, 2),
                    "mean_bytes": round(line["bytes"] / line["count"])}
            for label, line in sorted(found.items())}


def _meter(env: LocalAws) -> Meter:
    from infra.declaration import RESOURCES
    from infra.local.resources import PREFIX
    from switchboard import aws

    meter = Meter(inspect=boto3.client("dynamodb"), active=False,
                  indexes={f"{PREFIX}-{t.name}": t.indexes for t in RESOURCES.tables},
                  keys_only=frozenset(i for t in RESOURCES.tables for i in t.keys_only))
    for client in (aws.dynamodb(), aws.client("dynamodb"), aws.client("events"),
                   aws.client("sqs"), aws.client("s3"), aws.client("secretsmanager")):
        meter.attach(client)
    return meter


def measure(env: LocalAws, senders: int = 30) -> dict[str, Any]:
    from switchboard import aws

    meter = _meter(env)
    tap = BusTap()
    aws.client("events").meta.events.register("provide-client-params.events.PutEvents", tap)
    # warm the function: channel lookups (cached a minute), the secret, the first clients
    post_messages(env, ["15550000001"])
    drain(env)
    results: dict[str, Any] = {"senders": senders}

    def metered(label: str, post: Any, n: int) -> None:
        post()
        meter.reset()
        meter.active = tap.on = True
        tap.entries.clear()
        drained = drain(env)
        meter.active = tap.on = False
        if drained.messages != n:
            raise RuntimeError(f"{label}: {drained.messages} of {n} events processed")
        results[label] = _per(meter, n)
        # what the bus then runs, per event: the realtime fan-out, campaign_dispatch, routing...
        results[label]["bus_consumers"] = bus_consumers(env, list(tap.entries), meter, n)

    people = [f"4479{next(_numbers):08d}" for _ in range(senders)]
    metered("new_contact", lambda: post_messages(env, people), senders)
    metered("known_contact", lambda: post_messages(env, people), senders)
    outbound = outbound_messages(env, people)
    metered("status", lambda: post_statuses(env, outbound, "delivered"), senders)  # not the last message
    outbound = outbound_messages(env, people, last=True)
    metered("status_last", lambda: post_statuses(env, outbound, "delivered"), senders)  # the session's last

    # the timed pass: other senders, calls counted and timed but no read-backs
    timing: dict[str, Any] = {}
    meter.capacity_units = False
    others = [f"4479{next(_numbers):08d}" for _ in range(senders)]
    for label, post in (("new_contact", lambda: post_messages(env, others)),
                        ("known_contact", lambda: post_messages(env, others)),
                        ("status", lambda: post_statuses(env, outbound_messages(env, others), "delivered"))):
        post()
        meter.reset()
        meter.active = True
        drained = drain(env)
        meter.active = False
        n = drained.messages
        aws_seconds = meter.total("seconds")
        timing[label] = {
            "handler_ms_per_event": round(drained.handler_seconds * 1000 / n, 3),
            "aws_ms_per_event": round(aws_seconds * 1000 / n, 3),
            "own_ms_per_event": round(drained.own_cpu_seconds * 1000 / n, 3),
            "calls_per_event": {k: round(v / n, 3) for k, v in sorted(Counter(
                f"{c.service}:{c.operation}" for c in meter.calls).items())},
            "log_bytes_per_event": round(drained.log_bytes / n),
            "events_per_invocation": round(n / drained.invocations, 2),
        }
    results["timing"] = timing
    return results
