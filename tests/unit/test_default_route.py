"""The clients' default send route (their own connection pools, no ``http_client``) against the
scripted fake on 127.0.0.1: what the MockTransport-based unit tests cannot reach."""

from __future__ import annotations

import asyncio
import gc
import re
import socket
import warnings
from collections.abc import Iterator

import httpx
import pytest
from fakes import FakeAPI, chat_reply, chunk, open_fake, stream_response

from nebius_inference import APIConnectionError, RateLimitError

MESSAGES = [{"role": "user", "content": "hi"}]


@pytest.fixture
def api() -> Iterator[FakeAPI]:
    yield from open_fake("default", max_retries=0)


def test_sync_calls_share_one_kept_alive_connection(api: FakeAPI) -> None:
    api.queue(chat_reply("one"), chat_reply("two"))
    with api.sync_client() as client:
        first = client.create_chat_completion(model="m", messages=MESSAGES)
        second = client.create_chat_completion(model="m", messages=MESSAGES)
    assert [first.choices[0].message.content, second.choices[0].message.content] == ["one", "two"]
    assert api.server.connections_opened == 1
    assert str(api.requests[0].url) == f"{api.server.base_url}/chat/completions"


def test_a_stream_arrives_event_by_event_over_chunked_encoding(api: FakeAPI) -> None:
    api.queue(stream_response(chunk("Hel"), chunk("lo", finish_reason="stop")))
    with api.sync_client() as client:
        pieces = [
            c.choices[0].delta.content
            for c in client.stream_chat_completion(model="m", messages=MESSAGES)
        ]
    assert pieces == ["Hel", "lo"]
    assert api.body()["stream"] is True


async def test_async_calls_and_streams(api: FakeAPI) -> None:
    api.queue(chat_reply("a"), stream_response(chunk("b", finish_reason="stop")))
    async with api.async_client() as client:
        reply = await client.create_chat_completion(model="m", messages=MESSAGES)
        stream = await client.stream_chat_completion(model="m", messages=MESSAGES)
        pieces = [c.choices[0].delta.content async for c in stream]
    assert (reply.choices[0].message.content, pieces) == ("a", ["b"])


def test_a_lost_reply_is_a_connection_error(api: FakeAPI) -> None:
    def lose(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("connection reset before the reply")

    api.queue(lose)
    with api.sync_client() as client, pytest.raises(APIConnectionError, match="disconnected"):
        client.create_chat_completion(model="m", messages=MESSAGES)


def test_a_dropped_async_client_in_a_cycle_closes_its_pool_quietly(api: FakeAPI) -> None:
    api.default = httpx.Response(429, json={"detail": "slow down"})

    async def main() -> list[str]:
        client = api.async_client()
        caught: list[BaseException] = []
        try:
            await client.create_chat_completion(model="m", messages=MESSAGES)
        except RateLimitError as exc:
            caught.append(exc)  # its traceback refers to the client: a reference cycle
        del client, caught
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            gc.collect()
            await asyncio.sleep(0)
        return [str(w.message) for w in seen if issubclass(w.category, ResourceWarning)]

    assert asyncio.run(main()) == []


def test_a_client_dropped_between_runs_of_its_loop_closes_its_pool_there(api: FakeAPI) -> None:
    """A loop driven by ``run_until_complete`` (sync-over-async code): the client is collected
    while the loop is stopped, and its pool closes when the loop next runs."""
    loop = asyncio.new_event_loop()
    try:
        client = api.async_client()
        reply = loop.run_until_complete(client.create_chat_completion(model="m", messages=MESSAGES))
        assert reply.choices[0].message.content
        pools = client._transport.pools  # emptied by each pool's close
        assert len(pools) == 1
        cycle: list[object] = [client]
        cycle.append(cycle)
        del client, cycle
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            gc.collect()
            loop.run_until_complete(asyncio.sleep(0.05))
        assert [str(w.message) for w in seen if issubclass(w.category, ResourceWarning)] == []
        assert pools == {}
    finally:
        loop.close()


def _raw_exchange(api: FakeAPI, *requests: bytes) -> bytes:
    """Send ``requests`` on one raw socket, the last with ``Connection: close``, and read every
    reply until the server closes the connection."""
    port = int(api.server.base_url.rsplit(":", 1)[1].split("/")[0])
    last = requests[-1].replace(b"\r\n", b"\r\nConnection: close\r\n", 1)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"".join(requests[:-1]) + last)
        received = b""
        while data := sock.recv(65536):
            received += data
        return received


def test_the_server_speaks_plain_http_to_a_raw_socket(api: FakeAPI) -> None:
    """Checked without httpx: keep-alive, Content-Length bodies, and an event stream sent in
    chunked encoding one event per chunk."""
    api.queue(chat_reply("plain"), stream_response(chunk("a"), chunk("b")))
    body = b'{"model": "m", "messages": []}'
    one = (
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    received = _raw_exchange(api, one, one)
    first, _, second = received.partition(b"HTTP/1.1 200 OK\r\n")[2].partition(b"HTTP/1.1 200")
    head, _, content = first.partition(b"\r\n\r\n")
    assert int(re.search(rb"Content-Length: (\d+)", head, re.I)[1]) == len(content)  # type: ignore[index]
    assert b'"plain"' in content
    head, _, chunked = second.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding: chunked" in head
    pieces = []
    while True:
        size_line, _, chunked = chunked.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            break
        pieces.append(chunked[:size])
        chunked = chunked[size + 2 :]
    assert [p.startswith(b"data: ") and p.endswith(b"\n\n") for p in pieces] == [True] * 3
    assert pieces[-1] == b"data: [DONE]\n\n"
    assert api.server.connections_opened == 1 and len(api.requests) == 2
    assert api.requests[0].headers["content-type"] == "application/json"
    assert api.body(0) == {"model": "m", "messages": []}


def test_a_chunked_upload_reaches_the_handler_whole(api: FakeAPI) -> None:
    parts = [b'{"model": ', b'"m", "input": ["x"]}']
    upload = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"
    request = (
        b"POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + upload
    )
    received = _raw_exchange(api, request)
    assert received.startswith(b"HTTP/1.1 200") and received.endswith(b"}")
    assert api.body() == {"model": "m", "input": ["x"]}
