"""LlamaIndex events and callbacks: instrumentation events, token counting, no secrets."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from li_events import EventRecorder, recording_events
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from llama_index.core.prompts import PromptTemplate
from pydantic import BaseModel
from unit.llama_index.li_fakes import API_KEY, FakeNebius, chat_json, chunk, sse, usage_chunk

from llama_index_nebius import NebiusLLM

MakeLLM = Callable[..., NebiusLLM]
HI = [ChatMessage(role="user", content="hi")]


@pytest.fixture
def recorder() -> Iterator[EventRecorder]:
    with recording_events() as handler:
        yield handler


def test_chat_emits_start_and_end_events_without_secrets(
    fake: FakeNebius, make_llm: MakeLLM, recorder: EventRecorder
) -> None:
    fake.add(chat_json("hello"))
    make_llm().chat(HI)
    assert recorder.names() == ["LLMChatStartEvent", "LLMChatEndEvent"]
    start, end = recorder.events
    assert start.model_dict["class_name"] == "NebiusLLM"  # type: ignore[attr-defined]
    assert start.model_dict["context_window"] == 262_144  # type: ignore[attr-defined]
    assert API_KEY not in json.dumps(start.model_dict, default=str)  # type: ignore[attr-defined]
    assert end.response.message.content == "hello"  # type: ignore[attr-defined]


async def test_stream_emits_progress_events(
    fake: FakeNebius, make_llm: MakeLLM, recorder: EventRecorder
) -> None:
    fake.add(sse([chunk(content="a"), chunk(content="b", finish_reason="stop"), usage_chunk()]))
    gen = await make_llm().astream_chat(HI)
    _ = [r async for r in gen]
    names = recorder.names()
    assert names[0] == "LLMChatStartEvent" and names[-1] == "LLMChatEndEvent"
    assert names.count("LLMChatInProgressEvent") == 3


def test_complete_emits_completion_events(
    fake: FakeNebius, make_llm: MakeLLM, recorder: EventRecorder
) -> None:
    fake.add(chat_json("x"))
    make_llm().complete("hi")
    assert recorder.names() == ["LLMCompletionStartEvent", "LLMCompletionEndEvent"]


def test_structured_predict_emits_its_events(
    fake: FakeNebius, make_llm: MakeLLM, recorder: EventRecorder
) -> None:
    class City(BaseModel):
        name: str

    fake.add(chat_json('{"name": "Oslo"}'))
    make_llm().structured_predict(City, PromptTemplate("A city in {country}"), country="Norway")
    names = recorder.names()
    assert names[0] == "LLMStructuredPredictStartEvent"
    assert names[-1] == "LLMStructuredPredictEndEvent"
    assert "LLMChatStartEvent" in names


def test_token_counting_uses_the_reported_usage(fake: FakeNebius) -> None:
    counter = TokenCountingHandler()
    llm = NebiusLLM(callback_manager=CallbackManager([counter]), **fake.clients())
    fake.add(chat_json("hello", usage=(11, 4)))
    llm.chat(HI)
    fake.add(sse([chunk(content="yo", finish_reason="stop"), usage_chunk(20, 6)]))
    list(llm.stream_chat(HI))
    assert [e.prompt_token_count for e in counter.llm_token_counts] == [11, 20]
    assert [e.completion_token_count for e in counter.llm_token_counts] == [4, 6]
    assert counter.total_llm_token_count == 41
