"""Two processes on one key, simulated on a fake clock: a fixed-window server and two pacers
that know nothing of each other. Nothing here waits on the wall clock.

Each pacer takes only its share of what remains (its part of the window's use), so together
they stay within the limit; a process that started later also catches up towards an even
split, instead of keeping the small share it started with.
"""

from __future__ import annotations

import heapq
import math
from typing import Any

import pytest

from nebius_inference._fair_share import spread_lift
from nebius_inference.pacing import Pacer

WINDOW, LIMIT, TOKENS = 10.0, 600, 300_000
ROUND_TRIP = 0.05
CONCURRENCY = 64
BODY = {"model": "m", "messages": [{"role": "user", "content": "Say 12 in words."}]}
USAGE = b'{"usage": {"prompt_tokens": 14, "completion_tokens": 10}}'


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def simulate(jobs: int, starts: tuple[float, ...]) -> tuple[list[float], int]:
    """Each process sends ``jobs`` requests, 64 in flight, from its start time; a 429 is sent
    again. Returns when each process finished and how many 429s the server answered."""
    clock = Clock()
    pacers = [Pacer(clock=clock) for _ in starts]
    left, flying = [jobs] * len(starts), [0] * len(starts)
    finished = [math.inf] * len(starts)
    window, used, rejected, order = 0.0, 0, 0, 0
    events: list[tuple[float, int, str, int, Any]] = []
    next_try = [math.inf] * len(starts)  # one pending "try" per process, the earliest

    def push(at: float, kind: str, p: int, data: Any = None) -> None:
        nonlocal order
        if kind == "try":
            if at >= next_try[p]:
                return
            next_try[p] = at
        order += 1
        heapq.heappush(events, (at, order, kind, p, data))

    for p, start in enumerate(starts):
        push(start, "try", p)
    while events:
        now, _, kind, p, data = heapq.heappop(events)
        clock.now = now
        if kind == "try":
            if now != next_try[p]:
                continue  # superseded by an earlier one
            next_try[p] = math.inf
            while left[p] and flying[p] < CONCURRENCY:
                permit, wait = pacers[p].try_acquire(BODY)
                if permit is None and wait > 0:
                    push(now + wait, "try", p)
                    break
                left[p] -= 1
                flying[p] += 1
                push(now + ROUND_TRIP / 2, "arrive", p, permit)
        elif kind == "arrive":
            while now >= window + WINDOW:
                window, used = window + WINDOW, 0
            status = 200 if used < LIMIT else 429
            used += status == 200
            rejected += status == 429
            reset = f"{window + WINDOW - now:.3f}"
            headers = {
                "x-ratelimit-limit-requests": str(LIMIT),
                "x-ratelimit-remaining-requests": str(LIMIT - used),
                "x-ratelimit-reset-requests": reset,
                "x-ratelimit-limit-tokens": str(TOKENS),
                "x-ratelimit-remaining-tokens": str(TOKENS - 30 * used),
                "x-ratelimit-reset-tokens": reset,
            }
            if status == 429:
                headers.update({"retry-after": "1", "x-ratelimit-over-limit": "yes"})
            push(now + ROUND_TRIP / 2, "reply", p, (data, status, headers))
        else:
            permit, status, headers = data
            pacers[p].settle(permit, BODY, status, headers, USAGE)
            flying[p] -= 1
            left[p] += status == 429
            if not left[p] and not flying[p]:
                finished[p] = min(finished[p], now)
            push(now, "try", p)
    return finished, rejected


def test_alone_a_process_sends_at_the_limit() -> None:
    [done], rejected = simulate(3000, (0.0,))
    assert rejected == 0
    assert done == pytest.approx(50, abs=1)  # 3,000 requests at 600 per 10 s


@pytest.mark.parametrize("late", [0.3, 1.0])
def test_a_process_that_starts_later_catches_up(late: float) -> None:
    (first, second), rejected = simulate(1500, (0.0, late))
    assert rejected == 0
    assert max(first, second) == pytest.approx(50, abs=1)  # together: the whole limit
    # Each did half: an even split ends them together. The one that started first had the
    # limit to itself for a moment, so it ends somewhat sooner, but not with the other at
    # a third of the limit (the split a share kept as it started would give: 37 s vs 50 s).
    assert min(first, second) / max(first, second) >= 0.86


def test_the_lift_is_nothing_alone_and_never_beyond_what_remains() -> None:
    assert spread_lift(None, 0.5) == 0.0
    assert spread_lift(100, 1.0) == 0.0
    assert spread_lift(100, 0.25) == pytest.approx(25)  # spread as if 50 were ours, not 25
    for share in (0.05, 0.3, 0.5, 0.9):
        assert share * 100 + spread_lift(100, share) <= 100
