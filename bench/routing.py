"""session_routing: DynamoDB round trips to route one new session, for each group mode.

Sessions are made the ordinary way (webhooks, contact_resolution; not metered); then session_routing's
handler gets each ``session.created`` event as EventBridge would deliver it, with the meter on the
function's clients. Per mode: ``round_robin`` and ``least_busy`` with online members who have room (the
session is assigned), ``offer`` (the session waits for a member to take it), and ``round_robin`` with
nobody online (it waits in the queue, and the queue is drained once more)."""

from __future__ import annotations

import itertools
from typing import Any

from bench import resolution
from bench.environment import LocalAws

_numbers = itertools.count(1)
SESSIONS_PER_MODE = 5


def _team(mode: str, online: bool) -> str:
    """A group of three operators (capacity 10, online or not) that the tenant's rules route to."""
    from switchboard import clock, ids
    from switchboard.services import services

    s = services()
    now_iso = clock.iso(clock.now())
    group_id = ids.new_id()
    s.groups.create(
        "demo",
        {"group_id": group_id, "name": f"bench {mode}", "routing_mode": mode, "business_hours": None},
        [],
        now_iso,
    )
    members = []
    for n in range(3):
        operator_id = ids.new_id()
        s.operators.create(
            "demo",
            {
                "operator_id": operator_id,
                "username": operator_id,
                "name": f"Bench {n}",
                "email": f"bench-{operator_id.lower()}@example.com",
                "role": "operator",
                "languages": [],
                "capacity": 10,
                "disabled": False,
            },
            [],
            now_iso,
        )
        members.append(operator_id)
        if online:
            s.operators.set_presence(
                "demo", operator_id, "online", now_iso, int(clock.now().timestamp()) + 3600
            )
    s.groups.update("demo", group_id, {}, members, [], now_iso)
    s.team_settings.put_routing_rules("demo", [], group_id, now_iso)
    return group_id


def _new_sessions(env: LocalAws, n: int) -> list[dict[str, Any]]:
    from switchboard.services import services
    from switchboard.storage import keys

    senders = [f"4478{next(_numbers):08d}" for _ in range(n)]
    resolution.post_messages(env, senders)
    resolution.drain(env)
    table = services().table
    found = []
    for sender in senders:
        pointer = table.get(keys.thread("demo", "wa-demo", sender), consistent=True)
        found.append({"session_id": pointer["session_id"], "contact_id": pointer["contact_id"]})
    return found


def _route(session: dict[str, Any]) -> dict[str, Any]:
    from infra.declaration import function
    from infra.local.lambdas import LambdaContext, handler_module

    spec = function("session_routing")
    event = {
        "version": "0",
        "id": "bench",
        "detail-type": "session.created",
        "source": "switchboard",
        "account": "000000000000",
        "time": "2026-01-01T00:00:00Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": {
            "tenant_id": "demo",
            "session_id": session["session_id"],
            "contact_id": session["contact_id"],
            "channel_id": "wa-demo",
        },
    }
    return handler_module("session_routing").handler(event, LambdaContext(spec.name, spec.memory_mb))


def measure(env: LocalAws, sessions: int = SESSIONS_PER_MODE) -> dict[str, Any]:
    from switchboard.services import services

    meter = resolution._meter(env)
    results: dict[str, Any] = {"sessions_per_mode": sessions}
    for label, mode, online in (
        ("round_robin", "round_robin", True),
        ("least_busy", "least_busy", True),
        ("offer", "offer", True),
        ("round_robin_queued", "round_robin", False),
    ):
        group_id = _team(mode, online)
        made = _new_sessions(env, sessions)
        _route(_new_sessions(env, 1)[0])  # warm: the handler's import and first clients
        meter.reset()
        meter.active = True
        for session in made:
            _route(session)
        meter.active = False
        outcome = [services().sessions.get("demo", s["session_id"]) for s in made]
        figures = resolution._per(meter, sessions)
        figures["assigned"] = sum(1 for s in outcome if s.get("counted_operator_id"))
        figures["queued"] = sum(1 for s in outcome if s.get("queued_group_id") == group_id)
        results[label] = figures
    return results
