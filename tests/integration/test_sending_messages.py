"""An operator answers a customer: the message is stored as queued, the worker sends it through the Graph
API simulator exactly once, and the simulator's signed status webhooks move it to delivered and read."""

from __future__ import annotations

import json
import time

import pytest
from switchboard import clock
from switchboard.services import services

from tests.support.outbound import run_send_worker
from tests.support.whatsapp import envelope, signed, text_message


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
    assert api.call("GET", f"/sessions/{sid}", token=operator_token)[1]["last_message"]["status"] == "read"


def test_a_status_that_arrived_before_the_send_was_recorded_is_applied(api, aws, graph, conversation,
                                                                       operator_token, monkeypatch) -> None:
    """Meta's delivered webhook can overtake our own record of the send: it is parked, then applied."""
    from switchboard.outbound import worker

    sid = conversation["session_id"]
    real_deliver = worker.SendWorker._deliver

    def deliver_then_status_arrives(self, channel, message):  # noqa: ANN001, ANN202
        wamid = real_deliver(self, channel, message)
        services().statuses.park("demo", wamid, "delivered", {"id": wamid, "status": "delivered",
                                                              "timestamp": str(int(clock.now().timestamp()))})
        return wamid

    monkeypatch.setattr(worker.SendWorker, "_deliver", deliver_then_status_arrives)
    api.call("POST", f"/sessions/{sid}/messages", {"text": "Fast"}, token=operator_token)
    run_send_worker(aws.queue_urls["outbound"])

    sent = _messages(api, sid, operator_token)[-1]
    assert sent["status"] == "delivered" and set(sent["statuses"]) == {"queued", "sent", "delivered"}


def test_sent_and_failed_messages_are_published_as_domain_events(api, aws, graph, conversation, operator_token,
                                                                 monkeypatch) -> None:
    published = []
    monkeypatch.setattr(type(services().bus), "publish", lambda self, events: published.extend(events))
    sid = conversation["session_id"]
    graph.configure(recipient_errors={"16505551234": 131047})
    api.call("POST", f"/sessions/{sid}/messages", {"text": "first"}, token=operator_token)
    run_send_worker(aws.queue_urls["outbound"])
    graph.configure(recipient_errors={})
    api.call("POST", f"/sessions/{sid}/messages", {"text": "second"}, token=operator_token)
    run_send_worker(aws.queue_urls["outbound"])

    kinds = [(e.detail_type, e.detail.get("error", {}).get("code")) for e in published
             if e.detail_type.startswith("message.")]
    assert kinds == [("message.failed", 131047), ("message.sent", None)]
    failed = _messages(api, sid, operator_token)[-2]
    assert failed["status"] == "failed" and failed["error"]["code"] == 131047
    assert json.loads(json.dumps(failed["error"]))["title"].startswith("(#131047)")
