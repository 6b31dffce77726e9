"""What requests and replies say about a rate limit: the ``x-ratelimit-*`` headers, a
request's token estimate and a reply's ``usage``. Pure functions, used by ``pacing``."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "BATCH_TURNAROUND_SECONDS",
    "CHARS_PER_TOKEN",
    "RateLimitSnapshot",
    "batch_advice",
    "estimate_tokens",
    "parse_duration",
    "read_rate_limit_headers",
    "usage_tokens",
]

CHARS_PER_TOKEN = 4.0
BATCH_TURNAROUND_SECONDS = 3600.0
"""A job the rate limit stretches beyond this is worth sending through the Batch API."""
_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_PROMPT_RE = re.compile(rb'"prompt_tokens"\s*:\s*(\d+)')
_COMPLETION_RE = re.compile(rb'"completion_tokens"\s*:\s*(\d+)')
_REMAINING_REQUESTS = "x-ratelimit-remaining-requests"
_REMAINING_TOKENS = "x-ratelimit-remaining-tokens"


def parse_duration(value: str | None) -> float | None:
    """Seconds in ``"2"``, ``"1.5"``, ``"20ms"``, ``"1s"`` or ``"6m0s"``; ``None`` if unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    parts = _DURATION_RE.findall(value)
    if not parts or "".join(n + u for n, u in parts) != value:
        return None
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    return sum(float(number) * scale[unit] for number, unit in parts)


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None


@dataclass(frozen=True)
class RateLimitSnapshot:
    """What one reply says about the rate limit (``None`` where it says nothing)."""

    limit_requests: float | None = None
    remaining_requests: float | None = None
    reset_requests: float | None = None
    limit_tokens: float | None = None
    remaining_tokens: float | None = None
    reset_tokens: float | None = None


def read_rate_limit_headers(headers: Mapping[str, str]) -> RateLimitSnapshot | None:
    """The rate-limit headers of a reply, or ``None`` when it has none."""
    requests = _number(headers.get(_REMAINING_REQUESTS))
    tokens = _number(headers.get(_REMAINING_TOKENS))
    if requests is None and tokens is None:
        return None
    return RateLimitSnapshot(
        _number(headers.get("x-ratelimit-limit-requests")),
        requests,
        parse_duration(headers.get("x-ratelimit-reset-requests")),
        _number(headers.get("x-ratelimit-limit-tokens")),
        tokens,
        parse_duration(headers.get("x-ratelimit-reset-tokens")),
    )


def _text_chars(value: Any) -> int:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list):
        return sum(_text_chars(item) for item in value)
    if isinstance(value, dict):
        return _text_chars(value.get("content")) + _text_chars(value.get("text"))
    return 0


def estimate_tokens(body: Mapping[str, Any] | None) -> tuple[float, float]:
    """``(text tokens, completion reserve)`` of a request body: ~4 characters a token over
    ``messages`` / ``input`` / ``prompt``, and ``max_tokens`` (or ``max_completion_tokens``)."""
    if not body:
        return 0.0, 0.0
    chars = _text_chars(body.get("messages")) + _text_chars(body.get("input"))
    chars += _text_chars(body.get("prompt"))
    reserve = body.get("max_tokens") or body.get("max_completion_tokens") or 0
    return math.ceil(chars / CHARS_PER_TOKEN), float(reserve if isinstance(reserve, int) else 0)


def usage_tokens(content: bytes | None) -> tuple[int, int] | None:
    """``(prompt_tokens, completion_tokens)`` from a JSON reply body's ``usage``, if present."""
    if not content:
        return None
    tail = content[-400:]
    prompt = _PROMPT_RE.search(tail) or _PROMPT_RE.search(content)
    if prompt is None:
        return None
    completion = _COMPLETION_RE.search(tail) or _COMPLETION_RE.search(content)
    return int(prompt.group(1)), int(completion.group(1)) if completion else 0


def batch_advice(
    requests: float, tokens: float, snapshot: RateLimitSnapshot, window: float
) -> float | None:
    """Seconds a job of ``requests`` and ``tokens`` needs at the rate limit, when that is
    longer than :data:`BATCH_TURNAROUND_SECONDS` (else ``None``): the Batch API would be
    done sooner, at half the price, without touching the rate limit."""
    needed = 0.0
    if snapshot.limit_requests:
        needed = max(needed, requests / snapshot.limit_requests * window)
    if snapshot.limit_tokens:
        needed = max(needed, tokens / snapshot.limit_tokens * window)
    return needed if needed > BATCH_TURNAROUND_SECONDS else None
