"""Admins' outgoing webhook subscriptions: a URL, the event types it wants, and a signing secret we
generate, keep in Secrets Manager and show once (in the answer to the POST)."""

from __future__ import annotations

import secrets
from typing import Any

from switchboard import clock, ids
from switchboard.clients.eventbus import DomainEvent
from switchboard.clients.secrets import create_secret, delete_secret
from switchboard.errors import InvalidInput, NotFound
from switchboard.realtime.catalog import EVENT_TYPES
from switchboard.realtime.urls import checked_url
from switchboard.services import Services
from switchboard.storage.pagination import Page
from switchboard.storage.webhook_subscriptions import ACTIVE, PAUSED

MAX_SUBSCRIPTIONS = 20


def _event_types(types: list[str]) -> list[str]:
    unknown = [t for t in types if t not in EVENT_TYPES]
    if unknown:
        raise InvalidInput(f"unknown event types: {', '.join(unknown)}", field="event_types")
    if not types:
        raise InvalidInput("give at least one event type", field="event_types")
    return list(dict.fromkeys(types))


def create(services: Services, tenant_id: str, by: str, url: str, event_types: list[str],
           description: str | None) -> dict[str, Any]:
    """The new subscription, with its ``secret`` (the only time it is shown)."""
    url = checked_url(url, services.settings.webhook_allow_private_urls)
    types = _event_types(event_types)
    if len(services.webhook_subscriptions.of_tenant(tenant_id)) >= MAX_SUBSCRIPTIONS:
        raise InvalidInput(f"a tenant has at most {MAX_SUBSCRIPTIONS} webhook subscriptions", field="url")
    subscription_id = ids.new_id()
    secret = "whsec_" + secrets.token_urlsafe(32)
    secret_name = f"{services.settings.secrets_prefix}{tenant_id}/webhooks/{subscription_id}"
    create_secret(secret_name, secret, f"Signing secret of webhook subscription {subscription_id}")
    now_iso = clock.iso(clock.now())
    item = {"tenant_id": tenant_id, "subscription_id": subscription_id, "url": url, "event_types": types,
            "description": description or "", "status": ACTIVE, "secret_name": secret_name,
            "consecutive_failures": 0, "created_at": now_iso, "updated_at": now_iso, "created_by": by}
    services.webhook_subscriptions.create(item)
    return {**item, "secret": secret}


def get(services: Services, tenant_id: str, subscription_id: str) -> dict[str, Any]:
    found = services.webhook_subscriptions.get(tenant_id, subscription_id)
    if found is None:
        raise NotFound("no such webhook subscription")
    return found


def change(services: Services, tenant_id: str, subscription_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    """PATCH: url, event_types, description, status (``active`` resumes a paused one, its failures forgotten)."""
    get(services, tenant_id, subscription_id)
    updates: dict[str, Any] = {}
    if fields.get("url") is not None:
        updates["url"] = checked_url(fields["url"], services.settings.webhook_allow_private_urls)
    if fields.get("event_types") is not None:
        updates["event_types"] = _event_types(fields["event_types"])
    if fields.get("description") is not None:
        updates["description"] = fields["description"]
    if fields.get("status") is not None:
        updates["status"] = fields["status"]
        if fields["status"] == ACTIVE:
            updates["consecutive_failures"] = 0
        elif fields["status"] == PAUSED:
            updates["pause_reason"] = "paused by an admin"
    updates["updated_at"] = clock.iso(clock.now())
    changed = services.webhook_subscriptions.change(tenant_id, subscription_id, updates)
    if changed is None:
        raise NotFound("no such webhook subscription")
    return changed


def remove(services: Services, tenant_id: str, subscription_id: str) -> None:
    found = get(services, tenant_id, subscription_id)
    if not services.webhook_subscriptions.remove(tenant_id, subscription_id):
        raise NotFound("no such webhook subscription")
    delete_secret(found["secret_name"])


def send_test(services: Services, tenant_id: str, subscription_id: str, by: str) -> dict[str, Any]:
    """A test event through the whole pipeline (bus, fan-out and its log, delivery), to this subscription only.
    Its number is given by the fan-out: the delivery shows under the subscription's deliveries."""
    get(services, tenant_id, subscription_id)
    (event_id,) = services.bus.publish([DomainEvent("webhook_subscription.test", tenant_id, {
        "subscription_id": subscription_id, "by": by})])
    return {"event_id": event_id, "subscription_id": subscription_id}


def deliveries(services: Services, tenant_id: str, subscription_id: str, cursor: str | None, limit: int) -> Page:
    get(services, tenant_id, subscription_id)
    return services.webhook_subscriptions.deliveries(tenant_id, subscription_id, cursor, limit)
