"""Planning a batch job without I/O: validation, custom ids, splitting, the state file."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nebius_inference import InvalidRequestError
from nebius_inference.batch import chat_requests, embedding_requests
from nebius_inference.batch._plan import plan_job, replan_for
from nebius_inference.batch._state import (
    BatchJobState,
    BatchStateError,
    describe_batch_errors,
    line_errors,
)
from nebius_inference.types import Batch, ChatCompletionRequest, EmbeddingRequest


def _chat(model: str, text: str = "hi") -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": text}]}


def _lines(part_lines: list[bytes]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in part_lines]


def test_lines_carry_unique_custom_ids_method_url_and_body() -> None:
    state, parts = plan_job([_chat("m", "a"), _chat("m", "b")], job_id="job-x")
    lines = _lines(parts[0].lines)
    assert lines == [
        {"custom_id": "job-x-0", "method": "POST", "url": "/v1/chat/completions",
         "body": _chat("m", "a")},
        {"custom_id": "job-x-1", "method": "POST", "url": "/v1/chat/completions",
         "body": _chat("m", "b")},
    ]  # fmt: skip
    assert all(line.endswith(b"\n") for line in parts[0].lines)
    assert state.total == 2 and state.parts[0].byte_count == len(parts[0].content())


def test_split_by_request_count() -> None:
    state, parts = plan_job([_chat("m") for _ in range(7)], max_requests_per_file=3)
    assert [list(p.indices) for p in parts] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [p.index_runs for p in state.parts] == [[(0, 3)], [(3, 6)], [(6, 7)]]
    assert [p.request_count for p in state.parts] == [3, 3, 1]


def test_split_by_bytes() -> None:
    one = len(plan_job([_chat("m")], job_id="job-x")[1][0].lines[0])
    requests = [_chat("m") for _ in range(5)]
    state, parts = plan_job(requests, max_bytes_per_file=2 * one + 1, job_id="job-x")
    assert [len(p.lines) for p in parts] == [2, 2, 1]
    assert all(p.byte_count <= 2 * one + 1 for p in state.parts)
    state, parts = plan_job(
        [_chat("m"), _chat("m", "x" * 20)], max_bytes_per_file=one + 1, job_id="job-x"
    )
    assert [list(p.indices) for p in parts] == [[0]]
    assert state.invalid[1].startswith("requests[1] takes ")
    with pytest.raises(InvalidRequestError, match=r"requests\[0\] takes \d+ bytes"):
        plan_job([_chat("m")], max_bytes_per_file=10, refuse_invalid=True)


def test_one_model_per_file_in_order_of_first_appearance() -> None:
    requests = [_chat("a"), _chat("b"), _chat("a"), _chat("b"), _chat("a")]
    state, parts = plan_job(requests, max_requests_per_file=2)
    assert [(p.model, list(p.indices)) for p in parts] == [
        ("a", [0, 2]),
        ("a", [4]),
        ("b", [1, 3]),
    ]
    assert state.parts[0].index_runs == [(0, 1), (2, 3)]
    assert list(state.parts[0].indices()) == [0, 2]
    for part in parts:
        assert {line["body"]["model"] for line in _lines(part.lines)} == {part.model}


def test_request_objects_and_endpoint_inference() -> None:
    chat = ChatCompletionRequest(model="m", messages=[{"role": "user", "content": "x"}], top_k=5)
    state, parts = plan_job([chat])
    assert state.endpoint == "/v1/chat/completions"
    assert _lines(parts[0].lines)[0]["body"]["top_k"] == 5
    state, parts = plan_job(
        [EmbeddingRequest(model="e", input=["x"]), {"model": "e", "input": "y"}]
    )
    assert state.endpoint == "/v1/embeddings"
    assert _lines(parts[0].lines)[1]["url"] == "/v1/embeddings"
    with pytest.raises(InvalidRequestError, match="mix chat and embeddings"):
        plan_job([_chat("m"), {"model": "e", "input": "y"}])


def test_bad_requests_are_caught_before_anything_is_sent() -> None:
    bad = {"model": "m", "messages": [{"role": "developer", "content": "x"}]}
    for requests, endpoint, problem in [
        ([_chat("m"), bad], None, r"requests\[1\]: .*developer"),
        ([{**_chat("m"), "stream": True}], None, r"requests\[0\] sets stream"),
        ([_chat("m")], "/v1/embeddings", r"requests\[0\]: .*input"),
        (["hello"], None, r"requests\[0\] is str"),
    ]:
        with pytest.raises(InvalidRequestError, match=problem):
            plan_job(requests, endpoint=endpoint, refuse_invalid=True)  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError, match="at least one request"):
        plan_job([])
    with pytest.raises(InvalidRequestError, match="max_requests_per_file"):
        plan_job([_chat("m")], max_requests_per_file=0)
    with pytest.raises(InvalidRequestError, match="endpoint must be"):
        plan_job([_chat("m")], endpoint="/v1/completions")  # type: ignore[arg-type]


def test_invalid_requests_become_their_own_errors_and_the_rest_is_planned() -> None:
    requests = [_chat("m") for _ in range(300)]
    for index in (3, 70, 150, 299):
        requests[index] = {**requests[index], "temperature": 9.5}
    state, parts = plan_job(requests)
    assert sorted(state.invalid) == [3, 70, 150, 299]
    assert all("temperature" in reason for reason in state.invalid.values())
    planned = [i for part in parts for i in part.indices]
    assert len(planned) == 296 and not set(planned) & set(state.invalid)
    assert all(b'"temperature":9.5' not in line for part in parts for line in part.lines)


def test_refuse_invalid_names_every_invalid_request_and_plans_nothing() -> None:
    requests = [_chat("m") for _ in range(300)]
    for index in (3, 70, 150, 299):
        requests[index] = {**requests[index], "temperature": 9.5}
    with pytest.raises(InvalidRequestError) as caught:
        plan_job(requests, refuse_invalid=True)
    message = str(caught.value)
    assert message.startswith("4 of 300 requests are invalid, so nothing was sent")
    for index in (3, 70, 150, 299):
        assert f"requests[{index}]: " in message
    assert "requests[4]" not in message and "refuse_invalid" in message


def test_caller_custom_ids_are_used_and_checked() -> None:
    state, parts = plan_job([_chat("m"), _chat("m")], custom_ids=["first", "second"])
    assert [line["custom_id"] for line in _lines(parts[0].lines)] == ["first", "second"]
    lookup = state.index_lookup()
    assert state.index_of("second", lookup) == 1 and state.index_of("third", lookup) is None
    with pytest.raises(InvalidRequestError, match="used twice"):
        plan_job([_chat("m"), _chat("m")], custom_ids=["a", "a"])
    with pytest.raises(InvalidRequestError, match="1 ids for 2 requests"):
        plan_job([_chat("m"), _chat("m")], custom_ids=["a"])


def test_generated_custom_ids_map_back_to_their_index_only() -> None:
    state, _ = plan_job([_chat("m") for _ in range(12)], job_id="job-x")
    assert state.index_lookup() is None
    assert state.index_of("job-x-11", None) == 11
    for foreign in ("job-x-12", "job-x-011", "job-y-1", "job-x-", "job-x-1a", "job-x-+1"):
        assert state.index_of(foreign, None) is None, foreign


def test_state_round_trip(tmp_path: Path) -> None:
    state, _ = plan_job(
        [_chat("a"), _chat("b"), _chat("a")], metadata={"team": "x"}, max_requests_per_file=1
    )
    state.parts[0].input_file_id = "file-1"
    state.parts[0].update_from(
        Batch(id="batch_1", status="failed", errors={"data": [{"message": "bad", "line": 1}]})
    )
    path = tmp_path / "state.json"
    state.save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # no temporary left behind
    loaded = BatchJobState.load(path)
    assert loaded == state
    assert loaded.parts[0].line_errors == {1: "bad"} and loaded.parts[0].state == "failed"
    assert loaded.parts[1].state == "planned" and not loaded.done
    path.write_text(path.read_text().replace('"version": 1', '"version": 99'))
    with pytest.raises(BatchStateError, match="version 99"):
        BatchJobState.load(path)


def test_part_states_follow_both_status_vocabularies() -> None:
    state, _ = plan_job([_chat("m")])
    part = state.parts[0]
    assert part.state == "planned" and not part.is_terminal
    part.input_file_id = "file-1"
    assert part.state == "uploaded"
    for status, expected, terminal in [
        ("validating", "validating", False),
        ("in_progress", "running", False),
        ("running", "running", False),
        ("finalizing", "finalizing", False),
        ("done", "completed", True),
        ("completed", "completed", True),
        ("cancelling", "cancelling", False),
        ("cancelled", "cancelled", True),
        ("expired", "expired", True),
    ]:
        part.update_from(Batch(id="b", status=status, request_counts={"completed": 1}))
        assert (part.state, part.is_terminal) == (expected, terminal), status
    assert part.completed == 1 and part.batch_id == "b"


def test_replan_checks_the_requests_are_the_same_job() -> None:
    requests = [_chat("a"), _chat("b")]
    state, _ = plan_job(requests, max_requests_per_file=1)
    assert [list(p.indices) for p in replan_for(state, requests)] == [[0], [1]]
    for other in (
        [_chat("a"), _chat("b", "longer text")],
        [_chat("a"), _chat("b", "hello")],  # the same size, other words: the fingerprint tells
        [_chat("b"), _chat("a")],
    ):
        with pytest.raises(BatchStateError, match=r"not that job's.*same requests.*state_path"):
            replan_for(state, other)
    embeddings = [{"model": "a", "input": ["x"]}, {"model": "b", "input": ["y"]}]
    with pytest.raises(BatchStateError, match=r"for /v1/chat/completions.*for /v1/embeddings"):
        replan_for(state, embeddings)


def test_the_fingerprint_is_of_the_requests_not_of_the_generated_ids() -> None:
    requests = [_chat("a"), _chat("b")]
    first, _ = plan_job(requests)
    second, _ = plan_job(requests)
    assert first.job_id != second.job_id and first.fingerprint == second.fingerprint
    other, _ = plan_job([_chat("a"), _chat("b", "hallo")])
    assert other.fingerprint != first.fingerprint


def test_describe_batch_errors() -> None:
    assert describe_batch_errors(None) is None and describe_batch_errors({}) is None
    data = {"data": [{"code": "c", "message": f"m{i}", "line": i} for i in range(7)]}
    assert describe_batch_errors(data) == (
        "m0 (line 0); m1 (line 1); m2 (line 2); m3 (line 3); m4 (line 4); and 2 more"
    )
    assert describe_batch_errors({"detail": "quota"}) == "quota"
    assert describe_batch_errors("boom") == "boom"
    assert line_errors(data)[3] == "m3" and line_errors("boom") == {}


def test_request_builders() -> None:
    assert embedding_requests(["a", "b", "c"], model="e", texts_per_request=2, dimensions=8) == [
        {"model": "e", "input": ["a", "b"], "dimensions": 8},
        {"model": "e", "input": ["c"], "dimensions": 8},
    ]
    assert chat_requests(["q"], model="m", system="be brief", max_tokens=5) == [
        {
            "model": "m",
            "messages": [
                {"role": "system", "content": "be brief"},
                {"role": "user", "content": "q"},
            ],
            "max_tokens": 5,
        }
    ]
    with pytest.raises(InvalidRequestError, match="list of texts"):
        embedding_requests("abc", model="e")
    with pytest.raises(InvalidRequestError, match=r"texts\[1\] is int"):
        embedding_requests(["a", 1], model="e")  # type: ignore[list-item]
    with pytest.raises(InvalidRequestError, match="texts_per_request"):
        embedding_requests(["a"], model="e", texts_per_request=0)
    with pytest.raises(InvalidRequestError, match="list of prompts"):
        chat_requests("abc", model="m")


# -- inputs from any iterable, spooled to disk ---------------------------------------------------


def _stream(n: int) -> Iterator[dict[str, Any]]:
    for i in range(n):
        yield _chat("a" if i % 3 else "b", f"request number {i} " + "words " * 40)


def test_requests_from_a_generator_are_read_once_and_written_to_disk(tmp_path: Path) -> None:
    in_memory, planned = plan_job(_stream(50), max_requests_per_file=20, job_id="job-x")
    spooled, parts = plan_job(_stream(50), max_requests_per_file=20, job_id="job-x", spool=tmp_path)
    assert spooled == in_memory and spooled.total == 50
    assert all(part.lines == [] and part.path is not None for part in parts)
    assert sorted(tmp_path.iterdir()) == sorted(part.path for part in parts)
    assert [p.content() for p in parts] == [p.content() for p in planned]
    parts[0].discard()
    assert parts[0].path is not None and not parts[0].path.exists()


def test_a_mixed_generator_is_refused_and_ids_are_counted_to_the_end() -> None:
    def mixed() -> Iterator[dict[str, Any]]:
        yield _chat("m")
        yield {"model": "e", "input": ["x"]}

    with pytest.raises(InvalidRequestError, match="mix chat and embeddings"):
        plan_job(mixed())
    with pytest.raises(InvalidRequestError, match="custom_ids has 2 ids for 5 requests"):
        plan_job(_stream(5), custom_ids=["a", "b"])


def _peak_while_planning(n: int, spool: Path | None) -> int:
    requests = (_chat("m", f"request number {i} " + "words " * 60) for i in range(n))
    tracemalloc.start()
    try:
        plan_job(requests, job_id="job-x", spool=spool)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_planning_to_disk_keeps_memory_flat_as_the_job_grows(tmp_path: Path) -> None:
    """Bytes of peak memory per request, from 1,000 to 10,000 requests of ~400-byte lines."""

    def per_request(spool: Path | None) -> float:
        small = _peak_while_planning(1_000, spool)
        return (_peak_while_planning(10_000, spool) - small) / 9_000

    assert per_request(None) > 400  # in memory: every line is kept
    assert per_request(tmp_path) < 32  # on disk: an 8-byte index per request, and no line
