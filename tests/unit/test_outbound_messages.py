"""What the worker sends to Meta for each kind of request, and when the rules refuse a send."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from switchboard.clients.graph import GraphError
from switchboard.errors import Conflict, InvalidInput
from switchboard.outbound import building, media, rules
from switchboard.outbound.models import SendMessageRequest, StartSessionRequest
from switchboard.outbound.worker import backoff_seconds, error_of

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def test_a_whatsapp_id_becomes_e164_and_a_business_scoped_id_a_recipient() -> None:
    assert building.recipient("16505551234") == {"to": "+16505551234"}
    assert building.recipient("US.13491208655302741918") == {"recipient": "US.13491208655302741918"}


def test_text_with_a_link_preview_quoting_a_message() -> None:
    out = building.whatsapp_message(SendMessageRequest(text="See https://x.example", preview_url=True),
                                    "420777123456", reply_to_provider_id="wamid.IN1")
    assert out.kind == "text" and out.text == "See https://x.example"
    assert out.graph == {"to": "+420777123456", "type": "text", "context": {"message_id": "wamid.IN1"},
                         "text": {"body": "See https://x.example", "preview_url": True}}


def test_a_document_keeps_its_caption_and_file_name_and_waits_for_its_media_id() -> None:
    out = building.whatsapp_message(SendMessageRequest(media={"key": "tenants/t/outbound/s/1/invoice.pdf",
                                                              "caption": "Invoice"}), "1555", media_kind="document")
    assert out.graph["document"] == {"caption": "Invoice", "filename": "invoice.pdf"}
    assert out.extra == {"media_key": "tenants/t/outbound/s/1/invoice.pdf"} and out.text == "Invoice"


def test_a_list_message_in_metas_shape() -> None:
    request = SendMessageRequest(interactive={"type": "list", "body": "Pick", "button": "Options", "footer": "f",
                                              "sections": [{"title": "A", "rows": [{"id": "1", "title": "One"}]}]})
    graph = building.whatsapp_message(request, "1555").graph["interactive"]
    assert graph == {"type": "list", "body": {"text": "Pick"}, "footer": {"text": "f"},
                     "action": {"button": "Options", "sections": [{"title": "A", "rows": [{"id": "1", "title": "One"}]}]}}


@pytest.mark.parametrize("body", [
    {},
    {"text": "x", "template": {"name": "t", "language": "en"}},
    {"interactive": {"type": "button", "body": "b", "buttons": [{"id": "1", "title": "same"},
                                                                {"id": "2", "title": "same"}]}},
    {"interactive": {"type": "button", "body": "b", "buttons": [{"id": "1", "title": "x" * 21}]}},
    {"interactive": {"type": "list", "body": "b", "button": "Go",
                     "sections": [{"rows": [{"id": str(i), "title": "r"} for i in range(6)]},
                                  {"rows": [{"id": str(i), "title": "r"} for i in range(6, 12)]}]}},
    {"text": "x" * 4097},
])
def test_requests_whatsapp_would_refuse_are_invalid(body: dict) -> None:
    with pytest.raises(ValidationError):
        SendMessageRequest.model_validate(body)


def test_a_new_session_names_a_phone_or_a_contact_not_both() -> None:
    template = {"name": "t", "language": "en"}
    with pytest.raises(ValidationError):
        StartSessionRequest.model_validate({"channel_id": "c", "phone": "+1", "contact_id": "x", "template": template})
    assert StartSessionRequest.model_validate({"channel_id": "c", "contact_id": "x", "template": template})


def test_the_window_is_24_hours_after_the_customers_last_message() -> None:
    assert rules.window_open(NOW - timedelta(hours=23, minutes=59), NOW)
    assert not rules.window_open(NOW - timedelta(hours=24), NOW)
    assert not rules.window_open(None, NOW)


@pytest.mark.parametrize("status, inbound_hours_ago, free_form, code", [
    ("open", 1, True, None),
    ("open", 25, True, "window_closed"),
    ("open", 25, False, None),
    ("awaiting_customer", 30, True, "awaiting_customer"),
    ("awaiting_customer", 30, False, None),
    ("resolved", 1, True, "session_resolved"),
    ("resolved", 25, True, "window_closed"),
])
def test_what_may_be_sent_in_a_session(status: str, inbound_hours_ago: int, free_form: bool,
                                       code: str | None) -> None:
    session = {"status": status}
    pointer = {"last_inbound_at": (NOW - timedelta(hours=inbound_hours_ago)).isoformat()}
    if code is None:
        rules.check_send(session, pointer, "whatsapp", free_form, NOW)
    else:
        with pytest.raises(Conflict) as refused:
            rules.check_send(session, pointer, "whatsapp", free_form, NOW)
        assert refused.value.code == code


def test_email_has_no_window() -> None:
    rules.check_send({"status": "open"}, None, "email", True, NOW)


def test_whatsapp_file_limits_and_a_tenants_own_list() -> None:
    assert media.media_type("image/jpeg", 5 * 1024 * 1024, None).kind == "image"
    with pytest.raises(InvalidInput) as too_big:
        media.media_type("image/png", 5 * 1024 * 1024 + 1, None)
    assert too_big.value.field == "size"
    with pytest.raises(InvalidInput):
        media.media_type("application/pdf", 10, ["image/jpeg"])
    assert media.upload_key("t1", "s1", "../../etc/passwd").startswith("tenants/t1/outbound/s1/")
    assert not media.belongs_to("tenants/t2/outbound/s/x", "t1")


def test_retryable_graph_errors_back_off_and_permanent_ones_keep_metas_code() -> None:
    throttled, pair, undeliverable = (GraphError(400, 130429, "(#130429) Rate limit hit"),
                                      GraphError(400, 131056, "pair"), GraphError(400, 131026, "undeliverable",
                                                                                  "Message Undeliverable."))
    assert throttled.retryable and pair.retryable and not undeliverable.retryable
    assert [backoff_seconds(throttled, n) for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert [backoff_seconds(pair, n) for n in (1, 2, 3)] == [1, 4, 16]
    assert error_of(undeliverable) == {"code": 131026, "title": "undeliverable", "details": "Message Undeliverable."}
    assert not any(GraphError(400, code, "x").retryable for code in (131047, 132000, 132001, 100, 190, 368))
