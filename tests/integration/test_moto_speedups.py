"""moto as the functions see it, with infra/local/moto_speedups.py's patches applied (tests/conftest.py
applies them to every test): the answers a DynamoDB or SQS user relies on, each one something a wrong
patch would change. Queries read one partition (or an index's unsorted items), data-plane answers are
written as JSON, expressions are parsed once per text, a cancelled transaction puts back only the items
it touched, and the SQS counters are computed once per request.

Expected answers are built here, independently of moto (sorted lists, counts, the items we wrote)."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from infra.local import resources

# -- helpers -------------------------------------------------------------------------------------------------


@cache
def _dynamodb() -> Any:
    """One client for the module (moto's mock intercepts it in every test; building one costs ~50 ms)."""
    return boto3.client("dynamodb", region_name="eu-west-1")


@cache
def _sqs() -> Any:
    return boto3.client("sqs", region_name="eu-west-1")


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _keys(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(item["pk"]["S"], item["sk"]["S"]) for item in items]


def _normalized(value: Any) -> Any:
    """An attribute value with its sets in a fixed order (DynamoDB does not keep a set's order)."""
    if isinstance(value, dict):
        return {key: (sorted(item) if key in ("SS", "NS", "BS") else _normalized(item))
                for key, item in value.items()}
    if isinstance(value, list):
        return [_normalized(item) for item in value]
    return value


def _query_all(table: str, **kwargs: Any) -> tuple[list[dict[str, Any]], int]:
    """Every page of a query; returns the items and how many pages it took."""
    items: list[dict[str, Any]] = []
    pages, start = 0, None
    while True:
        page = _dynamodb().query(TableName=table, **kwargs, **({"ExclusiveStartKey": start} if start else {}))
        pages += 1
        items += page["Items"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return items, pages


def _scan_all(table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    start = None
    while True:
        page = _dynamodb().scan(TableName=table, **({"ExclusiveStartKey": start} if start else {}))
        items += page["Items"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return items


def _get(table: str, key: dict[str, Any]) -> dict[str, Any] | None:
    return _dynamodb().get_item(TableName=table, Key=key).get("Item")


def _write(table: str, items: list[dict[str, Any]]) -> None:
    for start in range(0, len(items), 25):
        _dynamodb().batch_write_item(RequestItems={table: [
            {"PutRequest": {"Item": item}} for item in items[start:start + 25]]})


@dataclass
class Aws:
    table: str  # the data table's layout: pk/sk, and gsi1 (gsi1pk/gsi1sk) projecting everything
    keyed: str  # a table without a sort key (the idempotency table's layout)


@pytest.fixture
def aws_tables(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    """A fresh moto AWS with two small tables shaped like the declared ones (infra/declaration.py)."""
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "eu-west-1"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        strings = lambda *names: [{"AttributeName": n, "AttributeType": "S"} for n in names]
        keys = lambda hash_key, range_key: [
            {"AttributeName": hash_key, "KeyType": "HASH"}, {"AttributeName": range_key, "KeyType": "RANGE"}]
        _dynamodb().create_table(
            TableName="data", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=strings("pk", "sk", "gsi1pk", "gsi1sk"), KeySchema=keys("pk", "sk"),
            GlobalSecondaryIndexes=[{"IndexName": "gsi1", "Projection": {"ProjectionType": "ALL"},
                                     "KeySchema": keys("gsi1pk", "gsi1sk")}])
        _dynamodb().create_table(TableName="keyed", BillingMode="PAY_PER_REQUEST",
                                 AttributeDefinitions=strings("id"),
                                 KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
        yield Aws(table="data", keyed="keyed")


@pytest.fixture
def data_table(aws_tables: Aws) -> str:
    return aws_tables.table


# -- table queries: one partition among several ----------------------------------------------------------

PARTITIONS = ("P#a", "P#b", "P#c", "P#b2", "P#")  # "P#b2" and "P#" share prefixes with "P#b"
SORT_KEYS = [f"S#{i:02d}" for i in range(12)]


@pytest.fixture
def partitions(data_table: str) -> str:
    """Given five partitions of twelve items each, written in a shuffled order."""
    items = [{"pk": _s(pk), "sk": _s(sk), "n": {"N": str(index)}, "parity": _s(("even", "odd")[index % 2])}
             for pk in PARTITIONS for index, sk in enumerate(SORT_KEYS)]
    random.Random(7).shuffle(items)
    _write(data_table, items)
    return data_table


def test_a_query_answers_only_its_partition_in_sort_key_order_both_ways(partitions: str) -> None:
    ascending = _dynamodb().query(TableName=partitions, KeyConditionExpression="pk = :pk",
                                  ExpressionAttributeValues={":pk": _s("P#b")})
    descending = _dynamodb().query(TableName=partitions, KeyConditionExpression="pk = :pk",
                                   ExpressionAttributeValues={":pk": _s("P#b")}, ScanIndexForward=False)

    assert _keys(ascending["Items"]) == [("P#b", sk) for sk in SORT_KEYS]
    assert _keys(descending["Items"]) == [("P#b", sk) for sk in reversed(SORT_KEYS)]
    assert ascending["Count"] == ascending["ScannedCount"] == 12
    assert [item["n"]["N"] for item in ascending["Items"]] == [str(i) for i in range(12)]


def test_key_conditions_narrow_the_partition(partitions: str) -> None:
    begins = _dynamodb().query(TableName=partitions,
                               KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
                               ExpressionAttributeValues={":pk": _s("P#c"), ":p": _s("S#0")})
    between = _dynamodb().query(TableName=partitions,
                                KeyConditionExpression="pk = :pk AND sk BETWEEN :lo AND :hi",
                                ExpressionAttributeValues={":pk": _s("P#c"), ":lo": _s("S#03"),
                                                           ":hi": _s("S#07")}, ScanIndexForward=False)
    after = _dynamodb().query(TableName=partitions, KeyConditionExpression="pk = :pk AND sk > :after",
                              ExpressionAttributeValues={":pk": _s("P#"), ":after": _s("S#09")})

    assert _keys(begins["Items"]) == [("P#c", f"S#{i:02d}") for i in range(10)]
    assert _keys(between["Items"]) == [("P#c", f"S#{i:02d}") for i in (7, 6, 5, 4, 3)]
    assert _keys(after["Items"]) == [("P#", "S#10"), ("P#", "S#11")]


def test_a_filter_keeps_the_matching_items_and_counts_what_it_read(partitions: str) -> None:
    page = _dynamodb().query(TableName=partitions, KeyConditionExpression="pk = :pk",
                             FilterExpression="parity = :parity",
                             ExpressionAttributeValues={":pk": _s("P#a"), ":parity": _s("odd")})

    assert _keys(page["Items"]) == [("P#a", f"S#{i:02d}") for i in range(1, 12, 2)]
    assert (page["Count"], page["ScannedCount"]) == (6, 12)


@pytest.mark.parametrize("forward", [True, False])
def test_paging_a_partition_visits_every_item_exactly_once(partitions: str, forward: bool) -> None:
    items, pages = _query_all(partitions, KeyConditionExpression="pk = :pk",
                              ExpressionAttributeValues={":pk": _s("P#b")}, Limit=5, ScanIndexForward=forward)

    expected = [("P#b", sk) for sk in (SORT_KEYS if forward else reversed(SORT_KEYS))]
    assert _keys(items) == expected
    assert pages == 3


def test_paging_with_a_filter_still_visits_every_match_once(partitions: str) -> None:
    items, _ = _query_all(partitions, KeyConditionExpression="pk = :pk", FilterExpression="parity = :parity",
                          ExpressionAttributeValues={":pk": _s("P#c"), ":parity": _s("even")}, Limit=4)

    assert _keys(items) == [("P#c", f"S#{i:02d}") for i in range(0, 12, 2)]


def test_select_count_counts_the_partition_without_items(partitions: str) -> None:
    counted = _dynamodb().query(TableName=partitions, KeyConditionExpression="pk = :pk",
                                ExpressionAttributeValues={":pk": _s("P#b2")}, Select="COUNT")
    narrowed = _dynamodb().query(TableName=partitions, KeyConditionExpression="pk = :pk AND sk < :hi",
                                 ExpressionAttributeValues={":pk": _s("P#b2"), ":hi": _s("S#05")},
                                 Select="COUNT")

    assert counted["Count"] == 12 and "Items" not in counted
    assert narrowed["Count"] == 5


def test_a_partition_that_does_not_exist_answers_nothing(partitions: str) -> None:
    page = _dynamodb().query(TableName=partitions, KeyConditionExpression="pk = :pk",
                             ExpressionAttributeValues={":pk": _s("P#nobody")})

    assert (page["Items"], page["Count"], page.get("LastEvaluatedKey")) == ([], 0, None)


def test_a_query_of_a_table_without_sort_key_answers_its_one_item(aws_tables: Aws) -> None:
    table = aws_tables.keyed
    for name in ("key-1", "key-2", "key-3"):
        _dynamodb().put_item(TableName=table, Item={"id": _s(name), "status": _s(f"done {name}")})

    found = _dynamodb().query(TableName=table, KeyConditionExpression="id = :id",
                              ExpressionAttributeValues={":id": _s("key-2")})
    missing = _dynamodb().query(TableName=table, KeyConditionExpression="id = :id",
                                ExpressionAttributeValues={":id": _s("key-9")})

    assert found["Items"] == [{"id": _s("key-2"), "status": _s("done key-2")}]
    assert missing["Items"] == []


# -- index queries -----------------------------------------------------------------------------------------


@pytest.fixture
def indexed(data_table: str) -> str:
    """Given items of several index partitions (some sharing an index sort key), and items without one."""
    items = []
    for index in range(15):
        # two items per index sort key value: the index does not make its keys unique
        items.append({"pk": _s(f"T#x#S#{index:02d}"), "sk": _s("SESSION"), "gsi1pk": _s("T#x#SESSIONS"),
                      "gsi1sk": _s(f"2026-01-{index // 2 + 1:02d}"), "n": {"N": str(index)}})
        items.append({"pk": _s(f"T#y#S#{index:02d}"), "sk": _s("SESSION"), "gsi1pk": _s("T#y#SESSIONS"),
                      "gsi1sk": _s(f"2026-02-{index:02d}")})
    items.append({"pk": _s("T#x#S#nokey"), "sk": _s("SESSION")})  # no index keys at all
    # an index partition key without the index sort key: not in the index either
    items.append({"pk": _s("T#x#S#half"), "sk": _s("SESSION"), "gsi1pk": _s("T#x#SESSIONS")})
    random.Random(11).shuffle(items)
    _write(data_table, items)
    return data_table


def _index_query(table: str, **kwargs: Any) -> tuple[list[dict[str, Any]], int]:
    values = {":g": _s("T#x#SESSIONS"), **kwargs.pop("values", {})}
    kwargs.setdefault("KeyConditionExpression", "gsi1pk = :g")
    return _query_all(table, IndexName="gsi1", ExpressionAttributeValues=values, **kwargs)


@pytest.mark.parametrize("forward", [True, False])
def test_an_index_query_answers_its_matches_sorted_by_the_index_sort_key(indexed: str, forward: bool) -> None:
    items, _ = _index_query(indexed, ScanIndexForward=forward)

    expected = {f"T#x#S#{index:02d}" for index in range(15)}
    assert {item["pk"]["S"] for item in items} == expected and len(items) == 15
    sort_keys = [item["gsi1sk"]["S"] for item in items]
    assert sort_keys == sorted(sort_keys, reverse=not forward)
    assert {item["gsi1pk"]["S"] for item in items} == {"T#x#SESSIONS"}


@pytest.mark.parametrize("forward", [True, False])
def test_paging_an_index_visits_every_match_exactly_once(indexed: str, forward: bool) -> None:
    whole, _ = _index_query(indexed, ScanIndexForward=forward)
    paged, pages = _index_query(indexed, ScanIndexForward=forward, Limit=4)

    assert _keys(paged) == _keys(whole)
    assert len(set(_keys(paged))) == 15 and pages == 4


def test_an_index_key_condition_on_the_sort_key(indexed: str) -> None:
    items, _ = _index_query(indexed, KeyConditionExpression="gsi1pk = :g AND gsi1sk BETWEEN :lo AND :hi",
                            values={":lo": _s("2026-01-02"), ":hi": _s("2026-01-03")})

    assert sorted(item["pk"]["S"] for item in items) == [f"T#x#S#{index:02d}" for index in (2, 3, 4, 5)]


def test_items_without_the_index_keys_are_not_in_the_index(indexed: str) -> None:
    items, _ = _index_query(indexed)
    counted = _dynamodb().query(TableName=indexed, IndexName="gsi1", KeyConditionExpression="gsi1pk = :g",
                                ExpressionAttributeValues={":g": _s("T#x#SESSIONS")}, Select="COUNT")

    assert "T#x#S#nokey" not in {item["pk"]["S"] for item in items}
    assert "T#x#S#half" not in {item["pk"]["S"] for item in items}
    assert counted["Count"] == 15


# -- every attribute type, through every data-plane answer -------------------------------------------------

EVERY_TYPE: dict[str, Any] = {
    "text": _s("plain"),
    "unicode": _s("Olá — 日本語 🎉 \u0000 end"),
    "empty_text": _s(""),
    "whole": {"N": "42"},
    "negative": {"N": "-7"},
    "fraction": {"N": "3.14159265358979323846"},
    "big": {"N": "123456789012345678901234567890"},
    "bytes": {"B": b"\xff\x00\xfe\x80 not utf-8"},
    "empty_bytes": {"B": b""},
    "texts": {"SS": ["b", "a", "ç"]},
    "numbers": {"NS": ["1", "2.5", "-3"]},
    "byte_set": {"BS": [b"\x00", b"\xff\xfe"]},
    "nested": {"M": {"inner": {"M": {"deep": _s("x"), "raw": {"B": b"\x80"}, "none": {"NULL": True}}},
                     "list": {"L": [{"N": "1"}, _s("two"), {"BOOL": False}]}}},
    "listed": {"L": [{"M": {"a": _s("b")}}, {"L": []}, {"NS": ["9"]}]},
    "empty_map": {"M": {}},
    "empty_list": {"L": []},
    "nothing": {"NULL": True},
    "yes": {"BOOL": True},
    "no": {"BOOL": False},
}


def test_every_attribute_type_comes_back_as_written(data_table: str) -> None:
    key = {"pk": _s("T#types"), "sk": _s("ITEM")}
    item = {**key, **EVERY_TYPE}
    client = _dynamodb()
    client.put_item(TableName=data_table, Item=item)
    expected = _normalized(item)

    got = client.get_item(TableName=data_table, Key=key)["Item"]
    batch = client.batch_get_item(RequestItems={data_table: {"Keys": [key]}})["Responses"][data_table]
    queried = client.query(TableName=data_table, KeyConditionExpression="pk = :pk",
                           ExpressionAttributeValues={":pk": key["pk"]})["Items"]
    transacted = client.transact_get_items(TransactItems=[{"Get": {"TableName": data_table, "Key": key}}])
    updated = client.update_item(TableName=data_table, Key=key, UpdateExpression="SET copied = :all",
                                 ExpressionAttributeValues={":all": {"M": EVERY_TYPE}},
                                 ReturnValues="ALL_NEW")["Attributes"]

    assert _normalized(got) == expected
    assert _normalized(batch) == [expected]
    assert _normalized(queried) == [expected]
    assert _normalized(transacted["Responses"]) == [{"Item": expected}]
    assert _normalized(updated) == {**expected, "copied": _normalized({"M": EVERY_TYPE})}
    assert _normalized(client.get_item(TableName=data_table, Key=key)["Item"]) == _normalized(updated)


def test_the_old_item_comes_back_from_a_put_and_a_delete(data_table: str) -> None:
    key = {"pk": _s("T#types"), "sk": _s("OLD")}
    client = _dynamodb()
    client.put_item(TableName=data_table, Item={**key, "raw": {"B": b"\xfe"}, "v": {"N": "1"}})

    replaced = client.put_item(TableName=data_table, Item={**key, "v": {"N": "2"}}, ReturnValues="ALL_OLD")
    deleted = client.delete_item(TableName=data_table, Key=key, ReturnValues="ALL_OLD")
    deleted_again = client.delete_item(TableName=data_table, Key=key, ReturnValues="ALL_OLD")

    assert replaced["Attributes"] == {**key, "raw": {"B": b"\xfe"}, "v": {"N": "1"}}
    assert deleted["Attributes"] == {**key, "v": {"N": "2"}}
    assert "Attributes" not in deleted_again


def test_missing_items_are_absent_from_the_answers(data_table: str) -> None:
    client = _dynamodb()
    present = {"pk": _s("T#types"), "sk": _s("HERE")}
    client.put_item(TableName=data_table, Item=present)
    missing = {"pk": _s("T#types"), "sk": _s("NOT-HERE")}

    got = client.get_item(TableName=data_table, Key=missing)
    batch = client.batch_get_item(RequestItems={data_table: {"Keys": [missing, present]}})
    transacted = client.transact_get_items(TransactItems=[
        {"Get": {"TableName": data_table, "Key": missing}},
        {"Get": {"TableName": data_table, "Key": present}}])

    assert "Item" not in got
    assert batch["Responses"][data_table] == [present]
    assert not batch.get("UnprocessedKeys")
    assert transacted["Responses"] == [{}, {"Item": present}]


def test_a_scan_reads_every_item_once_across_pages(partitions: str) -> None:
    items, start, pages = [], None, 0
    while True:
        page = _dynamodb().scan(TableName=partitions, Limit=7,
                                **({"ExclusiveStartKey": start} if start else {}))
        items += page["Items"]
        pages += 1
        start = page.get("LastEvaluatedKey")
        if not start:
            break

    assert sorted(_keys(items)) == sorted((pk, sk) for pk in PARTITIONS for sk in SORT_KEYS)
    assert pages >= 9


# -- expressions parsed once per text ---------------------------------------------------------------------

UPDATE = "SET #label = :label, amount = if_not_exists(amount, :zero) + :amount ADD seen :one"


def test_one_update_text_with_different_values_writes_each_call_its_own(data_table: str) -> None:
    client = _dynamodb()
    answers = {}
    for round_ in range(2):
        for index in range(4):
            key = {"pk": _s(f"T#expr#{index}"), "sk": _s("ITEM")}
            answers[index] = client.update_item(
                TableName=data_table, Key=key, UpdateExpression=UPDATE, ReturnValues="ALL_NEW",
                ExpressionAttributeNames={"#label": f"label_{index % 2}"},
                ExpressionAttributeValues={":label": _s(f"item {index} round {round_}"), ":zero": {"N": "0"},
                                           ":amount": {"N": str(10 * index + round_)}, ":one": {"N": "1"}})

    for index in range(4):
        item = _dynamodb().get_item(TableName=data_table,
                                    Key={"pk": _s(f"T#expr#{index}"), "sk": _s("ITEM")})["Item"]
        assert item == answers[index]["Attributes"]
        assert item[f"label_{index % 2}"] == _s(f"item {index} round 1")
        assert f"label_{1 - index % 2}" not in item
        assert item["amount"] == {"N": str(10 * index + 10 * index + 1)}
        assert item["seen"] == {"N": "2"}


def test_one_condition_text_passes_for_one_item_and_fails_for_another(data_table: str) -> None:
    client = _dynamodb()
    open_key = {"pk": _s("T#cond#open"), "sk": _s("S")}
    closed_key = {"pk": _s("T#cond#closed"), "sk": _s("S")}
    client.put_item(TableName=data_table, Item={**open_key, "state": _s("open")})
    client.put_item(TableName=data_table, Item={**closed_key, "state": _s("closed")})
    condition = "#state = :expected AND attribute_exists(pk)"

    def close(key: dict[str, Any], expected: str) -> None:
        client.update_item(TableName=data_table, Key=key, UpdateExpression="SET #state = :next",
                           ConditionExpression=condition, ExpressionAttributeNames={"#state": "state"},
                           ExpressionAttributeValues={":expected": _s(expected),
                                                      ":next": _s(f"was {expected}")})

    close(open_key, "open")
    with pytest.raises(ClientError) as refused:
        close(closed_key, "open")
    close(closed_key, "closed")
    with pytest.raises(ClientError) as refused_again:
        close(open_key, "open")  # it is "was open" now

    assert refused.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert refused_again.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert client.get_item(TableName=data_table, Key=open_key)["Item"]["state"] == _s("was open")
    assert client.get_item(TableName=data_table, Key=closed_key)["Item"]["state"] == _s("was closed")


def test_a_put_condition_refuses_the_second_writer(data_table: str) -> None:
    client = _dynamodb()
    item = {"pk": _s("T#cond#unique"), "sk": _s("ID"), "owner": _s("first")}

    client.put_item(TableName=data_table, Item=item, ConditionExpression="attribute_not_exists(pk)")
    with pytest.raises(ClientError) as refused:
        client.put_item(TableName=data_table, Item={**item, "owner": _s("second")},
                        ConditionExpression="attribute_not_exists(pk)")
    client.put_item(TableName=data_table, Item={**item, "sk": _s("ID2")},
                    ConditionExpression="attribute_not_exists(pk)")

    assert refused.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert _get(data_table, {"pk": item["pk"], "sk": item["sk"]})["owner"] == _s("first")


@pytest.mark.parametrize("expression", ["SET = :v", "SET a = :v REMOVE", "SET a = :v,"])
def test_an_invalid_update_expression_is_refused_every_time(data_table: str, expression: str) -> None:
    key = {"pk": _s("T#expr#bad"), "sk": _s("ITEM")}
    codes = []
    for _ in range(2):
        with pytest.raises(ClientError) as refused:
            _dynamodb().update_item(TableName=data_table, Key=key, UpdateExpression=expression,
                                    ExpressionAttributeValues={":v": _s("x")})
        codes.append(refused.value.response["Error"]["Code"])

    assert codes == ["ValidationException", "ValidationException"]
    assert "Item" not in _dynamodb().get_item(TableName=data_table, Key=key)


@pytest.mark.parametrize("condition", ["pk = :v AND", "(pk = :v", "pk = :v $"])
def test_an_invalid_condition_expression_is_refused_every_time(data_table: str, condition: str) -> None:
    # moto 5.2.5 lets the parser's own error out (AWS answers ValidationException): what matters here is
    # that the second attempt, which finds the text lexed already (or not: "$" does not lex), fails alike
    key = {"pk": _s("T#expr#badcond"), "sk": _s("ITEM")}
    errors = []
    for _ in range(2):
        with pytest.raises(Exception) as refused:  # whichever error: the same one twice
            _dynamodb().put_item(TableName=data_table, Item=key, ConditionExpression=condition,
                                 ExpressionAttributeValues={":v": _s("x")})
        errors.append((type(refused.value), str(refused.value)))

    assert errors[0] == errors[1]
    assert "Item" not in _dynamodb().get_item(TableName=data_table, Key=key)
    _dynamodb().put_item(TableName=data_table, Item=key, ConditionExpression="attribute_not_exists(pk)")
    assert _get(data_table, key) == key


# -- TransactWriteItems: all or nothing -------------------------------------------------------------------


@pytest.fixture
def ledger(aws_tables: Aws, data_table: str) -> dict[str, Any]:
    """Given a few items to change in one transaction, beside items no transaction touches."""
    client = _dynamodb()
    rows = {
        "kept": {"pk": _s("T#tx#A"), "sk": _s("KEPT"), "state": _s("open"), "raw": {"B": b"\x01"}},
        "doomed": {"pk": _s("T#tx#A"), "sk": _s("DOOMED"), "note": _s("delete me")},
        "counter": {"pk": _s("T#tx#B"), "sk": _s("COUNTER"), "count": {"N": "5"}, "tags": {"SS": ["x"]}},
        "replaced": {"pk": _s("T#tx#B"), "sk": _s("REPLACED"), "version": {"N": "1"}},
    }
    for row in rows.values():
        client.put_item(TableName=data_table, Item=row)
    _write(data_table, [{"pk": _s("T#tx#A"), "sk": _s(f"OTHER#{i}")} for i in range(5)])
    return {"table": data_table, "idempotency": aws_tables.keyed, "rows": rows}


def _transaction(ledger: dict[str, Any], kept_must_be: str) -> list[dict[str, Any]]:
    table, rows = ledger["table"], ledger["rows"]

    def key(name: str) -> dict[str, Any]:
        return {"pk": rows[name]["pk"], "sk": rows[name]["sk"]}

    return [
        {"Put": {"TableName": table, "Item": {"pk": _s("T#tx#NEW"), "sk": _s("CREATED"), "v": {"N": "1"}},
                 "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Delete": {"TableName": table, "Key": key("doomed")}},
        {"ConditionCheck": {"TableName": table, "Key": key("kept"), "ConditionExpression": "#s = :s",
                            "ExpressionAttributeNames": {"#s": "state"},
                            "ExpressionAttributeValues": {":s": _s(kept_must_be)}}},
        {"Update": {"TableName": table, "Key": key("counter"),
                    "UpdateExpression": "SET #c = #c + :one ADD tags :t",
                    "ExpressionAttributeNames": {"#c": "count"},
                    "ExpressionAttributeValues": {":one": {"N": "1"}, ":t": {"SS": ["y"]}}}},
        {"Put": {"TableName": table, "Item": {**key("replaced"), "version": {"N": "2"}}}},
        {"Put": {"TableName": ledger["idempotency"], "Item": {"id": _s("tx-key"), "status": _s("done")}}},
    ]


def _everything(ledger: dict[str, Any]) -> list[Any]:
    return sorted((_normalized(item) for table in (ledger["table"], ledger["idempotency"])
                   for item in _scan_all(table)), key=repr)


def test_a_cancelled_transaction_leaves_every_item_as_it_was(ledger: dict[str, Any]) -> None:
    before = _everything(ledger)

    with pytest.raises(ClientError) as cancelled:
        _dynamodb().transact_write_items(TransactItems=_transaction(ledger, kept_must_be="closed"))

    error = cancelled.value.response
    assert error["Error"]["Code"] == "TransactionCanceledException"
    assert [reason["Code"] for reason in error["CancellationReasons"]] == [
        "None", "None", "ConditionalCheckFailed", "None", "None", "None"]
    assert _everything(ledger) == before
    created = _dynamodb().query(TableName=ledger["table"], KeyConditionExpression="pk = :pk",
                                ExpressionAttributeValues={":pk": _s("T#tx#NEW")})
    assert created["Items"] == []
    assert "Item" not in _dynamodb().get_item(TableName=ledger["idempotency"], Key={"id": _s("tx-key")})
    rows = ledger["rows"]
    assert _get(ledger["table"], {"pk": rows["doomed"]["pk"], "sk": rows["doomed"]["sk"]}) == rows["doomed"]


def test_a_cancelled_transaction_can_be_retried_and_then_applies_all(ledger: dict[str, Any]) -> None:
    with pytest.raises(ClientError):
        _dynamodb().transact_write_items(TransactItems=_transaction(ledger, kept_must_be="closed"))

    _dynamodb().transact_write_items(TransactItems=_transaction(ledger, kept_must_be="open"))

    table, rows = ledger["table"], ledger["rows"]
    get = lambda name: _dynamodb().get_item(
        TableName=table, Key={"pk": rows[name]["pk"], "sk": rows[name]["sk"]}).get("Item")
    assert get("doomed") is None
    assert get("kept") == rows["kept"]
    assert get("counter")["count"] == {"N": "6"} and sorted(get("counter")["tags"]["SS"]) == ["x", "y"]
    assert get("replaced")["version"] == {"N": "2"}
    assert _get(table, {"pk": _s("T#tx#NEW"), "sk": _s("CREATED")})["v"] == {"N": "1"}
    assert _get(ledger["idempotency"], {"id": _s("tx-key")})["status"] == _s("done")
    others = _dynamodb().query(TableName=table, KeyConditionExpression="pk = :pk AND begins_with(sk, :o)",
                               ExpressionAttributeValues={":pk": _s("T#tx#A"), ":o": _s("OTHER#")})
    assert len(others["Items"]) == 5


def test_a_transaction_naming_one_item_twice_is_refused_and_changes_nothing(ledger: dict[str, Any]) -> None:
    before = _everything(ledger)
    table, counter = ledger["table"], ledger["rows"]["counter"]
    key = {"pk": counter["pk"], "sk": counter["sk"]}

    with pytest.raises(ClientError) as refused:
        _dynamodb().transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": _s("T#tx#NEW"), "sk": _s("TWICE")}}},
            {"Update": {"TableName": table, "Key": key, "UpdateExpression": "SET #c = :v",
                        "ExpressionAttributeNames": {"#c": "count"},
                        "ExpressionAttributeValues": {":v": {"N": "0"}}}},
            {"Delete": {"TableName": table, "Key": key}},
        ])

    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert _everything(ledger) == before


# -- SQS --------------------------------------------------------------------------------------------------

COUNTERS = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed"]


def _counts(url: str) -> tuple[int, int, int]:
    attributes = _sqs().get_queue_attributes(QueueUrl=url, AttributeNames=COUNTERS)["Attributes"]
    return tuple(int(attributes[name]) for name in COUNTERS)  # type: ignore[return-value]


def test_queue_counters_follow_sends_receives_deletes_and_delays(aws: resources.Created) -> None:
    sqs = _sqs()
    url = sqs.create_queue(QueueName="counted", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    assert _counts(url) == (0, 0, 0)

    for index in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"now {index}")
    assert _counts(url) == (3, 0, 0)

    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"batch {i}"}
                                                  for i in range(2)])
    assert _counts(url) == (5, 0, 0)

    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=30)
    assert _counts(url) == (5, 0, 1)

    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)["Messages"]
    assert len(received) == 2 and "later" not in {m["Body"] for m in received}
    assert _counts(url) == (3, 2, 1)

    sqs.delete_message(QueueUrl=url, ReceiptHandle=received[0]["ReceiptHandle"])
    assert _counts(url) == (3, 1, 1)

    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=received[1]["ReceiptHandle"],
                                  VisibilityTimeout=0)
    time.sleep(0.01)
    assert _counts(url) == (4, 0, 1)

    everything = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert len(everything) == 4
    assert _counts(url) == (0, 4, 1)
    sqs.delete_message_batch(QueueUrl=url, Entries=[
        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(everything)])
    assert _counts(url) == (0, 0, 1)


def test_a_fifo_queue_drops_a_duplicate_within_the_window(aws: resources.Created) -> None:
    sqs = _sqs()
    url = aws.queue_urls["inbound"]

    sqs.send_message(QueueUrl=url, MessageBody="hello", MessageGroupId="customer-1",
                     MessageDeduplicationId="event-1")
    sqs.send_message(QueueUrl=url, MessageBody="hello", MessageGroupId="customer-1",
                             MessageDeduplicationId="event-1")
    sqs.send_message(QueueUrl=url, MessageBody="next", MessageGroupId="customer-1",
                     MessageDeduplicationId="event-2")
    assert _counts(url)[0] == 2

    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    assert [m["Body"] for m in received] == ["hello", "next"]
    assert _counts(url)[:2] == (0, 2)


def test_a_deduplication_id_is_checked_against_the_messages_in_the_queue(aws: resources.Created) -> None:
    """moto's rule, kept: an id is a duplicate while a message with it is in the queue (new ids go in
    without a scan of the queue; an id seen before gets moto's own check)."""
    sqs = _sqs()
    url = aws.queue_urls["inbound"]
    for n in range(50):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{n}", MessageGroupId=f"g{n}", MessageDeduplicationId=f"e{n}")
    sqs.send_message(QueueUrl=url, MessageBody="again", MessageGroupId="g7", MessageDeduplicationId="e7")
    assert _counts(url)[0] == 50
    everything = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        everything += batch
    assert sorted(m["Body"] for m in everything) == sorted(f"m{n}" for n in range(50))
    for message in everything:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    sqs.send_message(QueueUrl=url, MessageBody="after", MessageGroupId="g7", MessageDeduplicationId="e7")
    assert _counts(url)[0] == 1  # moto forgets an id once its message is gone


def test_a_message_is_deleted_by_any_of_its_receipt_handles_once(aws: resources.Created) -> None:
    sqs = _sqs()
    url = aws.queue_urls["outbound"]
    for n in range(30):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{n}")
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]
    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    by_body = {m["Body"]: m["ReceiptHandle"] for m in first}
    old_handle = next(by_body[m["Body"]] for m in again if m["Body"] in by_body)  # received twice
    sqs.delete_message(QueueUrl=url, ReceiptHandle=old_handle)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=old_handle)  # deleting twice is not an error
    for message in again:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    visible, in_flight, _ = _counts(url)
    assert (visible + in_flight) == 30 - len({m["Body"] for m in again})
    with pytest.raises(ClientError) as refused:
        sqs.delete_message(QueueUrl=url, ReceiptHandle="not-a-handle")
    assert refused.value.response["Error"]["Code"] == "ReceiptHandleIsInvalid"


def test_an_unanswered_message_comes_back_then_goes_to_the_dead_letter_queue(aws: resources.Created) -> None:
    sqs, url, dlq = _sqs(), aws.queue_urls["outbound"], aws.dlq_urls["outbound"]
    max_receives = int(json.loads(sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["RedrivePolicy"])["Attributes"]["RedrivePolicy"])["maxReceiveCount"])
    sqs.send_message(QueueUrl=url, MessageBody="retry me")

    first = sqs.receive_message(QueueUrl=url, VisibilityTimeout=1, AttributeNames=["All"])["Messages"]
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []
    assert _counts(url) == (0, 1, 0)
    time.sleep(1.1)
    assert _counts(url) == (1, 0, 0)
    second = sqs.receive_message(QueueUrl=url, VisibilityTimeout=1, AttributeNames=["All"])["Messages"]
    assert [m["MessageId"] for m in second] == [first[0]["MessageId"]]
    assert second[0]["Attributes"]["ApproximateReceiveCount"] == "2"

    receives = 2
    while receives < max_receives:  # the worker's "retry now": visible again at once
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=second[0]["ReceiptHandle"],
                                      VisibilityTimeout=0)
        time.sleep(0.01)
        second = sqs.receive_message(QueueUrl=url, VisibilityTimeout=30, AttributeNames=["All"])["Messages"]
        receives += 1
        assert second[0]["Attributes"]["ApproximateReceiveCount"] == str(receives)
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=second[0]["ReceiptHandle"], VisibilityTimeout=0)
    time.sleep(0.01)

    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []
    assert _counts(url) == (0, 0, 0)
    assert _counts(dlq)[0] == 1
    dead = sqs.receive_message(QueueUrl=dlq)["Messages"]
    assert [(m["MessageId"], m["Body"]) for m in dead] == [(first[0]["MessageId"], "retry me")]


def test_a_message_past_the_retention_period_is_not_delivered(aws: resources.Created) -> None:
    from moto.sqs.models import sqs_backends

    sqs = _sqs()
    url = sqs.create_queue(QueueName="short-lived", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="fresh")
    sqs.send_message(QueueUrl=url, MessageBody="stale")
    queue = sqs_backends["123456789012"]["eu-west-1"].get_queue("short-lived")
    stale = next(message for message in queue._messages if message.body == "stale")
    stale.sent_timestamp -= 61_000  # sent 61 s before it was: older than the queue keeps messages

    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])

    assert [message["Body"] for message in received] == ["fresh"]
