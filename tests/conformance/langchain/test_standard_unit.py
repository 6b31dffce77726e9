"""LangChain's standard unit suites (``langchain-tests``) for the Nebius classes. No network."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.tools import BaseTool
from langchain_tests.unit_tests import ChatModelUnitTests, EmbeddingsUnitTests, ToolsUnitTests

from langchain_nebius import ChatNebius, NebiusEmbeddings, NebiusImageGenerationTool

MODEL = "Qwen/Qwen3-235B-A22B-Instruct-2507"


@pytest.fixture(autouse=True)
def _allow_nebius_in_load(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let ``load(..., allowed_objects="all")`` revive ChatNebius, for these tests only.

    The standard ``test_serdes`` reloads the dump with ``allowed_objects="all"``, which in
    langchain-core 1.8 admits only the classes listed in ``langchain_core.load.mapping`` (the
    monorepo's own integrations). A package outside that list cannot be revived that way, so we
    add our class path to the allowlist for the duration of each test (undone afterwards); the
    dump, its secret handling and the reload are then checked exactly as the suite does. Users
    load with ``allowed_objects=[ChatNebius]`` (see our own round-trip test)."""
    loader = importlib.import_module("langchain_core.load.load")
    allowed = set(loader._get_default_allowed_class_paths("all"))
    allowed.add(("langchain_nebius", "chat_models", "ChatNebius"))
    monkeypatch.setitem(loader._default_class_paths_cache, "all", allowed)


class TestChatNebiusStandardUnit(ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[BaseChatModel]:
        return ChatNebius

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": MODEL, "api_key": "test"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"NEBIUS_API_KEY": "key-from-env"},
            {"model": MODEL},
            {"api_key": "key-from-env", "model_name": MODEL},
        )

    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def supports_image_urls(self) -> bool:
        return True

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def structured_output_kwargs(self) -> dict[str, Any]:
        return {"method": "guided_json"}


class TestNebiusEmbeddingsStandardUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[Embeddings]:
        return NebiusEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"model": "Qwen/Qwen3-Embedding-8B", "api_key": "test"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return ({"NEBIUS_API_KEY": "key-from-env"}, {}, {"api_key": "key-from-env"})


class TestNebiusImageToolStandardUnit(ToolsUnitTests):
    @property
    def tool_constructor(self) -> type[BaseTool]:
        return NebiusImageGenerationTool

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return {"api_key": "test"}

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"prompt": "a red fox in the snow", "width": 256, "height": 256}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return ({"NEBIUS_API_KEY": "key-from-env"}, {}, {"api_key": "key-from-env"})
