"""How each row builds its client: one place, so every scenario uses the same settings.

Each builder imports its package when called (a missing package makes its row ``n/a``) and
checks that the package is the one the row names: ours from this checkout, the official
``langchain-nebius`` from its own venv.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from harness import CHAT_MODEL, EMBEDDING_MODEL, Config, NotAvailable


def _require(module: Any, ours: bool) -> None:
    """Fail the row if the imported module is not the one it claims to measure."""
    is_ours = "site-packages" not in str(getattr(module, "__file__", ""))
    if is_ours != ours:
        where = "this checkout" if ours else "the official distribution"
        raise NotAvailable(f"{module.__name__} is not from {where}")


def http_headers(cfg: Config) -> dict[str, str]:
    return {"Authorization": f"Bearer {cfg.api_key}"}


# --- core clients -----------------------------------------------------------------------------


def openai_client(cfg: Config) -> Any:
    from openai import OpenAI

    return OpenAI(api_key=cfg.api_key, base_url=cfg.base_url)


def async_openai_client(cfg: Config) -> Any:
    from openai import AsyncOpenAI

    return AsyncOpenAI(api_key=cfg.api_key, base_url=cfg.base_url)


def nebius_client(cfg: Config) -> Any:
    import nebius_inference

    _require(nebius_inference, ours=True)
    return nebius_inference.NebiusClient(api_key=cfg.api_key, base_url=cfg.base_url)


def async_nebius_client(cfg: Config) -> Any:
    import nebius_inference

    _require(nebius_inference, ours=True)
    return nebius_inference.AsyncNebiusClient(api_key=cfg.api_key, base_url=cfg.base_url)


# --- LangChain --------------------------------------------------------------------------------


def chat_openai(cfg: Config) -> Any:
    return import_module("langchain_openai").ChatOpenAI(
        model=CHAT_MODEL, api_key=cfg.api_key, base_url=cfg.base_url
    )


def _chat_nebius(cfg: Config, *, ours: bool) -> Any:
    import langchain_nebius

    _require(langchain_nebius, ours=ours)
    return langchain_nebius.ChatNebius(model=CHAT_MODEL, api_key=cfg.api_key, base_url=cfg.base_url)


def chat_nebius_ours(cfg: Config) -> Any:
    return _chat_nebius(cfg, ours=True)


def chat_nebius_official(cfg: Config) -> Any:
    return _chat_nebius(cfg, ours=False)


def openai_embeddings(cfg: Config) -> Any:
    return import_module("langchain_openai").OpenAIEmbeddings(
        model=EMBEDDING_MODEL,
        api_key=cfg.api_key,
        base_url=cfg.base_url,
        check_embedding_ctx_length=False,
    )


def _lc_embeddings(cfg: Config, *, ours: bool) -> Any:
    import langchain_nebius

    _require(langchain_nebius, ours=ours)
    return langchain_nebius.NebiusEmbeddings(
        model=EMBEDDING_MODEL, api_key=cfg.api_key, base_url=cfg.base_url
    )


def lc_embeddings_ours(cfg: Config) -> Any:
    return _lc_embeddings(cfg, ours=True)


def lc_embeddings_official(cfg: Config) -> Any:
    return _lc_embeddings(cfg, ours=False)


# --- LlamaIndex -------------------------------------------------------------------------------


def li_llm_official(cfg: Config) -> Any:
    return import_module("llama_index.llms.nebius").NebiusLLM(
        model=CHAT_MODEL, api_key=cfg.api_key, api_base=cfg.base_url
    )


def li_llm_ours(cfg: Config) -> Any:
    import llama_index_nebius

    _require(llama_index_nebius, ours=True)
    return llama_index_nebius.NebiusLLM(
        model=CHAT_MODEL, api_key=cfg.api_key, base_url=cfg.base_url
    )


def li_embedding_official(cfg: Config) -> Any:
    return import_module("llama_index.embeddings.nebius").NebiusEmbedding(
        model_name=EMBEDDING_MODEL, api_key=cfg.api_key, api_base=cfg.base_url
    )


def li_embedding_ours(cfg: Config) -> Any:
    import llama_index_nebius

    _require(llama_index_nebius, ours=True)
    return llama_index_nebius.NebiusEmbedding(
        model_name=EMBEDDING_MODEL, api_key=cfg.api_key, base_url=cfg.base_url
    )


def li_messages() -> list[Any]:
    from llama_index.core.llms import ChatMessage

    return [ChatMessage(role="user", content="Hello, how are you?")]
