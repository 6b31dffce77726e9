"""Scenario 5 (and 6): embed N short texts through each library's documents API.

Reported: seconds, the HTTP requests the server answered, and the peak RSS growth of the
worker process during the run (scenario 6). Every row must return N vectors of 1,024 floats.

The floor is raw ``httpx`` sending the batches our client sends (128 texts per request), one
after another, asking for float JSON and reading it with ``json.loads``; a second reference row
asks for base64 and decodes it with ``array`` (what our core does, minus concurrency).
"""

from __future__ import annotations

import base64
import json
from array import array
from collections.abc import Callable
from typing import Any

from harness import DIMENSIONS, EMBEDDING_MODEL, Config, Row, measure

from . import clients

BATCH = 128


def texts(n: int) -> list[str]:
    return [f"Passage {i}: a short text about topic {i % 97} for retrieval." for i in range(n)]


def _run(embed: Callable[[list[str]], list[Any]], cfg: Config) -> dict[str, Any]:
    docs = texts(cfg.n)

    def check(vectors: object) -> None:
        if not isinstance(vectors, list) or len(vectors) != cfg.n:
            raise AssertionError(f"expected {cfg.n} vectors, got {type(vectors).__name__}")
        first = vectors[0]
        if len(first) != DIMENSIONS or not isinstance(first[0], float):
            raise AssertionError(f"expected {DIMENSIONS} floats per vector")

    embed(docs[: 2 * BATCH])  # warm-up: connections, lazy imports
    return measure(lambda: embed(docs), cfg, check=check)


def _raw(fmt: str) -> Callable[[Config], dict[str, Any]]:
    def run(cfg: Config) -> dict[str, Any]:
        import httpx

        http = httpx.Client()
        url = f"{cfg.base_url}/embeddings"
        headers = clients.http_headers(cfg)

        def embed(items: list[str]) -> list[Any]:
            out: list[Any] = []
            for start in range(0, len(items), BATCH):
                body = {
                    "model": EMBEDDING_MODEL,
                    "input": items[start : start + BATCH],
                    "encoding_format": fmt,
                }
                response = http.post(url, json=body, headers=headers)
                response.raise_for_status()
                data = sorted(json.loads(response.content)["data"], key=lambda d: d["index"])
                if fmt == "float":
                    out.extend(d["embedding"] for d in data)
                else:
                    for d in data:
                        values = array("f")
                        values.frombytes(base64.b64decode(d["embedding"]))
                        out.append(values.tolist())
            return out

        with http:
            return _run(embed, cfg)

    return run


def openai_sdk(cfg: Config) -> dict[str, Any]:
    client = clients.openai_client(cfg)

    def embed(items: list[str]) -> list[Any]:
        out: list[Any] = []
        for start in range(0, len(items), BATCH):
            reply = client.embeddings.create(
                model=EMBEDDING_MODEL, input=items[start : start + BATCH]
            )
            out.extend(d.embedding for d in reply.data)
        return out

    with client:
        return _run(embed, cfg)


def core(cfg: Config) -> dict[str, Any]:
    client = clients.nebius_client(cfg)
    with client:
        return _run(lambda items: client.embed(items, model=EMBEDDING_MODEL), cfg)


def _langchain(build: Callable[[Config], Any]) -> Callable[[Config], dict[str, Any]]:
    def run(cfg: Config) -> dict[str, Any]:
        model = build(cfg)
        return _run(model.embed_documents, cfg)

    return run


def _llama_index(build: Callable[[Config], Any]) -> Callable[[Config], dict[str, Any]]:
    def run(cfg: Config) -> dict[str, Any]:
        model = build(cfg)
        return _run(model.get_text_embedding_batch, cfg)

    return run


ROWS = [
    Row("floor", "raw httpx, 128/request, sequential, float JSON", "floor", _raw("float")),
    Row("floor_b64", "raw httpx, 128/request, sequential, base64", "info", _raw("base64")),
    Row(
        "openai", "openai SDK embeddings.create, 128/request", "competitor", openai_sdk, "official"
    ),
    Row("core", "ours: NebiusClient.embed", "ours", core),
    Row(
        "lc_openai",
        "langchain-openai OpenAIEmbeddings.embed_documents",
        "competitor",
        _langchain(clients.openai_embeddings),
        "official",
    ),
    Row(
        "lc_official",
        "official langchain-nebius NebiusEmbeddings.embed_documents",
        "competitor",
        _langchain(clients.lc_embeddings_official),
        "official",
    ),
    Row(
        "lc_ours",
        "ours: langchain_nebius NebiusEmbeddings.embed_documents",
        "ours",
        _langchain(clients.lc_embeddings_ours),
    ),
    Row(
        "li_official",
        "llama-index-embeddings-nebius get_text_embedding_batch",
        "competitor",
        _llama_index(clients.li_embedding_official),
    ),
    Row(
        "li_ours",
        "ours: llama_index_nebius NebiusEmbedding.get_text_embedding_batch",
        "ours",
        _llama_index(clients.li_embedding_ours),
    ),
]
