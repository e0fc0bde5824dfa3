"""An operator keeps the address book: creates, edits and deletes contacts, their identifiers, attributes,
tags and notes; the store keeps every identifier with one contact."""

from __future__ import annotations

import pytest

from infra.local import tokens
from tests.support.contacts import create, define_attributes


def test_a_contact_is_created_with_normalised_emails_and_phones(api, demo, operator_token) -> None:
    contact = create(api, operator_token, name="  Jana Nováková ", emails=["Jana.Novakova@Example.COM"],
                     phones=["+420 777 123 456", "00420 602 111 222"], tags=["VIP", "vip"], language="cs")

    assert contact["name"] == "Jana Nováková"
    assert contact["emails"] == ["jana.novakova@example.com"]
    assert contact["phones"] == ["+420777123456", "+420602111222"]
    assert contact["tags"] == ["vip"] and contact["language"] == "cs" and contact["blocked"] is False
    status, fetched = api.call("GET", f"/contacts/{contact['contact_id']}", token=operator_token)
    assert status == 200 and fetched == contact


@pytest.mark.parametrize("body, field", [
    ({"name": "A", "emails": ["not-an-email"]}, "emails.0"),
    ({"name": "A", "phones": ["12"]}, "phones.0"),
    ({"name": ""}, "name"),
    ({"emails": []}, "name"),
    ({"name": "A", "attributes": {"shoe_size": "42"}}, "attributes.shoe_size"),
])
def test_invalid_contact_data_is_refused_naming_the_field(api, demo, operator_token, body, field) -> None:
    status, error = api.call("POST", "/contacts", body, token=operator_token)
    assert status == 422 and error["field"] == field


def test_an_identifier_another_contact_holds_is_refused_naming_that_contact(api, demo, operator_token) -> None:
    holder = create(api, operator_token, name="First", emails=["shared@example.com"])

    status, error = api.call("POST", "/contacts", {"name": "Second", "emails": ["SHARED@example.com"]},
                             token=operator_token)
    assert status == 409 and error["code"] == "identifier_taken" and error["contact_id"] == holder["contact_id"]

    second = create(api, operator_token, name="Second")
    status, error = api.call("POST", f"/contacts/{second['contact_id']}/identifiers",
                             {"kind": "email", "value": "shared@example.com"}, token=operator_token)
    assert status == 409 and error["contact_id"] == holder["contact_id"]
    status, error = api.call("PATCH", f"/contacts/{second['contact_id']}", {"emails": ["shared@example.com"]},
                             token=operator_token)
    assert status == 409 and error["contact_id"] == holder["contact_id"]


def test_a_released_identifier_can_be_taken_by_another_contact(api, demo, operator_token) -> None:
    first = create(api, operator_token, name="First", phones=["+420777123456"])
    status, updated = api.call("DELETE", f"/contacts/{first['contact_id']}/identifiers/phone/+420777123456",
                               token=operator_token)
    assert status == 200 and updated["phones"] == []

    second = create(api, operator_token, name="Second", phones=["00420777123456"])
    assert second["phones"] == ["+420777123456"]


def test_identifiers_are_added_by_kind(api, demo, operator_token, admin_token) -> None:
    define_attributes(api, admin_token, {"name": "crm_id", "identifying": True})
    contact = create(api, operator_token, name="Petr")
    cid = contact["contact_id"]

    for kind, value in [("phone", "+420 603 000 111"), ("email", "Petr@Example.com"), ("wa", "420603000111"),
                        ("attr:crm_id", "CRM-1")]:
        status, contact = api.call("POST", f"/contacts/{cid}/identifiers", {"kind": kind, "value": value},
                                   token=operator_token)
        assert status == 200, contact
    assert contact["phones"] == ["+420603000111"] and contact["emails"] == ["petr@example.com"]
    assert contact["identities"] == [{"kind": "wa", "value": "420603000111", "channel_id": None}]
    assert contact["attributes"] == {"crm_id": "CRM-1"}

    status, error = api.call("POST", "/contacts", {"name": "Other", "attributes": {"crm_id": "CRM-1"}},
                             token=operator_token)
    assert status == 409 and error["contact_id"] == cid
    status, error = api.call("POST", f"/contacts/{cid}/identifiers", {"kind": "fax", "value": "1"},
                             token=operator_token)
    assert status == 422 and error["field"] == "kind"
    status, error = api.call("DELETE", f"/contacts/{cid}/identifiers/email/nobody@example.com",
                             token=operator_token)
    assert status == 404


def test_an_edit_changes_only_the_fields_sent_and_the_history_shows_who_and_what(
        api, demo, operator_token) -> None:
    contact = create(api, operator_token, name="Old Name", emails=["a@example.com"], tags=["lead"])
    cid = contact["contact_id"]

    status, updated = api.call("PATCH", f"/contacts/{cid}", {"name": "New Name", "tags": ["customer"]},
                               token=operator_token)
    assert status == 200
    assert (updated["name"], updated["tags"], updated["emails"]) == ("New Name", ["customer"], ["a@example.com"])

    status, history = api.call("GET", f"/contacts/{cid}/history", token=operator_token)
    assert status == 200
    latest = history["items"][0]
    assert latest["kind"] == "updated" and latest["by"] == "demo-operator"
    assert {c["field"]: (c["old"], c["new"]) for c in latest["changes"]} == {
        "name": ("Old Name", "New Name"), "tags": (["lead"], ["customer"])}
    assert history["items"][-1]["kind"] == "created"


def test_notes_are_part_of_the_history_and_searchable(api, demo, operator_token) -> None:
    cid = create(api, operator_token)["contact_id"]
    status, note = api.call("POST", f"/contacts/{cid}/notes", {"text": "Prefers calls in the morning"},
                            token=operator_token)
    assert status == 201 and note["kind"] == "note"
    api.call("POST", f"/contacts/{cid}/notes", {"text": "Asked about invoices"}, token=operator_token)

    status, found = api.call("GET", f"/contacts/{cid}/history?q=MORN", token=operator_token)
    assert status == 200 and [e["text"] for e in found["items"]] == ["Prefers calls in the morning"]
    status, error = api.call("POST", f"/contacts/{cid}/notes", {"text": ""}, token=operator_token)
    assert status == 422 and error["field"] == "text"


def test_attribute_definitions_are_for_admins(api, demo, operator_token, admin_token) -> None:
    body = {"definitions": [{"name": "crm_id", "label": "CRM id", "identifying": True}]}
    status, error = api.call("PUT", "/contact-attributes", body, token=operator_token)
    assert status == 403
    assert api.call("PUT", "/contact-attributes", body, token=admin_token)[0] == 200
    status, got = api.call("GET", "/contact-attributes", token=operator_token)
    assert status == 200 and got == body
    status, error = api.call("PUT", "/contact-attributes", {"definitions": [{"name": "Bad Name"}]},
                             token=admin_token)
    assert status == 422 and error["field"].startswith("definitions")


def test_another_tenants_contact_does_not_exist(api, demo, operator_token) -> None:
    cid = create(api, operator_token)["contact_id"]
    stranger = tokens.issue("other-tenant", "admin")

    for method, path, body in [("GET", f"/contacts/{cid}", None), ("PATCH", f"/contacts/{cid}", {"name": "X"}),
                               ("DELETE", f"/contacts/{cid}", None),
                               ("POST", f"/contacts/{cid}/notes", {"text": "x"}),
                               ("POST", f"/contacts/{cid}/block", {"duration": "hour"}),
                               ("GET", f"/contacts/{cid}/history", None),
                               ("POST", f"/contacts/{cid}/anonymize", None)]:
        status, _ = api.call(method, path, body, token=stranger)
        assert status == 404, (method, path)
    assert api.call("GET", "/contacts?q=jana", token=stranger)[1]["items"] == []


def test_admin_only_operations_are_refused_to_operators(api, demo, operator_token) -> None:
    a = create(api, operator_token, name="A")["contact_id"]
    b = create(api, operator_token, name="B")["contact_id"]
    assert api.call("DELETE", f"/contacts/{a}", token=operator_token)[0] == 403
    assert api.call("POST", f"/contacts/{a}/anonymize", token=operator_token)[0] == 403
    assert api.call("POST", f"/contacts/{a}/merge", {"contact_id": b}, token=operator_token)[0] == 403
    assert api.call("GET", f"/contacts/{a}", token=operator_token)[0] == 200


def test_a_create_retried_with_the_same_idempotency_key_makes_one_contact(api, demo, operator_token) -> None:
    body = {"name": "Retry Me", "emails": ["retry@example.com"]}
    headers = {"Idempotency-Key": "create-42"}

    first = api.call("POST", "/contacts", body, token=operator_token, headers=headers)
    again = api.call("POST", "/contacts", body, token=operator_token, headers=headers)

    assert first[0] == again[0] == 201 and again[1]["contact_id"] == first[1]["contact_id"]
    assert [c["contact_id"] for c in api.call("GET", "/contacts?q=retry", token=operator_token)[1]["items"]] \
        == [first[1]["contact_id"]]
    status, error = api.call("POST", "/contacts", {"name": "Someone else"}, token=operator_token, headers=headers)
    assert status == 409 and error["code"] == "idempotency_key_reused"


def test_changes_are_published_as_domain_events(api, demo, operator_token, admin_token, monkeypatch) -> None:
    from switchboard.clients.eventbus import EventBus

    published: list[tuple[str, str]] = []
    original = EventBus.publish

    def record(self, events) -> None:  # noqa: ANN001
        published.extend((e.detail_type, e.detail.get("contact_id")) for e in events)
        original(self, events)

    monkeypatch.setattr(EventBus, "publish", record)
    a = create(api, operator_token, name="A")["contact_id"]
    b = create(api, operator_token, name="B")["contact_id"]
    api.call("PATCH", f"/contacts/{a}", {"tags": ["x"]}, token=operator_token)
    api.call("POST", f"/contacts/{a}/block", {"duration": "hour"}, token=operator_token)
    api.call("DELETE", f"/contacts/{a}/block", token=operator_token)
    api.call("POST", f"/contacts/{a}/merge", {"contact_id": b}, token=admin_token)
    api.call("DELETE", f"/contacts/{a}", token=admin_token)

    assert [kind for kind, _ in published] == ["contact.created", "contact.created", "contact.updated",
                                               "contact.blocked", "contact.unblocked", "contact.merged",
                                               "contact.erased"]
    assert {cid for _, cid in published} == {a, b}


# -- the tenant's default country (demo: CZ) reads the national numbers operators type --------------------
def test_a_national_number_is_stored_in_e164_of_the_tenants_country(api, demo, operator_token) -> None:
    status, contact = api.call("POST", "/contacts", {"name": "Jana", "phones": ["777 123 456"]},
                               token=operator_token)

    assert status == 201
    assert contact["phones"] == ["+420777123456"]


def test_a_national_number_is_read_in_the_country_on_edit_and_as_an_identifier(api, demo, operator_token) -> None:
    contact = api.call("POST", "/contacts", {"name": "Jana"}, token=operator_token)[1]
    path = f"/contacts/{contact['contact_id']}"

    api.call("PATCH", path, {"phones": ["602 123 456"]}, token=operator_token)
    api.call("POST", f"{path}/identifiers", {"kind": "phone", "value": "777 123 456"}, token=operator_token)

    assert api.call("GET", path, token=operator_token)[1]["phones"] == ["+420602123456", "+420777123456"]


def test_a_national_number_finds_the_contact(api, demo, operator_token) -> None:
    api.call("POST", "/contacts", {"name": "Jana", "phones": ["777 123 456"]}, token=operator_token)

    found = api.call("GET", "/contacts?q=777%20123%20456", token=operator_token)[1]["items"]

    assert [c["name"] for c in found] == ["Jana"]


def test_another_country_reads_the_same_digits_as_its_own(api, demo) -> None:
    from infra.local import tokens
    from switchboard.services import services

    services().tenants.set_default_country("acme", "GB")
    token = tokens.issue("acme", "operator")

    contact = api.call("POST", "/contacts", {"name": "Olivia", "phones": ["07700 900123"]}, token=token)[1]

    assert contact["phones"] == ["+447700900123"]
