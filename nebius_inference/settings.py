"""The connection settings every framework class exposes, and the clients built from them.

Both adapters take the same settings (:data:`SETTINGS`), resolve them the same way (the
core's defaults: ``max_retries`` 2, ``timeout`` 600 s, ``stream_idle_timeout`` 300 s) and
keep their clients in a :class:`ClientCache`, which holds the one copying rule:

* a copy or a deep copy of a component shares its clients (connection pools, and the user's
  own ``http_client`` / ``async_http_client``, are never duplicated);
* a pickled component carries no client (clients hold the key and open connections): the
  unpickled one builds new clients on first use.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from ._checks import closest_name
from ._client import AsyncNebiusClient, NebiusClient
from ._config import Secret
from .pacing import Pacing

__all__ = ["ALIASES", "SETTINGS", "ClientCache", "ClientSettings"]

#: Each setting and what it does (both adapters describe their fields with these words).
SETTINGS: Mapping[str, str] = {
    "api_key": "Nebius API key; defaults to the NEBIUS_API_KEY environment variable (never "
    "OPENAI_API_KEY).",
    "base_url": "API base URL; defaults to NEBIUS_BASE_URL, then NEBIUS_API_BASE, then "
    "https://api.tokenfactory.nebius.com/v1.",
    "timeout": "Seconds for each connect/read/write (default 600).",
    "max_retries": "Retries of connection errors, timeouts, 408, 409, 429 and 5xx, done by the "
    "core client only (default 2); a stream is never retried once it has started.",
    "stream_idle_timeout": "The longest silence allowed inside a stream, in seconds (default 300).",
    "ai_project_id": "Sent as the ai_project_id query parameter (defaults to "
    "NEBIUS_AI_PROJECT_ID).",
    "default_headers": "Headers sent with every request.",
    "pacing": "Pace requests by the server's rate-limit headers (None or True, the default); "
    "False turns it off; nebius_inference.pacing.Pacing(max_requests_per_minute=..., "
    "max_tokens_per_minute=...) also caps the rate by hand.",
    "http_client": "Your own httpx.Client (proxies, custom TLS, mock transports); you own its "
    "lifetime.",
    "async_http_client": "Your own httpx.AsyncClient; you own its lifetime.",
}

#: Older spellings accepted for a setting (the older Nebius and OpenAI-style packages').
ALIASES: Mapping[str, str] = {
    "nebius_api_key": "api_key",
    "nebius_api_base": "base_url",
    "api_base": "base_url",
    "request_timeout": "timeout",
    "http_async_client": "async_http_client",
}


@dataclass(frozen=True)
class ClientSettings:
    """What a client is built from; ``None`` means the core's default (argument, then
    environment, then default, resolved by the client)."""

    api_key: str | Secret | None = field(default=None, repr=False)
    base_url: str | None = None
    timeout: float | None = None
    max_retries: int | None = None
    stream_idle_timeout: float | None = None
    ai_project_id: str | None = None
    default_headers: Mapping[str, str] | None = field(default=None, repr=False)
    pacing: bool | Pacing | None = None
    http_client: Any = field(default=None, repr=False, compare=False)
    async_http_client: Any = field(default=None, repr=False, compare=False)

    @classmethod
    def of(cls, **settings: Any) -> ClientSettings:
        """Settings from keyword arguments, older spellings accepted; an unknown name is a
        ``TypeError`` that lists the known ones."""
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for name, value in settings.items():
            target = ALIASES.get(name, name)
            if target not in known:
                guess = closest_name(name, known)
                hint = f" (did you mean `{guess}`?)" if guess else ""
                raise TypeError(
                    f"Unknown setting {name!r}{hint}; the settings are: {', '.join(sorted(known))}."
                )
            if value is not None or target not in values:
                values[target] = value
        return cls(**values)

    @classmethod
    def from_attributes(cls, source: Any, **overrides: Any) -> ClientSettings:
        """Settings read from ``source``'s attributes of the same names (a secret holder's
        value through its ``get_secret_value()``); ``overrides`` win."""
        values = {f.name: getattr(source, f.name, None) for f in fields(cls)}
        values.update(overrides)
        key = values["api_key"]
        if key is not None and not isinstance(key, (str, Secret)):
            values["api_key"] = Secret(key.get_secret_value())
        return cls(**values)

    def picklable(self) -> dict[str, Any]:
        """The settings a pickle may carry, as keyword arguments: never the key, the headers
        (they may hold credentials) or the HTTP clients."""
        secret = {"api_key", "default_headers", "http_client", "async_http_client"}
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name not in secret and getattr(self, f.name) is not None
        }

    def _core(self) -> dict[str, Any]:
        key = self.api_key
        return {
            "api_key": Secret(key) if isinstance(key, str) else key,
            "base_url": self.base_url,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "default_headers": self.default_headers,
            "ai_project_id": self.ai_project_id,
            "stream_idle_timeout": self.stream_idle_timeout,
            "pacing": True if self.pacing is None else self.pacing,
        }

    def client(self) -> NebiusClient:
        """A new sync client with these settings."""
        return NebiusClient(**self._core(), http_client=self.http_client)

    def async_client(self) -> AsyncNebiusClient:
        """A new async client with these settings."""
        return AsyncNebiusClient(**self._core(), http_client=self.async_http_client)


class ClientCache:
    """The clients of one component, built on first use (once, under a lock).

    Copies and deep copies of the component share this cache; a pickle of it is empty.
    """

    __slots__ = ("__weakref__", "_async", "_lock", "_sync")

    def __init__(
        self, sync: NebiusClient | None = None, async_: AsyncNebiusClient | None = None
    ) -> None:
        self._lock = threading.Lock()
        self._sync = sync
        self._async = async_

    def sync(self, settings: Callable[[], ClientSettings]) -> NebiusClient:
        """The sync client; built from ``settings()`` the first time."""
        if self._sync is None:
            with self._lock:
                if self._sync is None:
                    self._sync = settings().client()
        return self._sync

    def async_(self, settings: Callable[[], ClientSettings]) -> AsyncNebiusClient:
        """The async client (usable from any event loop); built the first time."""
        if self._async is None:
            with self._lock:
                if self._async is None:
                    self._async = settings().async_client()
        return self._async

    @property
    def built(self) -> tuple[NebiusClient | None, AsyncNebiusClient | None]:
        """The clients built so far."""
        return self._sync, self._async

    def __copy__(self) -> ClientCache:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> ClientCache:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (ClientCache, ())

    def __repr__(self) -> str:
        return "ClientCache()"
