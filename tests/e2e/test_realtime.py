"""Realtime over `python -m infra.local`: operators' WebSocket clients see their tenant's changes pushed as
they happen, numbered in the order of `GET /events`, catch up on what they missed while disconnected, see
nothing of another tenant; outgoing webhooks reach a receiver that fails some deliveries, signed, with a
stable delivery id across retries."""

from __future__ import annotations

import json
import time

import pytest
from websockets.exceptions import InvalidStatus

from infra.local import tokens
from tests.support.realtime import Listener, Receiver, events_after, last_seq, ws_url
from tests.support.runtime import api, http, idle, token
from tests.support.whatsapp import envelope, signed, text_message

pytestmark = pytest.mark.e2e


def _customer_writes(runtime: str, texts: list[str], sender: str) -> None:
    now = int(time.time())
    raw, headers = signed(envelope([text_message(sender=sender, body=text, timestamp=now) for text in texts]))
    status, body = http("POST", f"{runtime}/webhooks/whatsapp", raw, headers)
    assert status == 200, body


def _texts(frames: list[dict]) -> list[str]:
    return [f["data"]["message"]["text"] for f in frames if f["type"] == "message.received"]


def test_an_operator_sees_a_customer_message_pushed_in_the_order_of_get_events(runtime: str) -> None:
    operator = token()
    start = last_seq(runtime, operator)
    listener = Listener(runtime, operator)
    try:
        _customer_writes(runtime, ["Is the blue one in stock?"], sender="420601000001")

        assert listener.wait_for(lambda frames: "Is the blue one in stock?" in _texts(frames))
        pushed = next(f for f in listener.frames if f["type"] == "message.received")
        assert pushed["seq"] > start
        assert pushed["data"]["session_id"]
        idle(runtime, 30)
        listed = [e["seq"] for e in events_after(runtime, operator, start)]  # routing may add events after it
        assert listener.wait_for(lambda frames: len(frames) >= len(listed))
        assert [f["seq"] for f in listener.frames] == listed
    finally:
        listener.close()


def test_a_client_that_was_away_during_50_events_catches_up_with_each_exactly_once_in_order(
        runtime: str) -> None:
    operator = token()
    listener = Listener(runtime, operator)
    _customer_writes(runtime, ["first"], sender="420601000002")
    assert listener.wait_for(lambda frames: "first" in _texts(frames))
    seen = list(listener.frames)
    listener.close()  # the frontend's laptop sleeps

    _customer_writes(runtime, [f"while away {n}" for n in range(50)], sender="420601000002")
    idle(runtime, 60)

    back = Listener(runtime, operator)  # it wakes up: reconnects first, then catches up, while more happens
    try:
        _customer_writes(runtime, ["after coming back"], sender="420601000002")
        caught_up = events_after(runtime, operator, seen[-1]["seq"])
        assert back.wait_for(lambda frames: "after coming back" in _texts(frames))
        merged: dict[int, dict] = {f["seq"]: f for f in seen}
        for event in [*caught_up, *back.frames]:
            merged.setdefault(event["seq"], event)  # a duplicate (pushed and caught up) is dropped by seq
        timeline = [merged[seq] for seq in sorted(merged)]

        everything = events_after(runtime, operator, seen[0]["seq"] - 1)
        assert [e["seq"] for e in timeline] == [e["seq"] for e in everything]
        assert _texts(timeline) == _texts(everything)
        assert sorted(_texts(timeline)) == sorted(["first", *[f"while away {n}" for n in range(50)],
                                                   "after coming back"])
    finally:
        back.close()


def test_another_tenants_client_and_a_forged_token_receive_nothing(runtime: str) -> None:
    forged = tokens.issue("demo", key="not-the-development-key-of-this-runtime-at-all")
    expired = tokens.issue("demo", ttl_seconds=-60)
    for refused in (forged, expired, "not-a-jwt"):
        with pytest.raises(InvalidStatus) as answer:
            Listener(runtime, refused)
        assert answer.value.response.status_code == 401

    other = Listener(runtime, token("--tenant", "other"))
    demo = Listener(runtime, token())
    try:
        _customer_writes(runtime, ["for demo's eyes only"], sender="420601000003")
        assert demo.wait_for(lambda frames: "for demo's eyes only" in _texts(frames))
        idle(runtime, 30)
        assert other.frames == []
        status, page = api("GET", f"{runtime}/events?after=0", token("--tenant", "other"))
        assert page["items"] == []
    finally:
        other.close()
        demo.close()


def test_a_receiver_failing_30_percent_gets_all_1000_events_signed_with_stable_delivery_ids(
        runtime: str) -> None:
    admin = token("--role", "admin")
    receiver = Receiver(fail_ratio=0.3)
    status, created = api("POST", f"{runtime}/webhook-subscriptions", admin,
                          {"url": receiver.url, "event_types": ["message.received"]})
    assert status == 201, created
    receiver.secret = created["secret"]
    try:
        for batch in range(20):
            _customer_writes(runtime, [f"order {batch * 50 + n}" for n in range(50)], sender="420601000004")
        deadline = time.monotonic() + 240
        while len(receiver.delivered()) < 1000 and time.monotonic() < deadline:
            time.sleep(0.5)

        delivered = receiver.delivered()
        texts = {json.loads(body)["data"]["message"]["text"] for body in delivered.values()}
        assert texts == {f"order {n}" for n in range(1000)}
        assert all(a["verified"] for a in receiver.attempts)
        retried = {a["delivery"] for a in receiver.attempts if a["failed"]}
        assert retried <= set(delivered)  # every failed attempt's delivery id came back and got through
        bodies = {}
        for attempt in receiver.attempts:
            assert bodies.setdefault(attempt["delivery"], attempt["body"]) == attempt["body"]
        print(f"\nwebhooks: {len(receiver.attempts)} attempts, {sum(a['failed'] for a in receiver.attempts)} "
              f"answered 503, {len(delivered)} deliveries received")
    finally:
        receiver.stop()
        api("DELETE", f"{runtime}/webhook-subscriptions/{created['subscription_id']}", admin)


def test_a_connection_answers_pings_and_stays_open(runtime: str) -> None:
    listener = Listener(runtime, token())
    try:
        for _ in range(3):
            assert listener.connection.ping().wait(timeout=5) is True
        _customer_writes(runtime, ["still there?"], sender="420601000005")
        assert listener.wait_for(lambda frames: "still there?" in _texts(frames))
    finally:
        listener.close()


def test_an_ses_bounce_in_the_demo_fails_the_answer_and_is_pushed(runtime: str) -> None:
    from tests.support.email import mail, mailgun_post

    operator = token()
    body, headers = mailgun_post(mail(sender="bounce.me@example.net", subject="Where is my parcel?",
                                      text="It has been a week."))
    assert http("POST", f"{runtime}/webhooks/email/mail-demo", body, headers)[0] == 200
    idle(runtime, 30)
    (session,) = [s for s in api("GET", f"{runtime}/sessions?channel_id=mail-demo", operator)[1]["items"]
                  if s["address"] == "bounce.me@example.net"]
    status, sent = api("POST", f"{runtime}/sessions/{session['session_id']}/messages", operator,
                       {"text": "It left our warehouse today."})
    assert status == 202, sent
    idle(runtime, 30)
    (answer,) = [m for m in api("GET", f"{runtime}/sessions/{session['session_id']}/messages", operator)[1]["items"]
                 if m["direction"] == "out"]
    listener = Listener(runtime, operator)
    try:
        status, published = api("POST", f"{runtime}/_local/ses-event", operator, {
            "type": "Email Bounced", "message_id": answer["provider_message_id"], "recipient": "bounce.me@example.net"})
        assert (status, published["published"]) == (200, True)

        assert listener.wait_for(lambda frames: any(
            f["type"] == "message.status_changed" and f["data"]["status"] == "failed" for f in frames))
        (ours,) = [m for m in api("GET", f"{runtime}/sessions/{session['session_id']}/messages", operator)[1]["items"]
                   if m["direction"] == "out"]
        assert ours["status"] == "failed"
        assert ours["error"]["code"] == "bounce:Permanent:General"
    finally:
        listener.close()
