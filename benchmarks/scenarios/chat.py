"""Scenario 2: sequential non-streaming chat calls (µs per call, wall and CPU)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from harness import CHAT_MODEL, MESSAGES, PROMPT, Config, Row, measure_calls

from . import clients


def _expect_text(text: Any) -> None:
    if not isinstance(text, str) or not text:
        raise AssertionError(f"expected the reply text, got {text!r}")


def _run(
    call: Callable[[], Any], cfg: Config, close: Callable[[], object] | None = None
) -> dict[str, Any]:
    try:
        _expect_text(call())
        return measure_calls(call, cfg)
    finally:
        if close is not None:
            close()


def floor(cfg: Config) -> dict[str, Any]:
    """Raw ``httpx.Client.post`` + ``json.loads``: the least any httpx-based client can do."""
    import httpx

    http = httpx.Client()
    url = f"{cfg.base_url}/chat/completions"
    headers = clients.http_headers(cfg)
    body = {"model": CHAT_MODEL, "messages": MESSAGES}

    def call() -> Any:
        response = http.post(url, json=body, headers=headers)
        response.raise_for_status()
        return json.loads(response.content)["choices"][0]["message"]["content"]

    return _run(call, cfg, http.close)


def openai_sdk(cfg: Config) -> dict[str, Any]:
    client = clients.openai_client(cfg)

    def call() -> Any:
        reply = client.chat.completions.create(model=CHAT_MODEL, messages=MESSAGES)
        return reply.choices[0].message.content

    return _run(call, cfg, client.close)


def core(cfg: Config) -> dict[str, Any]:
    client = clients.nebius_client(cfg)

    def call() -> Any:
        reply = client.create_chat_completion(model=CHAT_MODEL, messages=MESSAGES)
        return reply.choices[0].message.content

    return _run(call, cfg, client.close)


def core_httpx(cfg: Config) -> dict[str, Any]:
    """Our core sending through a plain ``httpx.Client`` (public APIs only, no direct path)."""
    import httpx

    import nebius_inference

    http = httpx.Client()
    client = nebius_inference.NebiusClient(
        api_key=cfg.api_key, base_url=cfg.base_url, http_client=http
    )

    def call() -> Any:
        reply = client.create_chat_completion(model=CHAT_MODEL, messages=MESSAGES)
        return reply.choices[0].message.content

    return _run(call, cfg, http.close)


def _chat_nebius_httpx(cfg: Config) -> Any:
    import httpx

    import langchain_nebius

    return langchain_nebius.ChatNebius(
        model=CHAT_MODEL, api_key=cfg.api_key, base_url=cfg.base_url, http_client=httpx.Client()
    )


def _langchain(build: Callable[[Config], Any]) -> Callable[[Config], dict[str, Any]]:
    def run(cfg: Config) -> dict[str, Any]:
        model = build(cfg)
        return _run(lambda: model.invoke(PROMPT).content, cfg)

    return run


def _llama_index(build: Callable[[Config], Any]) -> Callable[[Config], dict[str, Any]]:
    def run(cfg: Config) -> dict[str, Any]:
        llm = build(cfg)
        messages = clients.li_messages()
        return _run(lambda: llm.chat(messages).message.content, cfg)

    return run


ROWS = [
    Row("floor", "raw httpx.Client + json.loads", "floor", floor),
    Row("openai", "openai SDK chat.completions.create", "competitor", openai_sdk, "official"),
    Row("core", "ours: NebiusClient.create_chat_completion", "ours", core),
    Row("core_httpx", "ours: NebiusClient through a plain httpx.Client", "info", core_httpx),
    Row(
        "lc_openai",
        "langchain-openai ChatOpenAI.invoke",
        "competitor",
        _langchain(clients.chat_openai),
        "official",
    ),
    Row(
        "lc_official",
        "official langchain-nebius ChatNebius.invoke",
        "competitor",
        _langchain(clients.chat_nebius_official),
        "official",
    ),
    Row(
        "lc_ours",
        "ours: langchain_nebius ChatNebius.invoke",
        "ours",
        _langchain(clients.chat_nebius_ours),
    ),
    Row(
        "lc_httpx",
        "ours: ChatNebius.invoke through a plain httpx.Client",
        "info",
        _langchain(_chat_nebius_httpx),
    ),
    Row(
        "li_official",
        "llama-index-llms-nebius NebiusLLM.chat",
        "competitor",
        _llama_index(clients.li_llm_official),
    ),
    Row(
        "li_ours",
        "ours: llama_index_nebius NebiusLLM.chat",
        "ours",
        _llama_index(clients.li_llm_ours),
    ),
]
