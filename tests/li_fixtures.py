"""Fixtures for the LlamaIndex integration and contract tests: the session emulator, reset
per test, and components pointed at it."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from llama_index_nebius import NebiusEmbedding, NebiusImageToolSpec, NebiusLLM, NebiusRerank
from nebius_inference.testing import Emulator


@pytest.fixture
def emu(nebius_emulator_clean: Emulator) -> Emulator:
    """The session emulator with an empty request log and no faults left over."""
    return nebius_emulator_clean


@pytest.fixture(autouse=True)
def _event_loop_for_sync_tests(request: pytest.FixtureRequest) -> Iterator[None]:
    """LlamaIndex runs coroutines from sync code with ``asyncio_run``, which takes the
    thread's current event loop, creating one if there is none, and never closes it (for
    example when a query engine counts prompt tokens). Give sync tests a loop we close
    properly afterwards, as a program's ``asyncio.run`` would, so nothing leaks between
    tests. Async tests get their loop from pytest-asyncio."""
    if inspect.iscoroutinefunction(request.function):
        yield
        return
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        yield
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        asyncio.set_event_loop(None)
        loop.close()


@pytest.fixture
def connect(emu: Emulator) -> dict[str, Any]:
    return {"api_key": emu.api_key, "base_url": emu.base_url}


@pytest.fixture
def make_llm(connect: dict[str, Any]) -> Callable[..., NebiusLLM]:
    def make(**kwargs: Any) -> NebiusLLM:
        return NebiusLLM(**{**connect, **kwargs})

    return make


@pytest.fixture
def llm(make_llm: Callable[..., NebiusLLM]) -> NebiusLLM:
    return make_llm(model="Qwen/Qwen3-235B-A22B-Instruct-2507")


@pytest.fixture
def embed_model(connect: dict[str, Any]) -> NebiusEmbedding:
    return NebiusEmbedding(**connect)


@pytest.fixture
def rerank(connect: dict[str, Any]) -> NebiusRerank:
    return NebiusRerank(top_n=2, **connect)


@pytest.fixture
def image_spec(connect: dict[str, Any]) -> NebiusImageToolSpec:
    return NebiusImageToolSpec(**connect)
