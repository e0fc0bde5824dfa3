"""The inbound queue's contract: one variant per channel, told apart by ``kind``."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from switchboard.domain.inbound_queue import EmailEvent, WhatsAppEvent, parse_queued

MAIL = EmailEvent(kind="email", tenant_id="t", channel_id="mail", event_id="m@x", group="mail:a@b",
                  payload={"s3_key": "t/email/raw/x.eml"})
MESSAGE = WhatsAppEvent(kind="message", tenant_id="t", channel_id="wa", event_id="wamid.1", group="wa:1",
                        field="messages", waba_id="W1", payload={"id": "wamid.1"})


def test_an_email_event_on_the_queue_carries_no_whatsapp_fields() -> None:
    assert set(json.loads(MAIL.body())) & {"field", "waba_id", "contact", "metadata", "entry_time"} == set()


def test_an_email_event_comes_off_the_queue_as_an_email_event() -> None:
    assert isinstance(parse_queued(MAIL.body()), EmailEvent)


def test_a_whatsapp_event_comes_off_the_queue_as_a_whatsapp_event() -> None:
    assert parse_queued(MESSAGE.body()) == MESSAGE


def test_a_whatsapp_kind_without_its_whatsapp_fields_is_refused() -> None:
    body = json.loads(MAIL.body()) | {"kind": "message"}
    with pytest.raises(ValidationError):
        parse_queued(json.dumps(body))
