"""The reports' aggregates: what counting costs per event, and what a 30-day summary reads (docs/reports.md).

``measure(days, operators, groups, channels)`` counts, in an in-process moto, through the real consumer's
path (``reports.events.count``: the session's GetItem and the counting transaction), today's events of a
tenant with that many operators, groups and channels, each (operator, group, channel) busy: one
customer-started session, created, 2 messages in, 2 out by its operator (the first of them a first response)
and resolved. Every DynamoDB call is metered (bench/meter.py: units from DynamoDB's size rules). The report
items of today are then copied to the ``days - 1`` days before (a shortcut: moto's transactions are slow), and
it asks for the summary of the whole range by operator, group, channel and day
(``reports.summary.summary``) and for ``/reports/now`` (``reports.summary.now_report``), counting the
requests, read units and items each reads.

It uses only ``count``, ``summary`` and ``now_report``, so it runs on any layout of the aggregates (before
and after the cells: docs/cold-start-and-cost.md). ``python -m bench --part reports`` prints it.
"""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import timedelta
from typing import Any

from bench.conversation_search import _Environment

TENANT = "bench"


def _meter() -> Any:
    import boto3
    from switchboard import aws

    from bench.meter import Meter
    from infra.declaration import RESOURCES
    from infra.local.resources import PREFIX

    meter = Meter(inspect=boto3.client("dynamodb"),
                  indexes={f"{PREFIX}-{t.name}": t.indexes for t in RESOURCES.tables},
                  keys_only=frozenset(i for t in RESOURCES.tables for i in t.keys_only))
    meter.attach(aws.dynamodb())
    return meter


def _reads(meter: Any) -> dict[str, Any]:
    queries = [c for c in meter.calls if c.service == "dynamodb"]
    return {"requests": len(queries), "read_units": meter.total("read_units", "dynamodb"),
            "operations": meter.operations("dynamodb")}


def measure(days: int = 30, operators: int = 10, groups: int = 3, channels: int = 2) -> dict[str, Any]:
    from switchboard import clock
    from switchboard.reports import summary
    from switchboard.reports.events import count
    from switchboard.services import services
    from switchboard.storage import keys

    with _Environment():
        meter = _meter()
        table = services().table
        today = clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
        first_day = today - timedelta(days=days - 1)
        meter.active = False
        for o in range(operators):
            services().operators.create(TENANT, {"operator_id": f"op-{o:02d}", "email": f"op-{o:02d}@example.com",
                                                 "name": f"Operator {o}"}, [], clock.iso(clock.now()))
        meter.active = True
        units: dict[str, list[float]] = defaultdict(list)
        started = time.process_time()
        n = 0
        for o in range(operators):
            for g in range(groups):
                for c in range(channels):
                    n += 1
                    sid, op, at = f"S{n}", f"op-{o:02d}", lambda minutes: clock.iso(
                        today + timedelta(hours=8, minutes=minutes))
                    session = {"session_id": sid, "operator_id": op, "group_id": f"g-{g}",
                               "channel_id": f"ch-{c}", "created_at": at(0), "status": "open"}
                    meter.active = False
                    table.put({**keys.session(TENANT, sid), **session})
                    meter.active = True
                    events = [("session.created", {"session_id": sid, "at": at(0)}, f"c{n}")]
                    events += [("message.received", {"message_id": f"I{n}-{m}", "session_id": sid,
                                                     "at": at(m)}, f"i{n}{m}") for m in range(2)]
                    events += [("message.sent", {"message_id": f"O{n}-{m}", "session_id": sid,
                                                 "operator_id": op, "at": at(3 + m),
                                                 "sent_status_at": at(3 + m)}, f"o{n}{m}") for m in range(2)]
                    events.append(("session.resolved", {
                        "session_id": sid, "resolved_at": at(30 + n % 17), "opened_at": at(0),
                        "operator_id": op, "group_id": f"g-{g}", "channel_id": f"ch-{c}",
                        "at": at(30 + n % 17)}, f"r{n}"))
                    for detail_type, detail, event_id in events:
                        meter.reset()
                        assert count(services(), detail_type, {"tenant_id": TENANT, **detail}, event_id)
                        kind = "message.sent (first response)" if detail_type == "message.sent" and \
                            detail["message_id"].endswith("-0") else detail_type
                        units[kind].append(meter.total("write_units", "dynamodb"))
        meter.active = False
        copied = _copy_day(table.name, today.date().isoformat(), [
            (first_day + timedelta(days=d)).date().isoformat() for d in range(days - 1)])
        meter.active = True
        seed_cpu = time.process_time() - started
        reads: dict[str, Any] = {}
        start, end = first_day.date().isoformat(), today.date().isoformat()
        for group_by in ("operator", "group", "channel", "day"):
            meter.reset()
            report = summary.summary(services(), TENANT, start, end, group_by)  # type: ignore[arg-type]
            reads[f"summary_by_{group_by}"] = {**_reads(meter), "rows": len(report.rows)}
        meter.reset()
        now = summary.now_report(services(), TENANT)
        reads["now"] = {**_reads(meter), "operators": len(now.operators)}
    return {"days": days, "operators": operators, "groups": groups, "channels": channels,
            "events_counted": sum(len(v) for v in units.values()), "report_items_per_day": copied,
            "seed_cpu_seconds": round(seed_cpu, 1),
            "write_units_per_event": {k: round(sum(v) / len(v), 2) for k, v in units.items()},
            "reads": reads}


def _copy_day(table_name: str, day: str, to_days: list[str]) -> int:
    """The report items of ``day`` (a sort key ``<day>#...`` in a ``#RPT`` partition, whatever the layout)
    copied to each of ``to_days``; how many items a day has. A bench shortcut: counting every day through
    moto's transactions would take an hour of this machine."""
    import boto3

    client = boto3.client("dynamodb")
    found = [item for page in client.get_paginator("scan").paginate(TableName=table_name) for item in page["Items"]
             if "#RPT" in item["pk"]["S"] and "RPTMARK" not in item["pk"]["S"]
             and item["sk"]["S"].startswith(f"{day}#")]
    for other in to_days:
        puts = [{"PutRequest": {"Item": {**item, "sk": {"S": other + item["sk"]["S"][len(day):]}}}} for item in found]
        for at in range(0, len(puts), 25):
            client.batch_write_item(RequestItems={table_name: puts[at:at + 25]})
    return len(found)
