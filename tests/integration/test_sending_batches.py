"""The send worker takes a batch of queue records together: one transaction claims them, one records the
sends. When either is refused (a message already claimed by another worker, a status that overtook its
send), the batch falls back to each message on its own, and every message still ends right."""

from __future__ import annotations

import json
from typing import Any

import pytest

from switchboard import clock
from switchboard.outbound import worker
from switchboard.storage.outbound import OutboundStore
from switchboard.services import services
from switchboard.storage.dynamo import Table
from tests.support.outbound import stored_messages


def _records(bodies: list[str]) -> list[dict[str, Any]]:
    """The SQS records Lambda would hand message_send for these bodies."""
    return [{"messageId": f"rec-{i}", "receiptHandle": f"handle-{i}", "body": body,
             "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {}, "md5OfBody": "",
             "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:eu-west-1:000000000000:outbound",
             "awsRegion": "eu-west-1"} for i, body in enumerate(bodies)]


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The data table's writes, in order: "tx" for a transaction, "update" for an UpdateItem."""
    seen: list[str] = []
    commit, update = Table.commit, Table.update
    monkeypatch.setattr(Table, "commit", lambda self, tx: (seen.append("tx"), commit(self, tx))[1])
    monkeypatch.setattr(Table, "update", lambda self, *a, **k: (seen.append("update"), update(self, *a, **k))[1])
    return seen


def _statuses(messages: list[dict]) -> list[str]:
    return [services().table.get({"pk": m["pk"], "sk": m["sk"]})["status"] for m in messages]


def test_a_batch_is_claimed_in_one_transaction_and_recorded_in_another(aws, graph, writes, monkeypatch) -> None:
    messages, bodies = stored_messages(10)
    # Within one second of the send slots (a loaded machine can stretch a batch over two, which takes a
    # slot in each: that rule is tested in tests/unit/test_send_slots.py), frozen early in its second
    start = clock.now().replace(microsecond=100_000)
    monkeypatch.setattr(clock, "now", lambda: start)
    attempts = worker.send_batch(_records(bodies), services())
    assert set(attempts.outcomes.values()) == {None}
    assert _statuses(messages) == ["sent"] * 10
    assert len(graph.sent) == 10 and max(graph.sends_per_message().values()) == 1
    # one claim transaction, one send-slot counter update, one record transaction (the events are numbered
    # by the fan-out, docs/realtime.md): no write per message
    assert writes == ["tx", "update", "tx"]


def test_a_message_claimed_by_another_worker_waits_and_the_rest_go_out(aws, graph) -> None:
    messages, bodies = stored_messages(10)
    # Given another worker already holds the claim on the fourth message
    assert OutboundStore(services().table).claim(messages[3], "someone-else", int(clock.now().timestamp()), 300)
    attempts = worker.send_batch(_records(bodies), services())
    # Then the claim transaction was refused, each message was claimed on its own, and the fourth waits
    assert isinstance(attempts.outcomes["rec-3"], worker.RetryLater)
    assert [o for r, o in attempts.outcomes.items() if r != "rec-3"] == [None] * 9
    assert _statuses(messages) == ["sent"] * 3 + ["queued"] + ["sent"] * 6
    assert len(graph.sent) == 9


def test_a_status_that_overtook_one_send_is_applied_when_the_batch_is_recorded(aws, graph, monkeypatch) -> None:
    messages, bodies = stored_messages(5)
    real_deliver = worker.SendWorker._deliver

    def overtaken(self: worker.SendWorker, channel, message):  # noqa: ANN001, ANN202
        wamid = real_deliver(self, channel, message)
        if message["message_id"] == messages[2]["message_id"]:  # Meta's "delivered" comes before our record
            assert services().statuses.park("demo", wamid, "delivered", {
                "id": wamid, "status": "delivered", "timestamp": str(int(clock.now().timestamp()) + 1),
                "recipient_id": json.loads(message["graph_payload"])["to"].lstrip("+")})
        return wamid

    monkeypatch.setattr(worker.SendWorker, "_deliver", overtaken)
    attempts = worker.send_batch(_records(bodies), services())
    assert set(attempts.outcomes.values()) == {None}
    assert _statuses(messages) == ["sent", "sent", "delivered", "sent", "sent"]
    early = services().table.get({"pk": messages[2]["pk"], "sk": messages[2]["sk"]})
    assert set(early["statuses"]) == {"queued", "sent", "delivered"}
    assert services().statuses.parked("demo", early["provider_message_id"]) == []


def test_the_same_message_twice_in_a_batch_is_sent_once(aws, graph) -> None:
    messages, bodies = stored_messages(3)
    attempts = worker.send_batch(_records([*bodies, bodies[1]]), services())
    assert _statuses(messages) == ["sent"] * 3
    assert len(graph.sent) == 3 and max(graph.sends_per_message().values()) == 1
    # the repeated record is either done at once or told to look again later; never an error
    assert all(o is None or isinstance(o, worker.RetryLater) for o in attempts.outcomes.values())
