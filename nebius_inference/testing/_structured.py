"""Constrained output: ``guided_*`` fields and ``response_format``.

With ``guided=False`` (``EmulatorConfig.guided_decoding="ignored"``) the ``guided_*`` fields are
neither checked nor applied, as vLLM 0.12 and later do (HTTP 200, unconstrained output), while a
``response_format`` still applies: ``json_schema`` is enforced, ``json_object`` asks for some JSON.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ._errors import EmulatorError, validation_error
from ._hints import Hints
from ._regex import RegexError, generate_from_regex
from ._requests import ChatRequest, CompletionRequest
from ._schema import SchemaError, generate_instance
from ._textgen import compose_reply, join_words
from ._tokens import content_words

__all__ = ["check_constraints", "constrained_text"]


def _schema_of(
    request: ChatRequest | CompletionRequest, use_guided: bool = True
) -> dict[str, Any] | None:
    guided = request.guided_json if use_guided else None
    if isinstance(guided, str):
        try:
            guided = json.loads(guided)
        except json.JSONDecodeError:
            raise EmulatorError(400, "guided_json is not valid JSON") from None
        if not isinstance(guided, dict):
            raise EmulatorError(400, "guided_json must be a JSON object (a JSON schema)")
    if isinstance(guided, dict):
        return guided
    response_format = request.response_format if isinstance(request, ChatRequest) else None
    if response_format is not None and response_format.type == "json_schema":
        spec = response_format.json_schema
        if spec is None:
            raise validation_error(
                ["body", "response_format", "json_schema"], "Field required", "missing"
            )
        if spec.schema_ is None:
            raise validation_error(
                ["body", "response_format", "json_schema", "schema"], "Field required", "missing"
            )
        return spec.schema_
    return None


def check_constraints(request: ChatRequest | CompletionRequest, *, guided: bool = True) -> None:
    """Reject invalid constraints before generating anything (``guided=False``: the
    ``guided_*`` fields are ignored, not checked)."""
    if not guided:
        _schema_of(request, use_guided=False)
        return
    kinds = [
        name
        for name in ("guided_json", "guided_regex", "guided_choice")
        if getattr(request, name) is not None
    ]
    if len(kinds) > 1:
        raise EmulatorError(
            400, f"You can only use one kind of guided decoding, got {', '.join(kinds)}"
        )
    _schema_of(request)
    if request.guided_regex is not None:
        try:
            generate_from_regex(request.guided_regex)
        except RegexError as exc:
            raise EmulatorError(400, f"guided_regex: {exc}") from None


def constrained_text(
    request: ChatRequest | CompletionRequest,
    prompt: str,
    seed: int,
    variant: int,
    context: str | None = None,
    *,
    guided: bool = True,
) -> str | None:
    """Return the text a constraint dictates, or ``None`` when the output is free.

    ``prompt`` is the last user text; ``context`` all instructions (system and user text),
    where JSON mode looks for a schema or for the key names it should use. ``guided=False``
    ignores the ``guided_*`` fields.
    """
    hints = Hints(prompt)
    if guided and request.guided_choice:
        picked = hints.mentioned(request.guided_choice)
        return str(picked) if picked is not None else request.guided_choice[0]
    if guided and request.guided_regex is not None:
        try:
            return generate_from_regex(request.guided_regex, seed + variant)
        except RegexError as exc:
            raise EmulatorError(400, f"guided_regex: {exc}") from None
    schema = _schema_of(request, use_guided=guided)
    if schema is not None:
        try:
            return json.dumps(generate_instance(schema, hints, seed + variant))
        except SchemaError as exc:
            raise EmulatorError(400, f"Invalid JSON schema: {exc}") from None
    response_format = request.response_format if isinstance(request, ChatRequest) else None
    if response_format is not None and response_format.type == "json_object":
        return json.dumps(_json_object(context or prompt, prompt, seed, variant))
    return None


_KEY_WORDS_RE = re.compile(r"\b(?:keys?|fields?|propert(?:y|ies)|attributes?)\b", re.IGNORECASE)
_QUOTED_KEY_RE = re.compile(r"[\"'`\u201c\u2018]([A-Za-z_][\w-]{0,40})[\"'`\u201d\u2019]")


def _embedded_schema(text: str) -> dict[str, Any] | None:
    decoder = json.JSONDecoder()
    for match in list(re.finditer(r"\{", text))[:64]:
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict) and isinstance(value.get("properties"), dict):
            return value
    return None


def _json_object(context: str, prompt: str, seed: int, variant: int) -> Any:
    """JSON mode without a schema: follow a schema or key names the instructions give."""
    hints = Hints(prompt)
    schema = _embedded_schema(context)
    if schema is not None:
        try:
            return generate_instance(schema, hints, seed + variant)
        except SchemaError:
            pass
    if _KEY_WORDS_RE.search(context):
        keys = list(dict.fromkeys(_QUOTED_KEY_RE.findall(context)))
        if keys:
            topic = join_words(content_words(prompt)[:2]) or "your request"
            return {key: hints.keyed(key) or f"A {key} about {topic}." for key in keys}
    return {"answer": compose_reply(prompt, seed, variant)}
