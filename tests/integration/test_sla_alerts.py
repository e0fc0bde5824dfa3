"""Unanswered alerts under moto with the injected clock (docs/sla.md): an email through SES to the assignee
or the group's members, once per waiting period, never after "no reply needed" or a reply."""

from __future__ import annotations

import pytest

from switchboard import clock
from tests.support.sla import Desk, emails_to

ADA = "ada@example.com"


@pytest.fixture
def desk(api, demo, aws, graph, monkeypatch) -> Desk:
    desk = Desk(api, aws, monkeypatch)
    ada = desk.team.invite("Ada")
    group = desk.team.group("Support", [ada["operator_id"]])  # nobody online: sessions wait in its queue
    status, body = api.call("PATCH", f"/groups/{group['group_id']}", {"unanswered_alert_seconds": 600},
                            token=desk.admin)
    assert status == 200, body
    desk.team.rules([], default_group_id=group["group_id"])
    return desk


def test_a_message_waiting_past_the_threshold_alerts_the_groups_members(desk: Desk) -> None:
    desk.customer_writes("420710000001")
    clock.advance(601)
    desk.tick()
    assert len(emails_to(ADA)) == 1


def test_the_alert_goes_out_at_the_threshold_not_before(desk: Desk) -> None:
    desk.customer_writes("420710000002")
    clock.advance(500)
    desk.tick()
    before = len(emails_to(ADA))
    clock.advance(101)
    desk.tick()
    assert (before, len(emails_to(ADA))) == (0, 1)


def test_a_waiting_period_alerts_once_however_many_messages_it_holds(desk: Desk) -> None:
    desk.customer_writes("420710000003")
    clock.advance(601)
    desk.tick()
    desk.customer_writes("420710000003", "Hello?")
    clock.advance(601)
    desk.tick()
    assert len(emails_to(ADA)) == 1


def test_an_alert_is_published_for_the_frontends(desk: Desk) -> None:
    session_id = desk.customer_writes("420710000004")
    clock.advance(601)
    desk.tick()
    assert [e["session_id"] for e in desk.published("session.unanswered_alert")] == [session_id]


def test_a_message_marked_no_reply_needed_does_not_alert_but_the_next_one_does(desk: Desk) -> None:
    session_id = desk.customer_writes("420710000005")
    status, body = desk.api.call("POST", f"/sessions/{session_id}/no-reply-needed", token=desk.admin)
    assert status == 200, body
    desk.settle()
    clock.advance(601)
    desk.tick()
    marked = len(emails_to(ADA))
    desk.customer_writes("420710000005", "Actually, one question")
    clock.advance(601)
    desk.tick()
    assert (marked, len(emails_to(ADA))) == (0, 1)


def test_a_reply_before_the_threshold_means_no_alert_for_that_message(desk: Desk) -> None:
    session_id = desk.customer_writes("420710000006")
    clock.advance(300)
    desk.reply(session_id)
    clock.advance(400)
    desk.tick()
    answered = len(emails_to(ADA))
    desk.customer_writes("420710000006", "Thanks, and another thing")
    clock.advance(601)
    desk.tick()
    assert (answered, len(emails_to(ADA))) == (0, 1)


def test_a_new_waiting_period_after_a_reply_alerts_again(desk: Desk) -> None:
    session_id = desk.customer_writes("420710000007")
    clock.advance(601)
    desk.tick()
    desk.reply(session_id)
    desk.customer_writes("420710000007", "One more thing")
    clock.advance(601)
    desk.tick()
    assert len(emails_to(ADA)) == 2


def test_an_assigned_session_alerts_its_assignee_only(desk: Desk) -> None:
    bob = desk.team.invite("Bob")
    session_id = desk.customer_writes("420710000008")
    status, body = desk.api.call("POST", f"/sessions/{session_id}/assign", {"operator_id": bob["operator_id"]},
                                 token=desk.admin)
    assert status == 200, body
    desk.settle()
    clock.advance(601)
    desk.tick()
    assert (len(emails_to("bob@example.com")), len(emails_to(ADA))) == (1, 0)
