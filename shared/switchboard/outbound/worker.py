"""The send worker: one outbound queue record is one message to send, exactly once.

The claim protocol (docs/sending.md):
1. Load the message; anything but ``queued`` is done already (a repeated queue record): drop the record.
2. Claim the message: a conditional update that sets ``claim_token`` (and a lease) only while it is
   ``queued`` and unclaimed. One worker wins. Then hold a send slot in the channel's current second
   (ratelimit.py; a batch takes its slots together, and a send whose second has passed takes a new one).
3. Call the Graph API (or SES for email).
4. Success: ``sent`` with the provider id AND the provider-id alias, in one transaction conditioned on
   our claim; then parked statuses are applied and the session's last message shows ``sent``.
   Retryable failure: the claim is given back and the record returns to the queue after a backoff that
   grows with each receive; on the queue's last receive the message is ``failed`` with the reason and
   the record goes on to the DLQ. Other failures: ``failed`` at once with Meta's code and message.
A worker that dies between 3 and 4 leaves a claim behind: when the record comes back after the lease,
the outcome is unknown, and the message is marked ``failed`` (code ``outcome_unknown``) rather than sent
a second time. Nothing stays ``queued`` forever, nothing is sent twice.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from switchboard import clock, ids
from switchboard.clients.eventbus import DomainEvent
from switchboard.clients.graph import GraphClient, GraphError
from switchboard.clients.sqs import OutgoingMessage
from switchboard.domain.channels import Channel
from switchboard.errors import InvalidInput, NotFound, SwitchboardError
from switchboard.inbound.statuses import apply_parked
from switchboard.observability import carrying_metrics, count
from switchboard.outbound import ratelimit
from switchboard.outbound.ratelimit import ChannelThroughput
from switchboard.storage.messages import OutboundJob
from switchboard.storage.outbound import ClaimLost, OutboundStore
from switchboard.services import Services
from switchboard.storage.attachments import AttachmentStore
from switchboard.storage.channels import whatsapp_secrets

logger = Logger(service="message_send", child=True)

MAX_RECEIVES = 5  # the outbound queue's maxReceiveCount (infra/declaration.py); a test keeps them equal
CLAIM_LEASE_SECONDS = 300  # longer than any Graph call (timeouts 3 s + 15 s) plus a throughput wait
PAIR_RATE_LIMIT = 131056
PER_USER_MARKETING_LIMIT = 131049  # Meta's per-user marketing limit: the recipient is skipped, never retried
MARKETING_TERMS_NOT_ACCEPTED = 131055  # Marketing Messages API terms not accepted: the campaign stops
SKIP_MARKETING_LIMIT = "marketing_limit"
CLAIM_RECHECK_SECONDS = 10
MAX_BACKOFF_SECONDS = 900
CONCURRENCY = 10
BATCH_SLOT_WAIT_SECONDS = 1.5


class RetryLater(SwitchboardError):
    """Nothing was sent; the record should come back after ``delay_seconds``. With ``requeue`` (our own
    throughput was used up, or another worker holds the claim) a fresh record is queued with that delay
    instead, so waiting does not use up the receives that count Graph API failures toward the DLQ."""

    code = "retry_later"

    def __init__(self, message: str, delay_seconds: int, requeue: bool = False) -> None:
        super().__init__(message)
        self.delay_seconds = delay_seconds
        self.requeue = requeue


class RetriesExhausted(SwitchboardError):
    """The message is failed for good; the record goes to the DLQ."""

    code = "retries_exhausted"


class ProviderRefused(GraphError):
    """Another provider (SES) refused a send; ``retryable`` is its own verdict."""

    def __init__(self, provider_code: str, message: str, retryable: bool) -> None:
        super().__init__(0, None, message)
        self.provider_code = provider_code
        self._retryable = retryable

    @property
    def retryable(self) -> bool:
        return self._retryable


def backoff_seconds(error: GraphError | None, receive_count: int) -> int:
    """Pair-rate errors back off 4^x seconds (Meta's guidance), everything else 2^x."""
    attempt = max(receive_count - 1, 0)
    base = 4 if error is not None and error.error_code == PAIR_RATE_LIMIT else 2
    return int(min(base ** attempt, MAX_BACKOFF_SECONDS))


def error_of(error: GraphError, exhausted: bool = False) -> dict[str, Any]:
    title = error.message + (f" (gave up after {MAX_RECEIVES} attempts)" if exhausted else "")
    code = error.error_code if error.error_code is not None else (
        getattr(error, "provider_code", None) or error.status or "unreachable")
    return {"code": code,
            "title": title, "details": error.details.get("details")}


OUTCOME_UNKNOWN = {"code": "outcome_unknown", "title": "the send worker stopped while sending; the message "
                   "may or may not have been delivered", "details": None}


def unexpected_error(exc: BaseException) -> dict[str, Any]:
    """The reason a message shows when a send failed on our side on every attempt."""
    reason = exc.message if isinstance(exc, SwitchboardError) else type(exc).__name__
    return {"code": "send_error", "title": f"{reason} (gave up after {MAX_RECEIVES} attempts)", "details": None}


def _failed_event(message: dict[str, Any], error: dict[str, Any]) -> DomainEvent:
    return DomainEvent("message.failed", message["tenant_id"], {
        "message_id": message["message_id"], "session_id": message.get("session_id"),
        "channel_id": message["channel_id"], "error": error})


@dataclass(frozen=True)
class Ready:
    """A queued message to claim, with its channel."""

    job: OutboundJob
    message: dict[str, Any]
    channel: Channel


@dataclass(frozen=True)
class Claimed:
    """A message this worker holds the claim on, ready to go out."""

    message: dict[str, Any]
    channel: Channel
    token: str


@dataclass(frozen=True)
class Delivered:
    """A send the provider accepted, to be recorded."""

    claimed: Claimed
    provider_id: str


class SendWorker:
    """Sends queued messages. Domain events are collected in ``events`` (publish with ``flush``), so a
    batch costs one PutEvents call, not one per message."""

    def __init__(self, services: Services, sleep: Callable[[float], None] | None = None) -> None:
        self.services = services
        self.store = OutboundStore(services.table)
        self.throughput = ChannelThroughput(self.store, sleep) if sleep else ChannelThroughput(self.store)
        self.events: list[DomainEvent] = []
        self._events_lock = threading.Lock()

    def send(self, job: OutboundJob, receive_count: int = 1, message: dict[str, Any] | None = None,
             slot_second: int | None = None) -> str:
        """Send one queued message. Returns what happened ("sent", "failed", "done", "missing");
        raises RetryLater or RetriesExhausted for the queue to act on. ``message`` (as loaded) and
        ``slot_second`` (the second of a send slot already counted for it) let a batch share its reads."""
        step = self.claim(job, message)
        return step if isinstance(step, str) else self.deliver(step, receive_count, slot_second)

    def claimable(self, job: OutboundJob, message: dict[str, Any] | None = None) -> Ready | str:
        """Step 1: the queued message and its channel, or what happened instead."""
        message = message if message is not None else self.store.load(job.message_pk, job.message_sk)
        if message is None or message.get("tenant_id") != job.tenant_id:
            logger.warning("queued message not found", message_sk=job.message_sk)
            return "missing"
        if message.get("status") != "queued":
            return "done"
        channel = self.channel_of(message)
        if channel is None:
            return self._fail(message, None, {"code": "channel_gone", "title": "the channel was removed"})
        return Ready(job, message, channel)

    def claim(self, job: OutboundJob, message: dict[str, Any] | None = None) -> Claimed | str:
        """Steps 1 and 2 up to the claim: the claimed message, or what happened instead."""
        ready = self.claimable(job, message)
        if isinstance(ready, str):
            return ready
        token = ids.new_id()
        if not self.store.claim(ready.message, token, int(clock.now().timestamp()), CLAIM_LEASE_SECONDS):
            return self._claim_refused(job)
        return Claimed(ready.message, ready.channel, token)

    def claim_all(self, ready: list[Ready]) -> list[Claimed] | None:
        """Claim distinct messages in one transaction; None when that was refused (claim each on its own)."""
        claims = [Claimed(r.message, r.channel, ids.new_id()) for r in ready]
        if self.store.claim_all([(c.message, c.token) for c in claims], int(clock.now().timestamp()),
                                CLAIM_LEASE_SECONDS):
            return claims
        return None

    def deliver(self, claimed: Claimed, receive_count: int = 1, slot_second: int | None = None) -> str:
        """The rest: a send slot in the current second (unless ``slot_second`` is it), the call, the outcome."""
        outcome = self.call(claimed, receive_count, slot_second)
        return outcome if isinstance(outcome, str) else self._sent(claimed.message, claimed.token,
                                                                   outcome.provider_id)

    def call(self, claimed: Claimed, receive_count: int = 1, slot_second: int | None = None) -> Delivered | str:
        """Step 3: the provider's call, in a send slot of the current second; the outcome when it failed."""
        message, channel, token = claimed.message, claimed.channel, claimed.token
        if slot_second != ratelimit.slot_second(clock.now().timestamp()) and self.throughput.acquire(
                channel.tenant_id, channel.channel_id, channel.throughput_mps) is None:
            self.store.release(message, token)  # nothing was sent: another worker may take it
            count("SendThrottledLocally")
            raise RetryLater("the channel's throughput is used up", 1, requeue=True)
        try:
            provider_id = self._deliver(channel, message)
        except GraphError as error:
            return self._graph_failure(message, token, error, receive_count)
        except (InvalidInput, NotFound) as refused:
            # What no retry can change (an attachment that is not this session's, a session gone): failed now.
            count("SendFailed")
            return self._fail(message, token, {"code": refused.code, "title": refused.message, "details": None})
        except Exception as exc:
            if receive_count >= MAX_RECEIVES:  # the record goes to the DLQ: the message says why it failed
                count("SendRetriesExhausted")
                self._fail(message, token, unexpected_error(exc))
                raise RetriesExhausted(f"gave up after {receive_count} attempts") from exc
            self.store.release(message, token)  # e.g. the file could not be read: nothing was sent
            raise
        return Delivered(claimed, provider_id)

    def give_up(self, job: OutboundJob, exc: BaseException) -> None:
        """A record on its last receive failed before or after the call for a reason of our own (a store
        that kept refusing, a bug): the message still queued is ``failed`` with the reason, so none stays
        ``queued`` while its record waits in the DLQ."""
        message = self.store.load(job.message_pk, job.message_sk)
        if message is not None and message.get("tenant_id") == job.tenant_id and message.get("status") == "queued":
            count("SendRetriesExhausted")
            # Still claimed: the call may have gone out before recording it failed, as after a lost lease.
            self._fail(message, None, OUTCOME_UNKNOWN if message.get("claim_token") else unexpected_error(exc))

    def deliver_recorded(self, delivered: Delivered) -> str:
        """Step 4 for one send."""
        return self._sent(delivered.claimed.message, delivered.claimed.token, delivered.provider_id)

    def record_all(self, delivered: list[Delivered]) -> bool:
        """Step 4 for several sends in one transaction; False when refused (record each on its own)."""
        sent_at = clock.iso(clock.now())
        if not self.store.record_all_sent([(d.claimed.message, d.claimed.token, d.provider_id) for d in delivered],
                                          sent_at):
            return False
        for d in delivered:
            self.sent_recorded(d.claimed.message, d.provider_id, parked=False, sent_at=sent_at)
        return True

    def channel_of(self, message: dict[str, Any]) -> Channel | None:
        channel = self.services.channels.by_id(message["channel_id"])  # cached for a minute per process
        return channel if channel is not None and channel.tenant_id == message["tenant_id"] else None

    def emit(self, events: list[DomainEvent]) -> None:
        with self._events_lock:
            self.events.extend(events)

    def flush(self) -> None:
        with self._events_lock:
            events, self.events = self.events, []
        self.services.bus.publish(events)

    # -- steps ----------------------------------------------------------------------------------------
    def _claim_refused(self, job: OutboundJob) -> str:
        current = self.store.load(job.message_pk, job.message_sk)
        if current is None or current.get("status") != "queued":
            return "done"
        expires = int(current.get("claim_expires_at") or 0)
        if expires and expires <= int(clock.now().timestamp()):
            # The claimant stopped between the Graph call and recording it: the outcome is unknown, so the
            # message is not sent again (at most once).
            count("SendOutcomeUnknown")
            return self._fail(current, str(current.get("claim_token")), OUTCOME_UNKNOWN)
        # Look again soon: the claimant usually finishes within seconds (or its lease runs out).
        raise RetryLater("another worker is sending this message",
                         min(max(expires - int(clock.now().timestamp()), 1), CLAIM_RECHECK_SECONDS), requeue=True)

    def _deliver(self, channel: Channel, message: dict[str, Any]) -> str:
        if channel.kind == "email":
            from switchboard.email.sending import deliver  # lazily: the email package is optional

            try:
                return str(deliver(message, channel, self.services))
            except Exception as exc:
                if not hasattr(exc, "retryable"):
                    raise
                raise ProviderRefused(str(getattr(exc, "code", "refused")), str(exc), bool(exc.retryable)) from exc
        payload = json.loads(message["graph_payload"])
        graph = GraphClient(self.services.settings.graph_base_url, whatsapp_secrets(channel).access_token)
        if message.get("media_key"):
            kind = payload["type"]
            media_id = message.get("media_id")
            if not media_id:
                content = AttachmentStore(self.services.settings.need("media_bucket_name")).read(message["media_key"])
                media_id = graph.upload_media(channel.phone_number_id or "", content,
                                              message.get("media_content_type", "application/octet-stream"),
                                              message.get("media_filename", "file"))
                self.store.media_uploaded(message, media_id)
            payload[kind] = {**payload.get(kind, {}), "id": media_id}
        payload.setdefault("biz_opaque_callback_data", message["message_id"])
        return graph.send_message(channel.phone_number_id or "", payload, message.get("graph_endpoint") or "messages")

    def _graph_failure(self, message: dict[str, Any], token: str, error: GraphError, receive_count: int) -> str:
        if not error.retryable:
            count("SendFailed")
            if error.error_code == MARKETING_TERMS_NOT_ACCEPTED and message.get("campaign_id"):
                self._stop_campaign(message, error)
            skip = (SKIP_MARKETING_LIMIT, error.message) if error.error_code == PER_USER_MARKETING_LIMIT else None
            return self._fail(message, token, error_of(error), mirror_skip=skip)
        if receive_count >= MAX_RECEIVES:
            count("SendRetriesExhausted")
            self._fail(message, token, error_of(error, exhausted=True))
            raise RetriesExhausted(f"gave up after {receive_count} attempts")
        self.store.release(message, token)
        count("SendRetried")
        raise RetryLater(f"retryable Graph error {error.error_code}", backoff_seconds(error, receive_count))

    def _stop_campaign(self, message: dict[str, Any], error: GraphError) -> None:
        """131055: the business has not accepted the Marketing Messages API's terms. No marketing message of
        the campaign can go out: it is paused with the reason (an admin resumes it after accepting them, or
        turns the channel's ``marketing_messages`` off); recipients still pending stay pending, and those
        already queued are refused by Meta the same way, each failed with the reason (docs/pricing.md)."""
        stopped = self.services.campaigns.transition(
            # completed too: a campaign is completed once all of it is queued, before the worker sends it
            message["tenant_id"], message["campaign_id"], ["running", "scheduled", "completed"], "paused",
            clock.iso(clock.now()),
            {"status_reason": "marketing_terms_not_accepted",
             "status_detail": f"Meta refused the Marketing Messages API send ({error.error_code}): {error.message}. "
                              "Accept the Marketing Messages API terms in WhatsApp Manager, then resume."})
        if stopped is not None:
            logger.warning("campaign paused: marketing messages terms not accepted", campaign_id=message["campaign_id"])
            self.emit([DomainEvent("campaign.dispatched", message["tenant_id"], {
                "campaign_id": message["campaign_id"], "outcome": "stopped",
                "reason": "marketing_terms_not_accepted"})])

    def _fail(self, message: dict[str, Any], token: str | None, error: dict[str, Any],
              mirror_skip: tuple[str, str] | None = None) -> str:
        if self.store.record_failed(message, token, error, clock.iso(clock.now()), mirror_skip):
            self.store.session_last_status(message, "failed")
            self.emit([_failed_event(message, error)])
        return "failed"

    def _sent(self, message: dict[str, Any], token: str, provider_id: str) -> str:
        sent_at = clock.iso(clock.now())
        try:
            parked = self.store.record_sent(message, token, provider_id, sent_at)
        except ClaimLost:
            logger.error("send recorded after the claim was lost", message_id=message["message_id"])
            return "done"
        return self.sent_recorded(message, provider_id, parked, sent_at)

    def sent_recorded(self, message: dict[str, Any], provider_id: str, parked: bool,
                      sent_at: str | None = None) -> str:
        """After the record: parked statuses, the session's last message, the events."""
        count("MessageSent")
        events = [DomainEvent("message.sent", message["tenant_id"], {
            "message_id": message["message_id"], "session_id": message.get("session_id"),
            "channel_id": message["channel_id"], "provider_message_id": provider_id,
            "sent_at": message.get("sent_at"),  # with message_id, the message's key (docs/search.md)
            # who wrote it and when (an operator's reply meets SLA response targets: docs/sla.md), and when the
            # sent status was recorded (the reports' first response: docs/reports.md)
            "operator_id": message.get("operator_id"), "created_at": message.get("created_at"),
            "sent_status_at": sent_at})]
        if parked:
            events += apply_parked(message["tenant_id"], provider_id, self.services.statuses, message["channel_id"])
        self.store.session_last_status(message, "sent")
        self.emit(events)
        return "sent"


@dataclass
class BatchAttempts:
    """The outcome of each record of a batch, sent concurrently; ``settle`` is the record handler of
    Powertools' BatchProcessor: it re-raises a record's failure so only that record is retried, after
    setting its visibility to the backoff."""

    outcomes: dict[str, BaseException | None]
    services: Services

    def settle(self, record: SQSRecord) -> None:
        outcome = self.outcomes.get(record.message_id)
        if outcome is None:
            return
        if isinstance(outcome, RetryLater) and outcome.requeue:
            self.services.outbound_queue.send_all([OutgoingMessage(record.body,
                                                                   delay_seconds=outcome.delay_seconds)])
            return  # this record is done; the fresh one comes back after the delay
        if isinstance(outcome, RetryLater):
            self.services.outbound_queue.retry_after(record.receipt_handle, outcome.delay_seconds)
        elif isinstance(outcome, RetriesExhausted):
            self.services.outbound_queue.retry_after(record.receipt_handle, 0)  # on to the DLQ now
        raise outcome


def send_batch(records: list[dict[str, Any]], services: Services) -> BatchAttempts:
    """Send a batch of queue records: one BatchGetItem for the messages, one transaction for their claims,
    one counter update per channel for the send slots (taken after the claims, so the sends go out in
    the slots' second), the calls (concurrently), one transaction recording the sends, one PutEvents.
    A transaction that is refused (a message claimed elsewhere, a status parked) falls back to each
    message on its own, and every record's outcome is its own."""
    worker = SendWorker(services)
    results: dict[str, BaseException | None] = {}
    receives: dict[str, int] = {}
    jobs: dict[str, OutboundJob] = {}
    for raw in records:
        record = SQSRecord(raw)
        results[record.message_id] = None
        receives[record.message_id] = int(record.attributes.approximate_receive_count or 1)
        try:
            jobs[record.message_id] = OutboundJob.model_validate_json(record.body)
        except ValueError:
            logger.error("outbound record is not a job", message_id=record.message_id)  # nothing to retry
    loaded = {(m["pk"], m["sk"]): m for m in worker.store.load_many(
        list(dict.fromkeys((j.message_pk, j.message_sk) for j in jobs.values())))}

    def outcome_of(message_ids: list[str], action: Callable[[], Any]) -> Any:
        try:
            return action()
        except Exception as exc:  # noqa: BLE001 - reported per record, for the queue to act on
            if not isinstance(exc, RetryLater | RetriesExhausted):
                logger.exception("send attempt failed", message_ids=message_ids)
            for message_id in message_ids:
                results[message_id] = exc
            return None

    # 1-2: what can be claimed, claimed together (a message named twice is left to the one-by-one path)
    ready: dict[str, Ready] = {}
    alone: list[str] = []
    for message_id, job in jobs.items():
        step = outcome_of([message_id], lambda job=job: worker.claimable(
            job, loaded.get((job.message_pk, job.message_sk)) or {}))
        if isinstance(step, Ready):
            if any(r.message is step.message for r in ready.values()):
                alone.append(message_id)
            else:
                ready[message_id] = step
    claimed: dict[str, Claimed] = {}
    if len(ready) > 1:
        together = outcome_of(list(ready), lambda: worker.claim_all(list(ready.values())))
        if together is not None:
            claimed.update(zip(ready, together, strict=True))
        elif all(results[message_id] is None for message_id in ready):
            alone.extend(ready)
    else:
        alone.extend(ready)

    with ThreadPoolExecutor(max_workers=min(CONCURRENCY, max(len(records), 1))) as pool:
        for message_id, step in zip(alone, pool.map(carrying_metrics(lambda message_id: outcome_of([message_id], lambda: worker.claim(
                jobs[message_id], loaded.get((jobs[message_id].message_pk, jobs[message_id].message_sk)) or {}))),
                alone), strict=True):
            if isinstance(step, Claimed):
                claimed[message_id] = step
        # 2: the send slots, in the second the calls go out
        slots: dict[str, int] = {}
        by_channel: dict[tuple[str, str, int], list[str]] = {}
        for message_id, step in claimed.items():
            channel = step.channel
            by_channel.setdefault((channel.tenant_id, channel.channel_id, channel.throughput_mps), []).append(
                message_id)
        for (tenant_id, channel_id, limit), message_ids in by_channel.items():
            # a full second: the batch waits for the next one together (one update, not one per message)
            second = worker.throughput.acquire(tenant_id, channel_id, limit, count=len(message_ids),
                                               max_wait_s=BATCH_SLOT_WAIT_SECONDS)
            if second is not None:
                slots.update(dict.fromkeys(message_ids, second))
        # 3: the calls
        calls = list(pool.map(carrying_metrics(lambda message_id: outcome_of([message_id], lambda: worker.call(
            claimed[message_id], receives[message_id], slots.get(message_id)))), list(claimed)))
        delivered = {message_id: step for message_id, step in zip(claimed, calls, strict=True)
                     if isinstance(step, Delivered)}
        # 4: the records
        if len(delivered) > 1 and outcome_of(list(delivered), lambda: worker.record_all(list(delivered.values()))):
            delivered = {}
        pending = [m for m in delivered if results[m] is None]
        list(pool.map(carrying_metrics(lambda message_id: outcome_of([message_id], lambda: worker.deliver_recorded(
            delivered[message_id]))), pending))
    # The last receive of a record that failed for any other reason: its message is failed, not left queued.
    for message_id, outcome in results.items():
        if outcome is not None and not isinstance(outcome, RetryLater | RetriesExhausted) and \
                receives[message_id] >= MAX_RECEIVES and message_id in jobs:
            outcome_of([message_id], lambda job=jobs[message_id], exc=outcome: worker.give_up(job, exc))
    worker.flush()
    return BatchAttempts(results, services)
