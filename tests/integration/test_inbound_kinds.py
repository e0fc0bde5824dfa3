"""Real webhook bodies of every kind land as the right records: reactions and edits change the message
they refer to, business-scoped ids and number changes keep one contact, blocked senders stay out of
the inbox, resolved sessions reopen within the channel's period, and the bus hears about it all."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import boto3
import pytest
import responses
from switchboard import clock
from switchboard.services import services
from switchboard.storage import keys, payloads

from tests.support.inbound import all_messages, fixture, messages_of, post, seed_fixture_channels
from tests.support.whatsapp import envelope, text_message


@pytest.fixture
def channels(demo) -> None:
    seed_fixture_channels()


@pytest.fixture(autouse=True)
def no_graph() -> Iterator[responses.RequestsMock]:
    """No request leaves the machine: media lookups answer 404 here (the media tests cover fetching)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.GET, re.compile(r"https://graph\.facebook\.com/.*"), status=404,
                 json={"error": {"code": 100, "message": "unknown media"}})
        yield mock


def _text(sender: str, wamid: str, body: str = "hello", user_id: str | None = None, ts: int = 1697043000,
          phone_number_id: str = "1122334455667") -> dict:
    return envelope([text_message(sender=sender, wamid=wamid, body=body, user_id=user_id, timestamp=ts)],
                    phone_number_id=phone_number_id)


def _by_provider_id(api, token) -> dict[str, dict]:
    return {m["provider_message_id"]: m for m in all_messages(api, token)}


def test_a_reaction_attaches_to_its_message_and_an_empty_one_removes_it(
        api, channels, process_inbound, operator_token) -> None:
    assert post(api, _text("972987654321", "wamid.yzxyzx=", "Shall we?"))[0] == 200
    reaction = fixture("message", "reaction")
    messages_of(reaction)[0]["id"] = "wamid.REACT1"
    post(api, reaction)
    process_inbound()
    target = _by_provider_id(api, operator_token)["wamid.yzxyzx="]
    assert target["reaction"]["emoji"] == "\N{FACE WITH OPEN MOUTH}"

    removal = fixture("message", "unreaction_empty")
    messages_of(removal)[0]["id"] = "wamid.REACT2"
    post(api, removal)
    process_inbound()
    stored = _by_provider_id(api, operator_token)
    assert stored["wamid.yzxyzx="]["reaction"] is None
    assert [stored[w]["kind"] for w in ("wamid.REACT1", "wamid.REACT2")] == ["reaction", "reaction"]
    assert stored["wamid.REACT2"]["target_provider_id"] == "wamid.yzxyzx="


def test_an_edit_and_a_revoke_change_the_original(api, channels, process_inbound, operator_token) -> None:
    edit = fixture("edited_message", "image")
    original_id = messages_of(edit)[0]["edit"]["original_message_id"]
    post(api, _text("16505551234", original_id, "First caption", phone_number_id="106540352242922"))
    post(api, edit)
    revoke = fixture("message", "text")
    messages_of(revoke)[0].update(id="wamid.REVOKE", type="revoke", revoke={"original_message_id": "wamid.GONE"})
    messages_of(revoke)[0].pop("text")
    post(api, _text("972987654321", "wamid.GONE", "oops, wrong chat"))
    post(api, revoke)
    process_inbound()

    stored = _by_provider_id(api, operator_token)
    original = stored[original_id]
    assert original["text"] == "Updated image caption" and original["edited_at"]
    assert original["content"]["caption"] == "Updated image caption"
    gone = stored["wamid.GONE"]
    assert gone["revoked_at"] and gone["text"] == "[message deleted]" and gone["content"] is None
    assert stored["wamid.REVOKE"]["kind"] == "revoke"


def test_a_bsuid_only_sender_becomes_a_contact_and_later_ids_land_on_it(
        api, channels, process_inbound, operator_token) -> None:
    only_bsuid = envelope([text_message(sender="", user_id="US.777", wamid="wamid.B1", body="no phone")],
                          phone_number_id="1122334455667")
    post(api, only_bsuid)
    post(api, _text("420777000111", "wamid.B2", "now with my number", user_id="US.777"))
    post(api, _text("420777000111", "wamid.B3", "only the number"))
    process_inbound()

    sessions = api.call("GET", "/sessions", token=operator_token)[1]["items"]
    assert len(sessions) == 1 and sessions[0]["unread_count"] == 3
    contact_id = sessions[0]["contact_id"]
    for kind, value in (("bsuid", "US.777"), ("wa", "420777000111"), ("phone", "+420777000111")):
        assert services().table.get(keys.identifier("demo", kind, value))["contact_id"] == contact_id
    alias = services().table.get(keys.thread("demo", "wa-fixtures", "420777000111"))
    assert alias["alias_of"] == "US.777"


def test_a_number_change_moves_the_thread_to_the_new_number(
        api, channels, process_inbound, operator_token) -> None:
    post(api, _text("972987654321", "wamid.BEFORE", "old number"))
    post(api, fixture("system", "phone_number_change"))
    process_inbound()
    post(api, _text("972912345678", "wamid.AFTER", "new number", ts=1753851400))
    process_inbound()

    sessions = api.call("GET", "/sessions", token=operator_token)[1]["items"]
    assert len(sessions) == 1
    kinds = [m["kind"] for m in all_messages(api, operator_token)]
    assert kinds == ["text", "system", "text"]
    contact = services().table.get(keys.contact("demo", sessions[0]["contact_id"]))
    assert contact["phones"] == ["+972987654321", "+972912345678"]
    owner = services().table.get(keys.identifier("demo", "wa", "972912345678"))
    assert owner["contact_id"] == sessions[0]["contact_id"]
    assert sessions[0]["address"] == "972912345678"  # where resolve and reopen find the moved pointer
    pointer = services().table.get(keys.thread("demo", "wa-fixtures", "972912345678"))
    assert pointer["session_id"] == sessions[0]["session_id"] and "alias_of" not in pointer


@pytest.mark.parametrize("case", ["unsupported", "unsupported_with_type"])
def test_unsupported_and_unknown_kinds_are_kept_with_their_raw_payload(
        api, channels, process_inbound, operator_token, case) -> None:
    body = fixture("message", case)
    messages_of(body)[0]["brand_new_field"] = {"x": 1.5}
    body["entry"][0]["changes"][0]["value"]["another_new_field"] = True
    assert post(api, body)[0] == 200
    future = _text("972987654321", "wamid.FUTURE")
    message = messages_of(future)[0]
    message.pop("text")
    message.update(type="hologram", hologram={"depth": 2.5})
    post(api, future)
    process_inbound()
    stored = _by_provider_id(api, operator_token)
    assert stored["wamid.xyzxyz"]["kind"] == "unsupported"
    assert stored["wamid.xyzxyz"]["provider_errors"][0]["code"] == 131051
    assert stored["wamid.FUTURE"]["content"] == {"original_type": "hologram", "body": {"depth": 2.5}}
    session_pk = keys.session_partition("demo", stored["wamid.xyzxyz"]["session_id"])
    items = services().table.query(KeyConditionExpression="pk = :pk",
                                   ExpressionAttributeValues={":pk": session_pk})["Items"]
    raw = [payload for payload in map(payloads.payload_of, items) if payload]
    assert {"x": 1.5} in [r.get("brand_new_field") for r in raw]


def test_a_blocked_senders_messages_are_kept_suppressed_outside_the_inbox(
        api, channels, process_inbound, operator_token) -> None:
    post(api, _text("420600111222", "wamid.BL1", "first"))
    process_inbound()
    session = api.call("GET", "/sessions", token=operator_token)[1]["items"][0]
    blocked = api.call("POST", f"/contacts/{session['contact_id']}/block", {"duration": "forever"},
                       token=operator_token)
    assert blocked[0] == 200

    post(api, _text("420600111222", "wamid.BL2", "spam"))
    process_inbound()

    after = api.call("GET", "/sessions", token=operator_token)[1]["items"]
    assert len(after) == 1 and after[0]["unread_count"] == 1 and after[0]["last_message"]["text"] == "first"
    suppressed = services().table.query(
        KeyConditionExpression="pk = :pk AND begins_with(sk, :m)",
        ExpressionAttributeValues={":pk": keys.contact("demo", session["contact_id"])["pk"], ":m": "M#"})["Items"]
    assert [(m["text"], m["suppressed"]) for m in suppressed] == [("spam", True)]


def _resolve(session_id: str, address: str) -> None:
    """What an operator's resolve does to the session and the sender's thread pointer."""
    at = clock.iso(clock.now())
    table = services().table
    table.update(keys.session("demo", session_id), "SET #s = :r, resolved_at = :at", {":r": "resolved", ":at": at},
                 {"#s": "status"})
    table.update(keys.thread("demo", "wa-fixtures", address), "SET session_status = :r, resolved_at = :at",
                 {":r": "resolved", ":at": at})


def test_a_resolved_session_reopens_within_the_period_and_a_new_one_starts_after(
        api, channels, process_inbound, operator_token) -> None:
    post(api, _text("420600333444", "wamid.R1"))
    process_inbound()
    first = api.call("GET", "/sessions", token=operator_token)[1]["items"][0]
    _resolve(first["session_id"], "420600333444")

    clock.advance(71 * 3600)  # the channel's reopen period is 72 hours
    post(api, _text("420600333444", "wamid.R2"))
    process_inbound()
    sessions = api.call("GET", "/sessions", token=operator_token)[1]["items"]
    assert [(s["session_id"], s["status"]) for s in sessions] == [(first["session_id"], "open")]

    _resolve(first["session_id"], "420600333444")
    clock.advance(73 * 3600)
    post(api, _text("420600333444", "wamid.R3"))
    process_inbound()
    sessions = api.call("GET", "/sessions", token=operator_token)[1]["items"]
    assert len(sessions) == 2 and sessions[0]["session_id"] != first["session_id"]
    assert {s["contact_id"] for s in sessions} == {first["contact_id"]}
    assert [s["status"] for s in sessions] == ["open", "resolved"]


def test_domain_events_reach_the_bus(api, channels, aws, process_inbound) -> None:
    events, sqs = boto3.client("events"), boto3.client("sqs")
    bus = services().settings.event_bus_name
    queue_url = sqs.create_queue(QueueName="bus-listener")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="everything", EventBusName=bus, EventPattern=json.dumps({"source": ["switchboard"]}))
    events.put_targets(Rule="everything", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])

    post(api, _text("420600555666", "wamid.EV1"))
    process_inbound()
    _resolve(api.call("GET", "/sessions", token=None)[1] and services().table.get(
        keys.thread("demo", "wa-fixtures", "420600555666"))["session_id"], "420600555666")
    post(api, _text("420600555666", "wamid.EV2"))
    post(api, envelope(statuses=[{"id": "wamid.EV1", "status": "read", "timestamp": "1697043999",
                                  "recipient_id": "420600555666"}], phone_number_id="1122334455667"))
    process_inbound()

    seen = []
    while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        for message in batch:
            seen.append(json.loads(message["Body"])["detail-type"])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    assert {"contact.created", "session.created", "message.received", "session.reopened",
            "message.status_changed"} <= set(seen)
    assert seen.count("message.received") == 2 and seen.count("contact.created") == 1
