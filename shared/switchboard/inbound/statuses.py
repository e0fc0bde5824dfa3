"""Statuses of our outbound messages: queued < sent < delivered < read (< played); failed is final and
keeps Meta's error. Ordering is not guaranteed by Meta, so a status only ever moves a message forward."""

from __future__ import annotations

import json
from typing import Any

from switchboard import clock
from switchboard.clients.eventbus import DomainEvent
from switchboard.domain.messages import status_rank
from switchboard.storage.sessions import SessionColumns
from switchboard.storage.statuses import StatusStore


def _status_fields(payload: dict[str, Any]) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if payload.get("errors"):
        error = payload["errors"][0]
        extra["error"] = {
            "code": error.get("code"), "title": error.get("title") or error.get("message"),
            "details": (error.get("error_data") or {}).get("details"),
        }
    if isinstance(payload.get("pricing"), dict):
        extra["pricing"] = compact_pricing(payload["pricing"])
    if payload.get("conversation"):
        extra["conversation"] = json.dumps(payload["conversation"])
    if payload.get("biz_opaque_callback_data"):
        extra["callback_data"] = str(payload["biz_opaque_callback_data"])
    if isinstance(payload.get("call"), dict) and payload["call"]:  # a call's terminate: when, how long
        extra["call_times"] = payload["call"]
    return extra


def compact_pricing(pricing: dict[str, Any]) -> dict[str, Any]:
    """Meta's ``pricing`` object, kept small on the message (issue 16 watches item sizes): whether Meta bills
    it, the model (``PMP``), the type (``regular``, ``free_customer_service``, ``free_entry_point``) and the
    category (``marketing``, ``utility``, ``authentication``, ``authentication_international``, ``service``...).
    ``billable`` is deprecated by Meta under per-message pricing; when it is missing, ``regular`` means billed."""
    kind = str(pricing.get("type") or "regular")
    billable = pricing.get("billable")
    return {"billable": bool(billable) if billable is not None else kind == "regular",
            "model": str(pricing.get("pricing_model") or ""), "type": kind,
            "category": str(pricing.get("category") or "")}


def apply_status(tenant_id: str, payload: dict[str, Any], store: StatusStore,
                 channel_id: str | None = None, channel_of_message: str | None = None) -> list[DomainEvent]:
    """Apply one status webhook; park it when its message is not stored yet. Records listed in the
    alias's ``status_mirrors`` (campaign recipients) move forward the same way, one update each. The
    session's last message follows the ticks: one more update, only while the message is the last one
    (the recipient's thread pointer, read with the alias, names it; without a thread, e.g. email, the
    conditional update is tried whenever the message is in a session)."""
    provider_message_id = payload["id"]
    status = payload["status"]
    at = clock.iso(clock.from_unix(payload["timestamp"])) if payload.get("timestamp") else clock.iso(clock.now())
    recipient = payload.get("recipient_id") or payload.get("recipient_user_id")
    pointer = None
    if channel_id and recipient:
        location, pointer = store.locate_in_thread(tenant_id, provider_message_id, channel_id, str(recipient))
    else:
        location = store.locate(tenant_id, provider_message_id)
    if location is None or not location.get("message_pk"):
        if store.park(tenant_id, provider_message_id, status, payload):
            return []
        location = store.locate(tenant_id, provider_message_id, consistent=True)  # recorded meanwhile
        if location is None or not location.get("message_pk"):
            raise LookupError(f"provider id alias of {status} status vanished")
    fields = _status_fields(payload)
    rank = status_rank(status)
    changed = store.advance({"pk": location["message_pk"], "sk": location["message_sk"]}, status, rank, at,
                            fields)
    mirror_fields = {k: v for k, v in fields.items() if k == "error"}
    for mirror in location.get("status_mirrors") or []:
        store.advance({"pk": mirror["pk"], "sk": mirror["sk"]}, status, rank, at, mirror_fields)
    if not changed:
        return []
    if _maybe_last(location, pointer):
        SessionColumns(store.table).last_status(tenant_id, location["session_id"], location["message_id"],
                                                status, rank)
    detail = {"provider_message_id": provider_message_id, "session_id": location.get("session_id"),
              "status": status, "at": at}
    if "error" in fields:
        detail["error"] = fields["error"]
    if "pricing" in fields:  # what cost accounting (switchboard.pricing.accounting) counts, once per message
        detail.update({"pricing": fields["pricing"], "channel_id": channel_id or channel_of_message,
                       "recipient": recipient, "message_id": location.get("message_id")})
    return [DomainEvent("message.status_changed", tenant_id, detail)]


def _maybe_last(location: dict[str, Any], pointer: dict[str, Any] | None) -> bool:
    """Whether the session's last message may be this one: the thread pointer says so, or there is none
    to ask (then the session's own condition decides)."""
    if not location.get("session_id") or not location.get("message_id"):
        return False
    if pointer is None or pointer.get("alias_of"):
        return True
    return (pointer.get("session_id") == location["session_id"]
            and pointer.get("last_message_id") == location["message_id"])


def apply_parked(tenant_id: str, provider_message_id: str, store: StatusStore,
                 channel_id: str | None = None) -> list[DomainEvent]:
    """Apply the statuses that arrived before their message was stored (call after storing it; ``channel_id``,
    the message's, goes into the events for cost accounting)."""
    events: list[DomainEvent] = []
    parked = store.parked(tenant_id, provider_message_id)
    for payload in parked:
        events.extend(apply_status(tenant_id, payload, store, channel_of_message=channel_id))
    if parked:
        store.unpark(tenant_id, provider_message_id)
    return events
