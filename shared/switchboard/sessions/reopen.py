"""An operator reopens a resolved session. Inside the customer's 24-hour window it is simply open again;
outside it only with an approved template, which is sent, and the session waits for the customer
(``awaiting_customer``: free text is refused until they reply; the inbound path opens it then)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from switchboard import clock
from switchboard.clients.eventbus import DomainEvent
from switchboard.domain import sessions
from switchboard.domain.principal import Principal
from switchboard.errors import Conflict, NotFound
from switchboard.outbound import rules
from switchboard.outbound.models import ReopenRequest
from switchboard.outbound.sending import (
    commit_and_enqueue,
    fingerprint,
    last_message_of,
    message_record,
    replay,
    template_outgoing,
)
from switchboard.storage.outbound import Staging, send_request_item
from switchboard.services import Services
from switchboard.storage.dynamo import Transaction, TransactionConflict
from switchboard.storage.sessions import reopen_by_operator


@dataclass(frozen=True)
class Reopened:
    session: dict[str, Any]
    message: dict[str, Any] | None = None
    replayed: bool = False


def reopen(services: Services, caller: Principal, session_id: str, request: ReopenRequest,
           idempotency_key: str | None) -> Reopened:
    t = caller.tenant_id
    print_ = fingerprint("reopen", session_id, request.model_dump(mode="json"))
    if idempotency_key and request.template and (
            previous := replay(services, t, idempotency_key, print_)) is not None:
        return Reopened(services.sessions.get(t, session_id) or {}, previous.message, True)
    session = services.sessions.get(t, session_id)
    if session is None:
        raise NotFound("no such session", session_id=session_id)
    if session.get("status") != sessions.RESOLVED:
        raise Conflict("only a resolved session can be reopened", code="session_not_resolved")
    channel = services.channels.get(t, session["channel_id"])
    if channel is None:
        raise NotFound("the session's channel is gone", channel_id=session["channel_id"])
    if channel.disabled:
        raise Conflict("the channel is disabled", code="channel_disabled", channel_id=channel.channel_id)
    pointer = services.sessions.pointer_of(session)
    if pointer is not None and pointer.get("session_id") != session_id:
        raise Conflict("the customer has a newer session on this channel", code="session_superseded",
                       session_id=pointer.get("session_id"))
    now = clock.now()
    now_iso = clock.iso(now)
    in_window = channel.kind != "whatsapp" or rules.window_open(rules.last_inbound_at(session, pointer), now)
    if not in_window and request.template is None:
        raise Conflict("the customer's 24-hour window is closed: reopen with an approved template",
                       code="window_closed")
    new_status = sessions.OPEN if in_window else sessions.AWAITING_CUSTOMER
    message = None
    if request.template is not None:
        outgoing = template_outgoing(services, t, channel, session.get("address") or "", request.template)
        message = message_record(t, channel.channel_id, outgoing, session_id, session.get("contact_id"),
                                 caller.operator_id, now_iso)
    tx = Transaction()
    reopen_by_operator(tx, t, session, new_status, caller.operator_id, now_iso,
                       last_message_of(message) if message is not None else None, pointer is not None)
    try:
        if message is not None:
            staging = Staging(message, send_request_item(t, idempotency_key, print_, message)
                              if idempotency_key else None, tx)
            accepted = commit_and_enqueue(services, staging, t, idempotency_key, print_)
            if accepted.replayed:
                return Reopened(services.sessions.get(t, session_id) or {}, accepted.message, True)
        else:
            services.table.commit(tx)
    except TransactionConflict as conflict:
        raise Conflict("the session changed meanwhile; try again", code="session_changed") from conflict
    services.bus.publish([DomainEvent("session.reopened", t, {
        "session_id": session_id, "by": "operator", "operator_id": caller.operator_id, "status": new_status,
        "with_template": message is not None})])
    return Reopened(services.sessions.get(t, session_id) or {}, message)
