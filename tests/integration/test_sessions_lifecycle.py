"""An operator works a session: assigns it, reads it, notes and tags it, resolves it (only the assignee
or an admin), reopens it under the 24-hour rule, and starts new sessions with a template."""

from __future__ import annotations

import pytest
from switchboard import clock
from switchboard.domain.channels import Channel
from switchboard.services import services
from switchboard.storage import keys

from infra.local import tokens
from tests.support.conversations import TEMPLATE, approved_template, customer_writes
from tests.support.outbound import run_send_worker


@pytest.fixture
def session_id(api, demo, process_inbound, operator_token) -> str:  # noqa: ANN001
    customer_writes(api, process_inbound, "My parcel did not arrive")
    return api.call("GET", "/sessions", token=operator_token)[1]["items"][0]["session_id"]


def _session(api, session_id, token):  # noqa: ANN001, ANN202
    return api.call("GET", f"/sessions/{session_id}", token=token)[1]


def _pointer(session: dict) -> dict:
    return services().table.get(keys.thread("demo", session["channel_id"], session["address"]))


def test_only_the_assignee_or_an_admin_resolves_and_the_thread_pointer_follows(api, session_id, operator_token,
                                                                                admin_token) -> None:
    colleague = tokens.issue("demo", "operator", operator_id="colleague")
    status, assigned = api.call("POST", f"/sessions/{session_id}/assign", {"operator_id": "demo-operator"},
                                token=admin_token)
    assert status == 200 and assigned["operator_id"] == "demo-operator"

    status, body = api.call("POST", f"/sessions/{session_id}/resolve", {"outcome": "solved"}, token=colleague)
    assert (status, body["code"]) == (403, "forbidden")

    status, resolved = api.call("POST", f"/sessions/{session_id}/resolve",
                                {"outcome": "solved", "note": "parcel re-sent"}, token=operator_token)
    assert status == 200 and resolved["status"] == "resolved" and resolved["resolution_note"] == "parcel re-sent"
    pointer = _pointer(resolved)
    assert pointer["session_status"] == "resolved" and pointer["resolved_at"] == resolved["resolved_at"]
    status, body = api.call("POST", f"/sessions/{session_id}/resolve", {"outcome": "solved"}, token=admin_token)
    assert (status, body["code"]) == (409, "session_resolved")


def test_a_transfer_to_a_group_and_an_admin_resolving_it(api, session_id, admin_token, operator_token) -> None:
    status, moved = api.call("POST", f"/sessions/{session_id}/assign", {"group_id": "billing"}, token=operator_token)
    assert status == 200 and moved["group_id"] == "billing" and moved["operator_id"] is None
    assert api.call("POST", f"/sessions/{session_id}/assign", {}, token=operator_token)[0] == 422
    status, resolved = api.call("POST", f"/sessions/{session_id}/resolve", {"outcome": "spam"}, token=admin_token)
    assert status == 200 and resolved["outcome"] == "spam"


def test_read_notes_tags_and_no_reply_needed(api, graph, session_id, operator_token) -> None:
    before = _session(api, session_id, operator_token)
    assert before["unread_count"] == 1 and before["unanswered"] is True

    status, read = api.call("POST", f"/sessions/{session_id}/read", token=operator_token)
    assert status == 200 and read["unread_count"] == 0
    inbound = api.call("GET", f"/sessions/{session_id}/messages", token=operator_token)[1]["items"][0]
    assert graph.read_receipts == [inbound["provider_message_id"]]

    status, note = api.call("POST", f"/sessions/{session_id}/notes", {"text": "VIP customer"}, token=operator_token)
    assert status == 201 and note["text"] == "VIP customer" and note["by"] == "demo-operator"
    status, tagged = api.call("PUT", f"/sessions/{session_id}/tags", {"tags": ["parcel", "vip", "parcel"]},
                              token=operator_token)
    assert status == 200 and tagged["tags"] == ["parcel", "vip"]
    status, quiet = api.call("POST", f"/sessions/{session_id}/no-reply-needed", token=operator_token)
    assert status == 200 and quiet["unanswered"] is False

    listed = api.call("GET", "/sessions?unanswered=false&status=open", token=operator_token)[1]["items"]
    assert [s["session_id"] for s in listed] == [session_id]
    assert api.call("GET", "/sessions?unanswered=true", token=operator_token)[1]["items"] == []


def test_reopen_inside_the_window_is_simply_open(api, session_id, admin_token, operator_token) -> None:
    api.call("POST", f"/sessions/{session_id}/resolve", {"outcome": "solved"}, token=admin_token)

    status, body = api.call("POST", f"/sessions/{session_id}/reopen", {}, token=operator_token)

    assert status == 200 and body["session"]["status"] == "open" and body["message"] is None
    assert _pointer(body["session"])["session_status"] == "open"
    status, body = api.call("POST", f"/sessions/{session_id}/reopen", {}, token=operator_token)
    assert (status, body["code"]) == (409, "session_not_resolved")


def test_reopen_after_the_window_needs_a_template_and_waits_for_the_customer(
        api, aws, graph, session_id, admin_token, operator_token, process_inbound) -> None:
    approved_template()
    api.call("POST", f"/sessions/{session_id}/resolve", {"outcome": "solved"}, token=admin_token)
    clock.advance(25 * 3600)

    status, body = api.call("POST", f"/sessions/{session_id}/reopen", {}, token=operator_token)
    assert (status, body["code"]) == (409, "window_closed")

    status, body = api.call("POST", f"/sessions/{session_id}/reopen", {"template": TEMPLATE}, token=operator_token)
    assert status == 200 and body["session"]["status"] == "awaiting_customer"
    assert body["message"]["kind"] == "template" and body["message"]["status"] == "queued"
    run_send_worker(aws.queue_urls["outbound"])
    assert graph.sent[0].payload["type"] == "template"

    status, body = api.call("POST", f"/sessions/{session_id}/messages", {"text": "Hello again"}, token=operator_token)
    assert (status, body["code"]) == (409, "awaiting_customer")

    customer_writes(api, process_inbound, "Oh hi, yes")
    assert _session(api, session_id, operator_token)["status"] == "open"
    status, _ = api.call("POST", f"/sessions/{session_id}/messages", {"text": "Hello again"}, token=operator_token)
    assert status == 202


def test_a_new_session_with_a_template_to_a_number_that_never_wrote(api, aws, graph, demo, operator_token,
                                                                    process_inbound) -> None:
    approved_template()
    status, started = api.call("POST", "/sessions", {"channel_id": "wa-demo", "phone": "+420 777 123 456",
                                                      "template": TEMPLATE}, token=operator_token)
    assert status == 201
    session = started["session"]
    assert session["status"] == "awaiting_customer" and session["address"] == "420777123456"
    assert started["message"]["text"] == "Hi Jana, your order A-1001 has shipped."
    contact = services().table.get(keys.contact("demo", session["contact_id"]))
    assert contact["phones"] == ["+420777123456"]
    run_send_worker(aws.queue_urls["outbound"])
    assert graph.sent[0].payload["to"] == "+420777123456"

    status, body = api.call("POST", "/sessions", {"channel_id": "wa-demo", "phone": "+420777123456",
                                                  "template": TEMPLATE}, token=operator_token)
    assert (status, body["code"]) == (409, "session_open")

    customer_writes(api, process_inbound, "Thanks!", sender="420777123456")
    reopened = _session(api, session["session_id"], operator_token)
    assert reopened["status"] == "open" and reopened["contact_id"] == session["contact_id"]


def test_a_new_session_to_a_national_number_goes_to_its_e164_in_the_tenants_country(
        api, aws, graph, demo, operator_token) -> None:
    approved_template()  # the demo tenant's default country is CZ

    status, started = api.call("POST", "/sessions", {"channel_id": "wa-demo", "phone": "777 123 456",
                                                      "template": TEMPLATE}, token=operator_token)

    assert status == 201
    assert started["session"]["address"] == "420777123456"


def test_a_new_session_for_a_known_contact_reuses_it(api, graph, session_id, operator_token, admin_token) -> None:
    approved_template()
    known = _session(api, session_id, operator_token)
    api.call("POST", f"/sessions/{session_id}/resolve", {"outcome": "solved"}, token=admin_token)

    status, started = api.call("POST", "/sessions", {"channel_id": "wa-demo", "contact_id": known["contact_id"],
                                                      "template": TEMPLATE}, token=operator_token)

    assert status == 201 and started["session"]["contact_id"] == known["contact_id"]
    assert started["session"]["session_id"] != session_id
    assert _pointer(started["session"])["session_id"] == started["session"]["session_id"]


def test_channels_that_may_not_write_first_refuse_new_sessions(api, graph, demo, operator_token) -> None:
    approved_template()
    channel = services().channels.get("demo", "wa-demo")
    services().channels.save(Channel.model_validate({**channel.model_dump(), "may_write_first": False}))

    status, body = api.call("POST", "/sessions", {"channel_id": "wa-demo", "phone": "+420777000111",
                                                  "template": TEMPLATE}, token=operator_token)

    assert (status, body["code"]) == (409, "channel_may_not_write_first")
    assert api.call("GET", "/sessions", token=operator_token)[1]["items"] == []


def test_assign_resolve_and_reopen_are_published(api, session_id, admin_token, operator_token, monkeypatch) -> None:
    published = []
    monkeypatch.setattr(type(services().bus), "publish", lambda self, events: published.extend(events))

    api.call("POST", f"/sessions/{session_id}/assign", {"operator_id": "demo-operator"}, token=admin_token)
    api.call("POST", f"/sessions/{session_id}/resolve", {"outcome": "solved"}, token=operator_token)
    api.call("POST", f"/sessions/{session_id}/reopen", {}, token=operator_token)

    assert [(e.detail_type, e.detail["session_id"]) for e in published] == [
        ("session.assigned", session_id), ("session.resolved", session_id), ("session.reopened", session_id)]
