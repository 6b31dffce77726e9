"""Structured-output requests for :class:`~llama_index_nebius.NebiusLLM`: the request fields
that constrain the reply, and the words that ask for JSON.

The schema goes both in ``guided_json`` (older vLLM) and in ``response_format={"type":
"json_schema", ...}`` (vLLM 0.12 and later ignore ``guided_*``; SGLang and llama.cpp read only
``response_format``), so every backend constrains the reply. The reply is still validated on
our side (:func:`parse_structured`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar

from llama_index.core.base.llms.types import ChatMessage, MessageRole, TextBlock
from pydantic import BaseModel, ValidationError

from nebius_inference import split_think_block

__all__ = [
    "CONSTRAINT_FIELDS",
    "NoToolCallError",
    "StructuredOutputError",
    "extract_json",
    "json_schema_format",
    "parse_structured",
    "structured_kwargs",
    "with_schema_instruction",
]

# Request fields that constrain the reply; a caller who sets one of them keeps it as given.
CONSTRAINT_FIELDS = (
    "response_format",
    "guided_json",
    "guided_regex",
    "guided_choice",
    "guided_grammar",
)

M = TypeVar("M", bound=BaseModel)

_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_TYPE_WORDS = {"string": "text", "boolean": "true/false", "array": "list"}


def json_schema_format(schema: Mapping[str, Any], *, strict: bool | None) -> dict[str, Any]:
    """``response_format`` asking for JSON that matches ``schema``: ``{"type": "json_schema",
    "json_schema": {"name", "schema", "strict"}}`` (``strict`` left out when ``None``); the
    name is the schema's title with only the characters OpenAI-style servers accept."""
    name = _NAME_UNSAFE.sub("_", str(schema.get("title") or "")).strip("_")[:64] or "output"
    spec: dict[str, Any] = {"name": name, "schema": dict(schema)}
    if strict is not None:
        spec["strict"] = strict
    return {"type": "json_schema", "json_schema": spec}


def structured_kwargs(
    schema: dict[str, Any], llm_kwargs: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The call's keyword arguments for structured output: ``llm_kwargs`` without ``tools``
    and ``tool_choice``, plus the schema as ``guided_json`` and as a ``json_schema`` response
    format, unless ``llm_kwargs`` (or its ``extra_body``) sets a constraint of its own
    (:data:`CONSTRAINT_FIELDS`), which is then sent as given."""
    kwargs = {k: v for k, v in (llm_kwargs or {}).items() if k not in ("tool_choice", "tools")}
    extra = kwargs.get("extra_body")
    layers = [kwargs, extra] if isinstance(extra, Mapping) else [kwargs]
    if not any(name in layer for name in CONSTRAINT_FIELDS for layer in layers):
        kwargs["guided_json"] = schema
        kwargs["response_format"] = json_schema_format(schema, strict=True)
    return kwargs


def _kind(spec: Any) -> str:
    if not isinstance(spec, Mapping):
        return "any"
    if isinstance(spec.get("enum"), list):
        return "one of " + "/".join(str(v) for v in spec["enum"])
    kind = spec.get("type")
    if isinstance(kind, str):
        return _TYPE_WORDS.get(kind, kind)
    return "object" if "$ref" in spec else "any"


def with_schema_instruction(
    messages: list[ChatMessage], schema: Mapping[str, Any]
) -> list[ChatMessage]:
    """Ask for JSON in words too, for a backend that constrains nothing: appended to the first
    system message, or as a new one at the start. The fields are named in prose, not given as
    a JSON schema, which small models copy back instead of answering."""
    properties = schema.get("properties")
    fields = ""
    if isinstance(properties, Mapping) and properties:
        fields = ", ".join(f"{name} ({_kind(spec)})" for name, spec in properties.items())
    note = "Answer with a single JSON object and nothing else" + (
        f"; its fields: {fields}." if fields else "."
    )
    out = list(messages)
    if out and out[0].role == MessageRole.SYSTEM:
        first = out[0]
        out[0] = ChatMessage(
            role=MessageRole.SYSTEM,
            blocks=[*first.blocks, TextBlock(text=note)],
            additional_kwargs=dict(first.additional_kwargs),
        )
    else:
        out.insert(0, ChatMessage(role=MessageRole.SYSTEM, content=note))
    return out


class NoToolCallError(ValueError):
    """A reply without the tool call that was asked for (``raw_text`` keeps the reply)."""

    def __init__(self, raw_text: str) -> None:
        super().__init__(
            f"Expected at least one tool call, but the reply had none: {raw_text[:200]!r}"
        )
        self.raw_text = raw_text

    def structured(self, output_cls: type[BaseModel]) -> StructuredOutputError:
        """The error ``structured_predict`` raises for it (function-calling program mode)."""
        shown = self.raw_text[:500]
        return StructuredOutputError(
            f"The model's reply has no tool call to {output_cls.__name__} (pydantic program "
            f"mode FUNCTION); the model may not support forced tool calls: try the default "
            f"mode. Raw reply: {shown!r}",
            raw_text=self.raw_text,
            output_cls=output_cls,
        )


# ------------------------------------------------------------------------------------------
# Reading the reply
# ------------------------------------------------------------------------------------------


_FENCE = re.compile(r"^\s*```(?:json|JSON)?\s*\n?(.*?)\n?\s*```\s*$", re.DOTALL)


def extract_json(text: str) -> str:
    """The JSON in a reply: the text itself, the inside of a ```json fence, or the span from
    the first ``{`` to the last ``}``; reasoning written before it (``<think>...</think>``) is
    skipped."""
    stripped = split_think_block(text)[1].strip()
    fenced = _FENCE.match(stripped)
    if fenced:
        return fenced.group(1).strip()
    if stripped.startswith(("{", "[")):
        return stripped
    start, end = stripped.find("{"), stripped.rfind("}")
    if 0 <= start < end:
        return stripped[start : end + 1]
    return stripped


class StructuredOutputError(ValueError):
    """The model's reply is not a valid instance of the requested schema.

    ``raw_text`` keeps the reply as the model sent it (some backends ignore ``guided_json``).
    """

    def __init__(self, message: str, *, raw_text: str, output_cls: type[BaseModel]) -> None:
        super().__init__(message)
        self.raw_text = raw_text
        self.output_cls = output_cls


def parse_structured(output_cls: type[M], text: str) -> M:
    """Validate a structured reply against ``output_cls``, or raise
    :class:`StructuredOutputError` with the raw text."""
    try:
        return output_cls.model_validate_json(extract_json(text))
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "reply"
        shown = text if len(text) <= 500 else text[:500] + "..."
        raise StructuredOutputError(
            f"The model's reply is not a valid {output_cls.__name__} ({where}: {first['msg']}). "
            f"Raw reply: {shown!r}",
            raw_text=text,
            output_cls=output_cls,
        ) from None
