"""Meta and SES misbehave: unreachable or timing-out providers are retried, then failed with a reason;
a send whose answer timed out is never sent again (it may have arrived); nothing is lost."""

from __future__ import annotations

import json
from unittest import mock

import pytest
import requests
import responses
from botocore.exceptions import ClientError

from switchboard import clock, ids
from switchboard.clients import graph as graph_client
from switchboard.clients.ses import SesClient, SesRefused
from switchboard.outbound import worker
from switchboard.services import services
from switchboard.storage import keys
from tests.support.outbound import queue_counts, run_send_worker


@pytest.fixture
def fast_retries(monkeypatch):  # noqa: ANN001, ANN201
    monkeypatch.setattr(worker, "MAX_BACKOFF_SECONDS", 1)


def _stored_text_message(aws) -> tuple[dict, str]:  # noqa: ANN001
    now_iso = clock.iso(clock.now())
    message_id = ids.new_id()
    item = {"pk": f"T#demo#TEST#{message_id}", "sk": keys.message_sort_key(now_iso, message_id),
            "message_id": message_id, "tenant_id": "demo", "channel_id": "wa-demo", "direction": "out",
            "kind": "text", "text": "hello", "status": "queued", "status_rank": 0,
            "statuses": {"queued": now_iso}, "sent_at": now_iso, "created_at": now_iso,
            "graph_payload": json.dumps({"to": "+420777000111", "type": "text", "text": {"body": "hello"}})}
    services().table.put(item)
    return item, json.dumps({"tenant_id": "demo", "message_pk": item["pk"], "message_sk": item["sk"]})


def _graph_send_url() -> str:
    return f"{services().settings.graph_base_url}/106540352242922/messages"


@responses.activate
def test_an_unreachable_graph_api_is_retried_then_the_message_is_sent(aws, demo, fast_retries) -> None:
    responses.add_passthru("http://127.0.0.1")
    responses.add(responses.POST, _graph_send_url(), body=requests.ConnectionError("refused"))
    responses.add(responses.POST, _graph_send_url(), json={"messages": [{"id": "wamid.AFTER"}]})
    message, body = _stored_text_message(aws)

    deliveries = run_send_worker(aws.queue_urls["outbound"], backlog=[body])

    stored = services().table.get({"pk": message["pk"], "sk": message["sk"]})
    assert deliveries == 2 and stored["status"] == "sent" and stored["provider_message_id"] == "wamid.AFTER"


@responses.activate
def test_a_graph_api_that_never_answers_ends_failed_with_the_reason(aws, demo, fast_retries) -> None:
    responses.add_passthru("http://127.0.0.1")
    responses.add(responses.POST, _graph_send_url(), body=requests.ConnectTimeout("no route"))
    message, body = _stored_text_message(aws)

    deliveries = run_send_worker(aws.queue_urls["outbound"], backlog=[body])

    stored = services().table.get({"pk": message["pk"], "sk": message["sk"]})
    assert deliveries == worker.MAX_RECEIVES
    assert stored["status"] == "failed" and stored["error"]["code"] == "unreachable"
    assert queue_counts(aws.dlq_urls["outbound"])[0] == 1


@responses.activate
def test_a_send_whose_answer_timed_out_is_not_sent_again(aws, demo, fast_retries) -> None:
    responses.add_passthru("http://127.0.0.1")
    responses.add(responses.POST, _graph_send_url(), body=requests.ReadTimeout("slow"))
    message, body = _stored_text_message(aws)

    deliveries = run_send_worker(aws.queue_urls["outbound"], backlog=[body])

    stored = services().table.get({"pk": message["pk"], "sk": message["sk"]})
    assert deliveries == 1 and len(responses.calls) == 1
    assert stored["status"] == "failed" and stored["error"]["code"] == "outcome_unknown"


@pytest.mark.parametrize("code, retryable", [("ServiceUnavailable", True), ("TooManyRequestsException", True),
                                             ("MessageRejected", False)])
def test_ses_errors_say_whether_a_retry_may_work(aws, code: str, retryable: bool) -> None:
    class Failing:
        def send_email(self, **_: object) -> dict:
            raise ClientError({"Error": {"Code": code, "Message": "SES says no"}}, "SendEmail")

    with mock.patch("switchboard.clients.ses.aws.client", lambda service: Failing()), \
            pytest.raises(SesRefused) as refused:
        SesClient().send_raw(b"Subject: x\r\n\r\nbody", "a@example.com", ["b@example.com"], {})
    assert refused.value.retryable is retryable and refused.value.code == code


def test_read_timeouts_of_reads_stay_retryable() -> None:
    assert graph_client.GraphUnreachable("x", may_have_arrived=False).retryable
    assert not graph_client.GraphUnreachable("x", may_have_arrived=True).retryable
