"""A template message, from Meta's catalogue to the customer: synced from the Graph API simulator over
HTTP, sent by an operator with its parameters, refused with 422 or 409 when they or the template's status
are wrong, and stored with the text the customer saw."""

from __future__ import annotations

import pytest
from switchboard import clock

from infra.local.graph_simulator.templates import catalog
from tests.support.outbound import run_send_worker, simulator_server
from tests.support.templates import coupon_reminder, reservation_confirmation
from tests.support.whatsapp import DEMO_WABA_ID, envelope, signed, text_message

COUPON = {
    "name": "coupon_expiration_reminder",
    "language": "en",
    "parameters": {
        "header": ["Pablo"],
        "body": ["SUMMER20", "10"],
        "buttons": [{"index": 0, "sub_type": "url", "value": "summer"}],
    },
}


@pytest.fixture
def graph(api, demo, monkeypatch, admin_token):  # noqa: ANN001, ANN201
    catalog.reset()
    catalog.put_all(DEMO_WABA_ID, [coupon_reminder(), reservation_confirmation(status="PAUSED")])
    with simulator_server(api.gateway, monkeypatch, status_callbacks=False) as simulator:
        status, body = api.call("POST", "/templates/sync", {"channel_id": "wa-demo"}, token=admin_token)
        assert status == 200 and body["channels"][0]["created"] == 2, body
        yield simulator
    catalog.reset()


@pytest.fixture
def session_id(api, demo, process_inbound, operator_token) -> str:  # noqa: ANN001
    raw, headers = signed(
        envelope([text_message(wamid="wamid.TPL1", timestamp=int(clock.now().timestamp()))])
    )
    assert api.call("POST", "/webhooks/whatsapp", raw, headers=headers)[0] == 200
    process_inbound()
    return api.call("GET", "/sessions", token=operator_token)[1]["items"][0]["session_id"]


def test_a_template_is_sent_with_its_parameters_and_stored_as_the_customer_saw_it(
    api, aws, graph, session_id, operator_token
) -> None:
    status, message = api.call(
        "POST", f"/sessions/{session_id}/messages", {"template": COUPON}, token=operator_token
    )
    assert status == 202, message

    run_send_worker(aws.queue_urls["outbound"])

    sent = graph.sent[0].payload
    assert sent["type"] == "template" and sent["template"] == {
        "name": "coupon_expiration_reminder",
        "language": {"code": "en"},
        "components": [
            {"type": "header", "parameters": [{"type": "text", "text": "Pablo"}]},
            {
                "type": "body",
                "parameters": [{"type": "text", "text": "SUMMER20"}, {"type": "text", "text": "10"}],
            },
            {
                "type": "button",
                "sub_type": "url",
                "index": "0",
                "parameters": [{"type": "text", "text": "summer"}],
            },
        ],
    }
    stored = api.call("GET", f"/sessions/{session_id}/messages", token=operator_token)[1]["items"][-1]
    assert stored["status"] == "sent"
    assert stored["text"] == (
        "Act fast, Pablo!\n\nYour coupon code, SUMMER20, *expires in only 10 days!*\n\n"
        "Lucky Shrub Succulents\n\n[See deals] https://www.luckyshrub.com/deals/summer\n"
        "[Unsubscribe]"
    )


def test_a_missing_parameter_is_refused_with_422_naming_it(api, graph, session_id, operator_token) -> None:
    request = {**COUPON, "parameters": {**COUPON["parameters"], "body": ["SUMMER20"]}}

    status, body = api.call(
        "POST", f"/sessions/{session_id}/messages", {"template": request}, token=operator_token
    )

    assert status == 422 and body["field"] == "template.parameters.body.2"
    assert graph.sent == []


def test_a_paused_template_is_refused_with_409(api, graph, session_id, operator_token) -> None:
    request = {
        "name": "reservation_confirmation",
        "language": "en_US",
        "parameters": {"header": {"id": "1"}, "body": {"number_of_guests": "2", "day": "Friday"}},
    }

    status, body = api.call(
        "POST", f"/sessions/{session_id}/messages", {"template": request}, token=operator_token
    )

    assert status == 409 and body["code"] == "template_not_approved" and "PAUSED" in body["message"]
