"""An operator searches conversations (GET /sessions?q=): words of a message, an email's subject, the
contact's name and a note each find their session, by prefix and without accents, in the caller's tenant
only. The index is kept by conversation_index from the bus's events, and erase and anonymise take a
contact's conversations out of it."""

from __future__ import annotations

from typing import Any

import pytest
from switchboard.clients.eventbus import DomainEvent
from switchboard.services import services
from switchboard.storage import keys
from switchboard.storage.messages import message_item, new_session_item

from infra.declaration import function
from infra.local import event_rules, tokens
from tests.support.contacts import contact_of_sender, whatsapp_message
from tests.support.email import mail, mailgun_post


class Index:
    """conversation_index run over its events the way EventBridge would (``run()`` drains them)."""

    def __init__(self, aws: Any) -> None:
        self.queue = event_rules.create_rules(aws.environment["EVENT_BUS_NAME"])["conversation_index"]

    def run(self) -> int:
        return event_rules.drain(function("conversation_index"), self.queue)


@pytest.fixture
def index(aws, demo) -> Index:
    return Index(aws)


def found(api, token: str, query: str) -> list[str]:
    status, page = api.call("GET", f"/sessions?{query}", token=token)
    assert status == 200, page
    return [s["session_id"] for s in page["items"]]


def session_of(sender: str) -> str:
    pointer = services().table.get(keys.thread("demo", "wa-demo", sender), consistent=True)
    return str(pointer["session_id"])


def email_arrives(api, process_inbound, subject: str, text: str, sender: str) -> None:
    body, headers = mailgun_post(mail(sender=sender, subject=subject, text=text))
    assert api.call("POST", "/webhooks/email/mail-demo", body, headers=headers)[0] == 200
    process_inbound()


def acme_conversation(text: str) -> str:
    """Another tenant's session and message, as its inbound path would have stored them, and indexed."""
    table = services().table
    session = new_session_item("acme", "ACMESESSION1", "wa-acme", "ACMECONTACT1", "16505550000", "open",
                               "2026-01-01T00:00:00.000Z", {"message_id": "ACMEMSG1", "text": text,
                                                            "direction": "in", "kind": "text",
                                                            "at": "2026-01-01T00:00:00.000Z"})
    table.put(session)
    table.put(message_item("acme", "wa-acme", "ACMEMSG1", "2026-01-01T00:00:00.000Z", direction="in",
                           kind="text", text=text, session_id="ACMESESSION1", contact_id="ACMECONTACT1"))
    services().bus.publish([DomainEvent("message.received", "acme", {
        "message_id": "ACMEMSG1", "session_id": "ACMESESSION1", "sent_at": "2026-01-01T00:00:00.000Z"})])
    return "ACMESESSION1"


def test_a_word_of_a_customers_message_finds_its_session_by_prefix_without_accents(
        api, process_inbound, index, operator_token) -> None:
    whatsapp_message(api, process_inbound, sender="420777000001", name="Věra Malá",
                     body="Moje objednávka číslo 5521 nedorazila")
    whatsapp_message(api, process_inbound, sender="420777000002", name="Petr Novák", body="Dobrý den")
    index.run()

    assert found(api, operator_token, "q=OBJEDNAV") == [session_of("420777000001")]


def test_every_term_must_match(api, process_inbound, index, operator_token) -> None:
    whatsapp_message(api, process_inbound, sender="420777000001", body="the parcel is late")
    whatsapp_message(api, process_inbound, sender="420777000002", body="the parcel arrived")
    index.run()

    assert found(api, operator_token, "q=parcel%20arriv") == [session_of("420777000002")]


def test_an_email_subject_finds_its_session(api, process_inbound, index, operator_token) -> None:
    email_arrives(api, process_inbound, "Reklamace kabelky", "Dobrý den, posílám fotky.",
                  "Alice <alice@example.com>")
    index.run()
    sessions = found(api, operator_token, "channel_id=mail-demo")

    assert found(api, operator_token, "q=reklamac") == sessions


def test_the_contacts_name_finds_its_session(api, process_inbound, index, operator_token) -> None:
    whatsapp_message(api, process_inbound, sender="420777000003", name="Zdeněk Šťastný", body="hi")
    index.run()

    assert found(api, operator_token, "q=stastn") == [session_of("420777000003")]


def test_the_contacts_phone_finds_its_session(api, process_inbound, index, operator_token) -> None:
    whatsapp_message(api, process_inbound, sender="420777000003", name="Zdeněk", body="hi")
    index.run()

    assert found(api, operator_token, "q=%2B420%20777%20000") == [session_of("420777000003")]


def test_a_renamed_contact_is_found_by_the_new_name_only(api, process_inbound, index, operator_token) -> None:
    whatsapp_message(api, process_inbound, sender="420777000003", name="Zdeněk Šťastný", body="hi")
    index.run()
    api.call("PATCH", f"/contacts/{contact_of_sender('420777000003')}", {"name": "Karel Veselý"},
             token=operator_token)
    index.run()

    assert found(api, operator_token, "q=stastny") == []
    assert found(api, operator_token, "q=vesel") == [session_of("420777000003")]


def test_a_note_finds_its_session(api, process_inbound, index, operator_token) -> None:
    whatsapp_message(api, process_inbound, sender="420777000004", body="hello")
    session_id = session_of("420777000004")
    assert api.call("POST", f"/sessions/{session_id}/notes", {"text": "Zákazník chce vrátit peníze"},
                    token=operator_token)[0] == 201
    index.run()

    assert found(api, operator_token, "q=vratit") == [session_id]


def test_the_operators_reply_finds_its_session(api, process_inbound, index, operator_token) -> None:
    whatsapp_message(api, process_inbound, sender="420777000005", body="hello")
    session_id = session_of("420777000005")
    message = message_item("demo", "wa-demo", "OUTMSG1", "2026-01-01T00:00:00.000Z", direction="out",
                           kind="text", text="Your refund is on its way", session_id=session_id,
                           contact_id=contact_of_sender("420777000005"))
    services().table.put(message)
    services().bus.publish([DomainEvent("message.sent", "demo", {
        "message_id": "OUTMSG1", "session_id": session_id, "sent_at": "2026-01-01T00:00:00.000Z"})])
    index.run()

    assert found(api, operator_token, "q=refund") == [session_id]


def test_no_tenant_finds_another_tenants_conversations(api, process_inbound, index, operator_token) -> None:
    whatsapp_message(api, process_inbound, sender="420777000006", body="invoice overdue")
    acme_session = acme_conversation("invoice overdue")
    index.run()
    acme = tokens.issue("acme")

    assert found(api, operator_token, "q=invoice") == [session_of("420777000006")]
    assert found(api, acme, "q=invoice") == [acme_session]


def test_a_blocked_contacts_suppressed_message_is_not_indexed(api, process_inbound, index, operator_token,
                                                              admin_token) -> None:
    whatsapp_message(api, process_inbound, sender="420777000007", body="first")
    assert api.call("POST", f"/contacts/{contact_of_sender('420777000007')}/block", {"duration": "forever"},
                    token=operator_token)[0] == 200
    whatsapp_message(api, process_inbound, sender="420777000007", body="secretword")
    index.run()

    assert found(api, operator_token, "q=secretword") == []


def test_search_is_combined_with_the_other_filters(api, process_inbound, index, operator_token) -> None:
    whatsapp_message(api, process_inbound, sender="420777000008", body="broken zipper")
    whatsapp_message(api, process_inbound, sender="420777000009", body="broken handle")
    tagged = session_of("420777000009")
    assert api.call("PUT", f"/sessions/{tagged}/tags", {"tags": ["complaint"]}, token=operator_token)[0] == 200
    index.run()

    assert found(api, operator_token, "q=broken&tag=complaint") == [tagged]


def test_erase_takes_the_contacts_conversations_out_of_the_index(api, process_inbound, index, operator_token,
                                                                 admin_token) -> None:
    whatsapp_message(api, process_inbound, sender="420777000010", name="Erika Smazaná", body="delete me please")
    session_id = session_of("420777000010")
    index.run()

    assert api.call("DELETE", f"/contacts/{contact_of_sender('420777000010')}", token=admin_token)[0] == 204
    index.run()

    assert found(api, operator_token, "q=delete") == []
    entries = services().table.query(KeyConditionExpression="pk = :pk",
                                     ExpressionAttributeValues={":pk": keys.session_word_partition("demo", "de")})
    assert [e for e in entries["Items"] if e["session_id"] == session_id] == []


def test_anonymise_takes_the_contacts_conversations_out_of_the_index(api, process_inbound, index, operator_token,
                                                                     admin_token) -> None:
    whatsapp_message(api, process_inbound, sender="420777000011", name="Anna Tajná", body="my secret address")
    index.run()
    contact_id = contact_of_sender("420777000011")

    assert api.call("POST", f"/contacts/{contact_id}/anonymize", token=admin_token)[0] == 200
    index.run()

    assert found(api, operator_token, "q=tajna") == []
    assert found(api, operator_token, "q=secret") == []


def test_indexing_an_event_twice_changes_nothing(api, process_inbound, index, operator_token) -> None:
    whatsapp_message(api, process_inbound, sender="420777000012", body="repeat after me")
    index.run()
    session_id = session_of("420777000012")
    message = services().contacts.session_messages("demo", session_id)[0]
    before = services().table.get(keys.session_words("demo", session_id))

    services().bus.publish([DomainEvent("message.received", "demo", {
        "message_id": message["message_id"], "session_id": session_id, "sent_at": message["sent_at"]})])
    index.run()

    assert services().table.get(keys.session_words("demo", session_id)) == before
    assert found(api, operator_token, "q=repeat") == [session_id]


@pytest.mark.parametrize("query, field", [("q=a", "q"), ("rating=9", "rating"), ("channel_kind=sms", "channel_kind"),
                                          ("sla=met", "sla"), ("created_from=2026-01-01T00:00:00", "created_from"),
                                          ("last_activity_from=2026-02-01T00:00:00Z&last_activity_to=2026-01-01T00:00:00Z",
                                           "last_activity_from"),
                                          ("waiting=perhaps", "waiting")])
def test_a_bad_filter_is_refused_naming_it(api, demo, operator_token, query: str, field: str) -> None:
    status, body = api.call("GET", f"/sessions?{query}", token=operator_token)

    assert status in (400, 422), body
    assert body.get("field") == field, body
