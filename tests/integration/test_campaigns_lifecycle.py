"""A campaign's life as admins and customers see it: created and scheduled, paused and resumed, cancelled;
its recipients' states following their messages' ticks and replies."""

from __future__ import annotations

import time
from datetime import timedelta

import boto3
from switchboard import clock
from switchboard.campaigns.schedule import zone
from switchboard.services import services

from infra.declaration import function
from infra.local import event_rules
from infra.local.scheduler import LocalScheduler
from tests.support.campaigns import (
    counts,
    create_campaign,
    fire,
    phone_of,
    queued_sends,
    store_contacts,
)
from tests.support.outbound import run_send_worker, simulator_server
from tests.support.whatsapp import envelope, signed, text_message


def _schedule(campaign_id: str) -> dict | None:
    try:
        return boto3.client("scheduler").get_schedule(Name=f"campaign-{campaign_id}", GroupName="switchboard")
    except boto3.client("scheduler").exceptions.ResourceNotFoundException:
        return None


def test_admins_create_campaigns_and_operators_may_only_read_them(api, campaigns, admin_token, operator_token):
    body = {"name": "Spring", "channel_id": "wa-demo", "template": {"name": "spring_sale", "language": "en"},
            "schedule": {"cron": "cron(0 9 ? * MON-FRI *)", "time_zone": "Europe/Prague"}}
    assert api.call("POST", "/campaigns", body, token=operator_token)[0] == 403
    status, campaign = api.call("POST", "/campaigns", body, token=admin_token)
    assert status == 201 and campaign["status"] == "draft" and campaign["rate"] == 80  # the channel's throughput
    assert api.call("GET", f"/campaigns/{campaign['campaign_id']}", token=operator_token)[0] == 200
    listed = api.call("GET", "/campaigns", token=operator_token)[1]["items"]
    assert [c["campaign_id"] for c in listed] == [campaign["campaign_id"]]
    assert api.call("POST", f"/campaigns/{campaign['campaign_id']}/start", token=operator_token)[0] == 403

    for change, field in [({"schedule": {"cron": "cron(0 9 * * *)"}}, "schedule.cron"),
                          ({"schedule": {"cron": "cron(0 9 ? * MON *)", "time_zone": "Mars/Olympus"}},
                           "schedule.time_zone"),
                          ({"channel_id": "wa-nowhere"}, "channel_id"),
                          ({"template": {"name": "no_such", "language": "en"}}, "template"),
                          ({"rate": 500}, "rate")]:
        status, refused = api.call("POST", "/campaigns", {**body, **change}, token=admin_token)
        assert status == 422 and refused["field"] == field, refused
    assert api.call("GET", "/campaigns/01NOSUCHCAMPAIGN", token=admin_token)[0] == 404


def test_starting_schedules_the_campaign_and_cancelling_deletes_its_schedule(api, campaigns, admin_token):
    ids = store_contacts(3)
    cid = create_campaign(api, admin_token, ids, schedule={"run_at": "2030-05-01T09:30:00", "time_zone": "Europe/Prague"},
                          )["campaign_id"]
    status, started = api.call("POST", f"/campaigns/{cid}/start", token=admin_token)
    assert status == 200 and started["status"] == "scheduled"
    schedule = _schedule(cid)
    assert schedule["ScheduleExpression"] == "at(2030-05-01T09:30:00)"
    assert schedule["ScheduleExpressionTimezone"] == "Europe/Prague"
    assert schedule["Target"]["Arn"].endswith(":function:switchboard-campaign_dispatch")
    assert schedule["Target"]["Input"] == f'{{"tenant_id":"demo","campaign_id":"{cid}"}}'
    assert api.call("POST", f"/campaigns/{cid}/start", token=admin_token)[1]["code"] == "cannot_start"

    status, cancelled = api.call("POST", f"/campaigns/{cid}/cancel", token=admin_token)
    assert status == 200 and cancelled["status"] == "cancelled" and _schedule(cid) is None
    assert fire(cid)["outcome"] == "not_active"
    assert counts(api, admin_token, cid) == {"pending": 3}
    status, refused = api.call("POST", f"/campaigns/{cid}/recipients", {"contact_ids": ["C9"]}, token=admin_token)
    assert status == 409 and refused["code"] == "campaign_finished"


def test_recipients_are_listed_by_state_with_cursors(api, campaigns, admin_token):
    ids = store_contacts(7)
    cid = create_campaign(api, admin_token, ids + ids[:2])["campaign_id"]  # two added twice: once each
    status, page = api.call("GET", f"/campaigns/{cid}/recipients?status=pending&limit=4", token=admin_token)
    assert [r["contact_id"] for r in page["items"]] == ids[:4] and page["next_cursor"]
    rest = api.call("GET", f"/campaigns/{cid}/recipients?status=pending&limit=4&cursor={page['next_cursor']}",
                    token=admin_token)[1]
    assert [r["contact_id"] for r in rest["items"]] == ids[4:]
    assert api.call("GET", f"/campaigns/{cid}/recipients?status=sent", token=admin_token)[1]["items"] == []
    assert api.call("GET", f"/campaigns/{cid}", token=admin_token)[1]["total"] == 7


def test_the_local_scheduler_fires_a_campaign_at_its_time_and_not_before(api, campaigns, admin_token):
    ids = store_contacts(5)
    at = (clock.now() + timedelta(hours=2)).isoformat()
    cid = create_campaign(api, admin_token, ids, schedule={"run_at": at})["campaign_id"]
    api.call("POST", f"/campaigns/{cid}/start", token=admin_token)
    scheduler = LocalScheduler(stop=None, log=print)  # type: ignore[arg-type]

    assert scheduler.tick(wait=True) == []
    assert counts(api, admin_token, cid) == {"pending": 5}

    clock.advance(2 * 3600 + 1)
    assert scheduler.tick(wait=True) == [f"campaign-{cid}"]
    assert counts(api, admin_token, cid) == {"queued": 5}
    assert api.call("GET", f"/campaigns/{cid}", token=admin_token)[1]["status"] == "completed"
    assert _schedule(cid) is None
    assert scheduler.tick(wait=True) == []


def test_a_paused_campaign_sends_nothing_until_it_is_resumed(api, campaigns, admin_token, monkeypatch):
    # Given a started campaign of sixty customers
    ids = store_contacts(60)
    cid = create_campaign(api, admin_token, ids)["campaign_id"]
    api.call("POST", f"/campaigns/{cid}/start", token=admin_token)

    # When an admin pauses it before its schedule fires
    status, paused = api.call("POST", f"/campaigns/{cid}/pause", token=admin_token)
    assert status == 200 and paused["status"] == "paused" and _schedule(cid)["State"] == "DISABLED"
    # Then its firing sends nothing
    assert fire(cid)["outcome"] == "not_active"
    assert queued_sends(campaigns.queue_urls["outbound"]) == []

    # When it is resumed and a pause comes while the first sends go out
    status, resumed = api.call("POST", f"/campaigns/{cid}/resume", token=admin_token)
    assert status == 200 and resumed["status"] == "scheduled" and _schedule(cid)["State"] == "ENABLED"
    queue = services().outbound_queue
    real_send_all = queue.send_all

    def pause_after_first_sends(messages):  # noqa: ANN001, ANN202
        real_send_all(messages)
        api.call("POST", f"/campaigns/{cid}/pause", token=admin_token)

    monkeypatch.setattr(queue, "send_all", pause_after_first_sends)
    monkeypatch.setattr("switchboard.campaigns.dispatch._MAX_PAGE", 5)  # pages of five: the pause lands between
    assert fire(cid)["outcome"] == "stopped"
    first = queued_sends(campaigns.queue_urls["outbound"])
    # The dispatcher commits a few pages ahead of what it has put on the queue; those are queued and the
    # next run enqueues them. The pause still leaves most recipients pending.
    paused_counts = counts(api, admin_token, cid)
    assert 0 < len(first) <= paused_counts["queued"] < 60
    assert paused_counts == {"queued": paused_counts["queued"], "pending": 60 - paused_counts["queued"]}

    # And when it is resumed again, the rest go out, and nobody twice
    monkeypatch.setattr(queue, "send_all", real_send_all)
    api.call("POST", f"/campaigns/{cid}/resume", token=admin_token)
    assert fire(cid)["outcome"] == "completed"
    rest = queued_sends(campaigns.queue_urls["outbound"])
    assert len({s["message_pk"] for s in first + rest}) == 60
    assert counts(api, admin_token, cid) == {"queued": 60}


def test_recipients_follow_their_messages_ticks_and_a_reply_marks_them_replied(
        api, campaigns, admin_token, monkeypatch, process_inbound):
    # Given a campaign of four customers, one of whose numbers Meta refuses
    ids = store_contacts(4)
    rules = event_rules.create_rules(services().settings.need("event_bus_name"))
    cid = create_campaign(api, admin_token, ids)["campaign_id"]
    api.call("POST", f"/campaigns/{cid}/start", token=admin_token)
    with simulator_server(api.gateway, monkeypatch, callback_delays_s=[0.0, 0.05, 0.1],
                          recipient_errors={phone_of(3).lstrip("+"): 131026}) as graph:
        # When it is dispatched and sent, and Meta's ticks come back
        fire(cid)
        run_send_worker(campaigns.queue_urls["outbound"])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and graph.callbacks.delivered < 9:
            time.sleep(0.02)
        process_inbound()
    # Then three recipients are read and the refused one failed, each message sent once
    assert counts(api, admin_token, cid) == {"read": 3, "failed": 1}
    assert sorted(s.to for s in graph.sent) == sorted(phone_of(n).lstrip("+") for n in range(3))

    # When one of them answers
    raw, headers = signed(envelope([text_message(sender=phone_of(1).lstrip("+"), body="Is X1 still valid?",
                                                 timestamp=int(clock.now().timestamp()))]))
    assert api.call("POST", "/webhooks/whatsapp", raw, headers=headers)[0] == 200
    process_inbound()
    event_rules.drain(function("campaign_dispatch"), rules["campaign_dispatch"])
    # Then that recipient is replied (and the reply opened a session in the inbox), and a late tick does not
    # take it back
    assert counts(api, admin_token, cid) == {"read": 2, "replied": 1, "failed": 1}
    replied = api.call("GET", f"/campaigns/{cid}/recipients?status=replied", token=admin_token)[1]["items"]
    assert [r["contact_id"] for r in replied] == [ids[1]]
    assert set(replied[0]["statuses"]) >= {"queued", "sent", "delivered", "read", "replied"}
    sessions = api.call("GET", f"/sessions?contact_id={ids[1]}", token=admin_token)[1]["items"]
    assert [s["status"] for s in sessions] == ["open"]


def test_recipients_can_be_chosen_by_a_directory_filter(api, campaigns, admin_token):
    # Given three VIP customers and one other in the directory
    for number, tags in [(1, ["vip"]), (2, ["vip"]), (3, []), (4, ["vip"])]:
        status, _ = api.call("POST", "/contacts", {"name": f"Customer {number}", "phones": [phone_of(number)],
                                                   "tags": tags}, token=admin_token)
        assert status == 201
    cid = create_campaign(api, admin_token, [])["campaign_id"]

    # When an admin adds the VIPs by a filter, twice
    status, added = api.call("POST", f"/campaigns/{cid}/recipients", {"filter": {"tag": "vip"}}, token=admin_token)
    again = api.call("POST", f"/campaigns/{cid}/recipients", {"filter": {"tag": "vip"}}, token=admin_token)[1]

    # Then the three are recipients, once each
    assert status == 200 and added["added"] == 3 and added["next_cursor"] is None
    assert again["added"] == 0 and again["already_present"] == 3 and again["total"] == 3
    assert counts(api, admin_token, cid) == {"pending": 3}


def test_a_cron_campaign_goes_out_at_each_firing_and_waits_for_the_next(api, campaigns, admin_token):
    # Given a campaign that goes out every day at 09:00 in Prague, started
    ids = store_contacts(3)
    cid = create_campaign(api, admin_token, ids, schedule={"cron": "0 9 * * ? *", "time_zone": "Europe/Prague"},
                          )["campaign_id"]
    status, started = api.call("POST", f"/campaigns/{cid}/start", token=admin_token)
    assert status == 200 and started["status"] == "scheduled"
    first = clock.parse_iso(started["next_run_at"])
    assert first.astimezone(zone("Europe/Prague")).hour == 9
    scheduler = LocalScheduler(stop=None, log=print)  # type: ignore[arg-type]
    assert scheduler.tick(wait=True) == []

    # When its time comes
    clock.advance((first - clock.now()).total_seconds() + 1)
    assert scheduler.tick(wait=True) == [f"campaign-{cid}"]

    # Then its recipients are queued, and it waits for the next day, schedule kept
    assert counts(api, admin_token, cid) == {"queued": 3}
    campaign = api.call("GET", f"/campaigns/{cid}", token=admin_token)[1]
    assert campaign["status"] == "scheduled"
    prague = zone("Europe/Prague")
    upcoming = clock.parse_iso(campaign["next_run_at"]).astimezone(prague)
    assert (upcoming.hour, upcoming.date()) == (9, first.astimezone(prague).date() + timedelta(days=1))
    assert _schedule(cid)["ScheduleExpression"] == "cron(0 9 * * ? *)"
