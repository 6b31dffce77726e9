"""The one warning a big job gets: at the rate limit it would take longer than the Batch API.

A bulk call (the core's ``embed``, LangChain's ``ChatNebius.batch``, LlamaIndex's
``NebiusEmbedding.get_text_embedding_batch``) tells its client's pacer how big the job is with
:func:`announce_job`; the pacer compares it with the limit, now or when the first reply says
what the limit is, and :func:`advise` logs the warning once per client and model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._logs import logger

if TYPE_CHECKING:
    from ._client import AsyncNebiusClient, NebiusClient

__all__ = ["ANY_BATCH_MODULE", "advise", "announce_job", "larger_job"]

ANY_BATCH_MODULE = "langchain_nebius.batch / llama_index_nebius.batch"
"""What the warning names when the job comes from the core itself."""


def announce_job(
    client: NebiusClient | AsyncNebiusClient,
    model: str,
    *,
    requests: float,
    tokens: float,
    batch_module: str = ANY_BATCH_MODULE,
) -> float | None:
    """Tell ``client``'s pacer that a job of ``requests`` requests and about ``tokens`` tokens
    for ``model`` starts now. When the rate limit (known now, or from the next reply) makes it
    take longer than the Batch API likely would, a warning from the ``nebius_inference``
    logger says so, naming ``batch_module``, once per client and model. Returns the projected
    seconds if that was said now; does nothing with ``pacing=False``."""
    return client._pacer.expect(model, requests, tokens, batch_module)


def larger_job(
    pending: tuple[float, float] | None, requests: float, tokens: float
) -> tuple[float, float]:
    """The job to judge when another is announced before the limit is known: the larger of
    the two in each dimension (a bulk call's per-chunk requests must not hide the whole)."""
    if pending is None:
        return (requests, tokens)
    return (max(pending[0], requests), max(pending[1], tokens))


def advise(model: str, seconds: float | None, batch_module: str = ANY_BATCH_MODULE) -> float | None:
    if seconds is not None:
        logger.warning(
            "At the rate limit of %s this job needs about %.0f minutes; the Batch API "
            "(%s) costs half, does not count against the rate limit and would likely finish "
            "sooner.",
            model,
            seconds / 60,
            batch_module,
        )
    return seconds
