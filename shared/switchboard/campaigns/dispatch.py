"""campaign_dispatch: fan a campaign's pending recipients out to the outbound queue at its rate.

One run holds the campaign's lease (a conditional write on the campaign item), so a second trigger or a
redelivered event finds it busy and only makes sure a later run will look again. Within the run:

* a producer thread pages through pending recipients (consistent reads), decides each one (skip with a
  reason: no contact, blocked, opted out, no phone, bad parameters; or a template send), and moves them
  out of ``pending`` by conditional writes in transactions, each together with the recipient's message
  record (its id derived from campaign and contact) and reply index; a transaction also checks that the
  campaign is still running under this run's lease, so a pause or a cancel stops it at the next write;
* the calling thread puts the committed messages on the outbound queue, paced to the rate (evenly, in
  small bursts, never catching up with a burst after falling behind).

A run that crashed between committing and enqueueing leaves recipients ``queued`` whose message was never
claimed by the worker; every run starts by re-enqueueing the still unclaimed messages of earlier runs, and
the worker's conditional claim makes a message enqueued twice go out once. A run that nears its time limit,
or fails, schedules its continuation."""

from __future__ import annotations

import hashlib
import json
import queue
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any

from aws_lambda_powertools import Logger

from switchboard import clock, ids
from switchboard.campaigns import parameters
from switchboard.domain import campaign_states as states
from switchboard.campaigns.schedule import at_expression, next_fire
from switchboard.clients.eventbus import DomainEvent
from switchboard.clients.scheduler import ScheduleSpec
from switchboard.clients.sqs import OutgoingMessage
from switchboard.domain import blocks
from switchboard.domain.channels import Channel
from switchboard.errors import Conflict, InvalidInput
from switchboard.services import Services
from switchboard.storage import messages
from switchboard.storage.messages import OutboundJob
from switchboard.storage.campaigns import (
    LeaseLost,
    QueuedSend,
    Skip,
    recipient_key_of,
    reply_index_item,
    retrying,
)
from switchboard.templates.rendering import prepare_template_send

logger = Logger(child=True)

MARKETING_MESSAGES = "marketing_messages"
LEASE_SECONDS = 120
TIME_MARGIN_MS = 60_000  # stop starting pages when less than this is left of the function's time
RETRY_SECONDS = 30
# "Now", for a one-off schedule: a few seconds ahead, so the expression is never in the past when it arrives.
NOW_LEAD_SECONDS = 5  # a run that failed, or found another run holding the campaign, looks again this much later
_MAX_PAGE = 100  # BatchGetItem's limit
_READ_AHEAD = 400  # pending recipients read at once (five seconds at 80/s)
_PHONE = re.compile(r"^\+?[1-9]\d{5,14}$")
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def schedule_name(campaign_id: str) -> str:
    return f"campaign-{campaign_id}"


def continuation_name(campaign_id: str) -> str:
    return f"campaign-{campaign_id}-next"


def message_id_for(campaign_id: str, contact_id: str) -> str:
    """The recipient's message id: the same for the same campaign and contact, whichever run writes it."""
    digest = int.from_bytes(hashlib.sha256(f"{campaign_id}/{contact_id}".encode()).digest()[:17], "big")
    chars = []
    for _ in range(26):
        digest, rem = divmod(digest, 32)
        chars.append(_ALPHABET[rem])
    return "".join(chars)


def marketing_endpoint(channel: Channel, template: dict[str, Any]) -> str | None:
    """Where a campaign's sends go: a MARKETING template (its latest category, as synced or updated by webhook)
    through the Marketing Messages API when the channel says so (docs/pricing.md); None: the Cloud API's
    /messages."""
    if channel.marketing_messages and str(template.get("category", "")).upper() == "MARKETING":
        return MARKETING_MESSAGES
    return None


def whatsapp_id(contact: dict[str, Any], channel_id: str) -> str | None:
    """The contact's WhatsApp id on the channel: its ``wa`` identity there (or anywhere), else its first
    phone number without the plus."""
    identities = [i for i in contact.get("identities") or [] if i.get("kind") == "wa" and i.get("value")]
    identities.sort(key=lambda i: i.get("channel_id") != channel_id)
    candidates = [str(i["value"]) for i in identities] + [str(p) for p in contact.get("phones") or []]
    for candidate in candidates:
        if _PHONE.match(candidate):
            return candidate.lstrip("+")
    return None


@dataclass
class RunResult:
    campaign_id: str
    outcome: str  # not_active, busy, stopped, completed, waiting (cron), continues
    queued: int = 0
    skipped: int = 0
    recovered: int = 0


@dataclass
class _End:
    outcome: str  # pass_done, continues, stopped, crashed
    error: BaseException | None = None
    total_seen: int = 0


@dataclass
class Pacer:
    """At most ``rate`` sends a second, spread evenly: each burst of ``n`` waits until the previous bursts'
    share of the second has passed. After falling behind it starts afresh rather than catching up."""

    rate: int
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _next: float | None = field(default=None, init=False)

    @property
    def burst(self) -> int:
        return max(1, min(10, self.rate // 8))

    def wait(self, count: int) -> None:
        interval = 1.0 / self.rate
        now = self.monotonic()
        if self._next is None or self._next < now - interval:
            self._next = now
        if self._next > now:
            self.sleep(self._next - now)
        self._next += count * interval


class Dispatch:
    """One run of one campaign."""

    def __init__(self, services: Services, tenant_id: str, campaign_id: str,
                 remaining_ms: Callable[[], int] | None = None, pacer: Pacer | None = None) -> None:
        self.services = services
        self.repo = services.campaigns
        self.tenant_id = tenant_id
        self.campaign_id = campaign_id
        self.remaining_ms = remaining_ms or (lambda: 15 * 60 * 1000)
        self.owner = ids.new_id()
        self.pacer = pacer
        self.result = RunResult(campaign_id, "stopped")

    # -- the run ----------------------------------------------------------------------------------------
    def run(self) -> RunResult:
        campaign = self.repo.get(self.tenant_id, self.campaign_id)
        if campaign is None or campaign["status"] not in states.ACTIVE:
            self.result.outcome = "not_active"
            return self.result
        now = clock.now()
        held = self.repo.acquire(self.tenant_id, self.campaign_id, self.owner, int(now.timestamp()),
                                 LEASE_SECONDS, clock.iso(now))
        if held is None:
            self._look_again_later(campaign)
            self.result.outcome = "busy"
            return self.result
        try:
            self._run_held(held)
        finally:
            self.repo.release(self.tenant_id, self.campaign_id, self.owner)
        logger.info("campaign dispatch run ended", campaign_id=self.campaign_id, outcome=self.result.outcome,
                    queued=self.result.queued, skipped=self.result.skipped, recovered=self.result.recovered)
        self.services.bus.publish([DomainEvent("campaign.dispatched", self.tenant_id, {
            "campaign_id": self.campaign_id, "outcome": self.result.outcome, "queued": self.result.queued,
            "skipped": self.result.skipped})])
        return self.result

    def _run_held(self, campaign: dict[str, Any]) -> None:
        channel = self.services.channels.get(self.tenant_id, campaign["channel_id"])
        if channel is None:
            self._stop("channel_not_found")
            return
        rate = max(1, min(int(campaign["rate"]), channel.throughput_mps))
        pacer = self.pacer or Pacer(rate)
        recover = int(campaign.get("runs", 1)) > 1  # a first run has nothing of earlier runs to recover
        while True:
            end = self._pass(campaign, channel, rate, pacer, recover=recover)
            recover = False
            if end.outcome != "pass_done":
                self.result.outcome = end.outcome
                if end.outcome == "continues":
                    self._continue_later(0)
                return
            # Everything this pass committed is on the queue: the campaign may end (unless recipients
            # were added meanwhile, which takes another pass).
            try:
                finished = self._finish(campaign, end.total_seen)
            except LeaseLost:  # paused or cancelled as the pass ended
                self.result.outcome = "stopped"
                return
            if finished is not None:
                self.result.outcome = finished
                return
            campaign = self.repo.require(self.tenant_id, self.campaign_id)

    def _pass(self, campaign: dict[str, Any], channel: Channel, rate: int, pacer: Pacer, recover: bool) -> _End:
        """One pass over the pending recipients: the producer commits, this thread enqueues at the rate."""
        buffer: queue.Queue[list[OutgoingMessage] | _End] = queue.Queue(maxsize=2)
        stop = threading.Event()
        producer = threading.Thread(target=self._produce, args=(campaign, channel, rate, recover, buffer, stop),
                                    name=f"campaign-{self.campaign_id}", daemon=True)
        producer.start()
        try:
            while True:
                batch = buffer.get()
                if isinstance(batch, _End):
                    if batch.error is not None:
                        raise batch.error
                    return batch
                for start in range(0, len(batch), pacer.burst):
                    burst = batch[start:start + pacer.burst]
                    pacer.wait(len(burst))
                    self.services.outbound_queue.send_all(burst)
                if self.remaining_ms() < TIME_MARGIN_MS:
                    stop.set()
        except BaseException:
            self.result.outcome = "failed"
            try:
                self._continue_later(RETRY_SECONDS)  # a later run re-enqueues what this one committed
            except Exception:  # noqa: BLE001 - the run's own failure is the one to report
                logger.exception("could not schedule the next run", campaign_id=self.campaign_id)
            raise
        finally:
            stop.set()
            while producer.is_alive():  # let a producer blocked on a full buffer finish its page
                try:
                    buffer.get(timeout=0.05)
                except queue.Empty:
                    pass
            producer.join()

    def _produce(self, campaign: dict[str, Any], channel: Channel, rate: int, recover: bool,
                 buffer: queue.Queue[list[OutgoingMessage] | _End], stop: threading.Event) -> None:
        try:
            outcome = self._produce_pages(campaign, channel, rate, recover, buffer, stop)
        except LeaseLost:
            outcome = _End("stopped")
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread, which raises it
            outcome = _End("crashed", exc)
        buffer.put(outcome)

    def _produce_pages(self, campaign: dict[str, Any], channel: Channel, rate: int, recover: bool,
                       buffer: queue.Queue[list[OutgoingMessage] | _End], stop: threading.Event) -> _End:
        if recover:
            recovered = self._recover_unsent()
            if recovered:
                self.result.recovered = len(recovered)
                buffer.put(recovered)
        template = self.services.templates.get(self.tenant_id, channel.channel_id, campaign["template"]["name"],
                                               campaign["template"]["language"])
        spec = json.loads(campaign.get("parameters_json") or "{}")
        page_size = min(rate, _MAX_PAGE)
        total_seen = int(campaign.get("recipient_total", 0))
        cursor: str | None = None
        while True:
            # One read of many pending recipients, then pages of a second's worth: a query costs the same
            # for four hundred as for eighty (and on moto, which scans the table, far more than a page).
            chunk = retrying(partial(self.repo.recipients, self.tenant_id, self.campaign_id, [states.PENDING],
                                      cursor, _READ_AHEAD))
            for start in range(0, len(chunk.items), page_size):
                if stop.is_set():
                    return _End("continues")
                page = chunk.items[start:start + page_size]
                try:
                    sends, skips, committed = retrying(partial(self._commit, campaign, channel, template, spec,
                                                                page))
                except Conflict as exc:  # the template can no longer be sent: nobody can be
                    self._stop(exc.code)
                    return _End("stopped")
                self.result.queued += len(committed)
                self.result.skipped += len(skips)
                if committed:
                    buffer.put([_outgoing(self.tenant_id, s.message) for s in committed])
            cursor = chunk.cursor
            if cursor is None:
                return _End("pass_done", total_seen=total_seen)

    def _commit(self, campaign: dict[str, Any], channel: Channel, template: dict[str, Any] | None,
                spec: dict[str, Any], page: list[dict[str, Any]]) -> tuple[list[QueuedSend], list[Skip],
                                                                        list[QueuedSend]]:
        """One page: renew the lease, decide, commit. Safe to repeat (see CampaignRepository.commit_page)."""
        now = clock.now()
        self.repo.renew(self.tenant_id, self.campaign_id, self.owner, int(now.timestamp()), LEASE_SECONDS)
        sends, skips = self._decide(campaign, channel, template, spec, page)
        committed = self.repo.commit_page(self.tenant_id, self.campaign_id, self.owner, sends, skips, clock.iso(now))
        return sends, skips, committed

    # -- deciding each recipient ------------------------------------------------------------------------
    def _decide(self, campaign: dict[str, Any], channel: Channel, template: dict[str, Any] | None,
                spec: dict[str, Any], recipients: list[dict[str, Any]]) -> tuple[list[QueuedSend], list[Skip]]:
        if template is None:
            raise Conflict("the campaign's template is gone", code="template_not_found")
        t = self.tenant_id
        now = clock.now()
        now_iso = clock.iso(now)
        contacts = self.services.contacts.get_many(t, [r["contact_id"] for r in recipients])
        addresses = {r["contact_id"]: whatsapp_id(contacts[r["contact_id"]], channel.channel_id)
                     for r in recipients if r["contact_id"] in contacts}
        opted_out = self.repo.opted_out(t, channel.channel_id, [wa for wa in addresses.values() if wa])
        sends: list[QueuedSend] = []
        skips: list[Skip] = []
        for recipient in recipients:
            contact_id = recipient["contact_id"]
            contact = contacts.get(contact_id)
            wa_id = addresses.get(contact_id)
            if contact is None:
                skips.append(Skip(contact_id, states.SKIP_NO_CONTACT, "the contact does not exist"))
            elif blocks.is_blocked(contact.get("blocked_until"), now):
                skips.append(Skip(contact_id, states.SKIP_BLOCKED, "the contact is blocked"))
            elif wa_id is None:
                skips.append(Skip(contact_id, states.SKIP_NO_PHONE, "the contact has no WhatsApp number"))
            elif wa_id in opted_out:
                skips.append(Skip(contact_id, states.SKIP_OPTED_OUT, "the contact opted out of marketing messages"))
            else:
                try:
                    graph_template, text = prepare_template_send(
                        template, parameters.resolve(spec, contact), field=parameters.FIELD)
                except InvalidInput as exc:
                    skips.append(Skip(contact_id, states.SKIP_BAD_PARAMETERS, f"{exc.field}: {exc.message}"))
                    continue
                sends.append(self._send(campaign, channel, contact_id, wa_id, graph_template, text, now_iso,
                                        recipient.get("added_at"), marketing_endpoint(channel, template)))
        return sends, skips

    def _send(self, campaign: dict[str, Any], channel: Channel, contact_id: str, wa_id: str,
              graph_template: dict[str, Any], text: str, now_iso: str, added_at: str | None,
              endpoint: str | None = None) -> QueuedSend:
        t = self.tenant_id
        routed = {"graph_endpoint": endpoint} if endpoint else {}
        message_id = message_id_for(self.campaign_id, contact_id)
        recipient_key = recipient_key_of(t, self.campaign_id, contact_id)
        message = messages.message_item(
            t, channel.channel_id, message_id, now_iso, direction="out", kind="template", text=text,
            session_id=None, contact_id=contact_id, campaign_id=self.campaign_id, **messages.queued_fields(now_iso),
            graph_payload=json.dumps({"to": f"+{wa_id}", "type": "template", "template": graph_template},
                                     separators=(",", ":")),
            status_mirrors=[recipient_key], **routed)
        reply_index = reply_index_item(t, channel.channel_id, contact_id, self.campaign_id, recipient_key, now_iso)
        return QueuedSend(contact_id, message, reply_index, added_at)

    # -- recovery, the end of a run, and later runs ----------------------------------------------------------
    def _recover_unsent(self) -> list[OutgoingMessage]:
        """Messages committed by an earlier run and not (yet) taken by the worker: a run that crashed
        between committing and enqueueing left them; the ones merely waiting on the queue go again, and
        the worker's claim sends each once."""
        now_epoch = int(clock.now().timestamp())
        found: list[OutgoingMessage] = []
        cursor: str | None = None
        while True:
            page = self.repo.recipients(self.tenant_id, self.campaign_id, [states.QUEUED], cursor, _READ_AHEAD)
            stale = [r for r in page.items if r.get("message_pk")]
            for start in range(0, len(stale), _MAX_PAGE):
                for message in self.repo.messages_of(stale[start:start + _MAX_PAGE]):
                    claim_alive = int(message.get("claim_expires_at", 0)) > now_epoch
                    if message.get("status") == "queued" and not claim_alive:
                        found.append(_outgoing(self.tenant_id, message))
            cursor = page.cursor
            if cursor is None:
                return found

    def _finish(self, campaign: dict[str, Any], total_seen: int) -> str | None:
        """After a pass with nothing pending left: an at-campaign is completed, a cron one waits for its next
        firing. None when recipients were added meanwhile (another pass is due)."""
        now = clock.now()
        expect = {"lease_owner": self.owner, "recipient_total": total_seen}  # nobody took over, nobody was added
        schedule = campaign.get("schedule") or {}
        if schedule.get("cron"):
            upcoming = next_fire(schedule["cron"], schedule.get("time_zone", "UTC"), now)
            extra = {"next_run_at": clock.iso(upcoming)} if upcoming else {}
            done = self.repo.transition(self.tenant_id, self.campaign_id, [states.RUNNING], states.SCHEDULED,
                                        clock.iso(now), extra, expect=expect)
            outcome = "waiting"
        else:
            done = self.repo.transition(self.tenant_id, self.campaign_id, [states.RUNNING], states.COMPLETED,
                                        clock.iso(now), {"completed_at": clock.iso(now)}, expect=expect)
            outcome = "completed"
        if done is None:
            current = self.repo.require(self.tenant_id, self.campaign_id)
            if current.get("status") != states.RUNNING or current.get("lease_owner") != self.owner:
                raise LeaseLost(self.campaign_id)
            return None
        if outcome == "completed":
            self.services.scheduler.delete(schedule_name(self.campaign_id))
            self.services.scheduler.delete(continuation_name(self.campaign_id))
        return outcome

    def _stop(self, reason: str) -> None:
        """Pause a campaign that cannot go on (its template or channel is gone); recipients stay pending."""
        self.repo.transition(self.tenant_id, self.campaign_id, [states.RUNNING], states.PAUSED,
                             clock.iso(clock.now()), {"status_reason": reason})
        logger.warning("campaign paused", campaign_id=self.campaign_id, reason=reason)

    def _continue_later(self, delay_seconds: int = 0) -> None:
        moment = clock.now() + timedelta(seconds=max(delay_seconds, NOW_LEAD_SECONDS))
        self.services.scheduler.put(ScheduleSpec(
            name=continuation_name(self.campaign_id), expression=at_expression(moment, "UTC"), time_zone="UTC",
            payload={"tenant_id": self.tenant_id, "campaign_id": self.campaign_id}, one_off=True))

    def _look_again_later(self, campaign: dict[str, Any]) -> None:
        """Another run holds the campaign. If it dies, its lease expires: a run after that picks up."""
        until = int(campaign.get("lease_until", 0))
        delay = max(0, until - int(clock.now().timestamp())) + RETRY_SECONDS
        self._continue_later(delay)


def _outgoing(tenant_id: str, message: dict[str, Any]) -> OutgoingMessage:
    return OutgoingMessage(OutboundJob(tenant_id=tenant_id, message_pk=message["pk"],
                                       message_sk=message["sk"]).body())


def dispatch(services: Services, tenant_id: str, campaign_id: str,
             remaining_ms: Callable[[], int] | None = None) -> RunResult:
    return Dispatch(services, tenant_id, campaign_id, remaining_ms).run()


def record_reply(services: Services, detail: dict[str, Any]) -> str | None:
    """A ``message.received`` event: the sender's latest campaign recipient on that channel replied."""
    if not detail.get("contact_id") or not detail.get("channel_id") or not detail.get("tenant_id"):
        return None
    at = str(detail.get("at") or clock.iso(clock.now()))
    return services.campaigns.mark_replied(detail["tenant_id"], detail["channel_id"], detail["contact_id"], at,
                                           detail.get("session_id"))
