"""Batch inference with ChatNebius: a few hundred prompts through the Batch API.

    python cookbook/langchain_batch.py

The Batch API runs requests asynchronously at a lower price than live calls: the prompts are
written to a JSONL file, uploaded, run as a batch, and the replies downloaded and mapped back
to their prompts. ``batch_inference`` does all of it and returns one ``AIMessage`` per prompt,
in order, exactly as ``llm.invoke(prompt)`` would return it. Real batches take minutes to hours
(the window is 24 h); the job is polled with a growing interval, showing a progress bar.
With NEBIUS_API_KEY set it talks to Nebius; otherwise it runs offline against the local emulator.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from langchain_core.messages import AIMessage

from langchain_nebius import ChatNebius
from langchain_nebius.batch import NebiusBatchItemError, batch_inference
from nebius_inference.testing import Connection, live_or_emulated

MODEL = "Qwen/Qwen3-235B-A22B-Instruct-2507"

PRODUCTS = ["espresso machine", "coffee grinder", "milk jug", "tamper", "descaler", "kettle"]
STYLES = ["playful", "formal", "technical", "poetic", "minimal"]


def make_prompts() -> list[str]:
    """300 prompts: every product in every style, ten variants each."""
    return [
        f"Write a {style} one-line description of our {product}, variant {n}."
        for product in PRODUCTS
        for style in STYLES
        for n in range(1, 11)
    ]


def job_state_path(connection: Connection) -> Path:
    """Where the job's state is kept. Real batches live for days, so against Nebius the file
    stays in the working folder, where running this script again finds it and picks the same job
    up instead of paying for a second one. The emulator's batches end with its process, so
    offline the file goes to a temporary folder of this run: there is nothing to resume later."""
    folder = Path(tempfile.mkdtemp(prefix="nebius-batch-")) if connection.emulated else Path.cwd()
    return folder / "descriptions-job.json"


def main(connection: Connection) -> None:
    llm = ChatNebius(model=MODEL, temperature=0.7, max_tokens=40)
    prompts = make_prompts()
    print(f"prompts: {len(prompts)}")

    # state_path keeps the job's ids in a file: if this process stops, calling
    # batch_inference again with the same path picks the running job up instead of paying
    # for a second one. return_exceptions=True puts an error in the place of a failed prompt
    # (as Runnable.batch does) instead of raising once the job is done.
    state_path = job_state_path(connection)
    if state_path.exists():
        print(f"resuming the job saved in {state_path}")
    replies = batch_inference(
        llm, prompts, state_path=state_path, progress_bar=True, return_exceptions=True
    )

    done = [r for r in replies if isinstance(r, AIMessage)]
    failed = [r for r in replies if isinstance(r, NebiusBatchItemError)]
    print(f"replies: {len(done)} ok, {len(failed)} failed, in input order")
    for prompt, reply in list(zip(prompts, replies))[:3]:
        text = reply.content if isinstance(reply, AIMessage) else f"failed: {reply}"
        print(f"  {prompt!r} -> {text!r}")
    tokens = sum(r.usage_metadata["total_tokens"] for r in done if r.usage_metadata)
    print(f"total tokens: {tokens}")
    print(f"job state saved in {state_path.name}")
    if not connection.emulated:
        print(
            f"run again from {state_path.parent} to read the same job"
            " (delete the file for a new one)"
        )


if __name__ == "__main__":
    with live_or_emulated() as connection:
        main(connection)
