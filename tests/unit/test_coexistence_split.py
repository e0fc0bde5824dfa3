"""How webhook_receipt cuts the coexistence fields into queue events (docs/coexistence.md): the same history
in any order gives the same events, slices fit one transaction and one queued event, an echo is in its
customer's group, a big address book is several events."""

from __future__ import annotations

import json
import random

import pytest
from switchboard.errors import InvalidInput
from switchboard.inbound.receipt import MAX_EVENT_BYTES
from switchboard.whatsapp.coexistence import HISTORY_SLICE_MESSAGES, STATE_SYNC_SLICE
from switchboard.whatsapp.envelope import Change, Entry, split_change


def _split(field: str, value: dict) -> list:
    entry = Entry(id="waba", changes=[Change(field=field, value=value)])
    return split_change(entry, entry.changes[0], "t", "ch", None)


def _chat(customer: str, n: int, long: bool = False) -> list[dict]:
    return [{"from": customer if i % 2 == 0 else "15550783881", "id": f"wamid.{customer}.{i}",
             "timestamp": str(1_730_000_000 + i * 60), "type": "text",
             "text": {"body": ("x" * 3000) if long else f"m{i}"}} for i in range(n)]


def _history(threads: dict[str, list[dict]], phase: int = 0, order: int = 1, progress: int = 100) -> dict:
    return {"metadata": {"phone_number_id": "1"}, "history": [
        {"metadata": {"phase": phase, "chunk_order": order, "progress": progress},
         "threads": [{"id": t, "messages": m} for t, m in threads.items()]}]}


def test_the_same_history_in_another_order_gives_the_same_events() -> None:
    chats = {"1": _chat("1", 130), "2": _chat("2", 45)}
    rng = random.Random(7)
    shuffled = {t: rng.sample(m, len(m)) for t, m in reversed(list(chats.items()))}
    first = {e.event_id: e.payload for e in _split("history", _history(chats))}
    again = {e.event_id: e.payload for e in _split("history", _history(shuffled))}
    assert first == again


def test_a_thread_is_cut_into_slices_that_fit_a_transaction_and_an_event() -> None:
    events = _split("history", _history({"1": _chat("1", 130, long=True)}))
    assert max(len(e.payload["messages"]) for e in events) <= HISTORY_SLICE_MESSAGES
    assert max(len(e.body().encode()) for e in events) < MAX_EVENT_BYTES
    assert sum(len(e.payload["messages"]) for e in events) == 130


def test_every_slice_knows_its_chunk_totals() -> None:
    events = _split("history", _history({"1": _chat("1", 50), "2": _chat("2", 10)}, phase=1, order=3,
                                        progress=60))
    assert {(e.payload["chunk_slices"], e.payload["chunk_messages"]) for e in events} == {(3, 60)}
    assert {e.payload["chunk"]["chunk_order"] for e in events} == {3}


def test_slices_of_one_chat_share_its_group_apart_from_the_customers_live_messages() -> None:
    events = _split("history", _history({"420777": _chat("420777", 90)}))
    assert {e.group for e in events} == {"ch:history:420777"}


def test_a_chunk_without_history_is_one_progress_event() -> None:
    [event] = _split("history", _history({}))
    assert event.payload["chunk_slices"] == 0


def test_a_refusal_is_one_event_with_the_errors() -> None:
    [event] = _split("history", {"history": [{"errors": [{"code": 2593109}]}]})
    assert event.payload["errors"] == [{"code": 2593109}]


def test_a_history_message_without_an_id_is_refused_naming_it() -> None:
    value = _history({"1": [{"from": "1", "timestamp": "1", "type": "text"}]})
    with pytest.raises(InvalidInput) as refused:
        _split("history", value)
    assert refused.value.field == "value.history.0.threads.0.messages.0.id"


def test_an_echo_is_in_its_customers_group_without_the_plus() -> None:
    [event] = _split("smb_message_echoes", {"message_echoes": [
        {"from": "15550783881", "to": "+16505551234", "id": "wamid.E", "timestamp": "1", "type": "text",
         "text": {"body": "hi"}}]})
    assert event.kind == "echo"
    assert event.group == "ch:16505551234"
    assert event.dedup_id == "wamid.E"


def test_a_big_address_book_is_several_events() -> None:
    contacts = [{"type": "contact", "action": "add", "contact": {"phone_number": f"4207770{i:05d}",
                                                                 "full_name": f"N {i}"}} for i in range(120)]
    events = _split("smb_app_state_sync", {"state_sync": contacts})
    assert [len(e.payload["state_sync"]) for e in events] == [STATE_SYNC_SLICE, STATE_SYNC_SLICE, 20]
    assert len({e.event_id for e in events}) == 3
    assert json.loads(events[0].body())["kind"] == "field"
