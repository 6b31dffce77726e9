"""Errors in the FastAPI style the live API uses: ``{"detail": ...}``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

__all__ = [
    "EmulatorError",
    "bad_request",
    "not_found",
    "parse_body",
    "parse_json_bytes",
    "validation_error",
]

_M = TypeVar("_M", bound=BaseModel)


class EmulatorError(Exception):
    """An HTTP error reply: ``status`` with body ``{"detail": detail}``."""

    def __init__(self, status: int, detail: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail if isinstance(detail, str) else json.dumps(detail))
        self.status = status
        self.detail = detail
        self.headers = dict(headers or {})

    @property
    def message(self) -> str:
        """A one-line human-readable message for the error."""
        if isinstance(self.detail, str):
            return self.detail
        if isinstance(self.detail, list) and self.detail and isinstance(self.detail[0], dict):
            first = self.detail[0]
            loc = ".".join(str(part) for part in first.get("loc", []))
            return f"{loc}: {first.get('msg', '')}"
        return json.dumps(self.detail)

    @property
    def code(self) -> str:
        """A short error code derived from the status."""
        return {
            400: "bad_request",
            401: "unauthorized",
            404: "not_found",
            409: "conflict",
            422: "validation_error",
            429: "rate_limited",
        }.get(self.status, "server_error")


def bad_request(detail: str) -> EmulatorError:
    """Return a 400 error with a string detail."""
    return EmulatorError(400, detail)


def not_found(detail: str) -> EmulatorError:
    """Return a 404 error with a string detail."""
    return EmulatorError(404, detail)


def validation_error(
    loc: Sequence[str | int],
    msg: str,
    type_: str = "value_error",
    input_: Any = None,
) -> EmulatorError:
    """Return a 422 error with one FastAPI-style validation item."""
    item: dict[str, Any] = {"type": type_, "loc": list(loc), "msg": msg}
    if input_ is not None:
        item["input"] = input_
    return EmulatorError(422, [item])


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return str(value)


def _from_pydantic(exc: ValidationError, prefix: Sequence[str | int]) -> EmulatorError:
    items = []
    for error in exc.errors(include_url=False):
        item: dict[str, Any] = {
            "type": error["type"],
            "loc": [*prefix, *error["loc"]],
            "msg": error["msg"],
            "input": _jsonable(error.get("input")),
        }
        if "ctx" in error:
            item["ctx"] = _jsonable(error["ctx"])
        items.append(item)
    return EmulatorError(422, items)


def parse_body(model: type[_M], data: Any, prefix: Sequence[str | int] = ("body",)) -> _M:
    """Validate ``data`` with ``model``, raising a 422 :class:`EmulatorError` on failure."""
    if data is None:
        raise validation_error(list(prefix), "Field required", "missing")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _from_pydantic(exc, prefix) from None


def parse_json_bytes(raw: bytes) -> Any:
    """Decode a JSON request body, raising a FastAPI-style 422 on invalid JSON."""
    if not raw.strip():
        raise validation_error(["body"], "Field required", "missing")
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        pos = exc.pos if isinstance(exc, json.JSONDecodeError) else 0
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "invalid UTF-8"
        raise EmulatorError(
            422,
            [
                {
                    "type": "json_invalid",
                    "loc": ["body", pos],
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": reason},
                }
            ],
        ) from None
