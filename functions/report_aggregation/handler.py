"""report_aggregation: see infra/declaration.py for its triggers.

Domain events on our bus (sessions opened, resolved, reopened; messages in and out; SLA outcomes; CSAT
answers) are counted into the reports' day cells, each once (docs/reports.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from switchboard.api.entries import BusEvent, bus_consumer

if TYPE_CHECKING:
    from switchboard.services import Services


def _count(wiring: Services, event: BusEvent) -> dict[str, Any]:
    from switchboard.reports.events import count

    return {"counted": count(wiring, event.detail_type, event.detail, event.id)}


logger, metrics, handler = bus_consumer("report_aggregation", _count, prime="switchboard.reports.events")
