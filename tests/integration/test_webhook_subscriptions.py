"""Outgoing webhooks under moto, delivered to a real HTTP receiver: admins subscribe a URL (its secret shown
once, kept in Secrets Manager), deliveries are signed and keep their id across retries, a delivery that
fails for 24 hours is marked failed, a subscription that keeps failing is paused with an event, and URLs
into private networks are refused outside the local runtime."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta

import boto3
import pytest

from infra.declaration import function
from infra.local.triggers import drain
import switchboard.aws as shared_aws
from switchboard import clock
from switchboard.clients.eventbus import DomainEvent
from switchboard.realtime.fanout import fan_out
from switchboard.services import reset_services, services
from tests.support.realtime import BusTap, Receiver


@pytest.fixture
def local_urls(aws, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE_URLS", "true")
    monkeypatch.setenv("WEBHOOK_RETRY_BASE_SECONDS", "0")
    monkeypatch.setenv("WEBSOCKET_CALLBACK_URL", "http://127.0.0.1:9/_ws")  # no connections in these tests
    reset_services()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.stop()


def _subscribe(api, admin_token: str, url: str, types: list[str] | None = None) -> dict:  # noqa: ANN001
    status, created = api.call("POST", "/webhook-subscriptions",
                               {"url": url, "event_types": types or ["session.assigned"]}, token=admin_token)
    assert status == 201, created
    return created


def _fanned_out(publish: Callable[[], object]) -> list[int]:
    """What ``publish`` put on the bus, handed to the fan-out as the bus rule would; the events' numbers."""
    tap, client = BusTap(), shared_aws.client("events")
    tap.attach(client)
    try:
        publish()
    finally:
        tap.detach(client)
    return [fan_out(envelope, services()).seq for envelope in tap.take()]


def _happens(detail_type: str = "session.assigned", session_id: str = "S1") -> int:
    (seq,) = _fanned_out(lambda: services().bus.publish([DomainEvent(detail_type, "demo", {"session_id": session_id})]))
    return seq


def _deliver(aws) -> None:  # noqa: ANN001
    drain(function("webhook_delivery"), aws.queue_urls["webhooks"])


def test_the_secret_is_shown_once_and_kept_in_secrets_manager(api, aws, local_urls, admin_token,  # noqa: ANN001
                                                              receiver) -> None:
    created = _subscribe(api, admin_token, receiver.url)
    listed = api.call("GET", "/webhook-subscriptions", token=admin_token)[1]["items"]
    stored = boto3.client("secretsmanager").get_secret_value(
        SecretId=f"switchboard/demo/webhooks/{created['subscription_id']}")["SecretString"]

    assert created["secret"].startswith("whsec_")
    assert stored == created["secret"]
    assert [s["subscription_id"] for s in listed] == [created["subscription_id"]]
    assert "secret" not in json.dumps(listed)


def test_operators_may_not_manage_subscriptions(api, aws, local_urls, operator_token, receiver) -> None:  # noqa: ANN001
    status, _ = api.call("POST", "/webhook-subscriptions", {"url": receiver.url, "event_types": ["session.read"]},
                         token=operator_token)

    assert status == 403


def test_an_unknown_event_type_is_refused_naming_the_field(api, aws, local_urls, admin_token, receiver) -> None:  # noqa: ANN001
    status, body = api.call("POST", "/webhook-subscriptions", {"url": receiver.url, "event_types": ["message.eaten"]},
                            token=admin_token)

    assert (status, body["field"]) == (422, "event_types")


@pytest.mark.parametrize("url", ["http://hooks.example.com/in", "https://127.0.0.1/hooks", "https://localhost/x",
                                 "https://169.254.169.254/latest/meta-data", "https://10.1.2.3/hooks",
                                 "https://[::ffff:192.168.0.1]/hooks", "ftp://example.com/x"])
def test_urls_into_private_networks_are_refused_in_the_cloud(api, aws, admin_token, url: str) -> None:  # noqa: ANN001
    status, body = api.call("POST", "/webhook-subscriptions", {"url": url, "event_types": ["session.read"]},
                            token=admin_token)

    assert (status, body.get("field")) == (422, "url")
    assert api.call("GET", "/webhook-subscriptions", token=admin_token)[1]["items"] == []


def test_a_delivery_is_signed_and_carries_the_event(api, aws, local_urls, admin_token, receiver) -> None:  # noqa: ANN001
    receiver.secret = _subscribe(api, admin_token, receiver.url)["secret"]
    seq = _happens()
    _deliver(aws)

    (attempt,) = receiver.attempts
    event = json.loads(attempt["body"])
    assert attempt["verified"] is True
    assert (event["seq"], event["type"], event["data"]["session_id"]) == (seq, "session.assigned", "S1")


def test_a_retry_carries_the_same_delivery_id_and_a_valid_signature(api, aws, local_urls, admin_token) -> None:  # noqa: ANN001
    flaky = Receiver(fail_ratio=0.5, seed=3)
    try:
        created = _subscribe(api, admin_token, flaky.url)
        flaky.secret = created["secret"]
        _happens()
        for _ in range(20):
            _deliver(aws)
            if flaky.delivered():
                break

        ids = {a["delivery"] for a in flaky.attempts}
        (delivery,) = api.call("GET", f"/webhook-subscriptions/{created['subscription_id']}/deliveries",
                               token=admin_token)[1]["items"]
        assert len(flaky.attempts) > 1
        assert ids == {delivery["delivery_id"]}
        assert all(a["verified"] for a in flaky.attempts)
        assert delivery["status"] == "delivered"
        assert delivery["attempts"] == len(flaky.attempts)
    finally:
        flaky.stop()


def test_a_delivery_failing_for_24_hours_is_marked_failed(api, aws, local_urls, admin_token, monkeypatch) -> None:  # noqa: ANN001
    dead = Receiver(fail_ratio=1.0)
    try:
        created = _subscribe(api, admin_token, dead.url)
        dead.secret = created["secret"]
        _happens()
        drain(function("webhook_delivery"), aws.queue_urls["webhooks"], max_batches=1)  # the first attempt
        clock.advance(timedelta(hours=24, minutes=1).total_seconds())
        drain(function("webhook_delivery"), aws.queue_urls["webhooks"], max_batches=1)  # its retry, a day on

        (delivery,) = api.call("GET", f"/webhook-subscriptions/{created['subscription_id']}/deliveries",
                               token=admin_token)[1]["items"]
        assert delivery["status"] == "failed"
        assert delivery["last_status_code"] == 503
        assert delivery["failed_at"]
    finally:
        dead.stop()


def test_a_subscription_that_keeps_failing_is_paused_with_an_event(api, aws, local_urls, admin_token,  # noqa: ANN001
                                                                   monkeypatch) -> None:
    monkeypatch.setenv("WEBHOOK_PAUSE_AFTER_FAILURES", "3")
    reset_services()
    dead = Receiver(fail_ratio=1.0)
    try:
        created = _subscribe(api, admin_token, dead.url)
        for n in range(3):
            _happens(session_id=f"S{n}")
        _fanned_out(lambda: _deliver(aws))  # three failed attempts; their retries then find the subscription paused
        _fanned_out(lambda: _deliver(aws))
        _happens(session_id="S-after")
        _deliver(aws)

        subscription = api.call("GET", "/webhook-subscriptions", token=admin_token)[1]["items"][0]
        events = api.call("GET", "/events", token=admin_token)[1]["items"]
        assert subscription["status"] == "paused"
        assert [e["data"]["subscription_id"] for e in events if e["type"] == "webhook_subscription.paused"] == [
            created["subscription_id"]]
        assert len(dead.attempts) == 3  # nothing more was sent once it was paused
    finally:
        dead.stop()


def test_resuming_a_paused_subscription_delivers_new_events_again(api, aws, local_urls, admin_token,  # noqa: ANN001
                                                                  receiver) -> None:
    created = _subscribe(api, admin_token, receiver.url)
    receiver.secret = created["secret"]
    sid = created["subscription_id"]
    assert api.call("PATCH", f"/webhook-subscriptions/{sid}", {"status": "paused"}, token=admin_token)[0] == 200
    _happens(session_id="while-paused")
    _deliver(aws)
    assert api.call("PATCH", f"/webhook-subscriptions/{sid}", {"status": "active"}, token=admin_token)[0] == 200
    _happens(session_id="after-resume")
    _deliver(aws)

    assert [json.loads(a["body"])["data"]["session_id"] for a in receiver.attempts] == ["after-resume"]


def test_the_test_route_delivers_to_that_subscription_only(api, aws, local_urls, admin_token) -> None:  # noqa: ANN001
    first, second = Receiver(), Receiver()
    try:
        target = _subscribe(api, admin_token, first.url)
        _subscribe(api, admin_token, second.url, ["webhook_subscription.test"])
        answers = []
        _fanned_out(lambda: answers.append(api.call("POST", f"/webhook-subscriptions/{target['subscription_id']}/test",
                                                    token=admin_token)))
        _deliver(aws)
        (status, _), = answers
        (delivery,) = api.call("GET", f"/webhook-subscriptions/{target['subscription_id']}/deliveries",
                               token=admin_token)[1]["items"]

        assert status == 202
        assert [a["delivery"] for a in first.attempts] == [delivery["delivery_id"]]
        assert second.attempts == []
    finally:
        first.stop()
        second.stop()


def test_deleting_a_subscription_deletes_its_secret(api, aws, local_urls, admin_token, receiver) -> None:  # noqa: ANN001
    created = _subscribe(api, admin_token, receiver.url)

    status, _ = api.call("DELETE", f"/webhook-subscriptions/{created['subscription_id']}", token=admin_token)

    assert status == 204
    assert api.call("GET", "/webhook-subscriptions", token=admin_token)[1]["items"] == []
    with pytest.raises(boto3.client("secretsmanager").exceptions.InvalidRequestException):
        boto3.client("secretsmanager").get_secret_value(
            SecretId=f"switchboard/demo/webhooks/{created['subscription_id']}")
