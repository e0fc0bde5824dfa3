"""webhook_receipt: time in the handler per webhook, against the bare SendMessageBatch calls it makes.

Each round posts a fresh signed body (new message ids, so FIFO deduplication never shortcuts a send) to
the handler as API Gateway would, records the entries the handler gave SQS, and sends those same entries
(under new deduplication ids) with the same client, the same way (one call, or the calls spread over the
same number of threads). Times are taken twice: wall clock, and the CPU time of this process (which
holds moto's server, so both sides include the server's work). On a machine shared with other work the
CPU time is the figure (the ratio key); the wall clock measures the neighbours too. Even rounds send the reference after the handler, odd rounds before it (with
the previous round's entries), so neither side always follows the other; the queues are emptied between
sends. A busy neighbour slows both alike."""

from __future__ import annotations

import itertools
from collections import Counter
import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3

from bench.environment import LocalAws, own_cpu, own_cpu_since
from bench.meter import Meter
from bench.stats import percentile, ratio

_ids = itertools.count(1)


def whatsapp_body(updates: int, phone_number_id: str, waba_id: str) -> dict[str, Any]:
    """One envelope with ``updates`` text messages from as many senders, as Meta posts them."""
    contacts, messages = [], []
    for _ in range(updates):
        n = next(_ids)
        sender = f"1650{n:07d}"
        contacts.append({"profile": {"name": f"Customer {n}"}, "wa_id": sender})
        messages.append({"from": sender, "id": f"wamid.BENCH{n:012d}", "timestamp": str(1_760_000_000 + n),
                         "type": "text", "text": {"body": "Hello, is my order on its way? " * 2}})
    value = {"messaging_product": "whatsapp",
             "metadata": {"display_phone_number": "15550783881", "phone_number_id": phone_number_id},
             "contacts": contacts, "messages": messages}
    return {"object": "whatsapp_business_account",
            "entry": [{"id": waba_id, "changes": [{"field": "messages", "value": value}]}]}


def api_event(raw: bytes, headers: dict[str, str]) -> dict[str, Any]:
    """The API Gateway event for POST /webhooks/whatsapp (the HTTP API's payload 2.0), built by the local
    gateway."""
    from infra.local.api_server import Gateway

    gateway = Gateway()
    binding = next(b for b in gateway.bindings
                   if b.route.path == "/webhooks/whatsapp" and b.route.method == "POST")
    return gateway._event("POST", "/webhooks/whatsapp", {}, headers, raw, binding, {}, None, "127.0.0.1")


class _Recorder:
    """Keeps the SendMessageBatch entries the handler passes to SQS (a botocore hook, not timed apart)."""

    def __init__(self) -> None:
        self.batches: list[list[dict[str, Any]]] = []

    def __call__(self, params: dict[str, Any], **_: Any) -> None:
        self.batches.append([dict(entry) for entry in params["Entries"]])


def measure(env: LocalAws, updates: int, rounds: int, warmup: int = 10) -> dict[str, Any]:
    from infra.declaration import function
    from infra.local.lambdas import LambdaContext, handler_module
    from switchboard import aws
    from switchboard.services import services
    from switchboard.whatsapp.signature import sign

    spec = function("webhook_receipt")
    handler = handler_module("webhook_receipt").handler
    sqs = aws.client("sqs")
    queue_url = services().inbound_queue.url
    recorder = _Recorder()
    sqs.meta.events.register("provide-client-params.sqs.SendMessageBatch", recorder)
    pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="bench-sqs")
    # times every AWS call of the handler (and, for symmetry, of the reference: the same hook cost)
    meter = Meter(capacity_units=False)
    for client in (sqs, aws.dynamodb(), aws.client("dynamodb")):
        meter.attach(client)

    def bare(batches: list[list[dict[str, Any]]]) -> None:
        def send(entries: list[dict[str, Any]]) -> None:
            sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
        if len(batches) == 1:
            send(batches[0])
        else:
            for future in [pool.submit(send, batch) for batch in batches]:
                future.result()

    admin = boto3.client("sqs")

    def purge() -> None:
        for url in env.created.queue_urls.values():
            admin.purge_queue(QueueUrl=url)

    ours: list[float] = []
    ours_cpu: list[float] = []
    reference_cpu: list[float] = []
    own: list[float] = []
    inside: list[float] = []
    aws_calls: Counter[str] = Counter()
    reference: list[float] = []
    log_bytes = 0
    sqs_entry_bytes = 0
    calls = 0
    previous: list[list[dict[str, Any]]] = []
    bare_elapsed = bare_cpu = 0.0
    try:
        for i in range(warmup + rounds):
            raw = json.dumps(whatsapp_body(updates, env.demo.phone_number_id, env.demo.waba_id)).encode()
            event = api_event(raw, {"Content-Type": "application/json",
                                    "X-Hub-Signature-256": sign(raw, env.demo.app_secret)})
            context = LambdaContext(spec.name, spec.memory_mb, spec.timeout_s)

            def reference_round(batches: list[list[dict[str, Any]]], tag: str) -> tuple[float, float]:
                copies = [[{**e, "MessageDeduplicationId": e["MessageDeduplicationId"] + tag} for e in batch]
                          for batch in batches]
                start, cpu = time.perf_counter(), time.process_time()
                bare(copies)
                return time.perf_counter() - start, time.process_time() - cpu

            # odd rounds send the reference first (the previous round's entries: same shape and size)
            reference_first = bool(i % 2 and previous)
            if reference_first:
                bare_elapsed, bare_cpu = reference_round(previous, f"-pre{i}")
                purge()
            recorder.batches.clear()
            logged = env.log.bytes
            meter.reset()
            mark = own_cpu(env)
            start = time.perf_counter()
            response = handler(event, context)
            elapsed = time.perf_counter() - start
            handler_cpu = time.process_time() - mark[0]
            handler_own = own_cpu_since(env, mark)
            in_aws = meter.total("seconds")
            handler_calls = [f"{c.service}:{c.operation}" for c in meter.calls]
            if response["statusCode"] != 200:
                raise RuntimeError(f"webhook_receipt answered {response['statusCode']}: {response['body']}")
            sent = previous = [list(batch) for batch in recorder.batches]
            if not reference_first:
                bare_elapsed, bare_cpu = reference_round(sent, "-ref")
            purge()  # moto's FIFO send slows as the queue grows; SQS does not
            if i >= warmup:
                ours.append(elapsed)
                ours_cpu.append(handler_cpu)
                reference_cpu.append(bare_cpu)
                own.append(handler_own)
                inside.append(in_aws)
                aws_calls.update(handler_calls)
                reference.append(bare_elapsed)
                log_bytes += env.log.bytes - logged
                calls += len(sent)
                sqs_entry_bytes += sum(len(e["MessageBody"].encode()) for batch in sent for e in batch)
    finally:
        sqs.meta.events.unregister("provide-client-params.sqs.SendMessageBatch", recorder)
        pool.shutdown()
    p50, p99 = percentile(ours, 50), percentile(ours, 99)
    ref50, ref99 = percentile(reference, 50), percentile(reference, 99)
    return {
        "updates_per_body": updates, "rounds": rounds,
        "handler_ms_p50": round(p50 * 1000, 3), "handler_ms_p99": round(p99 * 1000, 3),
        "bare_sqs_ms_p50": round(ref50 * 1000, 3), "bare_sqs_ms_p99": round(ref99 * 1000, 3),
        "wall_overhead_ratio_p50": ratio(p50, ref50), "wall_overhead_ratio_p99": ratio(p99, ref99),
        "handler_cpu_ms_p50": round(percentile(ours_cpu, 50) * 1000, 3),
        "bare_sqs_cpu_ms_p50": round(percentile(reference_cpu, 50) * 1000, 3),
        "overhead_ratio_p50": ratio(percentile(ours_cpu, 50), percentile(reference_cpu, 50)),
        "overhead_ratio_p99": ratio(percentile(ours_cpu, 99), percentile(reference_cpu, 99)),
        "own_ms_p50": round(percentile(own, 50) * 1000, 3),
        "handler_aws_ms_p50": round(percentile(inside, 50) * 1000, 3),
        "calls_per_webhook": {k: round(v / rounds, 3) for k, v in sorted(aws_calls.items())},
        "sqs_calls_per_webhook": calls / rounds,
        "sqs_message_bytes_per_update": round(sqs_entry_bytes / (rounds * updates)),
        "log_bytes_per_webhook": round(log_bytes / rounds),
    }
