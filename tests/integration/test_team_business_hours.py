"""Business hours with the injected clock: outside hours (a weekend, a holiday) the customer gets the
channel's away message once per session, through the outbound queue and the Graph API; inside hours none.
The session is still routed, to its group's queue."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from infra.declaration import function
from infra.local.triggers import drain
from switchboard import clock
from switchboard.services import services
from tests.support.outbound import run_send_worker
from tests.support.team import Team, customer_writes

PRAGUE = ZoneInfo("Europe/Prague")
AWAY = "We are closed now; we answer from Monday 9:00."
HOURS = {
    "time_zone": "Europe/Prague",
    "holidays": ["2026-12-24"],
    "weekly": {day: [{"from": "09:00", "to": "17:00"}] for day in ("mon", "tue", "wed", "thu", "fri")},
}


def _at(moment: datetime) -> None:
    clock.reset()
    clock.advance((moment - clock.now()).total_seconds())


@pytest.fixture
def team(api, demo, aws, graph):
    team = Team(api, aws)
    status, body = api.call(
        "PUT",
        "/channels/wa-demo/business-hours",
        {"business_hours": HOURS, "away_message": AWAY},
        token=team.admin,
    )
    assert status == 200, body
    group = team.group("Support")
    team.rules([], default_group_id=group["group_id"])
    team.group_id = group["group_id"]
    return team


def _deliver(team: Team) -> None:
    drain(function("contact_resolution"), services().settings.inbound_queue_url)
    team.route()
    run_send_worker(services().settings.outbound_queue_url)


def _away_sent(graph, to: str) -> list[str]:
    return [s.payload["text"]["body"] for s in graph.sent if s.to == to and s.type == "text"]


def test_on_a_saturday_the_away_message_goes_out_once_per_session(team: Team, api, graph) -> None:
    _at(datetime(2026, 12, 5, 10, 0, tzinfo=PRAGUE))
    customer_writes(api, "420700000001", "Hello?")
    _deliver(team)
    customer_writes(api, "420700000001", "Anyone there?")
    _deliver(team)
    assert _away_sent(graph, "420700000001") == [AWAY]


def test_outside_hours_the_session_still_waits_in_its_groups_queue_unanswered(team: Team, api, graph) -> None:
    _at(datetime(2026, 12, 5, 10, 0, tzinfo=PRAGUE))
    customer_writes(api, "420700000002", "Hello?")
    _deliver(team)
    waiting = team.waiting(team.group_id)
    assert [s["unanswered"] for s in waiting] == [True]


def test_inside_hours_no_away_message_goes_out(team: Team, api, graph) -> None:
    _at(datetime(2026, 12, 7, 10, 0, tzinfo=PRAGUE))  # a Monday
    customer_writes(api, "420700000003", "Hello?")
    _deliver(team)
    assert _away_sent(graph, "420700000003") == []


def test_on_a_holiday_the_away_message_goes_out(team: Team, api, graph) -> None:
    _at(datetime(2026, 12, 24, 10, 0, tzinfo=PRAGUE))  # a Thursday, but Christmas Eve
    customer_writes(api, "420700000004", "Hello?")
    _deliver(team)
    assert _away_sent(graph, "420700000004") == [AWAY]


def test_after_closing_time_the_away_message_goes_out(team: Team, api, graph) -> None:
    _at(datetime(2026, 12, 7, 17, 0, tzinfo=PRAGUE))  # Monday, the minute it closes
    customer_writes(api, "420700000005", "Hello?")
    _deliver(team)
    assert _away_sent(graph, "420700000005") == [AWAY]


def test_a_rule_for_out_of_hours_picks_its_own_group(team: Team, api, graph) -> None:
    night = team.group("Night shift")
    team.rules(
        [{"match": {"in_business_hours": False}, "group_id": night["group_id"]}],
        default_group_id=team.group_id,
    )
    _at(datetime(2026, 12, 6, 23, 0, tzinfo=PRAGUE))
    customer_writes(api, "420700000006", "Hello?")
    _deliver(team)
    assert len(team.waiting(night["group_id"])) == 1
