"""The benchmark's cost arithmetic and its verdicts."""

from __future__ import annotations

import pytest

from bench import cost, prices
from bench.report import Row
from bench.stats import median, percentile, ratio


def test_lambda_bills_requests_and_gb_seconds_per_started_millisecond() -> None:
    one = cost.lambda_usd(1024, 99.2)
    assert one == pytest.approx(prices.LAMBDA_USD_PER_REQUEST + 0.100 * prices.LAMBDA_ARM_USD_PER_GB_SECOND)
    assert cost.lambda_usd(512, 100, invocations=2) == pytest.approx(
        2 * (prices.LAMBDA_USD_PER_REQUEST + 0.5 * 0.1 * prices.LAMBDA_ARM_USD_PER_GB_SECOND))


def test_sqs_bills_one_request_per_64_kb_chunk() -> None:
    assert cost.sqs_requests(1) == 1
    assert cost.sqs_requests(64 * 1024) == 1
    assert cost.sqs_requests(64 * 1024 + 1) == 2


def test_a_modelled_duration_adds_aws_latency_per_call() -> None:
    calls = {"dynamodb:BatchGetItem": 1, "dynamodb:TransactWriteItems": 1, "unknown:Call": 2}
    expected = 3.0 + prices.AWS_LATENCY_MS["dynamodb:BatchGetItem"] + prices.AWS_LATENCY_MS[
        "dynamodb:TransactWriteItems"] + 2 * prices.AWS_LATENCY_DEFAULT_MS
    assert cost.modelled_ms(3.0, calls) == pytest.approx(expected)


def test_an_inbound_message_adds_up_its_line_items() -> None:
    webhook = {"own_ms_p50": 2.0, "calls_per_webhook": {"sqs:SendMessageBatch": 1}, "handler_ms_p50": 9.0,
               "sqs_message_bytes_per_update": 600, "log_bytes_per_webhook": 200}
    worker = {"own_ms_per_event": 5.0, "calls_per_event": {"dynamodb:TransactWriteItems": 1},
              "handler_ms_per_event": 50.0, "log_bytes_per_event": 100}
    units = {"read_units": 2.0, "write_units": 10.0, "eventbridge_entries": 1.0}
    memory = {"webhook_receipt": 1024, "contact_resolution": 1024}
    items = cost.inbound_event_usd(webhook, worker, units, memory)
    assert items["dynamodb"] == pytest.approx(2 * prices.DYNAMODB_USD_PER_RRU + 10 * prices.DYNAMODB_USD_PER_WRU)
    assert items["sqs_fifo"] == pytest.approx(3 * prices.SQS_FIFO_USD_PER_REQUEST)
    assert items["lambda_webhook_receipt"] == pytest.approx(cost.lambda_usd(1024, 2.0 + 10.0))
    assert items["api_gateway"] == prices.API_GATEWAY_HTTP_USD_PER_REQUEST  # webhooks: the HTTP API
    moto = cost.inbound_event_usd(webhook, worker, units, memory, modelled=False)
    assert moto["lambda_contact_resolution"] == pytest.approx(cost.lambda_usd(1024, 50.0))
    assert cost.per_million({"x": 0.0000035})["x"] == 3.5


def test_an_inbound_message_is_one_trace_from_the_webhook_to_the_bus_targets() -> None:
    webhook = {"own_ms_p50": 2.0, "calls_per_webhook": {}, "sqs_message_bytes_per_update": 600,
               "log_bytes_per_webhook": 200}
    worker = {"own_ms_per_event": 5.0, "calls_per_event": {}, "log_bytes_per_event": 100}
    fanout = {"invocations_per_event": 1.0, "own_ms_per_invocation": 4.0, "calls_per_invocation": {},
              "memory_mb": 512, "read_units": 2.0, "write_units": 2.0, "log_bytes_per_event": 0}
    units = {"read_units": 2.0, "write_units": 10.0, "eventbridge_entries": 1.0,
             "bus_consumers": {"realtime_fanout": fanout}}
    items = cost.inbound_event_usd(webhook, worker, units, {"webhook_receipt": 1024, "contact_resolution": 1024})

    assert sum(usd for item, usd in items.items() if "xray" in item) == pytest.approx(
        prices.XRAY_SAMPLED_SHARE * prices.XRAY_USD_PER_TRACE)


def test_what_the_bus_runs_for_an_inbound_message_is_counted_per_consumer() -> None:
    fanout = {"invocations_per_event": 1.0, "own_ms_per_invocation": 4.0, "calls_per_invocation": {},
              "memory_mb": 512, "read_units": 2.0, "write_units": 2.0, "log_bytes_per_event": 0}
    items = cost.bus_consumers_usd({"realtime_fanout": fanout})

    assert items["lambda_realtime_fanout"] == pytest.approx(cost.lambda_usd(512, 4.0))
    assert items["dynamodb_bus_consumers"] == pytest.approx(cost.dynamodb_usd(2.0, 2.0))
    assert items["websocket_messages"] == pytest.approx(
        prices.CONNECTED_OPERATORS_PER_TENANT * prices.API_GATEWAY_WEBSOCKET_USD_PER_MESSAGE)


def test_percentiles_medians_and_ratios() -> None:
    sample = list(range(1, 101))
    assert percentile(sample, 50) == 50
    assert percentile(sample, 99) == 99
    assert median([3, 1, 2, 10]) == 2.5
    assert ratio(3.0, 2.0) == 1.5
    assert ratio(1.0, 0) is None


def test_verdicts_follow_the_target_and_a_missing_figure_is_said_so() -> None:
    assert Row("k", "w", 1.3, "<= 1.3").verdict == "met"
    assert Row("k", "w", 1.31, "<= 1.3").verdict == "NOT met"
    assert Row("k", "w", 0.95, ">= 0.9").verdict == "met"
    assert Row("k", "w", 1.0, "< 1").verdict == "NOT met"
    assert Row("k", "w", None, "< 1").verdict == "not measured"


def test_api_gateway_is_priced_by_the_api_the_declaration_puts_the_route_on(monkeypatch) -> None:
    import dataclasses

    from infra import declaration

    webhook = declaration.function("webhook_receipt")
    assert cost.route_usd("webhook_receipt", "POST", "/webhooks/whatsapp") == prices.API_GATEWAY_HTTP_USD_PER_REQUEST
    assert cost.route_usd("message_send", "POST", "/sessions") == prices.API_GATEWAY_REST_USD_PER_REQUEST

    on_rest = dataclasses.replace(webhook, routes=tuple(dataclasses.replace(r, api="rest") for r in webhook.routes))
    monkeypatch.setattr(declaration, "FUNCTIONS", tuple(on_rest if f.name == "webhook_receipt" else f
                                                        for f in declaration.FUNCTIONS))
    assert cost.route_usd("webhook_receipt", "POST", "/webhooks/whatsapp") == prices.API_GATEWAY_REST_USD_PER_REQUEST


def test_an_http_api_request_is_metered_per_started_512_kb() -> None:
    assert prices.api_gateway_usd_per_request("http", 512 * 1024) == prices.API_GATEWAY_HTTP_USD_PER_REQUEST
    assert prices.api_gateway_usd_per_request("http", 512 * 1024 + 1) == 2 * prices.API_GATEWAY_HTTP_USD_PER_REQUEST


def test_snapstart_bills_cached_versions_by_the_second_and_restores_by_the_gb() -> None:
    month = cost.snapstart_usd_per_month(1024, restores=1000)

    assert month["cache"] == pytest.approx(2 * 30 * 24 * 3600 * prices.SNAPSTART_CACHE_USD_PER_GB_SECOND)
    assert month["restores"] == pytest.approx(1000 * prices.SNAPSTART_RESTORE_USD_PER_GB)
