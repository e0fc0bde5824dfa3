"""Send slots: a channel's sends are counted per second, in the second the request will arrive in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from switchboard.outbound import ratelimit


class _Counter:
    """take_send_slot as the store answers it: up to ``limit`` per second."""

    def __init__(self) -> None:
        self.taken: dict[int, int] = {}

    def take_send_slot(self, tenant_id: str, channel_id: str, second: int, limit: int, count: int = 1) -> bool:
        if self.taken.get(second, 0) + count > limit:
            return False
        self.taken[second] = self.taken.get(second, 0) + count
        return True


@pytest.mark.parametrize(("fraction", "expected_offset", "expected_pause"), [(0.2, 0, 0.0), (0.9, 1, 0.1)])
def test_a_send_in_the_last_moments_of_a_second_counts_in_the_next_and_waits_for_it(
        monkeypatch: pytest.MonkeyPatch, fraction: float, expected_offset: int, expected_pause: float) -> None:
    base = 1_800_000_000
    monkeypatch.setattr(ratelimit.clock, "now", lambda: datetime.fromtimestamp(base + fraction, UTC))
    pauses: list[float] = []
    counter = _Counter()
    second = ratelimit.ChannelThroughput(counter, pauses.append).acquire("t", "c", 80, count=10)  # type: ignore[arg-type]
    assert second == base + expected_offset
    assert counter.taken == {base + expected_offset: 10}
    assert sum(pauses) == pytest.approx(expected_pause, abs=1e-6)


def test_a_full_second_makes_the_send_wait_for_the_next(monkeypatch: pytest.MonkeyPatch) -> None:
    base = 1_800_000_000
    now = [base + 0.5]
    monkeypatch.setattr(ratelimit.clock, "now", lambda: datetime.fromtimestamp(now[0], UTC))
    counter = _Counter()
    counter.taken[base] = 80

    def sleep(seconds: float) -> None:
        now[0] += seconds

    assert ratelimit.ChannelThroughput(counter, sleep).acquire("t", "c", 80) == base + 1  # type: ignore[arg-type]
    assert ratelimit.ChannelThroughput(counter, sleep).acquire("t", "c", 80, max_wait_s=0.0) == base + 1  # type: ignore[arg-type]
    counter.taken[base + 1] = 80
    assert ratelimit.ChannelThroughput(counter, sleep).acquire("t", "c", 80, max_wait_s=0.0) is None  # type: ignore[arg-type]
