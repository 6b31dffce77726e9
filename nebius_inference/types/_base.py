"""Base classes for request and response models."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, PrivateAttr

__all__ = ["APIResponse", "FalseIfNull", "RequestModel", "ResponseModel", "ZeroIfNull"]


def _zero_if_none(value: Any) -> Any:
    return 0 if value is None else value


def _false_if_none(value: Any) -> Any:
    return False if value is None else value


# Some servers send ``null`` where the API documents a number or a flag (a token count they do
# not track, ``has_more`` on a short list): read it as the documented default.
ZeroIfNull = Annotated[int, BeforeValidator(_zero_if_none)]
FalseIfNull = Annotated[bool, BeforeValidator(_false_if_none)]


class ResponseModel(BaseModel):
    """A reply from the API. Unknown fields are kept (the live API adds some per backend)."""

    # defer_build: validators are built on first use, not at import (it halves import time).
    model_config = ConfigDict(
        extra="allow", protected_namespaces=(), populate_by_name=True, defer_build=True
    )


class APIResponse(ResponseModel):
    """A whole reply (not a part of one): it keeps the HTTP headers it came with.

    Only whole replies carry the headers slot, so the many small models inside a reply cost no
    private-attribute set-up when they are parsed."""

    _response_headers: Mapping[str, str] | None = PrivateAttr(default=None)

    @property
    def response_headers(self) -> Mapping[str, str]:
        """The HTTP headers this reply came with: rate-limit counters, ``x-request-id``, ...

        Empty for objects that did not come from the API."""
        return self._response_headers if self._response_headers is not None else {}


class RequestModel(BaseModel):
    """A request body. Unknown fields pass through to the API (``top_k``, ``guided_json``, ...).

    ``NaN`` and infinities are refused: JSON cannot carry them."""

    model_config = ConfigDict(
        extra="allow",
        protected_namespaces=(),
        populate_by_name=True,
        defer_build=True,
        allow_inf_nan=False,
        # A NaN inside a free-form field stays NaN (not ``null``), so encoding refuses it.
        ser_json_inf_nan="constants",
    )

    def to_body(self) -> dict[str, Any]:
        """The JSON body to send: unset fields are left out, extra fields are kept."""
        return self.model_dump(mode="json", exclude_none=True, by_alias=True)
