"""The closest listed model ids reach LangChain and LlamaIndex users in their own errors."""

from __future__ import annotations

import warnings

import pytest

from nebius_inference import NotFoundError
from nebius_inference.testing import Emulator

CHAT = "Qwen/Qwen3-30B-A3B-Instruct-2507"
TYPO = "Qwen/Qwen3-30B-A3B-Instruct-2506"


def test_langchain_and_llama_index_errors_name_the_closest_ids(emu: Emulator) -> None:
    from llama_index.core.base.llms.types import ChatMessage

    from langchain_nebius import ChatNebius, NebiusNotFoundError
    from llama_index_nebius import NebiusLLM

    settings = {"api_key": emu.api_key, "base_url": emu.base_url, "max_retries": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the unknown model's context-window warning
        chat = ChatNebius(model=TYPO, **settings)
        llm = NebiusLLM(model=TYPO, **settings)
    with pytest.raises(NebiusNotFoundError, match=rf"the closest: `{CHAT}`"):
        chat.invoke("hi")
    with pytest.raises(NotFoundError, match=rf"the closest: `{CHAT}`"):
        llm.chat([ChatMessage(role="user", content="hi")])
    assert sum(1 for r in emu.request_log if r.path == "/v1/models") == 2
