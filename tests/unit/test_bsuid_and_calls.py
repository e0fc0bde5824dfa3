"""What the new kinds of payload become, without I/O: calls split into a message and its statuses, a
BSUID change read from any of Meta's shapes, a shared phone only when the customer shared their own."""

from __future__ import annotations

import json
from pathlib import Path

from switchboard.domain import messages
from switchboard.whatsapp.envelope import parse_envelope, split_change

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "whatsapp"


def _split(name: str) -> list:
    envelope = parse_envelope((FIXTURES / f"{name}.json").read_bytes())
    entry = envelope.entry[0]
    return split_change(entry, entry.changes[0], "demo", "wa-fixtures", "2026-12-03T10:00:00.000Z")


def test_a_call_connect_is_a_call_message_of_its_caller_without_its_sdp() -> None:
    (event,) = _split("calls_connect")

    assert (event.kind, event.event_id, event.group) == ("message", "wacid.ABGGFjFVU2AfAgo6V-Hc5eCgK5Gh",
                                                          "wa-fixtures:16505551234")
    assert messages.kind_of(event.payload) == "call"
    assert "session" not in event.payload["call"]


def test_a_call_terminate_is_a_completed_status_with_its_times() -> None:
    (event,) = _split("calls_terminate")

    assert event.kind == "status"
    assert event.payload["status"] == "completed"
    assert event.payload["call"] == {"start_time": "1764770505", "end_time": "1764770620", "duration": 115}


def test_a_failed_terminate_is_failed_with_meta_s_error() -> None:
    body = json.loads((FIXTURES / "calls_terminate.json").read_text())
    call = body["entry"][0]["changes"][0]["value"]["calls"][0]
    call.update(status="FAILED", errors=[{"code": 138021, "title": "no media"}])
    envelope = parse_envelope(json.dumps(body).encode())

    (event,) = split_change(envelope.entry[0], envelope.entry[0].changes[0], "demo", "wa-fixtures")

    assert event.payload["status"] == "failed"
    assert event.payload["errors"][0]["code"] == 138021


def test_a_business_placed_call_is_grouped_with_its_callee_and_opens_no_window() -> None:
    (event,) = _split("calls_connect_business")

    assert event.group == "wa-fixtures:16505551234"
    assert messages.opens_window(event.payload) is False


def test_a_user_id_update_is_the_system_notice_of_the_change() -> None:
    (event,) = _split("user_id_update")

    assert event.kind == "message"
    assert messages.changed_user_id(event.payload) == "US.24817305912873645029"
    assert messages.previous_user_id(event.payload) == "US.13491208655302741918"


def test_the_old_bsuid_is_read_from_the_notice_s_body_when_nothing_else_names_it() -> None:
    payload = {"type": "system", "system": {"type": "user_changed_user_id", "user_id": "US.NEW",
                                            "body": "User Ann changed from US.OLD to US.NEW"}}

    assert messages.previous_user_id(payload) == "US.OLD"


def test_a_shared_phone_counts_only_when_the_customer_answered_the_request() -> None:
    (event,) = _split("contacts_shared_phone")
    someone_else = {**event.payload, "origin": "other"}

    assert messages.shared_phone(event.payload) == "16505551234"
    assert messages.shared_phone(someone_else) is None
