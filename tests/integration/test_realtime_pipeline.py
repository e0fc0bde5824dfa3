"""The realtime pipeline under moto: events numbered by the fan-out (atomic, per tenant, once per bus event), the catch-up route, the fan-out
to connections through API Gateway's connection management API (a real HTTP endpoint, as the local runtime
serves it), pruning of gone connections, and the local default bus's SES events reaching webhook_receipt."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest

from infra.declaration import function
from infra.local import event_rules
from infra.local.api_server import Gateway, Reply, serve
from infra.local.websocket import MANAGEMENT_PREFIX, LocalWebSocketApi
from switchboard import clock
from switchboard.clients.eventbus import DomainEvent
from switchboard.realtime.fanout import fan_out
from switchboard.services import reset_services, services
from switchboard.storage import keys
from switchboard.storage.connections import Connection
from tests.support.email import ses_event
from tests.support.realtime import BusTap


class _LiveSocket:
    """Stands in for an open WebSocket in the local WebSocket API: records the frames posted to it."""

    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []

    def send_text(self, data: bytes) -> bool:
        self.frames.append(json.loads(data))
        return True


@pytest.fixture
def management(aws, monkeypatch) -> Iterator[LocalWebSocketApi]:  # noqa: ANN001
    """API Gateway's connection management API on a real socket, as the local runtime serves it."""
    websockets = LocalWebSocketApi(log=print)
    gateway = Gateway()
    gateway.mount(MANAGEMENT_PREFIX, lambda method, path, query, headers, body: Reply(
        *websockets.manage(method, path, body)))
    server = serve(gateway, "127.0.0.1", 0, print)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("WEBSOCKET_CALLBACK_URL", f"http://127.0.0.1:{server.server_address[1]}{MANAGEMENT_PREFIX}")
    reset_services()
    yield websockets
    server.shutdown()
    server.server_close()


def _fanned_out(tap: BusTap) -> list[int]:
    """Every event put on the bus since the last call, handed to the fan-out as the bus rule would; their numbers."""
    return [fan_out(envelope, services()).seq for envelope in tap.take()]


def test_concurrent_fanouts_give_distinct_strictly_increasing_numbers(aws, bus_tap) -> None:  # noqa: ANN001
    services().bus.publish([DomainEvent("session.read", "demo", {"session_id": f"S{n}"}) for n in range(80)])
    envelopes = bus_tap.take()

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(lambda envelope: fan_out(envelope, services()).seq, envelopes))

    assert sorted(numbers) == list(range(1, 81))


def test_an_event_the_bus_delivers_twice_keeps_its_first_number(aws, bus_tap) -> None:  # noqa: ANN001
    services().bus.publish([DomainEvent("session.read", "demo", {"session_id": "S1"})])
    (envelope,) = bus_tap.take()
    first = fan_out(envelope, services()).seq

    again = fan_out(envelope, services()).seq

    assert again == first


def test_an_event_the_bus_delivers_twice_is_logged_once(api, aws, bus_tap, operator_token) -> None:  # noqa: ANN001
    services().bus.publish([DomainEvent("session.read", "demo", {"session_id": "S1"})])
    (envelope,) = bus_tap.take()
    fan_out(envelope, services())
    fan_out(envelope, services())

    assert len(api.call("GET", "/events", token=operator_token)[1]["items"]) == 1


def test_publishing_writes_nothing_to_dynamodb(aws) -> None:  # noqa: ANN001
    calls: list[str] = []
    client = services().table._client
    client.meta.events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name))

    services().bus.publish([DomainEvent("session.read", "demo", {"session_id": "S1"})])

    assert calls == []


def test_each_tenant_has_its_own_sequence(aws, bus_tap) -> None:  # noqa: ANN001
    services().bus.publish([DomainEvent("session.read", "demo", {"session_id": "S1"}),
                            DomainEvent("session.read", "acme", {"session_id": "S9"})])

    assert _fanned_out(bus_tap) == [1, 1]


def test_events_are_kept_for_at_least_24_hours(aws, bus_tap) -> None:  # noqa: ANN001
    services().bus.publish([DomainEvent("session.read", "demo", {"session_id": "S1"})])
    (seq,) = _fanned_out(bus_tap)

    item = services().table.get(keys.event("demo", seq))
    assert int(item[keys.TTL_ATTRIBUTE]) >= clock.now().timestamp() + 24 * 3600


def test_catching_up_pages_through_the_events_after_a_number(api, aws, bus_tap, operator_token) -> None:  # noqa: ANN001
    services().bus.publish([DomainEvent("session.read", "demo", {"session_id": f"S{n}"}) for n in range(7)])
    _fanned_out(bus_tap)

    status, first = api.call("GET", "/events?after=2&limit=3", token=operator_token)
    second = api.call("GET", f"/events?cursor={first['next_cursor']}&limit=3", token=operator_token)[1]

    assert status == 200
    assert [e["seq"] for e in first["items"] + second["items"]] == [3, 4, 5, 6, 7]
    assert first["items"][0]["entity"] == {"kind": "session", "id": "S2"}
    assert second["next_cursor"] is None


def test_a_later_change_of_an_entity_has_a_higher_version(api, aws, bus_tap, operator_token) -> None:  # noqa: ANN001
    services().bus.publish([DomainEvent("session.assigned", "demo", {"session_id": "S1"})])
    services().bus.publish([DomainEvent("session.resolved", "demo", {"session_id": "S1"})])
    later, earlier = bus_tap.take()[::-1]
    fan_out(later, services())  # the fan-out may number the later change first
    fan_out(earlier, services())

    events = {e["type"]: e for e in api.call("GET", "/events", token=operator_token)[1]["items"]}
    assert events["session.resolved"]["version"] > events["session.assigned"]["version"]


def test_an_after_that_is_not_a_number_is_refused_naming_it(api, aws, operator_token) -> None:  # noqa: ANN001
    status, body = api.call("GET", "/events?after=yesterday", token=operator_token)

    assert status == 422
    assert "after" in json.dumps(body)


def test_admin_events_are_not_shown_to_operators(api, aws, bus_tap, operator_token, admin_token) -> None:  # noqa: ANN001
    services().bus.publish([DomainEvent("webhook_subscription.paused", "demo", {"subscription_id": "W1"})])
    _fanned_out(bus_tap)

    assert api.call("GET", "/events", token=operator_token)[1]["items"] == []
    assert [e["type"] for e in api.call("GET", "/events", token=admin_token)[1]["items"]] == [
        "webhook_subscription.paused"]


def test_the_fanout_posts_to_the_tenants_connections_and_prunes_the_gone_one(aws, management, bus_tap) -> None:  # noqa: ANN001
    live = _LiveSocket()
    management.connections["live-1"] = live  # type: ignore[assignment]
    for connection_id in ("live-1", "gone-1"):
        services().connections.add(Connection("demo", connection_id, "demo-operator", "operator"))
    services().connections.add(Connection("acme", "acme-1", "acme-operator", "operator"))
    services().bus.publish([DomainEvent("session.assigned", "demo", {"session_id": "S1"})])

    result = fan_out(bus_tap.take()[0], services())

    assert [f["seq"] for f in live.frames] == [result.seq]
    assert live.frames[0]["type"] == "session.assigned"
    assert (result.pushed, result.pruned) == (1, 1)
    assert [c.connection_id for c in services().connections.of_tenant("demo")] == ["live-1"]
    assert [c.connection_id for c in services().connections.of_tenant("acme")] == ["acme-1"]


def test_the_fanout_reads_connections_by_key_and_never_scans(aws, management, bus_tap) -> None:  # noqa: ANN001
    for n in range(30):
        services().connections.add(Connection("demo", f"c{n}", "demo-operator", "operator"))
    services().bus.publish([DomainEvent("session.assigned", "demo", {"session_id": "S1"})])
    calls: list[str] = []
    client = services().table._client
    client.meta.events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name))

    fan_out(bus_tap.take()[0], services())

    assert "Scan" not in calls
    assert calls.count("Query") == 2  # the tenant's connections, and its webhook subscriptions


def test_a_blocked_contacts_message_is_not_pushed(aws, management, bus_tap) -> None:  # noqa: ANN001
    live = _LiveSocket()
    management.connections["live-1"] = live  # type: ignore[assignment]
    services().connections.add(Connection("demo", "live-1", "demo-operator", "operator"))
    services().bus.publish([DomainEvent("message.received", "demo", {
        "message_id": "M1", "session_id": None, "suppressed": True})])

    fan_out(bus_tap.take()[0], services())

    assert live.frames == []


def test_an_ses_bounce_on_the_default_bus_reaches_webhook_receipt_locally(aws, demo) -> None:  # noqa: ANN001
    queues = event_rules.create_rules(aws.environment["EVENT_BUS_NAME"])
    bounce = ses_event("Email Bounced", "ses-0001")
    boto3.client("events").put_events(Entries=[{
        "Source": "aws.ses", "DetailType": "Email Bounced", "Detail": json.dumps(bounce["detail"]),
        "EventBusName": "default"}])

    delivered = event_rules.drain(function("webhook_receipt"), queues["webhook_receipt"])

    assert delivered == 1
    queued = boto3.client("sqs").receive_message(QueueUrl=aws.queue_urls["inbound"], MaxNumberOfMessages=10)
    assert [json.loads(m["Body"])["kind"] for m in queued.get("Messages", [])] == ["email_status"]
