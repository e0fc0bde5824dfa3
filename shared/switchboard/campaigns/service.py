"""What admins do with campaigns: create, add recipients, start, pause, resume, cancel; and what anyone
may read. Each state change is a conditional write on the campaign; its EventBridge schedule follows."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from switchboard import clock, ids
from switchboard.domain import campaign_states as states
from switchboard.campaigns.dispatch import NOW_LEAD_SECONDS, continuation_name, schedule_name
from switchboard.campaigns.models import CampaignIn, RecipientFilter, RecipientsAdded, RecipientsIn
from switchboard.campaigns.schedule import Cron, at_expression, next_fire, zone
from switchboard.clients.scheduler import ScheduleSpec
from switchboard.errors import Conflict, InvalidInput, NotFound
from switchboard.services import Services
from switchboard.storage.campaigns import campaign_item

MAX_FILTER_CONTACTS = 5000  # contacts one request adds from a directory filter; the cursor goes on


def _normalised_cron(text: str) -> str:
    expression = text.strip()
    return expression if expression.startswith("cron(") else f"cron({expression})"


def create(services: Services, tenant_id: str, data: CampaignIn) -> dict[str, Any]:
    channel = services.channels.get(tenant_id, data.channel_id)
    if channel is None:
        raise InvalidInput("no such channel", field="channel_id")
    if channel.kind != "whatsapp":
        raise InvalidInput("campaigns go out on WhatsApp channels", field="channel_id")
    if services.templates.get(tenant_id, data.channel_id, data.template.name, data.template.language) is None:
        raise InvalidInput("no such template on this channel (POST /templates/sync first?)", field="template")
    rate = data.rate or channel.throughput_mps
    if rate > channel.throughput_mps:
        raise InvalidInput(f"the channel sends at most {channel.throughput_mps} messages a second", field="rate")
    schedule: dict[str, Any] | None = None
    now = clock.now()
    if data.schedule is not None:
        zone(data.schedule.time_zone)
        schedule = {"time_zone": data.schedule.time_zone}
        if data.schedule.cron is not None:
            schedule["cron"] = _normalised_cron(data.schedule.cron)
            if Cron.parse(schedule["cron"]).next_after(now, data.schedule.time_zone) is None:
                raise InvalidInput("the cron expression never fires", field="schedule.cron")
        else:
            assert data.schedule.run_at is not None
            moment = data.schedule.run_at
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=zone(data.schedule.time_zone))
            schedule["at"] = clock.iso(moment.astimezone(UTC))
    now_iso = clock.iso(now)
    campaign_id = ids.new_id()
    item: dict[str, Any] = campaign_item(tenant_id, campaign_id, now_iso) | {
        "name": data.name, "channel_id": data.channel_id, "template": data.template.model_dump(),
        "parameters_json": json.dumps(data.parameters.model_dump(by_alias=True, exclude_none=True)),
        "rate": rate, "status": states.DRAFT, "recipient_total": 0, "created_at": now_iso, "updated_at": now_iso,
    }
    if schedule:
        item["schedule"] = schedule
    services.campaigns.create(item)
    return item


def add_recipients(services: Services, tenant_id: str, campaign_id: str, data: RecipientsIn) -> RecipientsAdded:
    campaign = services.campaigns.require(tenant_id, campaign_id)
    if campaign["status"] not in states.OPEN_FOR_RECIPIENTS:
        raise Conflict(f"the campaign is {campaign['status']}", code="campaign_finished", campaign_id=campaign_id)
    contact_ids = list(dict.fromkeys(data.contact_ids))
    cursor = None
    if data.filter is not None:
        contact_ids, cursor = _from_directory(services, tenant_id, data.filter, data.cursor)
    added = services.campaigns.add_recipients(tenant_id, campaign_id, contact_ids, clock.iso(clock.now()))
    total = int(services.campaigns.require(tenant_id, campaign_id).get("recipient_total", 0))
    return RecipientsAdded(added=added, already_present=len(contact_ids) - added, total=total, next_cursor=cursor)


def _from_directory(services: Services, tenant_id: str, wanted: RecipientFilter,
                    cursor: str | None) -> tuple[list[str], str | None]:
    from switchboard.domain import search

    filters = search.Filters(tag=wanted.tag, blocked=wanted.blocked, created_from=wanted.created_from,
                             created_to=wanted.created_to, active_from=wanted.active_from,
                             active_to=wanted.active_to, attributes=dict(wanted.attributes))
    found: list[str] = []
    while len(found) < MAX_FILTER_CONTACTS:
        contacts, cursor = services.directory.search(tenant_id, wanted.q, filters, cursor, 100)
        found.extend(c["contact_id"] for c in contacts)
        if cursor is None:
            break
    return found, cursor


def start(services: Services, tenant_id: str, campaign_id: str) -> dict[str, Any]:
    """draft -> scheduled, with its schedule: at its time, on its cron, or (without one) right away."""
    now = clock.now()
    campaign = services.campaigns.transition(tenant_id, campaign_id, [states.DRAFT], states.SCHEDULED,
                                             clock.iso(now))
    if campaign is None:
        _refuse(services, tenant_id, campaign_id, "start", "only a draft campaign can be started")
    assert campaign is not None
    try:
        _put_schedule(services, campaign, now)
    except Exception:
        services.campaigns.transition(tenant_id, campaign_id, [states.SCHEDULED], states.DRAFT, clock.iso(now))
        raise
    return _with_next_run(services, campaign, now)


def pause(services: Services, tenant_id: str, campaign_id: str) -> dict[str, Any]:
    """scheduled|running -> paused: a running dispatch stops at its next write; the schedule is disabled."""
    now = clock.now()
    campaign = services.campaigns.transition(tenant_id, campaign_id, [states.SCHEDULED, states.RUNNING],
                                             states.PAUSED, clock.iso(now), remove=["next_run_at"])
    if campaign is None:
        _refuse(services, tenant_id, campaign_id, "pause", "only a scheduled or running campaign can be paused")
    assert campaign is not None
    _put_schedule(services, campaign, now, enabled=False)
    return campaign


def resume(services: Services, tenant_id: str, campaign_id: str) -> dict[str, Any]:
    """paused -> scheduled: a cron campaign waits for its next firing; any other goes on at its time, or now
    when that has passed."""
    now = clock.now()
    campaign = services.campaigns.transition(tenant_id, campaign_id, [states.PAUSED], states.SCHEDULED,
                                             clock.iso(now), remove=["status_reason", "status_detail"])
    if campaign is None:
        _refuse(services, tenant_id, campaign_id, "resume", "only a paused campaign can be resumed")
    assert campaign is not None
    _put_schedule(services, campaign, now)
    return _with_next_run(services, campaign, now)


def cancel(services: Services, tenant_id: str, campaign_id: str) -> dict[str, Any]:
    """Any campaign that has not ended -> cancelled; its schedules are deleted, pending recipients stay so."""
    now = clock.now()
    campaign = services.campaigns.transition(
        tenant_id, campaign_id, [states.DRAFT, states.SCHEDULED, states.RUNNING, states.PAUSED], states.CANCELLED,
        clock.iso(now), {"completed_at": clock.iso(now)}, remove=["next_run_at"])
    if campaign is None:
        _refuse(services, tenant_id, campaign_id, "cancel", "the campaign has already ended")
    assert campaign is not None
    services.scheduler.delete(schedule_name(campaign_id))
    services.scheduler.delete(continuation_name(campaign_id))
    return campaign


def _refuse(services: Services, tenant_id: str, campaign_id: str, action: str, message: str) -> None:
    campaign = services.campaigns.require(tenant_id, campaign_id)
    raise Conflict(f"{message} (it is {campaign['status']})", code=f"cannot_{action}", status=campaign["status"])


def _expression(campaign: dict[str, Any], now: datetime) -> tuple[str, str, bool]:
    """(expression, time zone, one-off) of the campaign's schedule as of ``now``."""
    schedule = campaign.get("schedule") or {}
    time_zone = schedule.get("time_zone", "UTC")
    if schedule.get("cron"):
        return schedule["cron"], time_zone, False
    soon = now + timedelta(seconds=NOW_LEAD_SECONDS)
    moment = clock.parse_iso(schedule["at"]) if schedule.get("at") else soon
    return at_expression(max(moment, soon), time_zone), time_zone, True


def _put_schedule(services: Services, campaign: dict[str, Any], now: datetime, enabled: bool = True) -> None:
    expression, time_zone, one_off = _expression(campaign, now)
    services.scheduler.put(ScheduleSpec(
        name=schedule_name(campaign["campaign_id"]), expression=expression, time_zone=time_zone,
        payload={"tenant_id": campaign["tenant_id"], "campaign_id": campaign["campaign_id"]},
        enabled=enabled, one_off=one_off))


def _with_next_run(services: Services, campaign: dict[str, Any], now: datetime) -> dict[str, Any]:
    expression, time_zone, _ = _expression(campaign, now)
    upcoming = next_fire(expression, time_zone, now) or now
    updated = services.campaigns.transition(campaign["tenant_id"], campaign["campaign_id"], [states.SCHEDULED],
                                            states.SCHEDULED, clock.iso(now), {"next_run_at": clock.iso(upcoming)})
    return updated or services.campaigns.require(campaign["tenant_id"], campaign["campaign_id"])


def get(services: Services, tenant_id: str, campaign_id: str) -> tuple[dict[str, Any], dict[str, int]]:
    campaign = services.campaigns.get(tenant_id, campaign_id)
    if campaign is None:
        raise NotFound("no such campaign", campaign_id=campaign_id)
    return campaign, services.campaigns.counts(tenant_id, campaign_id)
