"""Fault syntax and use counting."""

from __future__ import annotations

import pytest

from nebius_inference.testing import Fault, FaultSyntaxError, parse_faults
from nebius_inference.testing._faults import FaultBook

CHAT = "/v1/chat/completions"


def test_parse_and_render_round_trip() -> None:
    text = (
        "rate_limit;times=2;retry_after=0.5, error;status=503, stream_error;after=3;message=a%2Cb"
    )
    faults = parse_faults(text)
    assert [fault.kind for fault in faults] == ["rate_limit", "error", "stream_error"]
    assert faults[0].times == 2 and faults[0].retry_after == 0.5
    assert faults[1].status == 503
    assert faults[2].message == "a,b"
    assert parse_faults(", ".join(fault.header() for fault in faults)) == faults


def test_times_always() -> None:
    assert parse_faults("disconnect;times=*")[0].times == -1
    assert Fault("delay", times=-1, seconds=0.1).header() == "delay;times=*;seconds=0.1"


@pytest.mark.parametrize(
    "text",
    [
        "nope",
        "error;status=200",
        "error;times=0",
        "delay;seconds=abc",
        "error;colour=red",
        "error;x",
    ],
)
def test_syntax_errors(text: str) -> None:
    with pytest.raises(FaultSyntaxError):
        parse_faults(text)


def test_header_faults_are_counted_per_key() -> None:
    book = FaultBook()
    headers = {"x-emulator-fault": "rate_limit;times=2"}
    assert book.take("POST", CHAT, False, headers) is not None
    assert book.take("POST", CHAT, False, headers) is not None
    assert book.take("POST", CHAT, False, headers) is None
    other = {**headers, "x-emulator-fault-key": "another-test"}
    assert book.take("POST", CHAT, False, other) is not None
    book.reset()
    assert book.take("POST", CHAT, False, headers) is not None


def test_sequences_fire_in_order() -> None:
    book = FaultBook()
    headers = {"x-emulator-fault": "rate_limit, error;status=502"}
    kinds = [book.take("POST", CHAT, False, headers) for _ in range(3)]
    assert [fault.kind if fault else None for fault in kinds] == ["rate_limit", "error", None]


def test_injected_faults_match_path_and_stream() -> None:
    book = FaultBook()
    book.inject(Fault("stream_cut", path=CHAT))
    book.inject(Fault("error", status=500, path="/v1/embeddings", times=2))
    assert book.take("POST", CHAT, False, {}) is None
    assert book.take("POST", "/v1/embeddings", False, {}) is not None
    cut = book.take("POST", CHAT, True, {})
    assert cut is not None and cut.kind == "stream_cut"
    assert book.take("POST", CHAT, True, {}) is None
    assert [fault.times for fault in book.pending()] == [1]


def test_batch_faults_only_apply_to_batch_creation() -> None:
    book = FaultBook()
    headers = {"x-emulator-fault": "batch_expire"}
    assert book.take("POST", CHAT, False, headers) is None
    fault = book.take("POST", "/v1/batches", False, headers)
    assert fault is not None and fault.for_batches
