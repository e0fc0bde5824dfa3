"""The ``calls`` webhook field (Calling API), split into queue events for the conversation's timeline.

A call becomes one message-like record of kind ``call`` in the customer's session: its ``connect`` is the
record (an inbound message whose payload is ``{"type": "call", "call": {...}}``, so a call the customer
placed refreshes the customer-service window as a message does), its ``terminate`` and its status updates
(RINGING, ACCEPTED, REJECTED for calls the business placed) move the record's outcome forward like a
delivery status. Media (the SDP offers and answers) is not ours to handle: ``session`` is dropped.
Every event is grouped by channel and customer, so a call's events are applied in order with the
customer's messages.
"""

from __future__ import annotations

from typing import Any

from switchboard.domain.inbound_queue import WhatsAppEvent

CALLS_FIELD = "calls"
# Not in the call record's content: the media negotiation (SDP, not stored at all), and the parties'
# numbers and ids (the payload's ``from`` / ``from_user_id`` say who, as for any message, in ``raw``).
_NOT_STORED = ("session", "connection", "from", "to", "from_user_id", "to_user_id")


def _customer(call: dict[str, Any]) -> tuple[str | None, str | None]:
    """(phone id, business-scoped id) of the WhatsApp user of a call: the caller of a call they placed,
    the callee of one the business placed."""
    business = str(call.get("direction", "")).upper() == "BUSINESS_INITIATED"
    side = "to" if business else "from"
    phone = call.get(side)
    user_id = call.get(f"{side}_user_id")
    return (str(phone) if phone else None), (str(user_id) if user_id else None)


def _contact(value: dict[str, Any], phone: str | None, user_id: str | None) -> dict[str, Any] | None:
    for contact in value.get("contacts") or []:
        if isinstance(contact, dict) and ((phone and contact.get("wa_id") == phone)
                                          or (user_id and contact.get("user_id") == user_id)):
            return contact
    return None


def _outcome(call: dict[str, Any]) -> str:
    """A terminate's outcome: ``completed`` when Meta says so, otherwise ``failed`` (missed, dropped)."""
    status = call.get("status")
    values = status if isinstance(status, list) else [status]
    return "completed" if any(str(v).upper() == "COMPLETED" for v in values) and not call.get("errors") else "failed"


def _terminate_status(call: dict[str, Any], recipient: str) -> dict[str, Any]:
    status: dict[str, Any] = {"id": str(call["id"]), "status": _outcome(call), "recipient_id": recipient,
                              "call": {k: call[k] for k in ("start_time", "end_time", "duration") if k in call}}
    if call.get("timestamp") is not None:
        status["timestamp"] = str(call["timestamp"])
    if call.get("errors"):
        status["errors"] = call["errors"]
    return status


def split_calls(value: dict[str, Any], common: dict[str, Any], channel_id: str) -> list[WhatsAppEvent]:
    """One event per call event and per call status: a ``connect`` is a message, the rest are statuses
    of that message (a call's id is its provider id)."""
    metadata = value.get("metadata") if isinstance(value.get("metadata"), dict) else None
    events: list[WhatsAppEvent] = []
    for call in value.get("calls") or []:
        if not isinstance(call, dict) or not call.get("id"):
            continue
        phone, user_id = _customer(call)
        address = phone or user_id or "unknown"
        group = f"{channel_id}:{address}"
        if call.get("event") == "connect":
            payload: dict[str, Any] = {"id": str(call["id"]), "type": "call",
                                       "call": {k: v for k, v in call.items() if k not in _NOT_STORED}}
            if call.get("timestamp") is not None:
                payload["timestamp"] = str(call["timestamp"])
            if phone:
                payload["from"] = phone
            if user_id:
                payload["from_user_id"] = user_id
            events.append(WhatsAppEvent(kind="message", event_id=str(call["id"]), group=group, payload=payload,
                                        contact=_contact(value, phone, user_id), metadata=metadata, **common))
        elif call.get("event") == "terminate":
            events.append(WhatsAppEvent(kind="status", event_id=f"{call['id']}:terminate", group=group,
                                        payload=_terminate_status(call, address), metadata=metadata, **common))
    for status in value.get("statuses") or []:  # RINGING / ACCEPTED / REJECTED of a call the business placed
        if not isinstance(status, dict) or not status.get("id") or not status.get("status"):
            continue
        recipient = str(status.get("recipient_id") or status.get("recipient_user_id") or "unknown")
        payload = {**status, "status": str(status["status"]).lower(), "recipient_id": recipient}
        events.append(WhatsAppEvent(kind="status", event_id=f"{status['id']}:{payload['status']}",
                                    group=f"{channel_id}:{recipient}", payload=payload, metadata=metadata,
                                    **common))
    return events
