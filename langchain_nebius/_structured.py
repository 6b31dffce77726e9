"""Structured output for :class:`~langchain_nebius.ChatNebius`.

Four methods:

* ``guided_json`` (the default): the schema goes both in ``guided_json`` (older vLLM) and in
  ``response_format={"type": "json_schema", ...}`` (vLLM 0.12 and later ignore ``guided_*``;
  SGLang and llama.cpp read only ``response_format``), so every backend constrains the reply;
* ``json_schema``: ``response_format={"type": "json_schema", "json_schema": {...}}``;
* ``json_mode``: ``response_format={"type": "json_object"}`` only (say in the prompt what to
  return);
* ``function_calling``: the schema as a forced tool call.

Some backends ignore ``guided_json`` or ``json_schema`` silently, so the reply is always checked
here: a reply that is not JSON, or does not match the schema, raises an
``OutputParserException`` whose ``llm_output`` keeps the raw text (with ``include_raw=True`` it
goes to ``parsing_error`` instead). With ``function_calling``, a reply without the tool call, or
whose arguments break the schema, raises the same exception. When streaming, partial dicts (or
pydantic objects, once they validate) are yielded as the JSON grows, and the complete reply is
checked at the end.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator, Mapping
from json import JSONDecodeError
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Literal

import pydantic
import pydantic.v1
from langchain_core.exceptions import ModelRefusalError, OutputParserException
from langchain_core.messages import AIMessage, BaseMessage, BaseMessageChunk
from langchain_core.output_parsers.openai_tools import (
    JsonOutputKeyToolsParser,
    PydanticToolsParser,
)
from langchain_core.output_parsers.transform import BaseCumulativeTransformOutputParser
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, Generation, GenerationChunk
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from langchain_core.utils.function_calling import convert_to_json_schema, convert_to_openai_tool
from langchain_core.utils.json import parse_json_markdown
from langchain_core.utils.pydantic import is_basemodel_subclass
from pydantic import BaseModel
from typing_extensions import override

from nebius_inference import split_think_block
from nebius_inference.types import json_schema_response_format

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel, LanguageModelInput

__all__ = [
    "METHODS",
    "StructuredMethod",
    "check_json_schema",
    "structured_output",
]

StructuredMethod = Literal["guided_json", "json_schema", "json_mode", "function_calling"]
METHODS: tuple[str, ...] = ("guided_json", "json_schema", "json_mode", "function_calling")

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}


def _type_matches(value: Any, kind: str) -> bool:
    if kind in ("integer", "number") and isinstance(value, bool):
        return False
    if kind == "integer" and isinstance(value, float):
        return value.is_integer()
    types = _JSON_TYPES.get(kind)
    return types is None or isinstance(value, types)


def check_json_schema(value: Any, schema: Any, path: str = "$") -> list[str]:
    """The ways ``value`` breaks ``schema`` (a practical subset of JSON Schema: ``type``,
    ``required``, ``properties``, ``items``, ``enum``, ``anyOf``/``oneOf``; ``$ref`` and other
    keywords are not checked). Empty when it matches."""
    if not isinstance(schema, Mapping):
        return []
    alternatives = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(alternatives, list) and alternatives:
        results = [check_json_schema(value, alt, path) for alt in alternatives]
        if all(results):
            return [f"{path}: matches none of the allowed shapes ({results[0][0]})"]
        return []
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if isinstance(kind, str) else []
    if kinds and not any(_type_matches(value, k) for k in kinds):
        return [f"{path}: expected {' or '.join(kinds)}, got {type(value).__name__}"]
    if "enum" in schema and isinstance(schema["enum"], list) and value not in schema["enum"]:
        return [f"{path}: {value!r} is not one of {schema['enum']!r}"]
    problems: list[str] = []
    if isinstance(value, dict):
        required = schema.get("required")
        if isinstance(required, list):
            problems += [f"{path}: missing required key {k!r}" for k in required if k not in value]
        properties = schema.get("properties")
        if isinstance(properties, Mapping):
            for key, sub in properties.items():
                if key in value:
                    problems += check_json_schema(value[key], sub, f"{path}.{key}")
    elif isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for i, item in enumerate(value):
            problems += check_json_schema(item, schema["items"], f"{path}[{i}]")
    return problems


def _accumulate(chunks: list[Any]) -> Generation | None:
    if len(chunks) == 1 and isinstance(chunks[0], BaseMessage):
        # A model that does not stream (``streaming=False``, ``disable_streaming``) hands the
        # parser its whole reply; keep it whole, tool calls included.
        return ChatGeneration(message=chunks[0])
    total: GenerationChunk | ChatGenerationChunk | None = None
    for chunk in chunks:
        if isinstance(chunk, BaseMessageChunk):
            part: GenerationChunk | ChatGenerationChunk = ChatGenerationChunk(message=chunk)
        elif isinstance(chunk, BaseMessage):
            part = ChatGenerationChunk(message=BaseMessageChunk(**chunk.model_dump()))
        else:
            part = GenerationChunk(text=str(chunk))
        total = part if total is None else total + part  # type: ignore[operator]
    return total


class _FinalCheck:
    """Streams like the parent parser, then parses the whole reply strictly (raising if it is
    not valid), and yields that final value if it differs from the last partial one."""

    def _transform(self, input: Iterator[Any]) -> Iterator[Any]:
        seen: list[Any] = []

        def record() -> Iterator[Any]:
            for chunk in input:
                seen.append(chunk)
                yield chunk

        last = None
        for value in super()._transform(record()):  # type: ignore[misc]
            last = value
            yield value
        whole = _accumulate(seen)
        if whole is not None:
            final = self.parse_result([whole], partial=False)  # type: ignore[attr-defined]
            if final != last:
                yield final

    async def _atransform(self, input: AsyncIterator[Any]) -> AsyncIterator[Any]:
        seen: list[Any] = []

        async def record() -> AsyncIterator[Any]:
            async for chunk in input:
                seen.append(chunk)
                yield chunk

        last = None
        async for value in super()._atransform(record()):  # type: ignore[misc]
            last = value
            yield value
        whole = _accumulate(seen)
        if whole is not None:
            final = self.parse_result([whole], partial=False)  # type: ignore[attr-defined]
            if final != last:
                yield final


class _JsonParser(_FinalCheck, BaseCumulativeTransformOutputParser[Any]):
    """Parses the reply as JSON (partial JSON while streaming). A refusal raises
    ``ModelRefusalError``; text that is not JSON raises ``OutputParserException``."""

    @override
    def parse_result(self, result: list[Generation], *, partial: bool = False) -> Any:
        if isinstance(result[0], ChatGeneration):
            refusal = result[0].message.additional_kwargs.get("refusal")
            if refusal:
                raise ModelRefusalError(
                    f"The model refused: {refusal}", raw_message=result[0].message
                )
        # The answer follows any reasoning the model wrote into its reply.
        text = split_think_block(result[0].text)[1].strip()
        try:
            return parse_json_markdown(text)
        except JSONDecodeError as exc:
            if partial:
                return None
            raise OutputParserException(
                f"The model's reply is not JSON: {text[:500]}", llm_output=text
            ) from exc

    @override
    def parse(self, text: str) -> Any:
        return self.parse_result([Generation(text=text)])

    @property
    @override
    def _type(self) -> str:
        return "nebius_json"


def _raw_reply(result: list[Generation]) -> str:
    """What the model sent: its text, else the arguments of a tool call that did not parse."""
    text = result[0].text
    message = getattr(result[0], "message", None)
    if not text and isinstance(message, AIMessage) and message.invalid_tool_calls:
        return str(message.invalid_tool_calls[0].get("args") or "")
    return text


def _no_tool_call(result: list[Generation], name: str) -> OutputParserException:
    raw = _raw_reply(result)
    message = getattr(result[0], "message", None)
    broken = isinstance(message, AIMessage) and bool(message.invalid_tool_calls)
    what = "a tool call whose arguments are not JSON" if broken else "no tool call"
    return OutputParserException(
        f"The model's reply has {what} to {name!r} (method='function_calling'); "
        f"the model may not support forced tool calls: try method='guided_json'. "
        f"Reply: {raw[:500]}",
        llm_output=raw,
    )


class _ToolsParser(_FinalCheck, PydanticToolsParser):
    """``PydanticToolsParser`` that also yields the final object when the model did not
    stream (langchain-core's parser yields nothing for a whole ``AIMessage``), and raises
    ``OutputParserException`` (not ``None`` or a bare ``ValidationError``) for a reply without
    the tool call or with arguments that break the schema."""

    @override
    def parse_result(self, result: list[Generation], *, partial: bool = False) -> Any:
        name = self.tools[0].__name__
        try:
            value = super().parse_result(result, partial=partial)
        except (OutputParserException, ModelRefusalError):
            raise
        except (pydantic.ValidationError, pydantic.v1.ValidationError, ValueError) as exc:
            raw = _raw_reply(result)
            if isinstance(result[0], ChatGeneration) and isinstance(result[0].message, AIMessage):
                calls = result[0].message.tool_calls
                raw = json.dumps(calls[0]["args"]) if calls else raw
            raise OutputParserException(
                f"The model's tool call does not match {name}: {exc}. Arguments: {raw[:500]}",
                llm_output=raw,
            ) from exc
        if value is None and not partial:
            raise _no_tool_call(result, name)
        return value


class _KeyToolsParser(_FinalCheck, JsonOutputKeyToolsParser):
    """``JsonOutputKeyToolsParser`` with the same final check, and the arguments checked
    against the JSON schema."""

    json_schema: dict[str, Any]

    @override
    def parse_result(self, result: list[Generation], *, partial: bool = False) -> Any:
        value = super().parse_result(result, partial=partial)
        if partial:
            return value
        if value is None:
            raise _no_tool_call(result, self.key_name)
        problems = check_json_schema(value, self.json_schema)
        if problems:
            raw = json.dumps(value)
            raise OutputParserException(
                f"The model's tool call does not match the schema {self.key_name!r}: "
                f"{'; '.join(problems[:5])}. Arguments: {raw[:500]}",
                llm_output=raw,
            )
        return value


class _SchemaJsonOutputParser(_JsonParser):
    """JSON output checked against a JSON schema (for dict and TypedDict schemas)."""

    json_schema: dict[str, Any]

    @override
    def parse_result(self, result: list[Generation], *, partial: bool = False) -> Any:
        value = super().parse_result(result, partial=partial)
        if partial:
            return value
        problems = check_json_schema(value, self.json_schema)
        if problems:
            text = result[0].text
            raise OutputParserException(
                "The model's reply does not match the schema "
                f"{self.json_schema.get('title', '')!r}: {'; '.join(problems[:5])}. "
                f"Reply: {text[:500]}",
                llm_output=text,
            )
        return value


class _CheckedPydanticOutputParser(_JsonParser):
    """JSON output validated into a pydantic model (v2 or v1). While streaming, partial
    replies yield an object only once they validate; the whole reply is validated at the end."""

    model_class: Any

    @override
    def parse_result(self, result: list[Generation], *, partial: bool = False) -> Any:
        value = super().parse_result(result, partial=partial)
        if value is None and partial:
            return None
        try:
            if issubclass(self.model_class, BaseModel):
                return self.model_class.model_validate(value)
            return self.model_class.parse_obj(value)
        except (pydantic.ValidationError, pydantic.v1.ValidationError) as exc:
            if partial:
                return None
            text = result[0].text
            raise OutputParserException(
                f"The model's reply does not match {self.model_class.__name__}: {exc}. "
                f"Reply: {text[:500]}",
                llm_output=text,
            ) from exc


def _json_schema(schema: Any) -> dict[str, Any]:
    try:
        return convert_to_json_schema(schema)
    except ValueError:
        if isinstance(schema, Mapping):
            return dict(schema)
        raise


def structured_output(
    llm: BaseChatModel,
    schema: Any,
    *,
    method: str,
    include_raw: bool,
    strict: bool | None,
    kwargs: dict[str, Any],
) -> Runnable[LanguageModelInput, Any]:
    """The runnable ``ChatNebius.with_structured_output`` returns."""
    if method not in METHODS:
        raise ValueError(f"Unknown method {method!r}: use one of {', '.join(METHODS)}.")
    if schema is None and method != "json_mode":
        raise ValueError(f"method={method!r} needs a schema; json_mode works without one.")
    if strict is not None and method == "json_mode":
        raise ValueError("strict cannot be used with method='json_mode'.")
    is_pydantic = isinstance(schema, type) and is_basemodel_subclass(schema)
    json_schema = _json_schema(schema) if schema is not None else None
    format_info = {
        "ls_structured_output_format": {
            "kwargs": {"method": method, "strict": strict},
            "schema": schema,
        }
    }
    parser: Runnable[Any, Any]
    if method == "function_calling":
        tool = convert_to_openai_tool(schema, strict=strict)
        name = tool["function"]["name"]
        bound = llm.bind_tools([tool], tool_choice=name, strict=strict, **format_info, **kwargs)
        if is_pydantic:
            parser = _ToolsParser(tools=[schema], first_tool_only=True)
        else:
            parameters = tool["function"].get("parameters") or {}
            parser = _KeyToolsParser(key_name=name, first_tool_only=True, json_schema=parameters)
    else:
        if method == "guided_json":
            assert json_schema is not None
            body: dict[str, Any] = {
                "guided_json": json_schema,
                "response_format": json_schema_response_format(
                    json_schema, strict=True if strict is None else strict
                ),
            }
        elif method == "json_schema":
            assert json_schema is not None
            body = {"response_format": json_schema_response_format(json_schema, strict=strict)}
        else:
            body = {"response_format": {"type": "json_object"}}
        bound = llm.bind(**body, **format_info, **kwargs)
        if is_pydantic:
            parser = _CheckedPydanticOutputParser(model_class=schema)
        else:
            parser = _SchemaJsonOutputParser(json_schema=json_schema or {})
    if not include_raw:
        return bound | parser
    assign_parsed = RunnablePassthrough.assign(
        parsed=itemgetter("raw") | parser, parsing_error=lambda _: None
    )
    assign_none = RunnablePassthrough.assign(parsed=lambda _: None)
    with_fallback = assign_parsed.with_fallbacks([assign_none], exception_key="parsing_error")
    return RunnableMap(raw=bound) | with_fallback
