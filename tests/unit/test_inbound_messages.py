"""Every inbound kind of the pywa fixtures becomes the right record: kind, inbox text, content, media,
and the message it refers to."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from switchboard.domain import messages
from switchboard.domain.channels import Channel
from switchboard.inbound.resolution import Sender, plan_inbound
from switchboard.storage.conversations import ThreadView
from switchboard.domain.inbound_queue import WhatsAppEvent

from tests.support.inbound import fixture, messages_of

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
CHANNEL = Channel(tenant_id="t", channel_id="c", kind="whatsapp", name="WA", secret_name="s")

# case -> (kind, inbox text, what the content must hold)
EXPECTED = {
    ("message", "text"): ("text", "Body Text", {"body": "Body Text"}),
    ("message", "image"): ("image", "[image]", {"id": "65463453"}),
    ("message", "video"): ("video", "caption", {"caption": "caption"}),
    ("message", "document"): ("document", "caption", {"filename": "filename.pdf"}),
    ("message", "audio"): ("audio", "[audio]", {"voice": False}),
    ("message", "voice"): ("audio", "[audio]", {"voice": True}),
    ("message", "animated_sticker"): ("sticker", "[sticker]", {"animated": True}),
    ("message", "chosen_location"): ("location", "Facebook HQ", {"name": "Facebook HQ"}),
    ("message", "contacts"): ("contacts", "[contacts] Chandler Bing, Monica, Rachel Green", {}),
    ("message", "order"): ("order", "[order] 3 items", {"catalog_id": "354160437058781"}),
    ("message", "reaction"): ("reaction", "\N{FACE WITH OPEN MOUTH}", {"message_id": "wamid.yzxyzx="}),
    ("message", "unreaction_empty"): ("reaction", "[reaction removed]", {}),
    ("message", "unsupported_with_type"): ("unsupported", "[unsupported]", {"body": {"type": "pool"}}),
    ("callback_button", "button"): ("interactive", "title", {"type": "button_reply"}),
    ("callback_button", "quick_reply"): ("button", "title", {"payload": "callback_data"}),
    ("callback_selection", "description"): ("interactive", "title", {"type": "list_reply"}),
    ("system", "phone_number_change"): ("system", "User A changed from 972987654321 to 972912345678",
                                        {"wa_id": "972912345678"}),
    ("edited_message", "image"): ("edit", "Updated image caption", {}),
    ("deleted_message", "revoke"): ("revoke", "[message deleted]", {}),
}


def _payload(stem: str, case: str) -> dict:
    return messages_of(fixture(stem, case))[0]


@pytest.mark.parametrize(("stem", "case"), list(EXPECTED))
def test_each_kind_is_stored_as_itself_with_its_inbox_text(stem: str, case: str) -> None:
    payload = _payload(stem, case)
    kind, text, content = EXPECTED[(stem, case)]
    assert messages.kind_of(payload) == kind
    assert messages.preview_text(payload) == text
    assert content.items() <= (messages.content_of(payload) or {}).items()


def test_media_starts_pending_with_what_meta_said_about_it() -> None:
    media = messages.media_of(_payload("message", "document"))
    assert media == {"media_id": "1234567890987654321", "status": "pending", "attempts": 0,
                     "mime_type": "application/pdf", "sha256": "grwfwe/ZPx0wAbdfbdeFUNItPZ0RylL8gGUvdt3YFqc18SY=",
                     "filename": "filename.pdf"}
    assert messages.media_of(_payload("message", "voice"))["voice"] is True
    assert messages.media_of(_payload("edited_message", "image"))["media_id"] == "1234567890"
    assert messages.media_of(_payload("message", "text")) is None


def test_a_new_type_meta_invents_is_unsupported_and_keeps_its_body() -> None:
    payload = {"from": "1", "id": "w", "type": "hologram", "hologram": {"depth": 3}}
    assert messages.kind_of(payload) == "unsupported"
    assert messages.content_of(payload) == {"original_type": "hologram", "body": {"depth": 3}}
    assert messages.preview_text(payload) == "[unsupported]"


def test_reactions_edits_and_revokes_name_the_message_they_change() -> None:
    assert messages.target_provider_id(_payload("message", "reaction")) == "wamid.yzxyzx="
    assert messages.target_provider_id(_payload("edited_message", "image")).startswith("wamid.HBgLMTQx")
    assert messages.target_provider_id(_payload("deleted_message", "revoke")) == "<ORIGINAL_WHATSAPP_MESSAGE_ID>"
    assert messages.changed_number(_payload("system", "phone_number_change")) == "972912345678"
    assert messages.changed_number(_payload("system", "identity_change")) is None


def _event(payload: dict, contact: dict | None = None) -> WhatsAppEvent:
    return WhatsAppEvent(kind="message", tenant_id="t", channel_id="c", event_id=payload["id"], group="g",
                       field="messages", waba_id="w", payload=payload, contact=contact)


def test_a_sender_with_only_a_business_scoped_id_gets_a_thread_of_its_own() -> None:
    event = _event({"from_user_id": "US.1", "id": "wamid.B1", "type": "text", "text": {"body": "hi"}},
                   {"user_id": "US.1", "profile": {"name": "No Phone"}})
    record, _ = plan_inbound(event, CHANNEL, Sender.of(event), ThreadView(None, {}), NOW)
    assert record.address == "US.1" and record.claim_identifiers == [("bsuid", "US.1")]
    assert record.new_contact is not None and record.new_contact["phones"] == []


def test_a_later_message_with_both_ids_joins_the_bsuid_thread_and_aliases_the_phone() -> None:
    event = _event({"from": "420777123456", "from_user_id": "US.1", "id": "wamid.B2", "type": "text",
                    "text": {"body": "hi"}}, {"wa_id": "420777123456", "user_id": "US.1"})
    pointer = {"contact_id": "C1", "session_id": "S1", "session_status": "open"}
    view = ThreadView(pointer, {("bsuid", "US.1"): "C1"}, pointer_address="US.1", addresses_seen=frozenset({"US.1"}))
    record, _ = plan_inbound(event, CHANNEL, Sender.of(event), view, NOW)
    assert (record.contact_id, record.session_id, record.address) == ("C1", "S1", "US.1")
    assert record.alias_addresses == ["420777123456"]
    assert set(record.claim_identifiers) == {("wa", "420777123456"), ("phone", "+420777123456")}


def test_a_number_change_claims_the_new_number_and_moves_the_pointer() -> None:
    payload = _payload("system", "phone_number_change")
    pointer = {"contact_id": "C1", "session_id": "S1", "session_status": "open"}
    view = ThreadView(pointer, {("wa", "972987654321"): "C1", ("phone", "+972987654321"): "C1"},
                      pointer_address="972987654321", addresses_seen=frozenset({"972987654321"}))
    record, _ = plan_inbound(_event(payload), CHANNEL, Sender.of(_event(payload)), view, NOW)
    assert ("wa", "972912345678") in record.claim_identifiers
    assert ("phone", "+972912345678") in record.claim_identifiers
    assert record.moved_pointer is not None and record.moved_pointer["pk"].endswith("#972912345678")
    assert record.moved_pointer["session_id"] == "S1" and record.pointer_fields["alias_of"] == "972912345678"
    assert record.contact_additions["phones"] == ["+972912345678"]
