"""LangChain's standard integration suites (``langchain-tests``), offline against the emulator.

The suites read their constructor arguments from class properties, so the emulator's address
is put in a module global by a module-scoped autouse fixture before any test builds a model.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage
from langchain_core.tools import BaseTool
from langchain_tests.integration_tests import (
    ChatModelIntegrationTests,
    EmbeddingsIntegrationTests,
    ToolsIntegrationTests,
)
from langchain_tests.integration_tests import chat_models as standard_chat_tests
from PIL import Image

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
    """The default chat model, Qwen/Qwen3-235B-A22B-Instruct-2507: text only (no vision, so
    the image tests are skipped by the suite; the suite's image test runs below on a vision
    model), tool calling with tool_choice, structured output by our default method
    (guided_json), JSON mode, usage in invoke and stream."""

    @property
    def chat_model_class(self) -> type[BaseChatModel]:
        return ChatNebius

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "Qwen/Qwen3-235B-A22B-Instruct-2507", **_connection()}

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
        return "Qwen/Qwen3-30B-A3B-Instruct-2507"


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
        return {"model": "nebius-emulator/text-to-image", **_connection()}

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"prompt": "a red fox in the snow", "width": 256, "height": 256, "seed": 7}


class _VisionSuite(ChatModelIntegrationTests):
    """The suite on a vision model, for its image test only (not collected as a class: the
    rest of the suite runs above)."""

    @property
    def chat_model_class(self) -> type[BaseChatModel]:
        return ChatNebius

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "google/gemma-3-27b-it", **_connection()}

    @property
    def supports_image_inputs(self) -> bool:
        return True


def test_standard_image_inputs_on_a_vision_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite's ``test_image_inputs`` (OpenAI ``image_url`` parts and LangChain's standard
    base64 image blocks), with the picture it would download made here instead: the emulator
    decodes each image and rejects a malformed one, so a wrong conversion fails this test."""
    picture = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(picture, format="PNG")
    monkeypatch.setattr(
        standard_chat_tests.httpx,
        "get",
        lambda url, **_: httpx.Response(200, content=picture.getvalue()),
    )
    suite = _VisionSuite()
    model = ChatNebius(**suite.chat_model_params)
    suite.test_image_inputs(model)
    reply = model.invoke(
        [
            HumanMessage(
                content=[
                    {"type": "text", "text": "Describe it."},
                    {
                        "type": "image",
                        "base64": base64.b64encode(picture.getvalue()).decode(),
                        "mime_type": "image/png",
                    },
                ]
            )
        ]
    )
    assert "1 image: PNG 64x48" in str(reply.content)  # the emulator saw the picture itself
