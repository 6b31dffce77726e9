"""Checks on a chat conversation and the facts the reply is built from."""

from __future__ import annotations

import base64
import binascii
import io
import json
from dataclasses import dataclass, field

from PIL import Image, UnidentifiedImageError

from ._errors import EmulatorError, validation_error
from ._requests import (
    AssistantMessage,
    ChatRequest,
    ImagePart,
    SystemMessage,
    TextPart,
    ToolMessage,
    UserMessage,
)
from ._tokens import count_tokens

__all__ = ["IMAGE_TOKENS", "Conversation", "inspect_image", "read_conversation"]

IMAGE_TOKENS = 64
_MESSAGE_OVERHEAD = 4


@dataclass
class Conversation:
    """What the reply needs to know about the messages."""

    last_user_text: str = ""
    context_text: str = ""
    last_role: str = "user"
    tool_results: list[tuple[str, str]] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    prompt_tokens: int = 0


def _text(content: str | list[TextPart] | list[TextPart | ImagePart] | None) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "\n".join(part.text for part in content if isinstance(part, TextPart))


def inspect_image(url: str, loc: list[str | int], where: str) -> str:
    """Describe an image URL (``"PNG 32x24"``), or raise 422 when a data URL is bad."""
    if url.startswith("data:"):
        header, sep, payload = url.partition(",")
        if not sep or ";base64" not in header:
            raise validation_error(
                loc, f"{where}: the data URL must be of the form data:<type>;base64,<data>"
            )
        try:
            raw = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            raise validation_error(loc, f"{where}: invalid base64 data in the image URL") from None
        try:
            with Image.open(io.BytesIO(raw)) as image:
                image_format = image.format or "image"
                width, height = image.size
                image.verify()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise validation_error(loc, f"{where}: the data is not a valid image") from None
        return f"{image_format} {width}x{height}"
    if url.startswith(("http://", "https://")):
        return f"image from URL {url}"
    raise validation_error(loc, f"{where}: the image URL must be a data: or http(s) URL")


def read_conversation(request: ChatRequest) -> Conversation:
    """Validate the message history and collect what the reply is built from.

    Every assistant message with ``tool_calls`` must be followed by one tool message per
    call id before any other message.
    """
    info = Conversation()
    pending: dict[str, str] = {}
    names: dict[str, str] = {}
    tokens = 3
    context: list[str] = []
    for index, message in enumerate(request.messages):
        if pending and not isinstance(message, ToolMessage):
            raise EmulatorError(
                400,
                f"messages[{index}]: expected tool messages answering the tool calls "
                f"{sorted(pending)} of the previous assistant message, got role "
                f"{message.role!r}",
            )
        tokens += _MESSAGE_OVERHEAD
        if isinstance(message, UserMessage):
            info.images = []
            if isinstance(message.content, list):
                for part_index, part in enumerate(message.content):
                    if isinstance(part, ImagePart):
                        url = (
                            part.image_url
                            if isinstance(part.image_url, str)
                            else part.image_url.url
                        )
                        loc: list[str | int] = ["body", "messages", index, "content", part_index]
                        where = f"messages[{index}].content[{part_index}] (image_url part)"
                        info.images.append(inspect_image(url, [*loc, "image_url", "url"], where))
                        tokens += IMAGE_TOKENS
            info.last_user_text = _text(message.content)
            info.tool_results = []
        elif isinstance(message, AssistantMessage):
            if message.content is None and not message.tool_calls:
                raise validation_error(
                    ["body", "messages", index, "content"],
                    "an assistant message needs content or tool_calls",
                    "missing",
                )
            info.tool_results = []
            for call in message.tool_calls or []:
                pending[call.id] = call.function.name
                names[call.id] = call.function.name
                tokens += count_tokens(call.function.name + call.function.arguments)
        elif isinstance(message, ToolMessage):
            call_id = message.tool_call_id
            if call_id not in pending:
                known = "was already answered" if call_id in names else "was never requested"
                raise EmulatorError(
                    400,
                    f"messages[{index}]: tool message for tool_call_id {call_id!r}, which "
                    f"{known} by a preceding assistant message",
                )
            info.tool_results.append((pending.pop(call_id), _text(message.content)))
        elif not isinstance(message, SystemMessage):  # pragma: no cover - union is closed
            raise EmulatorError(400, f"messages[{index}]: unsupported message")
        text = _text(message.content)
        tokens += count_tokens(text)
        if isinstance(message, SystemMessage | UserMessage):
            context.append(text)
        info.last_role = message.role
    if pending:
        raise EmulatorError(
            400,
            f"the last assistant message has tool calls {sorted(pending)} without tool "
            "messages answering them",
        )
    if request.tools:
        tokens += count_tokens(json.dumps([tool.model_dump(mode="json") for tool in request.tools]))
    info.prompt_tokens = tokens
    info.context_text = "\n".join(context)
    return info
