"""LangChain's standard integration suites (``langchain-tests``), offline against the emulator.

The suites read their constructor arguments from class properties, so the emulator's address
is put in a module global by a module-scoped autouse fixture before any test builds a model.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.tools import BaseTool
from langchain_tests.integration_tests import (
    ChatModelIntegrationTests,
    EmbeddingsIntegrationTests,
    ToolsIntegrationTests,
)

from langchain_nebius import ChatNebius, NebiusEmbeddings, NebiusImageGenerationTool
from nebius_inference.testing import Emulator

EMULATOR: dict[str, str] = {}


@pytest.fixture(autouse=True, scope="module")
def _point_at_emulator(nebius_emulator: Emulator) -> Iterator[None]:
    EMULATOR.update(base_url=nebius_emulator.base_url, api_key=nebius_emulator.api_key)
    yield
    EMULATOR.clear()


def _connection() -> dict[str, Any]:
    return {**EMULATOR, "max_retries": 0}


class TestChatNebiusStandardIntegration(ChatModelIntegrationTests):
    """The default chat model, meta-llama/Llama-3.3-70B-Instruct: text only (no vision, so
    the image tests are skipped by the suite; vision is covered by our own tests with a vision
    model and local images), tool calling with tool_choice, structured output by our default
    method (guided_json), JSON mode, usage in invoke and stream."""

    @property
    def chat_model_class(self) -> type[BaseChatModel]:
        return ChatNebius

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "meta-llama/Llama-3.3-70B-Instruct", **_connection()}

    @property
    def has_tool_calling(self) -> bool:
        return True

    @property
    def has_tool_choice(self) -> bool:
        return True

    @property
    def has_structured_output(self) -> bool:
        return True

    @property
    def structured_output_kwargs(self) -> dict[str, Any]:
        return {}  # our default method: guided_json

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def returns_usage_metadata(self) -> bool:
        return True

    @property
    def supports_image_inputs(self) -> bool:
        return False

    @property
    def supports_model_override(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str:
        return "meta-llama/Meta-Llama-3.1-8B-Instruct"


class TestNebiusEmbeddingsStandardIntegration(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[Embeddings]:
        return NebiusEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"model": "Qwen/Qwen3-Embedding-8B", **_connection()}


class TestNebiusImageToolStandardIntegration(ToolsIntegrationTests):
    @property
    def tool_constructor(self) -> type[BaseTool]:
        return NebiusImageGenerationTool

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return {"model": "black-forest-labs/flux-schnell", **_connection()}

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"prompt": "a red fox in the snow", "width": 256, "height": 256, "seed": 7}
