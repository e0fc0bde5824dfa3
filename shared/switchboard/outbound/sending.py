"""Accepting a send: check the rules, store the message as ``queued`` (with its session's summary and the
idempotency key, in one transaction), then put it on the outbound queue. Nothing is queued when a rule
refuses; a retried request with the same ``Idempotency-Key`` returns the first request's message."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from switchboard import clock, ids
from switchboard.domain import pii
from switchboard.domain.channels import Channel
from switchboard.domain.principal import Principal
from switchboard.errors import Conflict, InvalidInput, NotFound, QueueUnavailable
from switchboard.observability import count
from switchboard.outbound import building, media, rules, templating
from switchboard.outbound.building import Outgoing
from switchboard.outbound.models import SendMessageRequest, TemplateRef
from switchboard.storage.outbound import OutboundStore, Staging, send_request_item
from switchboard.services import Services
from switchboard.storage import messages
from switchboard.storage.messages import OutboundJob
from switchboard.storage.attachments import AttachmentStore
from switchboard.storage.dynamo import TransactionConflict
from switchboard.storage.sessions import outbound_summary, pointer_last_message



@dataclass(frozen=True)
class Accepted:
    message: dict[str, Any]
    replayed: bool = False


def fingerprint(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def message_record(tenant_id: str, channel_id: str, outgoing: Outgoing, session_id: str | None,
                   contact_id: str | None, operator_id: str | None, now_iso: str) -> dict[str, Any]:
    """An outbound message as docs/sending.md describes it (the contract campaigns rely on too)."""
    extra = {"operator_id": operator_id} if operator_id else {}
    return messages.message_item(
        tenant_id, channel_id, ids.new_id(), now_iso, direction="out", kind=outgoing.kind,
        text=pii.mask_card_numbers(outgoing.text), session_id=session_id, contact_id=contact_id,
        **messages.queued_fields(now_iso),
        graph_payload=json.dumps(pii.mask_in(outgoing.graph, pii.IDENTIFIER_KEYS), separators=(",", ":")),
        **outgoing.extra, **extra)


def last_message_of(message: dict[str, Any]) -> dict[str, Any]:
    return messages.last_message(message, status="queued", status_rank=0)


def enqueue(services: Services, message: dict[str, Any]) -> None:
    services.outbound_queue.send_json(OutboundJob.of(message).model_dump())


def replay(services: Services, tenant_id: str, key: str, print_: str) -> Accepted | None:
    """The first request's message for this Idempotency-Key; queued again if it is still queued (the
    worker's claim makes a second queue record harmless), so a request that failed after storing is
    completed by its retry."""
    store = OutboundStore(services.table)
    previous = store.send_request(tenant_id, key)
    if previous is None:
        return None
    if previous.get("fingerprint") != print_:
        raise Conflict("this Idempotency-Key was used for a different request", code="idempotency_key_reused")
    message = store.load(previous["message_pk"], previous["message_sk"])
    if message is None:
        raise Conflict("the request with this Idempotency-Key did not complete", code="idempotency_key_reused")
    if message.get("status") == "queued" and not message.get("claim_token"):
        enqueue(services, message)
    count("SendReplayed")
    return Accepted(message, replayed=True)


def commit_and_enqueue(services: Services, staging: Staging, tenant_id: str, key: str | None,
                       print_: str) -> Accepted:
    try:
        OutboundStore(services.table).stage(staging)
    except TransactionConflict as conflict:
        if key and conflict.failed_at(0):
            again = replay(services, tenant_id, key, print_)
            if again is not None:
                return again
        raise Conflict("the session changed while the message was being stored; try again",
                       code="session_changed") from conflict
    try:
        enqueue(services, staging.message)
    except QueueUnavailable:
        # Nothing may stay queued without a queue record: the message fails visibly, the caller gets 503.
        OutboundStore(services.table).record_failed(staging.message, None, {
            "code": "queue_unavailable", "title": "the message could not be queued; send it again",
            "details": None}, clock.iso(clock.now()))
        raise
    count("MessageQueued")
    return Accepted(staging.message)


def _reply_target(services: Services, tenant_id: str, session_id: str, message_id: str) -> str:
    item = services.sessions.message_by_id(tenant_id, session_id, message_id)
    if item is None:
        raise InvalidInput("no such message in this session", field="reply_to")
    if not item.get("provider_message_id"):
        raise InvalidInput("that message has not reached WhatsApp yet", field="reply_to")
    return str(item["provider_message_id"])


def allowed_media_types(services: Services, tenant_id: str) -> list[str] | None:
    """The tenant's own list of file types (``allowed_media_types`` on ``T#t`` / ``SETTINGS``), if any."""
    allowed = services.tenants.get(tenant_id).get("allowed_media_types")
    return [str(t) for t in allowed] if allowed else None


def _media_fields(services: Services, tenant_id: str, session_id: str, key: str) -> tuple[str, dict[str, Any]]:
    if not media.issued_for(key, tenant_id, session_id):
        raise InvalidInput("not a file uploaded for this session (POST /sessions/{id}/attachments)",
                           field="media.key")
    stored = AttachmentStore(services.settings.need("media_bucket_name")).describe(key)
    if stored is None:
        raise InvalidInput("the file was not uploaded yet", field="media.key")
    spec = media.media_type(stored.content_type, stored.size, allowed_media_types(services, tenant_id),
                            field="media.key")
    return spec.kind, {"media_content_type": stored.content_type.split(";")[0].strip(),
                       "media_size": stored.size, "media_filename": key.rsplit("/", 1)[-1]}


def _email_attachments(services: Services, tenant_id: str, session_id: str,
                       request: SendMessageRequest) -> list[dict[str, Any]]:
    """The attachments of an email reply: only files uploaded for this session, already in the bucket."""
    found = []
    store = AttachmentStore(services.settings.need("media_bucket_name"))
    for index, attachment in enumerate(request.attachments or []):
        field = f"attachments.{index}.key"
        if not media.issued_for(attachment.key, tenant_id, session_id):
            raise InvalidInput("not a file uploaded for this session (POST /sessions/{id}/attachments)", field=field)
        stored = store.describe(attachment.key)
        if stored is None:
            raise InvalidInput("the file was not uploaded yet", field=field)
        content_type = stored.content_type.split(";")[0].strip().lower()
        entry = attachment.model_dump(exclude_none=True)
        if content_type != "binary/octet-stream":  # S3's type for an upload that named none: guess by name
            entry["content_type"] = content_type
        found.append(entry)
    return found


def build_outgoing(services: Services, caller: Principal, session: dict[str, Any], channel: Channel,
                   request: SendMessageRequest) -> Outgoing:
    if channel.kind == "email":
        return building.email_message(request, _email_attachments(services, caller.tenant_id,
                                                                  session["session_id"], request))
    if request.html or request.subject or request.attachments:
        raise InvalidInput("html, subject and attachments are for email sessions", field="html")
    template = (templating.prepare(services, caller.tenant_id, channel.channel_id, request.template,
                                   session.get("address"))
                if request.template else None)
    media_kind, media_extra = (None, {})
    if request.media is not None:
        media_kind, media_extra = _media_fields(services, caller.tenant_id, session["session_id"], request.media.key)
    reply_to = (_reply_target(services, caller.tenant_id, session["session_id"], request.reply_to)
                if request.reply_to else None)
    outgoing = building.whatsapp_message(request, session.get("address") or "", media_kind, template, reply_to)
    outgoing.extra.update(media_extra)
    return outgoing


def send_in_session(services: Services, caller: Principal, session_id: str, request: SendMessageRequest,
                    idempotency_key: str | None) -> Accepted:
    """POST /sessions/{id}/messages."""
    t = caller.tenant_id
    print_ = fingerprint("message", session_id, request.model_dump(mode="json"))
    if idempotency_key and (previous := replay(services, t, idempotency_key, print_)) is not None:
        return previous
    session = services.sessions.get(t, session_id)
    if session is None:
        raise NotFound("no such session", session_id=session_id)
    channel = services.channels.get(t, session["channel_id"])
    if channel is None:
        raise NotFound("the session's channel is gone", channel_id=session["channel_id"])
    if channel.disabled:
        raise Conflict("the channel is disabled", code="channel_disabled", channel_id=channel.channel_id)
    pointer = services.sessions.pointer_of(session) if channel.kind == "whatsapp" else None
    now = clock.now()
    rules.check_send(session, pointer, channel.kind, request.free_form, now)
    outgoing = build_outgoing(services, caller, session, channel, request)
    message = message_record(t, channel.channel_id, outgoing, session_id, session.get("contact_id"),
                             caller.operator_id, clock.iso(now))
    staging = Staging(message, send_request_item(t, idempotency_key, print_, message) if idempotency_key else None)
    outbound_summary(staging.transaction, t, session, last_message_of(message), message["created_at"],
                     replied_by=message.get("operator_id"))
    if pointer is not None and not pointer.get("alias_of"):
        pointer_last_message(staging.transaction, t, channel.channel_id, session["address"], message["message_id"])
    return commit_and_enqueue(services, staging, t, idempotency_key, print_)


def template_outgoing(services: Services, tenant_id: str, channel: Channel, address: str,
                      ref: TemplateRef) -> Outgoing:
    template = templating.prepare(services, tenant_id, channel.channel_id, ref, address)
    request = SendMessageRequest(template=ref)
    return building.whatsapp_message(request, address, None, template)
