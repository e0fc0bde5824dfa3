"""Assign, resolve, notes, tags, read, "no reply needed". Every state change is a conditional write (or
one transaction), so a concurrent resolve or reopen is refused rather than overwritten."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from switchboard import clock, ids
from switchboard.domain.principal import Principal
from switchboard.clients.eventbus import DomainEvent
from switchboard.clients.graph import GraphClient, GraphError
from switchboard.domain import sessions
from switchboard.errors import Conflict, Forbidden, InvalidInput, NotFound
from switchboard.services import Services
from switchboard.storage.channels import whatsapp_secrets
from switchboard.storage.dynamo import ConditionFailed, TransactionConflict

logger = Logger(service="operator_api", child=True)
MAX_TAGS = 50


def load(services: Services, tenant_id: str, session_id: str) -> dict[str, Any]:
    session = services.sessions.get(tenant_id, session_id)
    if session is None:
        raise NotFound("no such session", session_id=session_id)
    return session


def _change(services: Services, tenant_id: str, session_id: str, sets: dict[str, Any],
            removes: tuple[str, ...] = (), open_only: bool = False) -> dict[str, Any]:
    try:
        return services.sessions.change(tenant_id, session_id, sets, removes, open_only)
    except ConditionFailed:
        pass
    session = load(services, tenant_id, session_id)
    if session.get("status") == sessions.RESOLVED:
        raise Conflict("the session is resolved", code="session_resolved")
    raise Conflict("the session changed meanwhile; try again", code="session_changed")


def assign(services: Services, principal: Principal, session_id: str, operator_id: str | None,
           group_id: str | None) -> dict[str, Any]:
    """Assign or transfer to an operator and/or a group (the other is cleared when not given)."""
    if not operator_id and not group_id:
        raise InvalidInput("give operator_id or group_id", field="operator_id")
    t = principal.tenant_id
    now_iso = clock.iso(clock.now())
    sets: dict[str, Any] = {"assigned_at": now_iso, "assigned_by": principal.operator_id}
    sets.update({name: value for name, value in (("operator_id", operator_id), ("group_id", group_id)) if value})
    removes = tuple(name for name, value in (("operator_id", operator_id), ("group_id", group_id)) if not value)
    session = _change(services, t, session_id, sets, removes, open_only=True)
    services.bus.publish([DomainEvent("session.assigned", t, {
        "session_id": session_id, "operator_id": operator_id, "group_id": group_id, "by": principal.operator_id})])
    return session


def resolve(services: Services, principal: Principal, session_id: str, outcome: str,
            note: str | None) -> dict[str, Any]:
    """Only the assigned operator or an admin resolves. The session and its thread pointer change in one
    transaction, conditioned on the pointer still naming this session (so the next customer message
    reopens it, or starts a new one after the channel's reopen period)."""
    t = principal.tenant_id
    session = load(services, t, session_id)
    if session.get("status") == sessions.RESOLVED:
        raise Conflict("the session is already resolved", code="session_resolved")
    if not principal.is_admin and session.get("operator_id") != principal.operator_id:
        raise Forbidden("only the assigned operator or an admin may resolve this session")
    resolved_at = clock.iso(clock.now())
    try:
        services.sessions.resolve(t, session_id, session, outcome, note, principal.operator_id, resolved_at,
                                  only_if_assigned_to=None if principal.is_admin else principal.operator_id)
    except TransactionConflict as conflict:
        raise Conflict("the session changed meanwhile; try again", code="session_changed") from conflict
    # what the reports count it under (docs/reports.md): the resolution, the opening it ends, whose it was
    services.bus.publish([DomainEvent("session.resolved", t, {
        "session_id": session_id, "outcome": outcome, "by": principal.operator_id, "resolved_at": resolved_at,
        "opened_at": session.get("reopened_at") or session.get("created_at"),
        "operator_id": session.get("operator_id"), "group_id": session.get("group_id"),
        "channel_id": session.get("channel_id")})])
    return load(services, t, session_id)


def add_note(services: Services, principal: Principal, session_id: str, text: str) -> dict[str, Any]:
    t = principal.tenant_id
    load(services, t, session_id)
    note = services.sessions.add_note(t, session_id, ids.new_id(), text, principal.operator_id,
                                      clock.iso(clock.now()))
    # the conversation search indexes it (docs/search.md); the text stays in the store
    services.bus.publish([DomainEvent("session.note_added", t, {
        "session_id": session_id, "note_id": note["note_id"], "created_at": note["created_at"],
        "by": principal.operator_id})])
    return note


def notes(services: Services, tenant_id: str, session_id: str) -> list[dict[str, Any]]:
    return services.sessions.notes(tenant_id, session_id)


def set_tags(services: Services, principal: Principal, session_id: str, tags: list[str]) -> dict[str, Any]:
    clean = list(dict.fromkeys(tag.strip() for tag in tags if tag.strip()))
    if len(clean) > MAX_TAGS:
        raise InvalidInput(f"at most {MAX_TAGS} tags", field="tags")
    return _change(services, principal.tenant_id, session_id, {"tags": clean})


def no_reply_needed(services: Services, principal: Principal, session_id: str) -> dict[str, Any]:
    """The customer's last message needs no reply: the session is no longer unanswered, its response timer
    stops and no unanswered alert goes out for it (docs/sla.md)."""
    session = _change(services, principal.tenant_id, session_id,
                      {"unanswered": False, "no_reply_by": principal.operator_id})
    services.bus.publish([DomainEvent("session.no_reply_needed", principal.tenant_id, {
        "session_id": session_id, "by": principal.operator_id})])
    return session


def mark_read(services: Services, principal: Principal, session_id: str) -> dict[str, Any]:
    """Unread to zero; WhatsApp gets a read receipt for the customer's last message (directly through the
    Graph API: it is cosmetic, so a failure is logged and the operator's action still succeeds)."""
    t = principal.tenant_id
    session = _change(services, t, session_id, {"unread_count": 0, "read_at": clock.iso(clock.now()),
                                                 "read_by": principal.operator_id})
    services.bus.publish([DomainEvent("session.read", t, {"session_id": session_id, "by": principal.operator_id})])
    wamid = services.sessions.last_inbound_provider_id(t, session_id)
    if wamid and session.get("last_read_receipt") != wamid:
        channel = services.channels.get(t, session["channel_id"])
        if channel is not None and channel.kind == "whatsapp" and channel.phone_number_id:
            try:
                GraphClient(services.settings.graph_base_url, whatsapp_secrets(channel).access_token).mark_read(
                    channel.phone_number_id, wamid)
                session = services.sessions.read_receipt_sent(t, session_id, wamid)
            except GraphError as error:
                logger.warning("read receipt not sent", session_id=session_id, code=error.error_code)
    return session

