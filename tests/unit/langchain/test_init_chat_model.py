"""What the README says about ``init_chat_model``: it cannot build ``ChatNebius``.

LangChain's provider list is fixed, with no plugin hook, so ``model_provider="nebius"`` and the
``"nebius:..."`` prefix are refused. If a LangChain release adds a hook, this test fails and the
README's sentence must change.
"""

from __future__ import annotations

import pytest
from langchain.chat_models import init_chat_model

from langchain_nebius import ChatNebius

MODEL = "meta-llama/Llama-3.3-70B-Instruct"


def test_init_chat_model_refuses_the_nebius_provider() -> None:
    with pytest.raises(ValueError, match="Unsupported provider='nebius'"):
        init_chat_model(MODEL, model_provider="nebius")
    with pytest.raises(ValueError, match="Unable to infer model provider"):
        init_chat_model(f"nebius:{MODEL}")


def test_the_one_line_equivalent_builds_the_same_model() -> None:
    llm = ChatNebius(model=MODEL, temperature=0, api_key="k")  # the README's equivalent
    assert (llm.model_name, llm.temperature) == (MODEL, 0)
