"""LlamaIndex events and callbacks: instrumentation events, token counting, no secrets."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from fakes import API_KEY, FakeAPI, chat_reply, chunk, stream_response, usage_chunk
from li_events import EventRecorder, recording_events
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from llama_index.core.prompts import PromptTemplate
from pydantic import BaseModel

from llama_index_nebius import NebiusLLM

MakeLLM = Callable[..., NebiusLLM]
HI = [ChatMessage(role="user", content="hi")]


@pytest.fixture
def recorder() -> Iterator[EventRecorder]:
    with recording_events() as handler:
        yield handler


def test_chat_emits_start_and_end_events_without_secrets(
    fake: FakeAPI, make_llm: MakeLLM, recorder: EventRecorder
) -> None:
    fake.queue(chat_reply("hello"))
    make_llm().chat(HI)
    assert recorder.names() == ["LLMChatStartEvent", "LLMChatEndEvent"]
    start, end = recorder.events
    assert start.model_dict["class_name"] == "NebiusLLM"  # type: ignore[attr-defined]
    assert start.model_dict["context_window"] == 262_144  # type: ignore[attr-defined]
    assert API_KEY not in json.dumps(start.model_dict, default=str)  # type: ignore[attr-defined]
    assert end.response.message.content == "hello"  # type: ignore[attr-defined]


async def test_stream_emits_progress_events(
    fake: FakeAPI, make_llm: MakeLLM, recorder: EventRecorder
) -> None:
    fake.queue(
        stream_response(
            chunk(content="a"), chunk(content="b", finish_reason="stop"), usage_chunk(5, 4)
        )
    )
    gen = await make_llm().astream_chat(HI)
    _ = [r async for r in gen]
    names = recorder.names()
    assert names[0] == "LLMChatStartEvent" and names[-1] == "LLMChatEndEvent"
    assert names.count("LLMChatInProgressEvent") == 3


def test_complete_emits_completion_events(
    fake: FakeAPI, make_llm: MakeLLM, recorder: EventRecorder
) -> None:
    fake.queue(chat_reply("x"))
    make_llm().complete("hi")
    assert recorder.names() == ["LLMCompletionStartEvent", "LLMCompletionEndEvent"]


def test_structured_predict_emits_its_events(
    fake: FakeAPI, make_llm: MakeLLM, recorder: EventRecorder
) -> None:
    class City(BaseModel):
        name: str

    fake.queue(chat_reply('{"name": "Oslo"}'))
    make_llm().structured_predict(City, PromptTemplate("A city in {country}"), country="Norway")
    names = recorder.names()
    assert names[0] == "LLMStructuredPredictStartEvent"
    assert names[-1] == "LLMStructuredPredictEndEvent"
    assert "LLMChatStartEvent" in names


def test_token_counting_uses_the_reported_usage(fake: FakeAPI) -> None:
    counter = TokenCountingHandler()
    llm = NebiusLLM(callback_manager=CallbackManager([counter]), **fake.clients())
    fake.queue(chat_reply("hello", usage=(11, 4)))
    llm.chat(HI)
    fake.queue(stream_response(chunk(content="yo", finish_reason="stop"), usage_chunk(20, 6)))
    list(llm.stream_chat(HI))
    assert [e.prompt_token_count for e in counter.llm_token_counts] == [11, 20]
    assert [e.completion_token_count for e in counter.llm_token_counts] == [4, 6]
    assert counter.total_llm_token_count == 41
