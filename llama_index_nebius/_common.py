"""Connection settings shared by the LlamaIndex classes, and the clients built from them.

The API key lives in a ``SecretStr`` field that is excluded from ``repr``, ``to_dict``,
``to_json`` and pickles: a serialized component reads ``NEBIUS_API_KEY`` again when it is
rebuilt. Retries happen in one place only, the core client (``max_retries``).
"""

from __future__ import annotations

import asyncio
import pickle
import weakref
from typing import Any

from llama_index.core.bridge.pydantic import (
    BaseModel,
    Field,
    PrivateAttr,
    SecretStr,
    model_validator,
)
from typing_extensions import override

from nebius_inference import AsyncNebiusClient, NebiusClient, Secret
from nebius_inference.pacing import Pacing

__all__ = ["ClientPair", "LoopSemaphores", "NebiusConnection"]

# Older Nebius and OpenAI-style spellings accepted on construction.
_ALIASES = {
    "api_base": "base_url",
    "nebius_api_base": "base_url",
    "nebius_api_key": "api_key",
}


class ClientPair:
    """The sync and async core clients of a component, shared by its copies."""

    def __init__(self, sync: NebiusClient, async_: AsyncNebiusClient) -> None:
        self.sync = sync
        self.async_ = async_

    @classmethod
    def build(
        cls,
        settings: dict[str, Any],
        client: NebiusClient | None = None,
        async_client: AsyncNebiusClient | None = None,
        http_client: Any = None,
        async_http_client: Any = None,
    ) -> ClientPair:
        """Use the given clients, or build them from ``settings``. The core closes a pool
        it built when its client is collected (sync) or its event loop closes (async)."""
        if client is None:
            client = NebiusClient(**settings, http_client=http_client)
        if async_client is None:
            async_client = AsyncNebiusClient(**settings, http_client=async_http_client)
        return cls(client, async_client)

    def __deepcopy__(self, memo: dict[int, Any]) -> ClientPair:
        return self  # connection pools are shared, never copied

    def __reduce__(self) -> Any:
        raise TypeError("Nebius clients hold the API key and are not pickled.")

    def __repr__(self) -> str:
        return f"ClientPair(base_url={self.sync.base_url!r})"


class NebiusConnection(BaseModel):
    """Fields and clients every Nebius component shares (a mixin for LlamaIndex classes).

    A component's constructor also takes ``http_client=`` / ``async_http_client=`` (``httpx``
    clients for proxies or custom TLS), or ready ``client=`` / ``async_client=`` core clients,
    whose own settings then replace the connection fields.
    """

    api_key: SecretStr | None = Field(
        default=None,
        exclude=True,
        repr=False,
        description="Nebius API key; defaults to the NEBIUS_API_KEY environment variable.",
    )
    base_url: str | None = Field(
        default=None,
        description="API base URL; defaults to NEBIUS_BASE_URL, NEBIUS_API_BASE, then "
        "https://api.tokenfactory.nebius.com/v1.",
    )
    timeout: float | None = Field(
        default=None, gt=0, description="Seconds per request (the core's default when unset)."
    )
    max_retries: int = Field(
        default=2,
        ge=0,
        description="Retries of connection errors, timeouts, 408, 409, 429 and 5xx, done by "
        "the core client (the only retry layer).",
    )
    default_headers: dict[str, str] | None = Field(
        default=None,
        exclude=True,
        repr=False,
        description="Extra headers sent with every request.",
    )
    ai_project_id: str | None = Field(
        default=None, description="Sent as the ai_project_id query parameter."
    )
    pacing: bool | Pacing = Field(
        default=True,
        description="Pace requests by the server's rate-limit headers (default); False turns "
        "it off; nebius_inference.pacing.Pacing(...) also caps requests/tokens a minute.",
    )

    _clients: ClientPair | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _accept_aliases(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for alias, name in _ALIASES.items():
            if alias in data:
                value = data.pop(alias)
                if data.get(name) is None:
                    data[name] = value
        return data

    def _setup_clients(
        self,
        client: NebiusClient | None = None,
        async_client: AsyncNebiusClient | None = None,
        http_client: Any = None,
        async_http_client: Any = None,
    ) -> None:
        """Build the clients now, so a missing key fails at construction (no I/O is done).

        ``http_client`` / ``async_http_client`` are ``httpx`` clients handed to the core
        (proxies, custom TLS, mock transports)."""
        self._clients = ClientPair.build(
            self._client_kwargs(), client, async_client, http_client, async_http_client
        )

    def _client_kwargs(self) -> dict[str, Any]:
        key = self.api_key.get_secret_value() if self.api_key is not None else None
        return {
            "api_key": Secret(key) if key is not None else None,
            "base_url": self.base_url,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "default_headers": self.default_headers,
            "ai_project_id": self.ai_project_id,
            "pacing": self.pacing,
        }

    def _pair(self) -> ClientPair:
        if self._clients is None:  # e.g. after unpickling
            self._clients = ClientPair.build(self._client_kwargs())
        return self._clients

    @property
    def client(self) -> NebiusClient:
        """The sync core client."""
        return self._pair().sync

    @property
    def async_client(self) -> AsyncNebiusClient:
        """The async core client (usable from any event loop)."""
        return self._pair().async_

    @override
    def __getstate__(self) -> dict[Any, Any]:
        """Pickle without the key, the headers or the clients (they hold the key); anything
        else that cannot be pickled is left out too, as ``BaseComponent`` does."""
        state: dict[Any, Any] = BaseModel.__getstate__(self)
        fields = {k: v for k, v in state["__dict__"].items() if _picklable(v)}
        fields.update(api_key=None, default_headers=None)
        state["__dict__"] = fields
        private = state.get("__pydantic_private__") or {}
        state["__pydantic_private__"] = {
            k: v for k, v in private.items() if k != "_clients" and _picklable(v)
        }
        return state


def _picklable(value: Any) -> bool:
    try:
        pickle.dumps(value)
    except Exception:
        return False
    return True


class LoopSemaphores:
    """One ``asyncio.Semaphore`` per event loop (a semaphore is bound to the loop that first
    waits on it, and LlamaIndex runs coroutines on several loops)."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]
        self._by_loop = weakref.WeakKeyDictionary()

    def get(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        gate = self._by_loop.get(loop)
        if gate is None:
            gate = asyncio.Semaphore(self.limit)
            self._by_loop[loop] = gate
        return gate
