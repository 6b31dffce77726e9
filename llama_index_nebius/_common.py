"""Connection settings shared by the LlamaIndex classes, and the clients built from them.

The API key lives in a ``SecretStr`` field that is excluded from ``repr``, ``to_dict``,
``to_json`` and pickles: a serialized component reads ``NEBIUS_API_KEY`` again when it is
rebuilt. The settings and the copying rule are the core's (``nebius_inference.settings``).
"""

from __future__ import annotations

import asyncio
import pickle
import weakref
from dataclasses import replace
from typing import Any

from llama_index.core.bridge.pydantic import (
    BaseModel,
    Field,
    PrivateAttr,
    SecretStr,
    model_validator,
)
from typing_extensions import override

from nebius_inference import AsyncNebiusClient, NebiusClient
from nebius_inference.pacing import Pacing
from nebius_inference.settings import ALIASES, SETTINGS, ClientCache, ClientSettings
from nebius_inference.signatures import FieldSignature, check_arguments, field_names

__all__ = ["ClientPair", "LoopSemaphores", "NebiusConnection"]


class ClientPair(ClientCache):
    """The sync and async core clients of a component (``nebius_inference.settings``'s
    cache: shared by copies and deep copies, empty in a pickle)."""

    __slots__ = ()

    @classmethod
    def build(
        cls,
        settings: ClientSettings,
        client: NebiusClient | None = None,
        async_client: AsyncNebiusClient | None = None,
    ) -> ClientPair:
        """Use the given clients, or build them from ``settings`` now (so a missing key fails
        at construction; no I/O is done). The core closes a pool it built when its client is
        collected (sync) or its event loop closes (async)."""
        return cls(client or settings.client(), async_client or settings.async_client())

    def __reduce__(self) -> tuple[Any, ...]:
        return (ClientPair, ())


class NebiusConnection(FieldSignature, BaseModel):
    """Fields and clients every Nebius component shares (a mixin for LlamaIndex classes).

    A component's constructor also takes ``http_client=`` / ``async_http_client=`` (``httpx``
    clients for proxies or custom TLS), or ready ``client=`` / ``async_client=`` core clients,
    whose own settings then replace the connection fields. Copies and deep copies share the
    clients; an unpickled component builds new ones (reading ``NEBIUS_API_KEY`` again).
    """

    api_key: SecretStr | None = Field(
        default=None, exclude=True, repr=False, description=SETTINGS["api_key"]
    )
    base_url: str | None = Field(default=None, description=SETTINGS["base_url"])
    timeout: float | None = Field(default=None, gt=0, description=SETTINGS["timeout"])
    max_retries: int | None = Field(default=None, ge=0, description=SETTINGS["max_retries"])
    stream_idle_timeout: float | None = Field(
        default=None, gt=0, description=SETTINGS["stream_idle_timeout"]
    )
    default_headers: dict[str, str] | None = Field(
        default=None, exclude=True, repr=False, description=SETTINGS["default_headers"]
    )
    ai_project_id: str | None = Field(default=None, description=SETTINGS["ai_project_id"])
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
        if cls.model_config.get("extra") != "allow":
            # A name that is neither a field nor an alias would be dropped without a word.
            aliases = {alias for alias, name in ALIASES.items() if name in cls.model_fields}
            # class_name: LlamaIndex's to_dict() adds it, and from_dict() expects it.
            accepted = field_names(cls) | aliases | {"class_name"}
            check_arguments(cls.__name__, data, accepted, ALIASES)
        data = dict(data)
        for alias, name in ALIASES.items():
            if alias in data and name in cls.model_fields:
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
        settings = replace(
            self._settings(), http_client=http_client, async_http_client=async_http_client
        )
        self._clients = ClientPair.build(settings, client, async_client)

    def _settings(self) -> ClientSettings:
        return ClientSettings.from_attributes(self, http_client=None, async_http_client=None)

    def _pair(self) -> ClientPair:
        if self._clients is None:  # e.g. after unpickling
            self._clients = ClientPair()
        return self._clients

    @property
    def client(self) -> NebiusClient:
        """The sync core client."""
        return self._pair().sync(self._settings)

    @property
    def async_client(self) -> AsyncNebiusClient:
        """The async core client (usable from any event loop)."""
        return self._pair().async_(self._settings)

    @override
    def __getstate__(self) -> dict[Any, Any]:
        """Pickle without the key, the headers or the clients (they hold the key); anything
        else that cannot be pickled is left out too, as ``BaseComponent`` does."""
        state: dict[Any, Any] = BaseModel.__getstate__(self)
        fields = {k: v for k, v in state["__dict__"].items() if _picklable(v)}
        fields.update(api_key=None, default_headers=None)
        state["__dict__"] = fields
        private = state.get("__pydantic_private__") or {}
        # The clients pickle as an empty cache: the copy builds its own on first use.
        state["__pydantic_private__"] = {k: v for k, v in private.items() if _picklable(v)}
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
