"""SLA over the local runtime (`python -m infra.local`, real HTTP): a customer's unanswered message
breaches its channel's first-response target when the clock passes the due time; the runtime's
EventBridge Scheduler fires the breach schedule, and the session shows it."""

from __future__ import annotations

import time
from typing import Any

import pytest
from switchboard import clock

from tests.support.runtime import api, http, token
from tests.support.whatsapp import envelope, signed, text_message

pytestmark = pytest.mark.e2e


def _first_response(url: str, admin: str) -> dict[str, Any] | None:
    sessions = api("GET", f"{url}/sessions?limit=10", admin)[1]["items"]
    sla = sessions[0].get("sla") if sessions else None
    return (sla or {}).get("first_response")


def _wait(predicate: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := predicate():
            return found
        time.sleep(0.25)
    return None


def test_an_unanswered_message_breaches_first_response_when_the_clock_passes_its_due_time(runtime: str) -> None:
    admin = token("--role", "admin")
    status, body = api("POST", f"{runtime}/sla-policies", admin, {"name": "WhatsApp", "channel_id": "wa-demo",
                                                                  "first_response_seconds": 300})
    assert status == 201, body
    _, clock_now = api("POST", f"{runtime}/_local/clock", body={"advance_seconds": 0})
    seconds = int(clock.parse_iso(clock_now["now"]).timestamp())  # the runtime's clock, not ours
    raw, headers = signed(envelope([text_message(sender="420720000001", body="Anyone?", timestamp=seconds)]))
    assert http("POST", f"{runtime}/webhooks/whatsapp", raw, headers)[0] == 200
    assert _wait(lambda: (_first_response(runtime, admin) or {}).get("status") == "active")
    api("POST", f"{runtime}/_local/clock", body={"advance_seconds": 301})
    assert _wait(lambda: (_first_response(runtime, admin) or {}).get("status") == "breached")
