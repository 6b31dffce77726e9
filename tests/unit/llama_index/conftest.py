"""Fixtures for the LlamaIndex unit tests: a scripted fake API over MockTransport."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from unit.llama_index.li_fakes import FakeNebius

from llama_index_nebius import NebiusLLM

ENV_NAMES = (
    "NEBIUS_API_KEY",
    "NEBIUS_BASE_URL",
    "NEBIUS_API_BASE",
    "NEBIUS_AI_PROJECT_ID",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_API_BASE",
)


@pytest.fixture
def fake() -> FakeNebius:
    return FakeNebius()


@pytest.fixture
def make_llm(fake: FakeNebius) -> Callable[..., NebiusLLM]:
    def make(**kwargs: Any) -> NebiusLLM:
        client_kwargs = {k: kwargs.pop(k) for k in ("max_retries",) if k in kwargs}
        return NebiusLLM(**fake.clients(**client_kwargs), **kwargs)

    return make
