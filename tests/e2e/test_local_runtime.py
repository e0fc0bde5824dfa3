"""The local runtime as a newcomer runs it: `python -m infra.local` in its own process, a signed webhook
over real HTTP, the session read back with a token from `make token`'s module."""

from __future__ import annotations

import json

import pytest

from tests.support.runtime import http, token
from tests.support.whatsapp import envelope, signed, text_message

pytestmark = pytest.mark.e2e


def test_a_signed_webhook_shows_up_in_the_inbox_over_http(runtime: str) -> None:
    raw, headers = signed(envelope([text_message(body="Hello from the e2e test", wamid="wamid.E2E1")]))
    assert http("POST", f"{runtime}/webhooks/whatsapp", raw, headers)[0] == 200
    assert http("POST", f"{runtime}/webhooks/whatsapp", raw, headers)[0] == 200  # Meta retries
    status, idle = http("POST", f"{runtime}/_local/idle?timeout=20")
    assert status == 200 and json.loads(idle)["idle"] is True

    operator = token()
    status, body = http("GET", f"{runtime}/sessions", headers={"Authorization": f"Bearer {operator}"})
    sessions = json.loads(body)["items"]
    assert status == 200 and [s["last_message"]["text"] for s in sessions] == ["Hello from the e2e test"]
    status, body = http("GET", f"{runtime}/sessions/{sessions[0]['session_id']}/messages",
                        headers={"Authorization": f"Bearer {operator}"})
    assert [m["provider_message_id"] for m in json.loads(body)["items"]] == ["wamid.E2E1"]

    other = token("--tenant", "acme")
    status, body = http("GET", f"{runtime}/sessions", headers={"Authorization": f"Bearer {other}"})
    assert status == 200 and json.loads(body)["items"] == []


def test_a_wrong_signature_is_refused_over_http(runtime: str) -> None:
    raw, headers = signed(envelope([text_message(wamid="wamid.E2EBAD")]), secret="wrong")
    assert http("POST", f"{runtime}/webhooks/whatsapp", raw, headers)[0] == 403


def test_the_api_documents_itself(runtime: str) -> None:
    status, body = http("GET", f"{runtime}/openapi.json")
    document = json.loads(body)
    assert status == 200 and "/sessions" in document["paths"]
    status, page = http("GET", f"{runtime}/swagger")
    assert status == 200 and b"swagger" in page.lower()
