"""Dollars per million messages, from what the run measured and the list prices in bench/prices.py.

Each cost is a breakdown by line item (USD per message), so the table can say where the money goes.
Lambda durations are the function's own measured time (in-handler time minus the time it waited for
moto) plus, for each AWS call it made, the latency that call has in AWS (prices.AWS_LATENCY_MS): moto's
latencies are not AWS's (its TransactWriteItems copies whole tables). The same figures computed with the
durations as measured on moto are kept beside them."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from bench import prices as p


def route_usd(function_name: str, method: str, path: str, payload_bytes: int = 0) -> float:
    """API Gateway's price for one request of a declared route, by the API that serves it."""
    from infra.declaration import function

    route = next(r for r in function(function_name).routes if (r.method, r.path) == (method, path))
    return p.api_gateway_usd_per_request(route.api, payload_bytes)


def snapstart_usd_per_month(memory_mb: int, restores: float) -> dict[str, float]:
    """A SnapStart function's own charges for a month: its cached snapshots and its restores."""
    gb = memory_mb / 1024
    return {"cache": gb * p.SECONDS_PER_MONTH * p.CACHED_VERSIONS_PER_FUNCTION * p.SNAPSTART_CACHE_USD_PER_GB_SECOND,
            "restores": gb * restores * p.SNAPSTART_RESTORE_USD_PER_GB}


def platform_log_bytes() -> int:
    """Lambda's own log lines per invocation at the system log level every function is declared with."""
    from infra.declaration import SYSTEM_LOG_LEVEL

    return p.LAMBDA_PLATFORM_LOG_BYTES_AT_INFO if SYSTEM_LOG_LEVEL in ("DEBUG", "INFO") else 0


def lambda_usd(memory_mb: int, duration_ms: float, invocations: float = 1.0) -> float:
    """One invocation's request and compute charge (billed per started millisecond), times ``invocations``."""
    billed_seconds = math.ceil(max(duration_ms, 0.0)) / 1000
    return invocations * (p.LAMBDA_USD_PER_REQUEST + memory_mb / 1024 * billed_seconds * p.LAMBDA_ARM_USD_PER_GB_SECOND)


def sqs_requests(payload_bytes: int) -> int:
    """Requests SQS bills for one call: one per started 64 KB chunk of its payload."""
    return max(1, math.ceil(payload_bytes / p.SQS_CHUNK_BYTES))


def modelled_ms(own_ms: float, calls: Mapping[str, float]) -> float:
    """A function's duration in AWS: its own time plus the AWS latency of each call it makes."""
    return own_ms + sum(n * p.AWS_LATENCY_MS.get(call, p.AWS_LATENCY_DEFAULT_MS) for call, n in calls.items())


def dynamodb_usd(read_units: float, write_units: float) -> float:
    return read_units * p.DYNAMODB_USD_PER_RRU + write_units * p.DYNAMODB_USD_PER_WRU


def logs_usd(log_bytes: float) -> float:
    return log_bytes / 1024**3 * p.CLOUDWATCH_LOGS_USD_PER_GB


def per_million(breakdown: Mapping[str, float]) -> dict[str, float]:
    return {item: round(usd * 1e6, 2) for item, usd in breakdown.items()}


def bus_consumers_usd(consumers: Mapping[str, Mapping[str, Any]]) -> dict[str, float]:
    """What the bus's targets cost per inbound event (bench/resolution.py ``bus_consumers``): each
    function's invocations (own time plus AWS's latency per call), their DynamoDB and logs, and the
    WebSocket messages the realtime fan-out pushes (prices.CONNECTED_OPERATORS_PER_TENANT). Their traces
    are the inbound event's (``inbound_event_usd``)."""
    items: dict[str, float] = {}
    ddb = logs = websocket = 0.0
    for name, f in consumers.items():
        invocations = f["invocations_per_event"]
        ms = modelled_ms(f["own_ms_per_invocation"], f["calls_per_invocation"])
        items[f"lambda_{name}"] = lambda_usd(f["memory_mb"], ms, invocations)
        ddb += dynamodb_usd(f["read_units"], f["write_units"])
        logs += logs_usd(f["log_bytes_per_event"] + invocations * platform_log_bytes())
        if name == "realtime_fanout":
            websocket += invocations * p.CONNECTED_OPERATORS_PER_TENANT * p.API_GATEWAY_WEBSOCKET_USD_PER_MESSAGE
    if consumers:
        items.update({"dynamodb_bus_consumers": ddb, "cloudwatch_logs_bus_consumers": logs,
                      "websocket_messages": websocket})
    return items


# inbound_event_usd's own line items: the event from the webhook to the store and onto the bus (issue 16's
# figure); the rest of its lines are what the bus's consumers run for it.
INBOUND_OWN_ITEMS = ("api_gateway", "lambda_webhook_receipt", "sqs_fifo", "lambda_contact_resolution", "dynamodb",
                     "eventbridge", "cloudwatch_logs", "xray")


def inbound_event_usd(webhook: Mapping[str, Any], worker: Mapping[str, Any], units: Mapping[str, Any],
                      memory: Mapping[str, int], modelled: bool = True) -> dict[str, float]:
    """One inbound event (a message or a status) from the webhook to the store, and what the bus runs
    for it, USD by line item.

    ``webhook``: the 1-update webhook figures; ``worker``: contact_resolution's timing for this kind of
    event; ``units``: its DynamoDB and EventBridge figures per event, with ``bus_consumers``."""
    receipt_ms = (modelled_ms(webhook["own_ms_p50"], webhook["calls_per_webhook"]) if modelled
                  else webhook["handler_ms_p50"])
    worker_ms = (modelled_ms(worker["own_ms_per_event"], worker["calls_per_event"]) if modelled
                 else worker["handler_ms_per_event"])
    # one record per invocation at ordinary volume (prices.py): send, receive, delete on the FIFO queue
    fifo_requests = sqs_requests(webhook["sqs_message_bytes_per_update"]) * 3
    log_bytes = (webhook["log_bytes_per_webhook"] + worker["log_bytes_per_event"]
                 + 2 * platform_log_bytes())
    return {
        "api_gateway": route_usd("webhook_receipt", "POST", "/webhooks/whatsapp",
                                 webhook.get("request_bytes", 0)),
        "lambda_webhook_receipt": lambda_usd(memory["webhook_receipt"], receipt_ms),
        "sqs_fifo": fifo_requests * p.SQS_FIFO_USD_PER_REQUEST,
        "lambda_contact_resolution": lambda_usd(memory["contact_resolution"], worker_ms),
        "dynamodb": dynamodb_usd(units["read_units"], units["write_units"]),
        "eventbridge": units["eventbridge_entries"] * p.EVENTBRIDGE_USD_PER_EVENT,
        "cloudwatch_logs": logs_usd(log_bytes),
        # one trace: the webhook's trace header follows the event through SQS (AWSTraceHeader) and
        # EventBridge (to every target), and X-Ray bills traces recorded, whatever their segments
        "xray": p.XRAY_SAMPLED_SHARE * p.XRAY_USD_PER_TRACE,
        **bus_consumers_usd(units.get("bus_consumers") or {}),
    }


def send_usd(send: Mapping[str, Any], status_usd: float, memory: Mapping[str, int],
             modelled: bool = True) -> dict[str, float]:
    """One message sent: the API call, the outbound queue, the worker's Graph API call and its writes,
    and the status webhooks it brings back. ``send``: measured (or estimated) figures of the send path."""
    api_ms = modelled_ms(send["api_own_ms"], send["api_calls"]) if modelled else send["api_ms"]
    worker_ms = (modelled_ms(send["worker_own_ms"], send["worker_calls"]) + p.GRAPH_API_LATENCY_MS if modelled
                 else send["worker_ms"])
    standard_requests = sqs_requests(send.get("queue_message_bytes", 300)) * 3
    log_bytes = send["log_bytes"] + 2 * platform_log_bytes()
    return {
        "api_gateway": route_usd("message_send", "POST", "/sessions/{session_id}/messages"),
        "lambda_message_send_api": lambda_usd(memory["message_send"], api_ms),
        "sqs_standard": standard_requests * p.SQS_STANDARD_USD_PER_REQUEST,
        "lambda_message_send_worker": lambda_usd(memory["message_send"], worker_ms),
        "dynamodb": dynamodb_usd(send["read_units"], send["write_units"]),
        "eventbridge": send["eventbridge_entries"] * p.EVENTBRIDGE_USD_PER_EVENT,
        "cloudwatch_logs": logs_usd(log_bytes),
        "xray": p.XRAY_SAMPLED_SHARE * p.XRAY_USD_PER_TRACE,  # one trace, API to worker (inbound_event_usd)
        "status_webhooks": p.STATUSES_PER_SEND * status_usd,
    }
