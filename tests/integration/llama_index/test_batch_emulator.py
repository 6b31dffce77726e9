"""``llama_index_nebius.batch`` against the emulator: NebiusLLM chats and NebiusEmbedding
texts through the Batch API.

The emulator moves a batch one step per poll and retry sleeps are off, so nothing waits on
the wall clock. ``Say "..."`` prompts are answered verbatim, which shows each response
belongs to its input.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from li_events import EventRecorder, recording_events
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, ImageBlock, TextBlock
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from llama_index.core.tools import FunctionTool

from llama_index_nebius import NebiusEmbedding, NebiusLLM
from llama_index_nebius.batch import (
    AsyncChatBatchJob,
    ChatBatchJob,
    NebiusBatchError,
    NebiusBatchItemError,
    abatch_inference,
    abatch_text_embeddings,
    batch_inference,
    batch_text_embeddings,
)
from nebius_inference.batch import BatchNotFinishedError, BatchStateError
from nebius_inference.testing import Emulator, Fault

MODEL = "Qwen/Qwen3-30B-A3B-Instruct-2507"
EMBED_MODEL = "Qwen/Qwen3-Embedding-8B"


def magic_function(input: int) -> int:
    """Applies a magic function to an input."""
    return input + 2


MAGIC = FunctionTool.from_defaults(fn=magic_function)


@pytest.fixture
def emulator(nebius_emulator_clean: Emulator) -> Emulator:
    return nebius_emulator_clean


@pytest.fixture
def conn(emulator: Emulator) -> dict[str, Any]:
    return {"api_key": emulator.api_key, "base_url": emulator.base_url}


@pytest.fixture
def llm(conn: dict[str, Any]) -> NebiusLLM:
    return NebiusLLM(model=MODEL, max_tokens=4, max_retries=0, **conn)


def _user(text: str) -> list[ChatMessage]:
    return [ChatMessage(role="user", content=text)]


def _count(emu: Emulator, path: str) -> int:
    return len(emu.requests(path=path, method="POST"))


def _comparable(response: ChatResponse) -> dict[str, Any]:
    assert response.raw is not None
    raw = response.raw.model_dump()
    raw.pop("id")
    raw.pop("created")
    return {
        "message": response.message.model_dump(),
        "raw": raw,
        "additional_kwargs": response.additional_kwargs,
    }


def test_ten_thousand_chats_in_one_call_come_back_in_order(
    llm: NebiusLLM, emulator: Emulator
) -> None:
    chats = [_user(f'Say "q{i}"') for i in range(10_000)]
    responses = batch_inference(llm, chats, max_requests_per_file=2_500)
    assert [r.message.content for r in responses] == [f"q{i}" for i in range(10_000)]
    assert _count(emulator, "/v1/files") == 4 == _count(emulator, "/v1/batches")
    # The LLM's own conversion: the same response as chat(), ids and timestamps aside.
    for i in (0, 2_499, 2_500, 9_999):
        assert _comparable(responses[i]) == _comparable(llm.chat(chats[i]))
    assert responses[0].additional_kwargs["completion_tokens"] == 1


def test_tools_as_chat_with_tools_sends_them(llm: NebiusLLM) -> None:
    prompts = [f"what is magic_function({i})?" for i in range(8)]
    responses = batch_inference(
        llm, prompts, tools=[MAGIC], tool_required=True, llm_kwargs={"max_tokens": 64}
    )
    calls = [llm.get_tool_calls_from_response(r) for r in responses]
    assert [c[0].tool_kwargs for c in calls] == [{"input": i} for i in range(8)]
    direct = llm.chat_with_tools([MAGIC], user_msg=prompts[5], tool_required=True, max_tokens=64)
    assert calls[5][0].tool_kwargs == llm.get_tool_calls_from_response(direct)[0].tool_kwargs

    [named] = batch_inference(
        llm,
        ["no tool named here"],
        tools=[MAGIC],
        llm_kwargs={"tool_choice": "magic_function", "max_tokens": 64},
    )
    assert llm.get_tool_calls_from_response(named)[0].tool_name == "magic_function"


def test_reasoning_models_give_thinking_blocks(conn: dict[str, Any]) -> None:
    thinker = NebiusLLM(model="Qwen/Qwen3-235B-A22B-Thinking-2507", max_tokens=64, **conn)
    [response] = batch_inference(thinker, ["Why is the sky blue?"])
    assert _comparable(response) == _comparable(thinker.chat(_user("Why is the sky blue?")))
    assert response.message.blocks[0].block_type == "thinking"


def test_a_rejected_line_is_an_error_in_its_slot(llm: NebiusLLM) -> None:
    broken = ChatMessage(
        role="user",
        blocks=[
            TextBlock(text="what is this?"),
            ImageBlock(image=b"not an image", image_mimetype="image/png"),
        ],
    )
    chats: list[Any] = ['Say "one"', [broken], 'Say "three"']
    one, failed, three = batch_inference(llm, chats, return_exceptions=True)
    assert [one.message.content, three.message.content] == ["one", "three"]
    assert isinstance(failed, NebiusBatchItemError) and failed.index == 1
    assert "not a valid image" in failed.reason

    with pytest.raises(NebiusBatchError) as caught:
        batch_inference(llm, chats)
    assert str(caught.value).startswith("1 of 3 batch inputs failed: [1] ")
    assert caught.value.outputs[2].message.content == "three"


def test_expired_batches_name_the_inputs_that_did_not_run(
    llm: NebiusLLM, emulator: Emulator
) -> None:
    emulator.inject(Fault("batch_expire"))
    responses = batch_inference(llm, [f'Say "e{i}"' for i in range(4)], return_exceptions=True)
    assert [r.message.content for r in responses[:2]] == ["e0", "e1"]
    assert all(isinstance(r, NebiusBatchItemError) and "expired" in r.reason for r in responses[2:])


def test_state_file_resumes_instead_of_submitting_again(
    llm: NebiusLLM, emulator: Emulator, tmp_path: Path, conn: dict[str, Any]
) -> None:
    path = tmp_path / "job.json"
    chats = [f'Say "r{i}"' for i in range(12)]
    ChatBatchJob(llm, chats, state_path=path, max_requests_per_file=5).submit()
    assert emulator.api_key not in path.read_text()
    assert (_count(emulator, "/v1/files"), _count(emulator, "/v1/batches")) == (3, 3)

    again = NebiusLLM(model=MODEL, max_tokens=4, **conn)  # as in a new process
    responses = batch_inference(again, chats, state_path=path)
    assert [r.message.content for r in responses] == [f"r{i}" for i in range(12)]
    assert (_count(emulator, "/v1/files"), _count(emulator, "/v1/batches")) == (3, 3)
    assert ChatBatchJob.resume(again, path).wait()[11].message.content == "r11"

    with pytest.raises(BatchStateError, match="not that job"):
        batch_inference(again, chats[:3], state_path=path)
    path.unlink()  # a new job at the same path: the old state file goes first
    assert len(batch_inference(again, chats[:3], state_path=path)) == 3
    with pytest.raises(BatchStateError, match=r"for /v1/chat/completions.*for /v1/embeddings"):
        batch_text_embeddings(NebiusEmbedding(**conn), ["x"], state_path=path)


def test_cancel_and_timeout(llm: NebiusLLM) -> None:
    job = ChatBatchJob(llm, ["a", "b", "c"], max_requests_per_file=2).submit()
    job.cancel()
    with pytest.raises(NebiusBatchError, match="3 of 3 batch inputs failed") as caught:
        job.wait()
    assert all("cancelled" in e.reason for e in caught.value.errors)

    slow = ChatBatchJob(llm, ['Say "t"'])
    with pytest.raises(BatchNotFinishedError):
        slow.wait(timeout=0)
    assert slow.wait()[0].message.content == "t"


def test_embeddings_in_order_equal_the_online_vectors(
    conn: dict[str, Any], emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    model = NebiusEmbedding(
        model_name=EMBED_MODEL, dimensions=24, text_instruction="passage: ", **conn
    )
    texts = [f"note {i} on subject {i % 5}" for i in range(200)]
    vectors = batch_text_embeddings(
        model, texts, texts_per_request=9, max_requests_per_file=10, progress_bar=True
    )
    online = model.get_text_embedding_batch(texts)
    assert len(vectors) == 200 and all(len(v) == 24 for v in vectors)
    for got, want in zip(vectors, online):
        assert max(abs(a - b) for a, b in zip(got, want)) < 1e-6
    assert _count(emulator, "/v1/batches") == 3  # 23 requests, 10 per file
    assert "job-" in capsys.readouterr().err  # the progress bar
    assert batch_text_embeddings(model, []) == []


async def test_async_twins(llm: NebiusLLM, conn: dict[str, Any], emulator: Emulator) -> None:
    chats = [_user(f'Say "a{i}"') for i in range(1_000)]
    responses = await abatch_inference(llm, chats, max_requests_per_file=300)
    assert [r.message.content for r in responses] == [f"a{i}" for i in range(1_000)]
    assert _count(emulator, "/v1/batches") == 4

    job = await AsyncChatBatchJob(
        llm, ["magic_function(9)"], tools=[MAGIC], tool_required=True, llm_kwargs={"max_tokens": 64}
    ).submit()
    [call] = await job.wait()
    assert llm.get_tool_calls_from_response(call)[0].tool_kwargs == {"input": 9}

    cancelled = await AsyncChatBatchJob(llm, ["x"]).submit()
    await cancelled.cancel()
    [error] = await cancelled.wait(return_exceptions=True)
    assert isinstance(error, NebiusBatchItemError) and "cancelled" in error.reason

    [ok] = await abatch_inference(llm, ['Say "fine"'])
    assert ok.message.content == "fine"

    model = NebiusEmbedding(model_name=EMBED_MODEL, dimensions=8, **conn)
    vectors = await abatch_text_embeddings(model, ["one text", "two texts"])
    online = await model.aget_text_embedding_batch(["one text", "two texts"])
    assert [[round(x, 6) for x in v] for v in vectors] == [[round(x, 6) for x in v] for v in online]
    assert await abatch_text_embeddings(model, []) == []


async def test_async_resume_from_a_state_file(
    llm: NebiusLLM, emulator: Emulator, tmp_path: Path
) -> None:
    path = tmp_path / "job.json"
    chats = [f'Say "s{i}"' for i in range(7)]
    await AsyncChatBatchJob(llm, chats, state_path=path, max_requests_per_file=3).submit()
    responses = await abatch_inference(llm, chats, state_path=path)
    assert [r.message.content for r in responses] == [f"s{i}" for i in range(7)]
    assert _count(emulator, "/v1/batches") == 3
    resumed = AsyncChatBatchJob.resume(llm, path)
    assert (await resumed.wait())[6].message.content == "s6"


@pytest.fixture
def events() -> Iterator[EventRecorder]:
    with recording_events() as recorder:
        yield recorder


def test_each_chat_sends_the_events_and_callbacks_llm_chat_sends(
    conn: dict[str, Any], events: EventRecorder
) -> None:
    counter = TokenCountingHandler()
    llm = NebiusLLM(model=MODEL, max_tokens=4, callback_manager=CallbackManager([counter]), **conn)
    broken = ChatMessage(
        role="user", blocks=[ImageBlock(image=b"not an image", image_mimetype="image/png")]
    )
    one, failed, three = batch_inference(
        llm, ['Say "one"', [broken], 'Say "three"'], return_exceptions=True
    )
    assert isinstance(failed, NebiusBatchItemError)
    assert events.names() == [
        "LLMChatStartEvent",
        "LLMChatEndEvent",
        "LLMChatStartEvent",
        "ExceptionEvent",
        "LLMChatStartEvent",
        "LLMChatEndEvent",
    ]
    assert events.events[1].response is one  # type: ignore[attr-defined]
    assert events.events[3].exception is failed  # type: ignore[attr-defined]
    assert events.events[2].messages == [broken]  # type: ignore[attr-defined]
    assert "api_key" not in events.events[0].model_dict  # type: ignore[attr-defined]
    # Token counting reads each reply's usage, as for llm.chat (which counts 0 for an error).
    usages = [r.raw.usage for r in (one, three)]  # type: ignore[union-attr]
    assert [c.prompt_token_count for c in counter.llm_token_counts] == [
        usages[0].prompt_tokens,
        0,
        usages[1].prompt_tokens,
    ]
    assert counter.total_llm_token_count == sum(u.total_tokens for u in usages)


async def test_async_jobs_send_events_and_resumed_jobs_need_their_inputs(
    llm: NebiusLLM, events: EventRecorder, tmp_path: Path
) -> None:
    chats = [_user(f'Say "e{i}"') for i in range(2)]
    await abatch_inference(llm, chats)
    assert events.names() == ["LLMChatStartEvent", "LLMChatEndEvent"] * 2
    path = tmp_path / "job.json"
    await AsyncChatBatchJob(llm, chats, state_path=path).submit()
    await AsyncChatBatchJob.resume(llm, path, inputs=chats).wait()
    assert len(events.events) == 8
    # Without its inputs a resumed job has no messages to report: it sends no events.
    ChatBatchJob.resume(llm, path).wait()
    assert len(events.events) == 8
