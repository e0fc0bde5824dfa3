"""An operator answers a customer: the message is stored as queued, the worker sends it through the Graph
API simulator exactly once, and the simulator's signed status webhooks move it to delivered and read."""

from __future__ import annotations

import json
import time

import pytest

from switchboard import clock
from switchboard.services import services
from tests.support.outbound import run_send_worker, simulator_server
from tests.support.whatsapp import envelope, signed, text_message


@pytest.fixture
def graph(api, demo, monkeypatch):  # noqa: ANN001, ANN201
    with simulator_server(api.gateway, monkeypatch, status_callbacks=False) as simulator:
        yield simulator


@pytest.fixture
def conversation(api, demo, process_inbound, operator_token):  # noqa: ANN001, ANN201
    """A customer has just written: an open session inside the 24-hour window."""
    raw, headers = signed(envelope([text_message(body="Do you ship to Brno?", wamid="wamid.CUSTOMER1",
                                                 timestamp=int(clock.now().timestamp()))]))
    assert api.call("POST", "/webhooks/whatsapp", raw, headers=headers)[0] == 200
    process_inbound()
    return api.call("GET", "/sessions", token=operator_token)[1]["items"][0]


def _messages(api, session_id, token):  # noqa: ANN001, ANN202
    return api.call("GET", f"/sessions/{session_id}/messages", token=token)[1]["items"]


def test_an_operator_reply_is_sent_once_and_its_ticks_move(api, aws, graph, conversation, process_inbound,
                                                           operator_token) -> None:
    graph.configure(status_callbacks=True, callback_delays_s=[0.0, 0.05, 0.1])
    sid = conversation["session_id"]

    status, message = api.call("POST", f"/sessions/{sid}/messages", {"text": "Yes, see https://example.com",
                                                                      "preview_url": True}, token=operator_token)
    assert status == 202 and message["status"] == "queued"
    session = api.call("GET", f"/sessions/{sid}", token=operator_token)[1]
    assert session["unanswered"] is False and session["last_message"]["text"] == "Yes, see https://example.com"

    run_send_worker(aws.queue_urls["outbound"])
    sent = _messages(api, sid, operator_token)[-1]
    assert sent["status"] == "sent" and sent["provider_message_id"].startswith("wamid.")
    assert graph.sends_per_message() == {message["message_id"]: 1}
    body = graph.sent[0].payload
    assert body["to"] == "+16505551234" and body["text"] == {"body": "Yes, see https://example.com",
                                                             "preview_url": True}

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and graph.callbacks.delivered < 3:
        time.sleep(0.02)
    process_inbound()
    read = _messages(api, sid, operator_token)[-1]
    assert read["status"] == "read" and set(read["statuses"]) == {"queued", "sent", "delivered", "read"}
    assert api.call("GET", f"/sessions/{sid}", token=operator_token)[1]["last_message"]["status"] == "sent"
