"""Statuses arrive in any order and any number of times: the message ends at the right one (failed is
final; read beats delivered beats sent), keeps a time per status, Meta's error, pricing and
conversation, and records that mirror it (campaign recipients) follow."""

from __future__ import annotations

import itertools
import json
import random

from switchboard.inbound.processing import process_event
from switchboard.services import services
from switchboard.storage import keys
from switchboard.domain.inbound_queue import WhatsAppEvent

from tests.support.inbound import fixture, post
from tests.support.whatsapp import envelope, status

TIMES = {"sent": 100, "delivered": 200, "read": 300, "failed": 400}


def _outbound(wamid: str, mirrors: list[dict] | None = None) -> dict:
    """An outbound message as the send worker stores it: ``sent`` pending, and its provider-id alias."""
    key = {"pk": "T#demo#S#S1", "sk": f"M#2026-11-01T00:00:00.000Z#{wamid}"}
    table = services().table
    table.put({**key, "message_id": wamid, "direction": "out", "status": "queued", "status_rank": 0,
               "statuses": {}})
    alias = {**keys.provider_id("demo", wamid), "message_pk": key["pk"], "message_sk": key["sk"], "session_id": "S1"}
    if mirrors:
        alias["status_mirrors"] = mirrors
    table.put(alias)
    return key


def _deliver(wamid: str, state: str, code: int | None = None) -> None:
    payload = status(wamid, state, timestamp=TIMES[state], error_code=code)
    event = WhatsAppEvent(kind="status", tenant_id="demo", channel_id="wa-demo", event_id=f"{wamid}:{state}",
                        group="g", field="messages", waba_id="w", payload=payload)
    process_event(event, services())


def test_every_ordering_with_duplicates_ends_at_the_right_status(demo) -> None:
    rng = random.Random(7)
    outcomes = {}
    orderings = [*itertools.permutations(["sent", "delivered", "read", "failed"]),
                 *itertools.permutations(["sent", "delivered", "read"])]
    for n, ordering in enumerate(orderings):
        wamid = f"wamid.PERM{n}"
        key = _outbound(wamid)
        deliveries = list(ordering) + rng.sample(list(ordering), k=2)  # two duplicates, anywhere after
        for state in deliveries:
            _deliver(wamid, state, code=131026 if state == "failed" else None)
        message = services().table.get(key)
        outcomes[ordering] = (message["status"], {k: v for k, v in message["statuses"].items()})
        if "failed" in ordering:
            assert message["error"] == {"code": 131026, "title": "Message undeliverable",
                                        "details": "Message Undeliverable."}

    assert len(outcomes) == 30
    for ordering, (final, times) in outcomes.items():
        assert final == ("failed" if "failed" in ordering else "read"), ordering
        assert set(times) == set(ordering), ordering
        assert all(times[s].startswith("1970-01-01T00:0") for s in ordering)


def test_mirrors_follow_the_message_forward_only(demo) -> None:
    table = services().table
    recipient = {"pk": "T#demo#CAMP#K1", "sk": "R#C1"}
    table.put({**recipient, "state": "queued"})
    key = _outbound("wamid.MIRROR", mirrors=[recipient])
    for state in ("delivered", "sent", "read", "delivered"):
        _deliver("wamid.MIRROR", state)
    mirrored = table.get(recipient)
    assert (mirrored["status"], set(mirrored["statuses"])) == ("read", {"sent", "delivered", "read"})
    assert table.get(key)["status"] == "read"


def test_status_fixtures_keep_pricing_conversation_and_errors(api, demo, process_inbound) -> None:
    from tests.support.inbound import seed_fixture_channels

    seed_fixture_channels()
    stored = {}
    for case in ("sent", "delivered", "read", "played", "failed", "with_tracker"):
        key = _outbound(f"wamid.{case}")
        body = fixture("message_status", case)
        body["entry"][0]["changes"][0]["value"]["statuses"][0]["id"] = f"wamid.{case}"
        assert post(api, body)[0] == 200
        stored[case] = key
    process_inbound()
    table = services().table
    messages = {case: table.get(key) for case, key in stored.items()}
    assert {case: m["status"] for case, m in messages.items()} == {
        "sent": "sent", "delivered": "delivered", "read": "read", "played": "played", "failed": "failed",
        "with_tracker": "sent"}
    assert messages["failed"]["error"] == {
        "code": 130472, "title": "User's number is part of an experiment",
        "details": "Failed to send message because this user's phone number is part of an experiment"}
    for case in ("sent", "delivered", "read", "played", "with_tracker"):
        assert messages[case]["pricing"]["category"] == "service"
        assert json.loads(messages[case]["conversation"])["id"] == "7270432eae37498234f4444b35ffc5"
    assert messages["with_tracker"]["callback_data"] == "some data"


def test_a_status_before_its_message_is_parked_then_applied(api, demo, process_inbound) -> None:
    from switchboard.inbound.statuses import apply_parked

    raw_body = envelope(statuses=[status("wamid.EARLY", "delivered", timestamp=200)])
    post(api, raw_body)
    process_inbound()
    key = _outbound("wamid.EARLY")
    apply_parked("demo", "wamid.EARLY", services().statuses)
    assert services().table.get(key)["status"] == "delivered"


def test_a_status_whose_message_is_recorded_while_it_parks_is_applied_not_lost(demo, monkeypatch) -> None:
    """The race between a webhook and the send worker: the webhook looks for the provider id just before the
    worker records it, and parks just after. The park is refused (the alias exists now) and the status goes
    to the message, instead of waiting in a parked item nobody will read again."""
    key = _outbound("wamid.RACE")  # the worker's record is in place ...
    store = services().statuses
    looked = []
    real_locate = store.locate

    def stale_first_look(tenant_id: str, provider_message_id: str, consistent: bool = False):  # noqa: ANN202
        looked.append(consistent)
        return None if len(looked) == 1 else real_locate(tenant_id, provider_message_id, consistent)

    def stale_first_look_in_thread(tenant_id: str, provider_message_id: str, channel_id: str, recipient: str):  # noqa: ANN202
        looked.append(False)
        return None, None

    monkeypatch.setattr(store, "locate", stale_first_look)  # ... but the webhook's first look missed it
    monkeypatch.setattr(store, "locate_in_thread", stale_first_look_in_thread)
    _deliver("wamid.RACE", "delivered")
    assert services().table.get(key)["status"] == "delivered"
    assert store.parked("demo", "wamid.RACE") == []
    assert looked == [False, True]  # the second look is a consistent read


def test_statuses_parked_before_the_send_is_recorded_come_with_it(demo) -> None:
    """Early statuses wait in one parked item; recording the send sees them (its check of that item fails)
    and applies them, then drops the item."""
    from switchboard.storage.outbound import OutboundStore

    for state in ("delivered", "sent"):
        _deliver("wamid.LATE", state)
    store = services().statuses
    assert [p["status"] for p in store.parked("demo", "wamid.LATE")] == ["delivered", "sent"]
    key = {"pk": "T#demo#S#S1", "sk": "M#2026-11-01T00:00:00.000Z#LATE"}
    message = {**key, "message_id": "LATE", "tenant_id": "demo", "session_id": "S1", "direction": "out",
               "status": "queued", "status_rank": 0, "statuses": {}, "claim_token": "tok"}
    services().table.put(message)
    parked = OutboundStore(services().table).record_sent(message, "tok", "wamid.LATE", "2026-11-01T00:00:01.000Z")
    assert parked is True
    from switchboard.inbound.statuses import apply_parked

    apply_parked("demo", "wamid.LATE", store)
    stored = services().table.get(key)
    assert stored["status"] == "delivered" and set(stored["statuses"]) == {"sent", "delivered"}
    assert store.parked("demo", "wamid.LATE") == []
