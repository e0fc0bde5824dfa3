"""A template send is checked against the template before anything is sent: every kind of component
becomes the Graph API object Meta documents (reference §4), with the text the customer sees; every
mistake is refused naming the parameter; only APPROVED templates go out."""

from __future__ import annotations

from typing import Any

import pytest
from switchboard.errors import Conflict, InvalidInput
from switchboard.templates.rendering import prepare_template_send

from tests.support.templates import coupon_reminder, reservation_confirmation, stored


def template(components: list[dict[str, Any]], parameter_format: str = "POSITIONAL", **fields: Any) -> dict:
    return stored({"name": "t", "language": "en_US", "status": "APPROVED", "parameter_format": parameter_format,
                   "components": components, **fields})


BODY_2 = {"type": "BODY", "text": "Hi {{1}}, order {{2}} shipped."}
COUPON = stored(coupon_reminder())
RESERVATION = stored(reservation_confirmation())
LOCATION = template([{"type": "HEADER", "format": "LOCATION"}, {"type": "BODY", "text": "We moved!"}])
VIDEO = template([{"type": "HEADER", "format": "VIDEO"}, {"type": "BODY", "text": "See how."}])
DOCUMENT = template([{"type": "HEADER", "format": "DOCUMENT"}, {"type": "BODY", "text": "Your invoice."}])
COPY_CODE = template([{"type": "BODY", "text": "Use {{1}} at checkout."},
                      {"type": "BUTTONS", "buttons": [{"type": "COPY_CODE", "text": "Copy offer code"},
                                                      {"type": "QUICK_REPLY", "text": "Stop promotions"}]}])
NAMED_HEADER = template([{"type": "HEADER", "format": "TEXT", "text": "Hello {{first_name}}"},
                         {"type": "BODY", "text": "Order {{order_id}} is ready."}], "NAMED")
STATIC = template([{"type": "BODY", "text": "Thanks for your message."}, {"type": "FOOTER", "text": "Team"}])
OTP = template([{"type": "BODY", "text": "{{1}} is your verification code."},
                {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE", "text": "Copy code"}]}],
               category="AUTHENTICATION")


# --- a send of each component kind -------------------------------------------------------------------

def test_text_header_positional_body_url_suffix_and_quick_reply_payload() -> None:
    graph, text = prepare_template_send(COUPON, {
        "header": ["Pablo"], "body": ["SUMMER20", "10"],
        "buttons": [{"index": 0, "sub_type": "url", "value": "summer-2026"},
                    {"index": 1, "sub_type": "quick_reply", "value": "UNSUB:cust-123"}]})

    assert graph == {"name": "coupon_expiration_reminder", "language": {"code": "en"}, "components": [
        {"type": "header", "parameters": [{"type": "text", "text": "Pablo"}]},
        {"type": "body", "parameters": [{"type": "text", "text": "SUMMER20"}, {"type": "text", "text": "10"}]},
        {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "summer-2026"}]},
        {"type": "button", "sub_type": "quick_reply", "index": "1",
         "parameters": [{"type": "payload", "payload": "UNSUB:cust-123"}]}]}
    assert text == ("Act fast, Pablo!\n\nYour coupon code, SUMMER20, *expires in only 10 days!*\n\n"
                    "Lucky Shrub Succulents\n\n[See deals] https://www.luckyshrub.com/deals/summer-2026\n[Unsubscribe]")


def test_image_header_by_link_and_named_body() -> None:
    graph, text = prepare_template_send(RESERVATION, {
        "header": {"type": "image", "link": "https://cdn.example.com/table.png"},
        "body": {"day": "Saturday", "number_of_guests": "4"}})

    assert graph["components"] == [
        {"type": "header", "parameters": [{"type": "image", "image": {"link": "https://cdn.example.com/table.png"}}]},
        {"type": "body", "parameters": [{"type": "text", "parameter_name": "number_of_guests", "text": "4"},
                                        {"type": "text", "parameter_name": "day", "text": "Saturday"}]}]
    assert text == ("[image]\n\nYour reservation for 4 on Saturday is confirmed.\n\n"
                    "[Call us] +16467043595")


def test_video_header_by_media_id_and_document_header_with_filename() -> None:
    graph, text = prepare_template_send(VIDEO, {"header": {"id": "1013859600285441"}})
    assert graph["components"] == [{"type": "header", "parameters": [
        {"type": "video", "video": {"id": "1013859600285441"}}]}]
    assert text == "[video]\n\nSee how."

    graph, text = prepare_template_send(DOCUMENT, {"header": {"type": "document", "link": "https://x.example/i.pdf",
                                                              "filename": "invoice-42.pdf"}})
    assert graph["components"][0]["parameters"] == [
        {"type": "document", "document": {"link": "https://x.example/i.pdf", "filename": "invoice-42.pdf"}}]
    assert text.startswith("[document: invoice-42.pdf]")


def test_location_header() -> None:
    graph, text = prepare_template_send(LOCATION, {"header": {
        "latitude": 37.44211676562361, "longitude": -122.16155960083124, "name": "Philz Coffee",
        "address": "101 Forest Ave, Palo Alto, CA 94301"}})

    assert graph["components"] == [{"type": "header", "parameters": [{"type": "location", "location": {
        "latitude": "37.44211676562361", "longitude": "-122.16155960083124", "name": "Philz Coffee",
        "address": "101 Forest Ave, Palo Alto, CA 94301"}}]}]
    assert text == "[location: Philz Coffee, 101 Forest Ave, Palo Alto, CA 94301]\n\nWe moved!"


def test_copy_code_button_and_an_optional_quick_reply_left_out() -> None:
    graph, text = prepare_template_send(COPY_CODE, {"body": ["25OFF"],
                                                    "buttons": [{"index": 0, "sub_type": "copy_code", "value": "25OFF"}]})

    assert graph["components"] == [
        {"type": "body", "parameters": [{"type": "text", "text": "25OFF"}]},
        {"type": "button", "sub_type": "copy_code", "index": "0",
         "parameters": [{"type": "coupon_code", "coupon_code": "25OFF"}]}]
    assert text == "Use 25OFF at checkout.\n\n[Copy offer code] 25OFF\n[Stop promotions]"


def test_named_text_header() -> None:
    graph, text = prepare_template_send(NAMED_HEADER, {"header": {"first_name": "Jessica"},
                                                       "body": {"order_id": "SKBUP2"}})
    assert graph["components"][0] == {"type": "header", "parameters": [
        {"type": "text", "parameter_name": "first_name", "text": "Jessica"}]}
    assert text == "Hello Jessica\n\nOrder SKBUP2 is ready."
    bare, _ = prepare_template_send(NAMED_HEADER, {"header": "Jessica", "body": {"order_id": "SKBUP2"}})
    assert bare == graph


def test_a_template_without_parameters_and_the_body_shorthand() -> None:
    graph, text = prepare_template_send(STATIC, None)
    assert graph == {"name": "t", "language": {"code": "en_US"}, "components": []}
    assert text == "Thanks for your message.\n\nTeam"

    graph, _ = prepare_template_send(template([BODY_2]), ["Ana", "A-1"])
    assert [p["text"] for p in graph["components"][0]["parameters"]] == ["Ana", "A-1"]


def test_an_authentication_code_travels_as_a_url_button_parameter() -> None:
    graph, _ = prepare_template_send(OTP, {"body": ["482913"], "buttons": [{"index": 0, "value": "482913"}]})
    assert graph["components"][1] == {"type": "button", "sub_type": "url", "index": "0",
                                      "parameters": [{"type": "text", "text": "482913"}]}


def test_a_url_suffix_is_percent_encoded() -> None:
    graph, text = prepare_template_send(COUPON, {"header": ["P"], "body": ["A", "1"],
                                                 "buttons": [{"index": 0, "value": "été?ref=wa"}]})
    assert graph["components"][2]["parameters"][0]["text"] == "%C3%A9t%C3%A9?ref=wa"
    assert "https://www.luckyshrub.com/deals/%C3%A9t%C3%A9?ref=wa" in text


# --- each refusal names the parameter -----------------------------------------------------------------

COUPON_OK: dict[str, Any] = {"header": ["Pablo"], "body": ["SUMMER20", "10"], "buttons": [{"index": 0, "value": "s"}]}


@pytest.mark.parametrize("tpl, parameters, field", [
    pytest.param(COUPON, {**COUPON_OK, "body": ["SUMMER20"]}, "template.parameters.body.2", id="positional missing"),
    pytest.param(COUPON, {**COUPON_OK, "body": ["A", "1", "x"]}, "template.parameters.body.3", id="positional extra"),
    pytest.param(COUPON, {**COUPON_OK, "body": {"1": "A", "2": "1", "3": "x"}}, "template.parameters.body.3",
                 id="positional extra by number"),
    pytest.param(RESERVATION, {"header": {"id": "1"}, "body": {"number_of_guests": "4"}},
                 "template.parameters.body.day", id="named missing"),
    pytest.param(RESERVATION, {"header": {"id": "1"}, "body": {"number_of_guests": "4", "day": "Sat", "time": "8"}},
                 "template.parameters.body.time", id="named extra"),
    pytest.param(RESERVATION, {"header": {"id": "1"}, "body": ["4", "Sat"]}, "template.parameters.body",
                 id="a list for a named template"),
    pytest.param(COUPON, {**COUPON_OK, "body": ["A\nB", "1"]}, "template.parameters.body.1", id="new line in body"),
    pytest.param(COUPON, {**COUPON_OK, "body": ["   ", "1"]}, "template.parameters.body.1", id="empty value"),
    pytest.param(COUPON, {**COUPON_OK, "body": [{"x": 1}, "1"]}, "template.parameters.body.1", id="not text"),
    pytest.param(COUPON, {**COUPON_OK, "body": ["x" * 1100, "1"]}, "template.parameters.body", id="body too long"),
    pytest.param(COUPON, {**COUPON_OK, "header": None}, "template.parameters.header.1", id="header text missing"),
    pytest.param(COUPON, {**COUPON_OK, "header": ["x" * 70]}, "template.parameters.header.1",
                 id="header text too long"),
    pytest.param(NAMED_HEADER, {"header": {"name": "J"}, "body": {"order_id": "1"}},
                 "template.parameters.header.first_name", id="named header missing"),
    pytest.param(STATIC, {"header": ["x"]}, "template.parameters.header", id="header given, none taken"),
    pytest.param(RESERVATION, {"body": {"number_of_guests": "4", "day": "Sat"}}, "template.parameters.header",
                 id="header media missing"),
    pytest.param(RESERVATION, {"header": {"type": "image"}, "body": {"number_of_guests": "4", "day": "Sat"}},
                 "template.parameters.header.link", id="header media without link or id"),
    pytest.param(RESERVATION, {"header": {"link": "https://a.example/x.png", "id": "1"},
                               "body": {"number_of_guests": "4", "day": "Sat"}},
                 "template.parameters.header.id", id="header media link and id"),
    pytest.param(RESERVATION, {"header": {"type": "video", "id": "1"}, "body": {"number_of_guests": "4", "day": "S"}},
                 "template.parameters.header.type", id="header media of the wrong type"),
    pytest.param(RESERVATION, {"header": {"link": "ftp://a.example/x.png"}, "body": {"number_of_guests": "4",
                                                                                   "day": "S"}},
                 "template.parameters.header.link", id="header media link not http"),
    pytest.param(VIDEO, {"header": {"id": "1", "filename": "a.mp4"}}, "template.parameters.header.filename",
                 id="filename on a video"),
    pytest.param(LOCATION, {"header": {"longitude": 1}}, "template.parameters.header.latitude",
                 id="location without latitude"),
    pytest.param(LOCATION, {"header": {"latitude": 1, "longitude": 190}}, "template.parameters.header.longitude",
                 id="location out of range"),
    pytest.param(LOCATION, {"header": {"latitude": 1, "longitude": 2, "zoom": 3}}, "template.parameters.header.zoom",
                 id="location extra key"),
    pytest.param(COUPON, {**COUPON_OK, "buttons": []}, "template.parameters.buttons.0", id="url suffix missing"),
    pytest.param(COUPON, {**COUPON_OK, "buttons": [{"index": 0, "value": "a b"}]},
                 "template.parameters.buttons.0.value", id="url suffix with a space"),
    pytest.param(COUPON, {**COUPON_OK, "buttons": [{"index": 0, "sub_type": "quick_reply", "value": "s"}]},
                 "template.parameters.buttons.0.sub_type", id="wrong sub_type"),
    pytest.param(COUPON, {**COUPON_OK, "buttons": [{"index": 0, "value": "s"}, {"index": 5, "value": "x"}]},
                 "template.parameters.buttons.5", id="no such button"),
    pytest.param(COUPON, {**COUPON_OK, "buttons": [{"value": "s"}]}, "template.parameters.buttons.0.index",
                 id="button without index"),
    pytest.param(COUPON, {**COUPON_OK, "buttons": [{"index": 0, "value": "s"}, {"index": 0, "value": "t"}]},
                 "template.parameters.buttons.0", id="button twice"),
    pytest.param(COUPON, {**COUPON_OK, "buttons": [{"index": 0, "value": "s"}, {"index": 1, "value": "p" * 300}]},
                 "template.parameters.buttons.1.value", id="quick reply payload too long"),
    pytest.param(RESERVATION, {"header": {"id": "1"}, "body": {"number_of_guests": "4", "day": "S"},
                               "buttons": [{"index": 0, "value": "+1"}]},
                 "template.parameters.buttons.0", id="value for a phone button"),
    pytest.param(COPY_CODE, {"body": ["x"]}, "template.parameters.buttons.0", id="copy code missing"),
    pytest.param(COPY_CODE, {"body": ["x"], "buttons": [{"index": 0, "value": "THIS-CODE-IS-TOO-LONG"}]},
                 "template.parameters.buttons.0.value", id="copy code too long"),
    pytest.param(COUPON, {**COUPON_OK, "footer": "x"}, "template.parameters.footer", id="unknown key"),
])
def test_a_refusal_names_the_parameter(tpl: dict, parameters: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        prepare_template_send(tpl, parameters)
    assert refused.value.field == field, refused.value.message


def test_the_caller_chooses_the_field_prefix() -> None:
    with pytest.raises(InvalidInput) as refused:
        prepare_template_send(COUPON, {**COUPON_OK, "body": ["A"]}, field="recipients.7.parameters")
    assert refused.value.field == "recipients.7.parameters.body.2"
    assert "missing body parameter '2'" in refused.value.message


@pytest.mark.parametrize("status", ["PAUSED", "DISABLED", "PENDING", "REJECTED", "IN_APPEAL", "DELETED"])
def test_only_approved_templates_are_sent(status: str) -> None:
    with pytest.raises(Conflict) as refused:
        prepare_template_send({**COUPON, "status": status}, COUPON_OK)
    assert refused.value.code == "template_not_approved"
    assert status in refused.value.message and refused.value.details["status"] == status


def test_a_deleted_template_is_refused_whatever_its_last_status() -> None:
    with pytest.raises(Conflict) as refused:
        prepare_template_send({**COUPON, "deleted": True}, COUPON_OK)
    assert refused.value.details["status"] == "DELETED"


def test_a_template_known_only_from_a_webhook_is_not_sent_before_a_sync() -> None:
    minimal = {"name": "welcome", "language": "en", "status": "APPROVED"}
    with pytest.raises(Conflict) as refused:
        prepare_template_send(minimal, {})
    assert refused.value.code == "template_not_synced"


def test_a_carousel_template_is_refused_as_unsupported() -> None:
    carousel = template([{"type": "BODY", "text": "Pick one"}, {"type": "CAROUSEL", "cards": []}])
    with pytest.raises(Conflict) as refused:
        prepare_template_send(carousel, {})
    assert refused.value.code == "template_not_supported"
