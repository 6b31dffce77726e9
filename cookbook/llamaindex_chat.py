"""Chat with NebiusLLM in LlamaIndex: complete, chat, streaming, and async.

    python cookbook/llamaindex_chat.py

With NEBIUS_API_KEY set it talks to Nebius; otherwise it runs offline against the local emulator.
"""

from __future__ import annotations

import asyncio

from llama_index.core.llms import ChatMessage

from llama_index_nebius import NebiusLLM
from nebius_inference.testing import live_or_emulated

MODEL = "Qwen/Qwen3-235B-A22B-Instruct-2507"


def sync_part(llm: NebiusLLM) -> None:
    # complete: a prompt in, a CompletionResponse out.
    response = llm.complete("In one sentence, what is LlamaIndex?")
    print("complete:", response.text)
    # Token counts are in additional_kwargs (the raw API reply is in response.raw).
    usage = response.additional_kwargs
    print(f"usage: {usage.get('prompt_tokens')} in, {usage.get('completion_tokens')} out")

    # chat: a list of messages in, the assistant's message out.
    messages = [
        ChatMessage(role="system", content="You are a pirate. Answer in one sentence."),
        ChatMessage(role="user", content="What is your name?"),
    ]
    print("chat:", llm.chat(messages).message.content)

    # Streaming: each response carries the new text in .delta.
    print("stream_complete: ", end="", flush=True)
    for part in llm.stream_complete("Write a haiku about retrieval."):
        print(part.delta or "", end="", flush=True)
    print()
    print("stream_chat: ", end="", flush=True)
    for part in llm.stream_chat(messages):
        print(part.delta or "", end="", flush=True)
    print()


async def async_part(llm: NebiusLLM) -> None:
    # Every method has an async twin: acomplete, achat, astream_complete, astream_chat.
    response = await llm.acomplete("Say 'hello from asyncio'")
    print("acomplete:", response.text)
    print("astream_chat: ", end="", flush=True)
    stream = await llm.astream_chat([ChatMessage(role="user", content="Count to three.")])
    async for part in stream:
        print(part.delta or "", end="", flush=True)
    print()


def main() -> None:
    # NebiusLLM reads NEBIUS_API_KEY (and NEBIUS_BASE_URL, if set) from the environment.
    llm = NebiusLLM(model=MODEL, temperature=0.2, max_tokens=80)
    # Context window and tool-calling support come from a table of known models.
    meta = llm.metadata
    print(f"metadata: context_window={meta.context_window}")
    print(f"metadata: function_calling={meta.is_function_calling_model}")
    sync_part(llm)
    asyncio.run(async_part(llm))


if __name__ == "__main__":
    with live_or_emulated():
        main()
