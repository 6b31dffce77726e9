"""Mapping batch output and error lines back to inputs, without I/O."""

from __future__ import annotations

import base64
import json
import math
from array import array
from typing import Any

import pytest

from nebius_inference import APIResponseValidationError
from nebius_inference.batch._plan import plan_job
from nebius_inference.batch._results import (
    BatchFailedError,
    BatchItemError,
    BatchResults,
    job_progress,
)
from nebius_inference.batch._state import BatchJobState
from nebius_inference.batch._store import MAX_NOTES, ResultCollector
from nebius_inference.types import Batch, ChatCompletion, CreateEmbeddingResponse


def _job(n: int, *, embeddings: bool = False) -> BatchJobState:
    if embeddings:
        requests: list[dict[str, Any]] = [{"model": "e", "input": [f"t{i}"]} for i in range(n)]
    else:
        requests = [{"model": "m", "messages": [{"role": "user", "content": "x"}]}] * n
    state, _ = plan_job(requests, job_id="job-t")
    state.parts[0].update_from(Batch(id="batch_1", status="done", output_file_id="f"))
    return state


def _reply(text: str) -> dict[str, Any]:
    message = {"role": "assistant", "content": text}
    return {"id": "c", "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}


def _nebius(cid: str, response: Any = None, error: Any = None) -> bytes:
    return json.dumps({"id": "r", "custom_id": cid, "response": response, "error": error}).encode()


def _openai(cid: str, status: int, body: Any) -> bytes:
    response = {"status_code": status, "request_id": "q", "body": body}
    return json.dumps({"id": "r", "custom_id": cid, "response": response, "error": None}).encode()


def _collect(state: BatchJobState, *files: list[bytes]) -> BatchResults:
    collector = ResultCollector(state)
    for lines in files:
        collector.add_file(b"\n".join(lines) + b"\n", part=state.parts[0], kind="output")
    return collector.finish()


def test_both_line_shapes_map_to_their_inputs_in_any_order() -> None:
    state = _job(4)
    results = _collect(
        state,
        [
            _openai("job-t-3", 200, _reply("three")),
            _nebius("job-t-0", _reply("zero")),
            _openai("job-t-2", 429, {"error": {"message": "slow down", "code": "rate"}}),
            _nebius("job-t-1", error={"message": "no", "code": 400}),
        ],
    )
    assert [item.index for item in results] == [0, 1, 2, 3]
    assert results[0].ok and results[3].ok and results[3].status_code == 200
    assert isinstance(results[0].response, ChatCompletion)
    assert results[1].error == "no (code: 400)"
    assert (results[2].error, results[2].status_code) == ("slow down (code: rate)", 429)
    assert results[0].batch_id == "batch_1" and results[0].custom_id == "job-t-0"


def test_malformed_lines_fail_their_item_or_are_counted() -> None:
    state = _job(5)
    results = _collect(
        state,
        [
            b'{"id": "r", "custom_id": "job-t-0", "response": {"choi',  # cut: id recoverable
            b'{"custom_id": "job-t-1", "response": "not an object"}',  # wrong shape
            _nebius("job-t-2", {"choices": "not a list"}),  # body that is no completion
            b"[1, 2, 3]",
            b"garbage",
            b"",
            _nebius("job-t-3", None, None),
            _nebius("other-job-4", _reply("x")),
        ],
    )
    assert "is not valid JSON (output file line 1)" in (results[0].error or "")
    assert "does not have the batch line shape" in (results[1].error or "")
    assert "could not be read" in (results[2].error or "")
    assert results[3].error == "the line has no response"
    assert results[4].error == "missing from the output of batch batch_1 (no output or error line)"
    assert results.unmatched_lines == 3
    assert results.notes == [
        "output file line 4 is not a JSON object and its custom_id cannot be recovered",
        "output file line 5 is not valid JSON and its custom_id cannot be recovered",
        "output file line 8: custom_id 'other-job-4' is not one of this job's requests",
    ]


def test_a_response_that_is_an_error_body_is_an_error_not_an_empty_reply() -> None:
    state = _job(4)
    results = _collect(
        state,
        [
            _nebius("job-t-0", {"error": {"message": "model overloaded", "code": 503}}),
            _nebius("job-t-1", {"detail": "Not Found"}),
            _nebius("job-t-2", {"id": "x", "object": "chat.completion"}),
            _nebius("job-t-3", {**_reply("fine"), "error": None}),
        ],
    )
    assert results[0].error == "model overloaded (code: 503)"
    assert results[1].error == "Not Found"
    assert "could not be read (ValueError: the reply has no choices)" in (results[2].error or "")
    assert results[3].ok


def test_duplicates_keep_the_first_line_with_a_note() -> None:
    state = _job(1)
    results = _collect(
        state,
        [_nebius("job-t-0", _reply("first")), _nebius("job-t-0", _reply("second"))],
        [_nebius("job-t-0", error="late error")],
    )
    item = results[0]
    assert item.ok
    assert item.note == "custom_id 'job-t-0' appeared more than once; the first line was kept"
    assert isinstance(item.response, ChatCompletion)
    assert item.response.choices[0].message.content == "first"
    assert len(results.notes) == 2


def test_notes_are_capped() -> None:
    state = _job(1)
    results = _collect(state, [b"x"] * (MAX_NOTES + 7))
    assert results.unmatched_lines == MAX_NOTES + 7
    assert len(results.notes) == MAX_NOTES + 1 and results.notes[-1] == "... and 7 more notes"


def test_embedding_bodies_float_and_base64() -> None:
    state = _job(2, embeddings=True)
    packed = base64.b64encode(array("f", [0.5, -1.0]).tobytes()).decode()
    results = _collect(
        state,
        [
            _nebius("job-t-0", {"model": "e", "data": [{"index": 0, "embedding": [1, 2]}]}),
            _nebius("job-t-1", {"data": [{"embedding": packed}], "usage": {"prompt_tokens": 2}}),
        ],
    )
    assert isinstance(results[1].response, CreateEmbeddingResponse)
    assert results[1].response.usage is not None and results[1].response.usage.prompt_tokens == 2
    assert results.embeddings() == [[1.0, 2.0], [0.5, -1.0]]
    with pytest.raises(TypeError, match="not a ChatCompletion"):
        results.chat_completions()
    broken = _collect(_job(1, embeddings=True), [_nebius("job-t-0", {"data": [{"embedding": 3}]})])
    assert "neither a list nor base64" in (broken[0].error or "")


def _embedding_job(*replies: Any) -> BatchResults:
    state = _job(len(replies), embeddings=True)
    lines = [_nebius(f"job-t-{i}", reply) for i, reply in enumerate(replies)]
    return _collect(state, lines[::-1])  # output lines in another order than the inputs


def test_embedding_array_matches_embeddings_within_float32_and_refuses_what_does_not_fit() -> None:
    values = [[0.1, -1 / 3], [1e-8, 2.5], [math.pi, 1e30]]
    packed = base64.b64encode(array("f", values[1]).tobytes()).decode()
    results = _embedding_job(
        {"data": [{"index": 0, "embedding": values[0]}]},
        {"data": [{"index": 0, "embedding": packed}]},
        {"data": [{"index": 0, "embedding": values[2]}]},
    )
    expected = results.embeddings()
    block = results.embedding_array(texts_per_request=1, total=3, size=2)
    assert block.tobytes() == array("f", [x for row in expected for x in row]).tobytes()
    assert block.tolist() == pytest.approx([x for row in values for x in row], rel=1e-7)
    assert block.tolist() != [x for row in values for x in row]  # float32, not float64
    two_for_one = _embedding_job({"data": [{"index": 0, "embedding": [1.0]}] * 2})
    with pytest.raises(BatchItemError, match="the reply has 2 vectors for 1 texts"):
        two_for_one.embedding_array(texts_per_request=1, total=1)
    ragged = _embedding_job(
        {"data": [{"index": 0, "embedding": [1.0, 2.0]}]}, {"data": [{"embedding": [3.0]}]}
    )
    with pytest.raises(APIResponseValidationError, match="different lengths \\(2 and 1\\)"):
        ragged.embedding_array(texts_per_request=1, total=2)


@pytest.mark.parametrize(
    ("status", "errors", "expected"),
    [
        ("failed", {"data": [{"message": "quota"}]}, "batch batch_1 failed: quota"),
        ("expired", None, "batch batch_1 expired before this request ran"),
        ("cancelled", None, "batch batch_1 was cancelled before this request ran"),
        ("running", None, "batch batch_1 has not finished (state running)"),
    ],
)
def test_missing_items_say_why(status: str, errors: Any, expected: str) -> None:
    state, _ = plan_job([{"model": "m", "messages": [{"role": "user", "content": "x"}]}])
    state.parts[0].update_from(Batch(id="batch_1", status=status, errors=errors))
    assert _collect(state)[0].error == expected


def test_results_sequence_and_raise() -> None:
    state = _job(3)
    no_choice = {"id": "x", "choices": []}
    results = _collect(state, [_nebius("job-t-0", _reply("a")), _nebius("job-t-2", no_choice)])
    assert len(results) == 3 and [i.index for i in results[1:]] == [1, 2]
    assert repr(results) == "BatchResults(total=3, failed=1, unmatched_lines=0)"
    assert [item.index for item in results.failures] == [1]
    with pytest.raises(BatchFailedError, match=r"1 of 3 batch requests failed: \[1\] missing"):
        results.contents()
    ok = BatchResults([results[0], results[2]], notes=None)
    assert ok.ok and ok.contents() == ["a", None]
    ok.raise_for_errors()


def test_progress_counts_from_request_counts() -> None:
    state, _ = plan_job(
        [{"model": "m", "messages": [{"role": "user", "content": "x"}]}] * 3,
        max_requests_per_file=1,
    )
    state.parts[0].update_from(
        Batch(id="a", status="done", request_counts={"total": 1, "completed": 1})
    )
    state.parts[1].update_from(
        Batch(id="b", status="in_progress", request_counts={"total": 1, "failed": 1})
    )
    progress = job_progress(state)
    assert (progress.total, progress.completed, progress.failed) == (3, 1, 1)
    assert (progress.parts, progress.parts_done, progress.done) == (3, 1, False)
    assert progress.states == {"completed": 1, "running": 1, "planned": 1}
    assert progress.finished_requests == 2
