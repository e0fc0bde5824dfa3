"""Walk every operator route of the declaration with another tenant's token: the answer is a refusal
(403/404, or 422 for a body it cannot even read), or an empty list — never the demo tenant's data, never
a change to it, never a 5xx. And without a valid token, every operator route is 401."""

from __future__ import annotations

import json
import re

import pytest

from infra.declaration import FUNCTIONS
from infra.local import tokens
from switchboard.services import services
from switchboard.storage import keys
from tests.support.whatsapp import envelope, signed, text_message

OPERATOR_ROUTES = sorted({(r.method, r.path) for f in FUNCTIONS for r in f.routes if r.auth})


@pytest.fixture
def demo_data(api, demo, process_inbound, operator_token) -> dict[str, str]:
    raw, headers = signed(envelope([text_message(sender="420777555111", name="Dana Demo",
                                                 body="private demo text", wamid="wamid.ISO1")]))
    assert api.call("POST", "/webhooks/whatsapp", raw, headers=headers)[0] == 200
    process_inbound()
    session = api.call("GET", "/sessions", token=operator_token)[1]["items"][0]
    return {"session_id": session["session_id"], "contact_id": session["contact_id"],
            "campaign_id": "01CAMPAIGN0000000000000000", "kind": "phone", "value": "+420777555111",
            "channel_id": "wa-demo", "subscription_id": "01SUBSCRIPTION000000000000",
            **_team_ids(), **_saved_filter_ids(), **_sla_policy_ids(api)}


def _sla_policy_ids(api) -> dict[str, str]:  # noqa: ANN001
    """The demo tenant's SLA policy (the /sla-policies/{policy_id} routes walk it), named after the contact."""
    status, created = api.call("POST", "/sla-policies", {"name": "Dana Demo", "channel_id": "wa-demo",
                                                         "first_response_seconds": 600},
                               token=tokens.issue("demo", "admin"))
    assert status == 201, created
    return {"policy_id": created["policy_id"]}


def _saved_filter_ids() -> dict[str, str]:
    """A filter the demo tenant shares (DELETE /saved-filters/{filter_id} walks it)."""
    from switchboard.storage.saved_filters import SavedFilterRepository

    SavedFilterRepository(services().table).create("demo", None, {
        "filter_id": "FILTERDEMO", "name": "Dana Demo", "shared": True, "filters": {"q": "private demo text"},
        "by": "demo-operator", "created_at": "2026-01-01T00:00:00.000Z"})
    return {"filter_id": "FILTERDEMO"}


def _team_ids() -> dict[str, str]:
    """The demo tenant's operator, group and canned response (the team's routes walk them too)."""
    from switchboard import clock
    from switchboard.storage.team import CannedResponseRepository, GroupRepository, OperatorRepository

    now = clock.iso(clock.now())
    table = services().table
    OperatorRepository(table).create("demo", {"operator_id": "OPDEMO", "username": "OPDEMO", "name": "Dana Demo",
                                              "email": "dana@example.com", "role": "operator", "languages": [],
                                              "capacity": 3, "disabled": False}, [], now)
    GroupRepository(table).create("demo", {"group_id": "GRPDEMO", "name": "Dana Demo's group",
                                           "routing_mode": "offer", "business_hours": None}, ["OPDEMO"], now)
    CannedResponseRepository(table).create("demo", {"canned_response_id": "CANNEDDEMO", "shortcut": "dana",
                                                    "text": "private demo text", "scope": "tenant",
                                                    "owner_id": None, "attachments": []}, now)
    return {"operator_id": "OPDEMO", "group_id": "GRPDEMO", "response_id": "CANNEDDEMO"}


def _path(template: str, data: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: data[m.group(1)], template)


def _secrets(data: dict[str, str], status: int) -> list[str]:
    """What must never show: the demo contact's data; and its ids in a successful answer (a refusal may
    echo the id the caller itself sent)."""
    ids = [data["session_id"], data["contact_id"]] if status < 300 else []
    return [*ids, "420777555111", "Dana Demo", "private demo text"]


def test_another_tenant_gets_nothing_from_any_route(api, demo_data, operator_token) -> None:
    intruder = tokens.issue("acme", "admin")
    before = api.call("GET", f"/sessions/{demo_data['session_id']}", token=operator_token)[1]
    walked = 0
    for method, template in OPERATOR_ROUTES:
        body = {} if method in ("POST", "PUT", "PATCH") else None
        status, reply = api.call(method, _path(template, demo_data), body=body, token=intruder)
        text = json.dumps(reply) if not isinstance(reply, bytes) else reply.decode(errors="replace")
        walked += 1
        assert status < 500, (method, template, status, text)
        if "{" in template:
            assert status in (403, 404, 405, 409, 422), (method, template, status, text)
        for secret in _secrets(demo_data, status):
            assert secret not in text, (method, template, status, secret)
    assert walked == len(OPERATOR_ROUTES) >= 40
    after = api.call("GET", f"/sessions/{demo_data['session_id']}", token=operator_token)[1]
    assert after == before
    contact = services().table.get(keys.contact("demo", demo_data["contact_id"]))
    assert contact is not None and contact["name"] == "Dana Demo"


@pytest.mark.parametrize("token", [None, "not-a-jwt", tokens.issue("demo", ttl_seconds=-5),
                                   tokens.issue("demo", key="a-forged-signing-key-of-enough-length")],
                         ids=["missing", "garbage", "expired", "forged"])
def test_every_operator_route_needs_a_valid_token(api, demo, token) -> None:
    data = {"session_id": "S1", "contact_id": "C1", "campaign_id": "K1", "kind": "phone", "value": "1",
            "operator_id": "O1", "group_id": "G1", "response_id": "R1", "channel_id": "wa-demo",
            "subscription_id": "W1", "filter_id": "F1", "policy_id": "P1"}
    for method, template in OPERATOR_ROUTES:
        status, reply = api.call(method, _path(template, data), body={} if method != "GET" else None,
                                 token=token)
        assert (status, reply["code"]) == (401, "unauthorized"), (method, template)
