"""What the adapters build on, without sockets: per-input errors, results converted in their
slots (``BatchResults.outputs``), vectors per text (``BatchResults.text_vectors``), all-or-raise
(``BatchInputsFailedError.check``), and a saved job of the other endpoint refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nebius_inference import NebiusClient, NebiusError
from nebius_inference.batch import (
    CHAT_ENDPOINT,
    EMBEDDINGS_ENDPOINT,
    BatchInputsFailedError,
    BatchItemError,
    BatchItemResult,
    BatchJob,
    BatchResults,
    BatchStateError,
)
from nebius_inference.types import ChatCompletion, CreateEmbeddingResponse


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
    got = MyItemError.of(failed)
    assert type(got) is MyItemError
    assert (got.reason, got.index, got.custom_id, got.batch_id) == ("expired", 1, "c1", "b1")
    assert BatchItemError.of(failed, "mine").reason == "mine"
    assert BatchItemError.of(BatchItemResult(2, "c2")).reason == "no response"


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
    outputs = results.outputs(convert, error_class=MyItemError)
    assert outputs[0] == "FINE"
    failed, unreadable = outputs[1], outputs[2]
    assert isinstance(failed, MyItemError) and failed.reason == "rejected"
    assert failed.status_code == 400
    assert isinstance(unreadable, MyItemError)
    assert unreadable.reason == "its reply could not be read: cannot parse"
    # a reply of the wrong kind reaches the converter (and fails there)
    assert isinstance(outputs[3], MyItemError)
    assert outputs[3].reason == "its reply could not be read: not a chat completion"


def test_convert_results_lets_an_unexpected_converter_bug_through() -> None:
    def convert(item: BatchItemResult) -> str:
        raise KeyError("a bug, not a bad reply")

    with pytest.raises(KeyError):
        _results(BatchItemResult(0, "c0", response=_chat("x"))).outputs(convert)


# --- vectors and all-or-raise ---------------------------------------------------------------


def test_vectors_come_back_one_per_text_in_order() -> None:
    results = _results(
        BatchItemResult(0, "c0", response=_vectors([[1.0], [2.0]])),
        BatchItemResult(1, "c1", response=_vectors([[3.0]])),
    )
    assert results.text_vectors(texts_per_request=2, total=3) == [[1.0], [2.0], [3.0]]


def test_a_short_reply_or_a_failed_request_fails_each_of_its_texts() -> None:
    results = _results(
        BatchItemResult(0, "c0", response=_vectors([[1.0], [2.0]])),
        BatchItemResult(1, "c1", response=_vectors([[3.0]])),  # one vector for two texts
        BatchItemResult(2, "c2", error="expired"),
    )
    with pytest.raises(MyJobError) as caught:
        MyJobError.check(
            results.text_vectors(texts_per_request=2, total=5, error_class=MyItemError), results
        )
    outputs = caught.value.outputs
    assert outputs[:2] == [[1.0], [2.0]] and len(outputs) == 5
    short, expired = outputs[2], outputs[4]
    assert isinstance(short, MyItemError) and outputs[3] is short
    assert short.reason == "the reply has 1 vectors for 2 texts"
    assert isinstance(expired, MyItemError) and expired.reason == "expired"
    assert caught.value.errors == [short, expired] and caught.value.results is results
    assert str(caught.value).startswith("3 of 5 batch inputs failed: [1] the reply has 1")


def test_check_returns_the_outputs_or_raises_its_class_with_all_of_them() -> None:
    assert BatchInputsFailedError.check(["a", "b"], None) == ["a", "b"]
    error = BatchItemError("no", index=1, custom_id="c1")
    with pytest.raises(BatchInputsFailedError) as default:
        BatchInputsFailedError.check(["a", error], None)
    assert type(default.value) is BatchInputsFailedError and default.value.outputs == ["a", error]
    results = _results()
    with pytest.raises(MyJobError) as mine:
        MyJobError.check([error], results)
    assert mine.value.results is results and mine.value.errors == [error]


# --- a saved job of the other endpoint ------------------------------------------------------


def test_a_saved_job_of_the_other_endpoint_is_refused_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "job.json"
    chat = [{"model": "m", "messages": [{"role": "user", "content": "x"}]}]
    embed = [{"model": "e", "input": ["a"]}]
    with NebiusClient(api_key="test-key", base_url="http://127.0.0.1:9/v1") as client:
        BatchJob(client, chat, state_path=path)
        with pytest.raises(BatchStateError, match=r"for /v1/chat/completions.*for /v1/embeddings"):
            BatchJob(client, embed, state_path=path)
        with pytest.raises(BatchStateError, match="holds a /v1/chat/completions job"):
            BatchJob.resume(client, path, endpoint=EMBEDDINGS_ENDPOINT)
        assert BatchJob.resume(client, path, endpoint=CHAT_ENDPOINT).state.total == 1
