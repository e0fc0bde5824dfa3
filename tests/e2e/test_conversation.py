"""A whole conversation over real HTTP against `python -m infra.local`, Meta played by the Graph API
simulator: a customer writes, an operator answers and watches the ticks (sent, delivered, read) arrive as
signed status webhooks, resolves the session; 25 hours later free text is refused, a reopen with a
template goes out, the customer replies and free text works again."""

from __future__ import annotations

import time

from tests.support.runtime import api, http, idle, token
from tests.support.whatsapp import DEMO_WABA_ID, envelope, signed, text_message


def _customer_writes(runtime: str, text: str, wamid: str, at: int) -> None:
    raw, headers = signed(envelope([text_message(body=text, wamid=wamid, timestamp=at)]))
    assert http("POST", f"{runtime}/webhooks/whatsapp", raw, headers)[0] == 200
    idle(runtime, 30)


def _ticks_until_read(runtime: str, token: str, session_id: str, message_id: str) -> list[str]:
    """The statuses an inbox sees, polled as a frontend would, until the message is read."""
    seen: list[str] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        items = api("GET", f"{runtime}/sessions/{session_id}/messages", token)[1]["items"]
        status = next(m["status"] for m in items if m["message_id"] == message_id)
        if not seen or seen[-1] != status:
            seen.append(status)
        if status == "read":
            return seen
        time.sleep(0.05)
    raise AssertionError(f"the message never got to read: {seen}")


def test_a_conversation_through_the_24_hour_window(runtime: str) -> None:
    operator, admin = token(), token("--role", "admin")
    now = int(time.time())

    # a customer writes; the operator takes the session and answers
    _customer_writes(runtime, "Is my order on its way?", "wamid.E2ECONV1", now)
    session = next(s for s in api("GET", f"{runtime}/sessions", operator)[1]["items"]
                   if s["last_message"]["text"] == "Is my order on its way?")
    sid = session["session_id"]
    assert api("POST", f"{runtime}/sessions/{sid}/assign", operator, {"operator_id": "demo-operator"})[0] == 200
    assert api("POST", f"{runtime}/sessions/{sid}/read", operator)[1]["unread_count"] == 0
    status, reply = api("POST", f"{runtime}/sessions/{sid}/messages", operator, {"text": "Yes, it ships today."})
    assert status == 202 and reply["status"] == "queued"

    # the ticks move: sent, then delivered, then read (the simulator's signed status webhooks)
    ticks = _ticks_until_read(runtime, operator, sid, reply["message_id"])
    assert ticks[-1] == "read" and set(ticks) <= {"queued", "sent", "delivered", "read"}
    message = next(m for m in api("GET", f"{runtime}/sessions/{sid}/messages", operator)[1]["items"]
                   if m["message_id"] == reply["message_id"])
    assert set(message["statuses"]) == {"queued", "sent", "delivered", "read"}
    assert message["provider_message_id"].startswith("wamid.")

    # resolved
    status, resolved = api("POST", f"{runtime}/sessions/{sid}/resolve", operator, {"outcome": "answered"})
    assert status == 200 and resolved["status"] == "resolved"

    # 25 hours later the window is closed: free text is refused
    assert api("POST", f"{runtime}/_local/clock", body={"advance_seconds": 90000})[0] == 200
    status, refused = api("POST", f"{runtime}/sessions/{sid}/messages", operator, {"text": "Anything else?"})
    assert (status, refused["code"]) == (409, "window_closed")

    # an approved template (created at "Meta", synced) reopens it; the session waits for the customer
    status, _ = api("POST", f"{runtime}/_graph/v25.0/{DEMO_WABA_ID}/message_templates", "demo-access-token", {
        "name": "order_followup", "language": "en_US", "category": "UTILITY",
        "components": [{"type": "BODY", "text": "Hi {{1}}, how was your order?"}]})
    assert status == 200
    assert api("POST", f"{runtime}/templates/sync", admin)[0] in (200, 202)
    idle(runtime, 30)
    status, reopened = api("POST", f"{runtime}/sessions/{sid}/reopen", operator, {"template": {
        "name": "order_followup", "language": "en_US", "parameters": ["Sheena"]}})
    assert status == 200, reopened
    assert reopened["session"]["status"] == "awaiting_customer"
    assert reopened["message"]["text"] == "Hi Sheena, how was your order?"
    assert _ticks_until_read(runtime, operator, sid, reopened["message"]["message_id"])[-1] == "read"
    status, refused = api("POST", f"{runtime}/sessions/{sid}/messages", operator, {"text": "Hello?"})
    assert (status, refused["code"]) == (409, "awaiting_customer")

    # the customer replies: the session is open and free text goes out again
    _customer_writes(runtime, "It was great, thanks", "wamid.E2ECONV2", now + 90000)
    assert api("GET", f"{runtime}/sessions/{sid}", operator)[1]["status"] == "open"
    status, again = api("POST", f"{runtime}/sessions/{sid}/messages", operator, {"text": "Glad to hear it!"})
    assert status == 202
    assert _ticks_until_read(runtime, operator, sid, again["message_id"])[-1] == "read"
    stats = api("GET", f"{runtime}/_graph/_stats")[1]
    assert stats["sent_more_than_once"] == [] and stats["read_receipts"] >= 1
