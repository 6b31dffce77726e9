"""Chat with ChatNebius in LangChain: invoke, a conversation, streaming, batch, and async.

    python cookbook/langchain_chat.py

With NEBIUS_API_KEY set it talks to Nebius; otherwise it runs offline against the local emulator.
"""

from __future__ import annotations

import asyncio

from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, SystemMessage

from langchain_nebius import ChatNebius
from nebius_inference.testing import live_or_emulated

MODEL = "Qwen/Qwen3-235B-A22B-Instruct-2507"


def sync_part(llm: ChatNebius) -> None:
    # A single prompt: a string is turned into one human message.
    reply = llm.invoke("In one sentence, what is LangChain?")
    print("invoke:", reply.content)
    # Token counts are in the standard usage_metadata; the model and finish reason in metadata.
    if isinstance(reply, AIMessage) and reply.usage_metadata:
        usage = reply.usage_metadata
        print(f"usage: {usage['input_tokens']} in, {usage['output_tokens']} out")
    print("finish reason:", reply.response_metadata.get("finish_reason"))

    # A conversation: system prompt, earlier turns, then the new question.
    conversation = [
        SystemMessage("You are a terse assistant. Answer in one short sentence."),
        HumanMessage("My favourite colour is teal."),
        AIMessage("Noted: teal."),
        HumanMessage("What is my favourite colour?"),
    ]
    print("conversation:", llm.invoke(conversation).content)

    # Streaming: chunks arrive as the model writes; adding them up gives the full message,
    # and the last chunk carries the usage (ChatNebius asks for it by default).
    print("stream: ", end="", flush=True)
    full: AIMessageChunk | None = None
    for chunk in llm.stream("Write a haiku about fast HTTP clients."):
        print(chunk.content, end="", flush=True)
        full = chunk if full is None else full + chunk
    print()
    if full is not None and full.usage_metadata:
        print(f"stream usage: {full.usage_metadata['total_tokens']} tokens in total")

    # Several independent prompts at once (sent concurrently, replies in input order).
    questions = ["Name a prime number.", "Name a planet.", "Name a colour."]
    for question, answer in zip(questions, llm.batch(questions)):
        print(f"batch: {question!r} -> {answer.content!r}")


async def async_part(llm: ChatNebius) -> None:
    # Every call has an async twin: ainvoke, astream, abatch.
    reply = await llm.ainvoke("Say 'hello from asyncio'")
    print("ainvoke:", reply.content)
    print("astream: ", end="", flush=True)
    async for chunk in llm.astream("Count to three."):
        print(chunk.content, end="", flush=True)
    print()
    # Run several requests concurrently on one event loop.
    replies = await asyncio.gather(*(llm.ainvoke(f"Give a word rhyming with {w}") for w in "ab"))
    print(f"gathered: {len(replies)} replies concurrently")


def main() -> None:
    # ChatNebius reads NEBIUS_API_KEY (and NEBIUS_BASE_URL, if set) from the environment.
    llm = ChatNebius(model=MODEL, temperature=0.2, max_tokens=80)
    sync_part(llm)
    asyncio.run(async_part(llm))


if __name__ == "__main__":
    with live_or_emulated():
        main()
