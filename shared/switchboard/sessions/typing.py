"""``POST /sessions/{id}/typing``: Meta's typing indicator, sent with the read receipt of the customer's last
message (one Graph call: ``status: read`` + ``typing_indicator``; WhatsApp dismisses it when we reply or after 25
seconds). Only inside the customer-service window (409 ``window_closed``), and at most once every
``EVERY_SECONDS`` per session (429 with Retry-After): a conditional write takes the session's slot first, so
operators pressing at once send one; a Graph failure gives the slot back."""

from __future__ import annotations

import math
from typing import Any

from switchboard import clock
from switchboard.clients.graph import GraphClient, GraphError
from switchboard.domain.principal import Principal
from switchboard.errors import Conflict, NotFound, ProviderUnavailable, TooManyRequests
from switchboard.outbound.rules import last_inbound_at, window_open
from switchboard.services import Services
from switchboard.storage.channels import whatsapp_secrets
from switchboard.storage.typing import TypingStore

EVERY_SECONDS = 5


def send_typing(services: Services, principal: Principal, session_id: str) -> dict[str, Any]:
    t = principal.tenant_id
    session = services.sessions.get(t, session_id)
    if session is None:
        raise NotFound("no such session", session_id=session_id)
    channel = services.channels.get(t, session["channel_id"])
    if channel is None or channel.kind != "whatsapp" or not channel.phone_number_id:
        raise Conflict("typing indicators are sent on WhatsApp channels only", code="not_whatsapp")
    now = clock.now()
    if not window_open(last_inbound_at(session, None), now):
        raise Conflict("the customer's 24-hour window is closed", code="window_closed")
    wamid = services.sessions.last_inbound_provider_id(t, session_id)
    if wamid is None:
        raise Conflict("the customer has sent nothing to answer in this session", code="nothing_to_answer")
    store = TypingStore(services.table)
    now_ms = int(now.timestamp() * 1000)
    wait_ms = store.take_typing_slot(t, session_id, now_ms, EVERY_SECONDS * 1000)
    if wait_ms is not None:
        raise TooManyRequests(f"one typing indicator per session every {EVERY_SECONDS} seconds",
                              retry_after_s=max(1, math.ceil(wait_ms / 1000)))
    try:
        GraphClient(services.settings.graph_base_url, whatsapp_secrets(channel).access_token).typing(
            channel.phone_number_id, wamid)
    except GraphError as error:
        store.give_back_typing_slot(t, session_id, now_ms)
        raise ProviderUnavailable(f"WhatsApp refused the typing indicator: {error.message}",
                                  provider_code=error.error_code) from error
    services.sessions.read_receipt_sent(t, session_id, wamid)
    return {"session_id": session_id, "message_id": wamid, "sent_at": clock.iso(now),
            "expires_at": clock.iso(clock.from_unix(now.timestamp() + 25))}
