"""Sessions: one conversation with one contact on one channel, and its states."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

SessionStatus = Literal["open", "awaiting_customer", "resolved"]
OPEN: SessionStatus = "open"
AWAITING_CUSTOMER: SessionStatus = "awaiting_customer"
RESOLVED: SessionStatus = "resolved"

CUSTOMER_SERVICE_WINDOW = timedelta(hours=24)

# The satisfaction survey's rows are answered with ``csat:<session_id>:<rating>`` (docs/reports.md).
SURVEY_REPLY_PREFIX = "csat:"


def answers_survey(payload: dict[str, Any], session_id: str | None) -> bool:
    """Whether a customer's WhatsApp message is their pick from the satisfaction survey of ``session_id``:
    such an answer stays on its resolved session instead of reopening it (docs/reports.md)."""
    if not session_id or payload.get("type") != "interactive":
        return False
    interactive = payload.get("interactive") or {}
    reply = interactive.get(str(interactive.get("type") or "")) or {}
    return isinstance(reply, dict) and str(reply.get("id") or "").startswith(f"{SURVEY_REPLY_PREFIX}{session_id}:")


def is_survey_reply(kind: str, content: Any) -> bool:
    """Whether a stored message (its kind and content) is a customer's pick from a satisfaction survey, of
    any session: ``message.received`` says so (``survey_reply``), and csat_survey's rule lets only those
    through (reports/csat.py ``rating_of_reply`` reads the session and rating from the same reply id)."""
    if kind != "interactive" or not isinstance(content, dict):
        return False
    reply = content.get(str(content.get("type") or ""))
    return isinstance(reply, dict) and str(reply.get("id") or "").startswith(SURVEY_REPLY_PREFIX)


def window_expires_at(last_inbound_at: datetime | None) -> datetime | None:
    """The WhatsApp customer-service window: 24 hours after the customer's last message."""
    return last_inbound_at + CUSTOMER_SERVICE_WINDOW if last_inbound_at else None


def may_reopen(resolved_at: datetime, now: datetime, reopen_period_hours: int) -> bool:
    """A customer writing to a resolved session reopens it within the channel's reopen period;
    after it, a new session starts."""
    return now - resolved_at <= timedelta(hours=reopen_period_hours)
