"""Delivering one event to one webhook subscription (function webhook_delivery, on the webhooks queue).

Each attempt is signed afresh (a new timestamp) over the same body, under the same ``Switchboard-Delivery``
id. A failed attempt (no answer, or anything but 2xx) is queued again with a per-message delay that doubles
up to SQS's 15 minutes, for 24 hours from the first attempt; then the delivery is marked failed (visible in
``GET /webhook-subscriptions/{id}/deliveries``). A subscription whose attempts fail that many times in a
row is paused, once, with a ``webhook_subscription.paused`` event."""

from __future__ import annotations

import random
from datetime import timedelta
from enum import Enum
from typing import Any

from pydantic import BaseModel

from switchboard import clock
from switchboard.clients import webhook_http
from switchboard.clients.secrets import read_secret
from switchboard.clients.eventbus import DomainEvent
from switchboard.errors import InvalidInput
from switchboard.observability import count
from switchboard.realtime import signing
from switchboard.realtime.urls import checked_url
from switchboard.services import Services
from switchboard.storage.event_log import LoggedEvent
from switchboard.storage.webhook_subscriptions import DELIVERED, FAILED, PAUSED, PENDING

MAX_DELAY_S = 900  # SQS's largest per-message delay


class DeliveryJob(BaseModel):
    tenant_id: str
    subscription_id: str
    seq: int
    event_type: str
    body: str
    attempt: int = 1
    first_attempt_at: str

    @property
    def delivery_id(self) -> str:
        return f"{self.subscription_id}.{self.seq}"

    @classmethod
    def first(cls, event: LoggedEvent, subscription_id: str, body: str) -> DeliveryJob:
        return cls(tenant_id=event.tenant_id, subscription_id=subscription_id, seq=event.seq,
                   event_type=event.type, body=body, first_attempt_at=clock.iso(clock.now()))


class Outcome(Enum):
    DELIVERED = "delivered"
    RETRYING = "retrying"
    FAILED = "failed"


def backoff_seconds(attempt: int, base_s: float) -> int:
    """The wait before attempt ``attempt + 1``: doubling from ``base_s``, with jitter, at most 15 minutes."""
    raw = base_s * (2 ** min(attempt - 1, 20))
    return int(min(MAX_DELAY_S, raw * random.uniform(0.8, 1.2)))  # noqa: S311 - jitter, not a secret


def deliver(job: DeliveryJob, services: Services) -> Outcome:
    store = services.webhook_subscriptions
    settings = services.settings
    subscription = store.get(job.tenant_id, job.subscription_id)
    if subscription is None or subscription.get("status") == PAUSED:
        reason = "subscription_deleted" if subscription is None else "subscription_paused"
        return _give_up(job, services, reason, status_code=None)
    try:
        url = checked_url(subscription["url"], settings.webhook_allow_private_urls)  # again: DNS may change
    except InvalidInput as refused:
        return _give_up(job, services, f"url_refused: {refused}", status_code=None)
    secret = read_secret(subscription["secret_name"])
    body = job.body.encode()
    headers = signing.signed_headers(secret, int(clock.now().timestamp()), body, job.delivery_id,
                                     job.event_type)
    answer = webhook_http.post(url, body, headers)
    now_iso = clock.iso(clock.now())
    attempt_fields: dict[str, Any] = {"last_attempt_at": now_iso, "last_status_code": answer.status or 0}
    if answer.ok:
        store.record_attempt(job.tenant_id, job.subscription_id, job.seq, DELIVERED,
                             {**attempt_fields, "delivered_at": now_iso})
        store.attempt_succeeded(job.tenant_id, job.subscription_id)
        count("WebhookDelivered")
        return Outcome.DELIVERED
    count("WebhookAttemptFailed")
    failures = store.attempt_failed(job.tenant_id, job.subscription_id)
    if failures >= settings.webhook_pause_after_failures and store.pause(
            job.tenant_id, job.subscription_id, f"{failures} failed attempts in a row"):
        services.bus.publish([DomainEvent("webhook_subscription.paused", job.tenant_id, {
            "subscription_id": job.subscription_id, "consecutive_failures": failures,
            "reason": "failed attempts in a row"})])
    delay = backoff_seconds(job.attempt, settings.webhook_retry_base_seconds)
    started = clock.parse_iso(job.first_attempt_at)
    if clock.now() + timedelta(seconds=delay) - started > timedelta(seconds=settings.webhook_retry_window_seconds):
        return _give_up(job, services, answer.error or "failed", status_code=answer.status)
    store.record_attempt(job.tenant_id, job.subscription_id, job.seq, PENDING,
                         {**attempt_fields, "last_error": answer.error or "failed",
                          "next_attempt_at": clock.iso(clock.now() + timedelta(seconds=delay))})
    services.webhooks_queue.send_json(job.model_copy(update={"attempt": job.attempt + 1}).model_dump(mode="json"),
                                      delay_seconds=delay)
    return Outcome.RETRYING


def _give_up(job: DeliveryJob, services: Services, reason: str, status_code: int | None) -> Outcome:
    now_iso = clock.iso(clock.now())
    services.webhook_subscriptions.record_attempt(job.tenant_id, job.subscription_id, job.seq, FAILED, {
        "failed_at": now_iso, "last_attempt_at": now_iso, "last_error": reason, "last_status_code": status_code or 0})
    count("WebhookDeliveryFailed")
    return Outcome.FAILED
