"""Structured output for :class:`~llama_index_nebius.NebiusLLM`: the request fields that
constrain the reply, the words that ask for JSON, reading the reply back, and
:class:`StructuredOutput`, the ``structured_predict`` family that ``NebiusLLM`` inherits.

The schema goes both in ``guided_json`` (older vLLM) and in ``response_format={"type":
"json_schema", ...}`` (vLLM 0.12 and later ignore ``guided_*``; SGLang and llama.cpp read only
``response_format``), so every backend constrains the reply. The reply is still validated on
our side (:func:`parse_structured`).
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncGenerator, Generator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from llama_index.core.base.llms.types import ChatMessage, MessageRole, TextBlock
from llama_index.core.instrumentation import get_dispatcher  # type: ignore[attr-defined]
from llama_index.core.instrumentation.events.llm import (
    LLMStructuredPredictEndEvent,
    LLMStructuredPredictStartEvent,
)
from llama_index.core.program.streaming_utils import process_streaming_content_incremental
from llama_index.core.prompts import BasePromptTemplate
from llama_index.core.types import PydanticProgramMode
from pydantic import BaseModel, ValidationError
from typing_extensions import override

from nebius_inference import split_think_block
from nebius_inference.types import json_schema_response_format

__all__ = [
    "CONSTRAINT_FIELDS",
    "NoToolCallError",
    "StructuredOutput",
    "StructuredOutputError",
    "complete_objects",
    "extract_json",
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

_TYPE_WORDS = {"string": "text", "boolean": "true/false", "array": "list"}


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
        kwargs["response_format"] = json_schema_response_format(schema, strict=True)
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


def complete_objects(output_cls: type[M], last: Any) -> M | list[M]:
    """The last object (or list) a FUNCTION-mode stream yielded, validated as ``output_cls``.

    LlamaIndex streams partial objects of a lenient copy of ``output_cls`` and, when the reply
    has no tool call, blank ones; so a stream that ends without a complete object raises
    :class:`StructuredOutputError`, as ``structured_predict`` does."""
    items = last if isinstance(last, list) else [last]
    try:
        done = [
            item
            if isinstance(item, output_cls)
            else output_cls.model_validate(item.model_dump(exclude_unset=True))
            for item in items
            if item is not None
        ]
    except ValidationError as exc:
        raw = json.dumps([item.model_dump(exclude_unset=True, mode="json") for item in items])
        raise StructuredOutputError(
            f"The streamed reply has no complete {output_cls.__name__} (pydantic program mode "
            f"FUNCTION): no tool call, or its arguments do not match the schema "
            f"({exc.error_count()} errors); the model may not support forced tool calls: try "
            f"the default mode. Last object: {raw[:500]}",
            raw_text=raw,
            output_cls=output_cls,
        ) from None
    if not done:
        raise StructuredOutputError(
            f"The stream ended before any {output_cls.__name__} arrived (pydantic program mode "
            f"FUNCTION); try again, or the default mode.",
            raw_text="",
            output_cls=output_cls,
        )
    return done if isinstance(last, list) else done[0]


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


# ------------------------------------------------------------------------------------------
# NebiusLLM's structured output
# ------------------------------------------------------------------------------------------

dispatcher = get_dispatcher(__name__)

if TYPE_CHECKING:
    from llama_index.core.llms.function_calling import FunctionCallingLLM
    from llama_index.core.program.utils import FlexibleModel

    _LLM = FunctionCallingLLM
else:
    _LLM = object


class StructuredOutput(_LLM):
    """:class:`~llama_index_nebius.NebiusLLM`'s structured output: in the default program mode
    the schema goes in the request (``guided_json`` and a ``json_schema`` response format) and
    the reply is validated here (:class:`StructuredOutputError` if it does not match); in the
    other modes LlamaIndex's own programs run, and a reply without the tool call raises
    :class:`StructuredOutputError` too."""

    def _uses_guided_json(self) -> bool:
        return self.pydantic_program_mode == PydanticProgramMode.DEFAULT

    def _structured_call(
        self,
        output_cls: type[BaseModel],
        prompt: BasePromptTemplate,
        llm_kwargs: dict[str, Any] | None,
        prompt_args: dict[str, Any],
    ) -> tuple[list[ChatMessage], dict[str, Any]]:
        """Messages and kwargs for a structured call: the schema goes both in ``guided_json``
        and in a ``json_schema`` response format (unless ``llm_kwargs`` sets its own), and no
        ``tools``/``tool_choice`` are sent."""
        schema = output_cls.model_json_schema()
        messages = self._extend_messages(prompt.format_messages(**prompt_args))
        return with_schema_instruction(messages, schema), structured_kwargs(schema, llm_kwargs)

    @override
    def structured_predict(
        self,
        output_cls: type[M],
        prompt: BasePromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> M:
        """Predict an ``output_cls`` instance; raises :class:`StructuredOutputError` (with the
        raw text) when the reply does not validate."""
        if not self._uses_guided_json():
            try:
                predicted: M = super().structured_predict(
                    output_cls, prompt, llm_kwargs, **prompt_args
                )
            except NoToolCallError as exc:
                raise exc.structured(output_cls) from None
            return predicted
        _start_event(output_cls, prompt, prompt_args)
        messages, kwargs = self._structured_call(output_cls, prompt, llm_kwargs, prompt_args)
        result = parse_structured(output_cls, self.chat(messages, **kwargs).message.content or "")
        dispatcher.event(LLMStructuredPredictEndEvent(output=result))
        return result

    @override
    async def astructured_predict(
        self,
        output_cls: type[M],
        prompt: BasePromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> M:
        """Async twin of :meth:`structured_predict`."""
        if not self._uses_guided_json():
            try:
                apredicted: M = await super().astructured_predict(
                    output_cls, prompt, llm_kwargs, **prompt_args
                )
            except NoToolCallError as exc:
                raise exc.structured(output_cls) from None
            return apredicted
        _start_event(output_cls, prompt, prompt_args)
        messages, kwargs = self._structured_call(output_cls, prompt, llm_kwargs, prompt_args)
        reply = await self.achat(messages, **kwargs)
        result = parse_structured(output_cls, reply.message.content or "")
        dispatcher.event(LLMStructuredPredictEndEvent(output=result))
        return result

    @override
    def _structured_stream_call(
        self,
        output_cls: type[M],
        prompt: BasePromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Generator[M | list[M] | FlexibleModel | list[FlexibleModel], None, None]:
        if not self._uses_guided_json():
            partials = super()._structured_stream_call(
                output_cls,
                prompt,  # type: ignore[arg-type]
                llm_kwargs,
                **prompt_args,
            )

            def checked() -> Generator[Any, None, None]:
                last: Any = None
                for last in partials:
                    yield last
                final = complete_objects(output_cls, last)
                if final != last:
                    yield final

            return checked()
        messages, kwargs = self._structured_call(output_cls, prompt, llm_kwargs, prompt_args)
        responses = self.stream_chat(messages, **kwargs)

        def gen() -> Generator[M | FlexibleModel, None, None]:
            current: M | FlexibleModel | None = None
            text = ""
            for response in responses:
                text = response.message.content or ""
                current = process_streaming_content_incremental(response, output_cls, current)
                yield current
            final = parse_structured(output_cls, text)
            if final != current:
                yield final

        return gen()

    @override
    async def _structured_astream_call(
        self,
        output_cls: type[M],
        prompt: BasePromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> AsyncGenerator[M | list[M] | FlexibleModel | list[FlexibleModel], None]:
        if not self._uses_guided_json():
            apartials = await super()._structured_astream_call(
                output_cls,
                prompt,  # type: ignore[arg-type]
                llm_kwargs,
                **prompt_args,
            )

            async def achecked() -> AsyncGenerator[Any, None]:
                last: Any = None
                async for last in apartials:
                    yield last
                final = complete_objects(output_cls, last)
                if final != last:
                    yield final

            return achecked()
        messages, kwargs = self._structured_call(output_cls, prompt, llm_kwargs, prompt_args)
        responses = await self.astream_chat(messages, **kwargs)

        async def gen() -> AsyncGenerator[M | FlexibleModel, None]:
            current: M | FlexibleModel | None = None
            text = ""
            async for response in responses:
                text = response.message.content or ""
                current = process_streaming_content_incremental(response, output_cls, current)
                yield current
            final = parse_structured(output_cls, text)
            if final != current:
                yield final

        return gen()


def _start_event(
    output_cls: type[BaseModel], prompt: BasePromptTemplate, prompt_args: dict[str, Any]
) -> None:
    dispatcher.event(
        LLMStructuredPredictStartEvent(
            output_cls=output_cls, template=prompt, template_args=prompt_args
        )
    )
