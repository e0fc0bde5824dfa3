"""Issue 20's business-scoped user ids and calls, through the webhook and the API: each new kind of
payload (tests/fixtures/whatsapp/, composed from Meta's documented shapes) is answered 200 and stored as
the right record; a BSUID-only customer is answered with ``recipient``, changes id and is answered on the
new one (one contact, one history); a call lands on the timeline and reopens the window for a reply."""

from __future__ import annotations

import copy
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from switchboard.domain.inbound_queue import WhatsAppEvent
from switchboard.inbound.processing import process_event
from switchboard.services import services
from switchboard.storage import keys

from infra.local.graph_simulator.templates import catalog
from tests.support.campaigns import store_template
from tests.support.inbound import FIXTURE_PHONE_NUMBER_ID, all_messages, post, seed_fixture_channels
from tests.support.outbound import run_send_worker
from tests.support.whatsapp import DEMO_PHONE_NUMBER_ID, DEMO_WABA_ID, envelope, text_message

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "whatsapp"
BSUID, NEW_BSUID = "US.13491208655302741918", "US.24817305912873645029"
PHONE = "16505551234"


def load(name: str, on_demo_number: bool = False, now: bool = False) -> dict[str, Any]:
    """A fixture; ``on_demo_number`` moves it to the demo channel (the Graph simulator's number), ``now``
    stamps its messages and calls with the current time (the window counts from Meta's timestamp)."""
    body = copy.deepcopy(json.loads((FIXTURES / f"{name}.json").read_text()))
    for entry in body["entry"]:
        if on_demo_number:
            entry["id"] = DEMO_WABA_ID
        for change in entry["changes"]:
            value = change["value"]
            if on_demo_number:
                value["metadata"]["phone_number_id"] = DEMO_PHONE_NUMBER_ID
            if now:
                for item in value.get("messages", []) + value.get("calls", []):
                    item["timestamp"] = str(int(time.time()))
    return body


@pytest.fixture
def channels(demo) -> None:
    seed_fixture_channels()


def _sessions(api, token) -> list[dict]:
    return api.call("GET", "/sessions?limit=100", token=token)[1]["items"]


def _messages(api, token, session_id: str) -> list[dict]:
    return api.call("GET", f"/sessions/{session_id}/messages?limit=100", token=token)[1]["items"]


# -- conformance: every new kind is answered 200 and stored as the right record -----------------------

# fixture -> the record it becomes: a message of a kind, or a status waiting (parked) for its message
RECORDS = {
    "bsuid_text_message": ("message", "text"), "contacts_shared_phone": ("message", "contacts"),
    "system_user_changed_user_id": ("message", "system"), "user_id_update": ("message", "system"),
    "calls_connect": ("message", "call"), "calls_connect_business": ("message", "call"),
    "calls_terminate": ("parked", "wacid.ABGGFjFVU2AfAgo6V-Hc5eCgK5Gh"),
    "calls_status": ("parked", "wacid.BUSINESS1"),
    "status_bsuid_delivered": ("parked", "wamid.OUT.BSUID1"), "status_failed_no_contacts": ("parked", "wamid.OUT.BSUID2"),
}


def test_every_fixture_of_ours_has_its_record() -> None:
    assert sorted(RECORDS) == sorted(p.stem for p in FIXTURES.glob("*.json") if p.stem in RECORDS
                                     or p.stem.startswith(("bsuid_", "calls_", "user_id_", "system_user_changed")))


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_each_new_kind_is_answered_200_and_stored_as_its_record(
        api, channels, process_inbound, operator_token, name: str) -> None:
    status, answer = post(api, load(name))
    process_inbound()

    assert status == 200
    assert answer["queued"] >= 1
    what, expected = RECORDS[name]
    if what == "message":
        assert [m["kind"] for m in all_messages(api, operator_token)] == [expected]
    else:
        assert services().table.get(keys.parked_statuses("demo", expected)) is not None


def test_a_bsuid_only_sender_is_a_contact_with_its_username_shown_and_found(
        api, channels, process_inbound, operator_token) -> None:
    post(api, load("bsuid_text_message"))
    process_inbound()

    (session,) = _sessions(api, operator_token)
    contact = api.call("GET", f"/contacts/{session['contact_id']}", token=operator_token)[1]
    assert session["address"] == BSUID
    assert session["contact_username"] == "@rosebud.77"
    assert contact["username"] == "@rosebud.77"
    assert {"kind": "bsuid", "value": BSUID} in [{k: i[k] for k in ("kind", "value")} for i in contact["identities"]]
    assert [i["parent_user_id"] for i in contact["identities"] if i["kind"] == "bsuid"] == [
        "US.ENT.11815799212886844830"]
    found = api.call("GET", "/contacts?q=rosebud", token=operator_token)[1]["items"]  # the username only
    assert [c["contact_id"] for c in found] == [session["contact_id"]]


def test_statuses_to_a_bsuid_and_a_failed_one_without_contacts_reach_our_message(
        api, graph, process_inbound, operator_token, aws) -> None:
    post(api, load("bsuid_text_message", on_demo_number=True, now=True))
    process_inbound()
    (session,) = _sessions(api, operator_token)
    for text in ("first", "second"):
        api.call("POST", f"/sessions/{session['session_id']}/messages", {"text": text}, token=operator_token)
    run_send_worker(aws.queue_urls["outbound"])
    first, second = (s.wamid for s in graph.sent)

    delivered = load("status_bsuid_delivered", on_demo_number=True)
    delivered["entry"][0]["changes"][0]["value"]["statuses"][0]["id"] = first
    failed = load("status_failed_no_contacts", on_demo_number=True)
    failed["entry"][0]["changes"][0]["value"]["statuses"][0]["id"] = second
    assert post(api, delivered)[0] == 200
    assert post(api, failed)[0] == 200
    process_inbound()

    ours = {m["provider_message_id"]: m for m in _messages(api, operator_token, session["session_id"])}
    assert ours[first]["status"] == "delivered"
    assert ours[second]["status"] == "failed"
    assert ours[second]["error"]["code"] == 131062


def test_a_bsuid_only_customer_is_answered_changes_id_and_is_answered_on_the_new_one(
        api, graph, process_inbound, operator_token, aws) -> None:
    post(api, load("bsuid_text_message", on_demo_number=True, now=True))
    process_inbound()
    (session,) = _sessions(api, operator_token)
    sid = session["session_id"]
    assert api.call("POST", f"/sessions/{sid}/messages", {"text": "Hello!"}, token=operator_token)[0] == 202
    run_send_worker(aws.queue_urls["outbound"])

    post(api, load("system_user_changed_user_id", on_demo_number=True, now=True))
    process_inbound()
    assert api.call("POST", f"/sessions/{sid}/messages", {"text": "Still here"}, token=operator_token)[0] == 202
    run_send_worker(aws.queue_urls["outbound"])
    later = load("bsuid_text_message", on_demo_number=True, now=True)
    message = later["entry"][0]["changes"][0]["value"]["messages"][0]
    message.update(id="wamid.AFTERCHANGE", from_user_id=NEW_BSUID, text={"body": "new id, same me"})
    later["entry"][0]["changes"][0]["value"]["contacts"][0]["user_id"] = NEW_BSUID
    post(api, later)
    process_inbound()

    sent = [s.payload for s in graph.sent]
    assert [p.get("recipient") for p in sent] == [BSUID, NEW_BSUID]
    assert all("to" not in p for p in sent)
    sessions = _sessions(api, operator_token)
    assert [s["session_id"] for s in sessions] == [sid]
    history = _messages(api, operator_token, sid)  # one history: both customer texts, the notice, our two
    assert sorted(m["kind"] + ":" + m["direction"] for m in history) == [
        "system:in", "text:in", "text:in", "text:out", "text:out"]
    contact = api.call("GET", f"/contacts/{session['contact_id']}", token=operator_token)[1]
    bsuids = {i["value"]: i for i in contact["identities"] if i["kind"] == "bsuid"}
    assert bsuids[BSUID]["former"] is True
    assert bsuids[NEW_BSUID]["replaces"] == BSUID
    for value in (BSUID, NEW_BSUID):
        assert services().table.get(keys.identifier("demo", "bsuid", value))["contact_id"] == session["contact_id"]


def test_the_user_id_update_webhook_moves_the_thread_like_the_system_message(
        api, channels, process_inbound, operator_token) -> None:
    post(api, load("bsuid_text_message", now=True))
    process_inbound()
    post(api, load("user_id_update"))
    post(api, load("system_user_changed_user_id"))  # both arrive: the second finds the thread moved
    process_inbound()

    (session,) = _sessions(api, operator_token)
    assert session["address"] == NEW_BSUID
    pointer = services().table.get(keys.thread("demo", "wa-fixtures", BSUID))
    assert pointer["alias_of"] == NEW_BSUID


def test_the_phone_a_bsuid_only_customer_shares_lands_on_the_same_contact(
        api, channels, process_inbound, operator_token) -> None:
    post(api, load("bsuid_text_message", now=True))
    post(api, load("contacts_shared_phone", now=True))
    process_inbound()
    post(api, envelope([text_message(sender=PHONE, wamid="wamid.BYPHONE", body="from my phone now")],
                       phone_number_id=FIXTURE_PHONE_NUMBER_ID))
    process_inbound()

    (session,) = _sessions(api, operator_token)
    contact = api.call("GET", f"/contacts/{session['contact_id']}", token=operator_token)[1]
    assert contact["phones"] == ["+16505551234"]
    assert services().table.get(keys.identifier("demo", "wa", PHONE))["contact_id"] == session["contact_id"]
    assert len(_messages(api, operator_token, session["session_id"])) == 3


# -- calls ---------------------------------------------------------------------------------------------

def test_a_call_is_on_the_timeline_with_its_direction_duration_and_outcome(
        api, channels, process_inbound, operator_token) -> None:
    post(api, load("calls_connect"))
    process_inbound()
    post(api, load("calls_terminate"))
    process_inbound()

    (call,) = all_messages(api, operator_token)
    assert call["kind"] == "call"
    assert call["call"]["direction"] == "in"
    assert call["call"]["outcome"] == "completed"
    assert call["call"]["duration_seconds"] == 115
    assert "session" not in (call["content"] or {})  # no media (SDP) kept


def test_a_terminate_before_its_connect_is_applied_once_the_call_is_stored(
        api, channels, process_inbound, operator_token) -> None:
    post(api, load("calls_terminate"))
    process_inbound()
    post(api, load("calls_connect"))
    process_inbound()

    (call,) = all_messages(api, operator_token)
    assert call["call"]["outcome"] == "completed"


def test_a_business_placed_call_is_outbound_and_its_status_moves_it(
        api, channels, process_inbound, operator_token) -> None:
    post(api, load("calls_connect_business"))
    process_inbound()
    post(api, load("calls_status"))
    process_inbound()

    (call,) = all_messages(api, operator_token)
    assert call["call"]["direction"] == "out"
    assert call["call"]["outcome"] == "ringing"


def test_a_business_placed_call_in_an_open_session_leaves_it_answered_and_the_window_alone(
        api, channels, process_inbound, operator_token) -> None:

    post(api, envelope([text_message(sender=PHONE, wamid="wamid.BEFORECALL", timestamp=1764770000)],
                       phone_number_id=FIXTURE_PHONE_NUMBER_ID))
    process_inbound()
    (before,) = _sessions(api, operator_token)
    post(api, load("calls_connect_business"))
    process_inbound()

    (after,) = _sessions(api, operator_token)
    assert after["last_message"]["kind"] == "call"
    assert after["unread_count"] == before["unread_count"]
    assert after["unanswered"] is False
    assert after["last_inbound_at"] == before["last_inbound_at"]


def test_a_call_reopens_the_window_for_a_reply(api, graph, process_inbound, operator_token, aws) -> None:
    old = load("bsuid_text_message", on_demo_number=True)  # written a year ago: the window is closed
    value = old["entry"][0]["changes"][0]["value"]
    value["contacts"] = [{"profile": {"name": "Sheena Nelson"}, "wa_id": PHONE}]
    value["messages"][0].pop("from_user_id")
    value["messages"][0]["from"] = PHONE
    post(api, old)
    process_inbound()
    (session,) = _sessions(api, operator_token)
    refused = api.call("POST", f"/sessions/{session['session_id']}/messages", {"text": "Hi"}, token=operator_token)
    assert refused[0] == 409

    post(api, load("calls_connect", on_demo_number=True, now=True))
    process_inbound()

    status, _ = api.call("POST", f"/sessions/{session['session_id']}/messages", {"text": "You called?"},
                         token=operator_token)
    assert status == 202
    kinds = [m["kind"] for m in _messages(api, operator_token, session["session_id"])]
    assert kinds == ["text", "call", "text"]


# -- sending to a BSUID: what Meta refuses, and asking for the phone ----------------------------------

LOGIN_CODE = {"name": "login_code", "language": "en", "status": "APPROVED", "category": "AUTHENTICATION",
              "parameter_format": "POSITIONAL", "components": [{"type": "BODY", "text": "Your code is ready."}]}


def _bsuid_session(api, process_inbound, token) -> dict:
    post(api, load("bsuid_text_message", on_demo_number=True, now=True))
    process_inbound()
    (session,) = _sessions(api, token)
    return session


def test_an_authentication_template_to_a_bsuid_is_refused_before_it_is_queued(
        api, graph, process_inbound, operator_token, aws) -> None:

    store_template(LOGIN_CODE)
    session = _bsuid_session(api, process_inbound, operator_token)

    status, error = api.call("POST", f"/sessions/{session['session_id']}/messages",
                             {"template": {"name": "login_code", "language": "en"}}, token=operator_token)

    assert status == 409
    assert error["code"] == "bsuid_not_supported"
    assert [m["direction"] for m in _messages(api, operator_token, session["session_id"])] == ["in"]


def test_a_send_meta_refuses_for_a_bsuid_fails_with_the_reason(
        api, graph, process_inbound, operator_token, aws) -> None:

    store_template({**LOGIN_CODE, "category": "UTILITY"})  # our copy is stale: Meta recategorised it
    catalog.put(DEMO_WABA_ID, LOGIN_CODE)
    session = _bsuid_session(api, process_inbound, operator_token)

    status, _ = api.call("POST", f"/sessions/{session['session_id']}/messages",
                         {"template": {"name": "login_code", "language": "en"}}, token=operator_token)
    assert status == 202
    run_send_worker(aws.queue_urls["outbound"])

    (ours,) = [m for m in _messages(api, operator_token, session["session_id"]) if m["direction"] == "out"]
    assert ours["status"] == "failed"
    assert ours["error"]["code"] == 131062
    assert graph.rejected[131062] == 1  # not retried


def test_a_contact_info_request_goes_to_the_bsuid_as_metas_interactive(
        api, graph, process_inbound, operator_token, aws) -> None:
    session = _bsuid_session(api, process_inbound, operator_token)

    status, _ = api.call("POST", f"/sessions/{session['session_id']}/messages",
                         {"interactive": {"type": "request_contact_info", "body": "May we have your number?"}},
                         token=operator_token)
    assert status == 202
    run_send_worker(aws.queue_urls["outbound"])

    (sent,) = graph.sent
    assert sent.payload["recipient"] == BSUID
    assert sent.payload["interactive"] == {"type": "request_contact_info",
                                           "body": {"text": "May we have your number?"},
                                           "action": {"name": "request_contact_info"}}


def test_a_contact_info_request_has_a_body_only(api, graph, process_inbound, operator_token) -> None:
    session = _bsuid_session(api, process_inbound, operator_token)

    status, error = api.call("POST", f"/sessions/{session['session_id']}/messages",
                             {"interactive": {"type": "request_contact_info", "body": "Number?",
                                              "buttons": [{"id": "a", "title": "A"}]}}, token=operator_token)

    assert status == 422
    assert "interactive" in json.dumps(error)


def test_the_simulators_customer_side_drives_the_whole_story(
        api, graph, process_inbound, operator_token, aws) -> None:
    """A BSUID-only customer (the simulator's webhooks) asks, is answered, changes id, calls, shares
    the phone: one contact, one session, the call on the timeline, every reply to the current id."""
    def reply(text: str) -> None:
        assert api.call("POST", f"/sessions/{sid}/messages", {"text": text}, token=operator_token)[0] == 202
        run_send_worker(aws.queue_urls["outbound"])

    graph.emit("bsuid_text", DEMO_PHONE_NUMBER_ID, user_id="CZ.111", wamid="wamid.S1", text="Hi", username="@ann")
    process_inbound()
    (session,) = _sessions(api, operator_token)
    sid = session["session_id"]
    reply("Hello Ann")
    graph.emit("user_changed_user_id", DEMO_PHONE_NUMBER_ID, old="CZ.111", new="CZ.222", wamid="wamid.S2")
    graph.emit("user_id_update", DEMO_PHONE_NUMBER_ID, old="CZ.111", new="CZ.222")
    graph.emit("call", DEMO_PHONE_NUMBER_ID, caller="CZ.222", call_id="wacid.S3", event="connect")
    graph.emit("call", DEMO_PHONE_NUMBER_ID, caller="CZ.222", call_id="wacid.S3", event="terminate", duration=42)
    process_inbound()
    reply("Thanks for calling")
    graph.emit("shared_phone", DEMO_PHONE_NUMBER_ID, user_id="CZ.222", wa_id="420777000999", wamid="wamid.S4")
    process_inbound()

    assert [s["session_id"] for s in _sessions(api, operator_token)] == [sid]
    assert [p.get("recipient") for p in (s.payload for s in graph.sent)] == ["CZ.111", "CZ.222"]
    (call,) = [m for m in _messages(api, operator_token, sid) if m["kind"] == "call"]
    assert call["call"]["duration_seconds"] == 42
    contact = api.call("GET", f"/contacts/{session['contact_id']}", token=operator_token)[1]
    assert contact["phones"] == ["+420777000999"]


# -- cost ------------------------------------------------------------------------------------------------

def test_a_call_costs_a_message_s_round_trips_and_one_read_of_its_parked_statuses(demo) -> None:

    calls: list[str] = []
    client = services().table._client
    services().channels.by_id("wa-demo")  # the channel is cached per process

    def count(model, **_: object) -> None:
        calls.append(model.name)

    client.meta.events.register("before-call.dynamodb", count)

    def event(payload: dict, contact: dict | None = None) -> WhatsAppEvent:
        return WhatsAppEvent(kind="message", tenant_id="demo", channel_id="wa-demo", event_id=payload["id"],
                             group="g", field="messages", waba_id="w", payload=payload, contact=contact)

    first = text_message(sender=PHONE, wamid="wamid.COST1")
    process_event(event(first["message"], first["contact"]), services())
    calls.clear()
    second = text_message(sender=PHONE, wamid="wamid.COST2")
    process_event(event(second["message"], second["contact"]), services())
    a_message = Counter(calls)
    calls.clear()
    process_event(event({"id": "wacid.COST3", "type": "call", "from": PHONE, "timestamp": str(int(time.time())),
                         "call": {"id": "wacid.COST3", "event": "connect", "direction": "USER_INITIATED"}}),
                  services())
    a_call = Counter(calls)
    client.meta.events.unregister("before-call.dynamodb", count)

    assert a_call - a_message == Counter({"GetItem": 1})
    assert a_message - a_call == Counter()


def test_a_late_message_from_the_old_bsuid_lands_in_the_same_history(
        api, channels, process_inbound, operator_token) -> None:
    post(api, load("bsuid_text_message", now=True))
    post(api, load("system_user_changed_user_id", now=True))
    process_inbound()
    late = load("bsuid_text_message", now=True)
    late["entry"][0]["changes"][0]["value"]["messages"][0]["id"] = "wamid.LATEOLD"
    post(api, late)
    process_inbound()

    (session,) = _sessions(api, operator_token)
    assert session["address"] == NEW_BSUID
    assert len(_messages(api, operator_token, session["session_id"])) == 3


def test_a_changed_username_is_the_one_shown(api, channels, process_inbound, operator_token) -> None:
    post(api, load("bsuid_text_message", now=True))
    process_inbound()
    renamed = load("bsuid_text_message", now=True)
    value = renamed["entry"][0]["changes"][0]["value"]
    value["messages"][0]["id"] = "wamid.RENAMED"
    value["contacts"][0]["profile"]["username"] = "@tulip.88"
    post(api, renamed)
    process_inbound()

    (session,) = _sessions(api, operator_token)
    contact = api.call("GET", f"/contacts/{session['contact_id']}", token=operator_token)[1]
    assert session["contact_username"] == "@tulip.88"
    assert contact["username"] == "@tulip.88"


def test_anonymising_a_customer_removes_their_username_everywhere(
        api, channels, process_inbound, operator_token, admin_token) -> None:
    post(api, load("bsuid_text_message", now=True))
    process_inbound()
    (session,) = _sessions(api, operator_token)

    status, contact = api.call("POST", f"/contacts/{session['contact_id']}/anonymize", token=admin_token)

    assert status == 200
    assert contact["username"] is None
    assert _sessions(api, operator_token)[0].get("contact_username") is None
