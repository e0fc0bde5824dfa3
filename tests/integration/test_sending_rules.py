"""What an operator may send, and when: the 24-hour window, templates, media, interactive messages,
replies, and a retried request that sends once."""

from __future__ import annotations

import boto3
import pytest
from switchboard import clock
from switchboard.services import services

from tests.support.conversations import TEMPLATE, approved_template, customer_writes
from tests.support.outbound import queue_counts, run_send_worker


@pytest.fixture
def session_id(api, demo, process_inbound, operator_token) -> str:  # noqa: ANN001
    customer_writes(api, process_inbound, "Can I change my order?")
    return api.call("GET", "/sessions", token=operator_token)[1]["items"][0]["session_id"]


def _send(api, session_id, body, token, **headers):  # noqa: ANN001, ANN202
    return api.call("POST", f"/sessions/{session_id}/messages", body, token=token, headers=headers or None)


def _outbound(api, session_id, token):  # noqa: ANN001, ANN202
    items = api.call("GET", f"/sessions/{session_id}/messages", token=token)[1]["items"]
    return [m for m in items if m["direction"] == "out"]


def test_the_same_post_with_one_idempotency_key_three_times_sends_one_message(api, aws, graph, session_id,
                                                                               operator_token) -> None:
    answers = [_send(api, session_id, {"text": "On its way"}, operator_token, **{"Idempotency-Key": "k-123"})
               for _ in range(3)]
    run_send_worker(aws.queue_urls["outbound"])

    assert [status for status, _ in answers] == [202, 202, 202]
    assert len({body["message_id"] for _, body in answers}) == 1
    assert len(_outbound(api, session_id, operator_token)) == 1
    assert sum(graph.sends_per_message().values()) == 1

    status, body = _send(api, session_id, {"text": "Something else"}, operator_token,
                         **{"Idempotency-Key": "k-123"})
    assert (status, body["code"]) == (409, "idempotency_key_reused")


def test_free_text_after_the_window_is_refused_before_anything_is_queued(api, aws, session_id,
                                                                         operator_token) -> None:
    clock.advance(25 * 3600)

    status, body = _send(api, session_id, {"text": "Are you still there?"}, operator_token)

    assert (status, body["code"]) == (409, "window_closed")
    assert queue_counts(aws.queue_urls["outbound"]) == (0, 0)
    assert _outbound(api, session_id, operator_token) == []
    session = api.call("GET", f"/sessions/{session_id}", token=operator_token)[1]
    assert session["window_expires_at"] < clock.iso(clock.now())


def test_an_approved_template_goes_out_after_the_window_with_its_rendered_text(api, aws, graph, session_id,
                                                                               operator_token) -> None:
    approved_template()
    clock.advance(25 * 3600)

    status, message = _send(api, session_id, {"template": TEMPLATE}, operator_token)
    run_send_worker(aws.queue_urls["outbound"])

    assert status == 202 and message["text"] == "Hi Jana, your order A-1001 has shipped."
    sent = graph.sent[0].payload
    assert sent["type"] == "template" and sent["template"]["name"] == "order_update"
    assert _outbound(api, session_id, operator_token)[0]["status"] == "sent"


def test_a_template_that_is_not_approved_is_refused(api, graph, session_id, operator_token) -> None:
    approved_template(status="PAUSED")
    status, body = _send(api, session_id, {"template": TEMPLATE}, operator_token)
    assert (status, body["code"]) == (409, "template_not_approved")


def test_a_missing_template_parameter_is_named(api, graph, session_id, operator_token) -> None:
    approved_template()
    status, body = _send(api, session_id, {"template": {**TEMPLATE, "parameters": ["Jana"]}}, operator_token)
    assert status == 422 and body["field"].startswith("template.parameters") and body["field"].endswith("2")


def test_interactive_buttons_and_a_reply_reach_meta_in_its_shape(api, aws, graph, demo, process_inbound,
                                                                 operator_token) -> None:
    wamid = customer_writes(api, process_inbound, "Which size?")
    session_id = api.call("GET", "/sessions", token=operator_token)[1]["items"][0]["session_id"]
    inbound = api.call("GET", f"/sessions/{session_id}/messages", token=operator_token)[1]["items"][0]

    status, _ = _send(api, session_id, {"interactive": {
        "type": "button", "body": "Pick one", "buttons": [{"id": "s", "title": "Small"}, {"id": "l", "title": "Large"}]},
        "reply_to": inbound["message_id"]}, operator_token)
    assert status == 202
    status, _ = _send(api, session_id, {"interactive": {
        "type": "list", "body": "Shipping?", "button": "Options",
        "sections": [{"title": "Fast", "rows": [{"id": "x", "title": "Express", "description": "1 day"}]}]}},
        operator_token)
    assert status == 202
    run_send_worker(aws.queue_urls["outbound"])

    buttons, listing = sorted((s.payload for s in graph.sent), key=lambda p: p["interactive"]["type"])
    assert buttons["context"] == {"message_id": wamid}
    assert [b["reply"]["title"] for b in buttons["interactive"]["action"]["buttons"]] == ["Small", "Large"]
    assert listing["interactive"]["action"]["sections"][0]["rows"][0]["id"] == "x"
    assert {m["status"] for m in _outbound(api, session_id, operator_token)} == {"sent"}


def test_four_buttons_are_invalid_input(api, graph, session_id, operator_token) -> None:
    buttons = [{"id": str(i), "title": f"B{i}"} for i in range(4)]
    status, body = _send(api, session_id, {"interactive": {"type": "button", "body": "?", "buttons": buttons}},
                         operator_token)
    assert status == 422 and "buttons" in body["field"]


def test_media_is_uploaded_to_meta_and_sent_by_its_id(api, aws, graph, session_id, operator_token) -> None:
    status, upload = api.call("POST", f"/sessions/{session_id}/attachments",
                              {"filename": "invoice.pdf", "content_type": "application/pdf", "size": 9},
                              token=operator_token)
    assert status == 200 and upload["upload_url"].startswith("http") and upload["kind"] == "document"
    assert upload["key"].startswith("tenants/demo/")
    # the frontend PUTs the file to the presigned URL
    boto3.client("s3").put_object(Bucket=services().settings.media_bucket_name, Key=upload["key"],
                                  Body=b"%PDF-1.7\n", ContentType="application/pdf")

    status, _ = _send(api, session_id, {"media": {"key": upload["key"], "caption": "Your invoice"}},
                      operator_token)
    run_send_worker(aws.queue_urls["outbound"])

    assert status == 202
    sent = graph.sent[0].payload
    assert sent["type"] == "document" and sent["document"]["caption"] == "Your invoice"
    assert graph.media[sent["document"]["id"]] == (b"%PDF-1.7\n", "application/pdf")


def test_files_whatsapp_does_not_take_or_too_large_are_refused(api, graph, session_id, operator_token) -> None:
    status, body = api.call("POST", f"/sessions/{session_id}/attachments",
                            {"filename": "x.exe", "content_type": "application/x-msdownload", "size": 10},
                            token=operator_token)
    assert (status, body["field"]) == (422, "content_type")
    status, body = api.call("POST", f"/sessions/{session_id}/attachments",
                            {"filename": "big.jpg", "content_type": "image/jpeg", "size": 6 * 1024 * 1024},
                            token=operator_token)
    assert (status, body["field"]) == (422, "size")
    status, body = _send(api, session_id, {"media": {"key": "tenants/other/outbound/x/y/z.pdf"}}, operator_token)
    assert (status, body["field"]) == (422, "media.key")


def test_another_tenants_session_is_not_found(api, session_id) -> None:
    from infra.local import tokens

    status, _ = _send(api, session_id, {"text": "hi"}, tokens.issue("acme", "operator"))
    assert status == 404


def test_a_message_that_could_not_be_queued_fails_visibly(api, graph, session_id, operator_token,
                                                          monkeypatch) -> None:
    from switchboard.clients.sqs import Queue
    from switchboard.errors import QueueUnavailable

    def refuse(self, payload, **kwargs):  # noqa: ANN001, ANN003, ANN202
        raise QueueUnavailable("queue down")

    monkeypatch.setattr(Queue, "send_json", refuse)
    status, body = _send(api, session_id, {"text": "hello"}, operator_token)

    assert (status, body["code"]) == (503, "queue_unavailable")
    [message] = _outbound(api, session_id, operator_token)
    assert message["status"] == "failed" and message["error"]["code"] == "queue_unavailable"


def test_a_tenant_may_narrow_the_file_types_its_operators_send(api, graph, session_id, operator_token) -> None:
    services().table.put({"pk": "T#demo", "sk": "SETTINGS", "allowed_media_types": ["image/jpeg", "image/png"]})
    status, body = api.call("POST", f"/sessions/{session_id}/attachments",
                            {"filename": "a.pdf", "content_type": "application/pdf", "size": 10}, token=operator_token)
    assert (status, body["field"]) == (422, "content_type")
    status, _ = api.call("POST", f"/sessions/{session_id}/attachments",
                         {"filename": "a.jpg", "content_type": "image/jpeg", "size": 10}, token=operator_token)
    assert status == 200
