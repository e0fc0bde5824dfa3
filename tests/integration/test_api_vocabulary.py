"""The vocabulary as a frontend meets it (docs/api.md): lists page with cursor and limit, one validation
error for every invalid input (a bad cursor included), `*_at` for moments and `by` for who did it."""

from __future__ import annotations

from tests.support.contacts import create


def test_a_contacts_history_pages_with_cursor_and_limit(api, demo, operator_token) -> None:
    cid = create(api, operator_token)["contact_id"]
    for text in ("first note", "second note", "third note"):
        api.call("POST", f"/contacts/{cid}/notes", {"text": text}, token=operator_token)
    first = api.call("GET", f"/contacts/{cid}/history?limit=2", token=operator_token)[1]
    rest = api.call("GET", f"/contacts/{cid}/history?limit=2&cursor={first['next_cursor']}",
                    token=operator_token)[1]
    kinds = [(e["kind"], e.get("text")) for e in first["items"] + rest["items"]]
    assert kinds == [("note", "third note"), ("note", "second note"), ("note", "first note"), ("created", None)]


def test_a_history_entry_says_when_it_occurred(api, demo, operator_token) -> None:
    cid = create(api, operator_token)["contact_id"]
    status, note = api.call("POST", f"/contacts/{cid}/notes", {"text": "called back"}, token=operator_token)
    assert status == 201
    assert note["occurred_at"].endswith("Z") or "+" in note["occurred_at"]


def test_a_bad_cursor_is_the_one_validation_error(api, demo, operator_token) -> None:
    status, error = api.call("GET", "/sessions?cursor=not-a-cursor", token=operator_token)
    assert (status, error["code"], error["field"]) == (422, "validation_error", "cursor")
    assert error["errors"] == [{"field": "cursor", "message": error["message"]}]


def test_a_bad_query_value_is_the_same_validation_error(api, demo, operator_token) -> None:
    status, error = api.call("GET", "/sessions?limit=0", token=operator_token)
    assert (status, error["code"], error["field"]) == (422, "validation_error", "limit")
    assert [e["field"] for e in error["errors"]] == ["limit"]


def test_the_history_refuses_another_lists_cursor(api, demo, operator_token) -> None:
    cid = create(api, operator_token)["contact_id"]
    sessions_cursor = "eyJwayI6IlQjZGVtbyJ9"  # {"pk":"T#demo"}: a key, not a history position
    status, error = api.call("GET", f"/contacts/{cid}/history?cursor={sessions_cursor}", token=operator_token)
    assert (status, error["code"]) == (422, "validation_error")
