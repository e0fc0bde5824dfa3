"""An operator blocks a contact for a while, or for good: its messages stop reaching the inbox (kept,
suppressed), the block shows on the contact and its sessions, and unblocking lets them through again."""

from __future__ import annotations

import pytest

from switchboard import clock
from tests.support.contacts import contact_of_sender, create, sessions_of, whatsapp_message


def test_a_blocked_contacts_messages_stay_out_of_the_inbox_until_unblocked(
        api, demo, process_inbound, operator_token) -> None:
    whatsapp_message(api, process_inbound, body="first")
    cid = contact_of_sender("420777555666")

    status, contact = api.call("POST", f"/contacts/{cid}/block", {"duration": "forever", "reason": "spam"},
                               token=operator_token)
    assert status == 200
    assert (contact["blocked"], contact["blocked_until"], contact["block_reason"]) == (True, "forever", "spam")
    session = sessions_of(api, operator_token, cid)[0]
    assert session["contact_blocked_until"] == "forever"

    whatsapp_message(api, process_inbound, body="still spamming")
    session = api.call("GET", f"/sessions/{session['session_id']}", token=operator_token)[1]
    assert session["unread_count"] == 1 and session["last_message"]["text"] == "first"

    status, contact = api.call("DELETE", f"/contacts/{cid}/block", token=operator_token)
    assert status == 200 and contact["blocked"] is False and contact["blocked_until"] is None
    whatsapp_message(api, process_inbound, body="sorry")
    session = api.call("GET", f"/sessions/{session['session_id']}", token=operator_token)[1]
    assert session["last_message"]["text"] == "sorry" and session["contact_blocked_until"] is None

    kinds = [e["kind"] for e in api.call("GET", f"/contacts/{cid}/history", token=operator_token)[1]["items"]]
    assert "blocked" in kinds and "unblocked" in kinds


@pytest.mark.parametrize("duration, expected", [
    ("hour", "2026-03-04T13:30:00.000Z"),
    ("tomorrow", "2026-03-05T00:00:00.000Z"),
    ("next_week", "2026-03-09T00:00:00.000Z"),
    ("next_month", "2026-04-01T00:00:00.000Z"),
])
def test_a_block_ends_when_the_operator_chose(api, demo, operator_token, duration, expected,
                                             monkeypatch) -> None:
    from datetime import UTC, datetime

    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 3, 4, 12, 30, tzinfo=UTC))  # a Wednesday
    cid = create(api, operator_token)["contact_id"]
    status, contact = api.call("POST", f"/contacts/{cid}/block", {"duration": duration}, token=operator_token)
    assert status == 200 and contact["blocked_until"] == expected and contact["blocked"] is True


def test_a_block_until_a_chosen_time_expires_by_itself(api, demo, operator_token) -> None:
    cid = create(api, operator_token)["contact_id"]
    until = clock.iso(clock.now().replace(microsecond=0) + __import__("datetime").timedelta(hours=2))
    status, contact = api.call("POST", f"/contacts/{cid}/block", {"duration": "until", "until": until},
                               token=operator_token)
    assert status == 200 and contact["blocked_until"] == until
    assert [c["contact_id"] for c in api.call("GET", "/contacts?blocked=true", token=operator_token)[1]["items"]] \
        == [cid]

    clock.advance(3 * 3600)
    assert api.call("GET", f"/contacts/{cid}", token=operator_token)[1]["blocked"] is False
    assert api.call("GET", "/contacts?blocked=true", token=operator_token)[1]["items"] == []


@pytest.mark.parametrize("body, field", [
    ({"duration": "until"}, "until"),
    ({"duration": "until", "until": "2001-01-01T00:00:00Z"}, "until"),
    ({"duration": "a while"}, "duration"),
])
def test_a_block_without_a_valid_end_is_refused(api, demo, operator_token, body, field) -> None:
    cid = create(api, operator_token)["contact_id"]
    status, error = api.call("POST", f"/contacts/{cid}/block", body, token=operator_token)
    assert status == 422 and error["field"] == field
