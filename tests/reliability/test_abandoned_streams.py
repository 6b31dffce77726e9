"""A stream left with ``break`` (no ``with``) never hangs the client and never keeps its
connection: 1,000 rounds of break-then-call for the core clients and both adapters, under the
watchdog, with the fault server's count of open connections back at its start afterwards."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator

import pytest
from reliability.fault_server import MODEL, FaultServer

from nebius_inference import AsyncNebiusClient, NebiusClient

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
    gc.collect()  # earlier tests' dropped clients: their connections close now
    return server.open_connections()


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
            await _settle()
            # Bounded, not growing with the rounds: abandoned streams are closed.
            assert fault_env.open_connections() <= start + 2
    await _settle()
    await client.aclose()
    fault_env.wait_open(start)


async def _settle() -> None:
    """Let the event loop run the closes it scheduled for abandoned async generators."""
    for _ in range(5):
        await asyncio.sleep(0)


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
