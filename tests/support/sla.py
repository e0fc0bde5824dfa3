"""A help desk for the SLA tests: the team (routing run in-process), sla_timers fed from its rule queue the
way EventBridge would feed it, the local EventBridge Scheduler ticked by hand, and what reached the bus."""

from __future__ import annotations

import json
from typing import Any

import boto3
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from infra.declaration import function
from infra.local import event_rules
from infra.local.lambdas import invoke
from infra.local.scheduler import LocalScheduler
from infra.local.triggers import drain
from switchboard.clients.scheduler import GROUP
from switchboard.sla import schedules
from tests.support.campaigns import enable_campaigns
from tests.support.outbound import run_send_worker
from tests.support.team import Team, customer_writes


class Desk:
    def __init__(self, api: Any, aws: Any, monkeypatch: Any) -> None:
        enable_campaigns(monkeypatch)  # the scheduler's group, role and dead-letter queue
        self.api, self.aws = api, aws
        self.team = Team(api, aws)
        self.admin = self.team.admin
        self.scheduler = LocalScheduler(stop=None, log=print)  # type: ignore[arg-type]
        self.bus: list[dict[str, Any]] = []

    def policy(self, **body: Any) -> dict[str, Any]:
        status, created = self.api.call("POST", "/sla-policies", {"name": "Support SLA", **body}, token=self.admin)
        assert status == 201, created
        return created

    def settle(self) -> None:
        """Every queue and rule drained: inbound, routing, sends, sla_timers, until nothing moves."""
        while True:
            moved = drain(function("contact_resolution"), self.aws.queue_urls["inbound"])
            moved += self.team.route()
            moved += run_send_worker(self.aws.queue_urls["outbound"])
            moved += event_rules.drain(function("sla_timers"), self.team.rule_queues["sla_timers"])
            if not moved:
                return

    def customer_writes(self, sender: str, text: str = "Hello") -> str:
        customer_writes(self.api, sender, text)
        self.settle()
        sessions = self.api.call("GET", "/sessions?limit=100", token=self.admin)[1]["items"]
        (session,) = [s for s in sessions if s["address"].endswith(sender) and s["status"] != "resolved"]
        return str(session["session_id"])

    def reply(self, session_id: str, token: str | None = None) -> None:
        status, body = self.api.call("POST", f"/sessions/{session_id}/messages", {"text": "On it"},
                                     token=token or self.admin)
        assert status == 202, body
        self.settle()

    def session(self, session_id: str) -> dict[str, Any]:
        return self.api.call("GET", f"/sessions/{session_id}", token=self.admin)[1]

    def schedule_input(self, session_id: str, target: str) -> dict[str, Any] | None:
        name = schedules.name(schedules.DUE, "demo", session_id, target)
        try:
            found = boto3.client("scheduler").get_schedule(Name=name, GroupName=GROUP)
        except boto3.client("scheduler").exceptions.ResourceNotFoundException:
            return None
        return json.loads(found["Target"]["Input"])

    def tick(self) -> list[str]:
        """The local scheduler fires what is due by the (moved) clock; then the events settle."""
        fired = self.scheduler.tick(wait=True)
        self.settle()
        return fired

    def fire(self, payload: dict[str, Any]) -> Any:
        """One more delivery of a schedule's input (EventBridge Scheduler delivers at least once)."""
        return invoke(function("sla_timers"), payload)

    def published(self, detail_type: str) -> list[dict[str, Any]]:
        """The events of that type on the bus so far (what realtime_fanout's rule received)."""
        sqs, url = boto3.client("sqs"), self.team.rule_queues["realtime_fanout"]
        while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            for message in messages:
                self.bus.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return [e["detail"] for e in self.bus if e["detail-type"] == detail_type]


def emails_to(address: str) -> list[Any]:
    sent = ses_backends[DEFAULT_ACCOUNT_ID]["eu-west-1"].sent_messages
    return [m for m in sent if address in str(getattr(m, "destinations", ""))]
