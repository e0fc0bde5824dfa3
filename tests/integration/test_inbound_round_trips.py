"""The hot path's cost, counted: DynamoDB requests per inbound message and per status. Publishing what
changed adds none: the fan-out numbers the events in the tenant's log, off the write path (docs/realtime.md)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from switchboard.inbound.processing import process_event
from switchboard.services import services
from switchboard.storage import keys
from switchboard.domain.inbound_queue import WhatsAppEvent

from tests.support.whatsapp import status, text_message


@pytest.fixture
def dynamodb_calls(demo) -> Iterator[list[str]]:
    calls: list[str] = []
    client = services().table._client
    services().channels.by_id("wa-demo")  # the channel is cached per process (one read a minute)

    def count(model, **_: object) -> None:
        calls.append(model.name)

    client.meta.events.register("before-call.dynamodb", count)
    yield calls
    client.meta.events.unregister("before-call.dynamodb", count)


def _message(wamid: str, sender: str = "420777555000", user_id: str | None = None) -> WhatsAppEvent:
    built = text_message(sender=sender, wamid=wamid, user_id=user_id)
    return WhatsAppEvent(kind="message", tenant_id="demo", channel_id="wa-demo", event_id=wamid, group="g",
                       field="messages", waba_id="w", payload=built["message"], contact=built["contact"])


def test_two_round_trips_per_message_and_per_status(dynamodb_calls: list[str]) -> None:
    process_event(_message("wamid.RT1"), services())
    new_contact = list(dynamodb_calls)
    dynamodb_calls.clear()
    process_event(_message("wamid.RT2"), services())
    known_contact = list(dynamodb_calls)
    dynamodb_calls.clear()
    process_event(_message("wamid.RT3", user_id="US.RT"), services())
    known_with_new_bsuid = list(dynamodb_calls)

    services().table.put({**keys.provider_id("demo", "wamid.OUT"), "message_pk": "T#demo#S#X",
                          "message_sk": "M#1#X"})
    services().table.put({"pk": "T#demo#S#X", "sk": "M#1#X", "status": "sent", "status_rank": 1,
                          "statuses": {"sent": "t"}})
    dynamodb_calls.clear()
    process_event(WhatsAppEvent(kind="status", tenant_id="demo", channel_id="wa-demo", event_id="wamid.OUT:read",
                              group="g", field="messages", waba_id="w",
                              payload=status("wamid.OUT", "read")), services())
    a_status = list(dynamodb_calls)

    assert new_contact == ["BatchGetItem", "TransactWriteItems"]
    assert known_contact == ["BatchGetItem", "TransactWriteItems"]
    assert known_with_new_bsuid == ["BatchGetItem", "TransactWriteItems"]
    assert a_status == ["BatchGetItem", "UpdateItem"]  # the alias and the thread pointer in one read


def _status(wamid: str, state: str, recipient: str = "420777555000") -> WhatsAppEvent:
    return WhatsAppEvent(kind="status", tenant_id="demo", channel_id="wa-demo", event_id=f"{wamid}:{state}", group="g",
                       field="messages", waba_id="w", payload=status(wamid, state, recipient=recipient))


def test_a_status_of_the_sessions_last_message_costs_one_more_update_and_only_then(dynamodb_calls) -> None:
    process_event(_message("wamid.RT9"), services())
    pointer = services().table.get(keys.thread("demo", "wa-demo", "420777555000"))
    session_id = pointer["session_id"]
    for wamid, message_id in (("wamid.LAST", "M-LAST"), ("wamid.EARLIER", "M-EARLIER")):
        message_key = {"pk": keys.session_partition("demo", session_id), "sk": f"M#1#{message_id}"}
        services().table.put({**message_key, "message_id": message_id, "status": "sent", "status_rank": 1,
                              "statuses": {"sent": "t"}})
        services().table.put({**keys.provider_id("demo", wamid), "message_pk": message_key["pk"],
                              "message_sk": message_key["sk"], "session_id": session_id, "message_id": message_id})
    services().table.update(keys.thread("demo", "wa-demo", "420777555000"), "SET last_message_id = :m",
                            {":m": "M-LAST"})
    services().table.update(keys.session("demo", session_id), "SET last_message = :l",
                            {":l": {"message_id": "M-LAST", "text": "ok", "direction": "out", "kind": "text",
                                    "at": "t", "status": "sent", "status_rank": 1}})
    dynamodb_calls.clear()
    process_event(_status("wamid.LAST", "delivered"), services())
    when_last = list(dynamodb_calls)
    dynamodb_calls.clear()
    process_event(_status("wamid.EARLIER", "delivered"), services())
    when_not_last = list(dynamodb_calls)

    assert when_last == ["BatchGetItem", "UpdateItem", "UpdateItem"]
    assert when_not_last == ["BatchGetItem", "UpdateItem"]
    assert services().table.get(keys.session("demo", session_id))["last_message"]["status"] == "delivered"
