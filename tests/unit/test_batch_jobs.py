"""Batch jobs end to end over the scripted fake's Files + Batches API (``fakes.batches``), on
both send routes: through httpx.MockTransport and on 127.0.0.1 (uploads, cut downloads and a
lost create reply then cross a real socket).

The fake speaks both dialects: Nebius (statuses validating -> running -> done, output lines
``{id, custom_id, response: <completion>, error}``) and OpenAI (validating -> in_progress ->
finalizing -> completed, ``response: {status_code, request_id, body}``). Markers in a prompt
make the fake misbehave for that request: ``FAIL`` (a line in the error file), ``DROP`` (no line
at all), ``MALFORM`` (a truncated output line), ``DUP`` (the line twice).
"""

from __future__ import annotations

import contextlib
import gc
import json
import math
import sys
import tracemalloc
from array import array
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes import API_KEY, FakeAPI, FilesAndBatches, Route, SimulatedCrash

from nebius_inference import (
    APIConnectionError,
    ConfigurationError,
    InvalidRequestError,
    _retry,
)
from nebius_inference.batch import (
    AsyncBatchJob,
    BatchFailedError,
    BatchJob,
    BatchJobState,
    BatchNotFinishedError,
    BatchProgress,
    BatchStateError,
    aembed_batch,
    arun_batch,
    chat_requests,
    embed_batch,
    embedding_requests,
    run_batch,
)
from nebius_inference.types import ChatCompletion

CHAT_MODEL = "Qwen/Qwen3-235B-A22B-Instruct-2507"
SMALL_MODEL = "Qwen/Qwen3-30B-A3B-Instruct-2507"
EMBED_MODEL = "Qwen/Qwen3-Embedding-8B"


async def _no_wait(seconds: float) -> None:
    """An async ``sleep`` that does not wait."""


BatchAPI = Callable[..., tuple[FakeAPI, FilesAndBatches]]


@pytest.fixture
def batch_api(route: Route) -> Iterator[BatchAPI]:
    """Makes the scripted fake with the files and batches state machine mounted (no retries),
    reached on ``route``."""
    with contextlib.ExitStack() as stack:

        def make(**options: Any) -> tuple[FakeAPI, FilesAndBatches]:
            store = FilesAndBatches(**options)
            api = FakeAPI(base_url="https://fake/v1", max_retries=0).mount(store)
            stack.enter_context(api.serving(route))
            return api, store

        yield make


def _prompts(n: int, model: str = CHAT_MODEL) -> list[dict[str, Any]]:
    return chat_requests([f"q{i}" for i in range(n)], model=model, max_tokens=8)


def _contents(results: Any) -> list[str | None]:
    return [item.response.choices[0].message.content if item.ok else None for item in results]


# -- the happy path, both dialects --------------------------------------------------------------


@pytest.mark.parametrize("vocabulary", ["nebius", "openai"])
@pytest.mark.parametrize("shape", ["nebius", "openai"])
def test_run_batch_returns_every_result_in_input_order(
    batch_api: BatchAPI, vocabulary: str, shape: str
) -> None:
    api, _ = batch_api(vocabulary=vocabulary, shape=shape)
    requests = _prompts(7)
    with api.sync_client() as client:
        results = run_batch(client, requests, max_requests_per_file=3)
    assert len(results) == 7 and results.ok
    assert results.contents() == [f"echo: q{i}" for i in range(7)]
    assert [item.index for item in results] == list(range(7))
    assert all(isinstance(reply, ChatCompletion) for reply in results.chat_completions())
    assert api.count("POST", "/files") == 3 and api.count("POST", "/batches") == 3
    assert results.unmatched_lines == 0 and results.notes == []


def test_input_files_are_jsonl_with_unique_custom_ids_and_one_model_each(
    batch_api: BatchAPI,
) -> None:
    api, store = batch_api()
    requests = [*_prompts(2), *_prompts(2, SMALL_MODEL), *_prompts(1)]
    with api.sync_client() as client:
        job = BatchJob(client, requests, max_requests_per_file=10).submit()
        assert job.state.parts[0].model == CHAT_MODEL and job.state.parts[1].model == SMALL_MODEL
        seen: list[str] = []
        for part in job.state.parts:
            assert part.input_file_id is not None
            for raw in store.files[part.input_file_id].splitlines():
                line = json.loads(raw)
                assert set(line) == {"custom_id", "method", "url", "body"}
                assert line["method"] == "POST" and line["url"] == "/v1/chat/completions"
                assert line["body"]["model"] == part.model
                seen.append(line["custom_id"])
            assert store.filenames[part.input_file_id].endswith(".jsonl")
        assert len(set(seen)) == 5
        batch = store.batches[job.batch_ids[0]]
        assert batch["metadata"]["job_id"] == job.job_id and batch["metadata"]["part"] == "1/2"
        results = job.wait()
    assert results.contents() == ["echo: q0", "echo: q1", "echo: q0", "echo: q1", "echo: q0"]


def test_split_by_bytes_keeps_every_file_under_the_limit(batch_api: BatchAPI) -> None:
    api, store = batch_api()
    requests = _prompts(6)
    with api.sync_client() as client:
        job = BatchJob(client, requests, max_bytes_per_file=400)
        results = job.wait()
    sizes = [len(content) for fid, content in store.files.items() if store.filenames.get(fid)]
    assert len(sizes) > 1 and max(sizes) <= 400
    assert results.contents() == [f"echo: q{i}" for i in range(6)]


# -- nothing is lost ----------------------------------------------------------------------------


@pytest.mark.parametrize("shape", ["nebius", "openai"])
def test_failed_dropped_malformed_and_duplicated_lines_each_say_why(
    batch_api: BatchAPI, shape: str
) -> None:
    api, store = batch_api(shape=shape)
    store.extra_output = [b"this is not json", b'{"custom_id": "someone-else-3", "response": {}}']
    prompts = ["ok", "FAIL please", "DROP me", "MALFORM me", "DUP me", "fine"]
    with api.sync_client() as client:
        results = run_batch(client, chat_requests(prompts, model=CHAT_MODEL))
    ok, failed, dropped, malformed, dup, fine = results
    assert ok.ok and fine.ok and not results.ok
    assert failed.error == "the request asked to fail (code: bad_request)" or (
        shape == "openai" and failed.error == "the request asked to fail"
    )
    if shape == "openai":
        assert failed.status_code == 400
    assert dropped.error is not None and "missing from the output of batch" in dropped.error
    assert malformed.error is not None and "is not valid JSON" in malformed.error
    assert dup.ok and dup.note is not None and "more than once" in dup.note
    assert dup.response is not None
    assert _contents([dup]) == ["echo: DUP me"]  # the first line is kept
    assert results.unmatched_lines == 2
    assert any("cannot be recovered" in note for note in results.notes)
    assert any("someone-else-3" in note for note in results.notes)
    assert [item.index for item in results.failures] == [1, 2, 3]
    with pytest.raises(BatchFailedError, match=r"3 of 6 batch requests failed") as caught:
        results.raise_for_errors()
    assert caught.value.failures[0].index == 1 and caught.value.results is results


def test_a_failed_batch_reports_the_rejected_line_and_the_batch_error(batch_api: BatchAPI) -> None:
    api, _ = batch_api()
    with api.sync_client() as client:
        results = run_batch(client, _prompts(3, "broken/model"))
    assert not any(item.ok for item in results)
    assert (
        results[1].error is not None and "rejected this request: line rejected" in results[1].error
    )
    assert results[0].error is not None and "failed: line rejected (line 2)" in results[0].error


def test_an_expired_batch_keeps_what_ran_and_says_the_rest_expired(batch_api: BatchAPI) -> None:
    api, _ = batch_api()
    with api.sync_client() as client:
        results = run_batch(client, _prompts(3, "slow/model"))
    assert results[0].ok
    assert [item.error for item in results[1:]] == [
        f"batch {results[0].batch_id} expired before this request ran"
    ] * 2


def test_a_batch_the_api_refuses_fails_its_items_and_the_rest_runs(batch_api: BatchAPI) -> None:
    api, _ = batch_api()
    requests = [*_prompts(2), *_prompts(2, "missing/model")]
    with api.sync_client() as client:
        results = run_batch(client, requests)
    assert [item.ok for item in results] == [True, True, False, False]
    assert results[2].error is not None
    assert "could not be submitted: Error code: 404 - Model missing/model not found" in (
        results[2].error
    )


# -- cancel -------------------------------------------------------------------------------------


def test_cancel_reports_cancelled_items_and_keeps_what_ran(batch_api: BatchAPI) -> None:
    api, _ = batch_api(finish_on_cancel=1)
    with api.sync_client() as client:
        job = BatchJob(client, _prompts(4), max_requests_per_file=2).submit()
        progress = job.cancel()
        assert progress.states == {"cancelling": 2}
        results = job.wait()
    assert api.count("POST", "/batches/{batch}/cancel") == 2
    assert [item.ok for item in results] == [True, False, True, False]
    assert results[1].error == f"batch {results[1].batch_id} was cancelled before this request ran"


def test_cancel_before_submit_submits_nothing(batch_api: BatchAPI) -> None:
    api, _ = batch_api()
    with api.sync_client() as client:
        job = BatchJob(client, _prompts(2))
        job.cancel()
        results = job.wait()
    assert api.log == []
    assert {item.error for item in results} == {
        "the job was cancelled before this request's batch was submitted"
    }


def test_cancel_of_a_batch_that_finished_meanwhile_is_not_an_error(batch_api: BatchAPI) -> None:
    api, store = batch_api()
    with api.sync_client() as client:
        job = BatchJob(client, _prompts(2)).submit()
        store.batches[job.batch_ids[0]]["status"] = "done"
        job.cancel()
    assert job.done


# -- resume -------------------------------------------------------------------------------------


def test_resume_after_a_crash_polls_without_uploading_or_creating_again(
    batch_api: BatchAPI, tmp_path: Path
) -> None:
    api, _ = batch_api()
    state_path = tmp_path / "job.json"
    with api.sync_client() as client:
        job = BatchJob(client, _prompts(5), max_requests_per_file=2, state_path=state_path)
        job.submit()
        job_id = job.job_id
    del job
    uploads, creates = api.count("POST", "/files"), api.count("POST", "/batches")
    assert (uploads, creates) == (3, 3)
    saved = json.loads(state_path.read_text())
    assert saved["job_id"] == job_id and len(saved["parts"]) == 3
    assert API_KEY not in state_path.read_text()
    with api.sync_client() as fresh:
        resumed = BatchJob.resume(fresh, state_path)
        results = resumed.wait()
    assert results.contents() == [f"echo: q{i}" for i in range(5)]
    assert (api.count("POST", "/files"), api.count("POST", "/batches")) == (3, 3)
    assert BatchJobState.load(state_path).done


def test_a_lost_create_reply_does_not_create_a_second_batch(batch_api: BatchAPI) -> None:
    api, _ = batch_api(lose_create_reply=True)
    with api.sync_client() as client:
        results = BatchJob(client, _prompts(3)).submit().wait()
    assert results.ok and len(results) == 3
    assert api.count("POST", "/batches") == 1


# MockTransport only: the simulated crash is raised in this process by the handler; across a
# socket it would only drop the connection.
@pytest.mark.parametrize("route", ["http_client"])
def test_resume_finds_a_batch_created_just_before_a_crash(
    batch_api: BatchAPI, tmp_path: Path
) -> None:
    api, store = batch_api(crash_after_create=True)
    state_path = tmp_path / "job.json"
    with api.sync_client() as client, pytest.raises(SimulatedCrash):
        BatchJob(client, _prompts(2), state_path=state_path).submit()
    assert BatchJobState.load(state_path).parts[0].creating
    store.crash_after_create = False
    with api.sync_client() as client:
        results = BatchJob.resume(client, state_path).wait()
    assert results.ok and api.count("POST", "/batches") == 1
    assert api.count("GET", "/batches") == 1


# MockTransport only: the simulated crash is raised in this process by the handler; across a
# socket it would only drop the connection.
@pytest.mark.parametrize("route", ["http_client"])
def test_cancel_after_a_crashed_create_cancels_the_batch_that_was_made(
    batch_api: BatchAPI, tmp_path: Path
) -> None:
    api, _ = batch_api(crash_after_create=True)
    state_path = tmp_path / "job.json"
    with api.sync_client() as client, pytest.raises(SimulatedCrash):
        BatchJob(client, _prompts(2), state_path=state_path).submit()
    with api.sync_client() as client:
        job = BatchJob.resume(client, state_path)
        assert job.cancel().states == {"cancelling": 1}
        results = job.wait()
    assert api.count("POST", "/batches") == 1 and api.count("POST", "/batches/{batch}/cancel") == 1
    assert [item.ok for item in results] == [True, False]


def test_resume_before_upload_needs_the_same_requests(batch_api: BatchAPI, tmp_path: Path) -> None:
    api, _ = batch_api()
    state_path = tmp_path / "job.json"
    requests = _prompts(3)
    with api.sync_client() as client:
        BatchJob(client, requests, state_path=state_path)  # planned, never submitted
        job = BatchJob.resume(client, state_path)
        with pytest.raises(BatchStateError, match="requests="):
            job.submit()
        with pytest.raises(BatchStateError, match="not that job"):
            BatchJob.resume(client, state_path, requests=_prompts(4))
        results = BatchJob.resume(client, state_path, requests=requests).wait()
    assert results.ok and api.count("POST", "/files") == 1


def test_resume_rejects_a_file_that_is_not_a_job(batch_api: BatchAPI, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": 1}')
    with batch_api()[0].sync_client() as client:
        with pytest.raises(BatchStateError, match="not a saved job"):
            BatchJob.resume(client, bad)
        with pytest.raises(BatchStateError, match="Cannot read"):
            BatchJob.resume(client, tmp_path / "absent.json")


# MockTransport only: the simulated crash is raised in this process by the handler; across a
# socket it would only drop the connection.
@pytest.mark.parametrize("route", ["http_client"])
def test_the_same_call_run_again_resumes_the_saved_job(batch_api: BatchAPI, tmp_path: Path) -> None:
    api, store = batch_api(crash_after_create=True)
    state_path = tmp_path / "job.json"
    requests = _prompts(5)
    with api.sync_client() as client, pytest.raises(SimulatedCrash):
        run_batch(client, requests, state_path=state_path, max_requests_per_file=2)
    store.crash_after_create = False
    with api.sync_client() as client:
        results = run_batch(client, requests, state_path=state_path, max_requests_per_file=2)
        again = run_batch(client, requests, state_path=state_path, max_requests_per_file=2)
    assert results.contents() == again.contents() == [f"echo: q{i}" for i in range(5)]
    assert (api.count("POST", "/files"), api.count("POST", "/batches")) == (3, 3)


def test_the_same_call_with_other_requests_is_refused_and_says_what_to_do(
    batch_api: BatchAPI, tmp_path: Path
) -> None:
    api, _ = batch_api()
    state_path = tmp_path / "job.json"
    with api.sync_client() as client:
        BatchJob(client, _prompts(3), state_path=state_path).submit()
        saved = state_path.read_bytes()
        for other in (_prompts(4), [*_prompts(2), *_prompts(1, SMALL_MODEL)]):
            with pytest.raises(BatchStateError) as caught:
                run_batch(client, other, state_path=state_path)
            message = str(caught.value)
            assert "job.json holds batch job" in message and "not that job's" in message
            assert "pass the same requests" in message and "another state_path" in message
    assert state_path.read_bytes() == saved
    assert (api.count("POST", "/files"), api.count("POST", "/batches")) == (1, 1)


def test_a_state_file_that_is_not_utf8_is_a_state_error(
    batch_api: BatchAPI, tmp_path: Path
) -> None:
    bad = tmp_path / "job.json"
    bad.write_bytes(b'{"job_id": "\xff\xfe"}' + bytes([0xFF, 0xFE, 0x80]))
    with batch_api()[0].sync_client() as client:
        with pytest.raises(BatchStateError, match="not UTF-8"):
            BatchJob.resume(client, bad)
        with pytest.raises(BatchStateError, match="not UTF-8"):
            run_batch(client, _prompts(1), state_path=bad)


def test_the_state_file_is_written_to_a_temporary_file_synced_then_renamed(
    batch_api: BatchAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state_path = tmp_path / "job.json"
    with batch_api()[0].sync_client() as client:
        job = BatchJob(client, _prompts(2), state_path=state_path)
    before = state_path.read_bytes()
    synced: list[int] = []
    monkeypatch.setattr("os.fsync", synced.append)

    def crash(*args: Any) -> None:
        raise SimulatedCrash("died between writing and renaming")

    monkeypatch.setattr("os.replace", crash)
    job.state.parts[0].input_file_id = "file-new"
    with pytest.raises(SimulatedCrash):
        job.save()
    assert state_path.read_bytes() == before  # the old state, whole
    assert len(synced) == 1  # the temporary file was flushed to disk before the rename
    monkeypatch.undo()
    job.save()
    assert BatchJobState.load(state_path).parts[0].input_file_id == "file-new"


def test_invalid_requests_end_as_their_own_errors_and_the_rest_runs(batch_api: BatchAPI) -> None:
    api, store = batch_api()
    requests = _prompts(300)
    for index in (3, 70, 150, 299):
        requests[index] = {**requests[index], "temperature": 9.5}
    with api.sync_client() as client:
        results = run_batch(client, requests, sleep=lambda _: None)
    failed = {item.index: item.error for item in results if not item.ok}
    assert sorted(failed) == [3, 70, 150, 299]
    assert all(f"invalid, so never sent: requests[{i}]" in str(failed[i]) for i in failed)
    assert all("temperature" in str(error) for error in failed.values())
    assert [item.response.choices[0].message.content for item in results if item.ok] == [
        f"echo: q{i}" for i in range(300) if i not in failed
    ]
    sent = b"".join(store.files[batch["input_file_id"]] for batch in store.batches.values())
    assert sent.count(b"\n") == 296 and b"9.5" not in sent


def test_refuse_invalid_sends_nothing_and_names_every_invalid_request(batch_api: BatchAPI) -> None:
    api, _ = batch_api()
    requests = _prompts(300)
    for index in (3, 70, 150, 299):
        requests[index] = {**requests[index], "temperature": 9.5}
    with api.sync_client() as client, pytest.raises(InvalidRequestError) as caught:
        run_batch(client, requests, refuse_invalid=True)
    assert all(f"requests[{i}]: " in str(caught.value) for i in (3, 70, 150, 299))
    assert api.log == []


def test_nan_and_infinity_anywhere_end_as_that_inputs_error_before_sending(
    batch_api: BatchAPI,
) -> None:
    api, store = batch_api()
    requests = _prompts(6)
    requests[1] = {**requests[1], "temperature": math.nan}
    requests[2]["messages"][0]["content"] = [{"type": "text", "text": "q2", "w": math.inf}]
    requests[4] = {**requests[4], "logit_bias_scale": [1.0, -math.inf]}  # a pass-through field
    with api.sync_client() as client:
        results = run_batch(client, requests, sleep=lambda _: None)
    failed = {item.index: str(item.error) for item in results if not item.ok}
    assert sorted(failed) == [1, 2, 4]
    assert all(f"invalid, so never sent: requests[{i}]" in failed[i] for i in failed)
    assert "temperature" in failed[1]
    assert "messages[0].content[0].w is inf" in failed[2]
    assert "logit_bias_scale[1] is -inf" in failed[4]
    sent = b"".join(store.files[batch["input_file_id"]] for batch in store.batches.values())
    assert sent.count(b"\n") == 3
    assert b"NaN" not in sent and b"Infinity" not in sent
    assert _contents(results) == ["echo: q0", None, None, "echo: q3", None, "echo: q5"]


def test_a_generator_of_requests_runs_from_files_on_disk_removed_once_uploaded(
    batch_api: BatchAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = tmp_path / "spool"

    def mkdtemp(prefix: str) -> str:
        spool.mkdir()
        return str(spool)

    monkeypatch.setattr("tempfile.mkdtemp", mkdtemp)
    api, store = batch_api()
    requests = (request for request in _prompts(5))
    with api.sync_client() as client:
        job = BatchJob(client, requests, max_requests_per_file=2)
        spooled = [f.read_bytes() for f in sorted(spool.iterdir())]
        assert len(spooled) == 3 and b"q4" in spooled[-1]
        job.submit()
        assert list(spool.iterdir()) == []
        assert job.wait().contents() == [f"echo: q{i}" for i in range(5)]
    del job
    gc.collect()
    assert not spool.exists()
    assert sorted(store.files[b["input_file_id"]] for b in store.batches.values()) == spooled


def test_a_download_cut_half_way_starts_that_file_again_and_only_that_one(
    batch_api: BatchAPI, tmp_path: Path
) -> None:
    api, store = batch_api()
    with api.sync_client(max_retries=2) as client:
        job = BatchJob(client, _prompts(5), max_requests_per_file=2, sleep=lambda _: None)
        job.submit()
        while not job.poll().done:
            pass
        store.cut_downloads = 1
        assert job.results().contents() == [f"echo: q{i}" for i in range(5)]
    assert api.count("GET", "/files/{file}/content") == 3 + 1


@pytest.mark.parametrize("cuts", [1, 2])
def test_a_download_cut_half_way_continues_with_a_range_request(
    batch_api: BatchAPI, cuts: int, tmp_path: Path
) -> None:
    api, store = batch_api()
    store.ranges = True
    with api.sync_client(max_retries=2) as client:
        job = BatchJob(client, _prompts(5), sleep=lambda _: None)
        job.submit()
        while not job.poll().done:
            pass
        output = store.files[job.state.parts[0].output_file_id or ""]
        store.cut_downloads = cuts
        assert job.results().contents() == [f"echo: q{i}" for i in range(5)]
    # Each cut delivers half of what was asked: the next request asks for the rest from there.
    first = len(output) // 2
    expected: list[str | None] = [None, f"bytes={first}-"]
    if cuts == 2:
        expected.append(f"bytes={first + (len(output) - first) // 2}-")
    assert store.ranges_asked == expected


async def test_an_async_download_cut_continues_with_a_range_request(
    batch_api: BatchAPI, tmp_path: Path
) -> None:
    api, store = batch_api()
    store.ranges = True
    async with api.async_client(max_retries=1) as client:
        results = await AsyncBatchJob(client, _prompts(3), sleep=_no_wait).wait()
        store.cut_downloads = 1
        destination = tmp_path / "out.jsonl"
        file_id = next(iter(store.files))
        written = await client.download_file_content(file_id, destination)
    assert results.contents() == [f"echo: q{i}" for i in range(3)]
    assert destination.read_bytes() == store.files[file_id] and written == len(store.files[file_id])
    assert store.ranges_asked[-2:] == [None, f"bytes={len(store.files[file_id]) // 2}-"]


async def test_an_async_download_cut_half_way_starts_again(batch_api: BatchAPI) -> None:
    api, store = batch_api()
    store.cut_downloads = 1
    async with api.async_client(max_retries=1) as client:
        results = await AsyncBatchJob(client, _prompts(3), sleep=_no_wait).wait()
    assert results.contents() == [f"echo: q{i}" for i in range(3)]
    assert api.count("GET", "/files/{file}/content") == 2


def test_a_cut_that_outlasts_the_retries_is_a_connection_error_and_leaves_no_result_file(
    batch_api: BatchAPI,
    tmp_path: Path,
) -> None:
    api, store = batch_api()
    state_path = tmp_path / "job.json"
    with api.sync_client() as client:
        job = BatchJob(client, _prompts(2), state_path=state_path, sleep=lambda _: None)
        store.cut_downloads = 1
        with pytest.raises(APIConnectionError, match="connection"):
            job.wait()
        assert [p.name for p in (tmp_path / "job.json.files").iterdir()] == ["file-1.part"]
        assert job.results().ok  # the next try downloads the whole file again
    files = sorted(p.name for p in (tmp_path / "job.json.files").iterdir())
    assert files == ["file-1.jsonl", "results.sqlite"]


def test_results_already_on_disk_are_read_again_not_downloaded_again(
    batch_api: BatchAPI, tmp_path: Path
) -> None:
    api, _ = batch_api()
    state_path = tmp_path / "job.json"
    requests = _prompts(5)
    with api.sync_client() as client:
        first = run_batch(client, requests, state_path=state_path, max_requests_per_file=2)
    downloads = api.count("GET", "/files/{file}/content")
    assert downloads == 3
    with api.sync_client() as client:  # the same call, as a new process would run it
        again = run_batch(client, requests, state_path=state_path, max_requests_per_file=2)
        resumed = BatchJob.resume(client, state_path).results()
    assert again.contents() == resumed.contents() == first.contents()
    assert api.count("GET", "/files/{file}/content") == downloads
    assert (api.count("POST", "/files"), api.count("POST", "/batches")) == (3, 3)


def test_results_live_on_disk_read_in_input_order_by_chunks_or_by_index(
    batch_api: BatchAPI, tmp_path: Path
) -> None:
    api, _ = batch_api()
    state_path = tmp_path / "job.json"
    with api.sync_client() as client:
        results = run_batch(client, _prompts(25), state_path=state_path, max_requests_per_file=7)
    assert (tmp_path / "job.json.files" / "results.sqlite").is_file()
    chunks = list(results.chunks(10))
    assert [len(chunk) for chunk in chunks] == [10, 10, 5]
    assert [item.index for chunk in chunks for item in chunk] == list(range(25))
    assert results[7].response.choices[0].message.content == "echo: q7"  # type: ignore[union-attr]
    assert results[-1].index == 24 and [item.index for item in results[3:5]] == [3, 4]
    with pytest.raises(IndexError):
        results[25]
    assert results.contents() == [f"echo: q{i}" for i in range(25)] and len(results) == 25


def test_the_results_keep_no_reply_in_memory(batch_api: BatchAPI, tmp_path: Path) -> None:
    api, _ = batch_api()
    state_path = tmp_path / "job.json"
    with api.sync_client() as client:
        run_batch(client, _prompts(2_000), state_path=state_path, sleep=lambda _: None)
        gc.collect()
        tracemalloc.start()
        try:
            results = BatchJob.resume(client, state_path).results()  # read again from disk
            gc.collect()
            on_disk = tracemalloc.get_traced_memory()[0]
            items = list(results)
            in_memory = tracemalloc.get_traced_memory()[0] - on_disk
        finally:
            tracemalloc.stop()
    assert len(items) == 2_000 and api.count("GET", "/files/{file}/content") == 1
    assert in_memory > 2_000 * 1_000  # the replies, once taken out of the store
    assert on_disk < 100_000  # the results themselves: a handle on the file, no reply


# -- polling, progress, timeouts ----------------------------------------------------------------


def test_polling_backs_off_between_min_and_max_and_reports_progress(batch_api: BatchAPI) -> None:
    api, _ = batch_api(vocabulary="openai")
    seen: list[BatchProgress] = []
    slept: list[float] = []
    with api.sync_client() as client:
        job = BatchJob(
            client, _prompts(4), poll_interval=2.0, max_poll_interval=3.0, sleep=slept.append
        )
        job.wait(on_progress=seen.append)
    assert slept == [2.0, 3.0]
    assert [p.parts_done for p in seen] == [0, 0, 1]
    assert seen[0].completed == 2 and seen[-1].completed == 4 and seen[-1].done


def test_default_sleep_does_not_wait_in_testing_mode(batch_api: BatchAPI) -> None:
    api, _ = batch_api()
    with api.sync_client() as client:
        run_batch(client, _prompts(1), poll_interval=30.0)
    assert _retry.recorded_sleeps()[-1] == 30.0


def test_timeout_raises_not_finished_and_results_before_the_end_too(batch_api: BatchAPI) -> None:
    api, _ = batch_api(vocabulary="openai")
    with api.sync_client() as client:
        job = BatchJob(client, _prompts(2))
        with pytest.raises(BatchNotFinishedError, match="did not finish within 0"):
            job.wait(timeout=0)
        assert isinstance(BatchNotFinishedError("x"), TimeoutError)
        job.poll()
        assert not job.done
        assert job.results().ok  # the last step finishes inside results()


def test_progress_bar_uses_tqdm_when_installed(
    batch_api: BatchAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("tqdm", reason="tqdm is optional; the fallback is tested below")
    api, _ = batch_api()
    with api.sync_client() as client:
        run_batch(client, _prompts(3), progress_bar=True)
    err = capsys.readouterr().err
    assert "100%" in err and "3/3" in err and "job-" in err and "batches_done=1" in err


def test_progress_bar_without_tqdm_prints_lines(
    batch_api: BatchAPI, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    api, _ = batch_api()
    with api.sync_client() as client:
        run_batch(client, _prompts(3), progress_bar=True)
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[-1].endswith("3/3 requests (0 failed), 1/1 batches done")


def test_the_job_never_shows_the_key(batch_api: BatchAPI, tmp_path: Path) -> None:
    api, _ = batch_api()
    with api.sync_client() as client:
        job = BatchJob(client, _prompts(1), state_path=tmp_path / "s.json")
        results = job.wait()
    for text in (repr(job), repr(results), job.state.model_dump_json(), repr(results[0])):
        assert API_KEY not in text


# -- embeddings ---------------------------------------------------------------------------------


def test_embed_batch_returns_vectors_in_order(batch_api: BatchAPI) -> None:
    api, store = batch_api()
    texts = ["a", "bb", "ccc", "dddd", "eeeee"]
    with api.sync_client() as client:
        vectors = embed_batch(client, texts, model=EMBED_MODEL, texts_per_request=2)
        assert embed_batch(client, [], model=EMBED_MODEL) == []
    assert vectors == [[1.0, 0.0], [2.0, 1.0], [3.0, 0.0], [4.0, 1.0], [5.0, 0.0]]
    line = json.loads(next(iter(store.files.values())).splitlines()[0])
    assert line["url"] == "/v1/embeddings" and line["body"]["input"] == ["a", "bb"]


def test_embed_batch_raises_with_partial_results_when_a_request_fails(batch_api: BatchAPI) -> None:
    api, _ = batch_api()
    with api.sync_client() as client, pytest.raises(BatchFailedError) as caught:
        embed_batch(client, ["ok", "FAIL"], model=EMBED_MODEL)
    assert caught.value.results[0].ok and not caught.value.results[1].ok


@pytest.mark.parametrize("size", [1, 3, 1_000])
def test_embedding_array_is_one_float32_block_in_input_order_read_from_disk(
    batch_api: BatchAPI, size: int, tmp_path: Path
) -> None:
    api, _ = batch_api()
    texts = [f"t{'x' * i}" for i in range(7)]
    requests = embedding_requests(texts, model=EMBED_MODEL, texts_per_request=2)
    with api.sync_client() as client:
        results = run_batch(
            client, requests, state_path=tmp_path / "job.json", max_requests_per_file=3
        )
    assert (tmp_path / "job.json.files" / "results.sqlite").is_file()
    expected = results.embeddings()
    block = results.embedding_array("array", texts_per_request=2, total=7, size=size)
    assert isinstance(block, array) and block.typecode == "f" and len(block) == 7 * 2
    rows = [block[i * 2 : (i + 1) * 2].tolist() for i in range(7)]
    assert rows == expected == [[i + 1.0, i % 2] for i in range(7)]  # [len(text), position]
    numpy = pytest.importorskip("numpy", reason="the numpy output needs numpy")
    matrix = results.embedding_array("numpy", texts_per_request=2, total=7, size=size)
    assert matrix.shape == (7, 2) and matrix.dtype == numpy.float32
    assert matrix.flags["C_CONTIGUOUS"] and matrix.tolist() == expected


def test_embedding_array_refuses_failures_bad_counts_and_a_missing_numpy(
    batch_api: BatchAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api, _ = batch_api()
    requests = embedding_requests(["ok", "FAIL", "ok2"], model=EMBED_MODEL)
    with api.sync_client() as client:
        failed = run_batch(client, requests, state_path=tmp_path / "job.json")
        fine = run_batch(client, embedding_requests(["a", "bb"], model=EMBED_MODEL))
    with pytest.raises(BatchFailedError, match=r"1 of 3 batch requests failed: \[1\]"):
        failed.embedding_array(texts_per_request=1, total=3)
    with pytest.raises(InvalidRequestError, match="3 texts, 1 per request, make 3 requests"):
        fine.embedding_array(texts_per_request=1, total=3)
    with pytest.raises(InvalidRequestError, match=r"'array' or 'numpy'.*embeddings\(\)"):
        fine.embedding_array("list", texts_per_request=1, total=2)  # type: ignore[arg-type]
    monkeypatch.setitem(sys.modules, "numpy", None)  # import numpy now fails
    with pytest.raises(ConfigurationError, match="pip install numpy"):
        fine.embedding_array("numpy", texts_per_request=1, total=2)
    assert fine.embedding_array(texts_per_request=1, total=2).tolist() == [1.0, 0.0, 2.0, 0.0]


# -- async twins --------------------------------------------------------------------------------


async def test_async_job_runs_resumes_and_cancels(batch_api: BatchAPI, tmp_path: Path) -> None:
    api, _ = batch_api(vocabulary="openai", shape="openai")
    state_path = tmp_path / "job.json"
    client = api.async_client()
    job = AsyncBatchJob(client, _prompts(5), max_requests_per_file=2, state_path=state_path)
    await job.submit()
    resumed = AsyncBatchJob.resume(api.async_client(), state_path)
    results = await resumed.wait()
    assert results.contents() == [f"echo: q{i}" for i in range(5)]
    assert api.count("POST", "/batches") == 3

    other = await AsyncBatchJob(client, _prompts(2), max_requests_per_file=1).submit()
    await other.cancel()
    cancelled = await other.wait()
    assert [item.ok for item in cancelled] == [True, True]  # finish_on_cancel=1 per batch
    assert api.count("POST", "/batches/{batch}/cancel") == 2
    await client.aclose()


async def test_async_helpers_match_the_sync_ones(batch_api: BatchAPI) -> None:
    api, _ = batch_api()
    client = api.async_client()
    results = await arun_batch(client, _prompts(3), max_requests_per_file=2)
    vectors = await aembed_batch(client, ["x", "yy"], model=EMBED_MODEL)
    assert results.contents() == ["echo: q0", "echo: q1", "echo: q2"]
    assert vectors == [[1.0, 0.0], [2.0, 0.0]]
    assert await aembed_batch(client, [], model=EMBED_MODEL) == []
    with pytest.raises(BatchNotFinishedError):
        await AsyncBatchJob(client, _prompts(1)).wait(timeout=0)
    await client.aclose()
