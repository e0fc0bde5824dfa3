"""Who a thread with several addresses is with (DESIGN.md §3): of From, To and Cc in that order, ours
left out, the first address already in the directory; if none is, the first address becomes a contact."""

from __future__ import annotations

import threading

import boto3

from switchboard import clock, ids
from switchboard.email.contacts import choose_contact, thread_addresses
from switchboard.email.inbound import process_email_event
from switchboard.email.mime import Address, parse
from switchboard.services import services
from switchboard.storage import keys
from switchboard.storage.dynamo import Transaction
from switchboard.domain.inbound_queue import EmailEvent, parse_queued
from tests.support.email import DEMO_MAILBOX, mail, mailgun_post

WEBHOOK = "/webhooks/email/mail-demo"
# From a shared inbox, to us, copying two people.
THREAD = mail(sender="Front Desk <frontdesk@hotel.example>", to=f"Support <{DEMO_MAILBOX}>, Eva <eva@hotel.example>",
              cc="Filip <filip@hotel.example>", subject="Booking 5521")


def _known(*addresses: str) -> dict[str, str]:
    """Contacts already in the directory, one per address (as an operator would have added them)."""
    owners = {}
    tx = Transaction()
    now = clock.iso(clock.now())
    for address in addresses:
        contact_id = ids.new_id()
        tx.put({**keys.contact("demo", contact_id), "contact_id": contact_id, "tenant_id": "demo", "name": address,
                "emails": [address], "phones": [], "created_at": now, "updated_at": now})
        tx.put({**keys.identifier("demo", "email", address), "contact_id": contact_id, "kind": "email",
                "value": address, "tenant_id": "demo"})
        owners[address] = contact_id
    services().table.commit(tx)
    return owners


def _thread_contact(api, process_inbound, operator_token) -> dict:  # noqa: ANN001
    body, headers = mailgun_post(THREAD)
    assert api.call("POST", WEBHOOK, body, headers=headers)[0] == 200
    assert process_inbound() == 1
    (session,) = api.call("GET", "/sessions?channel_id=mail-demo", token=operator_token)[1]["items"]
    return session


def test_the_thread_addresses_are_from_to_cc_in_order_without_ours() -> None:
    assert [a.address for a in thread_addresses(parse(THREAD), DEMO_MAILBOX)] == [
        "frontdesk@hotel.example", "eva@hotel.example", "filip@hotel.example"]
    addresses = [Address("", "a@x"), Address("", "b@x")]
    assert choose_contact(addresses, {}).address.address == "a@x"
    assert choose_contact(addresses, {"b@x": "C2"}).contact_id == "C2"
    assert choose_contact([], {}) is None


def test_when_no_address_is_known_the_first_becomes_a_new_contact(api, demo, process_inbound,
                                                                 operator_token) -> None:
    session = _thread_contact(api, process_inbound, operator_token)

    assert session["address"] == "frontdesk@hotel.example"
    contact = services().table.get(keys.contact("demo", session["contact_id"]))
    assert (contact["name"], contact["emails"]) == ("Front Desk", ["frontdesk@hotel.example"])
    owner = services().table.get(keys.identifier("demo", "email", "frontdesk@hotel.example"))
    assert owner["contact_id"] == session["contact_id"]
    for other in ("eva@hotel.example", "filip@hotel.example"):
        assert services().table.get(keys.identifier("demo", "email", other)) is None


def test_when_the_first_is_unknown_but_a_later_one_is_known_the_known_one_is_the_contact(
        api, demo, process_inbound, operator_token) -> None:
    owners = _known("filip@hotel.example")

    session = _thread_contact(api, process_inbound, operator_token)

    assert (session["contact_id"], session["address"]) == (owners["filip@hotel.example"], "filip@hotel.example")
    assert services().table.get(keys.identifier("demo", "email", "frontdesk@hotel.example")) is None


def test_when_all_are_known_the_first_in_order_is_the_contact(api, demo, process_inbound, operator_token) -> None:
    owners = _known("filip@hotel.example", "eva@hotel.example", "frontdesk@hotel.example")

    session = _thread_contact(api, process_inbound, operator_token)

    assert (session["contact_id"], session["address"]) == (owners["frontdesk@hotel.example"],
                                                           "frontdesk@hotel.example")


def test_two_first_mails_from_one_new_address_at_once_make_one_contact(api, demo, aws, operator_token) -> None:
    for subject in ("First question", "Second question"):
        body, headers = mailgun_post(mail(sender="gina@example.com", subject=subject))
        assert api.call("POST", WEBHOOK, body, headers=headers)[0] == 200
    queued = boto3.client("sqs").receive_message(QueueUrl=aws.queue_urls["inbound"], MaxNumberOfMessages=10)
    events = [parse_queued(m["Body"]) for m in queued["Messages"]]
    assert len(events) == 2
    errors: list[BaseException] = []

    def work(event: EmailEvent) -> None:  # two workers at once, as after a redelivery
        try:
            process_email_event(event, services())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(event,)) for event in events]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert errors == []
    sessions = api.call("GET", "/sessions?channel_id=mail-demo", token=operator_token)[1]["items"]
    assert len(sessions) == 2 and len({s["contact_id"] for s in sessions}) == 1
