"""Pacing at the server's rate limit: send as fast as the limit allows, never into a wall.

Each client has one :class:`Pacer`, with one state per model. It learns the limit from the
``x-ratelimit-limit|remaining|reset-requests|tokens`` headers of every reply and from 429s
(``Retry-After``, ``x-ratelimit-over-limit``):

- a request goes out only while the server's last reported ``remaining``, minus what this
  client has sent since that reply, still covers it (one request, and its estimated tokens);
- when it does not, callers wait for the window's reset instead of collecting 429s;
- a 429 holds every caller of that model until its ``Retry-After``; where a server sends no
  rate-limit headers at all, a 429 also halves the requests allowed in flight, and each
  success adds them back slowly (additive increase, multiplicative decrease);
- ``Pacing(max_requests_per_minute=..., max_tokens_per_minute=...)`` caps the rate by hand,
  for a key shared with other services.

Processes that share a key need no coordination: the server's ``remaining`` already counts
every process's requests. Token estimates are ~4 characters a token over the request's text,
plus ``max_tokens``; the ``usage`` of each reply corrects the characters-per-token ratio.

A server that sends no rate-limit headers costs one header lookup per reply: the pacer stays
asleep until it sees a header or a 429. The decisions are pure (a clock is passed in, so tests
fake it); :func:`pace` and :func:`apace` are the thread and asyncio waiting twins.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ._job_hint import advise, announce_job, larger_job
from ._pacing_state import POLL, PROBE_WAIT, ModelState, Permit
from ._ratelimit import (
    _REMAINING_REQUESTS,
    _REMAINING_TOKENS,
    BATCH_TURNAROUND_SECONDS,
    RateLimitSnapshot,
    batch_advice,
    estimate_tokens,
    parse_duration,
    read_rate_limit_headers,
)
from ._retry import is_testing, parse_retry_after

__all__ = [
    "BATCH_TURNAROUND_SECONDS",
    "Pacer",
    "Pacing",
    "Permit",
    "RateLimitSnapshot",
    "announce_job",
    "apace",
    "batch_advice",
    "estimate_tokens",
    "pace",
    "parse_duration",
    "read_rate_limit_headers",
]


@dataclass(frozen=True)
class Pacing:
    """Caps set by hand, on top of what the server's headers say (``None``: no cap).

    Pass it as ``pacing=Pacing(max_requests_per_minute=300)`` to a client; ``pacing=False``
    turns pacing off, ``pacing=True`` (the default) paces by the server's headers only.
    """

    max_requests_per_minute: float | None = None
    max_tokens_per_minute: float | None = None

    def __post_init__(self) -> None:
        for name in ("max_requests_per_minute", "max_tokens_per_minute"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, (int, float)) and value > 0):
                raise ValueError(
                    f"Pacing({name}={value!r}): give a number above 0, or None for no cap."
                )


# -- the pacer ---------------------------------------------------------------------------------


class Pacer:
    """A client's pacer: one :class:`ModelState` per model, behind one lock.

    ``settings``: ``True`` (pace by the server's headers), ``False`` (never wait) or
    :class:`Pacing` caps. ``clock`` is ``time.monotonic`` unless a test fakes it.
    """

    def __init__(
        self, settings: bool | Pacing = True, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if not isinstance(settings, (bool, Pacing)):
            raise TypeError(
                f"pacing={settings!r}: pass True, False or nebius_inference.pacing.Pacing(...)"
            )
        self.enabled = settings is not False
        self.caps = settings if isinstance(settings, Pacing) else Pacing()
        self.clock = clock
        # Asleep (no cost) until a reply carries rate-limit headers or a 429, or caps are set.
        self.awake = self.enabled and settings is not True
        # ... and for good once a reply of an inference call carries none (``quiet``).
        self.quiet = not self.enabled
        self.probe_until = 0.0
        self.models: dict[str, ModelState] = {}
        self.lock = threading.Lock()
        _PACERS.add(self)

    def _state(self, model: str) -> ModelState:
        state = self.models.get(model)
        if state is None:
            state = self.models[model] = ModelState(self.caps)
        return state

    def try_acquire(self, body: Mapping[str, Any] | None) -> tuple[Permit | None, float]:
        """``(permit, 0)`` to send now, ``(None, seconds)`` to wait and ask again; ``(None, 0)``
        when there is nothing to pace (asleep, off, or a call without a model)."""
        if not self.awake:
            if self.quiet or not body:
                return None, 0.0
            return None, self._probe()
        if not body:
            return None, 0.0
        model = body.get("model")
        if not isinstance(model, str):
            return None, 0.0
        with self.lock:
            state = self._state(model)
            text, reserve = estimate_tokens(body) if state.wants_tokens() else (0.0, 0.0)
            need = state.estimate(text, reserve)
            now = self.clock()
            wait = state.delay(now, need)
            if wait > 0:
                return None, wait
            return state.grant(now, model, text, need), 0.0

    def _probe(self) -> float:
        """Before the first reply: the first request goes alone and the others wait for what
        its reply says (at most ``PROBE_WAIT``), so a job does not open with a burst into a
        limit it cannot see yet."""
        with self.lock:
            now = self.clock()
            if not self.probe_until:
                self.probe_until = now + PROBE_WAIT
                return 0.0
            return min(POLL, self.probe_until - now) if now < self.probe_until else 0.0

    def force(self, body: Mapping[str, Any]) -> Permit | None:
        """Let a request through without waiting (used when waiting is switched off)."""
        model = body.get("model")
        if not isinstance(model, str):
            return None
        with self.lock:
            state = self._state(model)
            text, reserve = estimate_tokens(body) if state.wants_tokens() else (0.0, 0.0)
            return state.grant(self.clock(), model, text, state.estimate(text, reserve))

    def settle(
        self,
        permit: Permit | None,
        body: Mapping[str, Any] | None,
        status: int,
        headers: Mapping[str, str] | None,
        content: bytes | None = None,
    ) -> bool:
        """Take in the reply to ``permit`` (``status`` 0 if none came). Returns ``True`` for a
        429 the server marked ``x-ratelimit-over-limit: yes`` while pacing is on: its retry
        waits in the pacer and need not count against ``max_retries``."""
        if permit is None:
            if not self.enabled or headers is None:
                return False
            if (
                status != 429
                and _REMAINING_REQUESTS not in headers
                and _REMAINING_TOKENS not in headers
            ):
                if not self.quiet and body and "model" in body:
                    self.quiet = True
                return False  # the common case on a server without rate-limit headers
            model = body.get("model") if body else None
            if not isinstance(model, str):
                return False
            self.awake = True
        else:
            model = permit.model
        snapshot = read_rate_limit_headers(headers) if headers is not None else None
        retry_after = parse_retry_after(headers) if status == 429 and headers else None
        with self.lock:
            state = self._state(model)
            unpaced = sum(estimate_tokens(body)) if permit is None else 0.0
            state.settle(self.clock(), permit, status, snapshot, retry_after, content, unpaced)
            advice = state.advice() if state.job is not None else None
        advise(model, advice, state.batch_module)
        return (
            status == 429
            and headers is not None
            and (headers.get("x-ratelimit-over-limit", "").lower() == "yes")
        )

    def expect(
        self, model: str, requests: float, tokens: float, batch_module: str | None = None
    ) -> float | None:
        """Announce a job of ``requests`` and ``tokens`` for ``model``. When the rate limit
        (known now, or from the next reply) makes it take longer than the Batch API likely
        would, say so once per model in a warning (naming ``batch_module``, when given);
        returns the projected seconds if said now (:func:`announce_job`)."""
        if not self.enabled:
            return None
        with self.lock:
            state = self._state(model)
            state.job = larger_job(state.job, requests, tokens)
            state.batch_module = batch_module or state.batch_module
            seconds = state.advice()
        return advise(model, seconds, state.batch_module)


_PACERS: weakref.WeakSet[Pacer] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    """A fork can happen while another thread holds a pacer's lock: the child gets fresh locks
    (and forgets requests in flight, which were the parent's)."""
    for pacer in list(_PACERS):
        pacer.lock = threading.Lock()
        for state in pacer.models.values():
            state.unanswered.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


# -- the waiting twins -------------------------------------------------------------------------


def pace(
    pacer: Pacer, body: Mapping[str, Any] | None, sleep: Callable[[float], object] = time.sleep
) -> Permit | None:
    """Wait (in this thread) until ``body`` may be sent; the permit to pass to ``settle``.
    ``sleep`` waits, unless a test passes one that moves its fake clock."""
    while True:
        permit, wait = pacer.try_acquire(body)
        if wait <= 0:
            return permit
        if is_testing():  # tests switch waiting off, as for retries
            assert body is not None
            return pacer.force(body)
        sleep(wait)


async def apace(
    pacer: Pacer,
    body: Mapping[str, Any] | None,
    sleep: Callable[[float], Awaitable[object]] | None = None,
) -> Permit | None:
    """The asyncio twin of :func:`pace` (``sleep`` defaults to ``asyncio.sleep``)."""
    if sleep is None:
        import asyncio

        sleep = asyncio.sleep
    while True:
        permit, wait = pacer.try_acquire(body)
        if wait <= 0:
            return permit
        if is_testing():
            assert body is not None
            return pacer.force(body)
        await sleep(wait)
