"""What one inbound message writes stays small: the contact is rewritten once an hour at most, and a large
provider payload is stored compressed, so the message item stays within the write units it needs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bench.meter import item_size
from boto3.dynamodb.types import TypeSerializer
from switchboard import clock
from switchboard.domain.channels import Channel
from switchboard.inbound.resolution import Sender, plan_inbound
from switchboard.storage import payloads
from switchboard.storage.conversations import ThreadView
from switchboard.domain.inbound_queue import WhatsAppEvent

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
CHANNEL = Channel(tenant_id="t", channel_id="c", kind="whatsapp", name="WA", secret_name="s",
                  reopen_period_hours=72)


def _event(text: str = "hello", wamid: str = "wamid.1") -> WhatsAppEvent:
    return WhatsAppEvent(kind="message", tenant_id="t", channel_id="c", event_id=wamid, group="c:420777123456",
                       field="messages", waba_id="w",
                       payload={"from": "420777123456", "id": wamid, "timestamp": "1761998400", "type": "text",
                                "text": {"body": text}},
                       contact={"wa_id": "420777123456", "profile": {"name": "Jana"}})


def _plan(pointer: dict | None, text: str = "hello"):  # noqa: ANN202
    event = _event(text)
    view = ThreadView(pointer, {("wa", "420777123456"): "C1"})
    return plan_inbound(event, CHANNEL, Sender.of(event), view, NOW)[0]


def _pointer(**fields: object) -> dict:
    return {"contact_id": "C1", "session_id": "S1", "session_status": "open", **fields}


def wire_size(item: dict) -> int:
    serialize = TypeSerializer().serialize
    return item_size({name: serialize(value) for name, value in item.items()})


def test_a_second_message_within_the_hour_leaves_the_contact_as_it_is() -> None:
    record = _plan(_pointer(contact_activity_at=clock.iso(NOW - timedelta(minutes=20))))

    assert record.touch_contact is False
    assert "contact_activity_at" not in record.pointer_fields


def test_a_message_an_hour_after_the_contact_last_moved_moves_its_activity() -> None:
    record = _plan(_pointer(contact_activity_at=clock.iso(NOW - timedelta(minutes=61))))

    assert record.touch_contact is True
    assert record.pointer_fields["contact_activity_at"] == clock.iso(NOW)


def test_a_pointer_that_never_recorded_the_contact_s_activity_moves_it() -> None:
    assert _plan(_pointer()).touch_contact is True


def test_a_short_message_keeps_its_payload_readable_inline_in_one_write_unit() -> None:
    message = _plan(_pointer()).message

    assert "raw" in message
    assert wire_size(message) <= 1024


def test_a_long_message_stores_its_payload_compressed_and_gets_it_back_whole() -> None:
    text = "Hello, my order #1234 has not arrived yet. " * 18  # ~770 characters: text, content and payload
    message = _plan(_pointer(), text).message

    assert "raw" not in message
    assert payloads.payload_of(message)["text"]["body"] == text
    assert wire_size(message) <= 2048  # inline, the payload would take it to three write units
