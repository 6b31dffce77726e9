from __future__ import annotations

import pytest

from nebius_inference import DEFAULT_BASE_URL, ConfigurationError, NebiusClient
from nebius_inference._config import resolve_options


def test_argument_beats_environment_beats_default() -> None:
    env = {"NEBIUS_API_KEY": "env-key", "NEBIUS_BASE_URL": "https://env.example/v1"}
    opts = resolve_options(api_key="arg-key", base_url="https://arg.example/v1/", environ=env)
    assert opts.api_key.get_secret_value() == "arg-key"
    assert opts.base_url == "https://arg.example/v1"
    opts = resolve_options(environ=env)
    assert opts.api_key.get_secret_value() == "env-key"
    assert opts.base_url == "https://env.example/v1"
    opts = resolve_options(environ={"NEBIUS_API_KEY": "k"})
    assert opts.base_url == DEFAULT_BASE_URL == "https://api.tokenfactory.nebius.com/v1"


def test_older_base_url_variable_is_read() -> None:
    opts = resolve_options(environ={"NEBIUS_API_KEY": "k", "NEBIUS_API_BASE": "https://old/v1"})
    assert opts.base_url == "https://old/v1"
    both = {
        "NEBIUS_API_KEY": "k",
        "NEBIUS_API_BASE": "https://old/v1",
        "NEBIUS_BASE_URL": "https://new/v1",
    }
    assert resolve_options(environ=both).base_url == "https://new/v1"


def test_missing_key_names_the_variable_and_ignores_openai_key() -> None:
    with pytest.raises(ConfigurationError, match="NEBIUS_API_KEY"):
        resolve_options(environ={"OPENAI_API_KEY": "sk-openai"})
    with pytest.raises(ValueError, match="NEBIUS_API_KEY"):
        NebiusClient()


def test_openai_base_url_is_never_read() -> None:
    opts = resolve_options(
        environ={"NEBIUS_API_KEY": "k", "OPENAI_BASE_URL": "https://api.openai.com/v1"}
    )
    assert opts.base_url == DEFAULT_BASE_URL


@pytest.mark.parametrize("url", ["api.tokenfactory.nebius.com/v1", "ftp://x/v1", "https://"])
def test_bad_base_url_is_a_clear_error(url: str) -> None:
    with pytest.raises(ConfigurationError, match="base URL"):
        resolve_options(api_key="k", base_url=url)


def test_bad_numbers_are_rejected() -> None:
    with pytest.raises(ConfigurationError, match="max_retries"):
        resolve_options(api_key="k", max_retries=-1)
    with pytest.raises(ConfigurationError, match="timeout"):
        resolve_options(api_key="k", timeout=0)
    with pytest.raises(ConfigurationError, match="stream_idle_timeout"):
        resolve_options(api_key="k", stream_idle_timeout=-5)


def test_project_id_from_argument_or_environment() -> None:
    env = {"NEBIUS_API_KEY": "k", "NEBIUS_AI_PROJECT_ID": "env-project"}
    assert resolve_options(environ=env).ai_project_id == "env-project"
    assert resolve_options(ai_project_id="arg", environ=env).ai_project_id == "arg"
