"""A known contact's message does not check the contact's profile when its thread pointer is on the
contact's list (block, merge and erasure write such pointers themselves); a pointer that is not joins the
list, under the profile's condition."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from switchboard import clock
from switchboard.domain.channels import Channel
from switchboard.domain.inbound_queue import WhatsAppEvent
from switchboard.inbound.resolution import Sender, plan_inbound
from switchboard.storage import keys
from switchboard.storage.conversations import ConversationStore, ThreadView
from switchboard.storage.dynamo import Transaction

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
CHANNEL = Channel(tenant_id="t", channel_id="c", kind="whatsapp", name="WA", secret_name="s",
                  reopen_period_hours=72)
PROFILE = keys.contact("t", "C1")
OWNERS = {("wa", "420777123456"): "C1", ("phone", "+420777123456"): "C1"}  # nothing new to claim


class _Kept:
    """A table that keeps the transaction it is asked to commit."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def commit(self, tx: Transaction) -> None:
        self.items = tx.items


def _profile_writes(**pointer: object) -> list[str]:
    """The operations of the message's transaction on the contact's profile."""
    event = WhatsAppEvent(kind="message", tenant_id="t", channel_id="c", event_id="wamid.1", group="c:420777123456",
                          field="messages", waba_id="w",
                          payload={"from": "420777123456", "id": "wamid.1", "timestamp": "1761998400",
                                   "type": "text", "text": {"body": "hello"}},
                          contact={"wa_id": "420777123456", "profile": {"name": "Jana"}})
    seen = {"contact_id": "C1", "session_id": "S1", "session_status": "open",
            "contact_activity_at": clock.iso(NOW - timedelta(minutes=5)), **pointer}
    record, _ = plan_inbound(event, CHANNEL, Sender.of(event), ThreadView(seen, OWNERS),
                             NOW)
    table = _Kept()
    ConversationStore(table).record(record)  # type: ignore[arg-type]
    return [op for item in table.items for op, body in item.items()
            if {k: (body.get("Key") or body.get("Item") or {}).get(k) for k in PROFILE} == PROFILE]


def test_a_listed_pointer_of_a_contact_touched_within_the_hour_leaves_the_profile_out() -> None:
    assert _profile_writes(listed=True) == []


def test_a_pointer_older_than_the_list_joins_it_with_the_profiles_condition() -> None:
    assert _profile_writes() == ["Update"]
