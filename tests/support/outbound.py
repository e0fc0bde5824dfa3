"""The Graph API simulator for integration tests (on a real local port, its status webhooks fed back into
the in-process gateway) and helpers to run the send worker the way Lambda's trigger would."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import boto3

from infra.declaration import function
from infra.local.api_server import Gateway, serve
from infra.local.graph_simulator import GraphSimulator
from infra.local.triggers import drain


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


def run_send_worker(outbound_url: str, timeout_s: float = 60.0) -> int:
    """Deliver outbound batches to message_send until the queue is empty, retries (records whose
    visibility the worker pushed back) included. Returns the number of deliveries."""
    spec = function("message_send")
    delivered = 0
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        delivered += drain(spec, outbound_url, log=lambda _line: None)
        visible, in_flight = queue_counts(outbound_url)
        if visible == 0 and in_flight == 0:
            return delivered
        if visible == 0:
            time.sleep(0.2)
    raise AssertionError("the outbound queue did not empty in time")
