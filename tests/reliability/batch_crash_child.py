"""Runs one batch call against an emulator, as a user's script would, for the crash tests.

``python batch_crash_child.py <settings.json>``: the settings name the call, the emulator, the
state file, and a pause point such as ``"create_batch:2"``: right after the second
``create_batch`` reply arrives (before the library can record it) the process writes the
marker file and stops, so the test can kill it with SIGKILL at exactly that moment. Without a
pause point the call runs to the end and its outputs are written as JSON.
"""

from __future__ import annotations

import asyncio
import faulthandler
import functools
import inspect
import json
import sys
import threading
from pathlib import Path
from typing import Any

from nebius_inference import AsyncNebiusClient, NebiusClient

CHAT_MODEL = "Qwen/Qwen3-30B-A3B-Instruct-2507"
EMBED_MODEL = "Qwen/Qwen3-Embedding-8B"
PROMPTS = [f'Say "r{i}"' for i in range(12)]
TEXTS = [f"text {i}" for i in range(12)]
OPTIONS: dict[str, Any] = {"max_requests_per_file": 3, "poll_interval": 0.01}


def pause_after(method: str, count: int, marker: Path) -> None:
    """Stop the process for good after the ``count``-th reply to ``method`` (both clients)."""
    seen = [0]

    def stop() -> None:
        seen[0] += 1
        if seen[0] == count:
            faulthandler.cancel_dump_traceback_later()
            marker.write_text("paused")
            threading.Event().wait()  # until SIGKILL

    for cls in (NebiusClient, AsyncNebiusClient):
        original = getattr(cls, method)
        if inspect.iscoroutinefunction(original):

            async def wrapper(self: Any, *args: Any, __original: Any = original, **kw: Any) -> Any:
                result = await __original(self, *args, **kw)
                stop()
                return result

        else:

            def wrapper(self: Any, *args: Any, __original: Any = original, **kw: Any) -> Any:
                result = __original(self, *args, **kw)
                stop()
                return result

        setattr(cls, method, functools.wraps(original)(wrapper))


def run(call: str, conn: dict[str, str], state_path: str) -> list[Any]:
    options = {**OPTIONS, "state_path": state_path}
    if call in ("run_batch", "arun_batch", "embed_batch", "aembed_batch"):
        from nebius_inference.batch import (
            aembed_batch,
            arun_batch,
            chat_requests,
            embed_batch,
            run_batch,
        )

        requests = chat_requests(PROMPTS, model=CHAT_MODEL, max_tokens=4)
        if call == "run_batch":
            with NebiusClient(**conn) as client:
                return run_batch(client, requests, **options).contents()
        if call == "embed_batch":
            with NebiusClient(**conn) as client:
                return embed_batch(client, TEXTS, model=EMBED_MODEL, **options)

        async def main() -> list[Any]:
            async with AsyncNebiusClient(**conn) as client:
                if call == "arun_batch":
                    return (await arun_batch(client, requests, **options)).contents()
                return await aembed_batch(client, TEXTS, model=EMBED_MODEL, **options)

        return asyncio.run(main())
    if call.startswith("langchain"):
        from langchain_nebius import ChatNebius, NebiusEmbeddings
        from langchain_nebius.batch import batch_inference, embed_documents_batch

        if call == "langchain_chat":
            chat = ChatNebius(model=CHAT_MODEL, max_tokens=4, **conn)
            return [m.content for m in batch_inference(chat, PROMPTS, **options)]
        embeddings = NebiusEmbeddings(model=EMBED_MODEL, **conn)
        return embed_documents_batch(embeddings, TEXTS, **options)
    from llama_index_nebius import NebiusEmbedding, NebiusLLM
    from llama_index_nebius.batch import batch_inference as li_batch_inference
    from llama_index_nebius.batch import batch_text_embeddings

    if call == "llamaindex_chat":
        llm = NebiusLLM(model=CHAT_MODEL, max_tokens=4, **conn)
        return [r.message.content for r in li_batch_inference(llm, PROMPTS, **options)]
    embed_model = NebiusEmbedding(model_name=EMBED_MODEL, **conn)
    return batch_text_embeddings(embed_model, TEXTS, **options)


def main() -> None:
    settings = json.loads(Path(sys.argv[1]).read_text())
    faulthandler.dump_traceback_later(settings["watchdog"], exit=True)  # a hang fails loudly
    if settings.get("pause"):
        method, _, count = settings["pause"].partition(":")
        pause_after(method, int(count), Path(settings["marker"]))
    outputs = run(settings["call"], settings["conn"], settings["state_path"])
    Path(settings["out"]).write_text(json.dumps(outputs))


if __name__ == "__main__":
    main()
