"""SLA policies over the API (docs/sla.md): admins write them, one per group or channel, every field
checked; other tenants never see them."""

from __future__ import annotations

import pytest

from infra.local import tokens

BODY = {"name": "WhatsApp SLA", "channel_id": "wa-demo", "first_response_seconds": 300,
        "resolution_seconds": 86400}


@pytest.fixture
def policy(api, demo, admin_token) -> dict:
    status, created = api.call("POST", "/sla-policies", BODY, token=admin_token)
    assert status == 201, created
    return created


def test_an_admin_creates_a_policy_for_a_channel(policy: dict) -> None:
    assert (policy["channel_id"], policy["first_response_seconds"]) == ("wa-demo", 300)


def test_operators_read_the_policies(api, policy, operator_token) -> None:
    items = api.call("GET", "/sla-policies", token=operator_token)[1]["items"]
    assert [p["policy_id"] for p in items] == [policy["policy_id"]]


def test_an_operator_may_not_create_one(api, demo, operator_token) -> None:
    assert api.call("POST", "/sla-policies", BODY, token=operator_token)[0] == 403


def test_a_second_policy_for_the_same_channel_is_a_conflict(api, policy, admin_token) -> None:
    status, body = api.call("POST", "/sla-policies", {**BODY, "name": "Another"}, token=admin_token)
    assert (status, body["code"]) == (409, "sla_policy_exists")


def test_an_unknown_group_is_refused_naming_the_field(api, demo, admin_token) -> None:
    status, body = api.call("POST", "/sla-policies", {"name": "x", "group_id": "nope", "first_response_seconds": 300},
                            token=admin_token)
    assert (status, body["errors"][0]["field"] if body.get("errors") else body.get("field")) == (422, "group_id")


def test_a_policy_names_exactly_one_scope(api, demo, admin_token) -> None:
    status, _ = api.call("POST", "/sla-policies", {"name": "x", "first_response_seconds": 300}, token=admin_token)
    assert status == 422


def test_a_policy_without_a_target_is_refused(api, demo, admin_token) -> None:
    status, _ = api.call("POST", "/sla-policies", {"name": "x", "channel_id": "wa-demo"}, token=admin_token)
    assert status == 422


def test_a_target_below_a_minute_is_refused(api, demo, admin_token) -> None:
    status, _ = api.call("POST", "/sla-policies", {**BODY, "first_response_seconds": 5}, token=admin_token)
    assert status == 422


def test_an_admin_changes_a_target(api, policy, admin_token) -> None:
    status, body = api.call("PATCH", f"/sla-policies/{policy['policy_id']}", {"first_response_seconds": 120},
                            token=admin_token)
    assert (status, body["first_response_seconds"]) == (200, 120)


def test_removing_the_last_target_is_refused(api, policy, admin_token) -> None:
    status, _ = api.call("PATCH", f"/sla-policies/{policy['policy_id']}",
                         {"first_response_seconds": None, "resolution_seconds": None}, token=admin_token)
    assert status == 422


def test_a_deleted_policy_frees_its_channel(api, policy, admin_token) -> None:
    assert api.call("DELETE", f"/sla-policies/{policy['policy_id']}", token=admin_token)[0] == 204
    assert api.call("POST", "/sla-policies", BODY, token=admin_token)[0] == 201


def test_another_tenants_admin_cannot_change_it(api, policy) -> None:
    other = tokens.issue("other", "admin")
    status, _ = api.call("PATCH", f"/sla-policies/{policy['policy_id']}", {"name": "mine"}, token=other)
    assert status == 404


def test_another_tenant_lists_none_of_them(api, policy) -> None:
    other = tokens.issue("other", "admin")
    assert api.call("GET", "/sla-policies", token=other)[1]["items"] == []
