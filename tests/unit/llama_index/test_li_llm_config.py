"""NebiusLLM configuration: credentials, base URL, secrets, metadata, retries, pickling."""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable

import httpx
import pytest
from fakes import FakeAPI, chat_reply
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.constants import DEFAULT_CONTEXT_WINDOW

from llama_index_nebius import NebiusLLM
from nebius_inference import ConfigurationError, InternalServerError
from nebius_inference.catalog import FALLBACK_CONTEXT_WINDOW

MakeLLM = Callable[..., NebiusLLM]
SECRET = "nb-very-secret-key-8c1f"
HI = [ChatMessage(role="user", content="hi")]


def _llm_over(fake: FakeAPI, **kwargs: object) -> NebiusLLM:
    """An LLM that builds its own core clients (so its fields reach them) over the fake: with
    no HTTP client on the default route, else with clients bound to it by MockTransport."""
    if fake.server is not None:
        return NebiusLLM(base_url=fake.base_url, **kwargs)  # type: ignore[arg-type]
    return NebiusLLM(
        http_client=httpx.Client(transport=httpx.MockTransport(fake)),
        async_http_client=httpx.AsyncClient(transport=httpx.MockTransport(fake)),
        **kwargs,  # type: ignore[arg-type]
    )


# -- credentials and base URL ------------------------------------------------------------------


def test_missing_key_fails_at_construction_naming_the_variable() -> None:
    with pytest.raises(ConfigurationError, match="NEBIUS_API_KEY"):
        NebiusLLM()


def test_openai_key_is_never_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai")
    with pytest.raises(ConfigurationError):
        NebiusLLM()


# MockTransport only: it asserts the URL the LLM builds, which only MockTransport can answer at.
@pytest.mark.parametrize("route", ["http_client"])
def test_key_from_env_and_default_base_url(monkeypatch: pytest.MonkeyPatch, fake: FakeAPI) -> None:
    monkeypatch.setenv("NEBIUS_API_KEY", "env-key")
    monkeypatch.setenv("OPENAI_BASE_URL", "https://api.openai.com/v1")
    fake.queue(chat_reply())
    _llm_over(fake).chat(HI)
    request = fake.requests[0]
    assert request.headers["authorization"] == "Bearer env-key"
    assert str(request.url) == "https://api.tokenfactory.nebius.com/v1/chat/completions"


def test_argument_key_wins_over_env(monkeypatch: pytest.MonkeyPatch, fake: FakeAPI) -> None:
    monkeypatch.setenv("NEBIUS_API_KEY", "env-key")
    fake.queue(chat_reply())
    _llm_over(fake, api_key="arg-key").chat(HI)
    assert fake.requests[0].headers["authorization"] == "Bearer arg-key"


# MockTransport only: it asserts the URL the LLM builds, which only MockTransport can answer at.
@pytest.mark.parametrize("route", ["http_client"])
@pytest.mark.parametrize(
    ("env", "kwargs", "expected"),
    [
        ({"NEBIUS_API_BASE": "https://legacy.test/v1"}, {}, "https://legacy.test/v1"),
        (
            {"NEBIUS_API_BASE": "https://legacy.test/v1", "NEBIUS_BASE_URL": "https://new.test/v1"},
            {},
            "https://new.test/v1",
        ),
        (
            {"NEBIUS_BASE_URL": "https://new.test/v1"},
            {"base_url": "https://arg.test/v1/"},
            "https://arg.test/v1",
        ),
        ({}, {"api_base": "https://alias.test/v1"}, "https://alias.test/v1"),
    ],
)
def test_base_url_precedence(
    monkeypatch: pytest.MonkeyPatch,
    fake: FakeAPI,
    env: dict[str, str],
    kwargs: dict[str, str],
    expected: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    fake.queue(chat_reply())
    _llm_over(fake, api_key=SECRET, **kwargs).chat(HI)
    assert str(fake.requests[0].url) == f"{expected}/chat/completions"


# MockTransport only: it asserts the URL the LLM builds, which only MockTransport can answer at.
@pytest.mark.parametrize("route", ["http_client"])
def test_nebius_aliases_for_key_and_base(fake: FakeAPI) -> None:
    fake.queue(chat_reply())
    llm = _llm_over(fake, nebius_api_key=SECRET, nebius_api_base="https://alias.test/v1")
    llm.chat(HI)
    assert fake.requests[0].headers["authorization"] == f"Bearer {SECRET}"
    assert llm.base_url == "https://alias.test/v1"


def test_connection_fields_reach_the_core_client() -> None:
    llm = NebiusLLM(
        api_key=SECRET,
        max_retries=5,
        timeout=12,
        default_headers={"x-team": "a"},
        ai_project_id="proj-1",
    )
    assert llm.client.max_retries == 5
    assert llm.async_client.max_retries == 5
    assert llm.client._options.timeouts.total == 12
    assert llm.client._options.default_headers == {"x-team": "a"}
    assert llm.client._options.ai_project_id == "proj-1"


# -- secrets -----------------------------------------------------------------------------------


def test_key_never_appears_in_repr_str_or_dumps() -> None:
    llm = NebiusLLM(api_key=SECRET, default_headers={"x-proxy-auth": SECRET})
    dumped = [
        repr(llm),
        str(llm),
        json.dumps(llm.to_dict()),
        llm.to_json(),
        llm.model_dump_json(),
        str(llm.model_dump()),
        repr(llm.client),
        repr(llm.async_client),
        json.dumps(llm.to_payload()),
    ]
    for text in dumped:
        assert SECRET not in text
    assert llm.to_dict()["class_name"] == "NebiusLLM"
    assert llm.api_key is not None and llm.api_key.get_secret_value() == SECRET


def test_pickle_drops_the_key_and_rebuilds_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    llm = NebiusLLM(api_key=SECRET, model="openai/gpt-oss-120b", temperature=0.3)
    data = pickle.dumps(llm)
    assert SECRET.encode() not in data
    monkeypatch.setenv("NEBIUS_API_KEY", "env-key")
    copy = pickle.loads(data)
    assert (copy.model, copy.temperature) == ("openai/gpt-oss-120b", 0.3)
    assert copy.api_key is None
    assert copy.client._options.api_key.get_secret_value() == "env-key"


def test_round_trip_through_to_dict(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEBIUS_API_KEY", "env-key")
    llm = NebiusLLM(model="Qwen/Qwen3-32B", max_tokens=64, additional_kwargs={"top_k": 5})
    copy = NebiusLLM.from_dict(llm.to_dict())
    assert (copy.model, copy.max_tokens, copy.additional_kwargs) == (
        "Qwen/Qwen3-32B",
        64,
        {"top_k": 5},
    )


# -- metadata ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "window", "calling"),
    [
        ("openai/gpt-oss-120b", 131_072, True),
        ("Qwen/Qwen3-235B-A22B-Instruct-2507", 262_144, True),
        ("Qwen/Qwen3-235B-A22B-Thinking-2507", 262_144, True),
        ("google/gemma-3-27b-it", 110_000, False),
        ("someone/unknown-model", FALLBACK_CONTEXT_WINDOW, True),
    ],
)
def test_metadata_per_model(model: str, window: int, calling: bool) -> None:
    meta = NebiusLLM(api_key=SECRET, model=model).metadata
    assert (meta.context_window, meta.is_function_calling_model) == (window, calling)
    assert meta.is_chat_model is True
    assert meta.model_name == model
    assert FALLBACK_CONTEXT_WINDOW == DEFAULT_CONTEXT_WINDOW  # LlamaIndex's own default


def test_metadata_overrides_win() -> None:
    meta = NebiusLLM(
        api_key=SECRET,
        model="google/gemma-3-27b-it",
        context_window=1000,
        is_function_calling_model=True,
        max_tokens=77,
    ).metadata
    assert (meta.context_window, meta.is_function_calling_model, meta.num_output) == (
        1000,
        True,
        77,
    )


LISTING = {
    "object": "list",
    "data": [
        {
            "id": "vendor/new-model",
            "context_length": 65_536,
            "max_output": 8192,
            "supported_features": ["json_mode"],
        },
        {
            "id": "Qwen/Qwen3-235B-A22B-Instruct-2507",
            "context_length": 128_000,
            "supported_features": ["tools"],
        },
    ],
}


def test_fetch_metadata_reads_the_verbose_listing(fake: FakeAPI) -> None:
    fake.queue(LISTING)
    llm = NebiusLLM(model="vendor/new-model", fetch_metadata=True, **fake.clients())
    assert fake.requests[0].url.path.endswith("/models")
    assert fake.requests[0].url.params["verbose"] == "true"
    meta = llm.metadata
    assert (meta.context_window, meta.is_function_calling_model) == (65_536, False)


def test_from_model_listing_with_user_override(fake: FakeAPI) -> None:
    fake.queue(LISTING)
    llm = NebiusLLM.from_model_listing(
        "vendor/new-model", is_function_calling_model=True, **fake.clients()
    )
    assert llm.metadata.is_function_calling_model is True
    assert llm.metadata.context_window == 65_536


async def test_arefresh_metadata(fake: FakeAPI) -> None:
    fake.queue(LISTING)
    llm = NebiusLLM(**fake.clients())
    facts = await llm.arefresh_metadata()
    assert facts is not None and facts.context_length == 128_000
    assert llm.metadata.context_window == 128_000


def test_unlisted_model_keeps_the_table_and_logs(
    fake: FakeAPI, caplog: pytest.LogCaptureFixture
) -> None:
    fake.queue({"object": "list", "data": []})
    llm = NebiusLLM(model="openai/gpt-oss-120b", fetch_metadata=True, **fake.clients())
    assert llm.metadata.context_window == 131_072
    assert "not in the model listing" in caplog.text


# -- retries -----------------------------------------------------------------------------------


def _server_error() -> httpx.Response:
    return httpx.Response(500, json={"detail": "boom"})


def test_retries_happen_once_in_the_core(fake: FakeAPI) -> None:
    fake.queue(_server_error(), _server_error(), chat_reply("finally"))
    llm = _llm_over(fake, api_key=SECRET, max_retries=2)
    assert llm.chat(HI).message.content == "finally"
    assert len(fake.requests) == 3


def test_max_retries_zero_sends_once(fake: FakeAPI) -> None:
    fake.queue(_server_error(), chat_reply())
    llm = _llm_over(fake, api_key=SECRET, max_retries=0)
    with pytest.raises(InternalServerError):
        llm.chat(HI)
    assert len(fake.requests) == 1


async def test_async_and_stream_retries_use_the_same_count(fake: FakeAPI) -> None:
    fake.default = lambda request: _server_error()
    llm = _llm_over(fake, api_key=SECRET, max_retries=1)
    with pytest.raises(InternalServerError):
        await llm.achat(HI)
    assert len(fake.requests) == 2
    with pytest.raises(InternalServerError):
        list(llm.stream_chat(HI))
    assert len(fake.requests) == 4
