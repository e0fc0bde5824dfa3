"""Filtered bus rules: which functions the declared rules (infra/declaration.py, with their filters on the
detail) invoke for each kind of ``message.received`` its producers publish (inbound/resolution.py for
WhatsApp, email/inbound.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from infra.declaration import FUNCTIONS
from infra.event_patterns import matches, rule_pattern
from switchboard.domain.channels import Channel
from switchboard.domain.inbound_queue import WhatsAppEvent
from switchboard.inbound.resolution import Sender, plan_inbound
from switchboard.storage.conversations import ThreadView

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
CHANNEL = Channel(tenant_id="t", channel_id="c", kind="whatsapp", name="WA", secret_name="s",
                  reopen_period_hours=72)
EVERY_MESSAGE = {"report_aggregation", "conversation_index", "realtime_fanout"}


def _whatsapp(payload: dict[str, Any], pointer: dict[str, Any] | None = None) -> dict[str, Any]:
    event = WhatsAppEvent(kind="message", tenant_id="t", channel_id="c", event_id="wamid.1", group="c:420777123456",
                          field="messages", waba_id="w",
                          payload={"from": "420777123456", "id": "wamid.1", "timestamp": "1761998400", **payload},
                          contact={"wa_id": "420777123456", "profile": {"name": "Jana"}})
    view = ThreadView({"contact_id": "C1", "session_id": "S1", "session_status": "open", **(pointer or {})},
                      {("wa", "420777123456"): "C1"})
    _, events = plan_inbound(event, CHANNEL, Sender.of(event), view, NOW)
    received = next(e for e in events if e.detail_type == "message.received")
    return {"source": "switchboard", "detail-type": "message.received",
            "detail": {"tenant_id": "t", **received.detail}}


def _invoked(event: dict[str, Any]) -> set[str]:
    return {spec.name for spec in FUNCTIONS for t in spec.events
            if matches(rule_pattern(t.source, t.detail_types, t.detail), event)}


TEXT = {"type": "text", "text": {"body": "where is my order?"}}
SURVEY_PICK = {"type": "interactive", "interactive": {"type": "list_reply",
                                                      "list_reply": {"id": "csat:S0:4", "title": "Good"}}}
OTHER_PICK = {"type": "interactive", "interactive": {"type": "button_reply",
                                                     "button_reply": {"id": "order:123", "title": "Track"}}}


def test_a_plain_message_does_not_invoke_the_survey() -> None:
    assert "csat_survey" not in _invoked(_whatsapp(TEXT))


def test_a_plain_message_still_reaches_the_sla_timers_and_campaign_replies() -> None:
    assert _invoked(_whatsapp(TEXT)) == EVERY_MESSAGE | {"sla_timers", "campaign_dispatch"}


def test_a_pick_from_the_survey_invokes_the_survey() -> None:
    assert "csat_survey" in _invoked(_whatsapp(SURVEY_PICK))


def test_a_pick_from_another_sessions_survey_on_an_open_session_invokes_the_survey() -> None:
    # the survey of S0, answered while the customer's session S1 is open: csat_survey records it on S0
    assert "csat_survey" in _invoked(_whatsapp(SURVEY_PICK, {"session_id": "S1", "session_status": "open"}))


def test_a_pick_from_another_interactive_message_does_not_invoke_the_survey() -> None:
    assert "csat_survey" not in _invoked(_whatsapp(OTHER_PICK))


def test_a_blocked_senders_message_reaches_neither_the_survey_nor_the_sla_timers() -> None:
    invoked = _invoked(_whatsapp(SURVEY_PICK, {"blocked_until": "forever"}))
    assert invoked & {"csat_survey", "sla_timers"} == set()


def test_an_email_does_not_invoke_the_campaign_replies() -> None:
    email = {"source": "switchboard", "detail-type": "message.received",
             "detail": {"tenant_id": "t", "message_id": "M", "session_id": "S", "contact_id": "C",
                        "channel_id": "mail", "kind": "email", "suppressed": False}}
    assert _invoked(email) == EVERY_MESSAGE | {"sla_timers"}
