"""``langchain_nebius.batch`` against the emulator: ChatNebius inputs through the Batch API.

The emulator moves a batch one step per poll and retry sleeps are off, so nothing waits on
the wall clock. ``Say "..."`` prompts are answered verbatim, which shows each reply belongs
to its input.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from langchain_core.callbacks import (
    AsyncCallbackHandler,
    BaseCallbackHandler,
    UsageMetadataCallbackHandler,
)
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.outputs import LLMResult
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import tool

from langchain_nebius import ChatNebius, NebiusEmbeddings
from langchain_nebius.batch import (
    AsyncChatBatchJob,
    ChatBatchJob,
    NebiusBatchError,
    NebiusBatchItemError,
    abatch_inference,
    aembed_documents_batch,
    batch_inference,
    embed_documents_batch,
)
from nebius_inference.batch import BatchNotFinishedError, BatchProgress, BatchStateError
from nebius_inference.testing import Emulator, Fault

MODEL = "Qwen/Qwen3-30B-A3B-Instruct-2507"
EMBED_MODEL = "Qwen/Qwen3-Embedding-8B"
# Not a valid PNG (the header only): the API rejects the line that carries it.
IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}


@tool
def magic_function(input: int) -> int:
    """Applies a magic function to an input."""
    return input + 2


@pytest.fixture
def llm(conn: dict[str, Any]) -> ChatNebius:
    return ChatNebius(model=MODEL, max_tokens=4, max_retries=0, **conn)


def _count(emu: Emulator, method: str, path: str) -> int:
    return len(emu.requests(path=path, method=method))


def _comparable(message: AIMessage) -> dict[str, Any]:
    dumped = message.model_dump()
    dumped.pop("id")
    dumped["response_metadata"].pop("id")
    for call in dumped["tool_calls"]:
        call.pop("id")
    return dumped


def test_ten_thousand_prompts_in_one_call_come_back_in_order(
    llm: ChatNebius, emu: Emulator
) -> None:
    prompts = [f'Say "p{i}"' for i in range(10_000)]
    seen: list[BatchProgress] = []
    replies = batch_inference(llm, prompts, max_requests_per_file=2_500, on_progress=seen.append)
    assert [reply.content for reply in replies] == [f"p{i}" for i in range(10_000)]
    assert _count(emu, "POST", "/v1/files") == 4 == _count(emu, "POST", "/v1/batches")
    assert seen[-1].done and seen[-1].completed == 10_000
    # The same conversion as invoke: the same message, ids aside.
    for i in (0, 2_499, 2_500, 9_999):
        assert _comparable(replies[i]) == _comparable(llm.invoke(prompts[i]))
    assert replies[0].usage_metadata is not None and replies[0].usage_metadata["output_tokens"]


def test_bound_tools_survive_and_reach_every_line(llm: ChatNebius) -> None:
    bound = llm.bind_tools([magic_function], tool_choice="magic_function").bind(max_tokens=64)
    prompts = [f"what is magic_function({i})?" for i in range(12)]
    job = ChatBatchJob(bound, prompts, max_requests_per_file=5)
    replies = job.wait()
    assert [reply.tool_calls[0]["args"] for reply in replies] == [{"input": i} for i in range(12)]
    assert all(reply.response_metadata["finish_reason"] == "tool_calls" for reply in replies)
    assert _comparable(replies[7]) == _comparable(bound.invoke(prompts[7]))
    client = llm._get_client()
    for part in job.job.state.parts:
        assert part.input_file_id is not None
        for line in client.get_file_content(part.input_file_id).splitlines():
            body = json.loads(line)["body"]
            assert body["tools"][0]["function"]["name"] == "magic_function"
            assert body["tool_choice"] == {
                "type": "function",
                "function": {"name": "magic_function"},
            }


def test_required_tool_choice_and_reasoning_models(conn: dict[str, Any]) -> None:
    thinker = ChatNebius(model="Qwen/Qwen3-235B-A22B-Thinking-2507", max_tokens=64, **conn)
    [reply] = batch_inference(thinker.bind_tools([magic_function], tool_choice="any"), ["go"])
    assert reply.tool_calls and reply.tool_calls[0]["name"] == "magic_function"
    [text] = batch_inference(thinker, ["Explain why the sky is blue."])
    assert text.additional_kwargs["reasoning_content"]
    assert _comparable(text) == _comparable(thinker.invoke("Explain why the sky is blue."))


def test_a_rejected_line_is_an_error_in_its_slot(llm: ChatNebius) -> None:
    inputs: list[Any] = [
        'Say "first"',
        [HumanMessage(content=[{"type": "text", "text": "what is this?"}, IMAGE])],
        'Say "third"',
    ]
    first, failed, third = batch_inference(llm, inputs, return_exceptions=True)
    assert isinstance(first, AIMessage) and first.content == "first"
    assert isinstance(third, AIMessage) and third.content == "third"
    assert isinstance(failed, NebiusBatchItemError)
    assert failed.index == 1 and "not a valid image" in failed.reason

    with pytest.raises(NebiusBatchError) as caught:
        batch_inference(llm, inputs)
    assert str(caught.value).startswith("1 of 3 batch inputs failed: [1] ")
    assert "not a valid image" in str(caught.value)
    kept = caught.value.outputs
    assert [kept[0].content, kept[2].content] == ["first", "third"]
    assert caught.value.results is not None and len(caught.value.results) == 3


def test_lost_output_lines_and_failed_batches_name_their_inputs(
    llm: ChatNebius, emu: Emulator
) -> None:
    emu.inject(Fault("batch_drop_output", lines=2))
    replies = batch_inference(
        llm, [f'Say "w{i}"' for i in range(6)], return_exceptions=True, max_requests_per_file=3
    )
    missing = [r for r in replies if isinstance(r, NebiusBatchItemError)]
    assert len(missing) == 2 and all(e.index < 3 for e in missing)
    assert all("missing from the output" in e.reason for e in missing)
    assert all(r.content == f"w{i}" for i, r in enumerate(replies) if isinstance(r, AIMessage))

    emu.inject(Fault("batch_fail"))
    with pytest.raises(NebiusBatchError, match="2 of 2 batch inputs failed") as caught:
        batch_inference(llm, ["a", "b"])
    assert all(e.batch_id and "failed" in e.reason for e in caught.value.errors)


def test_state_file_resumes_instead_of_submitting_again(
    llm: ChatNebius, emu: Emulator, tmp_path: Path
) -> None:
    path = tmp_path / "job.json"
    prompts = [f'Say "r{i}"' for i in range(25)]
    ChatBatchJob(llm, prompts, state_path=path, max_requests_per_file=10).submit()
    assert emu.api_key not in path.read_text()
    assert (_count(emu, "POST", "/v1/files"), _count(emu, "POST", "/v1/batches")) == (3, 3)

    # A new process: a fresh model object, the same call with the same state file.
    again = ChatNebius(model=MODEL, max_tokens=4, base_url=emu.base_url, api_key=emu.api_key)
    replies = batch_inference(again, prompts, state_path=path, max_requests_per_file=10)
    assert [r.content for r in replies] == [f"r{i}" for i in range(25)]
    assert (_count(emu, "POST", "/v1/files"), _count(emu, "POST", "/v1/batches")) == (3, 3)
    # Finished jobs resume too, and without their inputs.
    assert ChatBatchJob.resume(again, path).wait()[24].content == "r24"

    with pytest.raises(BatchStateError, match="not that job"):
        batch_inference(again, prompts[:5], state_path=path)
    path.unlink()  # a new job at the same path: the old state file goes first
    fresh = batch_inference(again, prompts[:5], state_path=path)
    assert [r.content for r in fresh] == [f"r{i}" for i in range(5)]
    assert _count(emu, "POST", "/v1/batches") == 4


def test_resume_needs_the_inputs_only_when_files_were_never_uploaded(
    llm: ChatNebius, emu: Emulator, tmp_path: Path
) -> None:
    path = tmp_path / "job.json"
    ChatBatchJob(llm, ['Say "u0"', 'Say "u1"'], state_path=path)  # planned, nothing sent
    assert _count(emu, "POST", "/v1/files") == 0
    with pytest.raises(BatchStateError, match="pass the same requests"):
        ChatBatchJob.resume(llm, path).wait()
    replies = ChatBatchJob.resume(llm, path, inputs=['Say "u0"', 'Say "u1"']).wait()
    assert [r.content for r in replies] == ["u0", "u1"]


def test_cancel_and_timeout(llm: ChatNebius, emu: Emulator) -> None:
    job = ChatBatchJob(llm, ["a", "b", "c"], max_requests_per_file=2).submit()
    assert len(job.job.batch_ids) == 2
    job.cancel()
    replies = job.wait(return_exceptions=True)
    assert all(isinstance(r, NebiusBatchItemError) and "cancelled" in r.reason for r in replies)

    slow = ChatBatchJob(llm, ['Say "t"'])
    with pytest.raises(BatchNotFinishedError, match="did not finish within 0 s"):
        slow.wait(timeout=0)
    assert [r.content for r in slow.wait()] == ["t"]
    assert _count(emu, "POST", "/v1/batches") == 3


def test_an_embeddings_state_file_is_not_resumed_as_chat(
    llm: ChatNebius, conn: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "job.json"
    embeddings = NebiusEmbeddings(model=EMBED_MODEL, dimensions=8, **conn)
    embed_documents_batch(embeddings, ["x"], state_path=path)
    with pytest.raises(BatchStateError, match=r"for /v1/embeddings.*for /v1/chat/completions"):
        batch_inference(llm, ["x"], state_path=path)
    with pytest.raises(BatchStateError, match="holds a /v1/embeddings job"):
        ChatBatchJob.resume(llm, path)
    path.unlink()
    batch_inference(llm, ["x"], state_path=path)
    with pytest.raises(BatchStateError, match=r"for /v1/chat/completions.*for /v1/embeddings"):
        embed_documents_batch(embeddings, ["x"], state_path=path)


def test_embeddings_in_order_equal_the_online_vectors(
    conn: dict[str, Any], emu: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    embeddings = NebiusEmbeddings(model=EMBED_MODEL, dimensions=32, **conn)
    texts = [f"document number {i} about topic {i % 7}" for i in range(300)]
    vectors = embed_documents_batch(
        embeddings, texts, texts_per_request=7, max_requests_per_file=20, progress_bar=True
    )
    assert "job-" in capsys.readouterr().err  # the progress bar
    online = embeddings.embed_documents(texts)
    assert len(vectors) == 300 and all(len(v) == 32 for v in vectors)
    for got, want in zip(vectors, online):
        assert max(abs(a - b) for a, b in zip(got, want)) < 1e-6
    assert _count(emu, "POST", "/v1/batches") == 3  # 43 requests of 7 texts, 20 per file
    assert embed_documents_batch(embeddings, []) == []


async def test_async_twins(llm: ChatNebius, conn: dict[str, Any], emu: Emulator) -> None:
    prompts = [f'Say "a{i}"' for i in range(1_000)]
    replies = await abatch_inference(llm, prompts, max_requests_per_file=400)
    assert [r.content for r in replies] == [f"a{i}" for i in range(1_000)]
    assert _count(emu, "POST", "/v1/batches") == 3

    bound = llm.bind_tools([magic_function], tool_choice="magic_function").bind(max_tokens=64)
    job = await AsyncChatBatchJob(bound, ["magic_function(41)", "oops"]).submit()
    assert job.progress.parts == 1
    [call, _] = await job.wait()
    assert call.tool_calls[0]["args"] == {"input": 41}

    cancelled = await AsyncChatBatchJob(llm, ["x", "y"]).submit()
    await cancelled.cancel()
    with pytest.raises(NebiusBatchError, match="2 of 2 batch inputs failed"):
        await cancelled.wait()

    [first, failed] = await abatch_inference(
        llm, ['Say "ok"', [HumanMessage(content=[IMAGE])]], return_exceptions=True
    )
    assert first.content == "ok" and isinstance(failed, NebiusBatchItemError)

    embeddings = NebiusEmbeddings(model=EMBED_MODEL, dimensions=16, **conn)
    texts = ["one text", "another text", "a third"]
    vectors = await aembed_documents_batch(embeddings, texts)
    online = await embeddings.aembed_documents(texts)
    assert [[round(x, 6) for x in v] for v in vectors] == [[round(x, 6) for x in v] for v in online]
    assert await aembed_documents_batch(embeddings, []) == []


async def test_async_resume_from_a_state_file(
    llm: ChatNebius, emu: Emulator, tmp_path: Path
) -> None:
    path = tmp_path / "job.json"
    prompts = [f'Say "s{i}"' for i in range(9)]
    await AsyncChatBatchJob(llm, prompts, state_path=path, max_requests_per_file=4).submit()
    replies = await abatch_inference(llm, prompts, state_path=path)
    assert [r.content for r in replies] == [f"s{i}" for i in range(9)]
    assert _count(emu, "POST", "/v1/batches") == 3
    resumed = AsyncChatBatchJob.resume(llm, path)
    assert [r.content for r in await resumed.wait()][-1] == "s8"


class _Recorder(BaseCallbackHandler):
    """Every chat model run it hears of: start messages, tags, metadata, then output or error."""

    def __init__(self) -> None:
        self.starts: dict[UUID, dict[str, Any]] = {}
        self.ends: dict[UUID, Any] = {}

    def on_chat_model_start(
        self, serialized: dict[str, Any], messages: list[list[Any]], **kwargs: Any
    ) -> None:
        self.starts[kwargs["run_id"]] = {"messages": messages[0], **kwargs}

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        self.ends[kwargs["run_id"]] = response.generations[0][0].message

    def on_llm_error(self, error: BaseException, **kwargs: Any) -> None:
        self.ends[kwargs["run_id"]] = error

    def runs(self) -> list[tuple[str, Any]]:
        """(the input's text, what the run ended with), in the order the runs started."""
        return [(str(s["messages"][-1].content), self.ends[i]) for i, s in self.starts.items()]


def test_each_input_is_reported_to_the_callbacks_with_its_reply_or_error(
    llm: ChatNebius,
) -> None:
    inputs: list[Any] = [
        'Say "first"',
        [HumanMessage(content=[{"type": "text", "text": "what is this?"}, IMAGE])],
        'Say "third"',
    ]
    recorder, usage = _Recorder(), UsageMetadataCallbackHandler()
    config: RunnableConfig = {
        "callbacks": [recorder, usage],
        "tags": ["nightly"],
        "metadata": {"job": "demo"},
        "run_name": "batch-item",
    }
    with pytest.raises(NebiusBatchError) as caught:
        batch_inference(llm, inputs, config=config)
    first, failed, third = caught.value.outputs
    runs = recorder.runs()
    assert [text for text, _ in runs] == ['Say "first"', str(inputs[1][0].content), 'Say "third"']
    assert runs[0][1] is first and runs[2][1] is third
    assert isinstance(runs[1][1], NebiusBatchItemError) and runs[1][1] is failed
    start = next(iter(recorder.starts.values()))
    assert start["tags"] == ["nightly"] and start["name"] == "batch-item"
    assert start["metadata"]["job"] == "demo" and start["metadata"]["ls_provider"] == "nebius"
    assert start["invocation_params"]["model"] == MODEL
    # Usage handlers count batch tokens as they count invoke's.
    counted = usage.usage_metadata[MODEL]
    assert counted["total_tokens"] == sum(
        m.usage_metadata["total_tokens"] for m in (first, third) if m.usage_metadata
    )


def test_the_model_own_callbacks_hear_of_batch_runs(
    conn: dict[str, Any],
) -> None:
    recorder = _Recorder()
    llm = ChatNebius(model=MODEL, max_tokens=64, callbacks=[recorder], **conn)
    bound = llm.bind_tools([magic_function], tool_choice="magic_function")
    replies = ChatBatchJob(bound, ["magic_function(5)?"]).wait()
    ((text, reply),) = recorder.runs()
    assert text == "magic_function(5)?" and reply is replies[0]
    assert reply.tool_calls[0]["args"] == {"input": 5}
    # No handler at all: the job finishes the same, with nobody told.
    plain = ChatNebius(model=MODEL, max_tokens=4, **conn)
    assert batch_inference(plain, ['Say "x"'])[0].content == "x"


async def test_async_handlers_are_awaited_and_resumed_jobs_report_with_inputs(
    llm: ChatNebius, tmp_path: Path
) -> None:
    class AsyncRecorder(AsyncCallbackHandler):
        def __init__(self) -> None:
            self.ended: list[str] = []

        async def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
            await asyncio.sleep(0)
            self.ended.append(str(response.generations[0][0].message.content))

    recorder = AsyncRecorder()
    prompts = [f'Say "a{i}"' for i in range(3)]
    replies = await abatch_inference(llm, prompts, config={"callbacks": [recorder]})
    assert recorder.ended == [r.content for r in replies] == ["a0", "a1", "a2"]

    path = tmp_path / "job.json"
    await AsyncChatBatchJob(llm, prompts, state_path=path).submit()
    resumed = AsyncChatBatchJob.resume(llm, path, inputs=prompts, config={"callbacks": [recorder]})
    await resumed.wait()
    assert recorder.ended[3:] == ["a0", "a1", "a2"]
    # Without its inputs a resumed job has no messages to report: it reports nothing.
    await AsyncChatBatchJob.resume(llm, path).wait()
    assert len(recorder.ended) == 6
