"""Each client has two send routes: the public ``httpx`` one, and one fast path for plain JSON
calls on its own pool. Every private attribute the fast paths and the pool clean-up read is
guarded; these tests run the fallbacks."""

from __future__ import annotations

import asyncio
import gc
import warnings
import weakref
from types import SimpleNamespace
from typing import Any

import pytest
from reliability.fault_server import MODEL, FaultServer

from nebius_inference import AsyncNebiusClient, NebiusClient, _client, _httpcore

MESSAGES = [{"role": "user", "content": "route"}]


def test_without_httpx_private_pool_everything_takes_the_public_route(
    fault_env: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``httpx.HTTPTransport._pool`` missing (a future httpx): calls, streams and retries still
    work, through ``httpx.Client.send``."""
    monkeypatch.setattr(_httpcore, "pool_of", lambda transport: None)
    with NebiusClient(max_retries=1) as client:
        assert client._pool is None
        assert client.create_chat_completion(model=MODEL, messages=MESSAGES).choices
        fault_env.script("status=503")
        reply = client.create_chat_completion(model=MODEL, messages=MESSAGES)
        assert reply.choices[0].message.content == "route"
        with client.stream_chat_completion(model=MODEL, messages=MESSAGES) as stream:
            assert sum(1 for _ in stream) == 64
        assert client.list_models().data[0].id == MODEL


def test_pool_of_reads_only_an_httpcore_pool() -> None:
    import httpx

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

    pool = _client._LoopPool(weakref.ref(loop), None, session, never())  # type: ignore[arg-type]
    _client._abandon(pool)
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
    real_abandon = _client._abandon
    seen: list[object] = []

    def abandon_without_internals(pool: Any) -> None:
        seen.append(pool)
        pool.session.connector._conns = None  # the private attributes "changed shape"
        real_abandon(pool)

    monkeypatch.setattr(_client, "_abandon", abandon_without_internals)
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
