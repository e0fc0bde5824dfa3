"""A customer (or an operator) types a card number into a conversation: what is stored and shown keeps
only its last four digits, on WhatsApp and email alike, in the message's text, the session's last
message and the raw provider payload. Order ids, phone numbers and digit runs that fail the Luhn check
stay exactly as written."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from boto3.dynamodb.conditions import Key
from switchboard import clock
from switchboard.services import services
from switchboard.storage import keys, payloads

from tests.support.email import mail, mailgun_post
from tests.support.outbound import graph_refuses
from tests.support.whatsapp import envelope, signed, text_message

CARD_SPACES, CARD_DASHES, AMEX = "4111 1111 1111 1111", "5500-0000-0000-0004", "378282246310005"
KEPT = ["order 2024112100123", "call +420 777 123 456", "4111 1111 1111 1112"]  # no Luhn / a phone / no Luhn
TYPED = f"my card is {CARD_SPACES}, or {CARD_DASHES}, or {AMEX}; " + "; ".join(KEPT)
SHOWN = "my card is ••••••••••••1111, or ••••••••••••0004, or •••••••••••0005; " + "; ".join(KEPT)
CARD_DIGITS = ["4111111111111111", "5500000000000004", "378282246310005"]


@pytest.fixture(autouse=True)
def no_graph() -> Iterator[None]:
    """Media lookups for the captioned image answer 404: no request leaves the machine."""
    with graph_refuses(404, 100, "unknown media"):
        yield


def _stored_messages(session_id: str) -> list[dict]:
    return services().table.query(KeyConditionExpression=Key("pk").eq(keys.session_partition("demo", session_id))
                                  & Key("sk").begins_with("M#"))["Items"]


def _no_card_digits(item: dict) -> None:
    readable = {**{k: v for k, v in item.items() if k != "raw_z"}, "payload": payloads.payload_of(item)}
    flat = re.sub(r"[ -]", "", json.dumps(readable, default=str, ensure_ascii=False))
    for digits in CARD_DIGITS:
        assert digits not in flat


def test_a_card_number_in_a_whatsapp_text_is_masked_everywhere(api, demo, process_inbound, operator_token) -> None:
    raw, headers = signed(envelope([text_message(body=TYPED, wamid="wamid.CARD1", sender="16505551234")]))
    assert api.call("POST", "/webhooks/whatsapp", raw, headers=headers)[0] == 200
    assert process_inbound() == 1

    session = api.call("GET", "/sessions", token=operator_token)[1]["items"][0]
    assert session["last_message"]["text"].startswith(SHOWN[:60])
    shown = api.call("GET", f"/sessions/{session['session_id']}/messages", token=operator_token)[1]["items"]
    assert [m["text"] for m in shown] == [SHOWN]
    [stored] = _stored_messages(session["session_id"])
    assert payloads.payload_of(stored)["text"]["body"] == SHOWN
    assert payloads.payload_of(stored)["from"] == "16505551234"  # the sender's digits are an identifier, kept
    _no_card_digits(stored)
    _no_card_digits(services().table.get(keys.session("demo", session["session_id"])))


def test_a_card_number_in_an_image_caption_is_masked(api, demo, process_inbound, operator_token) -> None:
    message = {"from": "16505551234", "id": "wamid.CARD2", "timestamp": "1749416383", "type": "image",
               "image": {"id": "1479537139650973", "mime_type": "image/jpeg", "sha256": "abc",
                         "caption": f"receipt for {CARD_DASHES}"}}
    raw, headers = signed(envelope([{"contact": {"profile": {"name": "Sheena"}, "wa_id": "16505551234"},
                                     "message": message}]))
    assert api.call("POST", "/webhooks/whatsapp", raw, headers=headers)[0] == 200
    process_inbound()

    session = api.call("GET", "/sessions", token=operator_token)[1]["items"][0]
    assert session["last_message"]["text"] == "receipt for ••••••••••••0004"
    [stored] = _stored_messages(session["session_id"])
    assert stored["text"] == "receipt for ••••••••••••0004"
    assert payloads.payload_of(stored)["image"]["id"] == "1479537139650973"
    _no_card_digits(stored)


def test_a_card_number_an_operator_types_is_masked_before_it_is_stored(api, demo, process_inbound,
                                                                       operator_token) -> None:
    raw, headers = signed(envelope([text_message(body="hi", wamid="wamid.CARD3",
                                                 timestamp=int(clock.now().timestamp()))]))
    api.call("POST", "/webhooks/whatsapp", raw, headers=headers)
    process_inbound()
    sid = api.call("GET", "/sessions", token=operator_token)[1]["items"][0]["session_id"]

    status, sent = api.call("POST", f"/sessions/{sid}/messages", {"text": f"we charged {AMEX}, order 2024112100123"},
                            token=operator_token)
    assert status == 202 and sent["text"] == "we charged •••••••••••0005, order 2024112100123"
    session = api.call("GET", f"/sessions/{sid}", token=operator_token)[1]
    assert session["last_message"]["text"] == "we charged •••••••••••0005, order 2024112100123"
    outbound = [m for m in _stored_messages(sid) if m["direction"] == "out"]
    assert len(outbound) == 1
    assert json.loads(outbound[0]["graph_payload"])["to"] == "+16505551234"
    _no_card_digits(outbound[0])


def test_a_card_number_in_an_email_body_is_masked(api, demo, process_inbound, operator_token) -> None:
    body, headers = mailgun_post(mail(subject=f"Card {CARD_SPACES}", text=TYPED))
    assert api.call("POST", "/webhooks/email/mail-demo", body, headers=headers)[0] == 200
    process_inbound()

    session = api.call("GET", "/sessions?channel_id=mail-demo", token=operator_token)[1]["items"][0]
    [message] = api.call("GET", f"/sessions/{session['session_id']}/messages", token=operator_token)[1]["items"]
    assert message["text"].strip() == SHOWN
    assert session["last_message"]["text"].strip().startswith(SHOWN[:60])
    [stored] = _stored_messages(session["session_id"])
    _no_card_digits(stored)
