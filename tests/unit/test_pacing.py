"""The pacer's decisions, on a fake clock: every ``now`` is passed in, nothing sleeps."""

from __future__ import annotations

import httpx
import pytest

from nebius_inference.pacing import (
    FIRST_SPACING,
    SPACING_STEP,
    Pacer,
    RateLimitHeaders,
    parse_rate_limit_headers,
)

M = "some/model"


def _headers(**values: object) -> httpx.Headers:
    return httpx.Headers({f"x-ratelimit-{k.replace('_', '-')}": str(v) for k, v in values.items()})


def test_without_rate_limit_headers_the_pacer_keeps_nothing() -> None:
    pacer = Pacer()
    for now in range(100):
        assert pacer.acquire(M, 500, float(now)) == 0.0
        pacer.observe(M, 200, httpx.Headers({"content-type": "application/json"}), float(now))
    assert not pacer.knows(M)


def test_parse_reads_the_api_headers_case_insensitively() -> None:
    headers = httpx.Headers(
        {
            "X-RateLimit-Remaining-Requests": "59",
            "x-ratelimit-remaining-tokens": "399000",
            "x-ratelimit-reset-requests": "1.5",
            "x-ratelimit-reset-tokens": "2s",
            "Retry-After": "3",
        }
    )
    assert parse_rate_limit_headers(headers) == RateLimitHeaders(59, 399000, 1.5, 2.0, 3.0)
    assert parse_rate_limit_headers(httpx.Headers({})) is None


@pytest.mark.parametrize("bad", ["-1", "nan", "inf", "soon", ""])
def test_values_that_are_not_finite_non_negative_numbers_are_ignored(bad: str) -> None:
    assert parse_rate_limit_headers(_headers(remaining_requests=bad)) is None


def test_requests_wait_for_the_reset_when_none_remain() -> None:
    pacer = Pacer()
    pacer.observe(M, 200, _headers(remaining_requests=2, reset_requests=10), now=0.0)
    assert pacer.acquire(M, 0, 0.0) == 0.0
    assert pacer.acquire(M, 0, 1.0) == 0.0
    assert pacer.acquire(M, 0, 2.0) == 8.0  # both remaining requests are in flight
    assert pacer.acquire(M, 0, 10.0) == 0.0  # the window refilled
    assert pacer.knows(M)


def test_a_reply_frees_its_slot_and_brings_the_new_figure() -> None:
    pacer = Pacer()
    pacer.observe(M, 200, _headers(remaining_requests=1, reset_requests=60), now=0.0)
    assert pacer.acquire(M, 0, 0.0) == 0.0
    assert pacer.acquire(M, 0, 0.0) == 60.0
    pacer.observe(M, 200, _headers(remaining_requests=5, reset_requests=60), now=1.0)
    assert pacer.acquire(M, 0, 1.0) == 0.0


def test_estimated_tokens_are_kept_within_the_remaining_tokens() -> None:
    pacer = Pacer()
    pacer.observe(M, 200, _headers(remaining_tokens=100, reset_tokens=30), now=0.0)
    assert pacer.acquire(M, 60, 0.0) == 0.0
    assert pacer.acquire(M, 60, 0.0) == 30.0  # 60 + 60 would overdraw 100
    assert pacer.acquire(M, 40, 0.0) == 0.0  # a smaller one still fits
    pacer.observe(M, 200, _headers(remaining_tokens=40, reset_tokens=29), now=1.0, tokens=60)
    assert pacer.acquire(M, 1, 1.0) == 29.0  # 40 left, 40 in flight


def test_a_429_with_retry_after_blocks_the_model_until_then() -> None:
    pacer = Pacer()
    pacer.observe(M, 429, httpx.Headers({"retry-after": "3"}), now=0.0)
    assert pacer.acquire(M, 0, 1.0) == 2.0
    assert pacer.acquire(M, 0, 3.0) == 0.0
    assert pacer.acquire("other/model", 0, 1.0) == 0.0  # per model


def test_429s_without_headers_space_requests_out_and_successes_close_the_gap() -> None:
    pacer = Pacer()
    pacer.observe(M, 429, httpx.Headers({}), now=0.0)
    assert pacer.acquire(M, 0, 0.0) == 0.0
    assert pacer.acquire(M, 0, 0.0) == pytest.approx(FIRST_SPACING)
    pacer.observe(M, 429, httpx.Headers({}), now=0.0)
    assert pacer.acquire(M, 0, 0.0) == pytest.approx(2 * FIRST_SPACING)  # doubled
    pacer.observe(M, 200, httpx.Headers({}), now=0.0)
    assert pacer.acquire(M, 0, 0.0) == pytest.approx(2 * FIRST_SPACING - SPACING_STEP)
    for _ in range(100):
        pacer.observe(M, 200, httpx.Headers({}), now=0.0)
    assert pacer.acquire(M, 0, 0.0) == 0.0  # back to no spacing
