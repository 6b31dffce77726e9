"""Client settings, resolved once: argument > environment > default."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

from ._errors import ConfigurationError

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "ClientOptions",
    "Secret",
    "Timeouts",
    "env_proxy",
    "resolve_options",
]

DEFAULT_BASE_URL = "https://api.tokenfactory.nebius.com/v1"
DEFAULT_MAX_RETRIES = 2
DEFAULT_TIMEOUT = 600.0
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_STREAM_IDLE_TIMEOUT = 300.0

API_KEY_ENV = "NEBIUS_API_KEY"
BASE_URL_ENVS = ("NEBIUS_BASE_URL", "NEBIUS_API_BASE")
INSECURE_HTTP_ENV = "NEBIUS_ALLOW_INSECURE_HTTP"
_TRUE = frozenset({"1", "true", "yes", "on"})


class Secret:
    """A string that never shows itself in ``repr``, ``str``, logs or pickles of its holder."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("A Secret cannot be pickled: pass the key again, or set NEBIUS_API_KEY.")


@dataclass(frozen=True)
class Timeouts:
    """Seconds. ``total`` bounds each read/write; ``stream_idle`` bounds silence inside a stream."""

    total: float | None = DEFAULT_TIMEOUT
    connect: float | None = DEFAULT_CONNECT_TIMEOUT
    stream_idle: float | None = DEFAULT_STREAM_IDLE_TIMEOUT


@dataclass(frozen=True)
class ClientOptions:
    api_key: Secret = field(repr=False)
    base_url: str
    timeouts: Timeouts
    max_retries: int
    default_headers: Mapping[str, str]
    ai_project_id: str | None


def resolve_options(
    *,
    api_key: str | Secret | None = None,
    base_url: str | None = None,
    timeout: float | Timeouts | None = None,
    max_retries: int | None = None,
    default_headers: Mapping[str, str] | None = None,
    ai_project_id: str | None = None,
    stream_idle_timeout: float | None = None,
    allow_insecure_http: bool | None = None,
    environ: Mapping[str, str] | None = None,
) -> ClientOptions:
    """Resolve settings: the argument wins, then the environment, then the default.

    ``OPENAI_API_KEY`` and ``OPENAI_BASE_URL`` are never read: a Nebius client must not send an
    OpenAI key to Nebius, or a Nebius key to OpenAI.
    """
    env = os.environ if environ is None else environ
    key = _resolve_key(api_key, env)
    url = _resolve_base_url(base_url, env)
    if allow_insecure_http is None:
        allow_insecure_http = env.get(INSECURE_HTTP_ENV, "").strip().lower() in _TRUE
    _check_scheme(url, allow_insecure_http)
    if max_retries is None:
        max_retries = DEFAULT_MAX_RETRIES
    if max_retries < 0:
        raise ConfigurationError(f"max_retries must be 0 or more, got {max_retries}.")
    timeouts = _resolve_timeouts(timeout, stream_idle_timeout)
    project = ai_project_id if ai_project_id is not None else env.get("NEBIUS_AI_PROJECT_ID")
    return ClientOptions(
        api_key=key,
        base_url=url,
        timeouts=timeouts,
        max_retries=max_retries,
        default_headers=dict(default_headers or {}),
        ai_project_id=project or None,
    )


def _resolve_key(api_key: str | Secret | None, env: Mapping[str, str]) -> Secret:
    if isinstance(api_key, Secret):
        value = api_key.get_secret_value()
    elif api_key is not None:
        value = api_key
    else:
        value = env.get(API_KEY_ENV, "")
    value = value.strip()
    if not value:
        raise ConfigurationError(
            "No Nebius API key found. Set the NEBIUS_API_KEY environment variable or pass "
            "api_key=... (create a key in the Nebius Token Factory console)."
        )
    if any(ch in value for ch in "\r\n"):
        raise ConfigurationError("The API key contains a line break; copy it again without one.")
    return Secret(value)


def _resolve_base_url(base_url: str | None, env: Mapping[str, str]) -> str:
    url = base_url
    if not url:
        url = next((env[name] for name in BASE_URL_ENVS if env.get(name)), DEFAULT_BASE_URL)
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(
            f"Invalid base URL {url!r}: it must look like {DEFAULT_BASE_URL} "
            "(set NEBIUS_BASE_URL or pass base_url=...)."
        )
    return url


def _check_scheme(url: str, allow_insecure_http: bool) -> None:
    """Refuse plain ``http://`` to a host that is not loopback: the key would cross the network
    unencrypted. Loopback (the emulator, a local proxy) is fine; anything else needs an opt-in."""
    parts = urlsplit(url)
    if parts.scheme != "http" or allow_insecure_http or is_loopback(parts.hostname or ""):
        return
    raise ConfigurationError(
        f"Refusing the plain http:// base URL {url!r}: the API key would cross the network "
        f"unencrypted. Use https://{parts.netloc}{parts.path}; or, if the network to "
        f"{parts.hostname} is yours and trusted, pass allow_insecure_http=True (or set "
        f"{INSECURE_HTTP_ENV}=1)."
    )


def is_loopback(host: str) -> bool:
    """``localhost``, 127.0.0.0/8 or ``::1``."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _resolve_timeouts(timeout: float | Timeouts | None, stream_idle: float | None) -> Timeouts:
    if isinstance(timeout, Timeouts):
        base = timeout
    elif timeout is None:
        base = Timeouts()
    else:
        if timeout <= 0:
            raise ConfigurationError(
                f"timeout must be a positive number of seconds, got {timeout}."
            )
        base = Timeouts(total=float(timeout), connect=min(DEFAULT_CONNECT_TIMEOUT, float(timeout)))
    if stream_idle is not None:
        if stream_idle <= 0:
            raise ConfigurationError(
                f"stream_idle_timeout must be a positive number of seconds, got {stream_idle}."
            )
        base = Timeouts(total=base.total, connect=base.connect, stream_idle=float(stream_idle))
    return base


def env_proxy(url: str) -> str | None:
    """The proxy the environment sets for ``url``, or ``None``.

    Reads ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``ALL_PROXY`` (either case) and honours
    ``NO_PROXY``, as httpx, aiohttp and the ``openai`` SDK do by default.
    """
    parts = urlsplit(url)
    proxies = getproxies()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if not proxy or proxy_bypass(parts.hostname or ""):
        return None
    return proxy
