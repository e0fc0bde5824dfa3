"""A block, a merge or an erasure that lands between the moment a known sender's message is read and the
moment it is written: the message's transaction no longer checks the contact's profile, so the change
writes the contact's thread pointers itself, and the message's write, planned on the old pointer, is
cancelled and planned again (docs/contacts.md, "Thread pointers")."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from switchboard.contacts import gdpr, merge
from switchboard.domain.inbound_queue import WhatsAppEvent
from switchboard.errors import ConcurrentUpdate
from switchboard.inbound.resolution import Outcome, store_inbound_message
from switchboard.services import services
from switchboard.storage import keys
from switchboard.storage.conversations import ConversationStore

from tests.support.contacts import contact_of_sender, create, sessions_of, whatsapp_message
from tests.support.whatsapp import text_message

SENDER = "420777888999"


def _event(wamid: str, body: str = "meanwhile") -> WhatsAppEvent:
    built = text_message(sender=SENDER, body=body, wamid=wamid, timestamp=1749416999)
    return WhatsAppEvent(kind="message", tenant_id="demo", channel_id="wa-demo", event_id=wamid,
                         group=f"wa-demo:{SENDER}", field="messages", waba_id="w", payload=built["message"],
                         contact=built["contact"])


def _store_with(monkeypatch: pytest.MonkeyPatch, change: Callable[[], None], event: WhatsAppEvent) -> Outcome:
    """Store the message, ``change`` committing right after its first read and before its write."""
    read = ConversationStore.look_up
    pending = [change]

    def look_up(self: ConversationStore, *args: object, **kwargs: object):
        view = read(self, *args, **kwargs)
        if pending:
            pending.pop()()
        return view

    monkeypatch.setattr(ConversationStore, "look_up", look_up)
    try:
        return store_inbound_message(event, services().channels.by_id("wa-demo"), ConversationStore(services().table))
    finally:
        monkeypatch.setattr(ConversationStore, "look_up", read)


def _pointer() -> dict:
    return services().table.get(keys.thread("demo", "wa-demo", SENDER), consistent=True) or {}


def _operators_contact(api, operator_token: str, process_inbound) -> str:
    """A contact the operator created with the customer's WhatsApp id (no channel on it), who then wrote."""
    cid = create(api, operator_token, name="Pavla Nová",
                 identities=[{"kind": "wa", "value": SENDER}])["contact_id"]
    whatsapp_message(api, process_inbound, sender=SENDER, body="first")
    return cid


def test_a_block_between_the_read_and_the_write_suppresses_the_message(
        api, demo, process_inbound, operator_token, monkeypatch) -> None:
    cid = _operators_contact(api, operator_token, process_inbound)
    session_id = sessions_of(api, operator_token, cid)[0]["session_id"]

    def block() -> None:
        assert api.call("POST", f"/contacts/{cid}/block", {"duration": "forever"}, token=operator_token)[0] == 200

    _store_with(monkeypatch, block, _event("wamid.MID1"))

    session = api.call("GET", f"/sessions/{session_id}", token=operator_token)[1]
    assert session["last_message"]["text"] == "first"


def test_the_pointers_copy_of_the_block_follows_block_and_unblock(
        api, demo, process_inbound, operator_token) -> None:
    cid = _operators_contact(api, operator_token, process_inbound)

    api.call("POST", f"/contacts/{cid}/block", {"duration": "forever"}, token=operator_token)
    assert _pointer().get("blocked_until") == "forever"
    api.call("DELETE", f"/contacts/{cid}/block", token=operator_token)
    assert "blocked_until" not in _pointer()


def test_a_merge_under_way_between_the_read_and_the_write_puts_the_message_on_the_survivor(
        api, demo, process_inbound, operator_token, monkeypatch) -> None:
    survivor = create(api, operator_token, name="Survivor")["contact_id"]
    whatsapp_message(api, process_inbound, sender=SENDER, name="Duplicate", body="first")
    duplicate = contact_of_sender(SENDER)
    complete = merge._complete

    def start_merge() -> None:  # marked, the rest of the merge still to run
        monkeypatch.setattr(merge, "_complete", lambda *args: {})
        merge.merge(services(), "demo", survivor, duplicate, "admin-1")
        monkeypatch.setattr(merge, "_complete", complete)

    outcome = _store_with(monkeypatch, start_merge, _event("wamid.MID2", body="during the merge"))
    merge.merge(services(), "demo", survivor, duplicate, "admin-1")

    assert outcome.contact_id == survivor
    texts = [s["last_message"]["text"] for s in sessions_of(api, operator_token, survivor)]
    assert texts == ["during the merge"]


def test_an_erasure_under_way_between_the_read_and_the_write_keeps_the_message_off_the_erased_contact(
        api, demo, process_inbound, operator_token, admin_token, monkeypatch) -> None:
    whatsapp_message(api, process_inbound, sender=SENDER, body="first")
    erased = contact_of_sender(SENDER)
    remove_session = gdpr.ConversationIndex.remove_session

    def interrupted(*args: object) -> None:
        raise RuntimeError("the erasure stops here")

    def start_erasure() -> None:  # marked, the rest of the erasure still to run
        monkeypatch.setattr(gdpr.ConversationIndex, "remove_session", interrupted)
        with pytest.raises(RuntimeError):
            gdpr.erase(services(), "demo", erased, "admin-1")
        monkeypatch.setattr(gdpr.ConversationIndex, "remove_session", remove_session)

    with pytest.raises(ConcurrentUpdate):  # it waits (the queue delivers it again) for the erasure to end
        _store_with(monkeypatch, start_erasure, _event("wamid.MID3", body="during the erasure"))
    assert api.call("DELETE", f"/contacts/{erased}", token=admin_token)[0] == 204
    outcome = store_inbound_message(_event("wamid.MID3", body="during the erasure"),
                                    services().channels.by_id("wa-demo"), ConversationStore(services().table))

    assert outcome.contact_id != erased


def test_a_pointer_that_joins_the_list_while_a_block_is_decided_gets_the_block(
        api, demo, process_inbound, operator_token, monkeypatch) -> None:
    cid = create(api, operator_token, name="Pavla Nová", identities=[{"kind": "wa", "value": SENDER}])["contact_id"]
    read = type(services().contacts).pointers_of
    pending = [lambda: whatsapp_message(api, process_inbound, sender=SENDER, body="first")]

    def pointers_of(self, *args: object):
        found = read(self, *args)
        if pending:
            pending.pop()()
        return found

    monkeypatch.setattr(type(services().contacts), "pointers_of", pointers_of)
    assert api.call("POST", f"/contacts/{cid}/block", {"duration": "forever"}, token=operator_token)[0] == 200

    assert _pointer().get("blocked_until") == "forever"


def test_a_linked_sessions_pointer_follows_the_new_contacts_block(
        api, demo, process_inbound, operator_token) -> None:
    _operators_contact(api, operator_token, process_inbound)
    session_id = sessions_of(api, operator_token, contact_of_sender(SENDER))[0]["session_id"]
    petr = create(api, operator_token, name="Petr Known")["contact_id"]
    assert api.call("PUT", f"/sessions/{session_id}/contact", {"contact_id": petr}, token=operator_token)[0] == 200

    api.call("POST", f"/contacts/{petr}/block", {"duration": "forever"}, token=operator_token)

    assert _pointer().get("blocked_until") == "forever"
