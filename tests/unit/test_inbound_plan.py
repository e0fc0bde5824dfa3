"""Given what the store knows of a sender, one inbound message plans the right contact/session writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from switchboard import clock
from switchboard.domain.channels import Channel
from switchboard.inbound.resolution import Sender, plan_inbound
from switchboard.storage.conversations import ThreadView
from switchboard.domain.inbound_queue import WhatsAppEvent

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
CHANNEL = Channel(tenant_id="t", channel_id="c", kind="whatsapp", name="WA", secret_name="s",
                  reopen_period_hours=72)


def _event(wamid: str = "wamid.1") -> WhatsAppEvent:
    return WhatsAppEvent(kind="message", tenant_id="t", channel_id="c", event_id=wamid, group="c:420777123456",
                       field="messages", waba_id="w",
                       payload={"from": "420777123456", "id": wamid, "timestamp": "1761998400", "type": "text",
                                "text": {"body": "hello"}},
                       contact={"wa_id": "420777123456", "profile": {"name": "Jana"}})


def _pointer(**fields: object) -> dict:
    return {"contact_id": "C1", "session_id": "S1", "session_status": "open", **fields}


def _plan(view: ThreadView):  # noqa: ANN202
    event = _event()
    return plan_inbound(event, CHANNEL, Sender.of(event), view, NOW)


def test_a_new_sender_becomes_a_contact_with_a_session_and_claims_every_identifier() -> None:
    record, events = _plan(ThreadView(None, {}))
    assert record.new_contact is not None and record.new_contact["name"] == "Jana"
    assert record.new_contact["phones"] == ["+420777123456"]
    assert set(record.claim_identifiers) == {("wa", "420777123456"), ("phone", "+420777123456")}
    assert record.session_mode == "new" and record.pointer_seen is None
    assert [e.detail_type for e in events] == ["contact.created", "session.created", "message.received"]


def test_a_known_phone_attaches_to_the_existing_contact() -> None:
    record, _ = _plan(ThreadView(None, {("phone", "+420777123456"): "C9"}))
    assert record.new_contact is None and record.contact_id == "C9"
    assert record.claim_identifiers == [("wa", "420777123456")]
    assert record.session_mode == "new"


def test_a_known_sender_with_an_open_session_writes_to_it() -> None:
    record, events = _plan(ThreadView(_pointer(), {("wa", "420777123456"): "C1"}))
    assert (record.session_mode, record.session_id) == ("existing", "S1")
    assert record.pointer_seen is not None and record.pointer_seen["session_status"] == "open"
    assert record.message["pk"].endswith("#S#S1")
    assert [e.detail_type for e in events] == ["message.received"]


def test_a_resolved_session_reopens_within_the_reopen_period() -> None:
    resolved = clock.iso(NOW - timedelta(hours=10))
    record, events = _plan(ThreadView(_pointer(session_status="resolved", resolved_at=resolved), {}))
    assert (record.session_mode, record.session_id) == ("reopen", "S1")
    assert "session.reopened" in [e.detail_type for e in events]


def test_after_the_reopen_period_a_new_session_starts() -> None:
    resolved = clock.iso(NOW - timedelta(hours=73))
    record, _ = _plan(ThreadView(_pointer(session_status="resolved", resolved_at=resolved), {}))
    assert record.session_mode == "new" and record.session_id != "S1"


def test_a_blocked_sender_is_stored_suppressed_without_touching_the_inbox() -> None:
    record, events = _plan(ThreadView(_pointer(blocked_until="forever"), {}))
    assert record.session_mode == "none" and record.message.get("suppressed") is True
    assert "session_id" not in record.pointer_fields
    assert events[-1].detail["suppressed"] is True
