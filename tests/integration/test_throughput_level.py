"""A channel's send rate follows Meta's throughput level of its number: read with the template sync and again
when Meta announces a change (account_update, phone_number_quality_update)."""

from __future__ import annotations

import pytest

from infra.declaration import function
from infra.local import event_rules
from tests.support.whatsapp import DEMO_WABA_ID, signed


@pytest.fixture
def template_sync_events(aws):
    url = event_rules.create_rules(aws.environment["EVENT_BUS_NAME"])["template_sync"]
    return lambda: event_rules.drain(function("template_sync"), url, log=lambda _line: None)


def _channel(api, token: str) -> dict:
    return next(c for c in api.call("GET", "/channels", token=token)[1]["items"] if c["channel_id"] == "wa-demo")


def test_the_template_sync_reads_the_throughput_level(api, demo, graph, admin_token) -> None:
    graph.configure(throughput_mps=1000)
    assert api.call("POST", "/templates/sync", {}, token=admin_token)[0] == 200
    channel = _channel(api, admin_token)
    assert (channel["throughput_level"], channel["throughput_mps"]) == ("HIGH", 1000)


def test_an_account_update_reads_it_again(api, demo, graph, admin_token, process_inbound,
                                          template_sync_events) -> None:
    graph.configure(throughput_mps=1000)
    api.call("POST", "/templates/sync", {}, token=admin_token)
    graph.configure(throughput_mps=80)  # Meta moved the number back to the standard level
    body = {"object": "whatsapp_business_account", "entry": [{"id": DEMO_WABA_ID, "time": 1764590400, "changes": [
        {"field": "account_update", "value": {"phone_number": "15550783881", "event": "ACCOUNT_UPDATE"}}]}]}
    raw, headers = signed(body)
    assert api.call("POST", "/webhooks/whatsapp", raw, headers=headers)[0] == 200
    process_inbound()
    template_sync_events()
    channel = _channel(api, admin_token)
    assert (channel["throughput_level"], channel["throughput_mps"]) == ("STANDARD", 80)
