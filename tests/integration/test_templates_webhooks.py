"""Template webhooks, end to end on this machine: Meta posts the signed webhook, contact_resolution
records it and publishes ``webhook.template``, the bus rule hands it to template_sync, which refreshes the
template from the Graph API at once."""

from __future__ import annotations

import boto3
import pytest
from switchboard import clock
from switchboard.errors import Conflict
from switchboard.services import reset_services, services
from switchboard.templates.rendering import prepare_template_send

from functions.template_sync import handler as template_sync
from infra.declaration import function
from infra.local import event_rules
from infra.local.graph_simulator.templates import signed_webhook, template_webhook
from infra.local.lambdas import LambdaContext
from tests.support.templates import GRAPH, coupon_reminder, reservation_confirmation, simulated_graph
from tests.support.whatsapp import DEMO_APP_SECRET, DEMO_WABA_ID


@pytest.fixture
def graph(demo, monkeypatch):  # noqa: ANN001, ANN201
    monkeypatch.setenv("GRAPH_API_BASE_URL", GRAPH)
    reset_services()
    with simulated_graph() as catalog:
        yield catalog


@pytest.fixture
def bus_rules(aws):  # noqa: ANN001, ANN201
    """The declaration's EventBridge rules, delivering to template_sync (infra/local/event_rules.py)."""
    url = event_rules.create_rules(aws.environment["EVENT_BUS_NAME"])["template_sync"]
    return lambda: event_rules.drain(function("template_sync"), url)


@pytest.fixture
def synced(api, graph, admin_token):  # noqa: ANN001, ANN201
    graph.put_all(DEMO_WABA_ID, [coupon_reminder(), reservation_confirmation()])
    assert api.call("POST", "/templates/sync", {}, token=admin_token)[1]["ok"] is True
    clock.advance(60)
    return graph


def _deliver(api, kind: str, template: dict, **change) -> None:  # noqa: ANN001
    raw, headers = signed_webhook(template_webhook(kind, DEMO_WABA_ID, template, **change), DEMO_APP_SECRET)
    status, body = api.call("POST", "/webhooks/whatsapp", raw, headers=headers)
    assert status == 200, body


def _template(name: str, language: str) -> dict:
    return services().templates.get("demo", "wa-demo", name, language)


def test_a_status_webhook_pauses_the_template_at_once(api, synced, bus_rules, process_inbound) -> None:
    paused = synced.update(DEMO_WABA_ID, "coupon_expiration_reminder", "en", status="PAUSED")

    _deliver(api, "status", paused, event="PAUSED", reason="NONE")
    assert process_inbound() == 1
    assert bus_rules() == 1

    template = _template("coupon_expiration_reminder", "en")
    assert template["status"] == "PAUSED"
    assert [h["status"] for h in template["status_history"]] == ["APPROVED", "PAUSED"]
    assert (
        services().templates.sync_status("demo", "wa-demo")["summary"]["name"] == "coupon_expiration_reminder"
    )
    with pytest.raises(Conflict) as refused:
        prepare_template_send(
            template, {"header": ["Ana"], "body": ["A1", "3"], "buttons": [{"index": 0, "value": "x"}]}
        )
    assert refused.value.code == "template_not_approved" and "PAUSED" in refused.value.message


def test_a_quality_webhook_updates_the_quality_score(
    api, synced, bus_rules, process_inbound, operator_token
) -> None:
    red = synced.update(
        DEMO_WABA_ID, "coupon_expiration_reminder", "en", quality_score={"score": "RED", "date": 1751300000}
    )

    _deliver(api, "quality", red, previous="GREEN", new="RED")
    process_inbound()
    assert bus_rules() == 1

    assert _template("coupon_expiration_reminder", "en")["quality_score"]["score"] == "RED"
    listed = api.call("GET", "/templates?q=coupon", token=operator_token)[1]["items"]
    assert listed[0]["quality_score"] == "RED"


def test_a_category_webhook_updates_the_category(api, synced, bus_rules, process_inbound) -> None:
    marketing = synced.update(DEMO_WABA_ID, "reservation_confirmation", "en_US", category="MARKETING")

    _deliver(api, "category", marketing, previous="UTILITY", new="MARKETING")
    process_inbound()
    assert bus_rules() == 1

    assert _template("reservation_confirmation", "en_US")["category"] == "MARKETING"
    refresh = services().templates.sync_status("demo", "wa-demo")["summary"]
    assert (refresh["name"], refresh["fetched"], refresh["pages"]) == ("reservation_confirmation", 1, 1)


def test_a_components_webhook_brings_the_new_wording(
    api, synced, bus_rules, process_inbound, operator_token
) -> None:
    components = coupon_reminder()["components"]
    components[1] = {"type": "BODY", "text": "Hurry: {{1}} ends in {{2}} days."}
    edited = synced.update(DEMO_WABA_ID, "coupon_expiration_reminder", "en", components=components)

    _deliver(api, "components", edited)
    process_inbound()
    assert bus_rules() == 1

    listed = api.call("GET", "/templates?q=coupon", token=operator_token)[1]["items"]
    assert listed[0]["body"] == "Hurry: {{1}} ends in {{2}} days."
    _, text = prepare_template_send(
        _template("coupon_expiration_reminder", "en"),
        {"header": ["Ana"], "body": ["SPRING", "2"], "buttons": [{"index": 0, "value": "s"}]},
    )
    assert "Hurry: SPRING ends in 2 days." in text


def test_a_webhook_for_a_new_template_stores_it_whole(api, graph, bus_rules, process_inbound) -> None:
    """A template approved at Meta before any sync: the webhook's minimal record is completed by the refresh."""
    created = graph.put(DEMO_WABA_ID, coupon_reminder(name="welcome_back"))

    _deliver(api, "status", created, event="APPROVED")
    process_inbound()
    assert bus_rules() == 1

    template = _template("welcome_back", "en")
    assert template["status"] == "APPROVED" and template["synced_at"]
    graph_template, _ = prepare_template_send(
        template, {"header": ["Ana"], "body": ["A", "1"], "buttons": [{"index": 0, "value": "x"}]}
    )
    assert graph_template["name"] == "welcome_back"


def test_an_event_naming_no_template_syncs_the_whole_channel(graph, demo) -> None:
    graph.put_all(DEMO_WABA_ID, [coupon_reminder(), reservation_confirmation()])
    event = {
        "version": "0",
        "id": "e2",
        "source": "switchboard",
        "detail-type": "webhook.template",
        "detail": {"tenant_id": "demo", "channel_id": "wa-demo", "event": "message_template_status_update"},
    }

    assert template_sync.handler(event, LambdaContext("template_sync")) == {"channels": 1, "failed": 0}

    assert _template("coupon_expiration_reminder", "en") is not None
    assert _template("reservation_confirmation", "en_US") is not None


def test_the_bus_rule_ignores_other_domain_events(aws, bus_rules) -> None:
    boto3.client("events").put_events(
        Entries=[
            {
                "Source": "switchboard",
                "DetailType": "message.received",
                "Detail": "{}",
                "EventBusName": aws.environment["EVENT_BUS_NAME"],
            }
        ]
    )
    assert bus_rules() == 0
