"""Scenario 4: N async chat calls with 64 in flight (calls per second)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from harness import CHAT_MODEL, MESSAGES, PROMPT, Config, Row, measure_async_calls

from . import clients


def floor(cfg: Config) -> dict[str, Any]:
    """Raw ``httpx.AsyncClient`` with its own default pool, + ``json.loads``."""
    import httpx

    http = httpx.AsyncClient()
    url = f"{cfg.base_url}/chat/completions"
    headers = clients.http_headers(cfg)
    body = {"model": CHAT_MODEL, "messages": MESSAGES}

    async def call() -> None:
        response = await http.post(url, json=body, headers=headers)
        response.raise_for_status()
        json.loads(response.content)

    return measure_async_calls(call, cfg, teardown=http.aclose)


def aiohttp_raw(cfg: Config) -> dict[str, Any]:
    """Raw ``aiohttp`` (for context: what the event loop and sockets allow)."""
    import aiohttp

    url = f"{cfg.base_url}/chat/completions"
    headers = clients.http_headers(cfg)
    body = {"model": CHAT_MODEL, "messages": MESSAGES}
    session: list[Any] = []

    async def setup() -> None:
        session.append(aiohttp.ClientSession())

    async def call() -> None:
        async with session[0].post(url, json=body, headers=headers) as response:
            response.raise_for_status()
            json.loads(await response.read())

    async def teardown() -> None:
        await session[0].close()

    return measure_async_calls(call, cfg, setup=setup, teardown=teardown)


def openai_sdk(cfg: Config) -> dict[str, Any]:
    client = clients.async_openai_client(cfg)

    async def call() -> None:
        await client.chat.completions.create(model=CHAT_MODEL, messages=MESSAGES)

    return measure_async_calls(call, cfg, teardown=client.close)


def core(cfg: Config) -> dict[str, Any]:
    client = clients.async_nebius_client(cfg)

    async def call() -> None:
        await client.create_chat_completion(model=CHAT_MODEL, messages=MESSAGES)

    return measure_async_calls(call, cfg, teardown=client.aclose)


def core_httpx(cfg: Config) -> dict[str, Any]:
    """Our core through ``httpx.AsyncClient(transport=AiohttpTransport())`` (public APIs only)."""
    import httpx
    from httpx_aiohttp import AiohttpTransport

    import nebius_inference

    http = httpx.AsyncClient(transport=AiohttpTransport())
    client = nebius_inference.AsyncNebiusClient(
        api_key=cfg.api_key, base_url=cfg.base_url, http_client=http
    )

    async def call() -> None:
        await client.create_chat_completion(model=CHAT_MODEL, messages=MESSAGES)

    return measure_async_calls(call, cfg, teardown=http.aclose)


def _langchain(build: Callable[[Config], Any]) -> Callable[[Config], dict[str, Any]]:
    def run(cfg: Config) -> dict[str, Any]:
        model = build(cfg)

        def call() -> Awaitable[Any]:
            pending: Awaitable[Any] = model.ainvoke(PROMPT)
            return pending

        return measure_async_calls(call, cfg)

    return run


def _llama_index(build: Callable[[Config], Any]) -> Callable[[Config], dict[str, Any]]:
    def run(cfg: Config) -> dict[str, Any]:
        llm = build(cfg)
        messages = clients.li_messages()

        def call() -> Awaitable[Any]:
            pending: Awaitable[Any] = llm.achat(messages)
            return pending

        return measure_async_calls(call, cfg)

    return run


ROWS = [
    Row("floor", "raw httpx.AsyncClient (default pool)", "floor", floor),
    Row("aiohttp", "raw aiohttp.ClientSession (context)", "info", aiohttp_raw),
    Row("openai", "openai SDK AsyncOpenAI", "competitor", openai_sdk, "official"),
    Row("core", "ours: AsyncNebiusClient", "ours", core),
    Row(
        "core_httpx",
        "ours: AsyncNebiusClient through httpx.AsyncClient + AiohttpTransport",
        "info",
        core_httpx,
    ),
    Row(
        "lc_openai",
        "langchain-openai ChatOpenAI.ainvoke",
        "competitor",
        _langchain(clients.chat_openai),
        "official",
    ),
    Row(
        "lc_official",
        "official langchain-nebius ChatNebius.ainvoke",
        "competitor",
        _langchain(clients.chat_nebius_official),
        "official",
    ),
    Row(
        "lc_ours",
        "ours: langchain_nebius ChatNebius.ainvoke",
        "ours",
        _langchain(clients.chat_nebius_ours),
    ),
    Row(
        "li_official",
        "llama-index-llms-nebius NebiusLLM.achat",
        "competitor",
        _llama_index(clients.li_llm_official),
    ),
    Row(
        "li_ours",
        "ours: llama_index_nebius NebiusLLM.achat",
        "ours",
        _llama_index(clients.li_llm_ours),
    ),
]
