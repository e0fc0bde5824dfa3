"""The Graph API simulator for integration tests (on a real local port, its status webhooks fed back into
the in-process gateway) and helpers to run the send worker the way Lambda's trigger would."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import boto3
import responses
from switchboard import clock, ids
from switchboard.services import services
from switchboard.storage import keys

from infra.declaration import function
from infra.local.api_server import Gateway, serve
from infra.local.graph_simulator import GraphSimulator
from infra.local.triggers import deliver


@contextmanager
def graph_refuses(status: int, code: int, message: str) -> Iterator[None]:
    """Every GET to graph.facebook.com answers Meta's error: no request leaves the machine."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.GET, re.compile(r"https://graph\.facebook\.com/.*"), status=status,
                 json={"error": {"code": code, "message": message}})
        yield


@contextmanager
def simulator_server(gateway: Gateway, monkeypatch, **faults) -> Iterator[GraphSimulator]:  # noqa: ANN001
    """The simulator on 127.0.0.1:<free port>; GRAPH_API_BASE_URL points at it."""
    from switchboard.services import reset_services

    simulator = GraphSimulator(deliver=lambda raw, headers: gateway.handle("POST", "/webhooks/whatsapp",
                                                                           headers, raw))
    simulator.configure(**faults)
    front = Gateway(functions=())
    front.mount("/_graph", simulator.handle)
    server = serve(front, "127.0.0.1", 0, print)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/_graph"
    simulator.public_url = url
    monkeypatch.setenv("GRAPH_API_BASE_URL", f"{url}/v25.0")
    reset_services()
    try:
        yield simulator
    finally:
        simulator.close()
        server.shutdown()
        server.server_close()


def queue_counts(url: str) -> tuple[int, int]:
    attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])


def run_send_worker(outbound_url: str, timeout_s: float = 60.0, backlog: list[str] | None = None,
                    window: int = 100) -> int:
    """Deliver outbound batches to message_send, as Lambda's trigger would, until the queue is empty,
    retries (records whose visibility the worker pushed back) included. ``backlog`` bodies are fed to the
    queue so that at most ``window`` records wait there at once (moto's SQS slows down quadratically with
    a queue's depth; a campaign's dispatcher paces its enqueueing the same way). Returns the deliveries."""
    spec = function("message_send")
    sqs = boto3.client("sqs")
    arn = sqs.get_queue_attributes(QueueUrl=outbound_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    waiting = list(backlog or [])
    delivered = 0
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        visible, in_flight = queue_counts(outbound_url)
        if waiting and visible + in_flight < window:
            room = window - visible - in_flight
            chunk, waiting = waiting[:room], waiting[room:]
            for start in range(0, len(chunk), 10):
                sqs.send_message_batch(QueueUrl=outbound_url, Entries=[
                    {"Id": str(i), "MessageBody": body} for i, body in enumerate(chunk[start:start + 10])])
            continue
        if visible == 0 and in_flight == 0 and not waiting:
            return delivered
        messages = sqs.receive_message(QueueUrl=outbound_url, MaxNumberOfMessages=10,
                                       AttributeNames=["All"]).get("Messages", [])
        if messages:
            deliver(spec, sqs, outbound_url, arn, messages, lambda _line: None)
            delivered += len(messages)
        else:
            time.sleep(0.1)
    raise AssertionError("the outbound queue did not empty in time")


def stored_messages(count: int, first_number: int = 420_601_000_000) -> tuple[list[dict], list[str]]:
    """Messages stored as campaigns store them (no session), and their queue bodies (docs/sending.md)."""
    now_iso = clock.iso(clock.now())
    messages = []
    with boto3.resource("dynamodb").Table(services().table.name).batch_writer() as batch:
        for i in range(count):
            message_id = ids.new_id()
            to = f"+{first_number + i}"
            item = {"pk": f"T#demo#TEST#{message_id}", "sk": keys.message_sort_key(now_iso, message_id),
                    "message_id": message_id, "tenant_id": "demo", "channel_id": "wa-demo", "direction": "out",
                    "kind": "text", "text": f"message {i}", "status": "queued", "status_rank": 0,
                    "statuses": {"queued": now_iso}, "sent_at": now_iso, "created_at": now_iso,
                    "graph_payload": json.dumps({"to": to, "type": "text", "text": {"body": f"message {i}"}})}
            batch.put_item(Item=item)
            messages.append(item)
    bodies = [json.dumps({"tenant_id": "demo", "message_pk": m["pk"], "message_sk": m["sk"]}) for m in messages]
    return messages, bodies
