"""The adapters' shared half of batch inference, without sockets: per-input errors, results
converted in their slots, vectors per text, all-or-raise, resuming a saved job's state file,
and the job class bases (over a scripted stand-in for the core job)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar, cast

import pytest

from nebius_inference import NebiusClient, NebiusError
from nebius_inference._batch_outputs import item_error
from nebius_inference.batch import (
    CHAT_ENDPOINT,
    EMBEDDINGS_ENDPOINT,
    AsyncBatchJobAdapter,
    BatchInputsFailedError,
    BatchItemError,
    BatchItemResult,
    BatchJob,
    BatchJobAdapter,
    BatchJobState,
    BatchOptions,
    BatchProgress,
    BatchResults,
    BatchStateError,
    check_job_endpoint,
    convert_results,
    open_embedding_job,
    outputs_or_raise,
    state_to_resume,
    vectors_from_results,
)
from nebius_inference.types import ChatCompletion, CreateEmbeddingResponse

RESUME_WITH = {CHAT_ENDPOINT: "chat_fn", EMBEDDINGS_ENDPOINT: "embed_fn"}


class MyItemError(BatchItemError):
    """An adapter's own per-input error."""


class MyJobError(BatchInputsFailedError):
    """An adapter's own whole-job error."""


def _results(*items: BatchItemResult) -> BatchResults:
    return BatchResults(list(items), notes=None)


def _vectors(values: list[list[float]]) -> CreateEmbeddingResponse:
    data = [{"index": i, "embedding": v} for i, v in enumerate(values)]
    return CreateEmbeddingResponse.model_validate({"data": data, "model": "e"})


def _chat(content: str) -> ChatCompletion:
    return ChatCompletion.model_validate(
        {
            "id": "c",
            "created": 0,
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
        }
    )


# --- errors ---------------------------------------------------------------------------------


def test_an_item_error_says_which_input_failed_and_why() -> None:
    error = BatchItemError("too long", index=3, custom_id="job-3", status_code=400, batch_id="b")
    assert isinstance(error, NebiusError)
    assert str(error) == "Batch input 3 failed (status 400): too long"
    assert (error.reason, error.index, error.custom_id, error.status_code, error.batch_id) == (
        "too long",
        3,
        "job-3",
        400,
        "b",
    )
    assert str(BatchItemError("gone", index=0, custom_id="c")) == "Batch input 0 failed: gone"


def test_item_error_takes_the_result_reason_or_a_given_one_and_the_class() -> None:
    failed = BatchItemResult(1, "c1", error="expired", status_code=None, batch_id="b1")
    got = item_error(failed, error_class=MyItemError)
    assert type(got) is MyItemError
    assert (got.reason, got.index, got.custom_id, got.batch_id) == ("expired", 1, "c1", "b1")
    assert item_error(failed, "mine", error_class=BatchItemError).reason == "mine"
    assert item_error(BatchItemResult(2, "c2"), error_class=BatchItemError).reason == "no response"


def test_a_job_error_keeps_every_output_and_names_the_distinct_failures() -> None:
    shared = BatchItemError("batch failed", index=1, custom_id="c1")
    others = [BatchItemError(f"why {i}", index=i, custom_id=f"c{i}") for i in (2, 3, 4)]
    outputs: list[Any] = ["ok", shared, shared, *others]
    results = _results()
    exc = BatchInputsFailedError(outputs, results)
    assert exc.outputs == outputs and exc.outputs is not outputs and exc.results is results
    assert exc.errors == [shared, *others]
    assert str(exc) == (
        "5 of 6 batch inputs failed: [1] batch failed; [2] why 2; [3] why 3; and 1 more. "
        "The successful results are in .outputs."
    )


# --- converting results ---------------------------------------------------------------------


def test_convert_results_puts_each_failure_in_its_slot() -> None:
    def convert(item: BatchItemResult) -> str:
        if not isinstance(item.response, ChatCompletion):
            raise TypeError("not a chat completion")
        text = item.response.choices[0].message.content or ""
        if text == "bad":
            raise ValueError("cannot parse")
        return text.upper()

    results = _results(
        BatchItemResult(0, "c0", response=_chat("fine")),
        BatchItemResult(1, "c1", error="rejected", status_code=400, batch_id="b"),
        BatchItemResult(2, "c2", response=_chat("bad"), batch_id="b"),
        BatchItemResult(3, "c3", response=_vectors([[1.0]])),
    )
    outputs = convert_results(results, convert, item_error_class=MyItemError)
    assert outputs[0] == "FINE"
    failed, unreadable = outputs[1], outputs[2]
    assert isinstance(failed, MyItemError) and failed.reason == "rejected"
    assert failed.status_code == 400
    assert isinstance(unreadable, MyItemError)
    assert unreadable.reason == "its reply could not be read: cannot parse"
    # without ``expect``, a reply of the wrong kind reaches the converter (and fails there)
    assert isinstance(outputs[3], MyItemError)
    assert outputs[3].reason == "its reply could not be read: not a chat completion"


def test_convert_results_with_expect_fails_a_reply_of_the_wrong_kind_before_converting() -> None:
    seen: list[int] = []

    def convert(item: BatchItemResult) -> int:
        seen.append(item.index)
        return item.index

    results = _results(
        BatchItemResult(0, "c0", response=_chat("x")),
        BatchItemResult(1, "c1", response=_vectors([[1.0]])),
    )
    outputs = convert_results(
        results, convert, item_error_class=BatchItemError, expect=ChatCompletion
    )
    assert outputs[0] == 0 and seen == [0]
    assert isinstance(outputs[1], BatchItemError) and outputs[1].reason == "no response"


def test_convert_results_lets_an_unexpected_converter_bug_through() -> None:
    def convert(item: BatchItemResult) -> str:
        raise KeyError("a bug, not a bad reply")

    with pytest.raises(KeyError):
        convert_results(
            _results(BatchItemResult(0, "c0", response=_chat("x"))),
            convert,
            item_error_class=BatchItemError,
        )


# --- vectors and all-or-raise ---------------------------------------------------------------


def test_vectors_come_back_one_per_text_in_order() -> None:
    results = _results(
        BatchItemResult(0, "c0", response=_vectors([[1.0], [2.0]])),
        BatchItemResult(1, "c1", response=_vectors([[3.0]])),
    )
    assert vectors_from_results(results, texts_per_request=2, total=3) == [[1.0], [2.0], [3.0]]


def test_a_short_reply_or_a_failed_request_fails_each_of_its_texts() -> None:
    results = _results(
        BatchItemResult(0, "c0", response=_vectors([[1.0], [2.0]])),
        BatchItemResult(1, "c1", response=_vectors([[3.0]])),  # one vector for two texts
        BatchItemResult(2, "c2", error="expired"),
    )
    with pytest.raises(MyJobError) as caught:
        vectors_from_results(
            results,
            texts_per_request=2,
            total=5,
            item_error_class=MyItemError,
            job_error_class=MyJobError,
        )
    outputs = caught.value.outputs
    assert outputs[:2] == [[1.0], [2.0]] and len(outputs) == 5
    short, expired = outputs[2], outputs[4]
    assert isinstance(short, MyItemError) and outputs[3] is short
    assert short.reason == "the reply has 1 vectors for 2 texts"
    assert isinstance(expired, MyItemError) and expired.reason == "expired"
    assert caught.value.errors == [short, expired] and caught.value.results is results
    assert str(caught.value).startswith("3 of 5 batch inputs failed: [1] the reply has 1")


def test_outputs_or_raise() -> None:
    assert outputs_or_raise(["a", "b"], None) == ["a", "b"]
    error = BatchItemError("no", index=1, custom_id="c1")
    with pytest.raises(BatchInputsFailedError) as default:
        outputs_or_raise(["a", error], None)
    assert type(default.value) is BatchInputsFailedError and default.value.outputs == ["a", error]
    results = _results()
    with pytest.raises(MyJobError) as mine:
        outputs_or_raise([error], results, job_error_class=MyJobError)
    assert mine.value.results is results and mine.value.errors == [error]


# --- resuming a saved job -------------------------------------------------------------------


def _saved(path: Path, endpoint: str) -> Path:
    BatchJobState(
        job_id="job-9",
        endpoint=cast("Any", endpoint),
        total=1,
        custom_id_prefix="job-9-",
        max_requests_per_file=10,
        max_bytes_per_file=10_000,
    ).save(path)
    return path


def test_state_to_resume(tmp_path: Path) -> None:
    path = tmp_path / "job.json"
    assert state_to_resume({"state_path": path}, True) is None  # no file yet
    path.write_text("{}", encoding="utf-8")
    assert state_to_resume({"state_path": path}, True) == (path, 5.0, 60.0)
    options: BatchOptions = {"state_path": path, "poll_interval": 1.0, "max_poll_interval": 2.0}
    assert state_to_resume(options, True) == (path, 1.0, 2.0)
    assert state_to_resume(options, False) is None
    assert state_to_resume({}, True) is None


def test_the_endpoint_check_refuses_a_state_file_of_the_other_kind(tmp_path: Path) -> None:
    chat = _saved(tmp_path / "chat.json", CHAT_ENDPOINT)
    embeddings = _saved(tmp_path / "embed.json", EMBEDDINGS_ENDPOINT)
    check_job_endpoint(chat, CHAT_ENDPOINT, resume_with=RESUME_WITH)
    check_job_endpoint(embeddings, EMBEDDINGS_ENDPOINT, resume_with=RESUME_WITH)
    with pytest.raises(BatchStateError, match=r"^Batch job job-9 is a chat job; .* chat_fn\(\)\."):
        check_job_endpoint(chat, EMBEDDINGS_ENDPOINT, resume_with=RESUME_WITH)
    with pytest.raises(BatchStateError, match=r"is an embeddings job; resume it with embed_fn"):
        check_job_endpoint(embeddings, CHAT_ENDPOINT, resume_with=RESUME_WITH)
    with pytest.raises(BatchStateError, match="Cannot read"):
        check_job_endpoint(tmp_path / "missing.json", CHAT_ENDPOINT, resume_with=RESUME_WITH)


def test_open_embedding_job_plans_a_new_job_or_resumes_the_saved_one(tmp_path: Path) -> None:
    path = tmp_path / "job.json"
    requests = [{"model": "e", "input": ["a"]}, {"model": "e", "input": ["b"]}]
    with NebiusClient(api_key="test-key", base_url="http://127.0.0.1:9/v1") as client:
        options: BatchOptions = {"state_path": path, "poll_interval": 2.0}
        new = open_embedding_job(
            BatchJob, client, requests, options, resume=True, resume_with=RESUME_WITH
        )
        assert options["endpoint"] == EMBEDDINGS_ENDPOINT
        assert new.state.endpoint == EMBEDDINGS_ENDPOINT and new.state.total == 2
        again = open_embedding_job(
            BatchJob, client, requests, {"state_path": path}, resume=True, resume_with=RESUME_WITH
        )
        assert again.job_id == new.job_id
        fresh = open_embedding_job(
            BatchJob, client, requests, {"state_path": path}, resume=False, resume_with=RESUME_WITH
        )
        assert fresh.job_id != new.job_id
        chat = _saved(tmp_path / "chat.json", CHAT_ENDPOINT)
        with pytest.raises(BatchStateError, match="chat job; resume it with chat_fn"):
            open_embedding_job(
                BatchJob, client, requests, {"state_path": chat}, resume=True,
                resume_with=RESUME_WITH,
            )  # fmt: skip


# --- the job class bases --------------------------------------------------------------------

RESULTS = _results(
    BatchItemResult(0, "c0", response=_chat("one")),
    BatchItemResult(1, "c1", error="expired"),
)
PROGRESS = BatchProgress(total=2, completed=1, failed=1, parts=1, parts_done=1)


class FakeCoreJob:
    """Stands in for the core job: records calls, finishes at once."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.progress = PROGRESS

    def submit(self) -> None:
        self.calls.append("submit")

    def poll(self) -> BatchProgress:
        self.calls.append("poll")
        return PROGRESS

    def cancel(self) -> BatchProgress:
        self.calls.append("cancel")
        return PROGRESS

    def wait(self, **kwargs: Any) -> BatchResults:
        self.calls.append(f"wait {sorted(kwargs)}")
        return RESULTS


class AsyncFakeCoreJob(FakeCoreJob):
    async def submit(self) -> None:  # type: ignore[override]
        super().submit()

    async def poll(self) -> BatchProgress:  # type: ignore[override]
        return super().poll()

    async def cancel(self) -> BatchProgress:  # type: ignore[override]
        return super().cancel()

    async def wait(self, **kwargs: Any) -> BatchResults:  # type: ignore[override]
        return super().wait(**kwargs)


class Texts:
    """What an adapter adds: the conversion, its error classes, a context around calls."""

    _job_error_class: ClassVar[type[BatchInputsFailedError]] = MyJobError
    _job: Any

    def __init__(self, core: FakeCoreJob) -> None:
        self._job = core
        self.entered: list[str] = []

    @contextlib.contextmanager
    def _calls(self) -> Iterator[None]:
        self.entered.append("in")
        yield

    def _convert(self, results: BatchResults) -> list[str | MyItemError]:
        def convert(item: BatchItemResult) -> str:
            return cast("ChatCompletion", item.response).choices[0].message.content or ""

        return convert_results(results, convert, item_error_class=MyItemError)


class SyncTexts(Texts, BatchJobAdapter[str]):
    pass


class AsyncTexts(Texts, AsyncBatchJobAdapter[str]):
    pass


def test_the_sync_base_waits_converts_and_raises_the_adapter_error() -> None:
    core = FakeCoreJob()
    job = SyncTexts(core)
    assert cast("Any", job.job) is core and job.progress is PROGRESS
    assert job.submit() is job and job.poll() is PROGRESS and job.cancel() is PROGRESS
    outputs: list[Any] = job.wait(return_exceptions=True)
    assert outputs[0] == "one" and isinstance(outputs[1], MyItemError)
    with pytest.raises(MyJobError) as caught:
        job.wait(timeout=1.0)
    assert caught.value.outputs[0] == "one" and caught.value.results is RESULTS
    waited = "wait ['on_progress', 'progress_bar', 'timeout']"
    assert core.calls == ["submit", "poll", "cancel", waited, waited]
    assert job.entered == ["in"] * 5


async def test_the_async_base_is_the_twin() -> None:
    core = AsyncFakeCoreJob()
    job = AsyncTexts(core)
    assert await job.submit() is job
    assert await job.poll() is PROGRESS and await job.cancel() is PROGRESS
    outputs: list[Any] = await job.wait(return_exceptions=True)
    assert outputs[0] == "one" and isinstance(outputs[1], MyItemError)
    with pytest.raises(MyJobError):
        await job.wait()
    assert len(core.calls) == 5 and job.entered == ["in"] * 5


def test_the_bases_default_to_the_core_error_and_no_context() -> None:
    class Plain(BatchJobAdapter[str]):
        def __init__(self, core: FakeCoreJob) -> None:
            self._job = cast("BatchJob", core)

        def _convert(self, results: BatchResults) -> list[str | BatchItemError]:
            return [item_error(item, error_class=BatchItemError) for item in results]

    with pytest.raises(BatchInputsFailedError) as caught:
        Plain(FakeCoreJob()).wait()
    assert type(caught.value) is BatchInputsFailedError and len(caught.value.errors) == 2
