"""Conformance for coexistence (docs/coexistence.md): each fixture in tests/fixtures/whatsapp, composed from
Meta's documented shapes, signed and posted over real HTTP into the local runtime (its own process), is
answered 200 and stored as the right record; and the runtime's Graph simulator emits the same webhooks
(`POST /_graph/_coexistence/{kind}`), which land the same way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.runtime import api, get, idle, token, whatsapp_webhook

pytestmark = pytest.mark.e2e
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "whatsapp"
CUSTOMER = "16505551234"


def _post_fixture(url: str, name: str) -> int:
    return whatsapp_webhook(url, json.loads((FIXTURES / f"{name}.json").read_text()))


def test_each_coexistence_fixture_is_answered_200_and_stored_as_its_record(runtime: str) -> None:
    operator, admin = token(), token("--role", "admin")
    answers = {name: _post_fixture(runtime, name) for name in ("smb_message_echoes", "history")}
    idle(runtime)
    answers["smb_app_state_sync"] = _post_fixture(runtime, "smb_app_state_sync")
    answers["history_declined"] = _post_fixture(runtime, "history_declined")
    idle(runtime)

    sessions = get(runtime, "/sessions?limit=100", operator)["items"]
    live = next(s for s in sessions if not s["imported"])
    imported = next(s for s in sessions if s["imported"])
    [echo] = get(runtime, f"/sessions/{live['session_id']}/messages", operator)["items"]
    history = get(runtime, f"/sessions/{imported['session_id']}/messages", operator)["items"]
    [contact] = get(runtime, "/contacts", operator)["items"]
    progress = get(runtime, "/channels/wa-demo/history-imports", admin)

    assert answers == dict.fromkeys(answers, 200)
    assert (echo["direction"], echo["sent_from"]) == ("out", "business_app")
    assert live["window_expires_at"] is None
    assert [(m["direction"], m["imported"]) for m in history] == [("in", True), ("out", True)]
    assert imported["status"] == "resolved"
    assert contact["name"] == "Pablo Morales"
    assert progress["status"] == "declined"
    assert progress["chunks"][0]["messages_imported"] == 2


def test_the_runtimes_simulator_emits_an_echo_that_lands(runtime: str) -> None:
    operator = token()
    status, body = api("POST", f"{runtime}/_graph/_coexistence/echo", body={
        "phone_number_id": "106540352242922", "to": "420777444555", "text": "Typed on the phone"})
    idle(runtime)
    sessions = get(runtime, "/sessions?limit=100", operator)["items"]
    found = [m for s in sessions for m in get(runtime, f"/sessions/{s['session_id']}/messages", operator)["items"]
             if m["text"] == "Typed on the phone"]
    assert (status, body) == (200, {"emitted": 1})
    assert [m["sent_from"] for m in found] == ["business_app"]
