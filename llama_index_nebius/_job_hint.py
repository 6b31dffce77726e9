"""The Batch API hint for ``NebiusEmbedding``'s batch methods: the job's size, told to the
pacer before LlamaIndex splits it into requests of ``embed_batch_size`` texts.

The pacer (``nebius_inference.pacing``) warns once per client and model when the rate limit
would make a job take longer than the Batch API, naming ``llama_index_nebius.batch``. Each
request of the job is then a small job of its own to the core; the pacer keeps the whole.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from nebius_inference import AsyncNebiusClient, NebiusClient
from nebius_inference.pacing import announce_job, estimate_tokens

__all__ = ["announce_embedding_batch"]


def announce_embedding_batch(
    client: NebiusClient | AsyncNebiusClient, model: str, texts: Sequence[str], batch_size: int
) -> None:
    """Tell ``client``'s pacer that ``texts`` are about to be embedded with ``model``, in
    requests of ``batch_size`` texts (their tokens estimated as the pacer estimates a
    request's)."""
    if not texts:
        return
    announce_job(
        client,
        model,
        requests=math.ceil(len(texts) / batch_size),
        tokens=estimate_tokens({"input": list(texts)})[0],
        batch_module="llama_index_nebius.batch",
    )
