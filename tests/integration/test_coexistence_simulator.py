"""The local Graph simulator emits the coexistence webhooks as Meta signs and sends them, and the webhook
takes them: an echo, a history of three phases in chunks, a refusal, the address book (docs/coexistence.md)."""

from __future__ import annotations

import json

import pytest

from infra.local.graph_simulator import GraphSimulator
from tests.support.whatsapp import DEMO_PHONE_NUMBER_ID, envelope, text_message


@pytest.fixture
def simulator(api, demo) -> GraphSimulator:
    answers: list[int] = []

    def deliver(raw: bytes, headers: dict[str, str]) -> None:
        answers.append(api.call("POST", "/webhooks/whatsapp", raw, headers=headers)[0])

    sim = GraphSimulator(deliver=deliver)
    sim.answers = answers  # type: ignore[attr-defined]
    return sim


def _sessions(api, token) -> list[dict]:
    return api.call("GET", "/sessions?limit=100", token=token)[1]["items"]


def test_the_simulators_echo_lands_as_sent_from_the_app(api, simulator, process_inbound, operator_token) -> None:
    assert simulator.emit_coexistence("echo", DEMO_PHONE_NUMBER_ID, to="420777000111", text="From my phone") == 1
    process_inbound()
    [session] = _sessions(api, operator_token)
    [message] = api.call("GET", f"/sessions/{session['session_id']}/messages", token=operator_token)[1]["items"]
    assert simulator.answers == [200]
    assert message["sent_from"] == "business_app"


def test_the_simulators_history_comes_in_phases_and_chunks_and_completes(
        api, simulator, process_inbound, admin_token) -> None:
    chats = {f"42077700{c:04d}": [{"from_customer": i % 2 == 0, "text": f"m{i}", "days_ago": 0.5 + i * 3}
                                  for i in range(60)] for c in range(3)}
    emitted = simulator.emit_coexistence("history", DEMO_PHONE_NUMBER_ID, chats=chats, chunk_messages=50)
    process_inbound()
    view = api.call("GET", "/channels/wa-demo/history-imports", token=admin_token)[1]
    assert simulator.answers == [200] * emitted
    assert {c["phase"] for c in view["chunks"]} == {0, 1, 2}
    assert view["status"] == "complete"
    assert view["messages_imported"] == 180


def test_the_simulators_refusal_and_address_book(api, simulator, process_inbound, admin_token,
                                                operator_token) -> None:
    raw, headers = _signed_text("420777000222")
    api.call("POST", "/webhooks/whatsapp", raw, headers=headers)
    process_inbound()
    simulator.emit_coexistence("history_declined", DEMO_PHONE_NUMBER_ID)
    simulator.emit_coexistence("state_sync", DEMO_PHONE_NUMBER_ID,
                               contacts=[{"phone_number": "420777000222", "full_name": "Jana Nováková"}])
    process_inbound()
    assert api.call("GET", "/channels/wa-demo/history-imports", token=admin_token)[1]["status"] == "declined"
    [contact] = api.call("GET", "/contacts", token=operator_token)[1]["items"]
    assert contact["name"] == "Jana Nováková"


def test_the_control_endpoint_emits_and_refuses_an_unknown_kind(api, simulator, process_inbound) -> None:
    ok = simulator.handle("POST", "/_coexistence/echo", {}, {}, json.dumps(
        {"phone_number_id": DEMO_PHONE_NUMBER_ID, "to": "420777000333", "text": "hi"}).encode())
    bad = simulator.handle("POST", "/_coexistence/calls", {}, {}, json.dumps(
        {"phone_number_id": DEMO_PHONE_NUMBER_ID}).encode())
    assert json.loads(ok.body) == {"emitted": 1}
    assert bad.status == 400


def _signed_text(sender: str) -> tuple[bytes, dict[str, str]]:
    from tests.support.whatsapp import signed

    raw, headers = signed(envelope([text_message(sender=sender, wamid=f"wamid.SIMTXT{sender}", name="jana")]))
    return raw, headers


def test_the_simulators_recent_media_follows_the_history_and_is_fetched_from_it(
        api, demo, process_inbound, operator_token, monkeypatch) -> None:
    from tests.support.outbound import simulator_server

    with simulator_server(api.gateway, monkeypatch) as sim:
        media_id = sim.add_media(b"\xff\xd8\xff" + bytes(300), "image/jpeg")
        chats = {"420777000444": [{"text": "old photo", "days_ago": 30, "media_id": "gone"},
                                  {"text": "new photo", "days_ago": 2, "media_id": media_id}]}
        emitted = sim.emit_coexistence("history", DEMO_PHONE_NUMBER_ID, chats=chats)
        process_inbound()
    [session] = _sessions(api, operator_token)
    messages = api.call("GET", f"/sessions/{session['session_id']}/messages", token=operator_token)[1]["items"]
    assert emitted == 2  # phase 1 (days 1-90), then the recent media
    assert [(m["text"], m["kind"]) for m in messages] == [("[unsupported]", "unsupported"), ("new photo", "image")]
    assert messages[1]["media"]["status"] == "available"
