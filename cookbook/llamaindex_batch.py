"""Batch inference with LlamaIndex: support tickets classified, and embedded, through the Batch API.

    python cookbook/llamaindex_batch.py

``batch_inference`` writes every chat to a JSONL file, uploads it, runs it as a batch at the
Batch API's lower price, and maps the replies back: one ``ChatResponse`` per chat, in order,
exactly as ``llm.chat(messages)`` would return it. ``batch_text_embeddings`` does the same for
a corpus of texts. Real batches take minutes to hours; the job is polled with a growing interval.
With NEBIUS_API_KEY set it talks to Nebius; otherwise it runs offline against the local emulator.
"""

from __future__ import annotations

from llama_index.core.base.llms.types import ChatMessage, ChatResponse

from llama_index_nebius import NebiusEmbedding, NebiusLLM
from llama_index_nebius.batch import (
    NebiusBatchItemError,
    batch_inference,
    batch_text_embeddings,
)
from nebius_inference.testing import live_or_emulated

MODEL = "Qwen/Qwen3-235B-A22B-Instruct-2507"
SYSTEM = "Classify the support ticket as billing, shipping or product. Answer with one word."
ISSUES = ["was charged twice", "parcel never arrived", "grinder makes a noise", "need an invoice"]


def make_tickets() -> list[str]:
    """200 tickets: every issue from fifty customers."""
    return [f"Customer {n}: my order {issue}." for n in range(1, 51) for issue in ISSUES]


def main() -> None:
    llm = NebiusLLM(model=MODEL, temperature=0, max_tokens=8)
    tickets = make_tickets()
    chats = [
        [ChatMessage(role="system", content=SYSTEM), ChatMessage(role="user", content=ticket)]
        for ticket in tickets
    ]
    print(f"chats: {len(chats)}")
    # return_exceptions=True puts an error in the place of a failed chat instead of raising
    # once the job is done; add state_path="job.json" to resume after a crash.
    responses = batch_inference(llm, chats, progress_bar=True, return_exceptions=True)
    done = [r for r in responses if isinstance(r, ChatResponse)]
    failed = [r for r in responses if isinstance(r, NebiusBatchItemError)]
    print(f"responses: {len(done)} ok, {len(failed)} failed, in input order")
    first = responses[0]
    answer = first.message.content if isinstance(first, ChatResponse) else f"failed: {first}"
    print(f"  {tickets[0]!r} -> {answer!r}")

    embed_model = NebiusEmbedding(model_name="Qwen/Qwen3-Embedding-8B")
    vectors = batch_text_embeddings(embed_model, tickets, texts_per_request=50)
    print(f"embeddings: {len(vectors)} vectors of {len(vectors[0])} dimensions")


if __name__ == "__main__":
    with live_or_emulated():
        main()
