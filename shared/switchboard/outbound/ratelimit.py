"""A channel's throughput across every concurrent worker: one DynamoDB counter per channel and second
(``ADD n :one`` conditioned on ``n < :limit``, expiring by TTL). A full second means waiting for the
next one; after ``max_wait_s`` the caller gives the record back to the queue instead. A slot is good for
its second only: a send that is about to go out in a later second takes a slot in that one (the provider
counts the second in which the request arrives). A send does not start in the last ``EDGE_S`` of a
second: it takes a slot in the next one and waits for it, so that the time between taking the slot and
the request's arrival cannot carry it over into a second that is already full."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from switchboard import clock
from switchboard.storage.outbound import OutboundStore


EDGE_S = 0.15


def slot_second(now: float) -> int:
    """The second a send starting at ``now`` counts in."""
    return int(now + EDGE_S)


class ChannelThroughput:
    def __init__(self, store: OutboundStore, sleep: Callable[[float], None] = time.sleep) -> None:
        self.store = store
        self.sleep = sleep

    def acquire(self, tenant_id: str, channel_id: str, limit: int, max_wait_s: float = 3.0,
                count: int = 1) -> int | None:
        """Take ``count`` sends in the current second (waiting for a later one if needed). Returns the
        second the slots are in; None when no second had room within ``max_wait_s``."""
        waited = 0.0
        while True:
            now = clock.now().timestamp()
            second = slot_second(now)
            if self.store.take_send_slot(tenant_id, channel_id, second, limit, count):
                if second > now:  # in the edge of the previous second: start with this one
                    self.sleep(second - now)
                return second
            pause = (second + 1 - now) + random.uniform(0.0, 0.02)  # noqa: S311 - jitter, not security
            if waited + pause > max_wait_s:
                return None
            self.sleep(pause)
            waited += pause
