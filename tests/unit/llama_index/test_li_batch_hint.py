"""``NebiusEmbedding.get_text_embedding_batch`` (and its async twin, which an
``IngestionPipeline`` calls) tell the pacer the whole job's size before LlamaIndex cuts it
into requests of ``embed_batch_size`` texts: a job the rate limit would stretch past the Batch
API's turnaround gets one warning naming ``llama_index_nebius.batch``.

The fake API's replies say the limit is 1 request per 3,600 s window: 2 requests need about
2 hours at the limit, 1 request 1 hour (not more than a batch's turnaround). Each request of
the job is announced to the core as a job of 1 request, which must not hide the whole. The
pacer's waiting is off in the test suite, so nothing here waits.
"""

from __future__ import annotations

import json
import logging

import httpx
import pytest
from fakes import FakeAPI, embeddings_reply

from llama_index_nebius import NebiusEmbedding

ONE_AN_HOUR = {
    "x-ratelimit-limit-requests": "1",
    "x-ratelimit-remaining-requests": "1",
    "x-ratelimit-reset-requests": "3600",
    "x-ratelimit-limit-tokens": "1000000",
    "x-ratelimit-remaining-tokens": "1000000",
    "x-ratelimit-reset-tokens": "3600",
}


def limited(request: httpx.Request) -> httpx.Response:
    texts = json.loads(request.content)["input"]
    vectors = [[float(len(t)), 1.0] for t in texts]
    return httpx.Response(200, json=embeddings_reply(vectors), headers=ONE_AN_HOUR)


def hints(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "Batch API" in r.getMessage()]


@pytest.fixture
def embed(fake: FakeAPI) -> NebiusEmbedding:
    fake.default = limited
    return NebiusEmbedding(embed_batch_size=2, **fake.clients())


def test_a_batch_of_several_requests_is_pointed_to_llama_index_batch(
    embed: NebiusEmbedding, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="nebius_inference"):
        vectors = embed.get_text_embedding_batch(["a", "bb", "ccc", "dddd", "e"])
        embed.get_text_embedding_batch(["f", "g", "h"])  # once per client and model
    assert [v[0] for v in vectors] == [1.0, 2.0, 3.0, 4.0, 1.0]
    [line] = hints(caplog)
    assert "llama_index_nebius.batch" in line and "langchain_nebius" not in line
    assert embed.model_name in line and "180 minutes" in line  # 3 requests of 2 texts


async def test_the_async_batch_is_pointed_there_too(
    embed: NebiusEmbedding, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="nebius_inference"):
        vectors = await embed.aget_text_embedding_batch(["a", "bb", "ccc"])
    assert [v[0] for v in vectors] == [1.0, 2.0, 3.0]
    [line] = hints(caplog)
    assert "llama_index_nebius.batch" in line and "120 minutes" in line


def test_a_batch_of_one_request_gets_no_hint(
    embed: NebiusEmbedding, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="nebius_inference"):
        embed.get_text_embedding_batch(["a", "b"])
        embed.get_text_embedding("c")
    assert not hints(caplog)
