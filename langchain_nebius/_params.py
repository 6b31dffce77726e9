"""What ``ChatNebius`` and ``NebiusLLM`` both do with their parameters: the request body's
fields, the per-call transport options, and the parameters LangSmith records. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from langchain_core.language_models import LangSmithParams

__all__ = ["CALL_OPTIONS", "body_fields", "call_options", "langsmith_params"]

# Per-call keyword arguments that are transport options, not body fields.
CALL_OPTIONS = ("extra_headers", "extra_query", "timeout")


def call_options(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The per-call transport options among ``kwargs`` that are set."""
    return {name: kwargs[name] for name in CALL_OPTIONS if kwargs.get(name) is not None}


def body_fields(
    params: Mapping[str, Any],
    stop: list[str] | None,
    extra_body: Mapping[str, Any] | None,
    not_body: tuple[str, ...],
) -> dict[str, Any]:
    """The body fields from ``params`` (the constructor's, then the call's): transport options
    and ``not_body`` left out, ``stop`` (when given) winning and dropped when empty, then
    ``extra_body`` (the constructor's, then the call's) merged in."""
    fields = dict(params)
    for name in (*CALL_OPTIONS, *not_body):
        fields.pop(name, None)
    if stop is not None:
        fields["stop"] = stop
    if not fields.get("stop"):
        fields.pop("stop", None)
    extra = {**(extra_body or {}), **(fields.pop("extra_body", None) or {})}
    return {**fields, **extra}


def langsmith_params(
    params: Mapping[str, Any],
    stop: list[str] | None,
    model_name: str,
    model_type: Literal["chat", "llm"],
) -> LangSmithParams:
    """What LangSmith records of a call with ``params``."""
    ls_params = LangSmithParams(
        ls_provider="nebius",
        ls_model_name=str(params.get("model") or model_name),
        ls_model_type=model_type,
    )
    if (temperature := params.get("temperature")) is not None:
        ls_params["ls_temperature"] = temperature
    max_tokens = params.get("max_tokens") or params.get("max_completion_tokens")
    if max_tokens is not None:
        ls_params["ls_max_tokens"] = max_tokens
    if stop_value := stop or params.get("stop"):
        ls_params["ls_stop"] = [stop_value] if isinstance(stop_value, str) else stop_value
    return ls_params
