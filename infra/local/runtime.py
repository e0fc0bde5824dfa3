"""`make run`: everything on this machine. moto's server is the AWS, the declared resources and the demo
tenant are created in it, the API listens on a real HTTP server, and queue triggers are polled the way
Lambda's event source mappings would."""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import boto3
from aws_lambda_powertools.utilities import parameters

from infra.declaration import FUNCTIONS, function
from infra.local import event_rules, resources, scheduler, seed, ses_events
from infra.local.aws_server import MotoProcess
from infra.local.graph_simulator import GraphSimulator
from infra.local.graph_simulator import templates as template_simulator
from infra.local.api_server import Gateway, Reply, json_reply, serve
from infra.local.lambdas import invoke
from infra.local.triggers import QueuePoller
from infra.local.websocket import MANAGEMENT_PREFIX, LocalWebSocketApi
from switchboard import clock
from switchboard.services import reset_services

REGION = "eu-west-1"
LOCAL_MINUTE_SECONDS = 15.0  # a "minute" schedule runs this often here (expiry is judged by the clock anyway)


def _quiet_environment(endpoint: str) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "Switchboard",
        "POWERTOOLS_METRICS_DISABLED": os.environ.get("POWERTOOLS_METRICS_DISABLED", "true"),
        "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
    }


class LocalRuntime:
    def __init__(self, host: str = "127.0.0.1", port: int = 3000,
                 log: Callable[[str], None] | None = None) -> None:
        self.host = host
        self.requested_port = port
        self.log = log or (lambda line: print(line, file=sys.stderr, flush=True))
        self.stop_event = threading.Event()
        self.pollers: list[QueuePoller] = []
        self.gateway = Gateway()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> LocalRuntime:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request
        self.moto = MotoProcess().start()
        os.environ.update(_quiet_environment(self.moto.endpoint))
        self.server = serve(self.gateway, self.host, self.requested_port, self.log)
        self.port = self.server.server_address[1]
        os.environ.setdefault("GRAPH_API_BASE_URL", f"{self.url}/_graph/v25.0")
        # The WebSocket API on the same port, and its connection management API for the fan-out
        # (docs/realtime.md); webhook subscriptions may point at this machine (http, loopback).
        self.websockets = LocalWebSocketApi(self.log)
        self.gateway.upgrade = self.websockets
        self.gateway.mount(MANAGEMENT_PREFIX, lambda method, path, query, headers, body: Reply(
            *self.websockets.manage(method, path, body)))
        os.environ["WEBSOCKET_CALLBACK_URL"] = f"{self.url}{MANAGEMENT_PREFIX}"
        os.environ.setdefault("WEBHOOK_ALLOW_PRIVATE_URLS", "true")
        os.environ.setdefault("WEBHOOK_RETRY_BASE_SECONDS", "1")
        self.created = resources.create_all(local=True)
        os.environ.update(self.created.environment)
        os.environ.update(scheduler.prepare())  # campaign schedules: infra/local/scheduler.py
        reset_services()
        parameters.clear_caches()
        self.demo = seed.DemoSettings.from_env()
        self.channels = seed.seed_demo(self.demo)
        self.gateway.mount("/_local", self._dev_endpoints)
        self.graph = GraphSimulator(webhook_url=f"{self.url}/webhooks/whatsapp", public_url=f"{self.url}/_graph")
        self.gateway.mount("/_graph", self.graph.handle)
        for spec in FUNCTIONS:
            for index in range(spec.queue.local_pollers if spec.queue else 0):
                poller = QueuePoller(spec, self.created.queue_urls[spec.queue.queue], self.stop_event, self.log,
                                     index)
                poller.start()
                self.pollers.append(poller)
        # EventBridge rules of the declaration (e.g. webhook.template -> template_sync): infra/local/event_rules.py
        # The demo account's templates, served by the simulator; created/deleted ones are announced by webhook.
        template_simulator.catalog.configure(webhook_url=f"{self.url}/webhooks/whatsapp",
                                             app_secret=self.demo.app_secret)
        template_simulator.seed_demo(self.demo.waba_id)
        self.rule_queues = event_rules.create_rules(self.created.environment["EVENT_BUS_NAME"])
        for name, url in self.rule_queues.items():
            for _ in range(function(name).local_event_pollers):
                rule_poller = event_rules.RulePoller(function(name), url, self.stop_event, self.log)
                rule_poller.start()
                self.pollers.append(rule_poller)  # type: ignore[arg-type]
        # Minute-rate schedules (the presence sweep) tick here; hourly ones (template sync) do not run locally.
        threading.Thread(target=self._tick_minute_schedules, name="minute-schedules", daemon=True).start()
        self.scheduler = scheduler.LocalScheduler(self.stop_event, self.log)
        self.scheduler.start()
        threading.Thread(target=self.server.serve_forever, name="api", daemon=True).start()
        return self

    def queue_depths(self) -> dict[str, dict[str, int]]:
        sqs = boto3.client("sqs")
        depths = {}
        for name, url in {**self.created.queue_urls,
                          **{f"{k}-dlq": v for k, v in self.created.dlq_urls.items()},
                          **{f"rules-{k}": v for k, v in getattr(self, "rule_queues", {}).items()}}.items():
            attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
            depths[name] = {"visible": int(attributes["ApproximateNumberOfMessages"]),
                            "in_flight": int(attributes["ApproximateNumberOfMessagesNotVisible"])}
        return depths

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """True once every work queue is empty and no trigger is busy (DLQs may hold records)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            depths = self.queue_depths()
            busy = any(p.busy.is_set() for p in self.pollers)
            if not busy and all(d["visible"] == 0 and d["in_flight"] == 0
                                for name, d in depths.items() if not name.endswith("-dlq")):
                return True
            time.sleep(0.1)
        return False

    def _dev_endpoints(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str],
                       body: bytes) -> Reply:
        """Local-only helpers for demos and tests: health, waiting for the queues, moving the clock."""
        if path == "/health":
            return json_reply(200, {"ok": True})
        if path == "/idle" and method == "POST":
            timeout = float(query.get("timeout", ["30"])[0])
            return json_reply(200, {"idle": self.wait_idle(timeout), "queues": self.queue_depths()})
        if path == "/queues":
            return json_reply(200, self.queue_depths())
        if path == "/token":
            return self._token(query)
        if path == "/clock" and method == "POST":
            payload: dict[str, Any] = json.loads(body or b"{}")
            clock.advance(float(payload.get("advance_seconds", 0)))
            return json_reply(200, {"now": clock.iso(clock.now())})
        if path == "/ses-event" and method == "POST":  # what SES would publish on the default bus
            try:
                return json_reply(200, ses_events.publish(json.loads(body or b"{}")))
            except (ValueError, KeyError) as exc:
                return json_reply(422, {"code": "invalid_input", "message": f"{exc}"})
        return json_reply(404, {"code": "route_not_found", "message": "no such local endpoint"})

    def _tick_minute_schedules(self) -> None:
        specs = [spec for spec in FUNCTIONS if any(t.expression == "rate(1 minute)" for t in spec.schedules)]
        while not self.stop_event.wait(LOCAL_MINUTE_SECONDS):
            for spec in specs:
                try:
                    invoke(spec, {"version": "0", "id": "local-schedule", "detail-type": "Scheduled Event",
                                  "source": "aws.events", "account": "000000000000", "time": clock.iso(clock.now()),
                                  "region": REGION, "resources": [], "detail": {}})
                except Exception as exc:  # noqa: BLE001 - a schedule's failure is logged, the next tick retries
                    self.log(f"{spec.name}: scheduled run failed: {exc!r}")

    def _token(self, query: dict[str, list[str]]) -> Reply:
        """`make token OPERATOR=<id>`: the development identity provider mints a token for an operator of the
        directory, with that operator's role (refused for a disabled or unknown one)."""
        from infra.local import tokens
        from switchboard.services import services

        tenant = query.get("tenant", ["demo"])[0]
        operator_id = query.get("operator_id", [""])[0]
        operator = services().operators.get(tenant, operator_id, consistent=True) if operator_id else None
        if operator is None:
            return json_reply(404, {"code": "not_found", "message": "no such operator in this tenant"})
        if operator.get("disabled"):
            return json_reply(403, {"code": "forbidden", "message": "the operator is disabled"})
        role = str(operator.get("role") or "operator")
        return json_reply(200, {"token": tokens.issue(tenant, role, operator_id), "role": role,
                                "operator_id": operator_id, "tenant_id": tenant})

    def stop(self) -> None:
        self.stop_event.set()
        self.websockets.close_all()
        self.server.shutdown()
        self.server.server_close()
        for poller in self.pollers:
            poller.join(timeout=5)
        self.moto.stop()
