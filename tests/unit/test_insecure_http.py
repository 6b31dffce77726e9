"""Plain ``http://`` to a host that is not loopback is refused (the key would cross the network
unencrypted) unless the user opts in by name; loopback hosts (the emulator, local proxies) are
fine."""

from __future__ import annotations

import pytest

import nebius_inference as ni
from nebius_inference._config import resolve_options

KEY = "nb-unit-test-key"
REMOTE = [
    "http://api.tokenfactory.nebius.com/v1",
    "http://10.0.0.7:8000/v1",
    "http://[2001:db8::1]:8000/v1",
    "http://128.0.0.1/v1",
    "http://localhost.example.com/v1",
]
LOOPBACK = [
    "http://127.0.0.1:8000/v1",
    "http://127.9.8.7/v1",
    "http://localhost:8000/v1",
    "http://LOCALHOST/v1",
    "http://[::1]:8000/v1",
]


@pytest.mark.parametrize("url", REMOTE)
@pytest.mark.parametrize("client_cls", [ni.NebiusClient, ni.AsyncNebiusClient])
def test_plain_http_to_a_remote_host_is_refused_with_the_fix(
    url: str, client_cls: type[ni.NebiusClient] | type[ni.AsyncNebiusClient]
) -> None:
    with pytest.raises(ni.ConfigurationError) as info:
        client_cls(api_key=KEY, base_url=url)
    message = str(info.value)
    assert "unencrypted" in message and "https://" in message
    assert "allow_insecure_http=True" in message and "NEBIUS_ALLOW_INSECURE_HTTP=1" in message
    assert KEY not in message


def test_the_environment_base_url_is_checked_too() -> None:
    with pytest.raises(ni.ConfigurationError, match="allow_insecure_http"):
        resolve_options(api_key=KEY, environ={"NEBIUS_BASE_URL": "http://gateway.internal/v1"})


@pytest.mark.parametrize("url", LOOPBACK)
def test_loopback_hosts_may_use_plain_http(url: str) -> None:
    with ni.NebiusClient(api_key=KEY, base_url=url) as client:
        assert client.base_url == url


@pytest.mark.parametrize("url", REMOTE)
def test_the_opt_in_by_argument_or_environment(url: str) -> None:
    with ni.NebiusClient(api_key=KEY, base_url=url, allow_insecure_http=True) as client:
        assert client.base_url == url
    for value in ("1", "true", "yes"):
        options = resolve_options(
            api_key=KEY, base_url=url, environ={"NEBIUS_ALLOW_INSECURE_HTTP": value}
        )
        assert options.base_url == url
    # An explicit False wins over the environment.
    with pytest.raises(ni.ConfigurationError):
        resolve_options(
            api_key=KEY,
            base_url=url,
            allow_insecure_http=False,
            environ={"NEBIUS_ALLOW_INSECURE_HTTP": "1"},
        )
    with pytest.raises(ni.ConfigurationError):
        resolve_options(api_key=KEY, base_url=url, environ={"NEBIUS_ALLOW_INSECURE_HTTP": "0"})


def test_https_is_always_fine() -> None:
    assert resolve_options(api_key=KEY, base_url="https://10.0.0.7/v1").base_url.startswith(
        "https://"
    )


def test_the_adapters_refuse_it_and_honour_the_environment_opt_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("langchain_core", reason="the langchain extra is not installed")
    pytest.importorskip("llama_index.core", reason="the llama-index extra is not installed")
    from langchain_nebius import ChatNebius
    from llama_index_nebius import NebiusLLM

    url = "http://gateway.internal/v1"
    with pytest.raises(ni.ConfigurationError, match="allow_insecure_http"):
        ChatNebius(api_key=KEY, base_url=url, model="m").invoke("hi")
    with pytest.raises(ni.ConfigurationError, match="allow_insecure_http"):
        NebiusLLM(api_key=KEY, base_url=url, model="m")
    monkeypatch.setenv("NEBIUS_ALLOW_INSECURE_HTTP", "1")
    assert ChatNebius(api_key=KEY, base_url=url, model="m")._get_client().base_url == url
    assert NebiusLLM(api_key=KEY, base_url=url, model="m").client.base_url == url
