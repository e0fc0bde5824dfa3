"""Routing over the local runtime (`python -m infra.local`, real HTTP): 3 groups, 12 operators with capacity
3 (some offline), 60 first messages from 60 new senders posted at once. Every session is routed by the
rules, no operator is over capacity, the rest wait in arrival order; when 4 operators come online, exactly
as many waiting sessions as they have room for are assigned, oldest first, none twice."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.support.runtime import api, http, idle, local_runtime, token
from tests.support.whatsapp import envelope, signed, text_message

pytestmark = pytest.mark.e2e

CHANNELS = {
    "wa-demo": ("106540352242922", "102290129340398"),
    "wa-north": ("2000000000001", "3000000000001"),
    "wa-south": ("2000000000002", "3000000000002"),
}
CAPACITY = 3


@pytest.fixture(scope="module")
def runtime() -> Iterator[str]:
    extra = ",".join(f"{cid}={pn}/{waba}" for cid, (pn, waba) in CHANNELS.items() if cid != "wa-demo")
    # Heartbeats last 10 minutes here: a loaded machine must not turn the test's operators offline.
    with local_runtime(
        {"SWITCHBOARD_DEMO_EXTRA_WHATSAPP_CHANNELS": extra, "SWITCHBOARD_PRESENCE_TTL_SECONDS": "600"}
    ) as url:
        yield url


def _operator_token(url: str, operator_id: str) -> str:
    """What `make token OPERATOR=<id>` prints: minted by the runtime's identity provider, with the role."""
    status, body = api("GET", f"{url}/_local/token?tenant=demo&operator_id={operator_id}")
    assert status == 200, body
    return body["token"]


def _come_online(url: str, operator_id: str) -> int:
    """The operator's frontend reports them online: the status it was answered."""
    return api(
        "PUT", f"{url}/operators/me/presence", _operator_token(url, operator_id), {"status": "online"}
    )[0]


def _all_sessions(url: str, admin: str) -> list[dict[str, Any]]:
    found, cursor = [], None
    while True:
        status, page = api(
            "GET", f"{url}/sessions?limit=100" + (f"&cursor={cursor}" if cursor else ""), admin
        )
        assert status == 200, page
        found += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return found


def _waiting(url: str, admin: str, group_id: str) -> list[str]:
    status, page = api("GET", f"{url}/sessions?group_id={group_id}&operator_id=none&limit=100", admin)
    assert status == 200, page
    assert [s["created_at"] for s in page["items"]] == sorted(s["created_at"] for s in page["items"])
    return [s["session_id"] for s in page["items"]]


def test_sixty_concurrent_first_messages_are_routed_within_capacity_and_queues_drain_oldest_first(
    runtime: str,
) -> None:
    admin = token("--role", "admin")
    groups = {}
    for channel_id, mode in zip(CHANNELS, ("round_robin", "least_busy", "round_robin"), strict=True):
        status, group = api(
            "POST", f"{runtime}/groups", admin, {"name": f"team {channel_id}", "routing_mode": mode}
        )
        assert status == 201, group
        groups[channel_id] = group["group_id"]
    operators: dict[str, list[str]] = {channel_id: [] for channel_id in CHANNELS}
    for n in range(12):
        channel_id = list(CHANNELS)[n // 4]
        status, body = api(
            "POST",
            f"{runtime}/operators",
            admin,
            {
                "name": f"Operator {n}",
                "email": f"op{n}@example.com",
                "capacity": CAPACITY,
                "groups": [groups[channel_id]],
            },
        )
        assert status == 201, body
        operators[channel_id].append(body["operator_id"])
    status, _ = api(
        "PUT",
        f"{runtime}/routing-rules",
        admin,
        {
            "rules": [
                {"match": {"channel_id": channel_id}, "group_id": group_id}
                for channel_id, group_id in groups.items()
            ]
        },
    )
    assert status == 200
    online_first = {"wa-demo": 2, "wa-north": 2, "wa-south": 1}
    for channel_id, count in online_first.items():
        for operator_id in operators[channel_id][:count]:
            assert _come_online(runtime, operator_id) == 200
    idle(runtime, 240)

    def post(n: int) -> int:
        channel_id = list(CHANNELS)[n % 3]
        phone_number_id, waba_id = CHANNELS[channel_id]
        raw, headers = signed(
            envelope(
                [
                    text_message(
                        sender=f"4207700{n:05d}",
                        body=f"first message {n}",
                        wamid=f"wamid.ROUTE{n:03d}",
                        timestamp=1_900_000_000,
                    )
                ],
                phone_number_id=phone_number_id,
                waba_id=waba_id,
            )
        )
        return http("POST", f"{runtime}/webhooks/whatsapp", raw, headers)[0]

    with ThreadPoolExecutor(max_workers=20) as pool:
        assert list(pool.map(post, range(60))) == [200] * 60
    idle(runtime, 240)

    sessions = _all_sessions(runtime, admin)
    assert len(sessions) == 60
    assert all(s["group_id"] == groups[s["channel_id"]] for s in sessions)  # routed by the rules
    held = Counter(s["operator_id"] for s in sessions if s.get("operator_id"))
    assert held == {
        operator_id: CAPACITY
        for channel_id, count in online_first.items()
        for operator_id in operators[channel_id][:count]
    }
    waiting_before = {
        channel_id: _waiting(runtime, admin, group_id) for channel_id, group_id in groups.items()
    }
    assert {c: len(w) for c, w in waiting_before.items()} == {"wa-demo": 14, "wa-north": 14, "wa-south": 17}
    listed = api("GET", f"{runtime}/operators?limit=100", admin)[1]["items"]
    assert {o["operator_id"]: o["open_count"] for o in listed if o["open_count"]} == dict(held)

    coming = {
        "wa-demo": operators["wa-demo"][2:4],
        "wa-north": operators["wa-north"][2:3],
        "wa-south": operators["wa-south"][1:2],
    }
    for operator_ids in coming.values():
        for operator_id in operator_ids:
            assert _come_online(runtime, operator_id) == 200
    idle(runtime, 240)

    after = {s["session_id"]: s for s in _all_sessions(runtime, admin)}
    for channel_id, group_id in groups.items():
        room = CAPACITY * len(coming[channel_id])
        assert _waiting(runtime, admin, group_id) == waiting_before[channel_id][room:]  # oldest first
        assert {after[sid]["operator_id"] for sid in waiting_before[channel_id][:room]} == set(
            coming[channel_id]
        )
    held_after = Counter(s["operator_id"] for s in after.values() if s.get("operator_id"))
    assert max(held_after.values()) == CAPACITY
    listed = api("GET", f"{runtime}/operators?limit=100", admin)[1]["items"]
    assert sum(o["open_count"] for o in listed) == sum(held_after.values()) == 27  # none assigned twice
