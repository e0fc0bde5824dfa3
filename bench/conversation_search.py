"""Conversation search: DynamoDB reads per search page at any number of stored messages, and what indexing
one message costs (docs/search.md).

``measure(messages, sessions)`` stores that many messages in that many sessions in an in-process moto,
with exactly the index items conversation_index writes for them (``word_entry`` and the session's word
set), then asks for a page (``q="order"``, 10 per page, page one and the next) through the real code path
(``sessions.search.search``), counting every DynamoDB request and its read units as DynamoDB would bill
them (``bench.contact_search.ReadMeter``: from the returned items' sizes).

``write_cost(sessions, per_session)`` runs the indexer itself (``sessions.search.handle`` on
``message.received``) over fresh conversations and sums the write units of what it writes (1 KB per unit:
each put of a BatchWriteItem, the word set's UpdateItem at its size after), the read units of what it
reads, and prices them (bench/prices.py), with the Lambda invocation that carries it.
"""

from __future__ import annotations

import math
import os
import random
import time
from typing import Any

from bench import prices
from bench.contact_search import _ENV, ReadMeter, _item_size

TENANT = "bench"
QUERY = "order"
PAGE = 10
_WORDS = [
    "hello", "please", "order", "parcel", "arrived", "late", "tomorrow", "refund", "invoice", "colour",
    "size", "blue", "green", "broken", "zipper", "thanks", "address", "delivery", "courier", "payment",
    "card", "number", "week", "money", "back", "return", "exchange", "shoes", "jacket", "dress", "store",
    "online", "question", "answer", "soon", "today", "morning", "evening", "number", "tracking",
]
_NAMES = ["Jan Novák", "Eva Dvořák", "Petr Svoboda", "Jana Černá", "Tomáš Procházka", "Lucie Kučera"]


def _conversations(sessions: int, per_session: int, seed: int = 11) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Sessions, each with ``per_session`` messages of 6..20 words; every session has "order" in it."""
    from switchboard import clock, ids
    from switchboard.storage.messages import message_item, new_session_item

    rng = random.Random(seed)
    start = int(time.time() * 1000) - sessions * per_session * 1000
    made = []
    for s in range(sessions):
        at_ms = start + s * per_session * 1000
        sid, cid = ids.new_id(at_ms), ids.new_id(at_ms)
        at = clock.iso(clock.from_unix(at_ms / 1000))
        messages = []
        for m in range(per_session):
            words = [rng.choice(_WORDS) for _ in range(rng.randrange(6, 21))]
            if m == 0:
                words.insert(0, "order")
            m_at = clock.iso(clock.from_unix((at_ms + m * 1000) / 1000))
            messages.append(message_item(TENANT, "wa-bench", ids.new_id(at_ms + m * 1000), m_at,
                                         direction="in" if m % 2 == 0 else "out", kind="text",
                                         text=" ".join(words).capitalize() + ".", session_id=sid, contact_id=cid))
        session = new_session_item(TENANT, sid, "wa-bench", cid, f"4207{s:08d}", "open", at,
                                   {"message_id": messages[-1]["message_id"], "text": messages[-1]["text"][:200],
                                    "direction": "in", "kind": "text", "at": at},
                                   contact_name=rng.choice(_NAMES))
        made.append((session, messages))
    return made


def _index_items(session: dict[str, Any], messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What conversation_index leaves for a session: an entry per distinct word, and its word set."""
    from switchboard.domain import conversation_search as rules
    from switchboard.sessions.search import message_words
    from switchboard.storage import keys
    from switchboard.storage.conversation_search import word_entry

    t, sid = session["tenant_id"], session["session_id"]
    text = list(dict.fromkeys(w for m in messages for w in message_words(m)))
    contact = rules.text_words(session.get("contact_name"))
    entries = [word_entry(t, sid, w) for w in dict.fromkeys(text + contact)]
    word_set = {**keys.session_words(t, sid), "tenant_id": t, "text_words": set(text)}
    if contact:
        word_set["contact_words"] = set(contact)
    return [*entries, word_set]


def _seed(table_name: str, conversations: list[tuple[dict[str, Any], list[dict[str, Any]]]]) -> int:
    """Straight into moto's in-process table (BatchWriteItem through moto's emulation is ~4x slower)."""
    from boto3.dynamodb.types import TypeSerializer
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict

    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_DEFAULT_REGION"]].get_table(table_name)
    serialize = TypeSerializer().serialize
    written = 0
    for session, messages in conversations:
        for item in (session, *messages, *_index_items(session, messages)):
            attrs = {k: DynamoType({"S": v} if isinstance(v, str) else serialize(v)) for k, v in item.items()}
            stored = Item.__new__(Item)
            stored.hash_key, stored.range_key, stored.attrs = attrs["pk"], attrs["sk"], LimitedSizeDict(attrs)
            table.items[attrs["pk"]][attrs["sk"]] = stored
            written += 1
    return written


class _Environment:
    """An in-process moto with the declared resources, and the environment restored afterwards."""

    def __enter__(self) -> Any:
        self.saved = {k: os.environ.get(k) for k in [*_ENV, "AWS_ENDPOINT_URL"]}
        os.environ.update(_ENV)
        os.environ.pop("AWS_ENDPOINT_URL", None)
        from moto import mock_aws
        from switchboard.services import reset_services

        from infra.local import resources

        self.mock = mock_aws()
        self.mock.start()
        created = resources.create_all(local=True)
        for name, value in created.environment.items():
            self.saved.setdefault(name, os.environ.get(name))
            os.environ[name] = value
        reset_services()
        return created

    def __exit__(self, *_: object) -> None:
        from switchboard.services import reset_services

        reset_services()
        self.mock.stop()
        for name, value in self.saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def measure(messages: int, sessions: int) -> dict[str, Any]:
    """Reads and requests per search page (q="order", limit=10) over ``messages`` in ``sessions``."""
    from switchboard import aws
    from switchboard.domain.conversation_search import SessionFilters
    from switchboard.services import services
    from switchboard.sessions import search

    with _Environment() as created:
        started = time.process_time()
        written = _seed(created.environment["DATA_TABLE_NAME"], _conversations(sessions, messages // sessions))
        seed_cpu = time.process_time() - started
        meter = ReadMeter()
        meter.attach(aws.dynamodb())
        first = search.search(services(), TENANT, QUERY, SessionFilters(), None, PAGE)
        page_one = (meter.requests, meter.read_units, meter.items_read)
        meter.reset()
        second = search.search(services(), TENANT, QUERY, SessionFilters(), first.cursor, PAGE)
        page_two = (meter.requests, meter.read_units, meter.items_read)
    return {"messages": messages, "sessions": sessions, "items_seeded": written,
            "seed_cpu_seconds": round(seed_cpu, 1), "query": QUERY, "limit": PAGE,
            "reads_per_page": page_one[1], "requests_per_page": page_one[0], "items_read_per_page": page_one[2],
            "results_on_page": len(first.items),
            "next_page": {"reads": page_two[1], "requests": page_two[0], "results": len(second.items)}}


class _WriteMeter:
    """Wraps the table the indexer writes through: write units of each put and update, read units of each
    read, and the requests by kind (for the Lambda's billed time)."""

    def __init__(self, table: Any) -> None:
        self.table, self.write_units, self.read_units, self.requests = table, 0, 0.0, {}

    def _count(self, kind: str, n: int = 1) -> None:
        self.requests[kind] = self.requests.get(kind, 0) + n

    def get(self, key: dict[str, str], consistent: bool = False) -> Any:
        self._count("dynamodb:GetItem")
        item = self.table.get(key, consistent)
        if item is not None:
            self.read_units += math.ceil(_item_size(item) / 4096) * (1.0 if consistent else 0.5)
        else:
            self.read_units += 1.0 if consistent else 0.5
        return item

    def write_batch(self, puts: Any = (), deletes: Any = ()) -> None:
        puts, deletes = list(puts), list(deletes)
        self._count("dynamodb:BatchWriteItem", math.ceil((len(puts) + len(deletes)) / 25))
        self.write_units += sum(math.ceil(_item_size(i) / 1024) for i in puts) + len(deletes)
        self.table.write_batch(puts=puts, deletes=deletes)

    def update(self, key: dict[str, str], *args: Any, **kwargs: Any) -> Any:
        self._count("dynamodb:UpdateItem")
        result = self.table.update(key, *args, **kwargs)
        after = self.table.get(key, consistent=True)  # not billed: the item's size after the update
        self.write_units += max(1, math.ceil(_item_size(after or key) / 1024))
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self.table, name)


def write_cost(sessions: int = 20, per_session: int = 10) -> dict[str, Any]:
    """The index's write units, read units and $ per message, over fresh conversations indexed message by
    message through the real consumer."""
    from switchboard.services import services
    from switchboard.sessions import search

    with _Environment():
        conversations = _conversations(sessions, per_session, seed=23)
        table = services().table
        for session, messages in conversations:
            table.put(session)
            for message in messages:
                table.put(message)
        meter = _WriteMeter(table)
        services().__dict__["table"] = meter  # the consumer's every read and write goes through the meter
        services().__dict__.pop("sessions", None)
        started = time.process_time()
        count = 0
        for session, messages in conversations:
            for message in messages:
                search.handle(services(), "message.received", {
                    "tenant_id": TENANT, "message_id": message["message_id"], "session_id": session["session_id"],
                    "sent_at": message["sent_at"]})
                count += 1
        own_ms = (time.process_time() - started) * 1000 / count
    wru, rru = meter.write_units / count, meter.read_units / count
    requests = {k: v / count for k, v in meter.requests.items()}
    wait_ms = sum(prices.AWS_LATENCY_MS.get(k, prices.AWS_LATENCY_DEFAULT_MS) * n for k, n in requests.items())
    memory_gb = 256 / 1024
    dynamo_usd = wru * prices.DYNAMODB_USD_PER_WRU + rru * prices.DYNAMODB_USD_PER_RRU
    lambda_usd = prices.LAMBDA_USD_PER_REQUEST + (own_ms + wait_ms) / 1000 * memory_gb * \
        prices.LAMBDA_ARM_USD_PER_GB_SECOND
    return {"messages": count, "per_session": per_session, "wru_per_message": round(wru, 2),
            "rru_per_message": round(rru, 2), "requests_per_message": {k: round(v, 2) for k, v in requests.items()},
            "billed_ms_per_message": round(own_ms + wait_ms, 1),
            "dynamodb_usd_per_million": round(dynamo_usd * 1e6, 2),
            "lambda_usd_per_million": round(lambda_usd * 1e6, 2),
            "usd_per_million_messages": round((dynamo_usd + lambda_usd) * 1e6, 2)}


def run() -> dict[str, Any]:
    """What `make bench` reports: a page at 200 and at 20,000 messages, and the write cost."""
    return {"200": measure(200, 20), "20000": measure(20_000, 2_000), "write": write_cost()}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
