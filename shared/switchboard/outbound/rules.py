"""When a message may be sent: the customer-service window and the session's state. Pure functions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from switchboard import clock
from switchboard.domain import sessions
from switchboard.errors import Conflict


def last_inbound_at(session: dict[str, Any], pointer: dict[str, Any] | None) -> datetime | None:
    """The customer's last message on this channel: the thread pointer knows it per contact and channel;
    the session's own copy stands in when there is no pointer."""
    text = (pointer or {}).get("last_inbound_at") or session.get("last_inbound_at")
    return clock.parse_iso(text) if text else None


def window_open(last_inbound: datetime | None, now: datetime) -> bool:
    expires = sessions.window_expires_at(last_inbound)
    return expires is not None and now < expires


def check_send(session: dict[str, Any], pointer: dict[str, Any] | None, channel_kind: str, free_form: bool,
               now: datetime) -> None:
    """Raise Conflict (409 with a specific code) when this message may not go out now.

    Free-form WhatsApp messages need the 24-hour window, and wait for the customer's reply after we wrote
    first with a template; a resolved session is reopened first (POST /sessions/{id}/reopen)."""
    status = session.get("status")
    if channel_kind == "whatsapp" and free_form:
        if status == sessions.AWAITING_CUSTOMER:
            raise Conflict("we wrote first with a template: free text waits for the customer's reply",
                           code="awaiting_customer")
        if not window_open(last_inbound_at(session, pointer), now):
            raise Conflict("the customer's 24-hour window is closed: send an approved template",
                           code="window_closed")
    if status == sessions.RESOLVED:
        raise Conflict("the session is resolved: reopen it first", code="session_resolved")
