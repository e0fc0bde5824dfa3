"""Campaign dispatch: who gets a message, who is skipped and why, and that no trigger, redelivery or crash
sends anything twice or leaves anybody behind."""

from __future__ import annotations

import threading

import pytest
from switchboard.services import services
from switchboard.storage import keys

from tests.support.campaigns import (
    TENANT,
    counts,
    create_campaign,
    fire,
    phone_of,
    queued_sends,
    store_contacts,
)


def test_a_started_campaign_queues_one_message_per_recipient_and_skips_those_it_must(
        api, campaigns, admin_token):
    # Given twelve customers, one blocked, one opted out of marketing, one without a phone, one whose name
    # the template needs is missing, and one id that is not in the directory
    ids = store_contacts(8)
    blocked = store_contacts(1, start=100, blocked_until="forever")
    opted_out = store_contacts(1, start=101)
    services().table.put({**keys.opt_out(TENANT, "wa-demo", phone_of(101).lstrip("+")), "opted_out": True})
    no_phone = store_contacts(1, start=102, phones=[])
    nameless = store_contacts(1, start=103, name="")
    campaign = create_campaign(api, admin_token, ids + blocked + opted_out + no_phone + nameless + ["C-GONE"])
    cid = campaign["campaign_id"]

    # When it is started and its schedule fires
    assert api.call("POST", f"/campaigns/{cid}/start", token=admin_token)[0] == 200
    result = fire(cid)

    # Then the eight reachable customers are queued, each with one send of the rendered template
    assert result["outcome"] == "completed"
    sends = queued_sends(campaigns.queue_urls["outbound"])
    assert len(sends) == 8
    messages = [services().table.get({"pk": s["message_pk"], "sk": s["message_sk"]}) for s in sends]
    assert sorted(m["contact_id"] for m in messages) == sorted(ids)
    first = next(m for m in messages if m["contact_id"] == ids[0])
    assert first["text"] == "Hi Customer 0, your code is X1."
    assert first["status"] == "queued" and first["kind"] == "template" and "session_id" not in first
    # and the others are skipped, each with its reason
    status, skipped = api.call("GET", f"/campaigns/{cid}/recipients?status=skipped", token=admin_token)
    reasons = {r["contact_id"]: r["reason"] for r in skipped["items"]}
    assert reasons == {blocked[0]: "blocked", opted_out[0]: "opted_out", no_phone[0]: "no_phone",
                       nameless[0]: "invalid_parameters", "C-GONE": "contact_not_found"}
    assert counts(api, admin_token, cid) == {"queued": 8, "skipped": 5}
    status, done = api.call("GET", f"/campaigns/{cid}", token=admin_token)
    assert done["status"] == "completed"


def test_two_triggers_at_once_send_nothing_twice(api, campaigns, admin_token):
    # Given a started campaign of thirty customers
    ids = store_contacts(30)
    cid = create_campaign(api, admin_token, ids)["campaign_id"]
    api.call("POST", f"/campaigns/{cid}/start", token=admin_token)

    # When its schedule fires twice at the same moment (a redelivered invocation)
    results = []
    threads = [threading.Thread(target=lambda: results.append(fire(cid))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then every customer's message is queued exactly once
    sends = queued_sends(campaigns.queue_urls["outbound"])
    assert sorted(s["message_pk"] for s in sends) == sorted(keys.contact(TENANT, c)["pk"] for c in ids)
    assert sorted(r["outcome"] for r in results) == ["busy", "completed"]
    assert counts(api, admin_token, cid) == {"queued": 30}


def test_a_dispatch_that_crashes_halfway_is_finished_by_the_next_run(api, campaigns, admin_token, monkeypatch):
    # Given a started campaign of forty customers, and a queue that fails after twelve sends were queued
    ids = store_contacts(40)
    cid = create_campaign(api, admin_token, ids)["campaign_id"]
    api.call("POST", f"/campaigns/{cid}/start", token=admin_token)
    queue = services().outbound_queue
    real_send_all = queue.send_all
    sent = []

    def failing_send_all(messages):  # noqa: ANN001, ANN202
        if len(sent) >= 12:
            raise RuntimeError("the outbound queue went away")
        sent.extend(messages)
        real_send_all(messages)

    monkeypatch.setattr(queue, "send_all", failing_send_all)
    with pytest.raises(RuntimeError):
        fire(cid)
    first_run = queued_sends(campaigns.queue_urls["outbound"])
    assert 12 <= len(first_run) < 40

    # When the queue is back and the campaign's next run comes
    monkeypatch.setattr(queue, "send_all", real_send_all)
    result = fire(cid)

    # Then every customer has exactly one message, and each one not sent before is on the queue now
    assert result["outcome"] == "completed"
    second_run = queued_sends(campaigns.queue_urls["outbound"])
    everyone = {keys.contact(TENANT, c)["pk"] for c in ids}
    assert {s["message_pk"] for s in first_run} | {s["message_pk"] for s in second_run} == everyone
    for contact_id in ids:
        stored = services().table.query(
            KeyConditionExpression="pk = :p AND begins_with(sk, :m)",
            ExpressionAttributeValues={":p": keys.contact(TENANT, contact_id)["pk"], ":m": "M#"})["Items"]
        assert len(stored) == 1
    assert counts(api, admin_token, cid) == {"queued": 40}


def test_a_page_written_again_after_a_lost_answer_is_enqueued_not_lost(api, campaigns, admin_token):
    # Given a run holding a started campaign of five customers, which decided and committed its first page
    from switchboard import clock
    from switchboard.campaigns.dispatch import Dispatch
    from switchboard.storage.campaigns import QueuedSend

    ids = store_contacts(5)
    cid = create_campaign(api, admin_token, ids)["campaign_id"]
    api.call("POST", f"/campaigns/{cid}/start", token=admin_token)
    run = Dispatch(services(), TENANT, cid)
    repo = services().campaigns
    campaign = repo.acquire(TENANT, cid, run.owner, int(clock.now().timestamp()), 60, clock.iso(clock.now()))
    channel = services().channels.get(TENANT, "wa-demo")
    template = services().templates.get(TENANT, "wa-demo", "spring_sale", "en")
    pending = repo.recipients(TENANT, cid, ["pending"], None, 10).items

    def write_page() -> list[QueuedSend]:
        sends, skips = run._decide(campaign, channel, template, {"body": {"customer_name": {"from": "contact.name"},
                                                                          "code": {"value": "X1"}}}, pending)
        return repo.commit_page(TENANT, cid, run.owner, sends, skips, clock.iso(clock.now()))

    first = write_page()
    # When the same page is written again (its first answer was lost, say, and the request retried)
    clock.advance(1)
    again = write_page()

    # Then the second write reports the messages the first one stored, so they still reach the queue
    assert sorted((s.message["pk"], s.message["sk"]) for s in again) == sorted(
        (s.message["pk"], s.message["sk"]) for s in first)
    assert len(first) == 5
