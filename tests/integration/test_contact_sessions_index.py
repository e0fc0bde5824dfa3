"""A contact's sessions are indexed by their keys only (GSI3), so the messages that rewrite a session do not
rewrite its entry there; sessions written before GSI3 (in GSI2) are still found (docs/cold-start-and-cost.md)."""

from __future__ import annotations

import boto3
import pytest
from infra.declaration import RESOURCES
from switchboard.domain.inbound_queue import WhatsAppEvent
from switchboard.inbound.processing import process_event
from switchboard.services import services
from switchboard.storage import keys
from switchboard.storage.messages import new_session_item
from switchboard.storage.sessions import contact_sessions

from bench.meter import Meter
from tests.support.whatsapp import text_message


def _message(wamid: str) -> WhatsAppEvent:
    built = text_message(sender="420777555111", wamid=wamid)
    return WhatsAppEvent(kind="message", tenant_id="demo", channel_id="wa-demo", event_id=wamid, group="g",
                         field="messages", waba_id="w", payload=built["message"], contact=built["contact"])


@pytest.mark.usefixtures("demo")
def test_a_known_senders_message_moves_the_inbox_entry_and_writes_no_other_index() -> None:
    table = services().table
    data = next(t for t in RESOURCES.tables if t.name == "data")
    meter = Meter(inspect=boto3.client("dynamodb"), indexes={table.name: data.indexes},
                  keys_only=frozenset(data.keys_only), active=False)
    meter.attach(table._client)
    process_event(_message("wamid.IX1"), services())
    meter.active = True

    process_event(_message("wamid.IX2"), services())

    session_writes = [w for c in meter.calls for w in c.writes if w.item == "SESSION"]
    assert sum(w.index_units for w in session_writes) == 2  # the inbox's entry: a delete and a put


@pytest.mark.usefixtures("demo")
def test_a_contacts_sessions_from_before_and_after_gsi3_are_listed_newest_first() -> None:
    table = services().table
    old = new_session_item("demo", "S-OLD", "wa-demo", "C-1", "420777555222", "resolved",
                           "2026-01-01T00:00:00.000Z", {})
    old.pop(keys.GSI3_PK), old.pop(keys.GSI3_SK)
    old.update({keys.GSI2_PK: keys.contact_sessions_index("demo", "C-1"),
                keys.GSI2_SK: "2026-01-01T00:00:00.000Z#S-OLD"})  # as sessions were written before GSI3
    table.put(old)
    table.put(new_session_item("demo", "S-NEW", "wa-demo", "C-1", "420777555222", "open",
                               "2026-02-01T00:00:00.000Z", {}))

    assert [s["session_id"] for s in contact_sessions(table, "demo", "C-1")] == ["S-NEW", "S-OLD"]
