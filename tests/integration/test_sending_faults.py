"""The send worker against a misbehaving Graph API: 5xx and throttling faults are retried with backoff,
permanent errors fail at once with Meta's code, nothing stays queued and nothing is sent twice."""

from __future__ import annotations

import os
import time

import boto3
import pytest
from switchboard import clock
from switchboard.domain.channels import Channel
from switchboard.outbound import worker
from switchboard.services import services
from switchboard.storage import keys

from tests.support.outbound import queue_counts, run_send_worker, simulator_server, stored_messages


@pytest.fixture
def graph(api, demo, monkeypatch):  # noqa: ANN001, ANN201
    monkeypatch.setattr(worker, "MAX_BACKOFF_SECONDS", 1)  # retries within a second, for the test's sake
    with simulator_server(api.gateway, monkeypatch, status_callbacks=False) as simulator:
        yield simulator


def _faster_channel(mps: int) -> None:
    channel = services().channels.get("demo", "wa-demo")
    services().channels.save(Channel.model_validate({**channel.model_dump(), "throughput_mps": mps}))


def test_a_thousand_sends_through_faults_end_sent_or_failed_and_none_twice(aws, graph) -> None:
    # Given a channel allowed 400 messages a second, and a Graph API failing one send in five
    _faster_channel(400)
    graph.configure(throughput_mps=400, error_5xx_rate=0.10, throttle_rate=0.10, seed=7)
    messages, bodies = stored_messages(int(os.environ.get("N_SENDS", "1000")))

    started = time.monotonic()
    run_send_worker(aws.queue_urls["outbound"], timeout_s=900, backlog=bodies)  # a safety valve, not a target
    elapsed = time.monotonic() - started

    final = [services().table.get({"pk": m["pk"], "sk": m["sk"]}) for m in messages]
    statuses = [m["status"] for m in final]
    sends = graph.sends_per_message()
    print(f"\n1000 sends: {statuses.count('sent')} sent, {statuses.count('failed')} failed, "
          f"{sum(graph.rejected.values())} faults ({dict(graph.rejected)}), {elapsed:.1f} s")
    assert statuses.count("queued") == 0
    print("failures:", sorted({(m["error"]["code"], m["error"]["title"]) for m in final if m["status"] == "failed"}))
    assert all(m["status"] == "sent" or (m["status"] == "failed" and m["error"]["code"]) for m in final)
    assert max(sends.values()) == 1 and len(sends) == statuses.count("sent")
    assert all(m["provider_message_id"] for m in final if m["status"] == "sent")
    assert sum(graph.rejected.values()) > len(messages) // 10  # the faults really happened, and were retried
    failed_in_dlq = int(boto3.client("sqs").get_queue_attributes(
        QueueUrl=aws.dlq_urls["outbound"], AttributeNames=["ApproximateNumberOfMessages"])["Attributes"][
        "ApproximateNumberOfMessages"])
    assert failed_in_dlq == statuses.count("failed")


def test_a_permanent_error_fails_at_once_with_metas_code(aws, graph) -> None:
    graph.configure(recipient_errors={"420602000000": 131026})
    [message], bodies = stored_messages(1, first_number=420_602_000_000)

    deliveries = run_send_worker(aws.queue_urls["outbound"], backlog=bodies)

    stored = services().table.get({"pk": message["pk"], "sk": message["sk"]})
    assert deliveries == 1 and stored["status"] == "failed"
    assert stored["error"]["code"] == 131026 and "Undeliverable" in stored["error"]["title"]
    assert queue_counts(aws.dlq_urls["outbound"]) == (0, 0)


def test_after_the_last_retry_the_message_is_failed_and_its_record_in_the_dlq(aws, graph) -> None:
    graph.configure(error_5xx_rate=1.0)
    [message], bodies = stored_messages(1)

    deliveries = run_send_worker(aws.queue_urls["outbound"], backlog=bodies)

    stored = services().table.get({"pk": message["pk"], "sk": message["sk"]})
    assert deliveries == worker.MAX_RECEIVES
    assert stored["status"] == "failed" and stored["error"]["code"] == 131000
    assert "gave up after 5 attempts" in stored["error"]["title"]
    assert queue_counts(aws.dlq_urls["outbound"])[0] == 1
    assert graph.sends_per_message() == {}


def test_a_worker_that_died_after_calling_meta_does_not_send_again(aws, graph) -> None:
    # Given a message claimed by a worker that stopped before recording the outcome, its lease run out
    [message], bodies = stored_messages(1)
    services().table.update({"pk": message["pk"], "sk": message["sk"]},
                            "SET claim_token = :t, claim_expires_at = :e",
                            {":t": "dead-worker", ":e": int(clock.now().timestamp()) - 1})

    run_send_worker(aws.queue_urls["outbound"], backlog=bodies)

    stored = services().table.get({"pk": message["pk"], "sk": message["sk"]})
    assert stored["status"] == "failed" and stored["error"]["code"] == "outcome_unknown"
    assert graph.sends_per_message() == {}


def test_the_worker_knows_the_queues_receive_count() -> None:
    from infra.declaration import RESOURCES

    outbound = next(q for q in RESOURCES.queues if q.name == "outbound")
    assert worker.MAX_RECEIVES == outbound.max_receive_count


def test_a_send_whose_slot_second_has_passed_takes_a_slot_in_the_second_it_goes_out(aws, graph) -> None:
    """A batch takes its send slots together; a send that goes out after that second is over (a slow claim,
    a long batch) counts in the second it really goes out, or Meta would see more than the limit there."""
    messages, bodies = stored_messages(2)
    sender = worker.SendWorker(services())
    now = int(clock.now().timestamp())

    def slots(second: int) -> int:
        return int((services().table.get(keys.send_rate("demo", "wa-demo", second)) or {}).get("n", 0))

    jobs = [worker.OutboundJob.model_validate_json(body) for body in bodies]
    # Given one send whose slot is in this second and one whose slot is in a second long gone
    assert sender.send(jobs[0], message=messages[0], slot_second=now) == "sent"
    assert slots(now) == 0  # its slot was counted when the batch took it: nothing more
    clock.advance(5)
    later = int(clock.now().timestamp())
    assert sender.send(jobs[1], message=messages[1], slot_second=now) == "sent"
    # Then the late one took a slot in the second it went out in (the next one, if it was about to end)
    assert slots(later) + slots(later + 1) == 1
    assert len(graph.sent) == 2
