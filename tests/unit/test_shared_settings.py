"""One settings definition and one copying rule: both adapters give the same answers."""

from __future__ import annotations

import base64
import copy
import json
import pickle
from typing import Any

import httpx
import pytest

from langchain_nebius import ChatNebius, NebiusEmbeddings, NebiusImageGenerationTool
from llama_index_nebius import NebiusEmbedding, NebiusImageToolSpec, NebiusLLM
from nebius_inference import AsyncNebiusClient, NebiusClient
from nebius_inference.images import DEFAULT_IMAGE_SIZE
from nebius_inference.settings import SETTINGS, ClientCache, ClientSettings

KEY = "sk-shared-settings"


def _lc(**kwargs: Any) -> NebiusClient:
    return ChatNebius(api_key=KEY, **kwargs)._get_client()


def _li(**kwargs: Any) -> NebiusClient:
    return NebiusLLM(api_key=KEY, **kwargs).client


def _options(client: NebiusClient | AsyncNebiusClient) -> Any:
    return client._options


def test_defaults_are_the_core_defaults_in_both() -> None:
    core = _options(NebiusClient(api_key=KEY))
    for client in (_lc(), _li()):
        options = _options(client)
        assert options.max_retries == core.max_retries == 2
        assert options.timeouts == core.timeouts
        assert options.base_url == core.base_url


@pytest.mark.parametrize(
    "settings",
    [
        {"max_retries": 0},
        {"max_retries": 5, "timeout": 7.5},
        {"stream_idle_timeout": 12.0},
        {"base_url": "http://127.0.0.1:9/v1", "ai_project_id": "p1"},
        {"default_headers": {"X-Team": "a"}},
    ],
)
def test_the_same_settings_give_the_same_clients(settings: dict[str, Any]) -> None:
    lc, li = _options(_lc(**settings)), _options(_li(**settings))
    assert lc == li
    lc_async = _options(ChatNebius(api_key=KEY, **settings)._get_async_client())
    li_async = _options(NebiusLLM(api_key=KEY, **settings).async_client)
    assert lc_async == li_async == lc


@pytest.mark.parametrize("alias", ["nebius_api_base", "api_base"])
def test_older_spellings_work_in_both(alias: str) -> None:
    url = "http://127.0.0.1:9/v1"
    assert _lc(**{alias: url}).base_url == _li(**{alias: url}).base_url == url


def test_every_setting_is_a_field_of_both() -> None:
    lc_fields = set(ChatNebius.model_fields) | {"async_http_client"}
    li_fields = set(NebiusLLM.model_fields) | {"http_client", "async_http_client"}
    assert set(SETTINGS) <= lc_fields
    assert set(SETTINGS) <= li_fields
    assert ChatNebius.model_fields["max_retries"].description == SETTINGS["max_retries"]
    assert NebiusLLM.model_fields["max_retries"].description == SETTINGS["max_retries"]


def test_user_http_clients_reach_the_core_in_both() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(200, json={"object": "list", "data": []})

    http = httpx.Client(transport=httpx.MockTransport(handler))
    ChatNebius(api_key=KEY, http_client=http)._get_client().list_models()
    NebiusLLM(api_key=KEY, http_client=http).client.list_models()
    assert seen == ["/v1/models", "/v1/models"]


def test_one_copying_rule_in_both() -> None:
    http = httpx.Client()
    for component, get in (
        (ChatNebius(api_key=KEY, http_client=http), lambda c: c._get_client()),
        (NebiusEmbeddings(api_key=KEY, http_client=http), lambda c: c._get_client()),
        (NebiusLLM(api_key=KEY, http_client=http), lambda c: c.client),
        (NebiusEmbedding(api_key=KEY, http_client=http), lambda c: c.client),
    ):
        client = get(component)
        assert get(copy.copy(component)) is client
        assert get(copy.deepcopy(component)) is client
        assert get(component.model_copy(deep=True)) is client
    assert copy.deepcopy(ChatNebius(api_key=KEY, http_client=http)).http_client is http


def test_a_pickled_cache_is_empty() -> None:
    cache = ClientCache(NebiusClient(api_key=KEY))
    restored = pickle.loads(pickle.dumps(cache))
    assert restored.built == (None, None)
    assert copy.deepcopy(cache) is cache


def test_client_settings_reject_unknown_names() -> None:
    with pytest.raises(TypeError, match="Unknown setting 'api_keys'"):
        ClientSettings.of(api_keys="x")
    assert ClientSettings.of(nebius_api_key=KEY, request_timeout=3).timeout == 3
    assert KEY not in repr(ClientSettings.of(api_key=KEY))


# -- image tools -----------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n-bytes"


def test_both_image_tools_send_the_same_body_with_the_same_defaults() -> None:
    bodies: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(200, json={"data": [{"b64_json": base64.b64encode(PNG).decode()}]})

    http = httpx.Client(transport=httpx.MockTransport(handler))
    client = NebiusClient(api_key=KEY, http_client=http)
    lc = NebiusImageGenerationTool(model="vendor/painter", api_key=KEY, http_client=http)
    li = NebiusImageToolSpec(model="vendor/painter", client=client, api_key=KEY)
    _, artifact = lc._run(prompt="a boat", seed=3)
    (block,) = li.generate_image("a boat", seed=3)
    assert bodies[0] == bodies[1]
    assert bodies[0]["width"] == bodies[0]["height"] == DEFAULT_IMAGE_SIZE
    assert artifact["data"] == base64.b64decode(block.image or b"") == PNG
    assert artifact["mime_type"] == block.image_mimetype == "image/png"


@pytest.mark.parametrize(("width", "height"), [(32, 512), (512, 4096)])
def test_both_image_tools_reject_the_same_sizes(width: int, height: int) -> None:
    lc = NebiusImageGenerationTool(model="m", api_key=KEY)
    li = NebiusImageToolSpec(model="m", api_key=KEY)
    with pytest.raises(ValueError):
        lc._run(prompt="x", width=width, height=height)
    with pytest.raises(ValueError):
        li.generate_image("x", width=width, height=height)


@pytest.mark.parametrize(("given", "read"), [("jpeg", "jpg"), ("JPG", "jpg"), ("WebP", "webp")])
def test_both_image_tools_read_a_format_alike(given: str, read: str) -> None:
    from langchain_nebius.tools import ImageGenerationInput
    from llama_index_nebius.tools import GenerateImageArgs

    assert ImageGenerationInput(prompt="x", format=given).format == read  # type: ignore[arg-type]
    assert GenerateImageArgs(prompt="x", format=given).format == read  # type: ignore[arg-type]


def test_both_image_tools_refuse_the_same_format_and_list_the_same_ones() -> None:
    from pydantic import ValidationError

    from langchain_nebius.tools import ImageGenerationInput
    from llama_index_nebius.tools import GenerateImageArgs

    for schema in (ImageGenerationInput, GenerateImageArgs):
        with pytest.raises(ValidationError, match="png"):
            schema(prompt="x", format="gif")  # type: ignore[arg-type]
        assert schema.model_json_schema()["properties"]["format"]["enum"] == ["png", "jpg", "webp"]


def test_a_jpeg_format_through_langchain_tool_input() -> None:
    bodies: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(200, json={"data": [{"b64_json": base64.b64encode(PNG).decode()}]})

    http = httpx.Client(transport=httpx.MockTransport(handler))
    lc = NebiusImageGenerationTool(model="vendor/painter", api_key=KEY, http_client=http)
    text = lc.invoke({"prompt": "a boat", "format": "jpeg"})
    assert bodies[0]["response_extension"] == "jpg"
    assert "JPG image" in str(text)
