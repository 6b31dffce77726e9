"""The frameworks' underscore methods the adapters override still exist under those names.

An override of a hook that a new langchain-core or LlamaIndex renamed would not fail: it would
silently never run (a streamed structured reply no longer checked strictly at its end, say).
``mypy --strict`` checks the ``@override``-marked ones; this also covers the mixin that cannot
be marked, and names the hook that went away.
"""

from __future__ import annotations

import pytest
from langchain_core.language_models import BaseChatModel, BaseLLM
from langchain_core.output_parsers.transform import BaseCumulativeTransformOutputParser
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import LLM

from langchain_nebius import ChatNebius
from langchain_nebius import NebiusLLM as LangChainLLM
from langchain_nebius._structured import _JsonParser
from llama_index_nebius import NebiusLLM

HOOKS = [
    (BaseCumulativeTransformOutputParser, _JsonParser, "_transform"),
    (BaseCumulativeTransformOutputParser, _JsonParser, "_atransform"),
    (BaseChatModel, ChatNebius, "_get_invocation_params"),
    (BaseChatModel, ChatNebius, "_get_ls_params"),
    (BaseChatModel, ChatNebius, "_resolve_model_profile"),
    (BaseLLM, LangChainLLM, "_get_ls_params"),
    (LLM, NebiusLLM, "_structured_stream_call"),
    (LLM, NebiusLLM, "_structured_astream_call"),
    (FunctionCallingLLM, NebiusLLM, "_prepare_chat_with_tools"),
    (FunctionCallingLLM, NebiusLLM, "_validate_chat_with_tools_response"),
]


@pytest.mark.parametrize(("base", "ours", "name"), HOOKS, ids=lambda v: getattr(v, "__name__", v))
def test_each_overridden_hook_is_still_the_framework_s(base: type, ours: type, name: str) -> None:
    assert hasattr(base, name), f"{base.__qualname__}.{name} is gone: {ours.__name__} overrides it"
    assert getattr(ours, name) is not getattr(base, name), f"{ours.__name__} no longer overrides it"
