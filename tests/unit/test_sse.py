from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator

import pytest

from nebius_inference._sse import LineDecoder, ServerSentEvent, aiter_sse, iter_sse

PAYLOADS = [
    {"id": "1", "choices": [{"delta": {"content": "Hello"}}]},
    {"id": "2", "choices": [{"delta": {"content": "line\u2028separator \u2029 and \u0085 next"}}]},
    {"id": "3", "choices": [{"delta": {"content": "ünïcødé ✓ 日本語 🙂"}}]},
    {"id": "4", "choices": [{"delta": {"content": "x" * 5000}}]},
]


def _stream(newline: str) -> bytes:
    out = [f": keep-alive comment{newline}{newline}"]
    for payload in PAYLOADS:
        out.append(f"data: {json.dumps(payload, ensure_ascii=False)}{newline}{newline}")
    out.append(f"event: ping{newline}data:{newline}{newline}")
    out.append(f"data: [DONE]{newline}{newline}")
    return "".join(out).encode()


def _fragments(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.mark.parametrize("newline", ["\n", "\r", "\r\n"], ids=["LF", "CR", "CRLF"])
@pytest.mark.parametrize("size", [1, 7, 13, 4096, 10**7], ids=lambda s: f"frag{s}")
def test_fragmentation_never_changes_the_events(newline: str, size: int) -> None:
    events = list(iter_sse(_fragments(_stream(newline), size)))
    datas = [e.data for e in events]
    assert [json.loads(d) for d in datas[: len(PAYLOADS)]] == PAYLOADS
    assert events[len(PAYLOADS)] == ServerSentEvent(data="", event="ping")
    assert datas[-1] == "[DONE]"
    assert len(events) == len(PAYLOADS) + 2


@pytest.mark.parametrize("newline", ["\n", "\r", "\r\n"], ids=["LF", "CR", "CRLF"])
async def test_async_driver_matches_sync(newline: str) -> None:
    data = _stream(newline)

    async def chunks() -> AsyncIterator[bytes]:
        for part in _fragments(data, 3):
            yield part

    events = [e async for e in aiter_sse(chunks())]
    assert events == list(iter_sse(iter([data])))


def test_u2028_inside_json_is_not_a_line_break() -> None:
    payload = {"content": "a\u2028b"}
    raw = f"data: {json.dumps(payload, ensure_ascii=False)}\n\n".encode()
    (event,) = iter_sse(iter([raw]))
    assert json.loads(event.data) == payload


def test_multiline_data_id_and_retry() -> None:
    raw = b"id: 7\nretry: 1500\nevent: update\ndata: first\ndata:second\n\n"
    (event,) = iter_sse(iter([raw]))
    assert event == ServerSentEvent(data="first\nsecond", event="update", id="7", retry=1500)


def test_event_without_final_blank_line_is_dropped() -> None:
    assert list(iter_sse(iter([b"data: partial"]))) == []


def test_cr_at_chunk_end_followed_by_lf_is_one_break() -> None:
    decoder = LineDecoder()
    assert decoder.feed(b"data: a\r") == [b"data: a"]
    assert decoder.feed(b"\n\r\n") == [b""]
    assert decoder.feed(b"data: b\r\n") == [b"data: b"]
