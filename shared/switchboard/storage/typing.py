"""Typing indicators sent per session (``T#t#TYPING#<session_id>`` / ``TYPING``): the time of the last one, so
that a session gets at most one every few seconds however many operators press (docs/pricing.md)."""

from __future__ import annotations

from switchboard.storage import keys
from switchboard.storage.dynamo import ConditionFailed, Table


class TypingStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def take_typing_slot(self, tenant_id: str, session_id: str, now_ms: int, every_ms: int) -> int | None:
        """Record a typing indicator for the session unless one went out less than ``every_ms`` ago (one
        conditional write, so two operators at once send one). None when taken; otherwise the milliseconds
        until the next one may go."""
        key = keys.typing_indicator(tenant_id, session_id)
        try:
            self.table.update(key, "SET sent_at_ms = :now, #ttl = :expires",
                              {":now": now_ms, ":since": now_ms - every_ms, ":expires": now_ms // 1000 + 3600},
                              {"#ttl": keys.TTL_ATTRIBUTE},
                              condition="attribute_not_exists(pk) OR sent_at_ms <= :since")
            return None
        except ConditionFailed:
            pass
        item = self.table.get(key, consistent=True) or {}
        return max(1, int(item.get("sent_at_ms") or 0) + every_ms - now_ms)

    def give_back_typing_slot(self, tenant_id: str, session_id: str, now_ms: int) -> None:
        """The indicator could not be sent: free the slot this call took (only if it is still ours)."""
        try:
            self.table.delete(keys.typing_indicator(tenant_id, session_id), condition="sent_at_ms = :now",
                              values={":now": now_ms})
        except ConditionFailed:
            pass
