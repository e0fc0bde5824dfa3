"""Status webhooks posted back to the runtime, each at its time, by one background thread."""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable


class CallbackScheduler:
    def __init__(self, deliver: Callable[[dict], None]) -> None:
        self.deliver = deliver
        self._heap: list[tuple[float, int, dict]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopped = False
        self.delivered = 0
        self.failures = 0

    def schedule(self, delay_s: float, payload: dict) -> None:
        with self._wake:
            heapq.heappush(self._heap, (time.monotonic() + delay_s, next(self._order), payload))
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
                _, _, payload = heapq.heappop(self._heap)
            try:
                self.deliver(payload)
                self.delivered += 1
            except Exception:  # noqa: BLE001 - a failed callback is counted, like Meta's retries would be
                self.failures += 1
