"""Quick start with the core client: chat, streaming, embeddings, and a tiny retrieval.

    python cookbook/quickstart.py

With NEBIUS_API_KEY set it talks to Nebius; otherwise it runs offline against the local emulator.
"""

from __future__ import annotations

import math

from nebius_inference import NebiusClient
from nebius_inference.testing import live_or_emulated

CHAT_MODEL = "Qwen/Qwen3-235B-A22B-Instruct-2507"
EMBED_MODEL = "Qwen/Qwen3-Embedding-8B"

PASSAGES = [
    "The Moon's gravity pulls on the oceans and raises the tides twice a day.",
    "Sourdough bread rises because wild yeast ferments the flour.",
    "Honeybees communicate the direction of flowers with a waggle dance.",
]


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def main() -> None:
    with NebiusClient() as client:
        reply = client.create_chat_completion(
            model=CHAT_MODEL,
            messages=[{"role": "user", "content": "In one sentence, what is a vector database?"}],
            max_tokens=60,
        )
        print("chat:", reply.choices[0].message.content)
        assert reply.usage is not None
        print(f"usage: {reply.usage.prompt_tokens} in, {reply.usage.completion_tokens} out")

        print("stream: ", end="", flush=True)
        with client.stream_chat_completion(
            model=CHAT_MODEL,
            messages=[{"role": "user", "content": "Write a haiku about fast clients."}],
            max_tokens=40,
        ) as stream:
            for chunk in stream:
                if chunk.choices:
                    print(chunk.choices[0].delta.content or "", end="", flush=True)
        print()

        question = "What causes the ocean tides?"
        vectors = client.embed([*PASSAGES, question], model=EMBED_MODEL)
        scores = [cosine(vectors[-1], v) for v in vectors[:-1]]
        best = max(range(len(PASSAGES)), key=scores.__getitem__)
        print(f"embeddings: {len(vectors)} vectors of {len(vectors[0])} dimensions")
        print(f"retrieval: {question!r} -> {PASSAGES[best]!r}")


if __name__ == "__main__":
    with live_or_emulated():
        main()
