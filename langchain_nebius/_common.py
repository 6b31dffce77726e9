"""Fields every Nebius LangChain class shares, and its cached ``nebius_inference`` clients.

The key is a ``SecretStr`` read from ``api_key`` (or the older ``nebius_api_key``), then from
``NEBIUS_API_KEY``; never from ``OPENAI_API_KEY``. The clients are built on first use and kept
on the instance (in a private attribute, never keyed by credentials), so a model reuses one
connection pool for all its calls. Construction does no I/O.
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from langchain_core.utils import secret_from_env
from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    model_validator,
)
from typing_extensions import Self

from nebius_inference import AsyncNebiusClient, ConfigurationError, NebiusClient
from nebius_inference.pacing import Pacing
from nebius_inference.settings import SETTINGS, ClientCache, ClientSettings
from nebius_inference.signatures import FieldSignature

__all__ = [
    "NebiusClientMixin",
    "accepted_names",
    "build_model_kwargs",
    "count_text_tokens",
    "stored_signature",
]

F = TypeVar("F", bound=Callable[..., Any])


def stored_signature(fn: F) -> F:
    """Store ``fn``'s signature on it as ``__signature__`` (PEP 362) and return ``fn``.

    langchain-core calls ``inspect.signature(self._generate)`` on every call to learn whether
    it takes ``run_manager``. With the signature stored, ``inspect`` reads it instead of
    rebuilding it from the code object (about 4 µs instead of 11 µs per call).
    """
    fn.__signature__ = inspect.signature(fn)  # type: ignore[attr-defined]
    return fn


CHARS_PER_TOKEN = 4.0
"""What the token estimates assume (langchain-core's ``count_tokens_approximately`` default)."""


def count_text_tokens(text: str, custom_get_token_ids: Callable[[str], list[int]] | None) -> int:
    """How many tokens ``text`` is: exact with the user's ``custom_get_token_ids``, otherwise
    an estimate with no tokenizer (Nebius serves many model families, each with its own
    tokenizer, and none is downloaded here)."""
    if custom_get_token_ids is not None:
        return len(custom_get_token_ids(text))
    return math.ceil(len(text) / CHARS_PER_TOKEN)


_MISSING_KEY = (
    "No Nebius API key found. Set the NEBIUS_API_KEY environment variable or pass api_key=... "
    "(create a key in the Nebius Token Factory console)."
)


def accepted_names(cls: type[BaseModel]) -> set[str]:
    """Every name a field of ``cls`` accepts: field names, aliases and alias choices."""
    names: set[str] = set()
    for name, field in cls.model_fields.items():
        names.add(name)
        if field.alias:
            names.add(field.alias)
        choices = field.validation_alias
        if isinstance(choices, AliasChoices):
            names.update(c for c in choices.choices if isinstance(c, str))
        elif isinstance(choices, str):
            names.add(choices)
    return names


def build_model_kwargs(cls: type[BaseModel], values: Any) -> Any:
    """Move unknown constructor arguments into ``model_kwargs``, with a warning, as LangChain's
    ``ChatOpenAI`` does; known fields given inside ``model_kwargs`` move back out."""
    if not isinstance(values, dict):
        return values
    names = accepted_names(cls)
    values = dict(values)
    extra = dict(values.get("model_kwargs") or {})
    for name in list(values):
        if name in names:
            continue
        if name in extra:
            raise ValueError(f"Found {name} supplied twice.")
        warnings.warn(
            f"{name} is not a parameter of {cls.__name__}; it was moved to model_kwargs and "
            "will be sent in the request body. Check that this is what you meant.",
            UserWarning,
            stacklevel=4,
        )
        extra[name] = values.pop(name)
    for name in names.intersection(extra) - {"model_kwargs"}:
        warnings.warn(
            f"Pass {name} as a parameter of {cls.__name__}, not inside model_kwargs.",
            UserWarning,
            stacklevel=4,
        )
        values[name] = extra.pop(name)
    values["model_kwargs"] = extra
    return values


class NebiusClientMixin(FieldSignature, BaseModel):
    """Connection settings shared by every Nebius class (``nebius_inference.settings``), and
    the clients built from them. Copies and deep copies share the clients and your own
    ``http_client``; a pickle carries no key and no client: the unpickled object reads
    ``NEBIUS_API_KEY`` and builds new clients on first use."""

    # Validation errors must not echo the constructor arguments: they hold the key.
    # defer_build: the (large) validators are built on first construction, not at import.
    model_config = ConfigDict(hide_input_in_errors=True, defer_build=True)

    api_key: SecretStr | None = Field(
        default_factory=secret_from_env("NEBIUS_API_KEY", default=None),
        validation_alias=AliasChoices("api_key", "nebius_api_key"),
        description=SETTINGS["api_key"],
    )
    base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("base_url", "nebius_api_base", "api_base"),
        description=SETTINGS["base_url"],
    )
    timeout: float | None = Field(
        default=None,
        validation_alias=AliasChoices("timeout", "request_timeout"),
        description=SETTINGS["timeout"],
    )
    max_retries: int | None = Field(default=None, description=SETTINGS["max_retries"])
    default_headers: dict[str, str] | None = Field(
        default=None, description=SETTINGS["default_headers"]
    )
    stream_idle_timeout: float | None = Field(
        default=None, description=SETTINGS["stream_idle_timeout"]
    )
    ai_project_id: str | None = Field(default=None, description=SETTINGS["ai_project_id"])
    http_client: Any = Field(default=None, exclude=True, description=SETTINGS["http_client"])
    http_async_client: Any = Field(
        default=None,
        exclude=True,
        validation_alias=AliasChoices("http_async_client", "async_http_client"),
        description=SETTINGS["async_http_client"],
    )

    pacing: bool | Pacing | None = None
    """Pace requests by the server's rate-limit headers (``None``, the default, or ``True``);
    ``False`` turns it off; ``Pacing(max_requests_per_minute=..., max_tokens_per_minute=...)``
    also caps by hand."""

    _clients: ClientCache = PrivateAttr(default_factory=ClientCache)

    @model_validator(mode="after")
    def _check_nebius_api_key(self) -> Self:
        if self.api_key is None or not self.api_key.get_secret_value().strip():
            raise ConfigurationError(_MISSING_KEY)
        return self

    def _settings(self) -> ClientSettings:
        # After unpickling api_key is None: the core reads NEBIUS_API_KEY (or says to set it).
        return ClientSettings.from_attributes(self, async_http_client=self.http_async_client)

    def _get_client(self) -> NebiusClient:
        """The sync client, built on first use."""
        return self._clients.sync(self._settings)

    def _get_async_client(self) -> AsyncNebiusClient:
        """The async client, built on first use; it works across event loops."""
        return self._clients.async_(self._settings)

    def __getstate__(self) -> dict[Any, Any]:
        """Pickled without the key, the headers and your HTTP clients: the unpickled object
        reads ``NEBIUS_API_KEY`` from its environment and opens its own connections."""
        state: dict[Any, Any] = super().__getstate__()
        fields = dict(state["__dict__"])
        fields.update(api_key=None, default_headers=None, http_client=None, http_async_client=None)
        state["__dict__"] = fields
        return state

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        # The user's own HTTP clients are shared by copies, never duplicated.
        memo = {} if memo is None else memo
        for shared in (self.http_client, self.http_async_client):
            if shared is not None:
                memo[id(shared)] = shared
        return super().__deepcopy__(memo)
