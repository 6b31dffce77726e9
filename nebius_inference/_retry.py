"""Retry decisions, shared by the sync and async clients. Pure: no I/O, no sleeping.

The rules follow the Stainless-generated SDKs: retry connection errors, timeouts, 408, 409, 429
and 5xx; honour ``Retry-After`` (seconds or an HTTP date) and ``retry-after-ms`` up to a cap
(beyond it, raise at once rather than retry early); otherwise wait a capped exponential backoff
with jitter. A stream is never retried once it has
yielded its first event (the clients enforce that: they only retry before a response is handed
out).

Tests switch sleeping off with :func:`set_testing`; nothing then waits on the wall clock.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["RetryPolicy", "is_testing", "recorded_sleeps", "set_testing"]

RETRYABLE_STATUSES = frozenset({408, 409, 429})

_testing = False
_recorded: list[float] = []


def set_testing(enabled: bool = True) -> None:
    """Switch sleeping between retries off (``True``) or back on; delays are then recorded."""
    global _testing
    _testing = enabled
    _recorded.clear()


def is_testing() -> bool:
    return _testing


def recorded_sleeps() -> list[float]:
    """The delays the clients would have slept since :func:`set_testing` was called."""
    return list(_recorded)


def effective_delay(delay: float) -> float:
    """The delay to actually sleep: 0 while testing (the wanted delay is recorded)."""
    if _testing:
        _recorded.append(delay)
        return 0.0
    return delay


@dataclass(frozen=True)
class RetryPolicy:
    """When to retry and how long to wait.

    Attributes:
        max_retries: retries after the first attempt (0 disables retrying).
        initial_delay: the first backoff, in seconds.
        max_delay: the backoff cap, in seconds.
        max_retry_after: the longest ``Retry-After`` we wait out; a longer one is not retried
            (the error is raised at once, with the wait in its ``retry_after``).
        jitter: the fraction of the backoff taken off at random (0 to 1).
    """

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    jitter: float = 0.25

    def should_retry_status(
        self, attempt: int, status: int, headers: Mapping[str, str] | None = None
    ) -> bool:
        """``attempt`` counts from 0 for the first try.

        A ``Retry-After`` longer than ``max_retry_after`` is not retried: the caller raises at
        once (with the wait in the error's ``retry_after``) instead of retrying against the
        server's explicit request, or blocking for an hour."""
        if attempt >= self.max_retries:
            return False
        if headers is not None:
            wait = parse_retry_after(headers)
            if wait is not None and wait > self.max_retry_after:
                return False
            hint = headers.get("x-should-retry")
            if hint == "true":
                return True
            if hint == "false":
                return False
        return status in RETRYABLE_STATUSES or status >= 500

    def should_retry_exception(self, attempt: int) -> bool:
        """Connection errors and timeouts are always worth another try while attempts remain."""
        return attempt < self.max_retries

    def delay(
        self,
        attempt: int,
        headers: Mapping[str, str] | None = None,
        *,
        now: float | None = None,
        rand: float | None = None,
    ) -> float:
        """Seconds to wait before retry number ``attempt + 1``."""
        retry_after = parse_retry_after(headers, now=now) if headers is not None else None
        if retry_after is not None and 0 <= retry_after <= self.max_retry_after:
            return retry_after
        backoff: float = min(self.initial_delay * (2.0**attempt), self.max_delay)
        r = random.random() if rand is None else rand
        return max(0.0, backoff * (1.0 - self.jitter * r))


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Read ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date); ``None`` if absent."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return float(millis) / 1000.0
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)
