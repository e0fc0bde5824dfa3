"""The fan-out (function realtime_fanout, on the bus rule): one domain event numbered in the tenant's log, then
pushed to the tenant's WebSocket connections and to its webhook subscriptions.

Its cost is flat per connection: the event's number (one ``ADD``), its claim and its log item (two puts), one
query of the tenant's connections (their own partition, never a scan of everyone's), one post per connection
that may see the event, and one query of the tenant's subscriptions. A post answered 410 (the connection is
gone) deletes the connection. The bus may hand the same event over twice: it keeps the number it got first,
so a frontend sees one event (it drops a frame whose number it has) and a subscription one delivery."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from switchboard.clients.sqs import OutgoingMessage
from switchboard.clients.websocket import ConnectionPoster
from switchboard.observability import count
from switchboard.realtime.catalog import may_receive
from switchboard.realtime.publishing import logged
from switchboard.realtime.delivery import DeliveryJob
from switchboard.services import Services
from switchboard.storage.connections import Connection
from switchboard.storage.event_log import LoggedEvent
from switchboard.storage.webhook_subscriptions import ACTIVE, PENDING

_POOL = ThreadPoolExecutor(max_workers=16, thread_name_prefix="fanout")
TEST_EVENT = "webhook_subscription.test"


@dataclass(frozen=True)
class FannedOut:
    seq: int | None = None  # the event's number in the tenant's log
    pushed: int = 0
    pruned: int = 0
    deliveries: int = 0


def fan_out(bus_event: dict[str, Any], services: Services) -> FannedOut:
    unnumbered = logged(bus_event, seq=0)
    if unnumbered is None:
        return FannedOut()  # not one of our events
    event = number(str(bus_event["id"]), unnumbered, services)
    pushed, pruned = _push(event, services)
    return FannedOut(event.seq, pushed, pruned, _plan_deliveries(event, services))


def number(event_id: str, event: LoggedEvent, services: Services) -> LoggedEvent:
    """The event as the tenant's log keeps it: numbered now, or as numbered when the bus delivered it before."""
    fresh = replace(event, seq=services.event_log.allocate(event.tenant_id))
    return services.event_log.record(event_id, fresh)


def _push(event: LoggedEvent, services: Services) -> tuple[int, int]:
    audience = [c for c in services.connections.of_tenant(event.tenant_id)
                if may_receive(event.type, event.detail, c.role)]
    if not audience:
        return 0, 0
    poster = ConnectionPoster(services.settings.need("websocket_callback_url"))
    frame = json.dumps(event.view(), separators=(",", ":")).encode()

    def post(connection: Connection) -> bool:
        if poster.post(connection.connection_id, frame):
            return True
        services.connections.remove(connection.tenant_id, connection.connection_id)
        return False

    outcomes = [post(audience[0])] if len(audience) == 1 else list(_POOL.map(post, audience))
    pruned = outcomes.count(False)
    count("RealtimeFramePushed", len(outcomes) - pruned)
    if pruned:
        count("RealtimeConnectionPruned", pruned)
    return len(outcomes) - pruned, pruned


def _plan_deliveries(event: LoggedEvent, services: Services) -> int:
    """A pending delivery per active subscription that asked for this type, made once (keyed by the event's
    number), and its first attempt queued. A test event goes to the one subscription it names."""
    store = services.webhook_subscriptions
    if event.type == TEST_EVENT:
        one = store.get(event.tenant_id, str(event.detail.get("subscription_id")))
        wanted = [one] if one else []
    else:
        wanted = [s for s in store.of_tenant(event.tenant_id)
                  if s.get("status") == ACTIVE and event.type in (s.get("event_types") or [])]
    if not wanted:
        return 0
    body = json.dumps(event.view(), separators=(",", ":"), sort_keys=True)
    jobs = []
    for subscription in wanted:
        job = DeliveryJob.first(event, subscription["subscription_id"], body)
        planned = store.plan_delivery(event.tenant_id, subscription["subscription_id"], event.seq, {
            "delivery_id": job.delivery_id, "event_type": event.type, "created_at": job.first_attempt_at})
        if not planned:
            # The same event fanned out again (a retried invocation): queue it again only if its first
            # attempt may never have been queued; a second attempt carries the same delivery id anyway.
            existing = store.delivery(event.tenant_id, subscription["subscription_id"], event.seq) or {}
            planned = existing.get("status") == PENDING and not existing.get("attempts")
        if planned:
            jobs.append(OutgoingMessage(job.model_dump_json()))
    if jobs:
        services.webhooks_queue.send_all(jobs)
    return len(jobs)
