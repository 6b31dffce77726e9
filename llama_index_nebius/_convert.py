"""Pure conversions between LlamaIndex objects and Nebius (OpenAI-shaped) request/response
data. No I/O here except reading a local image file named by an ``ImageBlock``.

LlamaIndex 0.14 keeps tool calls as ``ToolCallBlock`` in ``ChatMessage.blocks`` and reasoning
as ``ThinkingBlock``; older code put tool calls in ``additional_kwargs["tool_calls"]``. We read
both and write both (blocks first; the plain-dict ``tool_calls`` for older consumers).
"""

from __future__ import annotations

import base64
import json
import mimetypes
from collections.abc import Mapping, Sequence
from typing import Any

from llama_index.core.base.llms.types import (
    AudioBlock,
    CachePoint,
    ChatMessage,
    ChatResponse,
    CitableBlock,
    CitationBlock,
    ContentBlock,
    DocumentBlock,
    ImageBlock,
    LogProb,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.llms.utils import parse_partial_json

from nebius_inference.accumulate import new_call_id
from nebius_inference.types import (
    ChatCompletion,
    ChatCompletionMessage,
    Logprobs,
    Usage,
)

__all__ = [
    "CALL_OPTIONS",
    "chat_response_from_completion",
    "image_to_part",
    "logprobs_from_nebius",
    "merge_body",
    "message_from_nebius",
    "parse_arguments",
    "resolve_tool_choice",
    "to_nebius_message",
    "to_nebius_messages",
    "tool_call_dict",
    "tool_selections",
    "usage_kwargs",
]

#: Per-call options of the core client: they travel next to the body, not in it.
CALL_OPTIONS = ("extra_headers", "extra_query", "timeout")

_ROLES: dict[MessageRole, str] = {
    MessageRole.SYSTEM: "system",
    MessageRole.DEVELOPER: "system",  # Nebius has no developer role
    MessageRole.USER: "user",
    MessageRole.ASSISTANT: "assistant",
    MessageRole.TOOL: "tool",
    MessageRole.FUNCTION: "tool",
    MessageRole.CHATBOT: "assistant",
    MessageRole.MODEL: "assistant",
}

_DEFAULT_IMAGE_MIME = "image/png"


# ------------------------------------------------------------------------------------------
# Requests
# ------------------------------------------------------------------------------------------


def merge_body(*layers: Mapping[str, Any] | None) -> dict[str, Any]:
    """Merge body layers, later ones winning key by key.

    Each layer's ``extra_body`` is flattened into that layer first, so a per-call
    ``extra_body`` beats a constructor default, and ``None`` values unset a key.
    """
    body: dict[str, Any] = {}
    for layer in layers:
        if not layer:
            continue
        flat = dict(layer)
        extra = flat.pop("extra_body", None) or {}
        for key, value in {**dict(extra), **flat}.items():
            if value is None:
                body.pop(key, None)
            else:
                body[key] = value
    return body


def image_to_part(block: ImageBlock) -> dict[str, Any]:
    """An ``image_url`` content part: remote URLs as they are, local bytes or files as a
    base64 data URL."""
    if block.url is not None and not block.image and block.path is None:
        url = str(block.url)
    else:
        if block.image is None and block.path is None:
            raise ValueError("An ImageBlock needs image bytes, a path or a URL.")
        data = block.resolve_image(as_base64=True).read().decode("ascii")
        mime = block.image_mimetype or _guess_image_mime(data) or _DEFAULT_IMAGE_MIME
        url = f"data:{mime};base64,{data}"
    image_url: dict[str, Any] = {"url": url}
    if block.detail:
        image_url["detail"] = block.detail
    return {"type": "image_url", "image_url": image_url}


def _guess_image_mime(b64: str) -> str | None:
    head = base64.b64decode(b64[:64] + "=" * (-len(b64[:64]) % 4), validate=False)
    signatures = {
        b"\x89PNG": "image/png",
        b"\xff\xd8\xff": "image/jpeg",
        b"GIF8": "image/gif",
    }
    for magic, mime in signatures.items():
        if head.startswith(magic):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def _document_mime(block: DocumentBlock) -> str:
    """The block's MIME type: as given, else LlamaIndex's own guess (a private method, so
    guarded), else a guess from its path, URL or title."""
    if block.document_mimetype:
        return block.document_mimetype
    guess = getattr(block, "_guess_mimetype", None)
    if callable(guess):
        found = guess()
        if isinstance(found, str) and found:
            return found
    for name in (block.path, block.url, block.title):
        if name:
            found = mimetypes.guess_type(str(name))[0]
            if found:
                return found
    return ""


def _document_text(block: DocumentBlock) -> str:
    mime = _document_mime(block)
    if not mime.startswith("text/") and mime not in ("application/json", "application/xml"):
        raise ValueError(
            f"Nebius chat models take text and images; a {mime or 'binary'} DocumentBlock "
            "cannot be sent. Extract its text first (for example with a LlamaIndex reader)."
        )
    raw = block.resolve_document().read()
    text = raw.decode("utf-8", errors="replace")
    return f"{block.title}:\n{text}" if block.title else text


def _flatten(blocks: Sequence[Any]) -> list[Any]:
    """Unwrap citable and citation blocks into the text/image blocks they hold."""
    flat: list[Any] = []
    for block in blocks:
        if isinstance(block, CitableBlock):
            flat.extend(_flatten(block.content))
        elif isinstance(block, CitationBlock):
            flat.extend(_flatten([block.cited_content]))
        else:
            flat.append(block)
    return flat


def tool_call_dict(call_id: str | None, name: str, arguments: Any) -> dict[str, Any]:
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments)
    return {
        "id": call_id or _new_call_id(),
        "type": "function",
        "function": {"name": name, "arguments": arguments},
    }


def _legacy_tool_calls(message: ChatMessage) -> list[dict[str, Any]]:
    """``additional_kwargs["tool_calls"]`` as dicts (they may be dicts or SDK objects)."""
    calls: list[dict[str, Any]] = []
    for call in message.additional_kwargs.get("tool_calls") or []:
        data = call.model_dump() if hasattr(call, "model_dump") else dict(call)
        function = data.get("function") or {}
        calls.append(
            tool_call_dict(data.get("id"), function.get("name") or "", function.get("arguments"))
        )
    return calls


def _media_note(block: Any) -> str:
    if isinstance(block, ImageBlock):
        where = f" saved at {block.path}" if block.path else ""
        return f"[{block.image_mimetype or 'image'} image{where}]"
    return f"[{type(block).__name__}]"


def to_nebius_message(message: ChatMessage) -> dict[str, Any]:
    """One ``ChatMessage`` as a Nebius chat message.

    Text-only content is sent as a string; images make it a list of parts (user messages).
    Tool messages take text only (the API has no image parts there), so images a tool
    returned are described in a short note. Thinking blocks are not sent back.
    """
    role = _ROLES.get(message.role, "user")
    text_parts: list[str] = []
    parts: list[dict[str, Any]] = []
    tool_calls: list[dict[str, Any]] = []
    has_media = False
    for block in _flatten(message.blocks):
        if isinstance(block, TextBlock):
            text_parts.append(block.text)
            parts.append({"type": "text", "text": block.text})
        elif isinstance(block, ImageBlock):
            if role == "user":
                has_media = True
                parts.append(image_to_part(block))
            else:
                note = _media_note(block)
                text_parts.append(note)
                parts.append({"type": "text", "text": note})
        elif isinstance(block, DocumentBlock):
            text = _document_text(block)
            text_parts.append(text)
            parts.append({"type": "text", "text": text})
        elif isinstance(block, ToolCallBlock):
            tool_calls.append(
                tool_call_dict(block.tool_call_id, block.tool_name, block.tool_kwargs)
            )
        elif isinstance(block, (ThinkingBlock, CachePoint)):
            continue
        elif isinstance(block, (AudioBlock, VideoBlock)):
            raise ValueError(
                f"Nebius chat models take text and images, not {type(block).__name__}."
            )
        else:
            raise ValueError(f"Unsupported content block: {type(block).__name__}.")

    if not tool_calls and role == "assistant":
        tool_calls = _legacy_tool_calls(message)

    content: Any = parts if has_media else "\n".join(text_parts)
    if tool_calls and not text_parts:
        content = None
    out: dict[str, Any] = {"role": role, "content": content}
    if tool_calls:
        out["tool_calls"] = tool_calls
    if role == "tool":
        call_id = message.additional_kwargs.get("tool_call_id")
        if call_id:
            out["tool_call_id"] = call_id
    name = message.additional_kwargs.get("name")
    if isinstance(name, str) and name and role in ("user", "assistant"):
        out["name"] = name
    return out


def to_nebius_messages(messages: Sequence[ChatMessage]) -> list[dict[str, Any]]:
    return [to_nebius_message(m) for m in messages]


def resolve_tool_choice(tool_choice: str | dict[str, Any] | None, tool_required: bool) -> Any:
    """``None`` means ``"auto"`` (``"required"`` when a tool call is required); a bare tool
    name means that tool."""
    if tool_choice is None:
        return "required" if tool_required else "auto"
    if isinstance(tool_choice, dict) or tool_choice in ("none", "auto", "required"):
        return tool_choice
    return {"type": "function", "function": {"name": tool_choice}}


# ------------------------------------------------------------------------------------------
# Responses
# ------------------------------------------------------------------------------------------


def usage_kwargs(usage: Usage | None) -> dict[str, int]:
    """Token counts the way LlamaIndex reads them from ``additional_kwargs``."""
    if usage is None:
        return {}
    counts = {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }
    if usage.reasoning is not None:
        counts["reasoning_tokens"] = usage.reasoning
    return counts


def logprobs_from_nebius(logprobs: Logprobs | None) -> list[list[LogProb]] | None:
    """One list per generated token: its top alternatives (or the token itself)."""
    if logprobs is None or not logprobs.content:
        return None
    out: list[list[LogProb]] = []
    for token in logprobs.content:
        pairs = [(t.token, t.logprob, t.bytes) for t in token.top_logprobs] or [
            (token.token, token.logprob, token.bytes)
        ]
        out.append([LogProb(token=t, logprob=lp, bytes=list(b or [])) for t, lp, b in pairs])
    return out


def parse_arguments(arguments: str) -> dict[str, Any] | str:
    """Arguments as a dict when they are a JSON object; the raw text otherwise."""
    if not arguments.strip():
        return {}
    try:
        value = json.loads(arguments)
    except ValueError:
        return arguments
    return value if isinstance(value, dict) else arguments


def message_from_nebius(message: ChatCompletionMessage, usage: Usage | None = None) -> ChatMessage:
    """A reply message as a ``ChatMessage``: thinking, text, then tool-call blocks."""
    blocks: list[ContentBlock] = []
    reasoning = message.reasoning_text
    if reasoning:
        blocks.append(
            ThinkingBlock(content=reasoning, num_tokens=usage.reasoning if usage else None)
        )
    if message.content is not None or not message.tool_calls:
        blocks.append(TextBlock(text=message.content or ""))
    legacy: list[dict[str, Any]] = []
    for call in message.tool_calls or []:
        call_id = call.id or _new_call_id()
        blocks.append(
            ToolCallBlock(
                tool_call_id=call_id,
                tool_name=call.function.name,
                tool_kwargs=parse_arguments(call.function.arguments),
            )
        )
        legacy.append(tool_call_dict(call_id, call.function.name, call.function.arguments))
    extra: dict[str, Any] = {"tool_calls": legacy} if legacy else {}
    return ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=extra)


def chat_response_from_completion(completion: ChatCompletion) -> ChatResponse:
    """A ``ChatResponse`` with the first choice, the raw reply and the token usage."""
    if not completion.choices:
        raise ValueError("The reply has no choices; nothing to return.")
    choice = completion.choices[0]
    return ChatResponse(
        message=message_from_nebius(choice.message, completion.usage),
        raw=completion,
        logprobs=logprobs_from_nebius(choice.logprobs),
        additional_kwargs=usage_kwargs(completion.usage),
    )


def _new_call_id() -> str:
    return new_call_id()


# ------------------------------------------------------------------------------------------
# Tool calls
# ------------------------------------------------------------------------------------------


def tool_selections(message: ChatMessage) -> list[ToolSelection]:
    """The tool calls of a reply: ``ToolCallBlock``s, else ``additional_kwargs["tool_calls"]``."""
    selections: list[ToolSelection] = []
    blocks = [b for b in message.blocks if isinstance(b, ToolCallBlock)]
    if blocks:
        for block in blocks:
            selections.append(
                ToolSelection(
                    tool_id=block.tool_call_id or "",
                    tool_name=block.tool_name,
                    tool_kwargs=_kwargs_dict(block.tool_kwargs),
                )
            )
        return selections
    for call in _legacy_tool_calls(message):
        selections.append(
            ToolSelection(
                tool_id=call["id"],
                tool_name=call["function"]["name"],
                tool_kwargs=_kwargs_dict(call["function"]["arguments"]),
            )
        )
    return selections


def _kwargs_dict(value: dict[str, Any] | str) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if not value.strip():
        return {}
    try:
        parsed = parse_partial_json(value)
    except (ValueError, TypeError):
        return {}
    return parsed if isinstance(parsed, dict) else {}
