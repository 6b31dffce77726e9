"""Pure conversions between LangChain objects and Nebius (OpenAI-shaped) payloads. No I/O.

* LangChain messages -> chat ``messages`` dicts (text, images as ``image_url`` data URLs, tool
  calls with JSON-string arguments, tool results);
* tools and ``tool_choice`` -> the ``tools``/``tool_choice`` request fields;
* a ``ChatCompletion`` -> a ``ChatResult`` (streamed chunks are converted in :mod:`._stream`);
* API usage -> ``UsageMetadata``; text completions -> ``Generation`` objects.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, cast

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    InvalidToolCall,
    SystemMessage,
    ToolCall,
    ToolMessage,
)
from langchain_core.messages.ai import InputTokenDetails, OutputTokenDetails, UsageMetadata
from langchain_core.messages.block_translators.openai import convert_to_openai_data_block
from langchain_core.messages.content import is_data_content_block
from langchain_core.messages.tool import invalid_tool_call, tool_call
from langchain_core.messages.utils import convert_to_messages
from langchain_core.outputs import (
    ChatGeneration,
    ChatResult,
    Generation,
)
from langchain_core.prompt_values import PromptValue
from langchain_core.utils.function_calling import convert_to_openai_tool

from nebius_inference.types import (
    ChatCompletion,
    ChatCompletionMessage,
    Completion,
    Usage,
)
from nebius_inference.types import ToolCall as ApiToolCall

__all__ = [
    "PROVIDER",
    "chat_result_from_completion",
    "completion_to_generations",
    "format_content",
    "format_tool",
    "format_tool_choice",
    "headers_to_dict",
    "message_from_api",
    "message_to_dict",
    "messages_to_dicts",
    "parse_tool_calls",
    "usage_to_metadata",
]

PROVIDER = "nebius"

# Blocks of a replayed assistant message that the chat API must not receive.
_DROPPED_BLOCKS = frozenset(
    {
        "reasoning",
        "reasoning_content",
        "thinking",
        "redacted_thinking",
        "tool_use",
        "tool_call",
        "tool_call_chunk",
        "invalid_tool_call",
        "server_tool_call",
        "server_tool_result",
        "function_call",
    }
)
_ROLE_ALIASES = {"developer": "system", "human": "user", "ai": "assistant"}


# --- LangChain -> API ----------------------------------------------------------------------


def _image_part(block: Mapping[str, Any]) -> dict[str, Any] | None:
    """An ``image_url`` part from any LangChain image block form, or None if not an image."""
    kind = block.get("type")
    if kind == "image_url":
        image = block.get("image_url")
        if isinstance(image, str):
            return {"type": "image_url", "image_url": {"url": image}}
        if isinstance(image, Mapping) and image.get("url"):
            return {"type": "image_url", "image_url": dict(image)}
        raise ValueError("An image_url block needs image_url={'url': ...} or an URL string.")
    if kind != "image":
        return None
    source = block.get("source")
    if isinstance(source, Mapping):  # Anthropic style
        if source.get("type") == "base64" and source.get("data"):
            media = source.get("media_type") or "image/png"
            return {
                "type": "image_url",
                "image_url": {"url": f"data:{media};base64,{source['data']}"},
            }
        if source.get("type") == "url" and source.get("url"):
            return {"type": "image_url", "image_url": {"url": source["url"]}}
        raise ValueError("An image block's source needs type 'base64' (with data) or 'url'.")
    url = block.get("url")
    if url:
        return {"type": "image_url", "image_url": {"url": url}}
    data = block.get("base64")
    if data is None and block.get("source_type") == "base64":
        data = block.get("data")
    if data:
        mime = block.get("mime_type")
        if not mime:
            raise ValueError("A base64 image block needs a mime_type (e.g. 'image/png').")
        return {"type": "image_url", "image_url": {"url": f"data:{mime};base64,{data}"}}
    if block.get("file_id") or block.get("source_type") == "id":
        raise ValueError(
            "Nebius cannot read images by file id: send the image as base64 or as an URL."
        )
    raise ValueError("An image block needs 'url' or 'base64' (with 'mime_type').")


def format_content(content: str | list[str | dict[str, Any]], role: str) -> Any:
    """Message content in the chat API's form.

    Strings stay strings. Lists become OpenAI content parts: text stays text, every LangChain
    image form becomes an ``image_url`` part (data URLs for base64), other standard data blocks
    go through LangChain's OpenAI formatter, and blocks the API must not receive back
    (reasoning, tool calls inside content) are dropped. A list of text parts only is joined
    into one string: every backend accepts that, for every role.
    """
    if isinstance(content, str):
        return content
    parts: list[dict[str, Any]] = []
    for block in content:
        if isinstance(block, str):
            parts.append({"type": "text", "text": block})
            continue
        kind = block.get("type")
        if kind in _DROPPED_BLOCKS:
            continue
        if kind == "text":
            parts.append({"type": "text", "text": str(block.get("text", ""))})
            continue
        image = _image_part(block)
        if image is not None:
            parts.append(image)
        elif is_data_content_block(block):
            parts.append(convert_to_openai_data_block(block))
        elif kind == "non_standard" and isinstance(block.get("value"), Mapping):
            parts.append(dict(block["value"]))
        else:
            parts.append(dict(block))
    if all(part.get("type") == "text" for part in parts):
        return "".join(str(part["text"]) for part in parts)
    return parts


def _tool_call_to_dict(call: ToolCall) -> dict[str, Any]:
    return {
        "id": call["id"],
        "type": "function",
        "function": {
            "name": call["name"],
            "arguments": json.dumps(call["args"], ensure_ascii=False),
        },
    }


def _invalid_tool_call_to_dict(call: InvalidToolCall) -> dict[str, Any]:
    return {
        "id": call["id"],
        "type": "function",
        "function": {"name": call["name"], "arguments": call["args"] or ""},
    }


def message_to_dict(message: BaseMessage) -> dict[str, Any]:
    """One LangChain message as a chat API message."""
    if isinstance(message, HumanMessage):
        role = "user"
    elif isinstance(message, AIMessage):
        role = "assistant"
    elif isinstance(message, SystemMessage):
        role = "system"
    elif isinstance(message, ToolMessage):
        role = "tool"
    elif isinstance(message, ChatMessage):
        role = _ROLE_ALIASES.get(message.role, message.role)
    else:
        raise TypeError(
            f"Nebius chat cannot send a {type(message).__name__}; use HumanMessage, AIMessage, "
            "SystemMessage or ToolMessage."
        )
    result: dict[str, Any] = {"role": role, "content": format_content(message.content, role)}
    if role == "tool":
        assert isinstance(message, ToolMessage)
        result["tool_call_id"] = message.tool_call_id
        return result
    if message.name:
        result["name"] = message.name
    if isinstance(message, AIMessage):
        calls = [_tool_call_to_dict(c) for c in message.tool_calls]
        calls += [_invalid_tool_call_to_dict(c) for c in message.invalid_tool_calls]
        if not calls and isinstance(message.additional_kwargs.get("tool_calls"), list):
            calls = [
                {k: v for k, v in raw.items() if k in ("id", "type", "function")}
                for raw in message.additional_kwargs["tool_calls"]
            ]
        if calls:
            result["tool_calls"] = calls
            if not result["content"]:
                result["content"] = None
    return result


def messages_to_dicts(messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
    return [message_to_dict(m) for m in messages]


def input_to_messages(value: Any) -> list[BaseMessage]:
    """The messages of one chat model input (a prompt value, a string or a message list), as
    ``BaseChatModel`` reads it, with public langchain-core functions only."""
    if isinstance(value, PromptValue):
        return value.to_messages()
    if isinstance(value, str):
        return [HumanMessage(content=value)]
    if isinstance(value, Sequence):
        return convert_to_messages(value)
    raise TypeError(
        f"Invalid input type {type(value).__name__}: pass a prompt value, a string or a list "
        "of messages."
    )


def format_tool(tool: Any, *, strict: bool | None = None) -> dict[str, Any]:
    """Any LangChain tool form (BaseTool, function, pydantic model, TypedDict, JSON schema,
    OpenAI tool dict) as a ``tools`` entry."""
    return convert_to_openai_tool(tool, strict=strict)


def format_tool_choice(tool_choice: Any, tool_names: Sequence[str]) -> str | dict[str, Any] | None:
    """LangChain's ``tool_choice`` as the API's: a tool name -> that function; ``"any"``,
    ``"required"`` or ``True`` -> ``"required"``; ``"auto"``/``"none"`` unchanged."""
    if tool_choice is None or tool_choice is False:
        return None
    if tool_choice is True or tool_choice in ("any", "required"):
        return "required"
    if tool_choice in ("auto", "none"):
        return str(tool_choice)
    if isinstance(tool_choice, str):
        if tool_names and tool_choice not in tool_names:
            raise ValueError(
                f"tool_choice={tool_choice!r} names no bound tool; the tools are "
                f"{', '.join(tool_names)}."
            )
        return {"type": "function", "function": {"name": tool_choice}}
    if isinstance(tool_choice, Mapping):
        return dict(tool_choice)
    raise ValueError(
        f"Unsupported tool_choice {tool_choice!r}: pass a tool name, 'auto', 'none', 'any', "
        "'required', True, or an OpenAI tool_choice dict."
    )


# --- API -> LangChain ----------------------------------------------------------------------


def usage_to_metadata(usage: Usage) -> UsageMetadata:
    """API usage as LangChain ``UsageMetadata`` (reasoning tokens and cache reads included
    when the backend reports them)."""
    total = usage.total_tokens or usage.prompt_tokens + usage.completion_tokens
    metadata = cast(
        "UsageMetadata",
        {
            "input_tokens": usage.prompt_tokens,
            "output_tokens": usage.completion_tokens,
            "total_tokens": total,
        },
    )
    if usage.cached_prompt_tokens is not None:
        metadata["input_token_details"] = InputTokenDetails(cache_read=usage.cached_prompt_tokens)
    if usage.reasoning is not None:
        metadata["output_token_details"] = OutputTokenDetails(reasoning=usage.reasoning)
    return metadata


def headers_to_dict(headers: Mapping[str, str]) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in headers.items()}


def parse_tool_calls(
    raw_calls: Sequence[ApiToolCall],
) -> tuple[list[ToolCall], list[InvalidToolCall]]:
    """Tool calls with parsed arguments; calls whose arguments are not a JSON object become
    ``invalid_tool_calls`` (with the raw text and the reason) instead of raising."""
    calls: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    for raw in raw_calls:
        text = raw.function.arguments or ""
        name = raw.function.name
        try:
            args = json.loads(text, strict=False) if text.strip() else {}
        except json.JSONDecodeError as exc:
            invalid.append(
                invalid_tool_call(
                    name=name, args=text, id=raw.id, error=f"Arguments are not JSON: {exc}"
                )
            )
            continue
        if not isinstance(args, dict):
            invalid.append(
                invalid_tool_call(
                    name=name,
                    args=text,
                    id=raw.id,
                    error=f"Arguments must be a JSON object, got {type(args).__name__}.",
                )
            )
            continue
        calls.append(tool_call(name=name, args=args, id=raw.id))
    return calls, invalid


def message_from_api(message: ChatCompletionMessage) -> AIMessage:
    """A reply message as an ``AIMessage``; reasoning goes to
    ``additional_kwargs["reasoning_content"]`` (LangChain derives the standard reasoning
    content block from it)."""
    additional: dict[str, Any] = {}
    if message.reasoning_text:
        additional["reasoning_content"] = message.reasoning_text
    if message.refusal:
        additional["refusal"] = message.refusal
    calls, invalid = parse_tool_calls(message.tool_calls or [])
    return AIMessage(
        content=message.content or "",
        additional_kwargs=additional,
        tool_calls=calls,
        invalid_tool_calls=invalid,
    )


def chat_result_from_completion(
    completion: ChatCompletion,
    *,
    model: str,
    headers: Mapping[str, str] | None = None,
) -> ChatResult:
    """A ``ChatResult`` with usage and metadata (``model_name``, ``finish_reason``, ``id``,
    ``system_fingerprint``, ``logprobs``, ``model_provider``, ``headers`` if given).

    ``model`` is the requested model, used when the reply does not name one.
    """
    usage = usage_to_metadata(completion.usage) if completion.usage else None
    token_usage = completion.usage.model_dump(exclude_none=True) if completion.usage else {}
    model_name = completion.model or model
    metadata: dict[str, Any] = {
        "model_name": model_name,
        "model_provider": PROVIDER,
        "id": completion.id or None,
        "system_fingerprint": completion.system_fingerprint,
        "token_usage": token_usage,
    }
    if completion.service_tier:
        metadata["service_tier"] = completion.service_tier
    if headers is not None:
        metadata["headers"] = headers_to_dict(headers)
    generations = []
    for choice in completion.choices:
        message = message_from_api(choice.message)
        message.usage_metadata = usage
        message.response_metadata = dict(metadata)
        info: dict[str, Any] = {"finish_reason": choice.finish_reason}
        if choice.logprobs is not None:
            info["logprobs"] = choice.logprobs.model_dump(exclude_none=True)
        generations.append(ChatGeneration(message=message, generation_info=info))
    llm_output = {
        "token_usage": token_usage,
        "model_name": model_name,
        "model_provider": PROVIDER,
        "id": completion.id or None,
        "system_fingerprint": completion.system_fingerprint,
    }
    return ChatResult(generations=generations, llm_output=llm_output)


# --- text completions ----------------------------------------------------------------------


def completion_to_generations(completion: Completion, n_prompts: int, n: int) -> list[list[Any]]:
    """Split a completion's choices into ``n`` generations per prompt (choice ``i`` belongs
    to prompt ``i // n``)."""
    ordered = sorted(completion.choices, key=lambda c: c.index)
    groups: list[list[Any]] = [[] for _ in range(n_prompts)]
    for position, choice in enumerate(ordered):
        prompt = min(position // max(n, 1), n_prompts - 1)
        info: dict[str, Any] = {"finish_reason": choice.finish_reason}
        if choice.logprobs is not None:
            info["logprobs"] = choice.logprobs.model_dump(exclude_none=True)
        groups[prompt].append(Generation(text=choice.text, generation_info=info))
    return groups
