"""The async paths across event loops: asyncio.run called repeatedly, LlamaIndex's
sync-over-async helper, a running loop (as in a notebook), and nest_asyncio."""

from __future__ import annotations

import asyncio
import copy
import gc
import subprocess
import sys
import textwrap

from llama_index.core.async_utils import asyncio_run
from llama_index.core.base.llms.types import ChatMessage

from llama_index_nebius import NebiusEmbedding, NebiusLLM, NebiusRerank
from nebius_inference.testing import Emulator

HI = [ChatMessage(role="user", content="Hello there")]


def test_asyncio_run_three_times(emu: Emulator, llm: NebiusLLM) -> None:
    replies = [asyncio.run(llm.achat(HI)).message.content for _ in range(3)]
    assert len(set(replies)) == 1 and replies[0]
    assert len(emu.requests(path="/v1/chat/completions")) == 3


def test_asyncio_run_streams_and_embeddings(
    llm: NebiusLLM, embed_model: NebiusEmbedding, rerank: NebiusRerank
) -> None:
    async def stream_text() -> str:
        return "".join([r.delta or "" async for r in await llm.astream_chat(HI)])

    async def embed() -> list[list[float]]:
        return await embed_model.aget_text_embedding_batch(["a b", "b c", "c d"])

    texts = [asyncio.run(stream_text()) for _ in range(2)]
    vectors = [asyncio.run(embed()) for _ in range(2)]
    assert texts[0] == texts[1] != ""
    assert vectors[0] == vectors[1] and len(vectors[0]) == 3


def test_llama_index_asyncio_run_repeatedly(llm: NebiusLLM) -> None:
    for _ in range(3):
        assert asyncio_run(llm.achat(HI)).message.content
        assert asyncio_run(llm.acomplete("hi")).text


async def test_sync_over_async_inside_a_running_loop(llm: NebiusLLM) -> None:
    """A notebook cell: a loop is running and code calls LlamaIndex's sync helpers."""

    def sync_call() -> str:
        return asyncio_run(llm.achat(HI)).message.content or ""

    assert sync_call() and sync_call()
    assert (await llm.achat(HI)).message.content  # and the running loop still works
    assert llm.chat(HI).message.content  # sync methods work there too


def test_nest_asyncio_notebook_style(emu: Emulator) -> None:
    """nest_asyncio patches the loop globally, so it runs in a child interpreter."""
    script = textwrap.dedent(
        f"""
        import asyncio, warnings
        warnings.simplefilter("error")
        import nest_asyncio
        from llama_index.core.base.llms.types import ChatMessage
        from llama_index_nebius import NebiusLLM

        llm = NebiusLLM(api_key={emu.api_key!r}, base_url={emu.base_url!r})
        msgs = [ChatMessage(role="user", content="hi")]

        async def cell():
            nest_asyncio.apply()
            for _ in range(3):
                assert asyncio.run(llm.achat(msgs)).message.content
            assert (await llm.achat(msgs)).message.content

        loop = asyncio.new_event_loop()
        loop.run_until_complete(cell())
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-X", "dev", "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"
    assert "ResourceWarning" not in done.stderr


def test_dropped_components_free_their_sockets_and_copies_share_clients(emu: Emulator) -> None:
    """Dropping a component frees its connections (a ResourceWarning would fail this suite);
    shallow and deep copies share the clients and keep working after the original is gone."""
    for _ in range(3):
        llm = NebiusLLM(api_key=emu.api_key, base_url=emu.base_url)
        assert llm.chat(HI).message.content
        shallow = llm.model_copy(update={"temperature": 0.5})
        deep = copy.deepcopy(llm)
        assert deep.client is llm.client
        del llm
        gc.collect()
        assert shallow.chat(HI).message.content
        assert emu.request_log[-1].json["temperature"] == 0.5
        assert deep.chat(HI).message.content
        del shallow, deep
        gc.collect()
