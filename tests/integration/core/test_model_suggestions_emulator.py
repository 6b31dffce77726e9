"""A 404 for a request naming a model says which listed ids are closest: one ``GET /models``
on that error path only (never on success), sync and async, and a failed look-up leaves the
404 as it was."""

from __future__ import annotations

import pytest

import nebius_inference as ni
from nebius_inference import AsyncNebiusClient, NebiusClient
from nebius_inference.testing import Emulator

CHAT = "Qwen/Qwen3-30B-A3B-Instruct-2507"
TYPO = "Qwen/Qwen3-30B-A3B-Instruct-2506"
EMBEDDING = "Qwen/Qwen3-Embedding-8B"
MESSAGES = [{"role": "user", "content": "hi"}]


def _listings(emu: Emulator) -> int:
    return sum(1 for r in emu.request_log if r.path == "/v1/models")


def test_a_misspelt_chat_model_names_the_closest_listed_ids(
    emu: Emulator, client: NebiusClient
) -> None:
    with pytest.raises(ni.NotFoundError) as info:
        client.create_chat_completion(model=TYPO, messages=MESSAGES)
    message = str(info.value)
    assert f"`{TYPO}` is not a model the API lists; the closest: `{CHAT}`" in message
    assert message == info.value.message and info.value.status_code == 404
    assert "Check the model id" in message  # the general hint stays
    assert _listings(emu) == 1
    assert emu.request_log[-1].path == "/v1/models"  # asked after the 404


def test_success_lists_nothing(emu: Emulator, client: NebiusClient) -> None:
    client.create_chat_completion(model=CHAT, messages=MESSAGES, max_tokens=4)
    for _ in client.stream_chat_completion(model=CHAT, messages=MESSAGES, max_tokens=4):
        pass
    client.create_embeddings(model=EMBEDDING, input=["a"])
    assert _listings(emu) == 0


def test_streams_and_embeddings_name_them_too(emu: Emulator, client: NebiusClient) -> None:
    with pytest.raises(ni.NotFoundError, match=rf"the closest: `{CHAT}`"):
        client.stream_chat_completion(model=TYPO, messages=MESSAGES)
    with pytest.raises(ni.NotFoundError, match=rf"the closest: `{EMBEDDING}`"):
        client.create_embeddings(model="Qwen/Qwen3-Embeding-8B", input=["a"])
    assert _listings(emu) == 2


def test_bulk_embeddings_list_the_models_once(emu: Emulator, client: NebiusClient) -> None:
    texts = [f"t{i}" for i in range(40)]
    with pytest.raises(ni.NotFoundError, match=rf"the closest: `{EMBEDDING}`"):
        client.embed(texts, model="Qwen/Qwen3-Embeding-8B", batch_size=4, max_concurrency=4)
    assert _listings(emu) == 1
    assert len(client.embed(texts, model=EMBEDDING, batch_size=4)) == 40
    assert _listings(emu) == 1


async def test_async_bulk_embeddings_list_the_models_once(
    emu: Emulator, aclient: AsyncNebiusClient
) -> None:
    texts = [f"t{i}" for i in range(40)]
    with pytest.raises(ni.NotFoundError, match=rf"the closest: `{EMBEDDING}`"):
        await aclient.embed(texts, model="Qwen/Qwen3-Embeding-8B", batch_size=4)
    assert _listings(emu) == 1


def test_a_model_nothing_like_any_listed_one_says_so(emu: Emulator, client: NebiusClient) -> None:
    with pytest.raises(ni.NotFoundError, match=r"`zz` is not among the \d+ models the API lists"):
        client.create_chat_completion(model="zz", messages=MESSAGES)


def test_a_failed_listing_leaves_the_404_as_it_was(
    emu: Emulator, client: NebiusClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**options: object) -> None:
        raise ni.APIConnectionError("listing failed")

    monkeypatch.setattr(client, "list_models", broken)
    with pytest.raises(ni.NotFoundError) as info:
        client.create_chat_completion(model=TYPO, messages=MESSAGES)
    assert "closest" not in str(info.value) and "Check the model id" in str(info.value)


def test_a_base_url_without_v1_asks_for_no_listing(emu: Emulator) -> None:
    with NebiusClient(api_key=emu.api_key, base_url=emu.url, max_retries=0) as client:
        with pytest.raises(ni.NotFoundError, match="/v1"):
            client.create_chat_completion(model=CHAT, messages=MESSAGES)
    assert not any(r.path.endswith("/models") for r in emu.request_log)


async def test_async_calls_name_the_closest_ids(emu: Emulator, aclient: AsyncNebiusClient) -> None:
    with pytest.raises(ni.NotFoundError, match=rf"the closest: `{CHAT}`"):
        await aclient.create_chat_completion(model=TYPO, messages=MESSAGES)
    with pytest.raises(ni.NotFoundError, match=rf"the closest: `{CHAT}`"):
        await aclient.stream_chat_completion(model=TYPO, messages=MESSAGES)
    with pytest.raises(ni.NotFoundError, match=rf"the closest: `{EMBEDDING}`"):
        await aclient.create_embeddings(model="Qwen/Qwen3-Embeding-8B", input=["a"])
    assert _listings(emu) == 3
    await aclient.create_chat_completion(model=CHAT, messages=MESSAGES, max_tokens=4)
    assert _listings(emu) == 3


async def test_async_failed_listing_leaves_the_404(
    emu: Emulator, aclient: AsyncNebiusClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(**options: object) -> None:
        raise ni.APIConnectionError("listing failed")

    monkeypatch.setattr(aclient, "list_models", broken)
    with pytest.raises(ni.NotFoundError) as info:
        await aclient.create_chat_completion(model=TYPO, messages=MESSAGES)
    assert "closest" not in str(info.value)
