"""SLA over the local runtime (`python -m infra.local`, real HTTP): a customer's unanswered message
breaches its channel's first-response target when the clock passes the due time; the runtime's
EventBridge Scheduler fires the breach schedule, and the session shows it."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from switchboard import clock
from tests.support.runtime import local_runtime, token
from tests.support.whatsapp import envelope, signed, text_message

pytestmark = pytest.mark.e2e


def _http(method: str, url: str, body: Any = None, token_: str | None = None,
          headers: dict[str, str] | None = None) -> tuple[int, Any]:
    all_headers = dict(headers or {})
    if token_:
        all_headers["Authorization"] = f"Bearer {token_}"
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    if body is not None and not isinstance(body, bytes):
        all_headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, json.loads(raw) if raw else None


@pytest.fixture(scope="module")
def runtime() -> Iterator[str]:
    with local_runtime() as url:
        yield url


def _first_response(url: str, admin: str) -> dict[str, Any] | None:
    sessions = _http("GET", f"{url}/sessions?limit=10", token_=admin)[1]["items"]
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
    status, body = _http("POST", f"{runtime}/sla-policies", {"name": "WhatsApp", "channel_id": "wa-demo",
                                                             "first_response_seconds": 300}, token_=admin)
    assert status == 201, body
    _, clock_now = _http("POST", f"{runtime}/_local/clock", {"advance_seconds": 0})
    seconds = int(clock.parse_iso(clock_now["now"]).timestamp())  # the runtime's clock, not ours
    raw, headers = signed(envelope([text_message(sender="420720000001", body="Anyone?", timestamp=seconds)]))
    assert _http("POST", f"{runtime}/webhooks/whatsapp", raw, headers=headers)[0] == 200
    assert _wait(lambda: (_first_response(runtime, admin) or {}).get("status") == "active")
    _http("POST", f"{runtime}/_local/clock", {"advance_seconds": 301})
    assert _wait(lambda: (_first_response(runtime, admin) or {}).get("status") == "breached")
