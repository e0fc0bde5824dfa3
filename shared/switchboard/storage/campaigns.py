"""Campaigns, their recipients and the writes that move recipients along, each a conditional write or a
transaction so that two dispatchers, a redelivered trigger or a crashed run can never send twice.

  campaign     T#t#CAMP#<id> / CAMPAIGN        (GSI1 T#t#CAMPAIGNS / <created>#<id>)
  recipient    T#t#CAMP#<id> / R#<contact_id>  status (pending, queued..failed mirrored from the message,
                                               replied, skipped), status_rank, statuses, reason
  reply index  T#t#CAMPRCPT#<channel>#<contact> / CAMPRCPT -> the recipient last queued for that contact

Counts per state are read with one consistent query of the campaign's partition (projecting the status
only), so they can never drift from the recipients themselves; see docs/campaigns.md for the trade-off."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from switchboard.domain import campaign_states as states
from switchboard.errors import Conflict, NotFound
from switchboard.storage import keys
from switchboard.storage.dynamo import (
    Table,
    Transaction,
    TransactionConflict,
    committed_unless_refused,
    is_conditional_failure,
)
from switchboard.storage.pagination import Page, decode_cursor, encode_cursor

_MAX_TRANSACTION_ITEMS = 100
_CONFLICT_ATTEMPTS = 6


_CLAIM_FIELDS = ("claim_token", "claim_expires_at")


@dataclass(frozen=True)
class QueuedSend:
    """A recipient moving pending -> queued, with the outbound message written in the same transaction."""

    contact_id: str
    message: dict[str, Any]
    reply_index: dict[str, Any]
    added_at: str | None = None  # the recipient's, kept when it is rewritten as queued


@dataclass(frozen=True)
class Skip:
    contact_id: str
    reason: str
    detail: str


class LeaseLost(Exception):
    """The campaign was paused or cancelled, or another dispatch holds it: stop dispatching."""


def retrying(action: Callable[[], Any], attempts: int = 3) -> Any:
    """A read or a conditional write again after a transient AWS failure (a timeout, throttling, a 5xx).
    Every write of a dispatch page is safe to repeat (``commit_page`` adopts what an earlier attempt of
    its own committed)."""
    for attempt in range(attempts):
        try:
            return action()
        except (BotoCoreError, ClientError):
            if attempt == attempts - 1:
                raise
            time.sleep(2.0 * (attempt + 1))
    raise AssertionError("unreachable")


def _jitter() -> None:
    time.sleep(random.uniform(0.005, 0.05))  # noqa: S311 - jitter, not security


def campaign_item(tenant_id: str, campaign_id: str, now_iso: str) -> dict[str, Any]:
    """A campaign's keys (and its place in the tenant's list, newest first by creation)."""
    return {**keys.campaign(tenant_id, campaign_id), keys.GSI1_PK: keys.campaigns_index(tenant_id),
            keys.GSI1_SK: f"{now_iso}#{campaign_id}", "campaign_id": campaign_id, "tenant_id": tenant_id}


def recipient_key_of(tenant_id: str, campaign_id: str, contact_id: str) -> dict[str, str]:
    return keys.campaign_recipient(tenant_id, campaign_id, contact_id)


def reply_index_item(tenant_id: str, channel_id: str, contact_id: str, campaign_id: str,
                     recipient_key: dict[str, str], now_iso: str) -> dict[str, Any]:
    """Which campaign recipient the contact's next reply on the channel belongs to."""
    return {**keys.campaign_reply_index(tenant_id, channel_id, contact_id), "campaign_id": campaign_id,
            "recipient_pk": recipient_key["pk"], "recipient_sk": recipient_key["sk"], "queued_at": now_iso}


class CampaignRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    # -- campaigns --------------------------------------------------------------------------------------
    def opted_out(self, tenant_id: str, channel_id: str, wa_ids: list[str]) -> set[str]:
        """Which of these WhatsApp ids opted out of marketing on the channel (one BatchGetItem)."""
        if not wa_ids:
            return set()
        wanted = {keys.opt_out(tenant_id, channel_id, wa)["pk"]: wa for wa in wa_ids}
        found = self.table.get_many([keys.opt_out(tenant_id, channel_id, wa) for wa in wa_ids])
        return {wanted[item["pk"]] for item in found if item.get("opted_out") and item["pk"] in wanted}

    def messages_of(self, recipients: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The queued messages of campaign recipients (up to 100, one BatchGetItem)."""
        if not recipients:
            return []
        return self.table.get_many([{"pk": r["message_pk"], "sk": r["message_sk"]} for r in recipients],
                                   consistent=True)

    def create(self, item: dict[str, Any]) -> None:
        self.table.put(item, condition="attribute_not_exists(pk)")

    def get(self, tenant_id: str, campaign_id: str, consistent: bool = True) -> dict[str, Any] | None:
        return self.table.get(keys.campaign(tenant_id, campaign_id), consistent=consistent)

    def require(self, tenant_id: str, campaign_id: str) -> dict[str, Any]:
        item = self.get(tenant_id, campaign_id)
        if item is None:
            raise NotFound("no such campaign", campaign_id=campaign_id)
        return item

    def list(self, tenant_id: str, cursor: str | None, limit: int) -> Page:
        partition = keys.campaigns_index(tenant_id)
        query: dict[str, Any] = {
            "IndexName": keys.GSI1, "KeyConditionExpression": "gsi1pk = :p",
            "ExpressionAttributeValues": {":p": partition}, "ScanIndexForward": False, "Limit": limit}
        start = decode_cursor(cursor, keys.GSI1_PK, partition)
        if start:
            query["ExclusiveStartKey"] = start
        response = self.table.query(**query)
        return Page(response["Items"], encode_cursor(response.get("LastEvaluatedKey")))

    def transition(self, tenant_id: str, campaign_id: str, allowed_from: Iterable[str], to: str,
                   now_iso: str, extra: dict[str, Any] | None = None, remove: Iterable[str] = (),
                   expect: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """Move the campaign to ``to`` if its status is one of ``allowed_from`` (and each attribute of
        ``expect`` has its value). Returns the new item, or None when the condition failed."""
        sets = {"status": to, "updated_at": now_iso, **(extra or {})}
        names = {f"#f{i}": name for i, name in enumerate(sets)}
        expression_values: dict[str, Any] = {f":v{i}": value for i, value in enumerate(sets.values())}
        expression = "SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(sets)))
        removed = list(remove)
        if removed:
            names.update({f"#r{i}": name for i, name in enumerate(removed)})
            expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(removed)))
        allowed = list(allowed_from)
        expression_values.update({f":from{i}": status for i, status in enumerate(allowed)})
        names["#status"] = "status"
        full_condition = "attribute_exists(pk) AND #status IN (" + ", ".join(
            f":from{i}" for i in range(len(allowed))) + ")"
        for i, (name, value) in enumerate((expect or {}).items()):
            names[f"#e{i}"] = name
            expression_values[f":e{i}"] = value
            full_condition += f" AND #e{i} = :e{i}"
        try:
            return self.table.update(keys.campaign(tenant_id, campaign_id), expression, expression_values,
                                     names, condition=full_condition, return_values="ALL_NEW")
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise
            return None

    # -- the dispatch lease ---------------------------------------------------------------------------
    def acquire(self, tenant_id: str, campaign_id: str, owner: str, now_epoch: int, lease_seconds: int,
                now_iso: str) -> dict[str, Any] | None:
        """Take the campaign for one dispatch run: it must be scheduled or running and not held by a live
        run. Marks it running and counts the run (``runs``). Returns the campaign, or None."""
        try:
            return self.table.update(
                keys.campaign(tenant_id, campaign_id),
                "SET #status = :running, lease_owner = :o, lease_until = :until, updated_at = :now, "
                "started_at = if_not_exists(started_at, :now), runs = if_not_exists(runs, :zero) + :one "
                "REMOVE next_run_at",
                {":running": states.RUNNING, ":scheduled": states.SCHEDULED, ":o": owner,
                 ":until": now_epoch + lease_seconds, ":now": now_iso, ":epoch": now_epoch, ":zero": 0, ":one": 1},
                {"#status": "status"},
                condition="#status IN (:scheduled, :running) AND "
                          "(attribute_not_exists(lease_until) OR lease_until < :epoch)",
                return_values="ALL_NEW")
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise
            return None

    def renew(self, tenant_id: str, campaign_id: str, owner: str, now_epoch: int, lease_seconds: int) -> None:
        """Extend the lease; LeaseLost when the campaign was paused, cancelled or taken."""
        try:
            self.table.update(keys.campaign(tenant_id, campaign_id), "SET lease_until = :until",
                              {":until": now_epoch + lease_seconds, ":o": owner, ":running": states.RUNNING},
                              {"#status": "status"}, condition="lease_owner = :o AND #status = :running")
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise
            raise LeaseLost(campaign_id) from exc

    def release(self, tenant_id: str, campaign_id: str, owner: str) -> None:
        try:
            self.table.update(keys.campaign(tenant_id, campaign_id), "REMOVE lease_owner, lease_until",
                              {":o": owner}, condition="lease_owner = :o")
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise

    # -- recipients -------------------------------------------------------------------------------------
    def add_recipients(self, tenant_id: str, campaign_id: str, contact_ids: list[str], now_iso: str) -> int:
        """Add recipients (pending) that are not in the campaign yet; the campaign's total grows in the same
        transaction, which is refused once the campaign has ended. Returns how many were added."""
        added = 0
        unique = list(dict.fromkeys(contact_ids))
        for start in range(0, len(unique), _MAX_TRANSACTION_ITEMS - 1):
            added += self._add_chunk(tenant_id, campaign_id, unique[start:start + _MAX_TRANSACTION_ITEMS - 1],
                                     now_iso)
        return added

    def _add_chunk(self, tenant_id: str, campaign_id: str, contact_ids: list[str], now_iso: str) -> int:
        remaining = list(contact_ids)
        for _ in range(_CONFLICT_ATTEMPTS + len(contact_ids)):
            if not remaining:
                return 0
            tx = Transaction()
            allowed = {f":s{i}": status for i, status in enumerate(states.OPEN_FOR_RECIPIENTS)}
            tx.update(keys.campaign(tenant_id, campaign_id), "ADD recipient_total :n SET updated_at = :now",
                      {":n": len(remaining), ":now": now_iso, **allowed}, {"#status": "status"},
                      condition=f"attribute_exists(pk) AND #status IN ({', '.join(allowed)})")
            for contact_id in remaining:
                tx.put({**keys.campaign_recipient(tenant_id, campaign_id, contact_id), "contact_id": contact_id,
                        "campaign_id": campaign_id, "status": states.PENDING, "status_rank": states.RANK_PENDING,
                        "statuses": {}, "added_at": now_iso}, condition="attribute_not_exists(pk)")
            try:
                self.table.commit(tx)
                return len(remaining)
            except TransactionConflict as conflict:
                if conflict.failed_at(0):
                    raise Conflict("recipients can be added only until the campaign ends",
                                   code="campaign_finished", campaign_id=campaign_id) from conflict
                present = {remaining[i - 1] for i in range(1, len(conflict.reasons)) if conflict.failed_at(i)}
                if not present:
                    _jitter()
                remaining = [c for c in remaining if c not in present]
        raise Conflict("recipients could not be added; try again", code="concurrent_update")

    def recipients(self, tenant_id: str, campaign_id: str, statuses: list[str] | None, cursor: str | None,
                   limit: int, max_reads: int = 8) -> Page:
        """Recipients by contact id, optionally only those in ``statuses``; reads on until ``limit`` are
        found or the partition ends (a filtered page may otherwise come back short)."""
        partition = keys.campaign_partition(tenant_id, campaign_id)
        start = decode_cursor(cursor, keys.PK, partition)
        found: list[dict[str, Any]] = []
        last: dict[str, Any] | None = None
        for _ in range(max_reads):
            query: dict[str, Any] = {
                "KeyConditionExpression": "pk = :p AND begins_with(sk, :r)", "ConsistentRead": True,
                "ExpressionAttributeValues": {":p": partition, ":r": "R#"}, "Limit": limit - len(found)}
            if statuses:
                query["FilterExpression"] = "#status IN (" + ", ".join(f":s{i}" for i in range(len(statuses))) + ")"
                query["ExpressionAttributeNames"] = {"#status": "status"}
                query["ExpressionAttributeValues"].update({f":s{i}": s for i, s in enumerate(statuses)})
            if start:
                query["ExclusiveStartKey"] = start
            response = self.table.query(**query)
            found.extend(response["Items"])
            last = response.get("LastEvaluatedKey")
            if not last or len(found) >= limit:
                break
            start = last
        return Page(found, encode_cursor(last))

    def counts(self, tenant_id: str, campaign_id: str) -> dict[str, int]:
        """How many recipients are in each state, from one consistent read of the partition."""
        tally: Counter[str] = Counter()
        query: dict[str, Any] = {
            "KeyConditionExpression": "pk = :p AND begins_with(sk, :r)", "ConsistentRead": True,
            "ProjectionExpression": "#status", "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {":p": keys.campaign_partition(tenant_id, campaign_id), ":r": "R#"}}
        tally.update(states.state_of(str(item.get("status", states.PENDING)))
                     for item in self.table.query_items(**query))
        return {state: tally.get(state, 0) for state in states.RECIPIENT_STATES}

    def get_recipient(self, key: dict[str, str]) -> dict[str, Any] | None:
        return self.table.get(key, consistent=True)

    # -- dispatch writes ------------------------------------------------------------------------------
    def commit_page(self, tenant_id: str, campaign_id: str, owner: str, sends: list[QueuedSend],
                    skips: list[Skip], now_iso: str) -> list[QueuedSend]:
        """Move recipients out of pending: queued with their message (and reply index), or skipped with the
        reason. Every change is conditioned on the recipient still being pending and on this run still
        holding a running campaign. Returns the sends that were committed by this call (a recipient taken
        by someone else is left out); raises LeaseLost when the campaign stopped."""
        committed: list[QueuedSend] = []
        chunk: list[QueuedSend | Skip] = []
        items = 1
        for change in [*sends, *skips]:
            size = 3 if isinstance(change, QueuedSend) else 1
            if items + size > _MAX_TRANSACTION_ITEMS:
                committed += self._commit_chunk(tenant_id, campaign_id, owner, chunk, now_iso)
                chunk, items = [], 1
            chunk.append(change)
            items += size
        if chunk:
            committed += self._commit_chunk(tenant_id, campaign_id, owner, chunk, now_iso)
        return committed

    def _commit_chunk(self, tenant_id: str, campaign_id: str, owner: str, chunk: list[QueuedSend | Skip],
                      now_iso: str) -> list[QueuedSend]:
        remaining = list(chunk)
        adopted: list[QueuedSend] = []
        for _ in range(_CONFLICT_ATTEMPTS + len(chunk)):
            if not remaining:
                return adopted
            tx = Transaction()
            tx.check(keys.campaign(tenant_id, campaign_id), "lease_owner = :o AND #status = :running",
                     {":o": owner, ":running": states.RUNNING}, {"#status": "status"})
            owners: list[int] = []  # the index of each transaction item's change in ``remaining``
            for position, change in enumerate(remaining):
                key = keys.campaign_recipient(tenant_id, campaign_id, change.contact_id)
                if isinstance(change, QueuedSend):
                    message = change.message
                    # The whole recipient, written anew: a pending recipient holds nothing else, and a put
                    # costs the store less than an update expression.
                    queued = {**key, "contact_id": change.contact_id, "campaign_id": campaign_id,
                              "status": states.QUEUED, "status_rank": states.RANK_QUEUED,
                              "statuses": {states.QUEUED: now_iso}, "message_id": message["message_id"],
                              "message_pk": message["pk"], "message_sk": message["sk"], "queued_at": now_iso}
                    if change.added_at:
                        queued["added_at"] = change.added_at
                    tx.put(queued, condition="#status = :pending", values={":pending": states.PENDING},
                           names={"#status": "status"})
                    tx.put(message, condition="attribute_not_exists(pk)")
                    tx.put(change.reply_index)
                    owners += [position, position, position]
                else:
                    tx.update(key, "SET #status = :skipped, status_rank = :rank, reason = :reason, "
                              "detail = :detail, statuses = :statuses",
                              {":skipped": states.SKIPPED, ":rank": states.RANK_SKIPPED, ":reason": change.reason,
                               ":detail": change.detail, ":statuses": {states.SKIPPED: now_iso},
                               ":pending": states.PENDING},
                              {"#status": "status"}, condition="#status = :pending")
                    owners.append(position)
            try:
                self.table.commit(tx)
                return adopted + [c for c in remaining if isinstance(c, QueuedSend)]
            except TransactionConflict as conflict:
                if conflict.failed_at(0):
                    raise LeaseLost(campaign_id) from conflict
                taken = {owners[i - 1] for i in range(1, len(conflict.reasons)) if conflict.failed_at(i)}
                if not taken:
                    _jitter()  # a concurrent transaction touched one of the items: try again
                adopted += self._already_ours([c for i, c in enumerate(remaining) if i in taken])
                remaining = [c for i, c in enumerate(remaining) if i not in taken]
        raise LeaseLost(campaign_id)

    def _already_ours(self, taken: list[QueuedSend | Skip]) -> list[QueuedSend]:
        """Recipients no longer pending that hold the very message we meant to write (its id comes from
        campaign and contact): an earlier attempt of this write did commit (a retried request whose first
        answer was lost). Their messages still have to be enqueued; the worker's claim sends each once."""
        sends = {c.contact_id: c for c in taken if isinstance(c, QueuedSend)}
        if not sends:
            return []
        ours = []
        for item in self.table.get_many([keys.campaign_recipient(c.message["tenant_id"], c.message["campaign_id"],
                                                                 contact_id) for contact_id, c in sends.items()],
                                        consistent=True):
            change = sends.get(str(item.get("contact_id")))
            if change and item.get("message_id") == change.message["message_id"] and item.get("message_pk"):
                ours.append(QueuedSend(change.contact_id, {**change.message, "pk": item["message_pk"],
                                                           "sk": item["message_sk"]}, change.reply_index,
                                       change.added_at))
        return ours

    def mark_replied(self, tenant_id: str, channel_id: str, contact_id: str, at_iso: str,
                     session_id: str | None = None) -> str | None:
        """Mark the contact's latest campaign recipient on the channel as replied (forward only: only a
        recipient whose message was queued before the reply), and show the campaign's message in the
        session the reply is in, above it. Returns the campaign id, or None."""
        index = self.table.get(keys.campaign_reply_index(tenant_id, channel_id, contact_id), consistent=True)
        if index is None:
            return None
        try:
            recipient = self.table.update(
                {"pk": index["recipient_pk"], "sk": index["recipient_sk"]},
                "SET #status = :replied, status_rank = :rank, statuses.#replied = :at, replied_at = :at",
                {":replied": states.REPLIED, ":rank": states.RANK_REPLIED, ":at": at_iso,
                 ":queued": states.RANK_QUEUED},
                {"#status": "status", "#replied": states.REPLIED},
                condition="status_rank >= :queued AND status_rank < :rank AND queued_at <= :at",
                return_values="ALL_NEW")
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise
            return None
        if session_id and recipient.get("message_pk"):
            self._show_in_session(tenant_id, session_id, {"pk": recipient["message_pk"],
                                                          "sk": recipient["message_sk"]})
        return str(index["campaign_id"])

    def _show_in_session(self, tenant_id: str, session_id: str, message_key: dict[str, str]) -> None:
        """A copy of the campaign message in the reply's session (same sort key: its time, so above the
        reply), once; its ticks follow the original's (a status mirror on its provider-id alias). The
        original stays on the contact's timeline, the one entry its history shows."""
        message = self.table.get(message_key, consistent=True)
        if message is None:
            return
        copy = {k: v for k, v in message.items() if k not in ("status_mirrors", "graph_payload", *_CLAIM_FIELDS)}
        copy.update(pk=keys.session_partition(tenant_id, session_id), session_id=session_id, copy_of=message_key)
        tx = Transaction()
        tx.put(copy, condition="attribute_not_exists(pk)")
        if message.get("provider_message_id"):
            tx.update(keys.provider_id(tenant_id, str(message["provider_message_id"])),
                      "SET status_mirrors = list_append(if_not_exists(status_mirrors, :none), :copy)",
                      {":none": [], ":copy": [{"pk": copy["pk"], "sk": copy["sk"]}]}, condition="attribute_exists(pk)")
        committed_unless_refused(self.table, tx, guard=None)
