"""``langchain_nebius.batch.embedding_chunks``: a job's vectors, in input order, a chunk at a
time, from a running job, a finished one, or one resumed from its state file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from langchain_nebius import NebiusEmbeddings, NebiusInvalidRequestError
from langchain_nebius.batch import (
    NebiusBatchItemError,
    embed_documents_batch,
    embedding_batch_job,
    embedding_chunks,
)
from nebius_inference import NebiusClient
from nebius_inference.batch import BatchJob
from nebius_inference.testing import Emulator, Fault

EMBED_MODEL = "Qwen/Qwen3-Embedding-8B"
TEXTS = [f"document number {i} about topic {i % 7}" for i in range(100)]


@pytest.fixture
def embeddings(conn: dict[str, Any]) -> NebiusEmbeddings:
    return NebiusEmbeddings(model=EMBED_MODEL, dimensions=16, **conn)


def _posts(emu: Emulator, path: str) -> int:
    return len(emu.requests(path=path, method="POST"))


def test_a_running_job_feeds_chunks_in_input_order(
    embeddings: NebiusEmbeddings, emu: Emulator, tmp_path: Path
) -> None:
    job = embedding_batch_job(
        embeddings, TEXTS, texts_per_request=3, max_requests_per_file=10, state_path=tmp_path / "j"
    ).submit()
    assert not job.done  # the emulator moves a batch one step per poll
    chunks = list(embedding_chunks(job, TEXTS, texts_per_request=3, chunk_size=40))
    assert [len(c) for c in chunks] == [40, 40, 20]
    pairs = [pair for chunk in chunks for pair in chunk]
    assert [text for text, _ in pairs] == TEXTS
    online = embeddings.embed_documents(TEXTS)
    for (_, got), want in zip(pairs, online, strict=True):
        assert len(got) == 16 and max(abs(a - b) for a, b in zip(got, want)) < 1e-6

    # Resumed from its state file in a new object: read from disk, nothing uploaded or paid again.
    files, batches = _posts(emu, "/v1/files"), _posts(emu, "/v1/batches")
    with NebiusClient(api_key=emu.api_key, base_url=emu.base_url) as client:
        resumed = BatchJob.resume(client, tmp_path / "j")
        again = [p for c in embedding_chunks(resumed, TEXTS, texts_per_request=3) for p in c]
    assert again == pairs
    assert (_posts(emu, "/v1/files"), _posts(emu, "/v1/batches")) == (files, batches)


def test_finished_results_and_the_whole_list_agree(embeddings: NebiusEmbeddings) -> None:
    job = embedding_batch_job(embeddings, TEXTS)
    results = job.wait()
    chunked = [v for chunk in embedding_chunks(results, TEXTS, chunk_size=7) for _, v in chunk]
    assert chunked == embed_documents_batch(embeddings, TEXTS)


def test_a_failed_text_raises_after_the_chunks_before_it_unless_returned(
    embeddings: NebiusEmbeddings, emu: Emulator
) -> None:
    texts = TEXTS[:10]
    emu.inject(Fault("batch_drop_output", lines=1))
    results = embedding_batch_job(embeddings, texts).wait()
    outputs = [v for c in embedding_chunks(results, texts, return_exceptions=True) for _, v in c]
    failed = [i for i, v in enumerate(outputs) if isinstance(v, NebiusBatchItemError)]
    assert len(failed) == 1 and "missing from the output" in str(outputs[failed[0]])
    seen: list[str] = []
    with pytest.raises(NebiusBatchItemError) as caught:
        for chunk in embedding_chunks(results, texts, chunk_size=1):
            seen.extend(text for text, _ in chunk)
    assert caught.value.index == failed[0] and seen == texts[: failed[0]]


def test_texts_that_do_not_match_the_job_are_refused(embeddings: NebiusEmbeddings) -> None:
    results = embedding_batch_job(embeddings, TEXTS[:6]).wait()
    with pytest.raises(NebiusInvalidRequestError, match="6 texts, 2 per request, make 3"):
        next(embedding_chunks(results, TEXTS[:6], texts_per_request=2))
    with pytest.raises(NebiusInvalidRequestError, match="chunk_size must be at least 1"):
        next(embedding_chunks(results, TEXTS[:6], chunk_size=0))


async def test_the_async_twin_gives_the_same_chunks_from_a_job_or_results(
    embeddings: NebiusEmbeddings, emu: Emulator
) -> None:
    from langchain_nebius.batch import aembedding_chunks

    job = embedding_batch_job(embeddings, TEXTS, texts_per_request=3, max_requests_per_file=10)
    seen: list[int] = []
    chunks = [
        c
        async for c in aembedding_chunks(
            job, TEXTS, texts_per_request=3, chunk_size=40, on_progress=lambda p: seen.append(1)
        )
    ]
    assert [len(c) for c in chunks] == [40, 40, 20] and seen  # waited for, with progress
    results = job.wait()  # finished: read again, nothing sent
    files = _posts(emu, "/v1/files")
    again = [c async for c in aembedding_chunks(results, TEXTS, texts_per_request=3, chunk_size=40)]
    assert (
        again
        == chunks
        == list(embedding_chunks(results, TEXTS, texts_per_request=3, chunk_size=40))
    )
    assert _posts(emu, "/v1/files") == files


async def test_the_async_twin_raises_and_returns_errors_alike(
    embeddings: NebiusEmbeddings, emu: Emulator
) -> None:
    from langchain_nebius.batch import aembedding_chunks

    texts = TEXTS[:10]
    emu.inject(Fault("batch_drop_output", lines=1))
    results = embedding_batch_job(embeddings, texts).wait()
    returned = [
        v
        for c in [c async for c in aembedding_chunks(results, texts, return_exceptions=True)]
        for _, v in c
    ]
    [failed] = [i for i, v in enumerate(returned) if isinstance(v, NebiusBatchItemError)]
    seen: list[str] = []
    with pytest.raises(NebiusBatchItemError) as caught:
        async for chunk in aembedding_chunks(results, texts, chunk_size=1):
            seen.extend(text for text, _ in chunk)
    assert caught.value.index == failed and seen == texts[:failed]
    with pytest.raises(NebiusInvalidRequestError, match="chunk_size must be at least 1"):
        [c async for c in aembedding_chunks(results, texts, chunk_size=0)]
