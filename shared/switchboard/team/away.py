"""The away message: outside business hours the customer gets the channel's away message once per
session, as a WhatsApp text while the 24-hour window is open, or as an email reply. It goes the way every
send goes (stored ``queued`` and put on the outbound queue); the session stays unanswered, since no
operator has answered yet."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger

from switchboard import clock
from switchboard.clients.eventbus import DomainEvent
from switchboard.domain import sessions
from switchboard.errors import Conflict
from switchboard.outbound.models import SendMessageRequest
from switchboard.domain.principal import Principal
from switchboard.outbound.sending import (
    build_outgoing,
    commit_and_enqueue,
    fingerprint,
    message_record,
)
from switchboard.storage.outbound import Staging, send_request_item
from switchboard.services import Services
from switchboard.storage.routing import RoutingStore

logger = Logger(service="session_routing", child=True)
SENDER = "away_message"


def send_once(
    services: Services, tenant_id: str, session: dict[str, Any], text: str | None, now: datetime
) -> list[DomainEvent]:
    """The away message for this session, unless it was sent already (``away_sent_at``). A retry after a
    crash between the send and the mark replays the same send (its idempotency key is the session's)."""
    if not text or session.get("away_sent_at"):
        return []
    channel = services.channels.get(tenant_id, session["channel_id"])
    if channel is None:
        return []
    last_inbound = session.get("last_inbound_at")
    if channel.kind == "whatsapp":
        expires = sessions.window_expires_at(clock.parse_iso(last_inbound)) if last_inbound else None
        if expires is None or expires <= now:
            return []  # the window is closed: free text may not go out
    request = SendMessageRequest(text=text)
    caller = Principal(tenant_id=tenant_id, operator_id=SENDER, role="operator")
    key = f"away-{session['session_id']}"
    print_ = fingerprint("away", session["session_id"])
    try:
        outgoing = build_outgoing(services, caller, session, channel, request)
        message = message_record(
            tenant_id,
            channel.channel_id,
            outgoing,
            session["session_id"],
            session.get("contact_id"),
            SENDER,
            clock.iso(now),
        )
        accepted = commit_and_enqueue(
            services,
            Staging(message, send_request_item(tenant_id, key, print_, message)),
            tenant_id,
            key,
            print_,
        )
    except Conflict as refused:
        logger.info("away message not sent", session_id=session["session_id"], code=refused.code)
        return []
    RoutingStore(services.table).mark_away_sent(tenant_id, session["session_id"], clock.iso(now))
    return [
        DomainEvent(
            "session.away_message_sent",
            tenant_id,
            {"session_id": session["session_id"], "message_id": accepted.message["message_id"]},
        )
    ]
