"""Per-model rate limits: fixed windows of requests and tokens, the headers that report them,
and (when enforced) the verdict for one request.

A request is charged at arrival: one request, and its tokens counted by the emulator's own
tokenizer over ``messages`` / ``input`` / ``prompt``, plus ``max_tokens`` when given. A request
turned away with a 429 is not charged. Every window's totals are kept in :attr:`history`.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Any

from ._tokens import count_tokens

__all__ = ["RateLimiter", "WindowStats", "request_tokens"]


def _text_tokens(value: Any) -> int:
    if isinstance(value, str):
        return count_tokens(value)
    if isinstance(value, list):
        return sum(_text_tokens(item) for item in value)
    if isinstance(value, dict):
        return _text_tokens(value.get("content")) + _text_tokens(value.get("text"))
    return 0


def request_tokens(body: Any) -> int:
    """The tokens a request is charged for."""
    if not isinstance(body, dict):
        return 1
    tokens = sum(_text_tokens(body.get(name)) for name in ("messages", "input", "prompt"))
    reserve = body.get("max_tokens") or body.get("max_completion_tokens") or 0
    return max(1, tokens + (reserve if isinstance(reserve, int) else 0))


@dataclass
class WindowStats:
    """One model's totals in one window."""

    model: str
    start: float  # time.monotonic() when the window opened
    requests: int = 0
    tokens: int = 0
    rejected: int = 0  # answered 429
    over_limit: int = 0  # served anyway, late


def _seconds(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") or "0"


class RateLimiter:
    """Windows of ``window`` seconds per model, ``requests`` and ``tokens`` in each."""

    def __init__(self, requests: int, tokens: int, window: float) -> None:
        self.requests = requests
        self.tokens = tokens
        self.window = window
        self.current: dict[str, WindowStats] = {}
        self.history: list[WindowStats] = []
        self._lock = threading.Lock()

    def charge(self, model: str, tokens: int, turn_away: bool) -> tuple[dict[str, str], bool]:
        """Charge one request; returns its headers and whether it is over the limit. With
        ``turn_away`` a request over the limit is not charged and its headers say 429."""
        with self._lock:
            now = time.monotonic()
            stats = self.current.get(model)
            if stats is None or now - stats.start >= self.window:
                stats = self.current[model] = WindowStats(model, now)
                self.history.append(stats)
            over = stats.requests + 1 > self.requests or stats.tokens + tokens > self.tokens
            if not (over and turn_away):
                stats.requests += 1
                stats.tokens += tokens
            reset = max(0.0, stats.start + self.window - now)
            headers = {
                "x-ratelimit-limit-requests": str(self.requests),
                "x-ratelimit-remaining-requests": str(max(0, self.requests - stats.requests)),
                "x-ratelimit-limit-tokens": str(self.tokens),
                "x-ratelimit-remaining-tokens": str(max(0, self.tokens - stats.tokens)),
                "x-ratelimit-reset-requests": _seconds(reset),
                "x-ratelimit-reset-tokens": _seconds(reset),
            }
            if over and turn_away:
                headers["retry-after"] = str(max(1, math.ceil(reset)))
                headers["x-ratelimit-over-limit"] = "yes"
        return headers, over

    def note(self, model: str, *, rejected: bool) -> None:
        """Count a request over the limit: turned away, or served late."""
        with self._lock:
            stats = self.current.get(model)
            if stats is not None:
                if rejected:
                    stats.rejected += 1
                else:
                    stats.over_limit += 1

    def reset(self) -> None:
        with self._lock:
            self.current.clear()
            self.history.clear()
