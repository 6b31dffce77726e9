"""One model catalogue: both adapters and the emulator read it, and agree."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from langchain_nebius import ChatNebius
from llama_index_nebius import NebiusLLM
from nebius_inference import AsyncNebiusClient, NebiusClient
from nebius_inference.catalog import (
    DEFAULT_CHAT_MODEL,
    DEFAULT_EMBEDDING_MODEL,
    DEFAULT_RERANK_MODEL,
    FALLBACK_CONTEXT_WINDOW,
    KNOWN_MODELS,
    Catalog,
    amodel_catalog,
    facts_from_listing,
    model_catalog,
)
from nebius_inference.testing import EMULATOR_IMAGE_MODEL, default_models
from nebius_inference.types import Model

KEY = "sk-catalog-test"

# Ids that left the public catalogue during 2026 (see the evidence in nebius_inference.catalog).
RETIRED = (
    "meta-llama/Llama-3.3-70B-Instruct",
    "meta-llama/Meta-Llama-3.1-8B-Instruct",
    "deepseek-ai/DeepSeek-R1-0528",
    "Qwen/Qwen2.5-VL-72B-Instruct",
    "BAAI/bge-en-icl",
    "BAAI/bge-multilingual-gemma2",
    "intfloat/e5-mistral-7b-instruct",
    "black-forest-labs/flux-schnell",
    "black-forest-labs/flux-dev",
    "stability-ai/sdxl",
)

LISTING = {
    "object": "list",
    "data": [
        {
            "id": "openai/gpt-oss-120b-fast",
            "context_length": 8000,
            "supported_features": ["tools", "reasoning"],
            "architecture": {"modality": "text->text"},
        },
        {"id": "vendor/no-window", "supported_features": ["tools"]},
        {
            "id": "vendor/embedder",
            "context_length": 8192,
            "dimensions": 1024,
            "architecture": {"modality": "text->embedding"},
            "pricing": {"prompt": "0.00000002"},
        },
        {"id": "vendor/painter", "architecture": {"modality": "text->image"}},
    ],
}


class Counting:
    """A transport answering the verbose listing, counting the requests."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        assert request.url.path.endswith("/models")
        assert request.url.params["verbose"] == "true"
        return httpx.Response(200, json=LISTING)


def _sync(counter: Counting) -> NebiusClient:
    return NebiusClient(
        api_key=KEY, http_client=httpx.Client(transport=httpx.MockTransport(counter))
    )


def _windows(model: str) -> tuple[int | None, int]:
    """The context window each adapter reports for ``model``."""
    profile = ChatNebius(model=model, api_key=KEY).profile
    assert profile is not None
    return profile.get("max_input_tokens"), NebiusLLM(
        model=model, api_key=KEY
    ).metadata.context_window


@pytest.mark.parametrize("model", sorted(KNOWN_MODELS))
def test_both_adapters_read_the_same_table(model: str) -> None:
    facts = KNOWN_MODELS[model]
    if facts.kind != "chat":
        return
    assert _windows(model) == (facts.context_length, facts.context_length)
    profile = ChatNebius(model=model, api_key=KEY).profile
    assert profile is not None
    meta = NebiusLLM(model=model, api_key=KEY).metadata
    assert profile.get("tool_calling") is meta.is_function_calling_model is facts.tools
    assert profile.get("image_inputs") is facts.vision
    assert profile.get("reasoning_output") is facts.reasoning


def test_unknown_model_gets_the_fallback_and_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="nebius_inference")
    assert _windows("someone/never-seen") == (FALLBACK_CONTEXT_WINDOW, FALLBACK_CONTEXT_WINDOW)
    _windows("someone/never-seen")
    warnings = [r for r in caplog.records if "someone/never-seen" in r.getMessage()]
    assert len(warnings) == 1
    assert "3,900" in warnings[0].getMessage() and "Set it with" in warnings[0].getMessage()


def test_fast_flavours_are_not_assumed_from_the_base_model() -> None:
    assert "openai/gpt-oss-120b-fast" not in KNOWN_MODELS
    window = _windows("openai/gpt-oss-120b-fast")
    assert window == (FALLBACK_CONTEXT_WINDOW, FALLBACK_CONTEXT_WINDOW)


def test_both_adapters_read_the_listing_the_same_way() -> None:
    counter = Counting()
    client = _sync(counter)
    chat = ChatNebius(model="openai/gpt-oss-120b-fast", api_key=KEY)
    chat._clients = type(chat._clients)(client)
    profile = chat.refresh_profile()
    llm = NebiusLLM(
        model="openai/gpt-oss-120b-fast", client=client, api_key=KEY, fetch_metadata=True
    )
    assert profile["max_input_tokens"] == llm.metadata.context_window == 8000
    assert profile["tool_calling"] is llm.metadata.is_function_calling_model is True
    # A listed model without a context length: the same fallback in both.
    chat_nw = ChatNebius(model="vendor/no-window", api_key=KEY)
    chat_nw._clients = type(chat_nw._clients)(client)
    llm_nw = NebiusLLM(model="vendor/no-window", client=client, api_key=KEY, fetch_metadata=True)
    assert chat_nw.refresh_profile()["max_input_tokens"] == FALLBACK_CONTEXT_WINDOW
    assert llm_nw.metadata.context_window == FALLBACK_CONTEXT_WINDOW


def test_the_listing_is_read_once_per_client() -> None:
    counter = Counting()
    client = _sync(counter)
    first = model_catalog(client)
    assert model_catalog(client) is first
    assert counter.calls == 1
    assert model_catalog(client, refresh=True) is not first
    assert counter.calls == 2
    assert model_catalog(_sync(counter)) is not first
    assert counter.calls == 3


async def test_the_async_listing_is_cached_too() -> None:
    counter = Counting()
    client = AsyncNebiusClient(
        api_key=KEY, http_client=httpx.AsyncClient(transport=httpx.MockTransport(counter))
    )
    first = await amodel_catalog(client)
    assert await amodel_catalog(client) is first
    assert counter.calls == 1
    assert first.first("image") == "vendor/painter"


def test_listing_facts() -> None:
    catalog = Catalog([Model.model_validate(m) for m in LISTING["data"]])
    embedder = catalog.facts("vendor/embedder")
    assert embedder is not None
    assert (embedder.kind, embedder.dimensions, embedder.context_length) == (
        "embedding",
        1024,
        8192,
    )
    assert embedder.input_price == pytest.approx(0.02)
    assert [m.id for m in catalog.models("image")] == ["vendor/painter"]
    # The table fills in what the listing does not say.
    listed = facts_from_listing(Model(id=DEFAULT_CHAT_MODEL))
    assert listed.context_length is None
    assert Catalog([Model(id=DEFAULT_CHAT_MODEL)]).facts(DEFAULT_CHAT_MODEL) == (
        listed.__class__(**{**listed.__dict__, "context_length": 262_144})
    )
    # Without a listing, the table.
    assert Catalog().first("embedding") == DEFAULT_EMBEDDING_MODEL


def test_the_emulator_serves_the_catalogue_and_no_retired_model() -> None:
    specs = {spec.id: spec for spec in default_models()}
    assert set(KNOWN_MODELS) | {EMULATOR_IMAGE_MODEL} == set(specs)
    for model_id, facts in KNOWN_MODELS.items():
        spec = specs[model_id]
        assert (spec.kind, spec.tools, spec.vision, spec.reasoning) == (
            facts.kind,
            facts.tools,
            facts.vision,
            facts.reasoning,
        )
        assert spec.context_length == facts.context_length
        if facts.dimensions is not None:
            assert spec.dimensions == facts.dimensions
    assert not set(RETIRED) & set(specs)
    assert {DEFAULT_CHAT_MODEL, DEFAULT_EMBEDDING_MODEL, DEFAULT_RERANK_MODEL} <= set(specs)


def test_adapter_defaults_are_the_catalogue_defaults() -> None:
    from langchain_nebius import NebiusEmbeddings, NebiusRerank
    from llama_index_nebius import NebiusEmbedding
    from llama_index_nebius import NebiusRerank as LINebiusRerank

    assert ChatNebius(api_key=KEY).model_name == DEFAULT_CHAT_MODEL
    assert NebiusLLM(api_key=KEY).model == DEFAULT_CHAT_MODEL
    assert NebiusEmbeddings(api_key=KEY).model == DEFAULT_EMBEDDING_MODEL
    assert NebiusEmbedding(api_key=KEY).model_name == DEFAULT_EMBEDDING_MODEL
    assert NebiusRerank(api_key=KEY).model == DEFAULT_RERANK_MODEL
    assert LINebiusRerank(api_key=KEY).model == DEFAULT_RERANK_MODEL


def test_no_retired_model_in_the_docs_or_cookbook() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    texts: dict[str, Any] = {"README.md": (root / "README.md").read_text(encoding="utf-8")}
    for path in sorted((root / "cookbook").glob("*.*")):
        texts[path.name] = path.read_text(encoding="utf-8")
    found = [(name, model) for name, text in texts.items() for model in RETIRED if model in text]
    assert found == []


def test_closest_ids_for_a_misspelt_model() -> None:
    listed = Catalog([Model(id=m) for m in KNOWN_MODELS])
    assert listed.closest("qwen/qwen3-embedding-8b")[0] == "Qwen/Qwen3-Embedding-8B"
    assert listed.closest("openai/gpt-oss-120")[0] == "openai/gpt-oss-120b"
    assert Catalog().closest("Qwen/Qwen3-Reranker")[0] == DEFAULT_RERANK_MODEL
    assert listed.closest("zzzzzz") == []
