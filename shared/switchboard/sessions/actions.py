"""Assign, resolve, notes, tags, read, "no reply needed". Every state change is a conditional write (or
one transaction), so a concurrent resolve or reopen is refused rather than overwritten."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from switchboard import clock, ids
from switchboard.domain.principal import Principal
from switchboard.clients.eventbus import DomainEvent
from switchboard.clients.graph import GraphClient, GraphError
from switchboard.domain import sessions
from switchboard.errors import Conflict, Forbidden, InvalidInput, NotFound
from switchboard.services import Services
from switchboard.storage import keys
from switchboard.storage.channels import whatsapp_secrets
from switchboard.storage.dynamo import Transaction, TransactionConflict, is_conditional_failure

logger = Logger(service="operator_api", child=True)
MAX_TAGS = 50


def load(services: Services, tenant_id: str, session_id: str) -> dict[str, Any]:
    session = services.sessions.get(tenant_id, session_id)
    if session is None:
        raise NotFound("no such session", session_id=session_id)
    return session


def _update(services: Services, tenant_id: str, session_id: str, expression: str, values: dict[str, Any],
            names: dict[str, str] | None = None, condition: str = "attribute_exists(pk)") -> dict[str, Any]:
    try:
        return services.table.update(keys.session(tenant_id, session_id), expression, values, names,
                                     condition=condition, return_values="ALL_NEW")
    except ClientError as exc:
        if not is_conditional_failure(exc):
            raise
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
    sets = ["assigned_at = :now", "assigned_by = :by"]
    removes = []
    values: dict[str, Any] = {":now": now_iso, ":by": principal.operator_id, ":resolved": sessions.RESOLVED}
    for name, value in (("operator_id", operator_id), ("group_id", group_id)):
        if value:
            sets.append(f"{name} = :{name}")
            values[f":{name}"] = value
        else:
            removes.append(name)
    expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
    session = _update(services, t, session_id, expression, values, {"#status": "status"},
                      condition="attribute_exists(pk) AND #status <> :resolved")
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
    now_iso = clock.iso(clock.now())
    tx = Transaction()
    values: dict[str, Any] = {":resolved": sessions.RESOLVED, ":outcome": outcome, ":now": now_iso,
                              ":by": principal.operator_id, ":seen": session["status"]}
    expression = "SET #status = :resolved, outcome = :outcome, resolved_at = :now, resolved_by = :by"
    if note:
        values[":note"] = note
        expression += ", resolution_note = :note"
    condition = "#status = :seen"
    if not principal.is_admin:
        values[":me"] = principal.operator_id
        condition += " AND operator_id = :me"
    tx.update(keys.session(t, session_id), expression, values, {"#status": "status"}, condition=condition)
    if session.get("address"):
        tx.update(keys.thread(t, session["channel_id"], session["address"]),
                  "SET session_status = :resolved, resolved_at = :now",
                  {":resolved": sessions.RESOLVED, ":now": now_iso, ":sid": session_id},
                  condition="session_id = :sid")
    try:
        services.table.commit(tx)
    except TransactionConflict as conflict:
        raise Conflict("the session changed meanwhile; try again", code="session_changed") from conflict
    services.bus.publish([DomainEvent("session.resolved", t, {
        "session_id": session_id, "outcome": outcome, "by": principal.operator_id})])
    return load(services, t, session_id)


def add_note(services: Services, principal: Principal, session_id: str, text: str) -> dict[str, Any]:
    t = principal.tenant_id
    load(services, t, session_id)
    now_iso = clock.iso(clock.now())
    note_id = ids.new_id()
    note = {**keys.session_note(t, session_id, now_iso, note_id), "note_id": note_id, "session_id": session_id,
            "tenant_id": t, "text": text, "author_id": principal.operator_id, "created_at": now_iso}
    services.table.put(note, condition="attribute_not_exists(pk)")
    return note


def notes(services: Services, tenant_id: str, session_id: str) -> list[dict[str, Any]]:
    response = services.table.query(
        KeyConditionExpression="pk = :pk AND begins_with(sk, :n)",
        ExpressionAttributeValues={":pk": keys.session_partition(tenant_id, session_id), ":n": "NOTE#"})
    return response["Items"]


def set_tags(services: Services, principal: Principal, session_id: str, tags: list[str]) -> dict[str, Any]:
    clean = list(dict.fromkeys(tag.strip() for tag in tags if tag.strip()))
    if len(clean) > MAX_TAGS:
        raise InvalidInput(f"at most {MAX_TAGS} tags", field="tags")
    return _update(services, principal.tenant_id, session_id, "SET tags = :tags", {":tags": clean})


def no_reply_needed(services: Services, principal: Principal, session_id: str) -> dict[str, Any]:
    return _update(services, principal.tenant_id, session_id, "SET unanswered = :false, no_reply_by = :by",
                   {":false": False, ":by": principal.operator_id})


def mark_read(services: Services, principal: Principal, session_id: str) -> dict[str, Any]:
    """Unread to zero; WhatsApp gets a read receipt for the customer's last message (directly through the
    Graph API: it is cosmetic, so a failure is logged and the operator's action still succeeds)."""
    t = principal.tenant_id
    session = _update(services, t, session_id, "SET unread_count = :zero, read_at = :now, read_by = :by",
                      {":zero": 0, ":now": clock.iso(clock.now()), ":by": principal.operator_id})
    wamid = _last_inbound_provider_id(services, t, session_id)
    if wamid and session.get("last_read_receipt") != wamid:
        channel = services.channels.get(t, session["channel_id"])
        if channel is not None and channel.kind == "whatsapp" and channel.phone_number_id:
            try:
                GraphClient(services.settings.graph_base_url, whatsapp_secrets(channel).access_token).mark_read(
                    channel.phone_number_id, wamid)
                session = services.table.update(keys.session(t, session_id), "SET last_read_receipt = :w",
                                                {":w": wamid}, return_values="ALL_NEW")
            except GraphError as error:
                logger.warning("read receipt not sent", session_id=session_id, code=error.error_code)
    return session


def _last_inbound_provider_id(services: Services, tenant_id: str, session_id: str) -> str | None:
    query: dict[str, Any] = {
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :m)", "ScanIndexForward": False,
        "FilterExpression": "direction = :in",
        "ExpressionAttributeValues": {":pk": keys.session_partition(tenant_id, session_id), ":m": "M#", ":in": "in"},
        "Limit": 25}
    for _ in range(8):
        response = services.table.query(**query)
        for item in response["Items"]:
            if item.get("provider_message_id"):
                return str(item["provider_message_id"])
        if not response.get("LastEvaluatedKey"):
            return None
        query["ExclusiveStartKey"] = response["LastEvaluatedKey"]
    return None
