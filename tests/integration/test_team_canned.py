"""Canned responses: tenant-wide (admins) or personal, searched by shortcut prefix, rendered on the server
when sent; an unknown placeholder is a 422 naming it."""

from __future__ import annotations

import pytest

from infra.declaration import function
from infra.local import tokens
from infra.local.triggers import drain
from switchboard.services import services
from tests.support.outbound import run_send_worker
from tests.support.team import Team, customer_writes


@pytest.fixture
def team(api, demo, aws):
    return Team(api, aws)


def _create(api, token: str, shortcut: str, text: str, scope: str = "personal") -> tuple[int, dict]:
    return api.call(
        "POST", "/canned-responses", {"shortcut": shortcut, "text": text, "scope": scope}, token=token
    )


def test_search_by_prefix_finds_the_tenants_and_my_own_but_not_a_colleagues(team: Team, api) -> None:
    ada, bob = team.invite("Ada"), team.invite("Bob")
    assert _create(api, team.admin, "hello", "Hello {{contact.name}}", scope="tenant")[0] == 201
    assert _create(api, team.token(ada), "help", "How can I help?")[0] == 201
    assert _create(api, team.token(bob), "hey", "Hey!")[0] == 201
    assert _create(api, team.token(ada), "bye", "Bye")[0] == 201
    found = api.call("GET", "/canned-responses?q=he", token=team.token(ada))[1]["items"]
    assert [(c["shortcut"], c["scope"]) for c in found] == [("hello", "tenant"), ("help", "personal")]


def test_a_tenant_wide_response_is_for_admins_to_write(team: Team, api) -> None:
    ada = team.invite("Ada")
    status, body = _create(api, team.token(ada), "hello", "Hello", scope="tenant")
    assert (status, body["code"]) == (403, "forbidden")


def test_an_unknown_placeholder_is_a_422_naming_it(team: Team, api) -> None:
    status, body = _create(api, team.admin, "hello", "Hello {{contact.nickname}}")
    assert (status, body["field"], body["placeholder"]) == (422, "text", "contact.nickname")


def test_a_bad_shortcut_is_a_422_naming_it(team: Team, api) -> None:
    status, body = _create(api, team.admin, "two words", "Hello")
    assert (status, body["field"]) == (422, "shortcut")


def test_a_colleagues_personal_response_is_not_found(team: Team, api) -> None:
    ada, bob = team.invite("Ada"), team.invite("Bob")
    created = _create(api, team.token(bob), "hey", "Hey!")[1]
    path = f"/canned-responses/{created['canned_response_id']}"
    assert api.call("PATCH", path, {"text": "Mine now"}, token=team.token(ada))[0] == 404
    assert api.call("DELETE", path, token=team.token(ada))[0] == 404


def test_another_tenant_never_finds_a_response(team: Team, api) -> None:
    created = _create(api, team.admin, "hello", "Hello", scope="tenant")[1]
    other = tokens.issue("acme", "admin", "acme-admin")
    assert (
        api.call("PATCH", f"/canned-responses/{created['canned_response_id']}", {"text": "x"}, token=other)[0]
        == 404
    )
    assert api.call("GET", "/canned-responses", token=other)[1]["items"] == []


def test_an_operator_may_not_change_a_tenant_wide_response(team: Team, api) -> None:
    ada = team.invite("Ada")
    created = _create(api, team.admin, "hello", "Hello", scope="tenant")[1]
    status, _ = api.call(
        "PATCH", f"/canned-responses/{created['canned_response_id']}", {"text": "Hi"}, token=team.token(ada)
    )
    assert status == 403


def test_editing_keeps_placeholders_checked_and_deleting_removes_it(team: Team, api) -> None:
    created = _create(api, team.admin, "hello", "Hello", scope="tenant")[1]
    path = f"/canned-responses/{created['canned_response_id']}"
    status, body = api.call("PATCH", path, {"text": "Hi {{operator.surname}}"}, token=team.admin)
    assert (status, body["placeholder"]) == (422, "operator.surname")
    status, body = api.call(
        "PATCH", path, {"shortcut": "hi", "text": "Hi {{operator.name}}"}, token=team.admin
    )
    assert (status, body["placeholders"]) == (200, ["operator.name"])
    assert api.call("DELETE", path, token=team.admin)[0] == 204
    assert api.call("GET", "/canned-responses?q=hi", token=team.admin)[1]["items"] == []


def test_sending_one_renders_the_contact_and_operator_on_the_server(team: Team, api, graph) -> None:
    ada = team.invite("Ada Lovelace")
    created = _create(api, team.token(ada), "hello", "Hello {{contact.name}}, {{operator.name}} here.")[1]
    customer_writes(api, "420700000101", "Hi")
    drain(function("contact_resolution"), services().settings.inbound_queue_url)
    session = api.call("GET", "/sessions", token=team.admin)[1]["items"][0]
    status, sent = api.call(
        "POST",
        f"/canned-responses/{created['canned_response_id']}/send",
        {"session_id": session["session_id"]},
        token=team.token(ada),
    )
    assert (status, [m["text"] for m in sent]) == (202, ["Hello Customer 0101, Ada Lovelace here."])
    run_send_worker(services().settings.outbound_queue_url)
    assert [s.payload["text"]["body"] for s in graph.sent] == ["Hello Customer 0101, Ada Lovelace here."]


def test_sending_one_whose_attribute_the_contact_lacks_is_a_422_naming_it(team: Team, api, graph) -> None:
    created = _create(api, team.admin, "crm", "Your CRM id is {{contact.attributes.crm_id}}", scope="tenant")[
        1
    ]
    customer_writes(api, "420700000102", "Hi")
    drain(function("contact_resolution"), services().settings.inbound_queue_url)
    session = api.call("GET", "/sessions", token=team.admin)[1]["items"][0]
    status, body = api.call(
        "POST",
        f"/canned-responses/{created['canned_response_id']}/send",
        {"session_id": session["session_id"]},
        token=team.admin,
    )
    assert (status, body["placeholder"]) == (422, "contact.attributes.crm_id")
    assert graph.sent == []


def test_canned_responses_page_with_cursor_and_limit(team: Team, api) -> None:
    ada = team.invite("Ada")
    _create(api, team.admin, "hello", "Hello", scope="tenant")
    _create(api, team.token(ada), "help", "How can I help?")
    _create(api, team.token(ada), "hey", "Hey!")
    first = api.call("GET", "/canned-responses?q=he&limit=2", token=team.token(ada))[1]
    rest = api.call("GET", f"/canned-responses?q=he&limit=2&cursor={first['next_cursor']}",
                    token=team.token(ada))[1]
    assert [c["shortcut"] for c in first["items"] + rest["items"]] == ["hello", "help", "hey"]
