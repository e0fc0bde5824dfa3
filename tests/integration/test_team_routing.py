"""Routing in-process (moto): rules pick the group, the mode picks the member, the rest wait in order;
take, transfer, resolve and presence move the queues. Every assignment is a conditional transaction."""

from __future__ import annotations

import pytest

from infra.declaration import function
from infra.local.triggers import drain
from switchboard.services import services
from tests.support.team import Team, customer_writes


@pytest.fixture
def team(api, demo, aws):
    return Team(api, aws)


def _deliver(team: Team) -> None:
    drain(function("contact_resolution"), services().settings.inbound_queue_url)
    team.route()


def _sessions(api, team: Team) -> list[dict]:
    return api.call("GET", "/sessions?limit=100", token=team.admin)[1]["items"]


def test_round_robin_rotates_over_online_members_and_the_rest_wait_in_order(team: Team, api) -> None:
    ada, bob, cyd = (
        team.invite("Ada", capacity=2),
        team.invite("Bob", capacity=2),
        team.invite("Cyd", capacity=2),
    )
    group = team.group("Support", [ada["operator_id"], bob["operator_id"], cyd["operator_id"]])
    team.rules([{"match": {"channel_id": "wa-demo"}, "group_id": group["group_id"]}])
    team.online(ada)
    team.online(bob)  # Cyd stays offline
    for n in range(6):
        customer_writes(api, f"42060100000{n}")
        _deliver(team)
    by_operator: dict[str, int] = {}
    for session in _sessions(api, team):
        if session.get("operator_id"):
            by_operator[session["operator_id"]] = by_operator.get(session["operator_id"], 0) + 1
    assert by_operator == {ada["operator_id"]: 2, bob["operator_id"]: 2}
    waiting = team.waiting(group["group_id"])
    assert [s["created_at"] for s in waiting] == sorted(s["created_at"] for s in waiting)
    assert len(waiting) == 2


def test_least_busy_picks_the_member_with_fewest_open_sessions(team: Team, api) -> None:
    ada, bob = team.invite("Ada", capacity=5), team.invite("Bob", capacity=5)
    group = team.group("Sales", [ada["operator_id"], bob["operator_id"]], mode="least_busy")
    team.rules([], default_group_id=group["group_id"])
    team.online(ada)
    for n in range(2):
        customer_writes(api, f"42060200000{n}")
        _deliver(team)
    team.online(bob)
    _deliver(team)
    customer_writes(api, "420602000009")
    _deliver(team)
    assert team.operator(bob["operator_id"])["open_count"] == 1
    assert team.operator(ada["operator_id"])["open_count"] == 2


def test_a_rule_on_the_contacts_attributes_picks_its_group(team: Team, api) -> None:
    ada, bob = team.invite("Ada"), team.invite("Bob")
    vip, rest = team.group("VIP", [ada["operator_id"]]), team.group("Rest", [bob["operator_id"]])
    team.rules([{"match": {"tags": ["vip"]}, "group_id": vip["group_id"]}], default_group_id=rest["group_id"])
    team.online(ada)
    team.online(bob)
    customer_writes(api, "420603000001")
    _deliver(team)
    session = _sessions(api, team)[0]
    assert (session["group_id"], session["operator_id"]) == (rest["group_id"], bob["operator_id"])


def test_a_member_coming_online_takes_the_oldest_waiting_first(team: Team, api) -> None:
    ada = team.invite("Ada", capacity=2)
    group = team.group("Support", [ada["operator_id"]])
    team.rules([], default_group_id=group["group_id"])
    for n in range(3):
        customer_writes(api, f"42060400000{n}")
        _deliver(team)
    before = [s["session_id"] for s in team.waiting(group["group_id"])]
    team.online(ada)
    team.route()
    assert [s["session_id"] for s in team.waiting(group["group_id"])] == before[2:]
    assert [team.session(sid)["operator_id"] for sid in before[:2]] == [ada["operator_id"]] * 2


def test_resolving_frees_capacity_for_the_next_waiting_session(team: Team, api) -> None:
    ada = team.invite("Ada", capacity=1)
    group = team.group("Support", [ada["operator_id"]])
    team.rules([], default_group_id=group["group_id"])
    team.online(ada)
    for n in range(2):
        customer_writes(api, f"42060500000{n}")
        _deliver(team)
    held = next(s for s in _sessions(api, team) if s.get("operator_id"))
    waiting = team.waiting(group["group_id"])[0]
    status, _ = api.call(
        "POST", f"/sessions/{held['session_id']}/resolve", {"outcome": "solved"}, token=team.token(ada)
    )
    assert status == 200
    team.route()
    assert team.session(waiting["session_id"])["operator_id"] == ada["operator_id"]
    assert team.operator(ada["operator_id"])["open_count"] == 1


def test_a_redelivered_resolve_frees_nothing_twice(team: Team, api) -> None:
    from switchboard.team import routing

    ada = team.invite("Ada", capacity=3)
    group = team.group("Support", [ada["operator_id"]])
    team.rules([], default_group_id=group["group_id"])
    team.online(ada)
    for n in range(2):
        customer_writes(api, f"42060600000{n}")
        _deliver(team)
    first = _sessions(api, team)[0]
    api.call("POST", f"/sessions/{first['session_id']}/resolve", {"outcome": "solved"}, token=team.token(ada))
    team.route()
    routing.release(services(), "demo", first["session_id"])  # EventBridge delivered it again
    assert team.operator(ada["operator_id"])["open_count"] == 1


def test_offer_mode_waits_until_a_member_takes_it_and_only_one_does(team: Team, api) -> None:
    ada, bob, eve = team.invite("Ada"), team.invite("Bob"), team.invite("Eve")
    group = team.group("Offers", [ada["operator_id"], bob["operator_id"]], mode="offer")
    team.rules([], default_group_id=group["group_id"])
    team.online(ada)
    customer_writes(api, "420607000001")
    _deliver(team)
    waiting = team.waiting(group["group_id"])
    assert len(waiting) == 1
    session_id = waiting[0]["session_id"]
    assert api.call("POST", f"/sessions/{session_id}/take", token=team.token(eve))[0] == 403
    status, taken = api.call("POST", f"/sessions/{session_id}/take", token=team.token(bob))
    assert (status, taken["operator_id"]) == (200, bob["operator_id"])
    status, body = api.call("POST", f"/sessions/{session_id}/take", token=team.token(ada))
    assert (status, body["code"]) == (409, "session_not_waiting")
    assert team.waiting(group["group_id"]) == []


def test_take_at_capacity_is_a_409(team: Team, api) -> None:
    ada = team.invite("Ada", capacity=1)
    group = team.group("Offers", [ada["operator_id"]], mode="offer")
    team.rules([], default_group_id=group["group_id"])
    for n in range(2):
        customer_writes(api, f"42060800000{n}")
        _deliver(team)
    first, second = team.waiting(group["group_id"])
    assert api.call("POST", f"/sessions/{first['session_id']}/take", token=team.token(ada))[0] == 200
    status, body = api.call("POST", f"/sessions/{second['session_id']}/take", token=team.token(ada))
    assert (status, body["code"]) == (409, "operator_at_capacity")


def test_take_across_tenants_is_a_404(team: Team, api) -> None:
    from infra.local import tokens

    group = team.group("Offers", mode="offer")
    team.rules([], default_group_id=group["group_id"])
    customer_writes(api, "420609000001")
    _deliver(team)
    session_id = team.waiting(group["group_id"])[0]["session_id"]
    assert api.call("POST", f"/sessions/{session_id}/take", token=tokens.issue("acme", "operator"))[0] == 404


def test_a_transfer_moves_the_capacity_and_keeps_who_from_to_and_when_on_the_timeline(
    team: Team, api
) -> None:
    ada, bob = team.invite("Ada"), team.invite("Bob")
    group = team.group("Support", [ada["operator_id"], bob["operator_id"]])
    team.rules([], default_group_id=group["group_id"])
    team.online(ada)
    customer_writes(api, "420610000001")
    _deliver(team)
    session = _sessions(api, team)[0]
    status, moved = api.call(
        "POST",
        f"/sessions/{session['session_id']}/transfer",
        {"operator_id": bob["operator_id"], "note": "speaks German"},
        token=team.token(ada),
    )
    assert (status, moved["operator_id"]) == (200, bob["operator_id"])
    assert (
        team.operator(ada["operator_id"])["open_count"],
        team.operator(bob["operator_id"])["open_count"],
    ) == (0, 1)
    timeline = api.call("GET", f"/sessions/{session['session_id']}/messages", token=team.admin)[1]["items"]
    entry = next(m for m in timeline if m["kind"] == "system")
    assert (
        entry["content"]["by"],
        entry["content"]["from"]["operator_id"],
        entry["content"]["to"]["operator_id"],
    ) == (ada["operator_id"], ada["operator_id"], bob["operator_id"])
    assert entry["content"]["at"] == entry["created_at"]


def test_a_transfer_to_a_group_queues_it_there(team: Team, api) -> None:
    ada, bob = team.invite("Ada"), team.invite("Bob")
    first, second = team.group("First", [ada["operator_id"]]), team.group("Second", [bob["operator_id"]])
    team.rules([], default_group_id=first["group_id"])
    team.online(ada)
    customer_writes(api, "420611000001")
    _deliver(team)
    session = _sessions(api, team)[0]
    status, _ = api.call(
        "POST",
        f"/sessions/{session['session_id']}/transfer",
        {"group_id": second["group_id"]},
        token=team.admin,
    )
    assert status == 200
    team.route()
    assert [s["session_id"] for s in team.waiting(second["group_id"])] == [session["session_id"]]
    team.online(bob)
    team.route()
    assert team.session(session["session_id"])["operator_id"] == bob["operator_id"]


def test_only_the_assignee_or_an_admin_transfers(team: Team, api) -> None:
    ada, bob = team.invite("Ada"), team.invite("Bob")
    group = team.group("Support", [ada["operator_id"], bob["operator_id"]])
    team.rules([], default_group_id=group["group_id"])
    team.online(ada)
    customer_writes(api, "420612000001")
    _deliver(team)
    session = _sessions(api, team)[0]
    status, _ = api.call(
        "POST",
        f"/sessions/{session['session_id']}/transfer",
        {"operator_id": bob["operator_id"]},
        token=team.token(bob),
    )
    assert status == 403


def test_a_transfer_to_nobody_is_a_422(team: Team, api) -> None:
    customer_writes(api, "420613000001")
    _deliver(team)
    session = _sessions(api, team)[0]
    status, body = api.call(
        "POST", f"/sessions/{session['session_id']}/transfer", {"operator_id": "ghost"}, token=team.admin
    )
    assert (status, body["field"]) == (422, "operator_id")


def test_waiting_sessions_need_a_group(team: Team, api) -> None:
    status, body = api.call("GET", "/sessions?operator_id=none", token=team.admin)
    assert (status, body["field"]) == (422, "group_id")


def test_assigning_by_hand_moves_the_capacity_to_the_new_operator(team: Team, api) -> None:
    ada, bob = team.invite("Ada", capacity=1), team.invite("Bob")
    group = team.group("Support", [ada["operator_id"], bob["operator_id"]])
    team.rules([], default_group_id=group["group_id"])
    team.online(ada)
    for n in range(2):
        customer_writes(api, f"42061400000{n}")
        _deliver(team)
    held = next(s for s in _sessions(api, team) if s.get("operator_id"))
    waiting = team.waiting(group["group_id"])[0]
    status, _ = api.call(
        "POST",
        f"/sessions/{held['session_id']}/assign",
        {"operator_id": bob["operator_id"]},
        token=team.admin,
    )
    assert status == 200
    team.route()
    assert (
        team.operator(bob["operator_id"])["open_count"],
        team.session(waiting["session_id"])["operator_id"],
    ) == (1, ada["operator_id"])


def test_a_reopened_session_goes_back_to_its_operator_when_they_have_room(team: Team, api) -> None:
    ada, bob = team.invite("Ada"), team.invite("Bob")
    group = team.group("Support", [ada["operator_id"], bob["operator_id"]])
    team.rules([], default_group_id=group["group_id"])
    team.online(ada)
    customer_writes(api, "420615000001")
    _deliver(team)
    session = _sessions(api, team)[0]
    api.call(
        "POST", f"/sessions/{session['session_id']}/resolve", {"outcome": "solved"}, token=team.token(ada)
    )
    team.route()
    team.online(bob)  # Bob was never assigned: round robin alone would pick him
    customer_writes(api, "420615000001", "One more thing")
    _deliver(team)
    again = team.session(session["session_id"])
    assert (again["status"], again["operator_id"]) == ("open", ada["operator_id"])
    assert team.operator(ada["operator_id"])["open_count"] == 1
