"""A client used, then ``os.fork()``, then calls in parent and child at once: each process gets
its own reply, 100 forks in a row. The fault server echoes each request's tag, so a reply that
crossed to the other process shows."""

from __future__ import annotations

import asyncio
import os
import warnings
from collections.abc import Callable

import pytest
from reliability.fault_server import MODEL, FaultServer

from nebius_inference import AsyncNebiusClient, NebiusClient

FORKS = 100


def _fork() -> int:
    with warnings.catch_warnings():
        # Python 3.12+ warns about fork() in a process with threads (none of ours here).
        warnings.simplefilter("ignore", DeprecationWarning)
        return os.fork()


def _both_at_once(ask: Callable[[str], str], forks: int = FORKS) -> tuple[int, int]:
    """Fork; parent and child each ask with their own tag, released together by a pipe.
    Returns (crossed or failed replies, forks). Before the fix, a crossed reply also shows as
    a hang (the other process waits for the reply that was taken): the watchdog fails that."""
    bad = 0
    for round_ in range(forks):
        go_read, go_write = os.pipe()
        pid = _fork()
        if pid == 0:  # the child: never returns into pytest
            code = 3
            try:
                os.close(go_write)
                os.read(go_read, 1)
                tag = f"child-{round_}"
                code = 0 if ask(tag) == tag else 1
            except BaseException:
                code = 2
            finally:
                os._exit(code)
        os.close(go_read)
        try:
            os.write(go_write, b"x")
            tag = f"parent-{round_}"
            try:
                bad += ask(tag) != tag
            except Exception:
                bad += 1
        finally:
            os.close(go_write)
            _, status = os.waitpid(pid, 0)
        bad += os.waitstatus_to_exitcode(status) != 0
    return bad, forks


def test_sync_client_after_fork_gets_its_own_replies(fault_env: FaultServer) -> None:
    client = NebiusClient(max_retries=0, timeout=60)

    def ask(tag: str) -> str:
        reply = client.create_chat_completion(
            model=MODEL, messages=[{"role": "user", "content": tag}]
        )
        return str(reply.choices[0].message.content)

    ask("warm")  # the pool now holds a connection both processes would inherit
    bad, forks = _both_at_once(ask)
    assert (bad, forks) == (0, FORKS)
    client.close()


def test_sync_stream_after_fork_gets_its_own_events(fault_env: FaultServer) -> None:
    client = NebiusClient(max_retries=0, timeout=60)

    def ask(tag: str) -> str:
        with client.stream_chat_completion(
            model=MODEL, messages=[{"role": "user", "content": tag}]
        ) as stream:
            texts = {c.choices[0].delta.content for c in stream if c.choices}
        return texts.pop() if len(texts) == 1 else repr(texts)

    ask("warm")
    bad, forks = _both_at_once(ask, 20)
    assert (bad, forks) == (0, 20)
    client.close()


def test_async_client_after_fork_gets_its_own_replies(fault_env: FaultServer) -> None:
    """The parent keeps its event loop (and the pool in it) across the fork; the child runs
    its own loop, as a forked worker does."""
    client = AsyncNebiusClient(max_retries=0, timeout=60)
    loop = asyncio.new_event_loop()

    async def call(tag: str) -> str:
        reply = await client.create_chat_completion(
            model=MODEL, messages=[{"role": "user", "content": tag}]
        )
        return str(reply.choices[0].message.content)

    parent = os.getpid()

    def ask(tag: str) -> str:
        if os.getpid() == parent:
            return loop.run_until_complete(call(tag))
        asyncio.set_event_loop(None)
        return asyncio.run(call(tag))

    try:
        ask("warm")
        bad, forks = _both_at_once(ask)
        assert (bad, forks) == (0, FORKS)
    finally:
        loop.run_until_complete(client.aclose())
        loop.close()


@pytest.mark.parametrize("adapter", ["langchain", "llama_index"])
def test_adapters_after_fork_get_their_own_replies(fault_env: FaultServer, adapter: str) -> None:
    """The adapters cache core clients; those notice the fork too (20 forks: each one copies
    a process that has both frameworks loaded)."""
    if adapter == "langchain":
        from langchain_nebius import ChatNebius

        chat = ChatNebius(model=MODEL, max_retries=0)

        def ask(tag: str) -> str:
            return str(chat.invoke(tag).content)
    else:
        from llama_index.core.llms import ChatMessage

        from llama_index_nebius import NebiusLLM

        llm = NebiusLLM(model=MODEL, max_retries=0)

        def ask(tag: str) -> str:
            return str(llm.chat([ChatMessage(role="user", content=tag)]).message.content)

    ask("warm")
    bad, forks = _both_at_once(ask, 20)
    assert (bad, forks) == (0, 20)
