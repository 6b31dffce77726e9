"""Generate a JSON value that is valid for a JSON Schema.

Covers what structured output and tool parameters use in practice: ``type`` (also
lists), ``enum``, ``const``, objects (``properties``, ``required``,
``additionalProperties``, ``minProperties``), arrays (``items``, ``prefixItems``,
``minItems``, ``maxItems``, ``uniqueItems``), strings (``minLength``, ``maxLength``,
``pattern``, ``format``), numbers and integers (``minimum``, ``maximum``, exclusive bounds
in both drafts, ``multipleOf``), booleans, null, ``$ref`` into ``$defs``/``definitions``
(recursion-safe), ``allOf``, ``anyOf`` and ``oneOf``. Values come from :class:`Hints` when
the prompt gives them.
"""

from __future__ import annotations

import math
import random
import re
import uuid
from collections.abc import Mapping
from typing import Any

from ._hints import Hints
from ._jsonutil import stable_int
from ._regex import RegexError, generate_from_regex

__all__ = ["SchemaError", "generate_instance"]

_MAX_DEPTH = 8
_SOFT_DEPTH = 4
_FORMATS: dict[str, str] = {
    "date-time": "2024-05-17T12:30:00Z",
    "date": "2024-05-17",
    "time": "12:30:00",
    "duration": "P1D",
    "email": "alice@example.com",
    "idn-email": "alice@example.com",
    "hostname": "example.com",
    "idn-hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "uri": "https://example.com/resource",
    "url": "https://example.com/resource",
    "iri": "https://example.com/resource",
    "uri-reference": "/resource",
    "uri-template": "https://example.com/{id}",
    "json-pointer": "/a/b",
    "regex": "^[a-z]+$",
    "byte": "aGVsbG8=",
    "binary": "hello",
    "password": "secret",
}
_TYPE_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("object", ("properties", "required", "additionalProperties", "minProperties")),
    ("array", ("items", "prefixItems", "minItems", "maxItems")),
    ("string", ("minLength", "maxLength", "pattern", "format")),
    ("number", ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")),
)


class SchemaError(ValueError):
    """The schema cannot be used (bad ``$ref``, unsatisfiable, invalid shape)."""


def generate_instance(schema: Any, hints: Hints | None = None, seed: int = 0) -> Any:
    """Return a deterministic value valid for ``schema``, using ``hints`` where possible."""
    if not isinstance(schema, dict | bool):
        raise SchemaError("a JSON schema must be an object or a boolean")
    generator = _Generator(schema if isinstance(schema, dict) else {}, hints or Hints(""), seed)
    return generator.value(schema, name="value", depth=0, refs=("#",))


class _Generator:
    def __init__(self, root: dict[str, Any], hints: Hints, seed: int) -> None:
        self.root = root
        self.hints = hints
        self.rng = random.Random(seed)
        self.seed = seed

    # -- references and combinators -------------------------------------------------------

    def resolve(self, ref: str) -> Any:
        if not ref.startswith("#"):
            raise SchemaError(f"only local $ref values are supported, got {ref!r}")
        node: Any = self.root
        pointer = ref[1:]
        if pointer in ("", "/"):
            return node
        for raw in pointer.lstrip("/").split("/"):
            part = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise SchemaError(f"cannot resolve $ref {ref!r}")
        return node

    def expand(self, schema: Any, refs: tuple[str, ...]) -> tuple[dict[str, Any], tuple[str, ...]]:
        """Inline ``$ref`` and ``allOf`` so the result has no top-level indirection."""
        if schema is True or schema is None:
            return {}, refs
        if schema is False:
            raise SchemaError("the schema `false` accepts no value")
        if not isinstance(schema, dict):
            raise SchemaError(f"invalid schema: {schema!r}")
        seen = 0
        while "$ref" in schema:
            ref = schema["$ref"]
            if not isinstance(ref, str):
                raise SchemaError("$ref must be a string")
            seen += 1
            if seen > 64:
                raise SchemaError(f"$ref cycle at {ref!r}")
            target = self.resolve(ref)
            siblings = {key: value for key, value in schema.items() if key != "$ref"}
            refs = (*refs, ref)
            resolved, refs = self.expand(target, refs)
            schema = _merge(resolved, siblings) if siblings else resolved
        if "allOf" in schema:
            merged = {key: value for key, value in schema.items() if key != "allOf"}
            for part in schema["allOf"]:
                expanded, refs = self.expand(part, refs)
                merged = _merge(merged, expanded)
            return merged, refs
        return schema, refs

    def recursive(self, schema: Any, refs: tuple[str, ...]) -> bool:
        """Return whether ``schema`` leads back into a ``$ref`` already being expanded."""
        if isinstance(schema, dict):
            ref = schema.get("$ref")
            if isinstance(ref, str) and ref in refs:
                return True
            return any(
                self.recursive(value, refs)
                for key, value in schema.items()
                if key in ("items", "anyOf", "oneOf", "allOf", "additionalProperties")
            )
        if isinstance(schema, list):
            return any(self.recursive(item, refs) for item in schema)
        return False

    # -- dispatch ---------------------------------------------------------------------------

    def value(self, schema: Any, name: str, depth: int, refs: tuple[str, ...]) -> Any:
        if depth > _MAX_DEPTH * 4:
            raise SchemaError("schema nesting is too deep to generate a value")
        node, refs = self.expand(schema, refs)
        if "const" in node:
            return node["const"]
        if "enum" in node:
            options = list(node["enum"])
            if not options:
                raise SchemaError("enum must not be empty")
            picked = self.hints.mentioned(options)
            return picked if picked is not None else options[0]
        branches = node.get("anyOf") or node.get("oneOf")
        if branches:
            rest = {key: value for key, value in node.items() if key not in ("anyOf", "oneOf")}
            branch = self.pick_branch(branches, depth, refs)
            expanded, branch_refs = self.expand(branch, refs)
            return self.value(_merge(rest, expanded), name, depth + 1, branch_refs)
        kind = self.pick_type(node, depth)
        if kind == "null":
            return None
        if kind == "object":
            return self.object_value(node, depth, refs)
        if kind == "array":
            return self.array_value(node, name, depth, refs)
        if kind == "boolean":
            hinted = self.hints.bool_for(name)
            return True if hinted is None else hinted
        if kind in ("integer", "number"):
            return self.number_value(node, name, integer=kind == "integer")
        return self.string_value(node, name)

    def pick_branch(self, branches: list[Any], depth: int, refs: tuple[str, ...]) -> Any:
        def is_null(branch: Any) -> bool:
            return isinstance(branch, dict) and branch.get("type") == "null"

        if depth >= _SOFT_DEPTH:
            for branch in branches:
                if is_null(branch):
                    return branch
            for branch in branches:
                if not self.recursive(branch, refs):
                    return branch
        for branch in branches:
            if not is_null(branch) and not (depth >= _SOFT_DEPTH and self.recursive(branch, refs)):
                return branch
        return branches[0]

    def pick_type(self, node: dict[str, Any], depth: int) -> str:
        declared = node.get("type")
        if isinstance(declared, list):
            types = [str(item) for item in declared]
            if not types:
                raise SchemaError("type list must not be empty")
            if depth >= _SOFT_DEPTH and "null" in types:
                return "null"
            non_null = [item for item in types if item != "null"]
            return non_null[0] if non_null else "null"
        if isinstance(declared, str):
            if node.get("nullable") is True and depth >= _SOFT_DEPTH:
                return "null"
            return declared
        for kind, keywords in _TYPE_KEYWORDS:
            if any(keyword in node for keyword in keywords):
                return kind
        return "string"

    # -- concrete types ---------------------------------------------------------------------

    def object_value(self, node: dict[str, Any], depth: int, refs: tuple[str, ...]) -> Any:
        properties: Mapping[str, Any] = node.get("properties") or {}
        required = [key for key in node.get("required", []) if isinstance(key, str)]
        result: dict[str, Any] = {}
        for key in list(properties) + [key for key in required if key not in properties]:
            sub = properties.get(key, node.get("additionalProperties", True))
            if sub is False:
                sub = True
            optional = key not in required
            if optional and depth >= _SOFT_DEPTH:
                continue
            if optional and depth >= 1 and self.recursive(sub, refs):
                continue
            result[key] = self.value(sub, key, depth + 1, refs)
        extra_schema = node.get("additionalProperties", True)
        minimum = int(node.get("minProperties", 0))
        counter = 1
        while len(result) < minimum:
            if extra_schema is False:
                raise SchemaError("minProperties cannot be met without additionalProperties")
            key = f"key{counter}"
            counter += 1
            if key not in result:
                result[key] = self.value(extra_schema, key, depth + 1, refs)
        return result

    def array_value(
        self, node: dict[str, Any], name: str, depth: int, refs: tuple[str, ...]
    ) -> Any:
        prefix = node.get("prefixItems")
        items = node.get("items", True)
        if isinstance(items, list):  # draft 4-2019 tuple form
            prefix, items = items, node.get("additionalItems", True)
        prefix = list(prefix or [])
        low = int(node.get("minItems", 0))
        high = node.get("maxItems")
        if depth >= _SOFT_DEPTH:
            wanted = 0
        elif self.recursive(items, refs) or self.recursive(prefix, refs):
            wanted = 1
        else:
            wanted = 2
        count = max(low, len(prefix) if items is False else max(len(prefix), wanted))
        if high is not None:
            count = min(count, int(high))
        if count < low:
            raise SchemaError("minItems is larger than maxItems")
        out: list[Any] = []
        singular = name[:-1] if name.endswith("s") and len(name) > 3 else name
        for index in range(count):
            sub = prefix[index] if index < len(prefix) else items
            if sub is False:
                break
            value = self.value(sub, singular, depth + 1, refs)
            if node.get("uniqueItems") and value in out:
                value = self.distinct(sub, singular, depth, refs, out)
            out.append(value)
        return out

    def distinct(
        self, sub: Any, name: str, depth: int, refs: tuple[str, ...], seen: list[Any]
    ) -> Any:
        expanded, _ = self.expand(sub, refs)
        for attempt in range(1, 50):
            if "enum" in expanded:
                options = [item for item in expanded["enum"] if item not in seen]
                if options:
                    return options[0]
                break
            kind = self.pick_type(expanded, depth + 1)
            if kind == "string" and "pattern" not in expanded and "format" not in expanded:
                candidate: Any = _fit_length(f"{name}{attempt + 1}", expanded, name)
            elif kind == "integer" or kind == "number":
                base = self.number_value(expanded, name, integer=kind == "integer", use_hint=False)
                candidate = _bounded(
                    base + attempt * _step(expanded, kind == "integer"), expanded, kind == "integer"
                )
            else:
                self.rng.seed(stable_int(self.seed, attempt))
                candidate = self.value(sub, f"{name}{attempt}", depth + 1, refs)
            if candidate not in seen:
                return candidate
        raise SchemaError("cannot generate enough unique items")

    def number_value(
        self, node: dict[str, Any], name: str, integer: bool, use_hint: bool = True
    ) -> int | float:
        hinted = self.hints.number_for(name) if use_hint else None
        if hinted is not None:
            value: float = hinted
            if integer and float(value).is_integer():
                fitted = _bounded(int(value), node, integer)
                if fitted == int(value):
                    return fitted
            elif not integer:
                fitted_f = _bounded(float(value), node, integer)
                if fitted_f == value:
                    return value
        low, high = _bounds(node, integer)
        if low is not None and high is not None:
            value = low if integer else (low + high) / 2
        elif low is not None:
            value = low
        elif high is not None:
            value = min(high, 1 if integer else 1.5)
        else:
            value = 1 if integer else 1.5
        return _bounded(value, node, integer)

    def string_value(self, node: dict[str, Any], name: str) -> str:
        pattern = node.get("pattern")
        if isinstance(pattern, str):
            hinted = self.hints.string_for(name)
            if hinted is not None and re.search(pattern, hinted):
                return _fit_length(hinted, node, name)
            try:
                for attempt in range(8):
                    candidate = generate_from_regex(pattern, stable_int(self.seed, name, attempt))
                    if _length_ok(candidate, node):
                        return candidate
            except RegexError as exc:
                raise SchemaError(f"pattern {pattern!r}: {exc}") from None
            raise SchemaError(f"cannot satisfy pattern {pattern!r} with the length limits")
        fmt = node.get("format")
        if isinstance(fmt, str) and (fmt in _FORMATS or fmt == "uuid"):
            hinted = self.hints.string_for(name)
            if hinted is not None and _looks_like(hinted, str(fmt)):
                return hinted
            if fmt == "uuid":
                return str(uuid.UUID(int=stable_int(self.seed, name, bits=128), version=4))
            return _FORMATS[str(fmt)]
        hinted = self.hints.string_for(name)
        if hinted is None:
            hinted = self.hints.next_word() or f"{name} value"
        return _fit_length(hinted, node, name)


def _merge(left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    merged = dict(left)
    for key, value in right.items():
        if key not in merged:
            merged[key] = value
        elif key == "properties" and isinstance(value, dict):
            merged[key] = {**merged[key], **value}
        elif key == "required" and isinstance(value, list):
            merged[key] = list(dict.fromkeys([*merged[key], *value]))
        elif key in ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties"):
            if isinstance(value, int | float) and isinstance(merged[key], int | float):
                merged[key] = max(merged[key], value)
        elif key in ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties"):
            if isinstance(value, int | float) and isinstance(merged[key], int | float):
                merged[key] = min(merged[key], value)
        elif key == "type" and value != merged[key]:
            left_types = set(merged[key]) if isinstance(merged[key], list) else {merged[key]}
            right_types = set(value) if isinstance(value, list) else {value}
            common = left_types & right_types
            if not common and {"integer", "number"} <= left_types | right_types:
                common = {"integer"}
            if not common:
                raise SchemaError("allOf combines incompatible types")
            merged[key] = sorted(common)[0] if len(common) == 1 else sorted(common)
        else:
            merged[key] = value
    return merged


def _bounds(node: dict[str, Any], integer: bool) -> tuple[float | None, float | None]:
    low: float | None = node.get("minimum")
    high: float | None = node.get("maximum")
    ex_low = node.get("exclusiveMinimum")
    ex_high = node.get("exclusiveMaximum")
    tiny = 1 if integer else 1e-6
    if ex_low is True and low is not None:
        low = low + tiny
    elif isinstance(ex_low, int | float) and not isinstance(ex_low, bool):
        low = max(low, ex_low + tiny) if low is not None else ex_low + tiny
    if ex_high is True and high is not None:
        high = high - tiny
    elif isinstance(ex_high, int | float) and not isinstance(ex_high, bool):
        high = min(high, ex_high - tiny) if high is not None else ex_high - tiny
    if integer:
        low = math.ceil(low) if low is not None else None
        high = math.floor(high) if high is not None else None
    if low is not None and high is not None and low > high:
        raise SchemaError("numeric bounds leave no valid value")
    return low, high


def _step(node: dict[str, Any], integer: bool) -> float:
    multiple = node.get("multipleOf")
    if isinstance(multiple, int | float) and multiple > 0:
        return float(multiple)
    return 1 if integer else 0.5


def _bounded(value: float, node: dict[str, Any], integer: bool) -> int | float:
    low, high = _bounds(node, integer)
    if low is not None and value < low:
        value = low
    if high is not None and value > high:
        value = high
    multiple = node.get("multipleOf")
    if isinstance(multiple, int | float) and multiple > 0:
        candidate = math.ceil(value / multiple) * multiple
        if high is not None and candidate > high:
            candidate = math.floor(value / multiple) * multiple
        if low is not None and candidate < low:
            raise SchemaError("multipleOf leaves no value within the bounds")
        value = candidate
        if isinstance(multiple, float):
            value = round(value, 10)
    if integer:
        return round(value)
    return float(value)


def _length_ok(text: str, node: dict[str, Any]) -> bool:
    low = int(node.get("minLength", 0))
    high = node.get("maxLength")
    return len(text) >= low and (high is None or len(text) <= int(high))


def _fit_length(text: str, node: dict[str, Any], name: str) -> str:
    low = int(node.get("minLength", 0))
    high = node.get("maxLength")
    if high is not None and int(high) < low:
        raise SchemaError("minLength is larger than maxLength")
    filler = f" {name}" if name else " x"
    while len(text) < low:
        text += filler
    if high is not None:
        text = text[: int(high)]
    return text


def _looks_like(value: str, fmt: str) -> bool:
    if fmt in ("email", "idn-email"):
        return "@" in value and "." in value.split("@")[-1]
    if fmt in ("uri", "url", "iri"):
        return value.startswith(("http://", "https://"))
    if fmt == "uuid":
        try:
            uuid.UUID(value)
        except ValueError:
            return False
        return True
    if fmt == "date":
        return re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) is not None
    return False
