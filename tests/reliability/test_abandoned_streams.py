"""A stream left with ``break`` (no ``with``) never hangs the client and never keeps its
connection: 1,000 rounds of break-then-call for the core clients and both adapters, under the
watchdog, with the fault server's count of open connections back at its start afterwards."""

from __future__ import annotations

import asyncio
import gc
import itertools
import weakref
from collections.abc import Iterator
from typing import Any

import pytest
from reliability.fault_server import MODEL, FaultServer

from nebius_inference import AsyncNebiusClient, NebiusClient, Stream

ROUNDS = 1000
MESSAGES = [{"role": "user", "content": "abandoned"}]


@pytest.fixture
def gc_often() -> Iterator[None]:
    """Make the cyclic collector run every few hundred allocations, as in a busy program, so a
    finaliser that runs inside the collector gets every chance to meet a held pool lock."""
    before = gc.get_threshold()
    gc.set_threshold(100, 5, 5)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.collect()


def _baseline(server: FaultServer) -> int:
    """The server's open connections before a test, once earlier tests' clients are gone."""
    from nebius_inference import _client

    gc.collect()  # earlier tests' dropped clients: their pools close now, or are parked
    while _client._DROPPED:  # parked pools: closed here rather than in the middle of a test
        _client._DROPPED.popleft().close()
    return server.settled_open()


@pytest.mark.usefixtures("gc_often")
def test_core_sync_break_then_call(fault_env: FaultServer) -> None:
    start = _baseline(fault_env)
    client = NebiusClient()
    for _ in range(ROUNDS):
        for _chunk in client.stream_chat_completion(model=MODEL, messages=MESSAGES):
            break
        reply = client.create_chat_completion(model=MODEL, messages=MESSAGES)
        assert reply.choices[0].message.content == "abandoned"
    # One idle keep-alive connection remains: every abandoned stream closed its own.
    fault_env.wait_open(start + 1)
    client.close()
    fault_env.wait_open(start)


@pytest.mark.usefixtures("gc_often")
async def test_core_async_break_then_call(fault_env: FaultServer) -> None:
    start = _baseline(fault_env)
    client = AsyncNebiusClient()
    for round_ in range(ROUNDS):
        async for _chunk in await client.stream_chat_completion(model=MODEL, messages=MESSAGES):
            break
        reply = await client.create_chat_completion(model=MODEL, messages=MESSAGES)
        assert reply.choices[0].message.content == "abandoned"
        if round_ % 100 == 99:
            # Bounded, not growing with the rounds: abandoned streams are closed.
            await _open_at_most(fault_env, start + 2)
    await client.aclose()
    fault_env.wait_open(start)


async def _open_at_most(server: FaultServer, expected: int) -> None:
    """Let the event loop run the closes it scheduled for abandoned async generators until the
    server holds at most ``expected`` connections (the watchdog bounds the wait)."""
    for _ in itertools.count():
        if server.open_connections() <= expected:
            return
        await asyncio.sleep(0.005)


def test_a_bare_stream_frees_its_connection_at_break(fault_env: FaultServer) -> None:
    """In CPython the stream is freed by reference counting at ``break``: its connection closes
    at once, with the cyclic collector switched off."""
    start = _baseline(fault_env)
    client = NebiusClient()
    client.create_chat_completion(model=MODEL, messages=MESSAGES)
    fault_env.wait_open(start + 1)
    gc.disable()
    try:
        stream = client.stream_chat_completion(model=MODEL, messages=MESSAGES)
        probe = weakref.ref(stream)
        for _chunk in stream:
            break
        del stream, _chunk
        assert probe() is None  # freed without the collector: no reference cycle
        # The stream took the idle connection; closing it mid-body ends that connection.
        fault_env.wait_open(start)
    finally:
        gc.enable()
    client.close()


# --- the adapters ---------------------------------------------------------------------------
# Each pair: open a stream and leave it at the first chunk, then make a whole call.


def _langchain_chat() -> tuple[Any, Any]:
    from langchain_nebius import ChatNebius

    llm = ChatNebius(model=MODEL)
    return (lambda: llm.stream("abandoned"), lambda: llm.invoke("abandoned").content)


def _langchain_llm() -> tuple[Any, Any]:
    from langchain_nebius import NebiusLLM

    llm = NebiusLLM(model=MODEL)
    return (lambda: llm.stream("abandoned"), lambda: llm.invoke("abandoned"))


def _llama_index_chat() -> tuple[Any, Any]:
    from llama_index.core.llms import ChatMessage

    from llama_index_nebius import NebiusLLM

    llm = NebiusLLM(model=MODEL)
    messages = [ChatMessage(role="user", content="abandoned")]
    return (lambda: llm.stream_chat(messages), lambda: llm.chat(messages).message.content)


def _llama_index_complete() -> tuple[Any, Any]:
    from llama_index_nebius import NebiusLLM

    llm = NebiusLLM(model=MODEL)
    return (lambda: llm.stream_complete("abandoned"), lambda: llm.complete("abandoned").text)


@pytest.mark.usefixtures("gc_often")
@pytest.mark.parametrize(
    "make", [_langchain_chat, _langchain_llm, _llama_index_chat, _llama_index_complete]
)
def test_adapters_sync_break_then_call(fault_env: FaultServer, make: Any) -> None:
    start = _baseline(fault_env)
    stream, call = make()
    for _ in range(ROUNDS):
        for _chunk in stream():
            break
        assert call() == "abandoned"
    fault_env.wait_open(start + 1)


def _langchain_chat_async() -> tuple[Any, Any]:
    from langchain_nebius import ChatNebius

    llm = ChatNebius(model=MODEL)

    async def call() -> Any:
        return (await llm.ainvoke("abandoned")).content

    return (lambda: llm.astream("abandoned"), call)


def _langchain_llm_async() -> tuple[Any, Any]:
    from langchain_nebius import NebiusLLM

    llm = NebiusLLM(model=MODEL)
    return (lambda: llm.astream("abandoned"), lambda: llm.ainvoke("abandoned"))


def _llama_index_chat_async() -> tuple[Any, Any]:
    from llama_index.core.llms import ChatMessage

    from llama_index_nebius import NebiusLLM

    llm = NebiusLLM(model=MODEL)
    messages = [ChatMessage(role="user", content="abandoned")]

    async def stream() -> Any:
        return await llm.astream_chat(messages)

    async def call() -> Any:
        return (await llm.achat(messages)).message.content

    return (stream, call)


def _llama_index_complete_async() -> tuple[Any, Any]:
    from llama_index_nebius import NebiusLLM

    llm = NebiusLLM(model=MODEL)

    async def stream() -> Any:
        return await llm.astream_complete("abandoned")

    async def call() -> Any:
        return (await llm.acomplete("abandoned")).text

    return (stream, call)


@pytest.mark.usefixtures("gc_often")
@pytest.mark.parametrize(
    "make",
    [
        _langchain_chat_async,
        _langchain_llm_async,
        _llama_index_chat_async,
        _llama_index_complete_async,
    ],
)
async def test_adapters_async_break_then_call(fault_env: FaultServer, make: Any) -> None:
    start = _baseline(fault_env)
    stream, call = make()
    for round_ in range(ROUNDS):
        events = stream()
        if asyncio.iscoroutine(events):
            events = await events
        async for _chunk in events:
            break
        assert await call() == "abandoned"
        if round_ % 100 == 99:
            await _open_at_most(fault_env, start + 2)
    await _open_at_most(fault_env, start + 2)


@pytest.mark.parametrize(
    "make", [_langchain_chat, _langchain_llm, _llama_index_chat, _llama_index_complete]
)
def test_adapters_sync_streams_hold_no_cycle(fault_env: FaultServer, make: Any) -> None:
    """Through each adapter, the core stream is freed at ``break`` without the collector."""
    stream, call = make()
    call()  # the client exists before we count
    gc.collect()
    gc.disable()
    try:
        for _chunk in stream():
            break
        del _chunk
        assert not [o for o in gc.get_objects() if isinstance(o, Stream)]
    finally:
        gc.enable()


def test_a_stream_the_collector_frees_is_closed_outside_it(fault_env: FaultServer) -> None:
    """A stream caught in a reference cycle of the user's own is freed by the collector: its
    response is parked, not closed there, and the client's next request closes it."""
    start = _baseline(fault_env)
    client = NebiusClient()
    stream = client.stream_chat_completion(model=MODEL, messages=MESSAGES)
    next(stream)
    holder: dict[str, Any] = {"stream": stream}
    holder["self"] = holder  # the cycle
    del stream, holder
    assert len(client._streams) == 1
    gc.collect()
    assert len(client._streams) == 1 and len(client._streams._parked) == 1  # parked, not closed
    client.create_chat_completion(model=MODEL, messages=MESSAGES)  # closes it first
    assert len(client._streams) == 0
    fault_env.wait_open(start + 1)
    client.close()


def test_a_client_the_collector_frees_closes_its_pool_outside_it(fault_env: FaultServer) -> None:
    from nebius_inference import _client

    start = _baseline(fault_env)
    dropped = NebiusClient()
    dropped.create_chat_completion(model=MODEL, messages=MESSAGES)
    dropped.cycle = dropped  # type: ignore[attr-defined]
    del dropped
    gc.collect()
    assert len(_client._DROPPED) == 1  # parked by the collector, not closed inside it
    with NebiusClient() as other:
        other.create_chat_completion(model=MODEL, messages=MESSAGES)  # closes it first
        assert not _client._DROPPED
        fault_env.wait_open(start + 1)
    fault_env.wait_open(start)
