"""The session list's filters (tag, group, channel kind, rating, created and last-activity ranges, SLA
breached, waiting), with and without a search, and saved filters: an operator's own, or shared with the
tenant."""

from __future__ import annotations

import pytest
from switchboard import clock
from switchboard.services import services
from switchboard.storage import keys

from infra.local import tokens
from tests.support.contacts import whatsapp_message
from tests.support.email import mail, mailgun_post


def ids(api, token: str, query: str) -> set[str]:
    status, page = api.call("GET", f"/sessions?{query}", token=token)
    assert status == 200, page
    return {s["session_id"] for s in page["items"]}


def session_of(sender: str) -> str:
    return str(services().table.get(keys.thread("demo", "wa-demo", sender), consistent=True)["session_id"])


def set_on_session(session_id: str, **attributes: object) -> None:
    """What another part writes on the session (wt-reports' csat_rating, wt-sla's sla_breached)."""
    names = {f"#a{i}": k for i, k in enumerate(attributes)}
    values = {f":a{i}": v for i, v in enumerate(attributes.values())}
    services().table.update(keys.session("demo", session_id),
                            "SET " + ", ".join(f"#a{i} = :a{i}" for i in range(len(attributes))), values, names)


@pytest.fixture
def inbox(api, demo, process_inbound, operator_token) -> dict[str, str]:
    """Three WhatsApp sessions a day apart (first, second, third) and one email session."""
    made = {}
    for n, name in enumerate(("first", "second", "third")):
        made[f"before_{name}"] = clock.iso(clock.now())
        whatsapp_message(api, process_inbound, sender=f"42077710000{n}", body=f"hello {name}")
        made[name] = session_of(f"42077710000{n}")
        made[f"after_{name}"] = clock.iso(clock.now())
        clock.advance(86400)
    body, headers = mailgun_post(mail(sender="Alice <alice@example.com>", subject="Order", text="hello mail"))
    assert api.call("POST", "/webhooks/email/mail-demo", body, headers=headers)[0] == 200
    process_inbound()
    made["email"] = next(iter(ids(api, operator_token, "channel_id=mail-demo")))
    yield made
    clock.reset()


def test_tag_filter(api, inbox, operator_token) -> None:
    assert api.call("PUT", f"/sessions/{inbox['second']}/tags", {"tags": ["vip"]}, token=operator_token)[0] == 200

    assert ids(api, operator_token, "tag=vip") == {inbox["second"]}


def test_group_filter(api, inbox, operator_token, admin_token) -> None:
    assert api.call("POST", f"/sessions/{inbox['first']}/assign", {"group_id": "billing"},
                    token=admin_token)[0] == 200

    assert ids(api, operator_token, "group_id=billing") == {inbox["first"]}


def test_channel_kind_filter(api, inbox, operator_token) -> None:
    assert ids(api, operator_token, "channel_kind=email") == {inbox["email"]}
    assert ids(api, operator_token, "channel_kind=whatsapp") == {inbox["first"], inbox["second"], inbox["third"]}


def test_rating_filter(api, inbox, operator_token) -> None:
    set_on_session(inbox["third"], csat_rating=5)
    set_on_session(inbox["first"], csat_rating=2)

    assert ids(api, operator_token, "rating=5") == {inbox["third"]}


def test_created_range(api, inbox, operator_token) -> None:
    query = f"created_from={inbox['before_second']}&created_to={inbox['after_third']}".replace(":", "%3A")

    assert ids(api, operator_token, query) == {inbox["second"], inbox["third"]}


def test_last_activity_range(api, inbox, operator_token) -> None:
    query = f"last_activity_to={inbox['after_second']}".replace(":", "%3A")

    assert ids(api, operator_token, query) == {inbox["first"], inbox["second"]}


def test_sla_breached_filter(api, inbox, operator_token) -> None:
    set_on_session(inbox["second"], sla_breached=True)

    assert ids(api, operator_token, "sla=breached") == {inbox["second"]}


def test_waiting_is_open_and_unassigned(api, inbox, operator_token, admin_token) -> None:
    assert api.call("POST", f"/sessions/{inbox['first']}/assign", {"operator_id": "demo-operator"},
                    token=admin_token)[0] == 200

    assert ids(api, operator_token, "waiting=true") == {inbox["second"], inbox["third"], inbox["email"]}
    assert ids(api, operator_token, "waiting=false") == {inbox["first"]}


def test_filters_apply_to_a_search_too(api, inbox, operator_token) -> None:
    from switchboard.sessions.search import handle

    # the inbox was written with no rule on the bus: its messages are indexed as their events would be
    for name in ("first", "second", "third"):
        message = services().contacts.session_messages("demo", inbox[name])[0]
        handle(services(), "message.received", {"tenant_id": "demo", "session_id": inbox[name],
                                                "message_id": message["message_id"], "sent_at": message["sent_at"]})
    set_on_session(inbox["third"], csat_rating=4)

    assert ids(api, operator_token, "q=hello") == {inbox["first"], inbox["second"], inbox["third"]}
    assert ids(api, operator_token, "q=hello&rating=4") == {inbox["third"]}


# -- saved filters ------------------------------------------------------------------------------------------
def save(api, token: str, name: str, shared: bool, **filters: object) -> dict:
    status, body = api.call("POST", "/saved-filters", {"name": name, "shared": shared, "filters": filters},
                            token=token)
    assert status == 201, body
    return body


def names(api, token: str) -> list[str]:
    status, page = api.call("GET", "/saved-filters", token=token)
    assert status == 200, page
    return [f["name"] for f in page["items"]]


def test_a_personal_filter_is_seen_by_its_owner_only(api, demo) -> None:
    jana, petr = tokens.issue("demo", "operator", "jana"), tokens.issue("demo", "operator", "petr")
    save(api, jana, "My VIPs", False, tag="vip", waiting=True)

    assert names(api, jana) == ["My VIPs"]
    assert names(api, petr) == []


def test_a_shared_filter_is_seen_by_the_tenant(api, demo) -> None:
    jana, petr = tokens.issue("demo", "operator", "jana"), tokens.issue("demo", "operator", "petr")
    save(api, jana, "Breached", True, sla="breached")

    assert names(api, petr) == ["Breached"]
    assert names(api, tokens.issue("acme", "operator", "jana")) == []


def test_a_saved_filter_keeps_its_filters(api, demo) -> None:
    jana = tokens.issue("demo", "operator", "jana")
    saved = save(api, jana, "Five stars by mail", False, rating=5, channel_kind="email",
                 created_from="2026-01-01T00:00:00Z")

    assert {k: v for k, v in saved["filters"].items() if v is not None} == {"rating": 5, "channel_kind": "email", "created_from": "2026-01-01T00:00:00Z"}


def test_only_who_shared_it_or_an_admin_deletes_a_shared_filter(api, demo, admin_token) -> None:
    jana, petr = tokens.issue("demo", "operator", "jana"), tokens.issue("demo", "operator", "petr")
    shared = save(api, jana, "Breached", True, sla="breached")

    assert api.call("DELETE", f"/saved-filters/{shared['filter_id']}", token=petr)[0] == 403
    assert api.call("DELETE", f"/saved-filters/{shared['filter_id']}", token=admin_token)[0] == 204
    assert names(api, jana) == []


def test_another_operators_personal_filter_cannot_be_deleted(api, demo) -> None:
    jana, petr = tokens.issue("demo", "operator", "jana"), tokens.issue("demo", "operator", "petr")
    own = save(api, jana, "Mine", False, tag="x")

    assert api.call("DELETE", f"/saved-filters/{own['filter_id']}", token=petr)[0] == 404
    assert names(api, jana) == ["Mine"]


@pytest.mark.parametrize("filters, field", [({"rating": 0}, "rating"), ({"colour": "red"}, "colour"),
                                            ({"created_from": "2026-01-01T00:00:00"}, "created_from")])
def test_a_bad_saved_filter_is_refused_naming_the_field(api, demo, operator_token, filters, field) -> None:
    status, body = api.call("POST", "/saved-filters", {"name": "bad", "filters": filters}, token=operator_token)

    assert status == 422, body
    assert field in str(body.get("field")), body


def test_an_empty_operator_id_is_a_422_naming_it(api, inbox, operator_token) -> None:
    status, body = api.call("GET", "/sessions?operator_id=", token=operator_token)

    assert (status, body["field"]) == (422, "operator_id")
