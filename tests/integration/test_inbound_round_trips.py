"""The hot path's cost, counted: DynamoDB requests per inbound message and per status."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from switchboard.inbound.processing import process_event
from switchboard.services import services
from switchboard.storage import keys
from switchboard.whatsapp.envelope import QueuedEvent

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


def _message(wamid: str, sender: str = "420777555000", user_id: str | None = None) -> QueuedEvent:
    built = text_message(sender=sender, wamid=wamid, user_id=user_id)
    return QueuedEvent(kind="message", tenant_id="demo", channel_id="wa-demo", event_id=wamid, group="g",
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
    process_event(QueuedEvent(kind="status", tenant_id="demo", channel_id="wa-demo", event_id="wamid.OUT:read",
                              group="g", field="messages", waba_id="w",
                              payload=status("wamid.OUT", "read")), services())
    a_status = list(dynamodb_calls)

    assert new_contact == ["BatchGetItem", "TransactWriteItems"]
    assert known_contact == ["BatchGetItem", "TransactWriteItems"]
    assert known_with_new_bsuid == ["BatchGetItem", "TransactWriteItems"]
    assert a_status == ["GetItem", "UpdateItem"]
