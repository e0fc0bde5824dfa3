"""Conversation search over real HTTP against `python -m infra.local`: a customer's message and an operator's
note become searchable once the runtime's conversation_index rule has run (the bus, its rule, the function)."""

from __future__ import annotations

import time

from tests.support.runtime import api, http, idle, token
from tests.support.whatsapp import envelope, signed, text_message


def test_a_message_and_a_note_are_found_by_their_words(runtime: str) -> None:
    operator = token()
    raw, headers = signed(envelope([text_message(sender="420777900900", body="Kde je moje zásilka Zéta-77?",
                                                 wamid="wamid.E2ESEARCH1", timestamp=int(time.time()))]))
    assert http("POST", f"{runtime}/webhooks/whatsapp", raw, headers)[0] == 200
    idle(runtime, 30)

    status, page = api("GET", f"{runtime}/sessions?q=zasilk%20zeta", operator)
    assert status == 200, page
    assert [s["last_message"]["text"] for s in page["items"]] == ["Kde je moje zásilka Zéta-77?"]

    session_id = page["items"][0]["session_id"]
    assert api("POST", f"{runtime}/sessions/{session_id}/notes", operator, {"text": "Kurýr volal"})[0] == 201
    idle(runtime, 30)

    assert [s["session_id"] for s in api("GET", f"{runtime}/sessions?q=kuryr", operator)[1]["items"]] == [session_id]
