"""The benchmark's DynamoDB meter: request counts by botocore hooks and request units by DynamoDB's rules."""

from __future__ import annotations

import boto3
import pytest

from bench.meter import Meter, index_write_units, item_size, read_units, value_size, write_units


def test_item_size_counts_names_and_values_as_dynamodb_does() -> None:
    # "pk" (2) + "abc" (3); "n" (1) + 12345 -> 5 digits -> 3 + 1 = 4; "ok" (2) + bool (1)
    assert item_size({"pk": {"S": "abc"}, "n": {"N": "12345"}, "ok": {"BOOL": True}}) == 5 + 5 + 3
    # a list: 3 bytes + 1 per element + the elements; a map also counts its keys
    assert value_size({"L": [{"S": "ab"}, {"S": "c"}]}) == 3 + (1 + 2) + (1 + 1)
    assert value_size({"M": {"k": {"S": "vv"}}}) == 3 + 1 + 1 + 2
    assert value_size({"S": "é"}) == 2  # UTF-8 bytes, not characters
    assert item_size(None) == 0


def test_read_and_write_units_round_up_per_block() -> None:
    assert read_units(1, consistent=False) == 0.5
    assert read_units(4096, consistent=True) == 1
    assert read_units(4097, consistent=True) == 2
    assert read_units(100, consistent=True, transactional=True) == 2
    assert write_units(1024) == 1
    assert write_units(1025) == 2
    assert write_units(10, transactional=True) == 2


def test_an_index_costs_one_write_or_two_when_its_key_moves() -> None:
    item = {"pk": {"S": "a"}, "gsi1pk": {"S": "x"}, "gsi1sk": {"S": "y"}}
    assert index_write_units(item, ("gsi1", "gsi2"), touched="") == 1
    assert index_write_units(item, ("gsi1", "gsi2"), touched="SET gsi1sk = :v") == 2
    assert index_write_units({"pk": {"S": "a"}}, ("gsi1",), touched="") == 0


@pytest.mark.usefixtures("aws")
def test_the_meter_counts_each_round_trip_and_prices_it() -> None:
    client = boto3.client("dynamodb")
    table = "switchboard-data"
    meter = Meter(inspect=boto3.client("dynamodb"), indexes={table: ("gsi1", "gsi2")})
    meter.attach(client)
    item = {"pk": {"S": "P#1"}, "sk": {"S": "S"}, "text": {"S": "x" * 2000}}

    client.put_item(TableName=table, Item=item)
    client.get_item(TableName=table, Key={"pk": {"S": "P#1"}, "sk": {"S": "S"}}, ConsistentRead=True)
    client.batch_get_item(RequestItems={table: {"Keys": [{"pk": {"S": "P#1"}, "sk": {"S": "S"}},
                                                         {"pk": {"S": "missing"}, "sk": {"S": "S"}}]}})
    client.transact_write_items(TransactItems=[{"Update": {
        "TableName": table, "Key": {"pk": {"S": "P#1"}, "sk": {"S": "S"}},
        "UpdateExpression": "SET gsi1pk = :p, gsi1sk = :s",
        "ExpressionAttributeValues": {":p": {"S": "I"}, ":s": {"S": "1"}}}}])
    meter.active = False
    client.get_item(TableName=table, Key={"pk": {"S": "P#1"}, "sk": {"S": "S"}})  # not counted

    assert meter.count("dynamodb") == 4
    assert meter.operations("dynamodb") == {"PutItem": 1, "GetItem": 1, "BatchGetItem": 1, "TransactWriteItems": 1}
    size = item_size(item)
    assert meter.calls[0].write_units == 2  # 2,000-odd bytes: two 1 KB blocks
    assert meter.calls[1].read_units == 1  # strongly consistent, under 4 KB
    assert meter.calls[2].read_units == 0.5 + 0.5  # found and missing keys, eventually consistent
    # the updated item enters gsi1: 2 blocks, doubled by the transaction, + one index write (a put) of 2
    # blocks, which the transaction does not double
    updated = size + len("gsi1pk") + 1 + len("gsi1sk") + 1
    assert updated < 3072
    assert meter.calls[3].write_units == 2 * 2 + 2
    assert all(call.seconds > 0 for call in meter.calls)


@pytest.mark.usefixtures("aws")
def test_two_meters_on_one_client_each_count_while_active() -> None:
    client = boto3.client("dynamodb")
    first, second = Meter(capacity_units=False), Meter(capacity_units=False, active=False)
    first.attach(client)
    second.attach(client)
    key = {"pk": {"S": "k"}, "sk": {"S": "s"}}

    client.get_item(TableName="switchboard-data", Key=key)
    second.active = True
    client.get_item(TableName="switchboard-data", Key=key)
    first.active = False
    client.get_item(TableName="switchboard-data", Key=key)

    assert (first.count(), second.count()) == (2, 2)


def test_an_item_in_an_index_whose_key_moves_costs_a_delete_and_a_put_there() -> None:
    before = {"pk": {"S": "a"}, "gsi1pk": {"S": "x"}, "gsi1sk": {"S": "1"}}
    after = {**before, "gsi1sk": {"S": "2"}}

    assert index_write_units(after, ("gsi1",), touched="SET gsi1sk = :v", before=before) == 2
    assert index_write_units({"pk": {"S": "a"}}, ("gsi1",), touched="REMOVE gsi1pk", before=before) == 1


@pytest.mark.usefixtures("aws")
def test_an_update_that_shrinks_an_item_is_billed_for_the_item_before_it() -> None:
    client = boto3.client("dynamodb")
    table = "switchboard-data"
    meter = Meter(inspect=boto3.client("dynamodb"), indexes={table: ("gsi1", "gsi2")}, active=False)
    meter.attach(client)
    key = {"pk": {"S": "P#2"}, "sk": {"S": "S"}}
    client.put_item(TableName=table, Item={**key, "text": {"S": "x" * 3000}})
    meter.active = True

    client.update_item(TableName=table, Key=key, UpdateExpression="REMOVE #t", ExpressionAttributeNames={"#t": "text"})
    meter.active = False
    client.put_item(TableName=table, Item={**key, "text": {"S": "x" * 3000}})
    meter.active = True
    client.put_item(TableName=table, Item={**key, "text": {"S": "short"}})

    assert meter.calls[0].write_units == 3  # the 3 KB item it was, not the 20 bytes it became
    assert meter.calls[1].write_units == 3  # a put that replaces an item: the larger of the two


def test_a_keys_only_index_is_not_written_when_its_keys_stay() -> None:
    before = {"pk": {"S": "a"}, "gsi3pk": {"S": "x"}, "gsi3sk": {"S": "1"}, "text": {"S": "old"}}
    after = {**before, "text": {"S": "new"}}

    assert index_write_units(after, ("gsi3",), touched="SET #t = :t", before=before, keys_only={"gsi3"}) == 0


def test_an_index_projecting_everything_is_written_when_any_attribute_changes() -> None:
    before = {"pk": {"S": "a"}, "gsi2pk": {"S": "x"}, "gsi2sk": {"S": "1"}, "text": {"S": "old"}}
    after = {**before, "text": {"S": "new"}}

    assert index_write_units(after, ("gsi2",), touched="SET #t = :t", before=before) == 1


def test_a_write_that_changes_nothing_an_index_stores_costs_it_nothing() -> None:
    item = {"pk": {"S": "a"}, "gsi2pk": {"S": "x"}, "gsi2sk": {"S": "1"}, "text": {"S": "same"}}

    assert index_write_units(dict(item), ("gsi2",), touched="SET #t = :t", before=item) == 0


@pytest.mark.usefixtures("aws")
def test_a_condition_check_is_billed_on_the_item_it_reads() -> None:
    client = boto3.client("dynamodb")
    table = "switchboard-data"
    meter = Meter(inspect=boto3.client("dynamodb"), indexes={table: ("gsi1", "gsi2")}, active=False)
    meter.attach(client)
    key = {"pk": {"S": "P#3"}, "sk": {"S": "S"}}
    client.put_item(TableName=table, Item={**key, "text": {"S": "x" * 1500}})
    meter.active = True

    client.transact_write_items(TransactItems=[{"ConditionCheck": {
        "TableName": table, "Key": key, "ConditionExpression": "attribute_exists(pk)"}}])

    assert meter.calls[0].write_units == 2 * 2  # a 1.5 KB item: two blocks, doubled by the transaction
