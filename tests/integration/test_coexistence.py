"""Coexistence (one number in the WhatsApp Business app and the Cloud API): messages the business types in
the app (echoes) land in the customer's session as outbound and open no window; the shared history is
imported once, in order, into imported sessions however often and in whatever order Meta sends it; the
app's address book names contacts an operator did not name (docs/coexistence.md)."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3
import pytest
from switchboard.services import services

from tests.support.inbound import post
from tests.support.whatsapp import envelope, text_message

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "whatsapp"
CUSTOMER = "16505551234"
BUSINESS = "15550783881"


def _fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def _value(body: dict[str, Any]) -> dict[str, Any]:
    return body["entry"][0]["changes"][0]["value"]


def _messages(api, token, session_id: str) -> list[dict[str, Any]]:
    found, cursor = [], None
    while True:
        page = api.call("GET", f"/sessions/{session_id}/messages?limit=100"
                               + (f"&cursor={quote(cursor)}" if cursor else ""), token=token)[1]
        found.extend(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return found


def _sessions(api, token) -> list[dict[str, Any]]:
    return api.call("GET", "/sessions?limit=100", token=token)[1]["items"]


def _echo(wamid: str, body: str, to: str = "+" + CUSTOMER, timestamp: int = 1749420000) -> dict[str, Any]:
    echoes = copy.deepcopy(_fixture("smb_message_echoes"))
    _value(echoes)["message_echoes"] = [{"from": BUSINESS, "to": to, "id": wamid, "timestamp": str(timestamp),
                                          "type": "text", "text": {"body": body}}]
    return echoes


def _history(chunks: list[tuple[int, int, int, dict[str, list[dict[str, Any]]]]]) -> dict[str, Any]:
    """A history webhook of (phase, chunk_order, progress, {thread: messages}) chunks."""
    body = copy.deepcopy(_fixture("history"))
    _value(body)["history"] = [
        {"metadata": {"phase": phase, "chunk_order": order, "progress": progress},
         "threads": [{"id": thread, "messages": msgs} for thread, msgs in threads.items()]}
        for phase, order, progress, threads in chunks]
    return body


def _backfill(customers: list[str], per_customer: int, start: int = 1_730_000_000) -> dict[str, list[dict]]:
    """Each customer's chat: alternating customer / business text messages, a minute apart."""
    chats = {}
    for c, customer in enumerate(customers):
        chat = []
        for i in range(per_customer):
            from_customer = i % 2 == 0
            message = {"from": customer if from_customer else BUSINESS, "id": f"wamid.HIST.{c}.{i:04d}",
                       "timestamp": str(start + c * 7 + i * 60), "type": "text",
                       "text": {"body": f"{customer} message {i}"},
                       "history_context": {"status": "READ" if from_customer else "DELIVERED"}}
            if not from_customer:
                message["to"] = customer
            chat.append(message)
        chats[customer] = chat
    return chats


# --- the conformance fixtures: each answered 200 and stored as the right record ---

def test_the_echo_fixture_is_an_outbound_message_sent_from_the_app(api, demo, process_inbound,
                                                                  operator_token) -> None:
    assert post(api, _fixture("smb_message_echoes"))[0] == 200
    process_inbound()
    [session] = _sessions(api, operator_token)
    [message] = _messages(api, operator_token, session["session_id"])
    assert message["direction"] == "out"
    assert message["sent_from"] == "business_app"
    assert message["text"] == "Here's the info you requested! https://www.meta.com/quest/quest-3/"
    assert session["address"] == CUSTOMER


def test_the_history_fixture_is_an_imported_session_of_its_messages(api, demo, process_inbound,
                                                                   operator_token) -> None:
    assert post(api, _fixture("history"))[0] == 200
    process_inbound()
    [session] = _sessions(api, operator_token)
    texts = [(m["direction"], m["text"]) for m in _messages(api, operator_token, session["session_id"])]
    assert session["imported"] is True
    assert session["status"] == "resolved"
    assert texts == [("in", "Do you have the blue one in stock?"), ("out", "Yes, in all sizes.")]


def test_the_declined_history_fixture_is_shown_to_admins(api, demo, process_inbound, admin_token) -> None:
    assert post(api, _fixture("history_declined"))[0] == 200
    process_inbound()
    status, view = api.call("GET", "/channels/wa-demo/history-imports", token=admin_token)
    assert status == 200
    assert view["status"] == "declined"
    assert view["errors"][0]["code"] == 2593109


def test_the_state_sync_fixture_names_the_contact(api, demo, process_inbound, operator_token) -> None:
    post(api, envelope([text_message(sender=CUSTOMER, wamid="wamid.FIRST", name="sheena")]))
    process_inbound()
    assert post(api, _fixture("smb_app_state_sync"))[0] == 200
    process_inbound()
    [contact] = api.call("GET", "/contacts", token=operator_token)[1]["items"]
    assert contact["name"] == "Pablo Morales"
    assert contact["address_book_name"] == "Pablo Morales"


# --- echoes ---

def test_an_echo_joins_the_customers_session_once_and_leaves_the_window_where_it_was(
        api, demo, process_inbound, operator_token) -> None:
    post(api, envelope([text_message(sender=CUSTOMER, wamid="wamid.CUST1", timestamp=1749416383)]))
    process_inbound()
    [before] = _sessions(api, operator_token)
    echo = _echo("wamid.ECHO1", "Sent from my phone", timestamp=1749416383 + 3600)
    post(api, echo)
    post(api, echo)
    process_inbound()
    post(api, echo)  # Meta's redelivery after the queue forgot the first
    process_inbound()

    [after] = _sessions(api, operator_token)
    stored = _messages(api, operator_token, after["session_id"])
    assert [m["provider_message_id"] for m in stored] == ["wamid.CUST1", "wamid.ECHO1"]
    assert after["window_expires_at"] == before["window_expires_at"]
    assert after["last_inbound_at"] == before["last_inbound_at"]
    assert after["last_message"]["text"] == "Sent from my phone"
    assert after["unanswered"] is False


def test_an_echo_to_a_new_customer_opens_no_window_for_free_text(api, demo, process_inbound,
                                                                 operator_token) -> None:
    post(api, _echo("wamid.ECHONEW", "Hi, this is the shop", to="+420777111222"))
    process_inbound()
    [session] = _sessions(api, operator_token)
    assert session["window_expires_at"] is None
    status, error = api.call("POST", f"/sessions/{session['session_id']}/messages", {"text": "Follow-up"},
                             token=operator_token)
    assert status == 409
    assert error["code"] == "window_closed"


def test_an_echo_to_a_customer_known_only_by_a_business_scoped_id_joins_their_session(
        api, demo, process_inbound, operator_token) -> None:
    post(api, envelope([text_message(sender="", user_id="US.13491208655302741918", wamid="wamid.BSUID.IN")]))
    process_inbound()
    echo = _echo("wamid.BSUID.ECHO", "Thanks!")
    _value(echo)["message_echoes"][0].pop("to")
    _value(echo)["message_echoes"][0]["to_user_id"] = "US.13491208655302741918"
    assert post(api, echo)[0] == 200
    process_inbound()
    [session] = _sessions(api, operator_token)
    stored = _messages(api, operator_token, session["session_id"])
    assert [m["provider_message_id"] for m in stored] == ["wamid.BSUID.IN", "wamid.BSUID.ECHO"]


def test_an_echo_without_a_recipient_is_refused_naming_the_field(api, demo) -> None:
    echo = _echo("wamid.NOTO", "to nobody")
    _value(echo)["message_echoes"][0].pop("to")
    status, error = post(api, echo)
    assert status == 400
    assert error["field"] == "value.message_echoes.0.to"


# --- the history backfill ---

def test_a_backfill_of_500_messages_posted_twice_and_shuffled_is_imported_once_in_order(
        api, demo, process_inbound, operator_token, admin_token) -> None:
    customers = ["420601000001", "420601000002", "420601000003", "420601000004"]
    chats = _backfill(customers, 125)  # 500 messages
    first = _history([(1, 1, 50, {c: chats[c] for c in customers[:2]}),
                      (1, 2, 100, {c: chats[c] for c in customers[2:]})])
    # Meta again, in another order and cut into other chunks: every chat shuffled, all in one chunk.
    rng = random.Random(20)
    shuffled = {c: rng.sample(chats[c], len(chats[c])) for c in rng.sample(customers, len(customers))}
    again = _history([(2, 1, 100, shuffled)])
    echo = _echo("wamid.ECHO.LIVE", "Live from the app", to="+" + customers[0], timestamp=1_740_000_000)

    for body in (again, echo, first, echo, again):
        assert post(api, body)[0] == 200
        process_inbound()

    imported = [s for s in _sessions(api, operator_token) if s["imported"]]
    stored = {s["address"]: _messages(api, operator_token, s["session_id"]) for s in imported}
    every = [m for messages in stored.values() for m in messages]
    assert len(every) == 500
    assert len({m["provider_message_id"] for m in every}) == 500
    for customer in customers:
        assert [m["provider_message_id"] for m in stored[customer]] == [m["id"] for m in chats[customer]]
    assert {s["window_expires_at"] for s in imported} == {None}
    assert {s["status"] for s in imported} == {"resolved"}


def test_a_backfill_and_an_echo_open_no_window_and_keep_the_live_session_apart(
        api, demo, process_inbound, operator_token) -> None:
    chats = _backfill([CUSTOMER], 6)
    post(api, _history([(0, 1, 100, chats)]))
    post(api, _echo("wamid.ECHO.NEW", "We are open today"))
    process_inbound()

    sessions = _sessions(api, operator_token)
    live = [s for s in sessions if not s["imported"]]
    assert len(sessions) == 2
    assert live[0]["window_expires_at"] is None
    assert {s["contact_id"] for s in sessions} == {live[0]["contact_id"]}  # one contact, two sessions


def test_the_import_progress_shows_each_chunk_and_the_whole(api, demo, process_inbound, admin_token) -> None:
    chats = _backfill(["420602000001", "420602000002"], 50)
    post(api, _history([(0, 1, 40, {"420602000001": chats["420602000001"]})]))
    process_inbound()
    midway = api.call("GET", "/channels/wa-demo/history-imports", token=admin_token)[1]
    post(api, _history([(0, 2, 100, {"420602000002": chats["420602000002"]})]))
    process_inbound()
    done = api.call("GET", "/channels/wa-demo/history-imports", token=admin_token)[1]

    assert midway["status"] == "importing"
    assert midway["progress"] == 40
    assert done["status"] == "complete"
    assert done["messages_imported"] == 100
    assert [(c["chunk_order"], c["slices"], c["status"]) for c in done["chunks"]] == [(1, 2, "imported"),
                                                                                     (2, 2, "imported")]


def test_the_import_progress_is_for_admins(api, demo, operator_token) -> None:
    status, _ = api.call("GET", "/channels/wa-demo/history-imports", token=operator_token)
    assert status == 403


def test_another_tenants_channel_has_no_import_to_show(api, demo, process_inbound) -> None:
    from infra.local import tokens

    post(api, _fixture("history"))
    process_inbound()
    status, error = api.call("GET", "/channels/wa-demo/history-imports", token=tokens.issue("acme", "admin"))
    assert status == 404
    assert error["code"] == "not_found"


def test_history_starts_no_routing_and_no_customer_message_events(api, demo, aws, process_inbound) -> None:
    events, sqs = boto3.client("events"), boto3.client("sqs")
    bus = services().settings.event_bus_name
    queue_url = sqs.create_queue(QueueName="coexistence-listener")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="everything", EventBusName=bus, EventPattern=json.dumps({"source": ["switchboard"]}))
    events.put_targets(Rule="everything", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])

    post(api, _history([(0, 1, 100, _backfill([CUSTOMER], 4))]))
    post(api, _echo("wamid.ECHO.EV", "From the app"))
    process_inbound()

    seen = []
    while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        for message in batch:
            seen.append(json.loads(message["Body"])["detail-type"])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    assert "history.imported" in seen
    assert "message.sent" in seen
    assert "message.received" not in seen
    assert "session.created" not in seen


# --- address-book names ---

def _state_sync(number: str, name: str | None, action: str = "add", timestamp: int = 1739321024) -> dict:
    body = copy.deepcopy(_fixture("smb_app_state_sync"))
    contact = {"phone_number": number, **({"full_name": name, "first_name": name.split()[0]} if name else {})}
    _value(body)["state_sync"] = [{"type": "contact", "contact": contact, "action": action,
                                   "metadata": {"timestamp": str(timestamp)}}]
    return body


def test_an_operators_name_wins_over_the_address_book(api, demo, process_inbound, operator_token) -> None:
    post(api, envelope([text_message(sender=CUSTOMER, wamid="wamid.NAMED")]))
    process_inbound()
    [contact] = api.call("GET", "/contacts", token=operator_token)[1]["items"]
    api.call("PATCH", f"/contacts/{contact['contact_id']}", {"name": "Sheena (VIP)"}, token=operator_token)

    post(api, _state_sync(CUSTOMER, "Sheena N."))
    process_inbound()
    after = api.call("GET", f"/contacts/{contact['contact_id']}", token=operator_token)[1]
    assert after["name"] == "Sheena (VIP)"
    assert after["address_book_name"] == "Sheena N."


def test_a_removal_from_the_address_book_keeps_the_name_and_forgets_the_books(
        api, demo, process_inbound, operator_token) -> None:
    post(api, envelope([text_message(sender=CUSTOMER, wamid="wamid.REMOVE")]))
    process_inbound()
    post(api, _state_sync(CUSTOMER, "Pablo Morales", timestamp=1739321000))
    process_inbound()
    post(api, _state_sync(CUSTOMER, None, action="remove", timestamp=1739321100))
    process_inbound()
    [contact] = api.call("GET", "/contacts", token=operator_token)[1]["items"]
    assert contact["name"] == "Pablo Morales"
    assert contact["address_book_name"] is None


def test_the_address_book_creates_no_contact(api, demo, process_inbound, operator_token) -> None:
    assert post(api, _state_sync("420603000009", "Nobody Yet"))[0] == 200
    process_inbound()
    assert api.call("GET", "/contacts", token=operator_token)[1]["items"] == []


def test_an_older_sync_does_not_undo_a_newer_one(api, demo, process_inbound, operator_token) -> None:
    post(api, envelope([text_message(sender=CUSTOMER, wamid="wamid.ORDER")]))
    process_inbound()
    post(api, _state_sync(CUSTOMER, "Pablo Morales", timestamp=1739321100))
    process_inbound()
    post(api, _state_sync(CUSTOMER, "Pablo M", timestamp=1739321000))
    process_inbound()
    [contact] = api.call("GET", "/contacts", token=operator_token)[1]["items"]
    assert contact["name"] == "Pablo Morales"


@pytest.mark.parametrize("name", ["smb_message_echoes", "history", "history_declined", "smb_app_state_sync"])
def test_each_fixture_posted_twice_is_answered_200_both_times(api, demo, name) -> None:
    body = _fixture(name)
    assert post(api, body)[0] == 200
    assert post(api, body)[0] == 200


# --- what it costs (DynamoDB requests; publishing numbers nothing on the write path, docs/realtime.md) ---

@pytest.fixture
def dynamodb_calls(demo):
    calls: list[str] = []
    client = services().table._client
    services().channels.by_id("wa-demo")  # cached per process

    def count(model, **_: object) -> None:
        calls.append(model.name)

    client.meta.events.register("before-call.dynamodb", count)
    yield calls
    client.meta.events.unregister("before-call.dynamodb", count)


def _queued(body: dict[str, Any]):
    from switchboard.whatsapp.envelope import Change, Entry, split_change

    entry = Entry.model_validate(body["entry"][0])
    return split_change(entry, Change.model_validate(entry.changes[0].model_dump()), "demo", "wa-demo", None)


def test_an_echo_on_a_known_thread_costs_two_requests_and_a_slice_of_40_seven(dynamodb_calls) -> None:
    from switchboard.inbound.processing import process_event

    for event in _queued(envelope([text_message(sender=CUSTOMER, wamid="wamid.RT.IN")])):
        process_event(event, services())
    dynamodb_calls.clear()
    [echo] = _queued(_echo("wamid.RT.ECHO", "from the app"))
    process_event(echo, services())
    an_echo = list(dynamodb_calls)

    [first, second] = _queued(_history([(0, 1, 100, _backfill([CUSTOMER], 80))]))
    process_event(first, services())  # the contact and the imported session are known after the first slice
    dynamodb_calls.clear()
    process_event(second, services())
    a_slice = list(dynamodb_calls)

    assert an_echo == ["BatchGetItem", "TransactWriteItems"]
    assert a_slice == ["UpdateItem", "BatchGetItem", "PutItem", "BatchGetItem", "TransactWriteItems",
                       "UpdateItem", "PutItem"]


# --- media: a photo sent from the app, and the history's later media webhooks ---

GRAPH = "https://graph.facebook.com/v25.0"
FILE_URL = "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=77001"
PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


@pytest.fixture
def graph_photo():
    import hashlib

    import responses

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.GET, f"{GRAPH}/77001", json={
            "messaging_product": "whatsapp", "url": FILE_URL, "mime_type": "image/png",
            "sha256": hashlib.sha256(PHOTO).hexdigest(), "file_size": len(PHOTO), "id": "77001"})
        mock.add(responses.GET, FILE_URL, body=PHOTO, content_type="image/png")
        yield mock


def _photo(wamid: str, sender: str, timestamp: int, to: str | None = None) -> dict[str, Any]:
    message = {"from": sender, "id": wamid, "timestamp": str(timestamp), "type": "image",
               "image": {"id": "77001", "mime_type": "image/png", "caption": "the blue one"}}
    if to:
        message["to"] = to
    return message


def test_a_photo_sent_from_the_app_is_fetched_like_a_customers(api, demo, process_inbound, graph_photo,
                                                               operator_token) -> None:
    echo = _echo("wamid.ECHO.PHOTO", "unused")
    _value(echo)["message_echoes"] = [{**_photo("wamid.ECHO.PHOTO", BUSINESS, 1749420000, to="+" + CUSTOMER)}]
    post(api, echo)
    process_inbound()
    [session] = _sessions(api, operator_token)
    [message] = _messages(api, operator_token, session["session_id"])
    assert message["media"]["status"] == "available"
    assert message["sent_from"] == "business_app"


def test_the_historys_later_media_webhook_gives_an_imported_message_its_photo(
        api, demo, process_inbound, graph_photo, operator_token) -> None:
    placeholder = {"from": CUSTOMER, "id": "wamid.HIST.PHOTO", "timestamp": "1730000000",
                   "type": "media_placeholder", "media_placeholder": {}}
    post(api, _history([(0, 1, 100, {CUSTOMER: [placeholder]})]))
    process_inbound()
    post(api, _history([(0, 2, 100, {CUSTOMER: [_photo("wamid.HIST.PHOTO", CUSTOMER, 1730000000)]})]))
    process_inbound()
    [session] = _sessions(api, operator_token)
    [message] = _messages(api, operator_token, session["session_id"])
    assert message["kind"] == "image"
    assert message["text"] == "the blue one"
    assert message["media"]["status"] == "available"
