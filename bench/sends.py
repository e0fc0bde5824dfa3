"""message_send: what one message sent in an open session asks of AWS, and how long it takes.

Operators' sends go through the local gateway to the message_send function (POST /sessions/{id}/messages,
JWT checked by the gateway as Cognito would, outside the timing); the outbound queue is then drained into
the same function's worker, which calls the Graph API simulator over HTTP. The meter counts each side's
AWS calls and request units; a second, unmetered pass times them. Graph API time is measured apart (it
is Meta's latency, modelled in the cost from prices.GRAPH_API_LATENCY_MS)."""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

import requests

from bench import resolution
from bench.environment import LocalAws, own_cpu, own_cpu_since
from bench.meter import Meter


class _GraphTimer:
    """Time spent in HTTP calls to the Graph API (requests' Session.send, wrapped for the run)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.seconds = 0.0
        self.calls = 0
        self._original = requests.Session.send

    def __enter__(self) -> _GraphTimer:
        timer = self

        def send(session: requests.Session, request: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return timer._original(session, request, **kwargs)
            finally:
                if str(request.url).startswith(timer.prefix):
                    timer.seconds += time.perf_counter() - start
                    timer.calls += 1
        requests.Session.send = send  # type: ignore[method-assign]
        return self

    def __exit__(self, *_: Any) -> None:
        requests.Session.send = self._original  # type: ignore[method-assign]


def _sessions(env: LocalAws, senders: list[str]) -> list[str]:
    from switchboard.services import services
    from switchboard.storage import keys

    resolution.post_messages(env, senders)
    resolution.drain(env)
    table = services().table
    return [table.get(keys.thread("demo", "wa-demo", s), consistent=True)["session_id"] for s in senders]


def _send_api(env: LocalAws, session_ids: list[str], meter: Meter) -> dict[str, Any]:
    """POST each send through the gateway; time the function's handler alone."""
    import infra.local.api_server as api_server
    from infra.local import tokens

    token = tokens.issue("demo", "operator")
    elapsed = own = 0.0
    original = api_server.invoke

    def timed(spec: Any, event: dict[str, Any]) -> Any:
        nonlocal elapsed, own
        mark = own_cpu(env)
        start = time.perf_counter()
        try:
            return original(spec, event)
        finally:
            elapsed += time.perf_counter() - start
            own += own_cpu_since(env, mark)
    api_server.invoke = timed
    logged = env.log.bytes
    meter.reset()
    meter.active = True
    try:
        for session_id in session_ids:
            reply = env.gateway.handle("POST", f"/sessions/{session_id}/messages", {
                "Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                json.dumps({"text": "Your order ships today; tracking follows by email."}).encode())
            if reply.status != 202:
                raise RuntimeError(f"POST /sessions/{{id}}/messages answered {reply.status}: {reply.body[:200]!r}")
    finally:
        meter.active = False
        api_server.invoke = original
    return {"seconds": elapsed, "own_cpu_seconds": own, "log_bytes": env.log.bytes - logged}


def _figures(meter: Meter, n: int) -> dict[str, Any]:
    return {
        "ddb_requests": round(meter.count("dynamodb") / n, 2),
        "ddb_operations": {k: round(v / n, 2) for k, v in sorted(meter.operations("dynamodb").items())},
        "read_units": round(meter.total("read_units", "dynamodb") / n, 2),
        "write_units": round(meter.total("write_units", "dynamodb") / n, 2),
        "eventbridge_entries": round(sum(c.entries for c in meter.calls if c.service == "eventbridge") / n, 2),
        "calls": {k: round(v / n, 3) for k, v in sorted(Counter(
            f"{c.service}:{c.operation}" for c in meter.calls).items())},
        "aws_ms": round(meter.total("seconds") * 1000 / n, 3),
    }


def measure(env: LocalAws, sends: int = 30) -> dict[str, Any]:
    from switchboard.services import services

    meter = resolution._meter(env)
    graph_prefix = services().settings.graph_base_url
    passes: dict[str, Any] = {}
    for label, capacity in (("metered", True), ("timed", False)):
        people = [f"4478{next(resolution._numbers):08d}" for _ in range(sends)]
        session_ids = _sessions(env, people)
        meter.capacity_units = capacity
        api = _send_api(env, session_ids, meter)
        api_figures = _figures(meter, sends)
        meter.reset()
        meter.active = True
        try:
            with _GraphTimer(graph_prefix) as graph:
                # one record per invocation: the worker sends a batch's records concurrently, which
                # would hide its own time behind its waits; at ordinary volume batches are of one anyway
                drained = resolution.drain(env, queue="outbound", function_name="message_send", batch=1)
        finally:
            meter.active = False
        worker_figures = _figures(meter, sends)
        if drained.messages != sends or graph.calls < sends:
            raise RuntimeError(f"{drained.messages} of {sends} sends processed, {graph.calls} Graph API calls")
        passes[label] = {
            "api": {**api_figures, "handler_ms": round(api["seconds"] * 1000 / sends, 3),
                    "own_ms": round(api["own_cpu_seconds"] * 1000 / sends, 3),
                    "log_bytes": round(api["log_bytes"] / sends)},
            "worker": {**worker_figures, "handler_ms": round(drained.handler_seconds * 1000 / sends, 3),
                       "graph_ms": round(graph.seconds * 1000 / sends, 3),
                       "own_ms": round(drained.own_cpu_seconds * 1000 / sends, 3),
                       "log_bytes": round(drained.log_bytes / sends),
                       "records_per_invocation": round(drained.messages / drained.invocations, 2)},
        }
    metered, timed = passes["metered"], passes["timed"]
    api_own = timed["api"]["own_ms"]
    worker_own = timed["worker"]["own_ms"]
    return {
        "sends": sends,
        "api": {k: v for k, v in metered["api"].items() if k not in ("aws_ms", "handler_ms", "log_bytes", "own_ms")}
        | {"handler_ms": timed["api"]["handler_ms"], "own_ms": round(api_own, 3)},
        "worker": {k: v for k, v in metered["worker"].items()
                   if k not in ("aws_ms", "handler_ms", "graph_ms", "own_ms")}
        | {"handler_ms": timed["worker"]["handler_ms"], "graph_ms_on_simulator": timed["worker"]["graph_ms"],
           "own_ms": round(worker_own, 3)},
        "ddb_requests_per_send": round(metered["api"]["ddb_requests"] + metered["worker"]["ddb_requests"], 2),
        "cost_input": {
            "api_own_ms": api_own, "api_calls": timed["api"]["calls"],
            "worker_own_ms": worker_own, "worker_calls": timed["worker"]["calls"],
            "api_ms": timed["api"]["handler_ms"], "worker_ms": timed["worker"]["handler_ms"],
            "read_units": metered["api"]["read_units"] + metered["worker"]["read_units"],
            "write_units": metered["api"]["write_units"] + metered["worker"]["write_units"],
            "eventbridge_entries": metered["api"]["eventbridge_entries"] + metered["worker"]["eventbridge_entries"],
            "log_bytes": timed["api"]["log_bytes"] + timed["worker"]["log_bytes"],
            "estimated": False,
        },
    }
