"""Status webhooks posted back to the runtime, each at its time, by one background thread. Statuses due at
the same moment go out together, up to ``max_batch`` per delivery (Meta aggregates up to 1,000 updates in
one POST, though not always: one per POST is the default). A delivery that fails (no answer, or not a 2xx)
is tried again later, as Meta retries webhooks: after 1, 2, 4, ... seconds, ``MAX_ATTEMPTS`` times."""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable

MAX_ATTEMPTS = 6
AGGREGATION_S = 0.05  # statuses due within this much of each other count as due together


class CallbackScheduler:
    def __init__(self, deliver: Callable[[list[dict]], None]) -> None:
        self.deliver = deliver
        self.max_batch = 1
        self._heap: list[tuple[float, int, dict, int]] = []  # (due, order, payload, attempts so far)
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopped = False
        self.delivered = 0
        self.failures = 0

    def schedule(self, delay_s: float, payload: dict, attempts: int = 0) -> None:
        with self._wake:
            heapq.heappush(self._heap, (time.monotonic() + delay_s, next(self._order), payload, attempts))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="graph-sim-callbacks", daemon=True)
                self._thread.start()
            self._wake.notify()

    def pending(self) -> int:
        with self._wake:
            return len(self._heap)

    def stop(self) -> None:
        with self._wake:
            self._stopped = True
            self._heap.clear()
            self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._stopped and (not self._heap or self._heap[0][0] > time.monotonic()):
                    timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._wake.wait(timeout)
                if self._stopped:
                    return
                now = time.monotonic()
                due = [heapq.heappop(self._heap)]
                while self._heap and self._heap[0][0] <= now + AGGREGATION_S and len(due) < self.max_batch:
                    due.append(heapq.heappop(self._heap))
            try:
                self.deliver([payload for _, _, payload, _ in due])
                self.delivered += len(due)
            except Exception:  # noqa: BLE001 - counted, and tried again later as Meta would
                self.failures += len(due)
                for _, _, payload, attempts in due:
                    if attempts + 1 < MAX_ATTEMPTS:
                        self.schedule(2.0 ** attempts, payload, attempts + 1)
