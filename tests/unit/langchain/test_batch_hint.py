"""``ChatNebius.batch`` / ``abatch`` tell the pacer the job's size: a job the rate limit would
stretch past the Batch API's turnaround gets one warning naming ``langchain_nebius.batch``.

The fake API's replies say the limit is 1 request per 3,600 s window, so a batch of 2 needs
about 2 hours at the limit and a single request 1 hour (not more than a batch's turnaround).
The pacer's waiting is off in the test suite, so nothing here waits.
"""

from __future__ import annotations

import logging

import httpx
import pytest
from fakes import FakeAPI, chat_reply
from langchain_core.messages import HumanMessage
from langchain_core.prompt_values import StringPromptValue

from langchain_nebius import ChatNebius
from langchain_nebius._job_hint import input_chars

MODEL = "vendor/chat-model"
ONE_AN_HOUR = {
    "x-ratelimit-limit-requests": "1",
    "x-ratelimit-remaining-requests": "1",
    "x-ratelimit-reset-requests": "3600",
    "x-ratelimit-limit-tokens": "1000000",
    "x-ratelimit-remaining-tokens": "1000000",
    "x-ratelimit-reset-tokens": "3600",
}


def limited(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=chat_reply("ok"), headers=ONE_AN_HOUR)


@pytest.fixture
def llm(fake: FakeAPI) -> ChatNebius:
    fake.default = limited
    return ChatNebius(model=MODEL, **fake.kwargs())


def hints(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "Batch API" in r.getMessage()]


def test_a_batch_the_limit_stretches_past_an_hour_is_pointed_to_langchain_batch(
    llm: ChatNebius, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="nebius_inference"):
        llm.invoke("learn the limit")  # one request: an hour, no hint
        assert not hints(caplog)
        replies = llm.batch(["a", "b"])
        llm.batch(["c", "d", "e"])  # once per client and model
    assert [r.content for r in replies] == ["ok", "ok"]
    [line] = hints(caplog)
    assert "langchain_nebius.batch" in line and "llama_index_nebius" not in line
    assert MODEL in line and "120 minutes" in line


def test_the_first_reply_of_a_batch_says_the_limit_and_brings_the_hint(
    llm: ChatNebius, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="nebius_inference"):
        llm.batch(["a", "b", "c"], config={"max_concurrency": 2})
    [line] = hints(caplog)
    assert "langchain_nebius.batch" in line and "180 minutes" in line


async def test_abatch_is_pointed_there_too(
    llm: ChatNebius, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="nebius_inference"):
        replies = await llm.abatch(["a", "b"], return_exceptions=True)
    assert [getattr(r, "content", r) for r in replies] == ["ok", "ok"]
    [line] = hints(caplog)
    assert "langchain_nebius.batch" in line


def test_a_batch_within_the_limit_gets_no_hint(
    fake: FakeAPI, caplog: pytest.LogCaptureFixture
) -> None:
    roomy = {**ONE_AN_HOUR, "x-ratelimit-limit-requests": "100"}
    fake.default = lambda request: httpx.Response(200, json=chat_reply("ok"), headers=roomy)
    llm = ChatNebius(model=MODEL, **fake.kwargs())
    with caplog.at_level(logging.WARNING, logger="nebius_inference"):
        llm.batch(["a"] * 50)
    assert not hints(caplog)
    assert len(fake.requests) == 50


def test_with_pacing_off_no_hint(fake: FakeAPI, caplog: pytest.LogCaptureFixture) -> None:
    fake.default = limited
    llm = ChatNebius(model=MODEL, pacing=False, **fake.kwargs())
    with caplog.at_level(logging.WARNING, logger="nebius_inference"):
        llm.batch(["a", "b", "c"])
    assert not hints(caplog)


def test_the_token_estimate_reads_every_input_shape() -> None:
    assert input_chars("abcd") == 4
    assert input_chars(StringPromptValue(text="abcdef")) == 6
    assert input_chars([HumanMessage("ab"), ("user", "cde"), {"role": "user", "content": "f"}]) == 6
    parts = [{"type": "text", "text": "abc"}, {"type": "image_url", "image_url": {"url": "x"}}]
    assert input_chars([HumanMessage(content=parts)]) == 3
    assert input_chars(42) == 0
