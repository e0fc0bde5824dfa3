"""Two admins merge the same duplicate while its customer writes again, all at the same moment: one
contact survives, every identifier names a contact that exists, and the message is on the survivor."""

from __future__ import annotations

import threading

from boto3.dynamodb.conditions import Attr

from switchboard.contacts import merge
from switchboard.errors import ConcurrentUpdate
from switchboard.inbound.processing import process_event
from switchboard.services import services
from switchboard.domain.inbound_queue import WhatsAppEvent
from tests.support.contacts import contact_of_sender, create, whatsapp_message
from tests.support.whatsapp import text_message


def _items(prefix: str) -> list[dict]:
    """Every item of the demo tenant whose key starts so (a test may scan; the code never does)."""
    table = services().table
    found, start = [], None
    while True:
        kwargs = {"FilterExpression": Attr("pk").begins_with(prefix)}
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = table._client.scan(TableName=table.name, **kwargs)  # noqa: SLF001 - a test's look at the whole table
        found += page["Items"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return found


def _deliver(event: WhatsAppEvent) -> None:
    """contact_resolution as SQS drives it: a record that lost every race comes back and runs again."""
    for _ in range(10):
        try:
            process_event(event, services())
            return
        except ConcurrentUpdate:
            continue
    raise AssertionError("the message was never stored")


def test_two_merges_and_a_message_for_b_at_once_leave_one_consistent_contact(
        api, demo, process_inbound, operator_token) -> None:
    for round_number in range(3):
        sender = f"42077712300{round_number}"
        a = create(api, operator_token, name=f"Survivor {round_number}")["contact_id"]
        whatsapp_message(api, process_inbound, sender=sender, name="Duplicate", body="first")
        b = contact_of_sender(sender)
        event = WhatsAppEvent(kind="message", tenant_id="demo", channel_id="wa-demo", event_id=f"wamid.RACE{round_number}",
                            group=f"wa-demo:{sender}", field="messages", waba_id="w",
                            payload=text_message(sender=sender, body="racing", wamid=f"wamid.RACE{round_number}",
                                                 timestamp=1749416999)["message"],
                            contact={"wa_id": sender, "profile": {"name": "Duplicate"}})
        barrier = threading.Barrier(3)
        results: list[dict] = []
        errors: list[BaseException] = []

        def run(work) -> None:  # noqa: ANN001
            barrier.wait()
            try:
                outcome = work()
                if outcome is not None:
                    results.append(outcome)
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

        jobs = [lambda: merge.merge(services(), "demo", a, b, "admin-1"),
                lambda: merge.merge(services(), "demo", a, b, "admin-2"),
                lambda: _deliver(event)]
        threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert errors == []
        assert [r["contact_id"] for r in results] == [a, a]
        assert services().contacts.get("demo", b) is None
        survivor = services().contacts.get("demo", a)
        assert survivor["phones"] == [f"+{sender}"] and not survivor.get("absorbing")
        assert contact_of_sender(sender) == a

    contacts = {c["contact_id"] for c in _items("T#demo#C#") if c["sk"] == "PROFILE"}
    identifiers = _items("T#demo#ID#")
    assert identifiers and all(i["contact_id"] in contacts for i in identifiers)
    pointers = _items("T#demo#PTR#")
    assert all(p["contact_id"] in contacts for p in pointers)
    sessions = [s for s in _items("T#demo#S#") if s["sk"] == "SESSION"]
    assert all(s["contact_id"] in contacts for s in sessions)
    racing = [m for m in _items("T#demo#S#") if m.get("text") == "racing"]
    assert len(racing) == 3
    for message in racing:
        session = next(s for s in sessions if s["session_id"] == message["session_id"])
        assert session["contact_id"] == message["contact_id"] and message["contact_id"] in contacts
