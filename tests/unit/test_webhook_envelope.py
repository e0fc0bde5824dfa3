"""Given a WhatsApp webhook body, the receiver verifies it and splits it into ordered queue events."""

from __future__ import annotations

import json

import pytest

from switchboard.errors import InvalidInput
from switchboard.whatsapp import signature
from switchboard.whatsapp.envelope import parse_envelope, split_change
from tests.support.whatsapp import envelope, status, text_message


def test_signature_over_raw_bytes_matches_meta_form() -> None:
    raw = '{"a":"\\u00e4"}'.encode()
    header = signature.sign(raw, "secret")
    assert header.startswith("sha256=") and len(header) == 7 + 64
    assert signature.is_valid(raw, header, "secret")
    assert signature.is_valid(raw, header.upper().replace("SHA256=", "sha256="), "secret")


@pytest.mark.parametrize("header", ["sha256=" + "0" * 64, "md5=abc", "", "sha256="])
def test_wrong_signatures_are_refused(header: str) -> None:
    assert not signature.is_valid(b"{}", header, "secret")


def test_re_serialised_body_does_not_verify() -> None:
    """Hashing json.dumps(json.loads(raw)) instead of the raw bytes is the classic mistake."""
    raw = '{"text": "äöå"}'.encode()
    header = signature.sign(raw, "secret")
    assert not signature.is_valid(json.dumps(json.loads(raw)).encode(), header, "secret")


@pytest.mark.parametrize("body, field", [
    (b"not json", "body"),
    (b'{"object": "page", "entry": [{"id": "1"}]}', "object"),
    (b'{"object": "whatsapp_business_account", "entry": []}', "entry"),
])
def test_a_body_that_is_not_an_envelope_is_invalid_input(body: bytes, field: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_envelope(body)
    assert error.value.field is not None
    assert error.value.field.startswith(field) or field == "body"


def test_messages_and_statuses_become_events_grouped_by_sender() -> None:
    first = text_message(sender="420777000001", wamid="wamid.1")
    second = text_message(sender="420777000002", wamid="wamid.2", name="Other")
    body = envelope([first, second], [status("wamid.out", "delivered", recipient="420777000001")])
    parsed = parse_envelope(json.dumps(body).encode())
    entry = parsed.entry[0]
    events = split_change(entry, entry.changes[0], "t1", "ch1")

    assert [(e.kind, e.group, e.dedup_id) for e in events] == [
        ("message", "ch1:420777000001", "wamid.1"),
        ("message", "ch1:420777000002", "wamid.2"),
        ("status", "ch1:420777000001", "wamid.out:delivered"),
    ]
    assert events[1].contact == {"wa_id": "420777000002", "profile": {"name": "Other"}}
    assert events[0].payload["text"] == {"body": "Does it come in another color?"}


def test_unknown_fields_travel_whole_and_dedup_ids_stay_short() -> None:
    body = envelope([text_message(wamid="wamid." + "x" * 300)])
    body["entry"][0]["changes"][0]["value"]["brand_new_field"] = {"a": 1}
    body["entry"][0]["changes"].append({"field": "account_update", "value": {"event": "VERIFIED"}})
    entry = parse_envelope(json.dumps(body).encode()).entry[0]
    message_event = split_change(entry, entry.changes[0], "t", "c")[0]
    field_event = split_change(entry, entry.changes[1], "t", "c")[0]
    assert len(message_event.dedup_id) <= 128
    assert field_event.kind == "field" and field_event.payload == {"event": "VERIFIED"}
