"""Pacing by the server's own rate-limit headers: the decisions, without I/O or a clock.

The API answers with ``x-ratelimit-remaining-requests|tokens`` and
``x-ratelimit-reset-requests|tokens`` (seconds) per model, and a 429 with ``Retry-After``. A
:class:`Pacer` keeps, per model, what the server last said remains, the requests and estimated
tokens in flight since, and when the window resets; :meth:`Pacer.acquire` says how long to
wait before the next request instead of sending it into a wall. The caller passes the time
(``time.monotonic()`` in the clients, a fake clock in tests).

A model the server never sent such headers for, and never answered 429 for, costs one dict
lookup: the pacer says "send now" and keeps nothing. Where a 429 comes without headers, the
pacer spaces requests out, doubling the spacing on each 429 and shrinking it by a fixed step on
each success (additive increase of the rate, multiplicative decrease).

This module is not wired into the clients yet.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Pacer", "RateLimitHeaders", "parse_rate_limit_headers"]

# Spacing after a 429 that carried neither Retry-After nor rate-limit headers, its ceiling, and
# the step by which each success shrinks it.
FIRST_SPACING = 0.05
MAX_SPACING = 30.0
SPACING_STEP = 0.01


@dataclass(frozen=True)
class RateLimitHeaders:
    """What one reply said about its model's limits (``None``: the header was absent)."""

    remaining_requests: int | None = None
    remaining_tokens: int | None = None
    reset_requests: float | None = None
    reset_tokens: float | None = None
    retry_after: float | None = None


def _number(headers: Mapping[str, str], name: str) -> float | None:
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        value = float(raw.strip().removesuffix("s"))
    except ValueError:
        return None
    return value if value >= 0 and value == value and value != float("inf") else None


def parse_rate_limit_headers(headers: Mapping[str, str]) -> RateLimitHeaders | None:
    """The rate-limit facts in ``headers`` (a case-insensitive mapping), or ``None`` if none.

    Values that are not non-negative finite numbers are ignored, as if absent.
    """
    remaining_requests = _number(headers, "x-ratelimit-remaining-requests")
    remaining_tokens = _number(headers, "x-ratelimit-remaining-tokens")
    found = RateLimitHeaders(
        remaining_requests=None if remaining_requests is None else int(remaining_requests),
        remaining_tokens=None if remaining_tokens is None else int(remaining_tokens),
        reset_requests=_number(headers, "x-ratelimit-reset-requests"),
        reset_tokens=_number(headers, "x-ratelimit-reset-tokens"),
        retry_after=_number(headers, "retry-after"),
    )
    return None if found == RateLimitHeaders() else found


@dataclass
class _Budget:
    """One resource (requests or tokens) of one model."""

    remaining: int
    reset_at: float  # when the server's window refills
    in_flight: int = 0

    def wait(self, cost: int, now: float) -> float:
        if now >= self.reset_at:
            return 0.0  # the window has refilled: the next reply tells us the new figure
        if self.remaining - self.in_flight >= cost:
            return 0.0
        return self.reset_at - now


@dataclass
class _Model:
    requests: _Budget | None = None
    tokens: _Budget | None = None
    blocked_until: float = 0.0
    spacing: float = 0.0
    last_sent: float = float("-inf")


class Pacer:
    """Per-model pacing decisions; thread-safe (one lock, held only for arithmetic)."""

    def __init__(self) -> None:
        self._models: dict[str, _Model] = {}
        self._lock = threading.Lock()

    def acquire(self, model: str, tokens: int, now: float) -> float:
        """Seconds to wait before sending a request for ``model`` estimated at ``tokens``.

        ``0.0`` means send now: the request is then counted in flight until :meth:`observe`.
        After a positive answer, wait that long and ask again.
        """
        state = self._models.get(model)
        if state is None:
            return 0.0
        with self._lock:
            wait = max(state.blocked_until - now, state.last_sent + state.spacing - now, 0.0)
            if state.requests is not None:
                wait = max(wait, state.requests.wait(1, now))
            if state.tokens is not None:
                wait = max(wait, state.tokens.wait(tokens, now))
            if wait > 0:
                return wait
            state.last_sent = now
            if state.requests is not None and now < state.requests.reset_at:
                state.requests.in_flight += 1
            if state.tokens is not None and now < state.tokens.reset_at:
                state.tokens.in_flight += tokens
            return 0.0

    def observe(
        self,
        model: str,
        status: int,
        headers: Mapping[str, str],
        now: float,
        *,
        tokens: int = 0,
    ) -> None:
        """Learn from the reply to a request :meth:`acquire` let through (``tokens``: its
        estimate, returned to the budget now that the server's figure includes it)."""
        facts = parse_rate_limit_headers(headers)
        state = self._models.get(model)
        if state is None:
            if facts is None and status != 429:
                return  # the common case without headers: nothing to keep
            state = self._models.setdefault(model, _Model())
        with self._lock:
            for budget, cost in ((state.requests, 1), (state.tokens, tokens)):
                if budget is not None:
                    budget.in_flight = max(0, budget.in_flight - cost)
            if facts is not None:
                self._learn(state, facts, now)
            if status == 429:
                if facts is not None and facts.retry_after is not None:
                    state.blocked_until = max(state.blocked_until, now + facts.retry_after)
                elif facts is None:
                    state.spacing = min(max(state.spacing * 2, FIRST_SPACING), MAX_SPACING)
            elif status < 400 and state.spacing:
                state.spacing = max(0.0, state.spacing - SPACING_STEP)

    @staticmethod
    def _learn(state: _Model, facts: RateLimitHeaders, now: float) -> None:
        if facts.remaining_requests is not None:
            reset = now + (facts.reset_requests or 0.0)
            flying = state.requests.in_flight if state.requests is not None else 0
            state.requests = _Budget(facts.remaining_requests, reset, flying)
        if facts.remaining_tokens is not None:
            reset = now + (facts.reset_tokens or 0.0)
            flying = state.tokens.in_flight if state.tokens is not None else 0
            state.tokens = _Budget(facts.remaining_tokens, reset, flying)

    def knows(self, model: str) -> bool:
        """Whether the pacer keeps anything for ``model`` (it has seen headers or a 429)."""
        return model in self._models
