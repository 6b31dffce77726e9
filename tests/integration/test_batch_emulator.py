"""Batch jobs against the emulator over real loopback HTTP.

The session emulator speaks the live API's dialect (statuses validating -> running -> done,
lines ``{id, custom_id, response, error}``, output in shuffled order); a second emulator in this
module speaks OpenAI's (in_progress/finalizing/completed, ``{status_code, request_id, body}``).
Each poll of a batch moves it one step, so no test waits on the wall clock.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nebius_inference import AsyncNebiusClient, NebiusClient, _retry
from nebius_inference.batch import (
    AsyncBatchJob,
    BatchJob,
    BatchJobState,
    BatchProgress,
    aembed_batch,
    arun_batch,
    chat_requests,
    embed_batch,
    run_batch,
)
from nebius_inference.testing import Emulator, EmulatorConfig, Fault
from nebius_inference.types import ChatCompletion

MODEL = "Qwen/Qwen3-30B-A3B-Instruct-2507"
OTHER_MODEL = "Qwen/Qwen3-235B-A22B-Instruct-2507"
EMBED_MODEL = "Qwen/Qwen3-Embedding-8B"


@pytest.fixture(autouse=True)
def no_sleep() -> Iterator[None]:
    _retry.set_testing(True)
    yield
    _retry.set_testing(False)


@pytest.fixture
def emu(nebius_emulator_clean: Emulator) -> Emulator:
    return nebius_emulator_clean


@pytest.fixture
def nebius(emu: Emulator) -> Iterator[NebiusClient]:
    with NebiusClient(api_key=emu.api_key, base_url=emu.base_url, max_retries=0) as client:
        yield client


@pytest.fixture(scope="module")
def openai_emu() -> Iterator[Emulator]:
    config = EmulatorConfig(
        batch_statuses="openai", batch_output_format="openai", batch_output_order="reversed"
    )
    with Emulator(config) as emulator:
        yield emulator


def _count(emu: Emulator, method: str, path: str) -> int:
    return len(emu.requests(path=path, method=method))


def _text(item: Any) -> str:
    assert item.ok, item.error
    content: str = item.response.choices[0].message.content
    return content


def test_three_thousand_requests_split_across_files_come_back_in_order(
    emu: Emulator, nebius: NebiusClient
) -> None:
    prompts = [f"Tell me about the number {i}" for i in range(3000)]
    requests = chat_requests(prompts, model=MODEL, max_tokens=6)
    seen: list[BatchProgress] = []
    results = run_batch(nebius, requests, max_requests_per_file=700, on_progress=seen.append)
    assert len(results) == 3000 and results.ok and results.unmatched_lines == 0
    assert [item.index for item in results] == list(range(3000))
    assert len({item.custom_id for item in results}) == 3000
    parts = math.ceil(3000 / 700)
    assert _count(emu, "POST", "/v1/files") == parts == _count(emu, "POST", "/v1/batches")
    assert seen[-1].done and seen[-1].completed == 3000 and seen[-1].parts == parts
    # The emulator answers the same request the same way: each result belongs to its prompt.
    for i in (0, 699, 700, 1234, 2999):
        direct = nebius.create_chat_completion(requests[i])
        reply = results[i].response
        assert isinstance(reply, ChatCompletion) and reply.usage == direct.usage
        assert _text(results[i]) == direct.choices[0].message.content


def test_lines_the_api_rejects_come_back_from_the_error_file(nebius: NebiusClient) -> None:
    requests = chat_requests(["first", "second", "third"], model=MODEL, max_tokens=4)
    requests[1]["max_tokens"] = 10_000_000
    results = run_batch(nebius, requests)
    assert [item.ok for item in results] == [True, False, True]
    assert results[1].error is not None and "maximum context length" in results[1].error


def test_dropped_and_malformed_output_lines_fail_only_their_items(
    emu: Emulator, nebius: NebiusClient
) -> None:
    emu.inject(Fault("batch_drop_output", lines=2))
    emu.inject(Fault("batch_malformed_output", lines=3))
    requests = chat_requests([f"question {i}" for i in range(20)], model=MODEL, max_tokens=4)
    results = run_batch(nebius, requests, max_requests_per_file=10)
    missing = [i.index for i in results if "missing from the output" in (i.error or "")]
    malformed = [i.index for i in results if "is not valid JSON" in (i.error or "")]
    assert len(results.failures) == 5
    # The first batch (inputs 0-9) lost two lines, the second (10-19) got three broken ones.
    assert len(missing) == 2 and all(i < 10 for i in missing)
    assert len(malformed) == 3 and all(i >= 10 for i in malformed)
    assert results.unmatched_lines == 0


def test_failed_and_expired_batches_say_so_per_item(emu: Emulator, nebius: NebiusClient) -> None:
    emu.inject(Fault("batch_fail"))
    emu.inject(Fault("batch_expire"))
    requests = [
        *chat_requests(["a", "b"], model=MODEL, max_tokens=4),
        *chat_requests(["c", "d", "e", "f"], model=OTHER_MODEL, max_tokens=4),
    ]
    results = run_batch(nebius, requests)
    failed, expired = results[:2], results[2:]
    assert all("failed: The batch failed (emulated failure)" in (i.error or "") for i in failed)
    # An expired batch ran the first half of its lines.
    assert [item.ok for item in expired] == [True, True, False, False]
    assert [item.error for item in expired[2:]] == [
        f"batch {expired[2].batch_id} expired before this request ran"
    ] * 2


def test_cancel_cancels_every_batch_and_reports_cancelled_items(
    emu: Emulator, nebius: NebiusClient
) -> None:
    requests = chat_requests([f"q{i}" for i in range(6)], model=MODEL, max_tokens=4)
    job = BatchJob(nebius, requests, max_requests_per_file=2).submit()
    job.cancel()
    results = job.wait()
    assert _count(emu, "POST", "/v1/batches") == 3
    assert len([r for r in emu.request_log if r.path.endswith("/cancel")]) == 3
    assert {item.error for item in results} == {
        f"batch {item.batch_id} was cancelled before this request ran" for item in results
    }
    assert set(job.progress.states) == {"cancelled"}


def test_resume_after_a_crash_uploads_and_creates_nothing_again(
    emu: Emulator, tmp_path: Path
) -> None:
    state_path = tmp_path / "job.json"
    requests = chat_requests([f"q{i}" for i in range(25)], model=MODEL, max_tokens=4)
    with NebiusClient(api_key=emu.api_key, base_url=emu.base_url) as first:
        BatchJob(first, requests, max_requests_per_file=10, state_path=state_path).submit()
    # The process "dies" here: the job object and the client are gone; only the file is left.
    assert emu.api_key not in state_path.read_text()
    assert len(json.loads(state_path.read_text())["parts"]) == 3
    uploads, creates = _count(emu, "POST", "/v1/files"), _count(emu, "POST", "/v1/batches")
    assert (uploads, creates) == (3, 3)
    with NebiusClient(api_key=emu.api_key, base_url=emu.base_url) as second:
        results = BatchJob.resume(second, state_path).wait()
    assert results.ok and len(results) == 25
    assert (_count(emu, "POST", "/v1/files"), _count(emu, "POST", "/v1/batches")) == (3, 3)
    assert BatchJobState.load(state_path).done


def test_a_create_cut_off_is_looked_up_before_creating_again(
    emu: Emulator, nebius: NebiusClient, tmp_path: Path
) -> None:
    state_path = tmp_path / "job.json"
    emu.inject(Fault("disconnect", path="/v1/batches", method="POST"))
    with NebiusClient(api_key=emu.api_key, base_url=emu.base_url, max_retries=1) as client:
        job = BatchJob(client, chat_requests(["a"], model=MODEL), state_path=state_path)
        results = job.submit().wait()
    assert results.ok
    lookups = emu.requests(path="/v1/batches", method="GET")
    assert len(lookups) == 1 and lookups[0].query.get("input_file_id")
    assert _count(emu, "POST", "/v1/files") == 1
    assert _count(emu, "POST", "/v1/batches") == 2  # the cut one, then the one that was made
    assert len(job.batch_ids) == 1


def test_openai_statuses_and_line_shape(openai_emu: Emulator, emu: Emulator) -> None:
    requests = chat_requests(["alpha", "beta", "gamma"], model=MODEL, max_tokens=5)
    states: list[str] = []
    with NebiusClient(api_key=openai_emu.api_key, base_url=openai_emu.base_url) as client:
        results = run_batch(
            client, requests, on_progress=lambda p: states.extend(p.states), poll_interval=1.0
        )
    assert states == ["running", "finalizing", "completed"]
    assert all(item.status_code == 200 for item in results)
    with NebiusClient(api_key=emu.api_key, base_url=emu.base_url) as client:
        native = run_batch(client, requests)
    assert [item.status_code for item in native] == [200, 200, 200]
    assert [_text(a) for a in results] == [_text(b) for b in native]


def test_embed_batch_matches_direct_embeddings(nebius: NebiusClient) -> None:
    texts = [f"document about topic {i}" for i in range(7)]
    vectors = embed_batch(nebius, texts, model=EMBED_MODEL, texts_per_request=3)
    direct = nebius.embed(texts, model=EMBED_MODEL)
    assert len(vectors) == 7 and len(vectors[0]) == 4096
    for got, want in zip(vectors, direct):
        assert max(abs(a - b) for a, b in zip(got, want)) < 1e-6


async def test_async_job_end_to_end(emu: Emulator, tmp_path: Path) -> None:
    client = AsyncNebiusClient(api_key=emu.api_key, base_url=emu.base_url)
    try:
        requests = chat_requests([f"q{i}" for i in range(30)], model=MODEL, max_tokens=4)
        results = await arun_batch(client, requests, max_requests_per_file=8)
        assert results.ok and len(results) == 30
        assert _count(emu, "POST", "/v1/batches") == 4

        state_path = tmp_path / "job.json"
        await AsyncBatchJob(client, requests[:5], state_path=state_path).submit()
        resumed = AsyncBatchJob.resume(client, state_path)
        again = await resumed.wait()
        assert [_text(a) for a in again] == [_text(b) for b in results[:5]]
        assert _count(emu, "POST", "/v1/batches") == 5

        cancelled = await AsyncBatchJob(client, requests[:2]).submit()
        await cancelled.cancel()
        assert not any(item.ok for item in await cancelled.wait())

        vectors = await aembed_batch(client, ["one text", "another text"], model=EMBED_MODEL)
        direct = await client.embed(["one text", "another text"], model=EMBED_MODEL)
        assert max(abs(a - b) for a, b in zip(vectors[1], direct[1])) < 1e-6
    finally:
        await client.aclose()
