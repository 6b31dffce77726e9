"""Deciding on tool calls and writing their arguments."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ._errors import EmulatorError
from ._hints import Hints
from ._requests import ChatRequest, NamedToolChoice, Tool
from ._schema import SchemaError, generate_instance
from ._tokens import STOPWORDS, stem, words

__all__ = ["PlannedCall", "check_tool_choice", "plan_tool_calls", "tool_answer"]

_GENERIC_TEXT = """
get set tool tools function functions call calls input inputs output outputs result
results return returns value values data info information current given provided
specified using based user query string number useful answer question questions make
makes run runs thing things list item items field fields default type object
"""
_GENERIC = frozenset(_GENERIC_TEXT.split())


@dataclass(frozen=True)
class PlannedCall:
    """A tool call to make: the function name and its JSON arguments."""

    name: str
    arguments: str


def check_tool_choice(request: ChatRequest, tools_supported: bool, model: str) -> None:
    """Reject ``tool_choice`` values the API rejects."""
    tools = request.tools or []
    choice = request.tool_choice
    names = [tool.function.name for tool in tools]
    if choice is not None and choice != "none" and not tools:
        raise EmulatorError(400, "When using `tool_choice`, `tools` must be set.")
    if isinstance(choice, NamedToolChoice) and choice.function.name not in names:
        raise EmulatorError(
            400,
            f"Tool choice names function {choice.function.name!r}, which is not in tools {names}",
        )
    if tools and choice in (None, "auto") and not tools_supported:
        raise EmulatorError(400, f"Model {model} does not support automatic tool calling")


def _name_terms(name: str) -> list[str]:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    parts = re.split(r"[\s_.-]+", spaced)
    return [stem(part) for part in parts if len(part) >= 4 and part.lower() not in _GENERIC]


def _significant(text: str) -> set[str]:
    return {
        stem(word)
        for word in words(text)
        if len(word) >= 4 and word.lower() not in STOPWORDS and word.lower() not in _GENERIC
    }


def _mentions(tool: Tool, text: str) -> list[tuple[int, list[str] | None]]:
    """Positions where ``text`` asks for ``tool`` and the call arguments written there."""
    name = tool.function.name
    low = text.lower()
    found: list[tuple[int, list[str] | None]] = []
    for match in re.finditer(rf"\b{re.escape(name)}\s*\(([^()]*)\)", text):
        inner = match.group(1).strip()
        found.append((match.start(), [part.strip() for part in inner.split(",")] if inner else []))
    if found:
        return found
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).replace("_", " ").replace("-", " ")
    for variant in {name.lower(), spaced.lower().strip()}:
        hit = re.search(rf"(?<!\w){re.escape(variant)}(?!\w)", low)
        if hit:
            return [(hit.start(), None)]
    text_terms = [stem(word) for word in words(text)]
    for term in _name_terms(name):
        if term in text_terms:
            return [(_position(text, term), None)]
    shared = _significant(tool.function.description or "") & set(text_terms)
    if shared:
        return [(min(_position(text, term) for term in shared), None)]
    return []


def _position(text: str, term: str) -> int:
    for match in re.finditer(r"\w+", text):
        if stem(match.group(0)) == term:
            return match.start()
    return len(text)


def _explicit(parameters: dict[str, Any], args: list[str] | None) -> dict[str, str]:
    if not args:
        return {}
    properties = list((parameters.get("properties") or {}).keys())
    explicit: dict[str, str] = {}
    positional = 0
    for arg in args:
        key, sep, value = arg.partition("=")
        if sep and key.strip().isidentifier():
            explicit[key.strip()] = value.strip().strip("\"'")
        elif positional < len(properties):
            explicit[properties[positional]] = arg.strip().strip("\"'")
            positional += 1
    return explicit


def _arguments(tool: Tool, text: str, args: list[str] | None, seed: int) -> str:
    parameters = tool.function.parameters or {"type": "object", "properties": {}}
    hints = Hints(text, explicit=_explicit(parameters, args))
    try:
        value = generate_instance(parameters, hints, seed)
    except SchemaError as exc:
        raise EmulatorError(
            400, f"Invalid parameters schema for tool {tool.function.name!r}: {exc}"
        ) from None
    if not isinstance(value, dict):
        raise EmulatorError(
            400, f"The parameters schema of tool {tool.function.name!r} must describe an object"
        )
    return json.dumps(value)


def plan_tool_calls(
    request: ChatRequest, text: str, last_role: str, seed: int
) -> list[PlannedCall]:
    """Return the tool calls the model makes for this request (possibly none)."""
    tools = request.tools or []
    choice = request.tool_choice
    if not tools or choice == "none":
        return []
    picked: list[tuple[int, Tool, list[str] | None]] = []
    if isinstance(choice, NamedToolChoice):
        tool = next(item for item in tools if item.function.name == choice.function.name)
        mentions = _mentions(tool, text) or [(0, None)]
        picked = [(position, tool, args) for position, args in mentions]
    else:
        if choice != "required" and last_role == "tool":
            return []
        for tool in tools:
            picked.extend((position, tool, args) for position, args in _mentions(tool, text))
        picked.sort(key=lambda item: item[0])
        if not picked and choice == "required":
            picked = [(0, tools[0], None)]
    if request.parallel_tool_calls is False:
        picked = picked[:1]
    return [
        PlannedCall(tool.function.name, _arguments(tool, text, args, seed + index))
        for index, (_, tool, args) in enumerate(picked)
    ]


def tool_answer(results: list[tuple[str, str]]) -> str:
    """A text answer that reports tool results verbatim."""
    if len(results) == 1:
        name, content = results[0]
        return f"Based on the tool result, {name} returned: {content}"
    listed = "; ".join(f"{name} returned: {content}" for name, content in results)
    return f"Based on the tool results, {listed}"
