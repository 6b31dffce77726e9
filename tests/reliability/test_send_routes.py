"""Each client has one transport with two routes: the public ``httpx`` one, and one fast path for
plain JSON calls on its own pool; every route gives the same kind of reply. Every private
attribute the fast paths and the pool clean-up read is guarded; these tests run the fallbacks."""

from __future__ import annotations

import asyncio
import gc
import json
import warnings
import weakref
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from reliability.fault_server import MODEL, FaultServer

from nebius_inference import AsyncNebiusClient, NebiusClient, _httpcore, _transport
from nebius_inference import _endpoints as ep
from nebius_inference._reply import Reply

MESSAGES = [{"role": "user", "content": "route"}]


def _check_whole(reply: Reply) -> None:
    assert type(reply) is Reply
    assert reply.status == 200 and reply.headers["content-type"].startswith("application/json")
    assert json.loads(reply.content)["choices"][0]["message"]["content"] == "route"
    response = reply.response()  # the httpx objects, whichever route carried the call
    assert response.status_code == 200 and response.content == reply.content
    assert reply.request is response.request
    assert response.request.url.path.endswith("/chat/completions")


def _check_stream(reply: Reply) -> list[str]:
    assert type(reply) is Reply and reply.status == 200
    assert reply.headers["content-type"].startswith("text/event-stream")
    with pytest.raises(httpx.ResponseNotRead):  # a stream is read through its response
        reply.content  # noqa: B018
    return [line for line in reply.response().iter_lines() if line.startswith("data:")]


def test_every_sync_route_gives_one_kind_of_reply(
    fault_env: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pool's fast path, httpx.Client.send on our pool (a stream), your own httpx.Client and
    the public route without the private pool: ``_send`` returns a :class:`Reply` on each."""
    body = {"model": MODEL, "messages": MESSAGES}
    with NebiusClient() as fast, NebiusClient(http_client=httpx.Client()) as yours:
        assert fast._transport.pool is not None and yours._transport.pool is None
        for client in (fast, yours):
            _check_whole(client._send(ep.chat(None, dict(body), stream=False)))
            reply = client._send(ep.chat(None, dict(body), stream=True))
            try:
                assert _check_stream(reply)[-1] == "data: [DONE]"
            finally:
                reply.response().close()
        yours._transport.http.close()
    monkeypatch.setattr(_httpcore, "pool_of", lambda transport: None)
    with NebiusClient() as public:
        assert public._transport.pool is None
        _check_whole(public._send(ep.chat(None, dict(body), stream=False)))


async def test_every_async_route_gives_one_kind_of_reply(fault_env: FaultServer) -> None:
    """The session's fast path, httpx.AsyncClient.send on our pool (a stream) and your own
    httpx.AsyncClient: ``_send`` returns a :class:`Reply` on each."""
    body = {"model": MODEL, "messages": MESSAGES}
    async with httpx.AsyncClient() as http:
        for client in (AsyncNebiusClient(), AsyncNebiusClient(http_client=http)):
            async with client:
                _check_whole(await client._send(ep.chat(None, dict(body), stream=False)))
                reply = await client._send(ep.chat(None, dict(body), stream=True))
                try:
                    lines = [
                        line
                        async for line in reply.response().aiter_lines()
                        if line.startswith("data:")
                    ]
                    assert lines[-1] == "data: [DONE]"
                finally:
                    await reply.response().aclose()


def test_without_httpx_private_pool_everything_takes_the_public_route(
    fault_env: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``httpx.HTTPTransport._pool`` missing (a future httpx): calls, streams and retries still
    work, through ``httpx.Client.send``."""
    monkeypatch.setattr(_httpcore, "pool_of", lambda transport: None)
    with NebiusClient(max_retries=1) as client:
        assert client._transport.pool is None
        assert client.create_chat_completion(model=MODEL, messages=MESSAGES).choices
        fault_env.script("status=503")
        reply = client.create_chat_completion(model=MODEL, messages=MESSAGES)
        assert reply.choices[0].message.content == "route"
        with client.stream_chat_completion(model=MODEL, messages=MESSAGES) as stream:
            assert sum(1 for _ in stream) == 64
        assert client.list_models().data[0].id == MODEL


def test_pool_of_reads_only_an_httpcore_pool() -> None:
    assert _httpcore.pool_of(httpx.HTTPTransport()) is not None
    assert _httpcore.pool_of(SimpleNamespace(_pool=object())) is None  # type: ignore[arg-type]
    assert _httpcore.pool_of(SimpleNamespace()) is None  # type: ignore[arg-type]


def test_abandoning_a_pool_without_aiohttp_internals_does_not_raise() -> None:
    """``_abandon`` frees the sockets of a pool whose loop died through aiohttp's private
    connector attributes; when they are missing it only detaches the session."""
    detached: list[bool] = []
    session: Any = SimpleNamespace(connector=object(), detach=lambda: detached.append(True))
    loop = asyncio.new_event_loop()
    loop.close()

    async def never() -> Any:
        yield  # pragma: no cover

    pool = _transport._LoopPool(weakref.ref(loop), None, session, never())  # type: ignore[arg-type]
    _transport._abandon(pool)
    assert detached == [True]


# The fallback leaves the dead loop's sockets to the garbage collector on purpose; when a busy
# machine delays that collection past the test's own gc.collect(), pytest reports the sockets'
# ResourceWarning as an unraisable exception of this test: both are what the test expects.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_async_client_recovers_from_a_dead_loop_with_the_fallback(
    fault_env: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A loop closed without shutting down its async generators, and ``_abandon`` unable to
    reach aiohttp's internals: the next loop still gets a working pool."""
    client = AsyncNebiusClient()

    async def ask() -> str:
        reply = await client.create_chat_completion(model=MODEL, messages=MESSAGES)
        return str(reply.choices[0].message.content)

    loop = asyncio.new_event_loop()
    assert loop.run_until_complete(ask()) == "route"
    loop.close()
    real_abandon = _transport._abandon
    seen: list[object] = []

    def abandon_without_internals(pool: Any) -> None:
        seen.append(pool)
        pool.session.connector._conns = None  # the private attributes "changed shape"
        real_abandon(pool)

    monkeypatch.setattr(_transport, "_abandon", abandon_without_internals)
    assert asyncio.run(ask()) == "route"
    assert len(seen) == 1
    # What the fallback gives up: the dead loop's sockets are left to the garbage collector,
    # which closes them with a ResourceWarning.
    seen.clear()
    del loop
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
        gc.collect()
