"""An admin merges a duplicate (B) into the contact that stays (A): everything of B moves, B is gone, and
B's next message lands on A. An operator links a session to another contact, or gives it a fresh one."""

from __future__ import annotations

from switchboard.services import services
from switchboard.storage import keys
from tests.support.contacts import (
    contact_of_sender,
    create,
    define_attributes,
    search,
    sessions_of,
    whatsapp_message,
)


def test_merging_b_into_a_moves_everything_and_b_s_next_message_lands_on_a(
        api, demo, process_inbound, operator_token, admin_token) -> None:
    define_attributes(api, admin_token, {"name": "crm_id", "identifying": True}, {"name": "city"})
    a = create(api, operator_token, name="Věra Malá", emails=["vera@example.com"], tags=["vip"],
               attributes={"city": "Brno"})["contact_id"]
    whatsapp_message(api, process_inbound, sender="420777555666", name="Vera WA", body="hi from whatsapp")
    b = contact_of_sender("420777555666")
    api.call("PATCH", f"/contacts/{b}", {"tags": ["lead"], "attributes": {"city": "Praha", "crm_id": "C-9"}},
             token=operator_token)
    api.call("POST", f"/contacts/{b}/notes", {"text": "called about the order"}, token=operator_token)
    session_b = sessions_of(api, operator_token, b)[0]

    status, result = api.call("POST", f"/contacts/{a}/merge", {"contact_id": b}, token=admin_token)

    assert status == 200, result
    merged = result["contact"]
    assert merged["contact_id"] == a and result["merged_contact_id"] == b
    assert merged["name"] == "Věra Malá" and merged["phones"] == ["+420777555666"]
    assert merged["tags"] == ["vip", "lead"] and merged["attributes"] == {"city": "Brno", "crm_id": "C-9"}
    assert {(i["kind"], i["value"]) for i in merged["identities"]} == {("wa", "420777555666")}
    assert api.call("GET", f"/contacts/{b}", token=operator_token)[0] == 404
    assert search(api, operator_token, "?q=vera") == ["Věra Malá"]
    moved = api.call("GET", f"/sessions/{session_b['session_id']}", token=operator_token)[1]
    assert moved["contact_id"] == a and moved["address"] == "420777555666"
    messages = services().contacts.session_messages("demo", session_b["session_id"])
    assert {m["contact_id"] for m in messages} == {a}
    history = api.call("GET", f"/contacts/{a}/history", token=operator_token)[1]["items"]
    assert "merged" in [e["kind"] for e in history]
    assert "called about the order" in [e.get("text") for e in history]

    whatsapp_message(api, process_inbound, sender="420777555666", body="hi again")
    assert contact_of_sender("420777555666") == a
    assert [s["session_id"] for s in sessions_of(api, operator_token, a)] == [session_b["session_id"]]
    assert api.call("GET", f"/sessions/{session_b['session_id']}", token=operator_token)[1][
        "last_message"]["text"] == "hi again"
    owner = services().table.get(keys.identifier("demo", "attr:crm_id", "C-9"))
    assert owner["contact_id"] == a


def test_a_retried_merge_answers_the_same_and_a_wrong_one_is_refused(api, demo, operator_token,
                                                                   admin_token) -> None:
    a = create(api, operator_token, name="A", emails=["a@example.com"])["contact_id"]
    b = create(api, operator_token, name="B", emails=["b@example.com"])["contact_id"]
    c = create(api, operator_token, name="C")["contact_id"]

    first = api.call("POST", f"/contacts/{a}/merge", {"contact_id": b}, token=admin_token)
    again = api.call("POST", f"/contacts/{a}/merge", {"contact_id": b}, token=admin_token)
    assert first[0] == again[0] == 200 and first[1] == again[1]
    assert first[1]["contact"]["emails"] == ["a@example.com", "b@example.com"]

    assert api.call("POST", f"/contacts/{c}/merge", {"contact_id": b}, token=admin_token)[0] == 404
    status, error = api.call("POST", f"/contacts/{a}/merge", {"contact_id": a}, token=admin_token)
    assert status == 422 and error["field"] == "contact_id"
    assert api.call("POST", f"/contacts/{a}/merge", {"contact_id": "NOPE"}, token=admin_token)[0] == 404


def test_linking_a_session_to_another_contact_moves_its_thread(api, demo, process_inbound, operator_token) -> None:
    whatsapp_message(api, process_inbound, sender="420777000111", name="Unknown caller", body="it is me, Petr")
    stray = contact_of_sender("420777000111")
    session = sessions_of(api, operator_token, stray)[0]
    petr = create(api, operator_token, name="Petr Known", emails=["petr@example.com"])["contact_id"]

    status, linked = api.call("PUT", f"/sessions/{session['session_id']}/contact", {"contact_id": petr},
                              token=operator_token)

    assert status == 200 and linked["contact_id"] == petr and linked["address"] == "420777000111"
    contact = api.call("GET", f"/contacts/{petr}", token=operator_token)[1]
    assert contact["phones"] == ["+420777000111"]
    assert contact_of_sender("420777000111") == petr
    assert api.call("GET", f"/contacts/{stray}", token=operator_token)[1]["phones"] == []
    messages = services().contacts.session_messages("demo", session["session_id"])
    assert {m["contact_id"] for m in messages} == {petr}
    whatsapp_message(api, process_inbound, sender="420777000111", body="and again")
    assert [s["session_id"] for s in sessions_of(api, operator_token, petr)] == [session["session_id"]]

    status, unlinked = api.call("DELETE", f"/sessions/{session['session_id']}/contact", token=operator_token)
    assert status == 200 and unlinked["contact_id"] not in (petr, stray)
    fresh = api.call("GET", f"/contacts/{unlinked['contact_id']}", token=operator_token)[1]
    assert fresh["phones"] == ["+420777000111"] and contact_of_sender("420777000111") == fresh["contact_id"]
    assert api.call("GET", f"/contacts/{petr}", token=operator_token)[1]["phones"] == []

    assert api.call("PUT", "/sessions/NOPE/contact", {"contact_id": petr}, token=operator_token)[0] == 404
    assert api.call("PUT", f"/sessions/{session['session_id']}/contact", {"contact_id": "NOPE"},
                    token=operator_token)[0] == 404
    status, error = api.call("PUT", f"/sessions/{session['session_id']}/contact", {}, token=operator_token)
    assert status == 422 and error["field"] == "contact_id"
