"""The one-time EventBridge Scheduler schedules of SLA timers and unanswered alerts: one per session and
target (or per session, for the alert), named by a digest, fired once at the due time into sla_timers
with an input naming what for. The scheduler deletes a schedule once it has fired."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from switchboard.campaigns.schedule import at_expression
from switchboard.clients.scheduler import Scheduler, ScheduleSpec

DUE, ALERT = "sla_due", "unanswered_alert"  # the kinds of schedule input


def name(kind: str, tenant_id: str, session_id: str, target: str = "") -> str:
    """At most 64 characters, whatever the ids: a digest of whom it is for."""
    digest = hashlib.sha256(f"{kind}#{tenant_id}#{session_id}#{target}".encode()).hexdigest()[:40]
    return f"{'sla' if kind == DUE else 'alert'}-{digest}"


def put(scheduler: Scheduler, schedule_name: str, due: datetime, payload: dict[str, Any]) -> None:
    scheduler.put(ScheduleSpec(name=schedule_name, expression=at_expression(due, "UTC"), time_zone="UTC",
                               payload=payload, one_off=True))


def delete(scheduler: Scheduler, schedule_name: str) -> None:
    scheduler.delete(schedule_name)
