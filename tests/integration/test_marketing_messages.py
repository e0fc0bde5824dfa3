"""Campaigns of MARKETING templates through Meta's Marketing Messages API, chosen per channel: 131049 (per-user
marketing limit) skips the recipient with the reason and is not retried, 131056 (pair rate limit) is retried for
that recipient only, 131055 (terms not accepted) stops the campaign with a clear error; and the sends keep to the
channel's rate, as the rate limiter's counters (not the wall clock) show."""

from __future__ import annotations

import json
import random

import boto3
import pytest
from switchboard import clock
from switchboard.campaigns.dispatch import Dispatch, Pacer
from switchboard.outbound import worker as send_worker
from switchboard.outbound.ratelimit import ChannelThroughput
from switchboard.services import services

from tests.support.campaigns import TENANT, counts, create_campaign, phone_of, queued_sends, store_contacts
from tests.support.outbound import run_send_worker

RATE = 80


class FakeTime:
    """The dispatcher's pacer on a clock that moves only when it waits."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)


@pytest.fixture
def virtual_waits(monkeypatch):
    """The send worker's waits for a free second move the injected clock instead of sleeping."""
    monkeypatch.setattr(send_worker, "ChannelThroughput",
                        lambda store, sleep=None: ChannelThroughput(store, sleep=clock.advance))


def _marketing_channel(api, admin_token) -> None:
    status, channel = api.call("PATCH", "/channels/wa-demo", {"marketing_messages": True, "throughput_mps": RATE},
                               token=admin_token)
    assert status == 200, channel
    assert channel["marketing_messages"] is True


def _dispatch(api, admin_token, contact_ids: list[str]) -> tuple[str, FakeTime, int]:
    campaign = create_campaign(api, admin_token, contact_ids, rate=RATE)
    assert api.call("POST", f"/campaigns/{campaign['campaign_id']}/start", token=admin_token)[0] == 200
    fake = FakeTime()
    result = Dispatch(services(), TENANT, campaign["campaign_id"],
                      pacer=Pacer(RATE, monotonic=fake.monotonic, sleep=fake.sleep)).run()
    return campaign["campaign_id"], fake, result.queued


def _recipients(api, token: str, cid: str, status: str) -> list[dict]:
    found, cursor = [], ""
    while True:
        _, page = api.call("GET", f"/campaigns/{cid}/recipients?status={status}&limit=100{cursor}", token=token)
        found += page["items"]
        if not page.get("next_cursor"):
            return found
        cursor = f"&cursor={page['next_cursor']}"


def _slot_counters() -> list[int]:
    """Sends per second the rate limiter let through (its DynamoDB counters; a test may scan)."""
    pages = boto3.client("dynamodb").get_paginator("scan").paginate(
        TableName=services().table.name, FilterExpression="begins_with(pk, :rate)",
        ExpressionAttributeValues={":rate": {"S": f"T#{TENANT}#RATE#wa-demo#"}})
    return [int(item["n"]["N"]) for page in pages for item in page["Items"]]


def test_a_marketing_campaign_of_a_thousand_with_limits_and_pair_rate_errors(
        api, campaigns, graph, admin_token, virtual_waits) -> None:
    # Given 1,000 customers; Meta's per-user marketing limit refuses 5% of them, its pair rate limit 2% once
    ids = store_contacts(1000)
    numbers = [phone_of(n).lstrip("+") for n in range(1000)]
    chosen = random.Random(20).sample(range(1000), 70)
    limited, paired = {numbers[n] for n in chosen[:50]}, {numbers[n] for n in chosen[50:]}
    graph.configure(recipient_errors=dict.fromkeys(limited, 131049),
                    recipient_errors_once=dict.fromkeys(paired, 131056), throughput_mps=RATE)
    _marketing_channel(api, admin_token)

    # When the campaign is dispatched and the send worker drains the queue
    cid, paced, queued = _dispatch(api, admin_token, ids)
    bodies = [json.dumps(s) for s in queued_sends(campaigns.queue_urls["outbound"])]
    run_send_worker(campaigns.queue_urls["outbound"], timeout_s=240, backlog=bodies)

    # Then every message went through the Marketing Messages API, none twice
    assert queued == 1000
    sends = graph.sends_per_message()
    assert max(sends.values()) == 1
    assert {s.endpoint for s in graph.sent} == {"marketing_messages"}
    # the 131049s are skipped with the reason, each tried once
    skipped = _recipients(api, admin_token, cid, "skipped")
    assert sorted(phone_of(int(r["contact_id"][1:])).lstrip("+") for r in skipped) == sorted(limited)
    assert {r["reason"] for r in skipped} == {"marketing_limit"}
    assert {graph.attempts[n] for n in limited} == {1}
    # the 131056s were sent later (a second attempt each), and nobody else was tried twice
    assert {graph.attempts[n] for n in paired} == {2}
    assert {to for to, tries in graph.attempts.items() if tries > 1} == paired
    assert {s.to for s in graph.sent} == set(numbers) - limited
    # (a recipient shows sent once Meta's status webhook says so; the simulator's callbacks are off here)
    assert counts(api, admin_token, cid) == {"queued": 950, "skipped": 50}
    # and at the channel's rate: the dispatcher paced 1,000 enqueues over at least 1000/80 s of its clock,
    # and the rate limiter let at most 80 sends through in any second (Meta refused none for throughput)
    assert paced.now >= (1000 - Pacer(RATE).burst) / RATE
    slots = _slot_counters()
    assert max(slots) <= RATE
    assert sum(slots) >= 1000 + len(paired)  # every attempt took a slot (one whose second passed, another)
    assert graph.rejected[130429] == 0


def test_terms_not_accepted_stop_the_campaign_with_a_clear_error(api, campaigns, graph, admin_token) -> None:
    ids = store_contacts(5)
    graph.configure(marketing_terms_accepted=False)
    _marketing_channel(api, admin_token)
    cid, _, _ = _dispatch(api, admin_token, ids[:5])
    bodies = [json.dumps(s) for s in queued_sends(campaigns.queue_urls["outbound"])]
    run_send_worker(campaigns.queue_urls["outbound"], timeout_s=60, backlog=bodies)

    campaign = api.call("GET", f"/campaigns/{cid}", token=admin_token)[1]
    assert (campaign["status"], campaign["status_reason"]) == ("paused", "marketing_terms_not_accepted")
    assert "Marketing Messages API terms" in campaign["status_detail"]
    assert graph.rejected[131055] == 5  # and nothing was retried
    assert graph.sent == []


def test_without_the_channel_setting_campaigns_use_the_cloud_api(api, campaigns, graph, admin_token) -> None:
    ids = store_contacts(3)
    _dispatch(api, admin_token, ids)
    bodies = [json.dumps(s) for s in queued_sends(campaigns.queue_urls["outbound"])]
    run_send_worker(campaigns.queue_urls["outbound"], timeout_s=60, backlog=bodies)
    assert [s.endpoint for s in graph.sent] == ["messages"] * 3
