"""Statuses of our outbound messages: queued < sent < delivered < read (< played); failed is final and
keeps Meta's error. Ordering is not guaranteed by Meta, so a status only ever moves a message forward."""

from __future__ import annotations

import json
from typing import Any

from switchboard import clock
from switchboard.clients.eventbus import DomainEvent
from switchboard.domain.messages import status_rank
from switchboard.storage.statuses import StatusStore


def _status_fields(payload: dict[str, Any]) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if payload.get("errors"):
        error = payload["errors"][0]
        extra["error"] = {
            "code": error.get("code"), "title": error.get("title") or error.get("message"),
            "details": (error.get("error_data") or {}).get("details"),
        }
    if payload.get("pricing"):
        extra["pricing"] = json.dumps(payload["pricing"])
    if payload.get("conversation"):
        extra["conversation"] = json.dumps(payload["conversation"])
    return extra


def apply_status(tenant_id: str, payload: dict[str, Any], store: StatusStore) -> list[DomainEvent]:
    """Apply one status webhook; park it when its message is not stored yet."""
    provider_message_id = payload["id"]
    status = payload["status"]
    at = clock.iso(clock.from_unix(payload["timestamp"])) if payload.get("timestamp") else clock.iso(clock.now())
    location = store.locate(tenant_id, provider_message_id)
    if location is None:
        store.park(tenant_id, provider_message_id, status, payload)
        return []
    changed = store.advance(location, status, status_rank(status), at, _status_fields(payload))
    if not changed:
        return []
    return [DomainEvent("message.status_changed", tenant_id, {
        "provider_message_id": provider_message_id, "session_id": location.get("session_id"),
        "status": status, "at": at})]


def apply_parked(tenant_id: str, provider_message_id: str, store: StatusStore) -> list[DomainEvent]:
    """Apply the statuses that arrived before their message was stored (call after storing it)."""
    events: list[DomainEvent] = []
    for payload in store.parked(tenant_id, provider_message_id):
        events.extend(apply_status(tenant_id, payload, store))
        store.unpark(tenant_id, provider_message_id, payload["status"])
    return events
