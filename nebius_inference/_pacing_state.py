"""The pacer's decisions for one model, pure: every method takes the time (``now``), so tests
fake the clock. :mod:`nebius_inference.pacing` holds the :class:`~nebius_inference.pacing.Pacer`
that keeps one :class:`ModelState` per model behind a lock, and the waiting twins.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ._fair_share import spread_lift
from ._job_hint import ANY_BATCH_MODULE
from ._ratelimit import RateLimitSnapshot, batch_advice, usage_tokens

if TYPE_CHECKING:
    from .pacing import Pacing

__all__ = ["IN_FLIGHT_HORIZON", "POLL", "PROBE_WAIT", "ModelState", "Permit"]

DEFAULT_RESET = 60.0  # when a reply gives ``remaining`` without a reset time
POLL = 0.01  # how often a caller held by the in-flight window looks again
PROBE_WAIT = 2.0  # the longest the first request's reply is waited for by the others
MIN_SHARE = 0.05
IN_FLIGHT_HORIZON = 10.0  # seconds after which an unanswered request no longer counts


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
