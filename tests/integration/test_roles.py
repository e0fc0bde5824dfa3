"""Two roles: operators run the inbox, admins also run the tenant (channels, campaigns, contact erasure and
merging, attribute definitions, template sync, webhook errors). An operator's token on an admin route
is 403 and changes nothing; an admin's token on the same route is never 403."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from switchboard.services import services
from switchboard.storage import keys

from infra.declaration import FUNCTIONS
from tests.support.outbound import graph_refuses
from tests.support.whatsapp import envelope, signed, text_message

CAMPAIGN = {"name": "Spring", "channel_id": "wa-demo", "template": {"name": "spring_sale", "language": "en"}}

# Every route whose code calls principal.require_admin() (docs/hardening.md lists them too).
ADMIN_ROUTES: list[tuple[str, str, dict | None]] = [
    ("GET", "/channels", None),
    ("GET", "/webhook-errors", None),
    ("POST", "/templates/sync", None),
    ("PUT", "/contact-attributes", {"definitions": [{"name": "crm_id", "identifying": True}]}),
    ("POST", "/campaigns", CAMPAIGN),
    ("POST", "/campaigns/{campaign_id}/recipients", {"contact_ids": ["{contact_id}"]}),
    ("POST", "/campaigns/{campaign_id}/start", None),
    ("POST", "/campaigns/{campaign_id}/pause", None),
    ("POST", "/campaigns/{campaign_id}/resume", None),
    ("POST", "/campaigns/{campaign_id}/cancel", None),
    ("POST", "/contacts/{contact_id}/merge", {"contact_id": "{other_contact_id}"}),
    ("POST", "/contacts/{contact_id}/anonymize", None),
    ("DELETE", "/contacts/{contact_id}", None),
    # the team (docs/team.md)
    ("POST", "/operators", {"name": "New One", "email": "new.one@example.com"}),
    ("POST", "/groups", {"name": "New group"}),
    ("PATCH", "/groups/{group_id}", {"name": "Renamed"}),
    ("PUT", "/routing-rules", {"rules": [], "default_group_id": "{group_id}"}),
    ("PUT", "/channels/{channel_id}/business-hours", {"away_message": "We are closed"}),
    ("DELETE", "/groups/{group_id}", None),
    ("DELETE", "/operators/{operator_id}", None),
]


@pytest.fixture(autouse=True)
def no_graph() -> Iterator[None]:
    """Template sync asks Meta: here Meta is down (the admin still gets past the role check)."""
    with graph_refuses(503, 2, "unavailable"):
        yield


@pytest.fixture
def tenant(api, demo, process_inbound, operator_token) -> dict[str, str]:
    for sender, wamid in [("420777555111", "wamid.ROLE1"), ("420777555222", "wamid.ROLE2")]:
        raw, headers = signed(envelope([text_message(sender=sender, wamid=wamid, body="hello")]))
        assert api.call("POST", "/webhooks/whatsapp", raw, headers=headers)[0] == 200
    process_inbound()
    sessions = api.call("GET", "/sessions", token=operator_token)[1]["items"]
    contact_id, other = sorted(s["contact_id"] for s in sessions)
    from switchboard import clock
    from switchboard.storage.team import GroupRepository, OperatorRepository

    now = clock.iso(clock.now())
    OperatorRepository(services().table).create("demo", {
        "operator_id": "OPROLE", "username": "OPROLE", "name": "Role Test", "email": "role@example.com",
        "role": "operator", "languages": [], "capacity": 3, "disabled": False}, [], now)
    GroupRepository(services().table).create("demo", {"group_id": "GRPROLE", "name": "Roles",
                                                      "routing_mode": "offer", "business_hours": None}, [], now)
    return {"contact_id": contact_id, "other_contact_id": other, "campaign_id": "01NOSUCHCAMPAIGN0000000000",
            "operator_id": "OPROLE", "group_id": "GRPROLE", "channel_id": "wa-demo"}


def _fill(value, data: dict[str, str]):  # noqa: ANN001, ANN202
    if isinstance(value, str):
        return re.sub(r"\{(\w+)\}", lambda m: data[m.group(1)], value)
    if isinstance(value, dict):
        return {k: _fill(v, data) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, data) for v in value]
    return value


def test_the_admin_route_list_matches_the_declaration() -> None:
    declared = {(r.method, r.path) for f in FUNCTIONS for r in f.routes if r.auth}
    assert {(method, path) for method, path, _ in ADMIN_ROUTES} <= declared


def test_an_operator_is_refused_every_admin_route_and_changes_nothing(api, tenant, operator_token) -> None:
    before = services().table.get(keys.contact("demo", tenant["contact_id"]))
    for method, path, body in ADMIN_ROUTES:
        status, reply = api.call(method, _fill(path, tenant), body=_fill(body, tenant), token=operator_token)
        assert status == 403, (method, path, status, reply)
    assert services().table.get(keys.contact("demo", tenant["contact_id"])) == before
    assert services().table.get(keys.contact("demo", tenant["other_contact_id"])) is not None
    assert api.call("GET", "/campaigns", token=operator_token)[1]["items"] == []


def test_an_admin_gets_past_the_role_check_on_every_admin_route(api, tenant, admin_token) -> None:
    answers = {}
    for method, path, body in ADMIN_ROUTES:
        status, reply = api.call(method, _fill(path, tenant), body=_fill(body, tenant), token=admin_token)
        assert status != 403 and status < 500, (method, path, status, reply)
        answers[(method, path)] = status
    assert answers[("GET", "/channels")] == 200 and answers[("GET", "/webhook-errors")] == 200
    assert answers[("PUT", "/contact-attributes")] == 200
    assert answers[("POST", "/contacts/{contact_id}/merge")] == 200
    assert answers[("DELETE", "/contacts/{contact_id}")] == 204
    assert services().table.get(keys.contact("demo", tenant["contact_id"])) is None
