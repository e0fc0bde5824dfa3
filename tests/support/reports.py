"""Helpers for the reports' tests: the clock put at a chosen hour of a chosen day, and the bus consumers
(report_aggregation, csat_survey) and the send worker run in-process as their triggers would."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from infra.declaration import function
from infra.local import event_rules
from infra.local.triggers import drain
from switchboard import clock
from switchboard.services import services


class Pipeline:
    def __init__(self, aws: Any) -> None:
        self.rule_queues = event_rules.create_rules(aws.environment["EVENT_BUS_NAME"])
        self.base = (clock.now() + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)

    def at(self, day: int, hour: int, minute: int = 0) -> datetime:
        """Move the injected clock to that moment of the seeded week (forward only)."""
        target = self.base + timedelta(days=day, hours=hour, minutes=minute)
        clock.advance((target - clock.now()).total_seconds())
        return target

    def consumer(self, name: str) -> int:
        spec, total = function(name), 0
        while delivered := event_rules.drain(spec, self.rule_queues[name], log=lambda *_: None):
            total += delivered
        return total

    def inbound(self) -> None:
        drain(function("contact_resolution"), services().settings.inbound_queue_url)

    def outbound(self) -> None:
        drain(function("message_send"), services().settings.outbound_queue_url)

    def settle(self) -> None:
        """Everything that waits: inbound, the survey, sends, then the counting."""
        self.inbound()
        self.consumer("csat_survey")
        self.outbound()
        self.inbound()
        self.consumer("csat_survey")
        self.consumer("report_aggregation")
