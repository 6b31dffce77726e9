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

import math
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ._fair_share import spread_lift
from ._job_hint import ANY_BATCH_MODULE, advise, announce_job, larger_job
from ._ratelimit import (
    _REMAINING_REQUESTS,
    _REMAINING_TOKENS,
    BATCH_TURNAROUND_SECONDS,
    RateLimitSnapshot,
    batch_advice,
    estimate_tokens,
    parse_duration,
    read_rate_limit_headers,
    usage_tokens,
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

DEFAULT_RESET = 60.0  # when a reply gives ``remaining`` without a reset time
POLL = 0.01  # how often a caller held by the in-flight window looks again
PROBE_WAIT = 2.0  # the longest the first request's reply is waited for by the others
MIN_SHARE = 0.05
IN_FLIGHT_HORIZON = 10.0  # seconds after which an unanswered request no longer counts


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


# -- the decisions -----------------------------------------------------------------------------


class _Budget:
    """One dimension (requests or tokens) of a model's rate limit in the current window.

    Within a window the server's ``remaining`` only goes down, and each reply reports it as of
    that request's arrival; threads and tasks do not reach the server in the order they were
    let through. So the lowest ``remaining`` any reply of this window reported is the latest
    known, and every request still unanswered may or may not be counted in it: what may
    still be sent is that lowest ``remaining`` minus everything in flight.

    Other processes sharing the key draw on the same ``remaining`` and cannot be asked what
    they have in flight. So each process takes only its share of what remains: the part of
    what the window has used so far (``limit - remaining``) that its own answered requests
    account for (every answered request is in the lowest ``remaining``, so this share never
    overstates; it catches up as replies come). Alone that is 1; two processes sending alike
    settle at about a half each, and do not both spend the same remainder.
    """

    __slots__ = ("floor", "limit", "own", "remaining", "reset_at", "share")

    def __init__(self) -> None:
        self.limit: float | None = None
        self.remaining: float | None = None  # the lowest reported in this window
        self.floor = -2  # requests up to this one were let through in an earlier window
        self.reset_at = math.inf
        self.own = 0.0  # what this window counted of ours, as far as answered
        self.share = 1.0  # of the window's use that is ours (kept for the next window)

    def update(
        self, limit: float | None, remaining: float | None, reset: float | None,
        seq: int, now: float, amount: float,
    ) -> None:  # fmt: skip
        if remaining is None or seq <= self.floor:
            return  # no news, or news of an earlier window
        self.own += amount
        if limit is not None:
            self.limit = limit
        if self.remaining is None or remaining < self.remaining:
            self.remaining = remaining
        self.reset_at = min(self.reset_at, now + (reset if reset is not None else DEFAULT_RESET))

    def available(self, now: float, in_flight: float, last_seq: int) -> float:
        """How much may still be sent now (``inf`` when nothing is known)."""
        if self.remaining is None:
            return math.inf
        if now >= self.reset_at:
            # The window has reset; replies to requests sent before now tell of the old one.
            self.remaining, self.floor, self.reset_at = self.limit, last_seq, math.inf
            self.own = 0.0
            if self.remaining is None:
                return math.inf
        if self.limit:
            used = self.limit - self.remaining
            if used > 0:
                self.share = min(1.0, max(MIN_SHARE, self.own / used))
        return self.remaining * self.share - in_flight


def _spread(now: float, budget: _Budget, room: float, need: float) -> float:
    """The gap to leave after a request of ``need`` so that ``room`` lasts until the reset:
    requests spread over the window instead of a burst at its start, so processes that
    share the key see each other's use in ``remaining`` before they spend the same rest."""
    left = budget.reset_at - now
    if not 0 < left < math.inf or not 0 < room < math.inf:
        return 0.0
    return left * need / room


def _until(reset_at: float, now: float) -> float:
    return max(reset_at - now, POLL) if reset_at < math.inf else POLL


@dataclass
class Permit:
    """One request let through: its model, its place in line and its token estimate."""

    model: str
    seq: int
    tokens: float  # the estimate counted against the token budget
    text_tokens: float  # the ~4-characters-a-token part of it


class ModelState:
    """Everything the pacer knows about one model. Pure: every method takes ``now``."""

    def __init__(self, caps: Pacing) -> None:
        self.caps = caps
        self.requests = _Budget()
        self.tokens = _Budget()
        self.issued = 0  # requests let through so far (the next one's seq)
        self.blocked_until = -math.inf
        self.ratio = 1.0  # real prompt tokens per estimated text token
        self.completion = 0.0  # average completion tokens, when max_tokens is not given
        self.window = 0.0  # the longest reset seen: about the window's length
        # Requests let through and not answered yet: seq -> (when, tokens), oldest first.
        self.unanswered: dict[int, tuple[float, float]] = {}
        self.cwnd: float | None = None  # requests allowed in flight after a 429 (no headers)
        self.cut_seq = -1  # a 429 of a request sent before the last cut does not cut again
        self.spread_at = -math.inf  # the next request may go then ...
        self.gap = 0.0  # ... this long after the one being let through
        self.log: deque[tuple[float, float]] = deque()  # (time, tokens) for the caps
        self.job: tuple[float, float] | None = None  # (requests, tokens) announced
        self.advised = False
        self.batch_module = ANY_BATCH_MODULE  # what the hint names

    def advice(self) -> float | None:
        """The seconds the announced job needs, once, when the Batch API would be quicker."""
        if self.job is None or self.advised or self.requests.limit is None:
            return None
        snapshot = RateLimitSnapshot(self.requests.limit, None, None, self.tokens.limit)
        seconds = batch_advice(*self.job, snapshot, self.window or DEFAULT_RESET)
        self.advised = self.advised or seconds is not None
        self.job = None
        return seconds

    def wants_tokens(self) -> bool:
        return self.tokens.remaining is not None or self.caps.max_tokens_per_minute is not None

    def estimate(self, text_tokens: float, reserve: float) -> float:
        return text_tokens * self.ratio + (reserve if reserve else self.completion)

    def delay(self, now: float, need: float) -> float:
        """Seconds to wait before a request of ``need`` tokens may go; 0 means now."""
        wait = self.blocked_until - now
        if wait > 0:
            return wait
        last = self.issued - 1
        unanswered = self.unanswered
        while unanswered:  # one unanswered this long has surely reached the server
            first = next(iter(unanswered))
            if unanswered[first][0] > now - IN_FLIGHT_HORIZON:
                break
            del unanswered[first]
        requests = self.requests.available(now, len(unanswered), last)
        r = self.requests
        fresh = not unanswered and r.remaining == r.limit and (r.remaining or 0) >= 1
        if requests < 1 and not fresh:
            # Replies in flight may show that fewer were counted; else wait for the reset.
            return (
                POLL
                if requests + len(self.unanswered) >= 1
                else _until(self.requests.reset_at, now)
            )
        flying = 0.0
        if self.tokens.remaining is not None:
            flying = sum(t for _, t in unanswered.values())
        tokens = self.tokens.available(now, flying, last)
        # A request bigger than the whole limit goes when the window is full again.
        need = min(need, self.tokens.limit or math.inf)
        if tokens < need:
            return POLL if tokens + flying >= need else _until(self.tokens.reset_at, now)
        if self.cwnd is not None and len(unanswered) >= self.cwnd:
            return POLL
        if self.spread_at > now:
            return self.spread_at - now
        lift_r = spread_lift(r.remaining, r.share)
        lift_t = spread_lift(self.tokens.remaining, self.tokens.share)
        self.gap = _spread(now, r, max(requests + lift_r, 1.0), 1.0)
        self.gap = max(self.gap, _spread(now, self.tokens, tokens + lift_t, need))
        return self._cap_delay(now, need)

    def _cap_delay(self, now: float, need: float) -> float:
        rpm, tpm = self.caps.max_requests_per_minute, self.caps.max_tokens_per_minute
        if rpm is None and tpm is None:
            return 0.0
        log = self.log
        while log and log[0][0] <= now - 60.0:
            log.popleft()
        wait = 0.0
        if rpm is not None and len(log) >= rpm:
            wait = log[len(log) - int(rpm)][0] + 60.0 - now
        if tpm is not None and log:
            used = sum(tokens for _, tokens in log)
            for at, tokens in log:
                if used + min(need, tpm) <= tpm:
                    break
                used -= tokens
                wait = max(wait, at + 60.0 - now)
        return max(wait, 0.0)

    def grant(self, now: float, model: str, text_tokens: float, need: float) -> Permit:
        permit = Permit(model, self.issued, need, text_tokens)
        self.spread_at, self.gap = now + self.gap, 0.0
        self.issued += 1
        self.unanswered[permit.seq] = (now, need)
        if self.caps.max_requests_per_minute or self.caps.max_tokens_per_minute:
            self.log.append((now, need))
        return permit

    def settle(
        self, now: float, permit: Permit | None, status: int,
        snapshot: RateLimitSnapshot | None, retry_after: float | None, content: bytes | None,
        sent_unpaced: float = 0.0,
    ) -> None:  # fmt: skip
        """Take in one reply (``status`` 0: no reply, the connection failed). A request sent
        before the pacer woke has no permit: ``sent_unpaced`` is its token estimate."""
        if permit is not None:
            self.unanswered.pop(permit.seq, None)
        seq = permit.seq if permit is not None else self.issued - 1
        if snapshot is not None:
            s = snapshot
            counted = status != 429  # a 429 was not counted
            amount = (permit.tokens if permit is not None else sent_unpaced) if counted else 0.0
            self.requests.update(
                s.limit_requests, s.remaining_requests, s.reset_requests, seq, now, float(counted)
            )
            self.tokens.update(s.limit_tokens, s.remaining_tokens, s.reset_tokens, seq, now, amount)
            self.window = max(self.window, s.reset_requests or 0.0, s.reset_tokens or 0.0)
        if status == 429:
            wait = retry_after if retry_after is not None else 1.0
            resets = [] if snapshot is None else [snapshot.reset_requests, snapshot.reset_tokens]
            known = [reset for reset in resets if reset is not None]
            if known:  # the reset is exact; Retry-After is in whole seconds
                wait = min(wait, max(known))
            self.blocked_until = max(self.blocked_until, now + wait)
            if snapshot is None and seq > self.cut_seq:
                # No headers to go by: halve what may be in flight.
                flying = len(self.unanswered) + 1
                self.cwnd = max(1.0, min(self.cwnd or math.inf, flying) / 2)
                self.cut_seq = self.issued - 1
        elif 200 <= status < 300:
            if self.cwnd is not None:
                self.cwnd += 1.0 / self.cwnd
            if permit is not None and self.wants_tokens():
                self._learn(permit, content)

    def _learn(self, permit: Permit, content: bytes | None) -> None:
        usage = usage_tokens(content)
        if usage is None:
            return
        prompt, completion = usage
        if permit.text_tokens >= 16:
            ratio = min(4.0, max(0.25, prompt / permit.text_tokens))
            self.ratio += (ratio - self.ratio) * 0.2
        self.completion += (completion - self.completion) * 0.1


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
