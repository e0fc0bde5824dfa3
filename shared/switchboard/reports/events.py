"""report_aggregation's entry into the domain: one bus event counted into its day cell, once."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from switchboard import clock
from switchboard.reports import aggregates
from switchboard.services import Services
from switchboard.storage.reports import FirstResponseTaken, ReportStore

logger = Logger(service="report_aggregation", child=True)


def count(services: Services, detail_type: str, detail: dict[str, Any], event_id: str) -> bool:
    """Count one event; False when it counts for nothing or was counted already (a redelivery)."""
    tenant_id = str(detail["tenant_id"])
    session_id = detail.get("session_id")
    session = services.sessions.get(tenant_id, str(session_id)) if session_id else None
    fact = aggregates.plan(detail_type, detail, session, event_id)
    if fact is None:
        return False
    store = ReportStore(services.table)
    now_epoch = int(clock.now().timestamp())
    try:
        counted = store.record(tenant_id, fact, now_epoch)
    except FirstResponseTaken:
        counted = store.record(tenant_id, aggregates.without_first_response(fact), now_epoch)
    if not counted:
        logger.info("event counted already", detail_type=detail_type, marker=fact.marker)
    return counted
