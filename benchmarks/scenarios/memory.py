"""Scenario 7: peak memory of embedding a corpus with our core, by how the vectors come back.

Each row runs in a fresh worker process. After a warm-up it embeds a quarter of the corpus and
then the whole corpus, and records the growth of the process's peak RSS over the warm-up after
each. The difference between the two, per 10,000 vectors, is what each further 10,000 vectors
cost: the whole result for ``embed`` (lists of floats, ``array('f')``, one numpy block), and
only the requests in flight for ``iter_embeddings``, whose chunks are consumed as they come
(a checksum stands in for writing them to a vector store) and then dropped.

The floor is ``embed`` with lists of floats (what the core returned before ``output=``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from harness import DIMENSIONS, EMBEDDING_MODEL, Config, Row, peak_rss_mb, server_requests

from . import clients
from .embeddings import texts

Consume = Callable[[Any, list[str]], int]


def _whole(output: str) -> Consume:
    def consume(client: Any, docs: list[str]) -> int:
        vectors = client.embed(docs, model=EMBEDDING_MODEL, output=output)
        if len(vectors) != len(docs) or len(vectors[0]) != DIMENSIONS:
            raise AssertionError(f"expected {len(docs)} vectors of {DIMENSIONS}")
        return len(vectors)

    return consume


def _chunks(output: str) -> Consume:
    def consume(client: Any, docs: list[str]) -> int:
        seen = 0
        checksum = 0.0
        for start, vectors in client.iter_embeddings(docs, model=EMBEDDING_MODEL, output=output):
            if start != seen or len(vectors[0]) != DIMENSIONS:
                raise AssertionError(f"chunk at {start}, expected {seen}")
            checksum += float(vectors[0][0])
            seen += len(vectors)
        if seen != len(docs):
            raise AssertionError(f"expected {len(docs)} vectors, got {seen}")
        return seen

    return consume


def _row(consume: Consume) -> Callable[[Config], dict[str, Any]]:
    def run(cfg: Config) -> dict[str, Any]:
        client = clients.nebius_client(cfg)
        docs = texts(cfg.n)
        small = docs[: cfg.n // 4]
        with client:
            consume(client, docs[:512])  # warm-up: connections, lazy imports, thread pool
            base = peak_rss_mb()
            consume(client, small)
            rss_small = peak_rss_mb() - base
            count_before = server_requests(cfg.server)
            c0, t0 = time.process_time(), time.perf_counter()
            consume(client, docs)
            t1, c1 = time.perf_counter(), time.process_time()
            rss_large = peak_rss_mb() - base
            requests = server_requests(cfg.server) - count_before
        return {
            "wall": [t1 - t0],
            "cpu": [c1 - c0],
            "requests": [requests],
            "rss_mb": round(rss_large, 1),
            "rss_small_mb": round(rss_small, 1),
            "rss_per_10k_mb": round((rss_large - rss_small) / (cfg.n - len(small)) * 10_000, 1),
        }

    return run


ROWS = [
    Row("floor", "ours: NebiusClient.embed, lists of floats", "floor", _row(_whole("list"))),
    Row(
        "array", "ours: embed(output='array'), array('f') per vector", "ours", _row(_whole("array"))
    ),
    Row("numpy", "ours: embed(output='numpy'), one float32 block", "ours", _row(_whole("numpy"))),
    Row(
        "chunks", "ours: iter_embeddings, lists, consumed per chunk", "ours", _row(_chunks("list"))
    ),
    Row(
        "chunks_array",
        "ours: iter_embeddings(output='array'), consumed per chunk",
        "ours",
        _row(_chunks("array")),
    ),
]
