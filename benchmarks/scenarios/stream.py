"""Scenario 3: one streamed reply of N chunks (chunks per second).

The server sends ``N`` content events (plus a role event, a finish event and, when asked, a
usage event). Every row consumes the whole stream; chunks/s is ``N`` over the wall time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from harness import CHAT_MODEL, MESSAGES, PROMPT, Config, Row, measure

from . import clients


def _run(stream_once: Callable[[], int], cfg: Config) -> dict[str, Any]:
    """``stream_once`` consumes one stream and returns how many events it saw."""

    def check(count: object) -> None:
        if not isinstance(count, int) or count < cfg.n:
            raise AssertionError(f"expected at least {cfg.n} chunks, got {count!r}")

    check(stream_once())
    return measure(stream_once, cfg, check=check)


def _count(items: Iterable[Any]) -> int:
    n = 0
    for _ in items:
        n += 1
    return n


def floor(cfg: Config) -> dict[str, Any]:
    """Raw ``httpx`` ``iter_lines`` + ``json.loads`` of every ``data:`` line."""
    import httpx

    http = httpx.Client()
    url = f"{cfg.base_url}/chat/completions"
    headers = clients.http_headers(cfg)
    body = {
        "model": CHAT_MODEL,
        "messages": MESSAGES,
        "stream": True,
        "stream_options": {"include_usage": True},
    }

    def once() -> int:
        n = 0
        with http.stream("POST", url, json=body, headers=headers) as response:
            response.raise_for_status()
            for line in response.iter_lines():
                if line.startswith("data: "):
                    data = line[6:]
                    if data == "[DONE]":
                        break
                    json.loads(data)
                    n += 1
        return n

    with http:
        return _run(once, cfg)


def openai_sdk(cfg: Config) -> dict[str, Any]:
    client = clients.openai_client(cfg)

    def once() -> int:
        stream = client.chat.completions.create(
            model=CHAT_MODEL,
            messages=MESSAGES,
            stream=True,
            stream_options={"include_usage": True},
        )
        with stream:
            return _count(stream)

    with client:
        return _run(once, cfg)


def core(cfg: Config) -> dict[str, Any]:
    client = clients.nebius_client(cfg)

    def once() -> int:
        with client.stream_chat_completion(model=CHAT_MODEL, messages=MESSAGES) as stream:
            return _count(stream)

    with client:
        return _run(once, cfg)


def _langchain(build: Callable[[Config], Any]) -> Callable[[Config], dict[str, Any]]:
    def run(cfg: Config) -> dict[str, Any]:
        model = build(cfg)
        return _run(lambda: _count(model.stream(PROMPT)), cfg)

    return run


def _llama_index(build: Callable[[Config], Any]) -> Callable[[Config], dict[str, Any]]:
    def run(cfg: Config) -> dict[str, Any]:
        llm = build(cfg)
        messages = clients.li_messages()
        return _run(lambda: _count(llm.stream_chat(messages)), cfg)

    return run


ROWS = [
    Row("floor", "raw httpx iter_lines + json.loads", "floor", floor),
    Row("openai", "openai SDK stream=True", "competitor", openai_sdk, "official"),
    Row("core", "ours: NebiusClient.stream_chat_completion", "ours", core),
    Row(
        "lc_openai",
        "langchain-openai ChatOpenAI.stream",
        "competitor",
        _langchain(clients.chat_openai),
        "official",
    ),
    Row(
        "lc_official",
        "official langchain-nebius ChatNebius.stream",
        "competitor",
        _langchain(clients.chat_nebius_official),
        "official",
    ),
    Row(
        "lc_ours",
        "ours: langchain_nebius ChatNebius.stream",
        "ours",
        _langchain(clients.chat_nebius_ours),
    ),
    Row(
        "li_official",
        "llama-index-llms-nebius NebiusLLM.stream_chat",
        "competitor",
        _llama_index(clients.li_llm_official),
    ),
    Row(
        "li_ours",
        "ours: llama_index_nebius NebiusLLM.stream_chat",
        "ours",
        _llama_index(clients.li_llm_ours),
    ),
]
