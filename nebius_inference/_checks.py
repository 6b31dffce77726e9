"""Checks on a request body that pydantic's field types do not express, made before sending:
numbers JSON cannot carry (``NaN``, ``inf``), JSON schemas that are not schemas, a per-call
``timeout`` that is not a positive number, and field names one typo away from a known one.

Pure functions; each problem is an :class:`InvalidRequestError` (or, for a likely typo, one
warning per name) that names the field.
"""

from __future__ import annotations

import json
import math
import sys
import warnings
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ._errors import InvalidRequestError

__all__ = [
    "KNOWN_PASSTHROUGH",
    "check_extras",
    "check_json_schema",
    "check_timeout",
    "closest_name",
    "find_non_finite",
    "warn_near_misses",
]

# Fields the backends behind the API accept beyond the OpenAI ones (vLLM, SGLang, TGI, Nebius).
# They pass through silently; only a name close to one of these or to a declared field (and
# not itself one of them) gets a "did you mean" warning.
KNOWN_PASSTHROUGH = frozenset(
    {
        "top_k", "min_p", "min_tokens", "repetition_penalty", "length_penalty", "typical_p",
        "top_a", "tfs", "mirostat", "ignore_eos", "best_of", "use_beam_search", "echo",
        "stop_token_ids", "include_stop_str_in_output", "skip_special_tokens",
        "spaces_between_special_tokens", "add_special_tokens", "add_generation_prompt",
        "continue_final_message", "chat_template", "chat_template_kwargs", "documents",
        "guided_json", "guided_regex", "guided_choice", "guided_grammar",
        "guided_decoding_backend", "guided_whitespace_pattern", "structured_outputs",
        "prompt_logprobs", "truncate_prompt_tokens", "logits_processors", "bad_words",
        "allowed_token_ids", "priority", "request_id", "return_tokens_as_token_ids", "regex",
        "json_schema", "ebnf", "lora_path", "max_new_tokens", "return_full_text", "metadata",
        "store", "modalities", "audio", "prediction", "web_search_options", "suffix",
        "input_type", "truncate", "truncation", "normalize", "return_documents", "top_n",
        "rank_fields", "negative_prompt", "steps", "cfg_scale", "image_size", "width",
        "height", "num_inference_steps", "guidance_scale", "loras", "logprobs", "n_probs",
        "verbosity", "thinking", "enable_thinking", "separate_reasoning", "no_stop_trim",
        "session_params", "custom_logit_processor", "return_hidden_states", "lora_request",
    }
)  # fmt: skip

_JSON_TYPES = frozenset({"object", "array", "string", "number", "integer", "boolean", "null"})
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_ONES = (
    "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames",
    "unevaluatedProperties", "unevaluatedItems", "additionalItems",
)  # fmt: skip
_COUNTS = (
    "minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties",
    "minContains", "maxContains",
)  # fmt: skip
_warned: set[str] = set()  # names already looked at (and warned about, if near a known one)
_CONTAINERS = (dict, list, float)


def check_timeout(value: Any) -> float:
    """A per-call ``timeout``: a positive, finite number of seconds."""
    number = math.nan
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            pass
    if not (number > 0 and math.isfinite(number)):
        raise InvalidRequestError(
            f"timeout must be a positive number of seconds, got {value!r}; "
            "leave it out for the client's own timeout."
        )
    return number


def find_non_finite(value: Any, path: str) -> tuple[str, float] | None:
    """The path and value of the first ``NaN`` or infinity in ``value``, or ``None``."""
    if isinstance(value, float):
        return None if math.isfinite(value) else (path, value)
    if isinstance(value, Mapping):
        for key, item in value.items():
            found = find_non_finite(item, f"{path}.{key}")
            if found is not None:
                return found
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            found = find_non_finite(item, f"{path}[{i}]")
            if found is not None:
                return found
    return None


def non_finite_error(found: tuple[str, float]) -> InvalidRequestError:
    where, value = found
    return InvalidRequestError(
        f"{where} is {value!r}: JSON has no NaN or infinity, and a server would reject or "
        "misread it. Pass a finite number (or leave the field out)."
    )


def check_body_is_json(body: Mapping[str, Any]) -> None:
    """Raise naming the first ``NaN``/infinity anywhere in ``body`` (the slow path, run only
    after encoding with ``allow_nan=False`` failed)."""
    for name, value in body.items():
        found = find_non_finite(value, name)
        if found is not None:
            raise non_finite_error(found)


def check_json_schema(schema: Any, where: str) -> None:
    """Raise when ``schema`` is not a JSON schema (its structure, not its meaning)."""
    problem = _schema_problem(schema, where)
    if problem is not None:
        raise InvalidRequestError(
            f"{problem}. Fix the JSON schema (for example with a pydantic model's "
            "model_json_schema()) before sending it."
        )


def _schema_problem(schema: Any, where: str) -> str | None:
    if isinstance(schema, bool):
        return None
    if not isinstance(schema, Mapping):
        return f"{where} is {type(schema).__name__}, not a JSON schema object"
    for problem in _keyword_problems(schema, where):
        return problem
    return None


def _keyword_problems(schema: Mapping[str, Any], where: str) -> Iterator[str]:
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        bad = [k for k in kinds if not isinstance(k, str) or k not in _JSON_TYPES]
        if bad or not kinds:
            yield (
                f"{where}.type is {kind!r}; use one of {', '.join(sorted(_JSON_TYPES))} "
                "(or a list of them)"
            )
    required = schema.get("required")
    if required is not None and (
        not isinstance(required, list) or not all(isinstance(r, str) for r in required)
    ):
        yield f"{where}.required is {required!r}; it must be a list of property names"
    if "enum" in schema and not isinstance(schema["enum"], list):
        yield f"{where}.enum is {type(schema['enum']).__name__}; it must be a list of values"
    for name in _COUNTS:
        if name in schema:
            count = schema[name]
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                yield f"{where}.{name} is {count!r}; it must be a non-negative integer"
    for name in ("$ref", "pattern", "format"):
        if name in schema and not isinstance(schema[name], str):
            yield f"{where}.{name} is {type(schema[name]).__name__}; it must be a string"
    for name in _SCHEMA_MAPS:
        if name in schema:
            children = schema[name]
            if not isinstance(children, Mapping):
                yield f"{where}.{name} is {type(children).__name__}; it must map names to schemas"
                continue
            yield from _children(((f"{where}.{name}.{k}", v) for k, v in children.items()))
    for name in _SCHEMA_LISTS:
        if name in schema:
            children = schema[name]
            if not isinstance(children, list) or not children:
                yield f"{where}.{name} must be a non-empty list of schemas"
                continue
            yield from _children((f"{where}.{name}[{i}]", v) for i, v in enumerate(children))
    if "items" in schema:
        items = schema["items"]
        if isinstance(items, list):  # draft 4 tuple form
            yield from _children((f"{where}.items[{i}]", v) for i, v in enumerate(items))
        else:
            yield from _children([(f"{where}.items", items)])
    yield from _children(
        (f"{where}.{name}", schema[name]) for name in _SCHEMA_ONES if name in schema
    )


def _children(children: Iterable[tuple[str, Any]]) -> Iterator[str]:
    for where, child in children:
        problem = _schema_problem(child, where)
        if problem is not None:
            yield problem


def check_response_format(value: Any) -> None:
    """``response_format``: a ``json_schema`` one must carry a valid schema."""
    if not isinstance(value, Mapping) or value.get("type") != "json_schema":
        return
    spec = value.get("json_schema")
    if not isinstance(spec, Mapping):
        raise InvalidRequestError(
            "response_format.json_schema must be an object like "
            '{"name": "City", "schema": {...}}; got '
            f"{type(spec).__name__}."
        )
    if "schema" in spec:
        check_json_schema(spec["schema"], "response_format.json_schema.schema")


def check_guided_json(value: Any) -> None:
    """``guided_json``: a schema, given as an object or as JSON text."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise InvalidRequestError(
                f"guided_json is a string that is not valid JSON ({exc}); pass the schema as a "
                "dict, or as JSON text."
            ) from None
    check_json_schema(value, "guided_json")


def check_finite(fields: Mapping[str, Any], skip: str = "") -> None:
    """Raise naming the first ``NaN``/infinity among ``fields``, except the one named ``skip``
    (the messages: long, and checked when the body is encoded before sending)."""
    for name, value in fields.items():
        if value is None or name == skip or type(value) not in _CONTAINERS:
            continue
        found = find_non_finite(value, name)
        if found is not None:
            raise non_finite_error(found)


def check_extras(extras: Mapping[str, Any], known: Iterable[str]) -> None:
    """Check the pass-through fields of a request: a valid ``guided_json`` schema, and a warning
    for a name one typo away from a known field."""
    if "guided_json" in extras:
        check_guided_json(extras["guided_json"])
    warn_near_misses(extras, known)


def warn_near_misses(names: Iterable[str], known: Iterable[str]) -> None:
    """Warn (once per name, per process) about a field that is not known but is one or two edits
    away from a known one: it is still sent, since the backends take fields we do not list."""
    candidates = None
    for name in names:
        if name in KNOWN_PASSTHROUGH or name in _warned:
            continue
        if candidates is None:
            candidates = sorted(set(known) | KNOWN_PASSTHROUGH)
        if name in candidates:
            continue
        _warned.add(name)  # looked at once: a name that is not a near miss costs nothing later
        guess = closest_name(name, candidates)
        if guess is None:
            continue
        warnings.warn(
            f"Unknown request field `{name}`: did you mean `{guess}`? It is sent as it is "
            "(unknown fields pass through to the server), but the server may ignore it.",
            UserWarning,
            stacklevel=_caller_level(),
        )


_OUR_PACKAGES = ("nebius_inference", "langchain_nebius", "llama_index_nebius")


def _caller_level() -> int:
    """The ``stacklevel`` that points a warning at the first frame outside our packages."""
    frame = sys._getframe(2)  # the caller of warn_near_misses, which is stacklevel 2
    level = 2
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith(
        _OUR_PACKAGES
    ):
        frame = frame.f_back
        level += 1
    return level


def closest_name(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate one typo away from ``name`` (two for a name over six letters), nearest
    first, or ``None``: what a "did you mean" message suggests."""
    if len(name) < 4:
        return None
    limit = 1 if len(name) <= 6 else 2
    best: tuple[int, str] | None = None
    for candidate in candidates:
        if abs(len(candidate) - len(name)) > limit:
            continue
        distance = _edit_distance(name.lower(), candidate.lower(), limit)
        if distance <= limit and (best is None or distance < best[0]):
            best = (distance, candidate)
    return best[1] if best is not None else None


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (insert, delete, substitute, swap neighbours), cut
    off above ``limit``."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]
