"""The pacer's decisions, on a fake clock: nothing here waits on the wall clock."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fakes import chat_reply

from nebius_inference import _pacing_state, _retry, pacing
from nebius_inference.pacing import (
    Pacer,
    Pacing,
    apace,
    batch_advice,
    estimate_tokens,
    pace,
    parse_duration,
    read_rate_limit_headers,
)

CHAT = "meta-llama/Llama-3.3-70B-Instruct"
OTHER = "Qwen/Qwen3-32B"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def body(model: str = CHAT, chars: int = 40, max_tokens: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": "x" * chars}]}
    if max_tokens is not None:
        out["max_tokens"] = max_tokens
    return out


def limits(
    requests: int,
    tokens: int,
    reset: str = "10",
    limit_r: int | None = None,
    limit_t: int | None = None,
) -> dict[str, str]:
    """Rate-limit headers; the limits default to what remains (a window nobody else uses)."""
    return {
        "x-ratelimit-limit-requests": str(limit_r or requests),
        "x-ratelimit-remaining-requests": str(requests),
        "x-ratelimit-reset-requests": reset,
        "x-ratelimit-limit-tokens": str(limit_t or tokens),
        "x-ratelimit-remaining-tokens": str(tokens),
        "x-ratelimit-reset-tokens": reset,
    }


@pytest.fixture(autouse=True)
def _no_spreading(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests of the budget see every request it allows at once; spreading them over the
    window is tested on its own (tests named ``*spread*``)."""
    if "spread" not in request.node.name:
        monkeypatch.setattr(_pacing_state, "_spread", lambda *args: 0.0)


def grant(pacer: Pacer, b: dict[str, Any] | None = None) -> pacing.Permit:
    permit, wait = pacer.try_acquire(b or body())
    assert wait == 0 and permit is not None
    return permit


def wait_of(pacer: Pacer, b: dict[str, Any] | None = None) -> float:
    permit, wait = pacer.try_acquire(b or body())
    assert permit is None
    return wait


# -- reading replies -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("2", 2.0), ("1.5", 1.5), ("20ms", 0.02), ("1s", 1.0), ("6m0s", 360.0), ("1h2m", 3720.0)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", [None, "", "soon", "5 parsecs", "-"])
def test_unreadable_durations_are_none(text: str | None) -> None:
    assert parse_duration(text) is None


def test_headers_are_read_and_absent_headers_give_none() -> None:
    snap = read_rate_limit_headers(limits(5, 900, "2.5", 600, 100_000))
    assert snap is not None
    assert (snap.remaining_requests, snap.remaining_tokens, snap.reset_requests) == (5, 900, 2.5)
    assert snap.limit_requests == 600 and snap.limit_tokens == 100_000
    assert read_rate_limit_headers({"content-type": "application/json"}) is None
    assert read_rate_limit_headers({"x-ratelimit-remaining-requests": "lots"}) is None


def test_token_estimate_is_four_characters_a_token_plus_max_tokens() -> None:
    parts = {"role": "user", "content": [{"type": "text", "text": "y" * 40}]}
    assert estimate_tokens({"messages": [parts], "max_tokens": 100}) == (10, 100)
    assert estimate_tokens({"input": ["a" * 8, "b" * 9]}) == (5, 0)
    assert estimate_tokens({"prompt": "z" * 4, "max_completion_tokens": 7}) == (1, 7)
    assert estimate_tokens(None) == (0, 0)


# -- asleep: no headers, no cost -----------------------------------------------------------------


def test_without_rate_limit_headers_the_pacer_stays_asleep() -> None:
    pacer = Pacer(clock=Clock())
    for _ in range(100):
        permit, wait = pacer.try_acquire(body())
        assert (permit, wait) == (None, 0.0)
        assert pacer.settle(None, body(), 200, {"content-type": "application/json"}) is False
    assert not pacer.awake and pacer.models == {}


def test_switched_off_it_never_wakes_or_waits() -> None:
    pacer = Pacer(False, clock=Clock())
    pacer.settle(None, body(), 200, limits(0, 0))
    pacer.settle(None, body(), 429, {"retry-after": "30", "x-ratelimit-over-limit": "yes"})
    assert pacer.try_acquire(body()) == (None, 0.0) and not pacer.awake


# -- the server's remaining ----------------------------------------------------------------------


def answer(
    pacer: Pacer,
    permit: pacing.Permit,
    requests: int,
    tokens: int = 100_000,
    reset: str = "10",
    limit_r: int = 600,
    limit_t: int = 100_000,
) -> None:
    pacer.settle(permit, body(), 200, limits(requests, tokens, reset, limit_r, limit_t))


def test_requests_stop_at_what_remains_and_resume_at_the_reset() -> None:
    clock = Clock()
    pacer = Pacer(clock=clock)
    pacer.settle(None, body(), 200, limits(3, 99_000, "10", 4, 100_000))  # our first request
    assert pacer.awake
    permits = [grant(pacer) for _ in range(3)]
    # Three in flight against three remaining: wait for their replies, not for the reset.
    assert wait_of(pacer) == pacing.POLL
    for permit, left in zip(permits, (2, 1, 0)):
        answer(pacer, permit, left, limit_r=4)
    clock.now += 4
    assert wait_of(pacer) == pytest.approx(6.0)  # not into the wall: until the reset
    clock.now += 6
    for _ in range(4):  # a fresh window: the whole limit again
        grant(pacer)
    assert wait_of(pacer) == pacing.POLL


def test_the_lowest_remaining_of_a_window_wins() -> None:
    """Requests reach the server in another order than they were let through: the reply
    reporting the least remaining is the latest news, whatever its place in line."""
    pacer = Pacer(clock=Clock())
    pacer.settle(None, body(), 200, limits(9, 99_000, "10", 10, 100_000))
    first, second, third = grant(pacer), grant(pacer), grant(pacer)
    answer(pacer, second, 7, limit_r=10)  # reached the server first
    answer(pacer, first, 8, limit_r=10)  # reached it second: older news
    assert pacer.models[CHAT].requests.remaining == 7
    for _ in range(6):  # 7 remaining, 1 in flight (third)
        grant(pacer)
    assert wait_of(pacer) == pacing.POLL
    answer(pacer, third, 6, limit_r=10)
    assert wait_of(pacer) == pacing.POLL  # six more still unanswered


def test_requests_in_flight_count_against_what_remains() -> None:
    clock = Clock()
    pacer = Pacer(clock=clock)
    pacer.settle(None, body(), 200, limits(5, 99_000, "10", 6, 100_000))
    permits = [grant(pacer) for _ in range(5)]
    assert wait_of(pacer) == pacing.POLL
    answer(pacer, permits[0], 4, limit_r=6)  # the server counted one; four still fly
    assert wait_of(pacer) == pacing.POLL
    for permit in permits[1:]:
        answer(pacer, permit, 0, limit_r=6)
    assert wait_of(pacer) == pytest.approx(10.0)


def test_other_processes_on_the_key_leave_this_one_its_share() -> None:
    """Half of what the window used was someone else's: only half of what remains is ours
    to send, so two processes pacing alike do not both spend the same remainder."""
    pacer = Pacer(clock=Clock())
    pacer.settle(None, body(), 200, limits(99, 99_000, "10", 100, 100_000))
    permits = [grant(pacer) for _ in range(10)]
    for i, permit in enumerate(permits):
        answer(pacer, permit, 98 - 2 * i, limit_r=100)  # another process sends as much
    state = pacer.models[CHAT]
    assert state.requests.remaining == 80
    granted = 0
    while pacer.try_acquire(body())[0] is not None:
        granted += 1
    assert granted == 44  # 11 of the 20 used were ours: 0.55 x 80 remaining
    assert state.requests.share == pytest.approx(11 / 20)


def test_alone_the_share_is_everything() -> None:
    pacer = Pacer(clock=Clock())
    pacer.settle(None, body(), 200, limits(99, 99_000, "10", 100, 100_000))
    permits = [grant(pacer) for _ in range(10)]
    for i, permit in enumerate(permits):
        answer(pacer, permit, 98 - i, limit_r=100)
    granted = 0
    while pacer.try_acquire(body())[0] is not None:
        granted += 1
    assert granted == 89 and pacer.models[CHAT].requests.share == 1.0


def test_requests_spread_over_the_window_instead_of_a_burst() -> None:
    clock = Clock()
    pacer = Pacer(clock=clock)
    pacer.settle(None, body(), 200, limits(100, 99_000, "10", 101, 100_000))
    grant(pacer)
    assert wait_of(pacer) == pytest.approx(10 / 100)  # 100 remain for 10 s
    clock.now += 5
    grant(pacer)  # 99 left (one in flight) for 5 s
    assert wait_of(pacer) == pytest.approx(5 / 99)
    clock.now += 4.9
    grant(pacer)  # near the reset the rest may go at once
    assert wait_of(pacer) == pytest.approx(0.1 / 98)


def test_tokens_spread_over_the_window_too() -> None:
    clock = Clock()
    pacer = Pacer(clock=clock)
    pacer.settle(None, body(chars=4), 200, limits(1000, 10_000, "10", 1001, 10_001))
    grant(pacer, body(chars=4000))  # 1,000 of 10,000 tokens: a tenth of the window
    assert wait_of(pacer) == pytest.approx(1.0)


def test_a_request_unanswered_for_long_stops_counting() -> None:
    clock = Clock()
    pacer = Pacer(clock=clock)
    pacer.settle(None, body(), 200, limits(1, 99_000, "60", 2, 100_000))
    grant(pacer)  # never answered (its caller was cancelled)
    assert wait_of(pacer) == pacing.POLL
    clock.now += _pacing_state.IN_FLIGHT_HORIZON + 1
    grant(pacer)


def test_replies_of_an_earlier_window_are_ignored() -> None:
    clock = Clock()
    pacer = Pacer(clock=clock)
    pacer.settle(None, body(), 200, limits(599, 99_000, "1", 600, 100_000))
    old = grant(pacer)
    clock.now += 1  # the window resets while ``old`` is in flight
    new = grant(pacer)
    answer(pacer, old, 0, reset="0")
    answer(pacer, new, 599, reset="1")
    assert pacer.models[CHAT].requests.remaining == 599


def test_tokens_stop_at_what_remains() -> None:
    clock = Clock()
    pacer = Pacer(clock=clock)
    pacer.settle(None, body(chars=40), 200, limits(99, 150, "3", 100, 160))  # 10 tokens
    first = grant(pacer, body(chars=400))  # 100 tokens
    assert wait_of(pacer, body(chars=400)) == pacing.POLL  # its reply may say it cost less
    answer(pacer, first, 98, 50, reset="3", limit_r=100, limit_t=160)
    assert wait_of(pacer, body(chars=400)) == pytest.approx(3.0)
    grant(pacer, body(chars=200))  # 50 tokens still fit
    assert wait_of(pacer, body(chars=4)) == pacing.POLL


def test_max_tokens_counts_against_the_token_limit() -> None:
    pacer = Pacer(clock=Clock())
    pacer.settle(None, body(), 200, limits(100, 500))
    grant(pacer, body(chars=40, max_tokens=450))
    assert wait_of(pacer, body(chars=40, max_tokens=450)) > 0


def test_a_request_bigger_than_the_whole_limit_goes_in_a_full_window() -> None:
    clock = Clock()
    pacer = Pacer(clock=clock)
    pacer.settle(None, body(), 200, limits(100, 1000, reset="5", limit_t=1000))
    big = grant(pacer, body(chars=8000))  # 2000 tokens: all of a full window
    answer(pacer, big, 99, 0, reset="5")
    assert wait_of(pacer, body(chars=8000)) == pytest.approx(5.0)
    clock.now += 5
    grant(pacer, body(chars=8000))


def test_usage_corrects_the_characters_per_token_ratio() -> None:
    pacer = Pacer(clock=Clock())
    pacer.settle(None, body(), 200, limits(1000, 1_000_000))
    b = body(chars=400)  # estimated 100 tokens
    for _ in range(30):
        permit = grant(pacer, b)
        reply = b'{"usage":{"prompt_tokens":200,"completion_tokens":30,"total_tokens":230}}'
        pacer.settle(permit, b, 200, limits(1000, 1_000_000), reply)
    state = pacer.models[CHAT]
    assert state.ratio == pytest.approx(2.0, rel=0.05)
    assert state.completion == pytest.approx(30, rel=0.1)
    assert grant(pacer, b).tokens == pytest.approx(230, rel=0.05)
    # With max_tokens the reserve is what was asked for, not the average.
    assert grant(pacer, body(chars=400, max_tokens=10)).tokens == pytest.approx(210, rel=0.05)


# -- 429s ----------------------------------------------------------------------------------------


def test_a_429_holds_every_request_of_that_model_until_retry_after() -> None:
    clock = Clock()
    pacer = Pacer(clock=clock)
    pacer.settle(None, body(), 200, limits(100, 100_000))
    permit = grant(pacer)
    over = pacer.settle(permit, body(), 429, {"retry-after": "7", "x-ratelimit-over-limit": "yes"})
    assert over is True
    assert wait_of(pacer) == pytest.approx(7.0)
    grant(pacer, body(OTHER))  # another model has its own limit
    clock.now += 7
    grant(pacer)


def test_a_429_with_an_exact_reset_waits_for_it_not_the_rounded_retry_after() -> None:
    pacer = Pacer(clock=Clock())
    pacer.settle(None, body(), 200, limits(100, 100_000, "10", 101, 100_001))
    permit = grant(pacer)
    pacer.settle(permit, body(), 429, {**limits(0, 0, "0.25", 101, 100_001), "retry-after": "1"})
    assert wait_of(pacer) == pytest.approx(0.25)
    # Without a reset header, Retry-After it is.
    other = Pacer(clock=Clock())
    other.settle(None, body(), 429, {"x-ratelimit-remaining-requests": "0", "retry-after": "3"})
    assert wait_of(other) == pytest.approx(3.0)


def test_only_a_429_marked_over_the_limit_frees_a_retry() -> None:
    pacer = Pacer(clock=Clock())
    assert pacer.settle(None, body(), 429, {"retry-after": "1"}) is False
    assert pacer.settle(None, body(), 503, {"x-ratelimit-over-limit": "yes"}) is False


def test_without_headers_429s_halve_what_may_be_in_flight_and_successes_add_back() -> None:
    clock = Clock()
    pacer = Pacer(clock=clock)
    pacer.settle(None, body(), 429, {"retry-after": "0"})  # wakes the pacer
    state = pacer.models[CHAT]
    assert state.cwnd is None  # nothing was in flight to cut
    permits = [grant(pacer) for _ in range(16)]
    pacer.settle(permits[0], body(), 429, {"retry-after": "1"})
    assert state.cwnd == pytest.approx(8.0)  # (15 in flight + this one) / 2
    # The other 429s of the same burst do not cut again.
    pacer.settle(permits[1], body(), 429, {})
    assert state.cwnd == pytest.approx(8.0)
    clock.now += 2
    assert wait_of(pacer) == pacing.POLL  # 14 still in flight, 8 allowed
    for permit in permits[2:9]:
        pacer.settle(permit, body(), 200, {})
    assert len(state.unanswered) == 7
    assert state.cwnd == pytest.approx(8.83, abs=0.01)  # +1/cwnd per success
    grant(pacer)
    newest = grant(pacer)
    assert wait_of(pacer) == pacing.POLL  # 9 in flight, 8.83 allowed
    # A 429 of a request sent after the cut cuts again.
    pacer.settle(newest, body(), 429, {})
    assert state.cwnd == pytest.approx(8.83 / 2, abs=0.01)


# -- caps set by hand ----------------------------------------------------------------------------


def test_requests_per_minute_cap() -> None:
    clock = Clock()
    pacer = Pacer(Pacing(max_requests_per_minute=3), clock=clock)
    assert pacer.awake  # caps apply from the first request
    for _ in range(3):
        grant(pacer)
        clock.now += 10
    assert wait_of(pacer) == pytest.approx(30.0)
    clock.now += 30
    grant(pacer)


def test_tokens_per_minute_cap() -> None:
    clock = Clock()
    pacer = Pacer(Pacing(max_tokens_per_minute=100), clock=clock)
    pacer.settle(None, body(), 200, limits(1000, 1000))  # the token budget is now tracked
    grant(pacer, body(chars=240))  # 60 tokens
    clock.now += 1
    grant(pacer, body(chars=160))  # 40 tokens
    assert wait_of(pacer, body(chars=4)) == pytest.approx(59.0)


@pytest.mark.parametrize("value", [0, -5, "100", float("nan")])
def test_caps_must_be_positive_numbers(value: Any) -> None:
    with pytest.raises(ValueError, match="above 0"):
        Pacing(max_requests_per_minute=value)


def test_settings_of_the_wrong_type_are_refused() -> None:
    with pytest.raises(TypeError, match="Pacing"):
        Pacer({"rpm": 5})  # type: ignore[arg-type]


# -- the Batch API hint --------------------------------------------------------------------------


def test_batch_advice_is_given_when_the_limit_makes_a_job_slower_than_a_batch() -> None:
    snap = pacing.RateLimitSnapshot(limit_requests=600, limit_tokens=400_000)
    assert batch_advice(600 * 30, 0, snap, 60) is None  # 30 minutes at the limit
    assert batch_advice(600 * 90, 0, snap, 60) == pytest.approx(90 * 60)
    assert batch_advice(10, 400_000 * 120, snap, 60) == pytest.approx(120 * 60)


def test_a_big_job_is_pointed_to_the_batch_api_once(caplog: pytest.LogCaptureFixture) -> None:
    pacer = Pacer(clock=Clock())
    with caplog.at_level(logging.WARNING, logger="nebius_inference"):
        assert pacer.expect(CHAT, 600 * 100, 0) is None  # the limit is not known yet
        pacer.settle(None, body(), 200, limits(600, 100_000, reset="60"))
        pacer.expect(CHAT, 600 * 100, 0)
        pacer.expect(CHAT, 600 * 100, 0)
        assert pacer.expect(OTHER, 10, 10) is None
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1, lines
    assert "langchain_nebius.batch" in lines[0] and "llama_index_nebius.batch" in lines[0]
    assert CHAT in lines[0]


def test_the_hint_names_the_batch_module_of_the_announcing_adapter(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pacer = Pacer(clock=Clock())
    pacer.settle(None, body(), 200, limits(600, 100_000, reset="60"))
    with caplog.at_level(logging.WARNING, logger="nebius_inference"):
        seconds = pacer.expect(CHAT, 600 * 100, 0, "llama_index_nebius.batch")
    assert seconds == pytest.approx(100 * 60)
    [line] = [r.getMessage() for r in caplog.records]
    assert "(llama_index_nebius.batch)" in line and "langchain_nebius" not in line


def test_a_job_announced_before_the_limit_is_known_is_not_hidden_by_its_own_chunks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # LlamaIndex announces the whole job, then hands the core one request of it at a time,
    # each announced as a job of its own: the whole is what the first reply is judged on.
    pacer = Pacer(clock=Clock())
    with caplog.at_level(logging.WARNING, logger="nebius_inference"):
        assert pacer.expect(CHAT, 600 * 100, 0, "llama_index_nebius.batch") is None
        assert pacer.expect(CHAT, 1, 10) is None
        pacer.settle(None, body(), 200, limits(600, 100_000, reset="60"))
    [line] = [r.getMessage() for r in caplog.records]
    assert "about 100 minutes" in line and "(llama_index_nebius.batch)" in line


def test_announce_job_reaches_the_pacer_of_a_client(caplog: pytest.LogCaptureFixture) -> None:
    from nebius_inference import NebiusClient

    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=chat_reply(), headers=limits(1, 1_000_000, "3600"))

    client = NebiusClient(
        api_key="nb-test", http_client=httpx.Client(transport=httpx.MockTransport(reply))
    )
    with caplog.at_level(logging.WARNING, logger="nebius_inference"):
        client.create_chat_completion(body())
        seconds = pacing.announce_job(
            client, CHAT, requests=3, tokens=0, batch_module="langchain_nebius.batch"
        )
    assert seconds == pytest.approx(3 * 3600)
    assert "(langchain_nebius.batch)" in caplog.records[-1].getMessage()
    off = NebiusClient(api_key="nb-test", pacing=False)
    assert pacing.announce_job(off, CHAT, requests=10**6, tokens=0) is None


def test_a_small_job_gets_no_hint(caplog: pytest.LogCaptureFixture) -> None:
    pacer = Pacer(clock=Clock())
    pacer.settle(None, body(), 200, limits(600, 100_000, reset="60"))
    with caplog.at_level(logging.WARNING, logger="nebius_inference"):
        assert pacer.expect(CHAT, 600 * 10, 10_000) is None
    assert not caplog.records


# -- the waiting twins ---------------------------------------------------------------------------


@pytest.fixture
def waiting() -> Iterator[Clock]:
    """Waiting switched on (the test suite switches it off); the twins get sleeps that move the
    fake clock instead of waiting on the wall clock."""
    _retry.set_testing(False)
    yield Clock()
    _retry.set_testing(True)


def test_pace_waits_for_the_reset(waiting: Clock) -> None:
    pacer = Pacer(clock=waiting)
    pacer.settle(None, body(), 200, limits(1, 99_000, "2", 2, 100_000))
    start = waiting.now

    def sleep(seconds: float) -> None:
        waiting.now += seconds

    permit = pace(pacer, body(), sleep)
    assert permit is not None and waiting.now == start
    answer(pacer, permit, 0, reset="2", limit_r=2)
    assert pace(pacer, body(), sleep) is not None
    assert waiting.now == pytest.approx(start + 2)


def test_apace_waits_for_the_reset(waiting: Clock) -> None:
    pacer = Pacer(clock=waiting)
    pacer.settle(None, body(), 200, limits(1, 99_000, "2", 2, 100_000))
    start = waiting.now

    async def sleep(seconds: float) -> None:
        waiting.now += seconds

    async def two() -> None:
        permit = await apace(pacer, body(), sleep)
        assert permit is not None
        answer(pacer, permit, 0, reset="2", limit_r=2)
        await apace(pacer, body(), sleep)

    asyncio.run(two())
    assert waiting.now == pytest.approx(start + 2)


def test_while_testing_the_twins_do_not_wait() -> None:
    clock = Clock()
    pacer = Pacer(clock=clock)
    pacer.settle(None, body(), 200, limits(0, 0, reset="60"))
    assert pace(pacer, body()) is not None
    assert asyncio.run(apace(pacer, body())) is not None
    assert clock.now == 1000.0 and _retry.recorded_sleeps() == []


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork (POSIX only)")
def test_a_child_forked_while_the_lock_is_held_gets_a_fresh_one() -> None:
    pacer = Pacer(clock=Clock())
    pacer.settle(None, body(), 200, limits(10, 99_000, "10", 11, 100_000))
    grant(pacer)  # in flight in the parent
    with pacer.lock:  # another thread of the parent holds the lock at the fork
        pid = os.fork()
        if pid == 0:  # the child: must not deadlock, and starts with nothing in flight
            code = 1
            try:
                permit, _ = pacer.try_acquire(body())
                code = 0 if permit is not None and len(pacer.models[CHAT].unanswered) == 1 else 2
            finally:
                os._exit(code)
    watchdog = threading.Timer(60, os.kill, (pid, signal.SIGKILL))  # a deadlocked child
    watchdog.start()
    try:
        _, status = os.waitpid(pid, 0)
    finally:
        watchdog.cancel()
    assert os.waitstatus_to_exitcode(status) == 0
