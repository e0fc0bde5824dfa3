"""What on-call counts: the functions publish CloudWatch metrics (EMF) for events queued, bad signatures,
messages stored and duplicates, so the dashboard and alarms have something to show."""

from __future__ import annotations

import json

import pytest

from tests.support.whatsapp import envelope, signed, text_message


@pytest.fixture
def metrics_on(monkeypatch):  # noqa: ANN001, ANN201
    from switchboard.observability import metrics

    # Metrics live per process; earlier tests (run with metrics disabled) may have left counts behind.
    metrics.clear_metrics()
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    yield
    metrics.clear_metrics()


def _published(output: str) -> dict[str, float]:
    """Metric name -> value from the EMF documents a handler printed."""
    found: dict[str, float] = {}
    for line in output.splitlines():
        if not line.startswith("{") or "_aws" not in line:
            continue
        document = json.loads(line)
        for directive in document["_aws"]["CloudWatchMetrics"]:
            assert directive["Namespace"] == "Switchboard"
            for metric in directive["Metrics"]:
                value = document[metric["Name"]]
                found[metric["Name"]] = found.get(metric["Name"], 0) + (sum(value) if isinstance(value, list)
                                                                        else value)
    return found


def test_bad_signatures_and_queued_events_are_counted(api, demo, metrics_on, capsys) -> None:
    raw, headers = signed(envelope([text_message(wamid="wamid.M1"), text_message(wamid="wamid.M2")]))
    api.call("POST", "/webhooks/whatsapp", raw, headers=headers)
    api.call("POST", "/webhooks/whatsapp", raw, headers={**headers, "X-Hub-Signature-256": "sha256=00"})

    published = _published(capsys.readouterr().out)
    assert published.get("WebhookEventsQueued") == 2 and published.get("WebhookBadSignature") == 1


def test_stored_messages_and_duplicates_are_counted(api, demo, aws, process_inbound, metrics_on, capsys) -> None:
    from switchboard.inbound.processing import process_event
    from switchboard.services import services
    from switchboard.domain.inbound_queue import WhatsAppEvent

    raw, headers = signed(envelope([text_message(wamid="wamid.M3")]))
    api.call("POST", "/webhooks/whatsapp", raw, headers=headers)
    process_inbound()
    replay = WhatsAppEvent(kind="message", tenant_id="demo", channel_id="wa-demo", event_id="wamid.M3",
                         group="wa-demo:16505551234", field="messages", waba_id="w",
                         payload=text_message(wamid="wamid.M3")["message"])
    process_event(replay, services())
    from switchboard.observability import metrics

    metrics.flush_metrics()
    published = _published(capsys.readouterr().out)
    assert published.get("InboundMessageStored") == 1 and published.get("InboundDuplicate") == 1


def _services_of(output: str) -> dict[str, set[str]]:
    """Metric name -> the ``service`` dimensions it was published with."""
    found: dict[str, set[str]] = {}
    for line in output.splitlines():
        if not line.startswith("{") or "_aws" not in line:
            continue
        document = json.loads(line)
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                found.setdefault(metric["Name"], set()).add(document.get("service"))
    return found


def test_each_function_publishes_under_its_own_service_in_one_process(api, demo, aws, process_inbound,
                                                                      metrics_on, capsys) -> None:
    # every handler is imported in this one process, as in the local runtime
    import functions.message_send.handler  # noqa: F401
    import functions.operator_api.handler  # noqa: F401
    import functions.template_sync.handler  # noqa: F401

    raw, headers = signed(envelope([text_message(wamid="wamid.SVC1")]))
    api.call("POST", "/webhooks/whatsapp", raw, headers=headers)
    process_inbound()

    services = _services_of(capsys.readouterr().out)
    assert services["WebhookEventsQueued"] == {"webhook_receipt"}
    assert services["InboundMessageStored"] == {"contact_resolution"}
