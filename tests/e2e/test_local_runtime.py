"""The local runtime as a newcomer runs it: `python -m infra.local` in its own process, a signed webhook
over real HTTP, the session read back with a token from `make token`'s module."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from tests.support.runtime import local_runtime, token
from tests.support.whatsapp import envelope, signed, text_message

pytestmark = pytest.mark.e2e


def _http(method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None):  # noqa: ANN202
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture(scope="module")
def runtime() -> Iterator[str]:
    with local_runtime() as url:
        yield url


_token = token


def test_a_signed_webhook_shows_up_in_the_inbox_over_http(runtime: str) -> None:
    raw, headers = signed(envelope([text_message(body="Hello from the e2e test", wamid="wamid.E2E1")]))
    assert _http("POST", f"{runtime}/webhooks/whatsapp", raw, headers)[0] == 200
    assert _http("POST", f"{runtime}/webhooks/whatsapp", raw, headers)[0] == 200  # Meta retries
    status, idle = _http("POST", f"{runtime}/_local/idle?timeout=20")
    assert status == 200 and json.loads(idle)["idle"] is True

    token = _token()
    status, body = _http("GET", f"{runtime}/sessions", headers={"Authorization": f"Bearer {token}"})
    sessions = json.loads(body)["items"]
    assert status == 200 and [s["last_message"]["text"] for s in sessions] == ["Hello from the e2e test"]
    status, body = _http("GET", f"{runtime}/sessions/{sessions[0]['session_id']}/messages",
                         headers={"Authorization": f"Bearer {token}"})
    assert [m["provider_message_id"] for m in json.loads(body)["items"]] == ["wamid.E2E1"]

    other = _token("--tenant", "acme")
    status, body = _http("GET", f"{runtime}/sessions", headers={"Authorization": f"Bearer {other}"})
    assert status == 200 and json.loads(body)["items"] == []


def test_a_wrong_signature_is_refused_over_http(runtime: str) -> None:
    raw, headers = signed(envelope([text_message(wamid="wamid.E2EBAD")]), secret="wrong")
    assert _http("POST", f"{runtime}/webhooks/whatsapp", raw, headers)[0] == 403


def test_the_api_documents_itself(runtime: str) -> None:
    status, body = _http("GET", f"{runtime}/openapi.json")
    document = json.loads(body)
    assert status == 200 and "/sessions" in document["paths"]
    status, page = _http("GET", f"{runtime}/swagger")
    assert status == 200 and b"swagger" in page.lower()
