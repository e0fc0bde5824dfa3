"""The outbound side of the data table: staging a message (with its session and idempotency items) in
one transaction, the worker's claim on a queued message, and recording the outcome (the provider-id
alias written in the same transaction as ``sent``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from switchboard import clock
from switchboard.domain.messages import status_rank
from switchboard.domain.campaign_states import RANK_SKIPPED
from switchboard.storage import keys
from switchboard.storage.dynamo import (
    Table,
    Transaction,
    TransactionConflict,
    committed_unless_refused,
    is_conditional_failure,
)
from switchboard.storage.sessions import SessionColumns

CLAIM_FIELDS = ("claim_token", "claim_expires_at")
IDEMPOTENCY_DAYS = 1


def send_request_item(tenant_id: str, key: str, print_: str, message: dict[str, Any]) -> dict[str, Any]:
    """An ``Idempotency-Key`` of a send: the first request's fingerprint and message (kept a day)."""
    now = clock.now()
    return {**keys.send_request(tenant_id, key), "fingerprint": print_, "message_pk": message["pk"],
            "message_sk": message["sk"], "message_id": message["message_id"],
            "session_id": message.get("session_id"), "created_at": clock.iso(now),
            keys.TTL_ATTRIBUTE: int(now.timestamp()) + IDEMPOTENCY_DAYS * 86400}


class ClaimLost(Exception):
    """The message is no longer ours to record (another worker, or an operator, decided it)."""


@dataclass
class Staging:
    """Everything one accepted send writes before it is queued."""

    message: dict[str, Any]
    idempotency: dict[str, Any] | None = None
    transaction: Transaction = field(default_factory=Transaction)


class OutboundStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    # -- the API side -------------------------------------------------------------------------------
    def stage(self, staging: Staging) -> None:
        """Message, idempotency item and whatever else the caller added, atomically. Raises
        TransactionConflict (``failed_at(0)`` means the idempotency key was taken first)."""
        tx = Transaction()
        if staging.idempotency is not None:
            tx.put(staging.idempotency, condition="attribute_not_exists(pk)")
        tx.put(staging.message, condition="attribute_not_exists(pk)")
        tx.items.extend(staging.transaction.items)
        self.table.commit(tx)

    def send_request(self, tenant_id: str, idempotency_key: str) -> dict[str, Any] | None:
        return self.table.get(keys.send_request(tenant_id, idempotency_key), consistent=True)

    def load(self, pk: str, sk: str) -> dict[str, Any] | None:
        return self.table.get({"pk": pk, "sk": sk}, consistent=True)

    def load_many(self, wanted: list[tuple[str, str]]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for start in range(0, len(wanted), 100):
            chunk = [{"pk": pk, "sk": sk} for pk, sk in wanted[start:start + 100]]
            if chunk:
                found.extend(self.table.get_many(chunk, consistent=True))
        return found

    # -- the worker's claim -----------------------------------------------------------------------
    def claim(self, message: dict[str, Any], token: str, now_epoch: int, lease_seconds: int) -> bool:
        """Take a queued message for one send attempt. True when this worker won it."""
        try:
            self.table.update(_key(message), *_claim(token, now_epoch + lease_seconds))
            return True
        except ClientError as exc:
            if is_conditional_failure(exc):
                return False
            raise

    def claim_all(self, claims: list[tuple[dict[str, Any], str]], now_epoch: int, lease_seconds: int) -> bool:
        """Claim several queued messages (each with its token) in one transaction: all of them, or none
        (False: one was not queued and unclaimed any more, or the transaction met another; claim them one
        by one then). The messages must be distinct."""
        tx = Transaction()
        for message, token in claims:
            expression, values, names, condition = _claim(token, now_epoch + lease_seconds)
            tx.update(_key(message), expression, values, names, condition)
        return committed_unless_refused(self.table, tx, guard=None)

    def release(self, message: dict[str, Any], token: str) -> None:
        """Give a claim back after a retryable failure: nothing was sent."""
        try:
            self.table.update(_key(message), "REMOVE claim_token, claim_expires_at", {":t": token},
                              condition="claim_token = :t")
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise

    def media_uploaded(self, message: dict[str, Any], media_id: str) -> None:
        self.table.update(_key(message), "SET media_id = :m", {":m": media_id})

    # -- outcomes -------------------------------------------------------------------------------------
    def record_sent(self, message: dict[str, Any], token: str | None, provider_message_id: str,
                    at_iso: str) -> bool:
        """``sent`` with the provider id, and the alias statuses find it by, in one transaction.
        Returns whether statuses were parked for this provider id meanwhile (apply them: the same
        transaction checks that no parked status exists, which saves a query per send in the usual case).
        Raises ClaimLost when the claim is gone (the message was decided elsewhere)."""
        try:
            self._commit_sent(message, token, provider_message_id, at_iso, check_parked=True)
            return False
        except TransactionConflict as conflict:
            if conflict.failed_at(0):
                raise ClaimLost(message["message_id"]) from conflict
            if not any(conflict.failed_at(i) for i in range(2, len(conflict.reasons))):
                raise
        try:
            self._commit_sent(message, token, provider_message_id, at_iso, check_parked=False)
        except TransactionConflict as conflict:
            if conflict.failed_at(0):
                raise ClaimLost(message["message_id"]) from conflict
            raise
        return True

    def record_all_sent(self, sends: list[tuple[dict[str, Any], str, str]], at_iso: str) -> bool:
        """Several sends (message, token, provider id) recorded in one transaction, each as ``record_sent``
        records it when nothing was parked. False when the transaction was cancelled (a claim lost, a
        status parked, another transaction): nothing was written, record them one by one."""
        tx = Transaction()
        for message, token, provider_message_id in sends:
            self._sent_items(tx, message, token, provider_message_id, at_iso, check_parked=True)
        return committed_unless_refused(self.table, tx, guard=None)

    def _commit_sent(self, message: dict[str, Any], token: str | None, provider_message_id: str, at_iso: str,
                     check_parked: bool) -> None:
        tx = Transaction()
        self._sent_items(tx, message, token, provider_message_id, at_iso, check_parked)
        self.table.commit(tx)

    def _sent_items(self, tx: Transaction, message: dict[str, Any], token: str | None, provider_message_id: str,
                    at_iso: str, check_parked: bool) -> None:
        values: dict[str, Any] = {":s": "sent", ":r": status_rank("sent"), ":at": at_iso,
                                  ":pid": provider_message_id}
        condition = "status_rank < :r"
        if token is not None:
            values[":t"] = token
            condition += " AND claim_token = :t"
        tx.update(_key(message), "SET #status = :s, status_rank = :r, statuses.#sent = :at, "
                  "provider_message_id = :pid REMOVE claim_token, claim_expires_at", values,
                  {"#status": "status", "#sent": "sent"}, condition=condition)
        t = message["tenant_id"]
        alias: dict[str, Any] = {
            **keys.provider_id(t, provider_message_id), "message_pk": message["pk"],
            "message_sk": message["sk"], "direction": "out", "message_id": message["message_id"]}
        if message.get("session_id"):
            alias["session_id"] = message["session_id"]
        if message.get("status_mirrors"):
            alias["status_mirrors"] = message["status_mirrors"]
        tx.put(alias, condition="attribute_not_exists(pk)")
        if check_parked:  # statuses that overtook us are parked in one item (storage/statuses.py)
            tx.check(keys.parked_statuses(t, provider_message_id), "attribute_not_exists(pk)")

    def record_failed(self, message: dict[str, Any], token: str | None, error: dict[str, Any],
                      at_iso: str, mirror_skip: tuple[str, str] | None = None) -> bool:
        """``failed`` with Meta's code, title and details. With ``token``, only while the claim is ours;
        without, only while the message is still queued and unclaimed (or its claim is ``token``-less).
        ``mirror_skip`` (reason, detail): the records mirroring the message (campaign recipients) are
        ``skipped`` with that reason instead of ``failed`` (Meta's per-user marketing limit)."""
        values: dict[str, Any] = {":s": "failed", ":r": status_rank("failed"), ":at": at_iso, ":e": error,
                                  ":queued": "queued"}
        if token is not None:
            values[":t"] = token
            condition = "#status = :queued AND claim_token = :t"
        else:
            condition = "#status = :queued"
        try:
            self.table.update(_key(message), "SET #status = :s, status_rank = :r, statuses.#failed = :at, "
                              "#error = :e REMOVE claim_token, claim_expires_at", values,
                              {"#status": "status", "#failed": "failed", "#error": "error"}, condition=condition)
        except ClientError as exc:
            if is_conditional_failure(exc):
                return False
            raise
        for mirror in message.get("status_mirrors") or []:  # campaign recipients: forward only, as webhooks do
            if mirror_skip is not None:
                self._skip_mirror(mirror, mirror_skip, error, at_iso)
                continue
            try:
                self.table.update({"pk": mirror["pk"], "sk": mirror["sk"]}, "SET #status = :s, status_rank = :r, "
                                  "statuses.#failed = :at, #error = :e", {k: values[k] for k in (":s", ":r", ":at", ":e")},
                                  {"#status": "status", "#failed": "failed", "#error": "error"},
                                  condition="attribute_exists(pk) AND status_rank < :r")
            except ClientError as exc:
                if not is_conditional_failure(exc):
                    raise
        return True

    def _skip_mirror(self, mirror: dict[str, str], skip: tuple[str, str], error: dict[str, Any], at_iso: str) -> None:
        try:
            self.table.update({"pk": mirror["pk"], "sk": mirror["sk"]},
                              "SET #status = :s, status_rank = :r, statuses.#s = :at, reason = :reason, "
                              "detail = :detail, #error = :e",
                              {":s": "skipped", ":r": RANK_SKIPPED, ":at": at_iso, ":reason": skip[0],
                               ":detail": skip[1], ":e": error},
                              {"#status": "status", "#s": "skipped", "#error": "error"},
                              condition="attribute_exists(pk) AND status_rank < :r")
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise

    def session_last_status(self, message: dict[str, Any], status: str) -> None:
        """The session's last message shows the send's outcome, if it still is the last message."""
        if not message.get("session_id"):
            return
        # forward only, like the message: a "delivered" webhook that overtook the worker stays shown
        SessionColumns(self.table).last_status(message["tenant_id"], message["session_id"], message["message_id"],
                                               status, status_rank(status))

    # -- throughput -----------------------------------------------------------------------------------
    def take_send_slot(self, tenant_id: str, channel_id: str, epoch_second: int, limit: int,
                       count: int = 1) -> bool:
        """``count`` sends within ``epoch_second`` for the channel, if at most ``limit`` are taken then."""
        if count > limit:
            return False
        try:
            self.table.update(keys.send_rate(tenant_id, channel_id, epoch_second),
                              "ADD n :count SET expires_at = :ttl",
                              {":count": count, ":room": limit - count, ":ttl": epoch_second + 120},
                              condition="attribute_not_exists(n) OR n <= :room")
            return True
        except ClientError as exc:
            if is_conditional_failure(exc):
                return False
            raise


def _claim(token: str, expires_epoch: int) -> tuple[str, dict[str, Any], dict[str, str], str]:
    """The claim's update: expression, values, names, condition."""
    return ("SET claim_token = :t, claim_expires_at = :exp ADD attempts :one",
            {":t": token, ":exp": expires_epoch, ":one": 1, ":queued": "queued"}, {"#status": "status"},
            "#status = :queued AND attribute_not_exists(claim_token)")


def _key(message: dict[str, Any]) -> dict[str, str]:
    return {"pk": message["pk"], "sk": message["sk"]}
