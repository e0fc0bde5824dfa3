"""Two webhooks at once through the local API: each one queues its own message.

Powertools' Event Handler keeps the request it resolves in process-wide state (``BaseRouter.current_event``),
which Lambda can afford (an execution environment handles one request at a time). The local gateway runs
every function in one process, so API requests take turns there (infra/local/lambdas.py ``API_TURNS``).
Without that, a POST that arrived while another was being resolved was answered 200 with the other's message
queued and its own lost: test_inbound_load's one lost message in 500 (docs/testing.md)."""

from __future__ import annotations

import threading
from typing import Any

import boto3
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
from switchboard.api.routes.webhooks import raw_body
from switchboard.domain.inbound_queue import parse_queued

from functions.webhook_receipt import handler as webhook_handler
from infra.local import lambdas
from tests.support.whatsapp import envelope, signed, text_message


class _ObservedTurns:
    """The gateway's turns, saying when a request asks for one (so the test knows the second POST has got as
    far as the gateway lets it while the first is being resolved)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.changed = threading.Condition()
        self.asked = 0

    def __enter__(self) -> None:
        with self.changed:
            self.asked += 1
            self.changed.notify_all()
        self._lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


def _queued_event_ids(queue_url: str) -> list[str]:
    messages = boto3.client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    return sorted(parse_queued(m["Body"]).event_id for m in messages)


def test_a_webhook_posted_while_another_is_being_resolved_queues_its_own_message(api, demo, aws,
                                                                                monkeypatch) -> None:
    # Given the webhook function warm (its resolver is built by a first request, the handshake)
    api.call("GET", f"/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token={demo.verify_token}&hub.challenge=1")
    resolver = webhook_handler.app.resolver()
    turns = _ObservedTurns()
    monkeypatch.setattr(lambdas, "API_TURNS", turns)
    first = signed(envelope([text_message(sender="420777000001", wamid="wamid.FIRST", body="first")]))
    second = signed(envelope([text_message(sender="420777000002", wamid="wamid.SECOND", body="second")]))
    answers: dict[str, Any] = {}
    second_answered = threading.Event()

    def post_second() -> None:
        answers["second"] = api.call("POST", "/webhooks/whatsapp", second[0], headers=second[1])
        with turns.changed:
            second_answered.set()
            turns.changed.notify_all()

    poster = threading.Thread(target=post_second)
    resolve = type(resolver)._resolve

    def second_arrives_while_first_is_resolved(self: ApiGatewayResolver) -> Any:
        # Powertools holds the first POST as its current event; the second arrives now and goes as far as the
        # gateway lets it: answered, or waiting for its turn.
        if raw_body(self.current_event) == first[0] and poster.ident is None:
            poster.start()
            with turns.changed:
                turns.changed.wait_for(lambda: second_answered.is_set() or turns.asked >= 2, timeout=60)
        return resolve(self)

    monkeypatch.setattr(type(resolver), "_resolve", second_arrives_while_first_is_resolved)

    # When Meta posts the first webhook, and the second one while the first is being resolved
    answers["first"] = api.call("POST", "/webhooks/whatsapp", first[0], headers=first[1])
    poster.join()

    # Then both are answered, and each one's message is on the inbound queue
    assert answers == {"first": (200, {"queued": 1}), "second": (200, {"queued": 1})}
    assert _queued_event_ids(aws.queue_urls["inbound"]) == ["wamid.FIRST", "wamid.SECOND"]
