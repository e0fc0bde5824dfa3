"""Conversation search over real HTTP against `python -m infra.local`: a customer's message and an operator's
note become searchable once the runtime's conversation_index rule has run (the bus, its rule, the function)."""

from __future__ import annotations

import json
import time

from tests.e2e.test_conversation import _api
from tests.e2e.test_local_runtime import _http, _token, runtime  # noqa: F401 - the runtime fixture
from tests.support.whatsapp import envelope, signed, text_message


def _idle(runtime: str) -> None:  # noqa: F811
    assert json.loads(_http("POST", f"{runtime}/_local/idle?timeout=30")[1])["idle"] is True


def test_a_message_and_a_note_are_found_by_their_words(runtime: str) -> None:  # noqa: F811
    operator = _token()
    raw, headers = signed(envelope([text_message(sender="420777900900", body="Kde je moje zásilka Zéta-77?",
                                                 wamid="wamid.E2ESEARCH1", timestamp=int(time.time()))]))
    assert _http("POST", f"{runtime}/webhooks/whatsapp", raw, headers)[0] == 200
    _idle(runtime)

    status, page = _api("GET", f"{runtime}/sessions?q=zasilk%20zeta", operator)
    assert status == 200, page
    assert [s["last_message"]["text"] for s in page["items"]] == ["Kde je moje zásilka Zéta-77?"]

    session_id = page["items"][0]["session_id"]
    assert _api("POST", f"{runtime}/sessions/{session_id}/notes", operator, {"text": "Kurýr volal"})[0] == 201
    _idle(runtime)

    assert [s["session_id"] for s in _api("GET", f"{runtime}/sessions?q=kuryr", operator)[1]["items"]] == [session_id]
