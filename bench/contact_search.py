"""DynamoDB reads per contact search page, at any directory size.

``measure(contacts)`` builds a directory of that many contacts in an in-process moto, then asks for a
typical page (``q="nov"``, 25 per page, page one and the page after it) through the real code path
(``Directory.search``), counting every DynamoDB request and the read units DynamoDB would bill (moto's
ConsumedCapacity is a placeholder, so units are computed from the returned items' sizes: 4 KB per unit,
half for eventually consistent reads; a Query rounds the sum of its items, BatchGetItem each item).

Seeding writes exactly the items the storage layer produces for a contact (``profile_item`` and
``search_index_items``). 50,000 contacts are about half a million items; BatchWriteItem through moto's
request emulation manages ~2,600 items/s, so the seed puts the same items straight into moto's
in-process table (~11,000 items/s) unless ``via_batch_write=True``.
"""

from __future__ import annotations

import math
import os
import random
import time
from decimal import Decimal
from typing import Any

_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1", "AWS_REGION": "eu-west-1", "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "WARNING"}
TENANT = "bench"
QUERY = "nov"
PAGE = 25
_FIRST = ["Jan", "Eva", "Petr", "Jana", "Tomas", "Lucie", "Martin", "Anna", "Pavel", "Marie", "Jakub",
          "Tereza"]
_LAST = ["Novák", "Novotný", "Svoboda", "Dvořák", "Černý", "Procházka", "Kučera", "Veselý", "Horák", "Němec", "Marek"]


def _value_size(value: Any) -> int:
    """An attribute value's size by DynamoDB's rules (the resource client hands values deserialised)."""
    if isinstance(value, str | bytes):
        return len(value.encode() if isinstance(value, str) else value)
    if isinstance(value, bool) or value is None:
        return 1
    if isinstance(value, int | float | Decimal):
        return math.ceil(len(str(value).strip("-").replace(".", "")) / 2) + 1
    if isinstance(value, list | tuple):
        return 3 + sum(1 + _value_size(v) for v in value)
    if isinstance(value, dict):
        return 3 + sum(1 + len(k.encode()) + _value_size(v) for k, v in value.items())
    return sum(_value_size(v) for v in value)  # sets


def _item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


class ReadMeter:
    """Counts DynamoDB requests and the read units they would cost, by botocore's event hooks."""

    def __init__(self) -> None:
        self.requests = 0
        self.read_units = 0.0
        self.items_read = 0
        self._consistent: dict[int, bool] = {}

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-call.dynamodb", self._before)
        client.meta.events.register("after-call.dynamodb", self._after)

    def reset(self) -> None:
        self.requests, self.read_units, self.items_read = 0, 0.0, 0

    def _before(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        body = params.get("body") or {}
        context["consistent"] = bool(body.get("ConsistentRead")) if isinstance(body, dict) else False

    def _after(self, model: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        self.requests += 1
        factor = 1.0 if context.get("consistent") else 0.5
        if model.name == "Query":
            items = parsed.get("Items", [])
            self.items_read += len(items)
            self.read_units += max(1, math.ceil(sum(_item_size(i) for i in items) / 4096)) * factor
        elif model.name == "BatchGetItem":
            for items in parsed.get("Responses", {}).values():
                self.items_read += len(items)
                self.read_units += sum(max(1, math.ceil(_item_size(i) / 4096)) for i in items) * 0.5
        elif model.name == "GetItem" and parsed.get("Item"):
            self.items_read += 1
            self.read_units += max(1, math.ceil(_item_size(parsed["Item"]) / 4096)) * factor


def _contacts(count: int, seed: int = 7) -> list[dict[str, Any]]:
    from switchboard import clock, ids

    rng = random.Random(seed)
    start = int(time.time() * 1000) - count * 1000
    made = []
    for n in range(count):
        at = clock.iso(clock.from_unix((start + n * 1000) / 1000))
        cid = ids.new_id(start + n * 1000)
        made.append({
            "contact_id": cid, "tenant_id": TENANT, "name": f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
            "phones": [f"+4207{rng.randrange(10**8):08d}"] if n % 10 == 0 else [],
            "emails": [], "identities": [], "tags": ["vip"] if n % 20 == 0 else [], "attributes": {},
            "created_at": at, "updated_at": at, "last_activity_at": at, "revision": 1})
    return made


def _seed(table_name: str, contacts: list[dict[str, Any]], via_batch_write: bool) -> int:
    from boto3.dynamodb.types import TypeSerializer
    from switchboard.storage.contacts import profile_item, search_index_items

    items = [item for c in contacts for item in (profile_item(c), *search_index_items(c))]
    if via_batch_write:
        from switchboard.services import services

        services().table.write_batch(puts=items)
        return len(items)
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict

    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_DEFAULT_REGION"]].get_table(table_name)
    serialize = TypeSerializer().serialize
    for item in items:
        attrs = {k: DynamoType({"S": v} if isinstance(v, str) else serialize(v)) for k, v in item.items()}
        stored = Item.__new__(Item)  # moto's Item without its per-attribute size check (a seed, not a test)
        stored.hash_key, stored.range_key, stored.attrs = attrs["pk"], attrs["sk"], LimitedSizeDict(attrs)
        table.items[attrs["pk"]][attrs["sk"]] = stored
    return len(items)


def measure(contacts: int, via_batch_write: bool = False) -> dict[str, Any]:
    """Reads and requests per search page (q="nov", limit=25) in a directory of ``contacts`` contacts."""
    saved = {k: os.environ.get(k) for k in [*_ENV, "AWS_ENDPOINT_URL"]}
    os.environ.update(_ENV)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    from moto import mock_aws
    from switchboard import aws
    from switchboard.domain.search import Filters
    from switchboard.services import reset_services, services

    from infra.local import resources

    try:
        with mock_aws():
            created = resources.create_all(local=True)
            for name, value in created.environment.items():
                os.environ[name] = value
                saved.setdefault(name, None)
            reset_services()
            started, started_cpu = time.perf_counter(), time.process_time()
            written = _seed(created.environment["DATA_TABLE_NAME"], _contacts(contacts), via_batch_write)
            seeded_s, seeded_cpu = time.perf_counter() - started, time.process_time() - started_cpu
            meter = ReadMeter()
            meter.attach(aws.dynamodb())
            directory = services().directory
            first, cursor = directory.search(TENANT, QUERY, Filters(), None, PAGE)
            page_one = (meter.requests, meter.read_units, meter.items_read)
            meter.reset()
            second, _ = directory.search(TENANT, QUERY, Filters(), cursor, PAGE)
            page_two = (meter.requests, meter.read_units, meter.items_read)
            reset_services()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return {"contacts": contacts, "items_seeded": written, "seed_seconds": round(seeded_s, 1),
            "seed_cpu_seconds": round(seeded_cpu, 1), "query": QUERY,
            "limit": PAGE, "reads_per_page": page_one[1], "requests_per_page": page_one[0],
            "items_read_per_page": page_one[2], "results_on_page": len(first),
            "next_page": {"reads": page_two[1], "requests": page_two[0], "results": len(second)}}


if __name__ == "__main__":
    import json
    import sys

    for size in [int(a) for a in sys.argv[1:]] or [1000, 50000]:
        print(json.dumps(measure(size)))
