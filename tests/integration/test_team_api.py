"""The team's routes as an admin, an operator and another tenant call them: operators, groups, presence,
routing rules; every refusal (403 for operators on admin routes, 404 across tenants, 409 deleting an
operator with sessions, 422 naming the field)."""

from __future__ import annotations

import pytest

from infra.local import tokens
from switchboard import clock
from switchboard.services import services
from switchboard.team.operators import sweep_presence
from tests.support.team import Team, customer_writes


@pytest.fixture
def team(api, demo, aws):
    return Team(api, aws)


@pytest.fixture
def other_admin() -> str:
    return tokens.issue("acme", "admin", "acme-admin")


def test_an_admin_invites_an_operator_who_is_listed_offline_with_no_sessions(team: Team, api) -> None:
    invited = team.invite("Ada Lovelace", capacity=4, languages=["en", "cs"])
    listed = api.call("GET", "/operators", token=team.admin)[1]["items"]
    assert [(o["name"], o["presence"], o["open_count"], o["capacity"]) for o in listed] == [
        ("Ada Lovelace", "offline", 0, 4)
    ]
    assert invited["email"] == "ada.lovelace@example.com"


def test_an_operator_may_not_invite(team: Team, api, operator_token: str) -> None:
    status, body = api.call(
        "POST", "/operators", {"name": "X", "email": "x@example.com"}, token=operator_token
    )
    assert (status, body["code"]) == (403, "forbidden")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "X", "email": "not-an-email"}, "email"),
        ({"name": "X", "email": "x@example.com", "capacity": -1}, "capacity"),
        ({"name": "X", "email": "x@example.com", "role": "owner"}, "role"),
        ({"name": "", "email": "x@example.com"}, "name"),
        ({"name": "X", "email": "x@example.com", "groups": ["nope"]}, "groups"),
    ],
)
def test_a_bad_invite_is_a_422_naming_the_field(team: Team, api, body, field) -> None:
    status, reply = api.call("POST", "/operators", body, token=team.admin)
    assert (status, reply.get("field")) == (422, field)
    assert api.call("GET", "/operators", token=team.admin)[1]["items"] == []


def test_the_same_email_twice_is_a_409(team: Team, api) -> None:
    team.invite("Ada")
    status, body = api.call(
        "POST", "/operators", {"name": "Ada 2", "email": "ada@example.com"}, token=team.admin
    )
    assert (status, body["code"]) == (409, "email_taken")


def test_an_operator_edits_their_own_name_and_languages(team: Team, api) -> None:
    ada = team.invite("Ada")
    status, body = api.call(
        "PATCH",
        f"/operators/{ada['operator_id']}",
        {"name": "Ada L.", "languages": ["de"]},
        token=team.token(ada),
    )
    assert (status, body["name"], body["languages"]) == (200, "Ada L.", ["de"])


@pytest.mark.parametrize("change", [{"capacity": 10}, {"role": "admin"}, {"disabled": True}, {"groups": []}])
def test_an_operator_may_not_change_admin_fields_of_their_own(team: Team, api, change) -> None:
    ada = team.invite("Ada")
    status, _ = api.call("PATCH", f"/operators/{ada['operator_id']}", change, token=team.token(ada))
    assert status == 403
    assert team.operator(ada["operator_id"])["capacity"] == 3


def test_an_operator_may_not_edit_another_operator(team: Team, api) -> None:
    ada, bob = team.invite("Ada"), team.invite("Bob")
    status, _ = api.call(
        "PATCH", f"/operators/{bob['operator_id']}", {"name": "Bobby"}, token=team.token(ada)
    )
    assert status == 403


def test_a_bad_patch_is_a_422_naming_the_field(team: Team, api) -> None:
    ada = team.invite("Ada")
    status, body = api.call("PATCH", f"/operators/{ada['operator_id']}", {"capacity": 1000}, token=team.admin)
    assert (status, body["field"]) == (422, "capacity")


@pytest.mark.parametrize(("method", "body"), [("GET", None), ("PATCH", {"name": "Mine"}), ("DELETE", None)])
def test_another_tenant_never_finds_an_operator(team: Team, api, other_admin, method, body) -> None:
    ada = team.invite("Ada")
    status, _ = api.call(method, f"/operators/{ada['operator_id']}", body, token=other_admin)
    assert status == 404
    assert team.operator(ada["operator_id"])["name"] == "Ada"


def test_another_tenant_lists_none_of_our_operators(team: Team, api, other_admin) -> None:
    team.invite("Ada")
    assert api.call("GET", "/operators", token=other_admin)[1]["items"] == []


def test_deleting_an_operator_who_holds_sessions_is_a_409_with_the_count(team: Team, api) -> None:
    ada = team.invite("Ada")
    group = team.group("Support", [ada["operator_id"]])
    team.rules([], default_group_id=group["group_id"])
    team.online(ada)
    customer_writes(api, "420601000001")
    customer_writes(api, "420601000002")
    from infra.declaration import function
    from infra.local.triggers import drain
    from tests.support.inbound import post  # noqa: F401 - the inbound queue is drained below

    drain(function("contact_resolution"), services().settings.inbound_queue_url)
    team.route()
    status, body = api.call("DELETE", f"/operators/{ada['operator_id']}", token=team.admin)
    assert (status, body["code"], body["open_sessions"]) == (409, "operator_has_sessions", 2)
    assert team.operator(ada["operator_id"])["open_count"] == 2


def test_an_operator_without_sessions_is_deleted_and_leaves_their_groups(team: Team, api) -> None:
    ada = team.invite("Ada")
    group = team.group("Support", [ada["operator_id"]])
    assert api.call("DELETE", f"/operators/{ada['operator_id']}", token=team.admin)[0] == 204
    assert api.call("GET", f"/operators/{ada['operator_id']}", token=team.admin)[0] == 404
    assert api.call("GET", f"/groups/{group['group_id']}", token=team.admin)[1]["members"] == []


def test_an_operator_may_not_delete(team: Team, api, operator_token) -> None:
    ada = team.invite("Ada")
    assert api.call("DELETE", f"/operators/{ada['operator_id']}", token=operator_token)[0] == 403


def test_a_disabled_operator_goes_offline_and_cannot_come_online(team: Team, api) -> None:
    ada = team.invite("Ada")
    team.online(ada)
    status, body = api.call("PATCH", f"/operators/{ada['operator_id']}", {"disabled": True}, token=team.admin)
    assert (status, body["disabled"], body["presence"]) == (200, True, "offline")
    status, _ = api.call("PUT", "/operators/me/presence", {"status": "online"}, token=team.token(ada))
    assert status == 404


# -- presence ------------------------------------------------------------------------------------------
def test_presence_shows_online_until_the_heartbeat_expires(team: Team, api) -> None:
    ada = team.invite("Ada")
    assert team.online(ada)["presence"] == "online"
    clock.advance(60)
    team.online(ada)  # the heartbeat
    clock.advance(60)
    assert team.operator(ada["operator_id"])["presence"] == "online"
    clock.advance(31)
    assert team.operator(ada["operator_id"])["presence"] == "offline"


def test_the_sweep_turns_expired_presence_offline_and_says_so(team: Team, api) -> None:
    ada, bob = team.invite("Ada"), team.invite("Bob")
    team.online(ada)
    team.online(bob, "away")
    clock.advance(45)
    team.online(bob, "away")
    clock.advance(60)
    events = sweep_presence(services())
    assert [(e.detail["operator_id"], e.detail["to"]) for e in events] == [(ada["operator_id"], "offline")]
    stored = services().operators.get("demo", ada["operator_id"], consistent=True)
    assert stored["presence"] == "offline"


def test_a_bad_presence_is_a_422_naming_the_field(team: Team, api) -> None:
    ada = team.invite("Ada")
    status, body = api.call("PUT", "/operators/me/presence", {"status": "busy"}, token=team.token(ada))
    assert (status, body["field"]) == (422, "status")


# -- groups -------------------------------------------------------------------------------------------
def test_an_admin_creates_a_group_and_its_members_list_it(team: Team, api) -> None:
    ada = team.invite("Ada")
    group = team.group(
        "Sales",
        [ada["operator_id"]],
        mode="least_busy",
        business_hours={
            "time_zone": "Europe/Prague",
            "weekly": {"mon": [{"from": "09:00", "to": "17:00"}]},
            "holidays": ["2026-12-24"],
        },
    )
    assert (group["routing_mode"], group["members"]) == ("least_busy", [ada["operator_id"]])
    assert team.operator(ada["operator_id"])["groups"] == [group["group_id"]]


def test_changing_a_groups_members_changes_the_operators_groups(team: Team, api) -> None:
    ada, bob = team.invite("Ada"), team.invite("Bob")
    group = team.group("Sales", [ada["operator_id"]])
    status, body = api.call(
        "PATCH", f"/groups/{group['group_id']}", {"members": [bob["operator_id"]]}, token=team.admin
    )
    assert (status, body["members"]) == (200, [bob["operator_id"]])
    assert team.operator(ada["operator_id"])["groups"] == []
    assert team.operator(bob["operator_id"])["groups"] == [group["group_id"]]


def test_an_operator_may_not_create_or_change_groups(team: Team, api, operator_token) -> None:
    group = team.group("Sales")
    assert api.call("POST", "/groups", {"name": "Mine"}, token=operator_token)[0] == 403
    assert api.call("PATCH", f"/groups/{group['group_id']}", {"name": "Mine"}, token=operator_token)[0] == 403
    assert api.call("DELETE", f"/groups/{group['group_id']}", token=operator_token)[0] == 403


def test_an_operator_reads_groups(team: Team, api, operator_token) -> None:
    team.group("Sales")
    assert [g["name"] for g in api.call("GET", "/groups", token=operator_token)[1]["items"]] == ["Sales"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "G", "routing_mode": "random"}, "routing_mode"),
        ({"name": "G", "members": ["nobody"]}, "members"),
        ({"name": "G", "business_hours": {"time_zone": "Mars/Olympus"}}, "business_hours.time_zone"),
        (
            {
                "name": "G",
                "business_hours": {"time_zone": "UTC", "weekly": {"mon": [{"from": "18:00", "to": "09:00"}]}},
            },
            "business_hours.weekly.mon.0",
        ),
    ],
)
def test_a_bad_group_is_a_422_naming_the_field(team: Team, api, body, field) -> None:
    status, reply = api.call("POST", "/groups", body, token=team.admin)
    assert (status, reply.get("field")) == (422, field)


@pytest.mark.parametrize(("method", "body"), [("GET", None), ("PATCH", {"name": "Mine"}), ("DELETE", None)])
def test_another_tenant_never_finds_a_group(team: Team, api, other_admin, method, body) -> None:
    group = team.group("Sales")
    assert api.call(method, f"/groups/{group['group_id']}", body, token=other_admin)[0] == 404


def test_a_group_is_deleted(team: Team, api) -> None:
    group = team.group("Sales")
    assert api.call("DELETE", f"/groups/{group['group_id']}", token=team.admin)[0] == 204
    assert api.call("GET", f"/groups/{group['group_id']}", token=team.admin)[0] == 404


# -- routing rules and business hours of channels ---------------------------------------------------------
def test_routing_rules_are_for_admins(team: Team, api, operator_token) -> None:
    status, _ = api.call("PUT", "/routing-rules", {"rules": []}, token=operator_token)
    assert status == 403


def test_a_rule_naming_an_unknown_group_is_a_422_naming_it(team: Team, api) -> None:
    group = team.group("Sales")
    status, body = api.call(
        "PUT",
        "/routing-rules",
        {
            "rules": [
                {"match": {"channel_id": "wa-demo"}, "group_id": group["group_id"]},
                {"match": {"language": "cs"}, "group_id": "nope"},
            ]
        },
        token=team.admin,
    )
    assert (status, body["field"]) == (422, "rules.1.group_id")


def test_routing_rules_read_back_in_order(team: Team, api) -> None:
    sales, support = team.group("Sales"), team.group("Support")
    team.rules(
        [
            {"match": {"tags": ["vip"]}, "group_id": sales["group_id"]},
            {"match": {"in_business_hours": False}, "group_id": support["group_id"]},
        ],
        default_group_id=support["group_id"],
    )
    body = api.call("GET", "/routing-rules", token=team.admin)[1]
    assert [r["group_id"] for r in body["rules"]] == [sales["group_id"], support["group_id"]]


def test_a_channels_business_hours_are_for_admins_of_its_tenant(
    team: Team, api, operator_token, other_admin
) -> None:
    body = {"business_hours": {"time_zone": "UTC"}, "away_message": "We are closed"}
    assert api.call("PUT", "/channels/wa-demo/business-hours", body, token=operator_token)[0] == 403
    assert api.call("PUT", "/channels/wa-demo/business-hours", body, token=other_admin)[0] == 404
    assert api.call("PUT", "/channels/wa-demo/business-hours", body, token=team.admin)[0] == 200
    assert (
        api.call("GET", "/channels/wa-demo/business-hours", token=team.admin)[1]["away_message"]
        == "We are closed"
    )
