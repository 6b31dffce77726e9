"""Instances generated from JSON Schemas are valid for them."""

from __future__ import annotations

import json
import math
import re
from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field

from nebius_inference.testing._hints import Hints
from nebius_inference.testing._schema import SchemaError, generate_instance

# -- a small, independent validator for the keywords the tests use -------------------------


def _resolve(root: dict[str, Any], ref: str) -> Any:
    node: Any = root
    for part in ref.lstrip("#").strip("/").split("/"):
        if part:
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _type_ok(value: Any, kind: str) -> bool:
    checks = {
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "null": lambda v: v is None,
    }
    return checks[kind](value)


def errors(schema: Any, value: Any, root: Any = None, path: str = "$") -> list[str]:
    """Return the reasons ``value`` is invalid for ``schema`` (empty when valid)."""
    root = schema if root is None else root
    if schema is True or schema == {}:
        return []
    if schema is False:
        return [f"{path}: false schema"]
    found: list[str] = []
    if "$ref" in schema:
        found += errors(_resolve(root, schema["$ref"]), value, root, path)
    for sub in schema.get("allOf", []):
        found += errors(sub, value, root, path)
    if "anyOf" in schema and not any(not errors(s, value, root, path) for s in schema["anyOf"]):
        found.append(f"{path}: matches no anyOf branch")
    if "oneOf" in schema:
        matches = sum(1 for s in schema["oneOf"] if not errors(s, value, root, path))
        if matches != 1:
            found.append(f"{path}: matches {matches} oneOf branches")
    if "const" in schema and value != schema["const"]:
        found.append(f"{path}: not the const")
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{path}: not in enum")
    kinds = schema.get("type")
    if kinds is not None:
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if not any(_type_ok(value, kind) for kind in kinds):
            return [*found, f"{path}: {value!r} is not of type {kinds}"]
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                found.append(f"{path}: missing {key}")
        for key, item in value.items():
            if key in properties:
                found += errors(properties[key], item, root, f"{path}.{key}")
            elif "additionalProperties" in schema:
                found += errors(schema["additionalProperties"], item, root, f"{path}.{key}")
        if len(value) < schema.get("minProperties", 0):
            found.append(f"{path}: too few properties")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            found.append(f"{path}: too few items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            found.append(f"{path}: too many items")
        prefix = schema.get("prefixItems", [])
        for index, item in enumerate(value):
            sub = prefix[index] if index < len(prefix) else schema.get("items", True)
            found += errors(sub, item, root, f"{path}[{index}]")
        if schema.get("uniqueItems") and len({json.dumps(v, sort_keys=True) for v in value}) != len(
            value
        ):
            found.append(f"{path}: items not unique")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            found.append(f"{path}: too short")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            found.append(f"{path}: too long")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            found.append(f"{path}: does not match the pattern")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            found.append(f"{path}: below minimum")
        if "maximum" in schema and value > schema["maximum"]:
            found.append(f"{path}: above maximum")
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            found.append(f"{path}: not above exclusiveMinimum")
        if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
            found.append(f"{path}: not below exclusiveMaximum")
        if "multipleOf" in schema:
            ratio = value / schema["multipleOf"]
            if not math.isclose(ratio, round(ratio), abs_tol=1e-9):
                found.append(f"{path}: not a multiple")
    return found


def test_the_validator_itself_rejects_bad_values() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "integer", "minimum": 1}},
        "required": ["a"],
    }
    assert errors(schema, {"a": 2}) == []
    assert errors(schema, {"a": 0})
    assert errors(schema, {})
    assert errors(schema, {"a": "x"})
    assert errors({"type": "string", "pattern": "^a+$"}, "b")


# -- hand-written schemas -------------------------------------------------------------------

SCHEMAS: list[dict[str, Any]] = [
    {"type": "string"},
    {"type": "integer", "minimum": 10, "maximum": 12},
    {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
    {"type": "integer", "exclusiveMinimum": 5},
    {"type": "integer", "maximum": -3},
    {"type": "integer", "minimum": 7, "multipleOf": 5},
    {"type": "number", "minimum": 0.1, "maximum": 0.9, "multipleOf": 0.25},
    {"type": "boolean"},
    {"type": "null"},
    {"enum": ["red", "green", "blue"]},
    {"const": {"fixed": [1, 2]}},
    {"type": ["string", "null"]},
    {"type": "string", "minLength": 12, "maxLength": 14},
    {"type": "string", "maxLength": 2},
    {"type": "string", "pattern": r"^[A-Z]{3}-\d{2}$"},
    {"type": "string", "format": "date-time"},
    {"type": "string", "format": "email"},
    {"type": "string", "format": "uuid"},
    {"type": "array", "items": {"type": "integer"}, "minItems": 3, "maxItems": 5},
    {"type": "array", "items": {"type": "string"}, "maxItems": 0},
    {
        "type": "array",
        "items": {"type": "integer", "minimum": 0},
        "minItems": 4,
        "uniqueItems": True,
    },
    {"type": "array", "items": {"enum": ["a", "b", "c"]}, "minItems": 3, "uniqueItems": True},
    {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "items": False},
    {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
        "required": ["a"],
        "additionalProperties": False,
    },
    {"type": "object", "additionalProperties": {"type": "integer"}, "minProperties": 2},
    {"anyOf": [{"type": "string", "minLength": 3}, {"type": "integer"}]},
    {"oneOf": [{"type": "integer"}, {"type": "string"}]},
    {
        "allOf": [
            {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
            {"properties": {"b": {"type": "string"}}, "required": ["b"]},
        ]
    },
    {
        "$defs": {
            "Point": {"type": "object", "properties": {"x": {"type": "number"}}, "required": ["x"]}
        },
        "type": "object",
        "properties": {
            "p": {"$ref": "#/$defs/Point"},
            "ps": {"type": "array", "items": {"$ref": "#/$defs/Point"}},
        },
        "required": ["p", "ps"],
    },
    {
        "definitions": {
            "node": {
                "type": "object",
                "properties": {
                    "value": {"type": "integer"},
                    "next": {"anyOf": [{"$ref": "#/definitions/node"}, {"type": "null"}]},
                },
                "required": ["value", "next"],
            }
        },
        "$ref": "#/definitions/node",
    },
    {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "children": {"type": "array", "items": {"$ref": "#"}},
        },
        "required": ["name", "children"],
    },
    {"minimum": 3},
    {"properties": {"k": {"type": "string"}}, "required": ["k"]},
]


@pytest.mark.parametrize("schema", SCHEMAS, ids=[str(i) for i in range(len(SCHEMAS))])
def test_hand_written_schemas(schema: dict[str, Any]) -> None:
    for seed in range(3):
        value = generate_instance(schema, seed=seed)
        assert errors(schema, value) == [], (schema, value)
        json.dumps(value)


def test_objects_include_optional_properties_at_the_top() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
        "required": ["a"],
    }
    assert set(generate_instance(schema)) == {"a", "b"}


def test_generation_is_deterministic() -> None:
    schema = SCHEMAS[-3]
    assert generate_instance(schema, Hints("x"), 3) == generate_instance(schema, Hints("x"), 3)


@pytest.mark.parametrize(
    "schema",
    [
        {"$ref": "#/$defs/missing"},
        {"type": "integer", "minimum": 5, "maximum": 4},
        {"enum": []},
        {"type": "string", "pattern": "(?=x)x"},
        {"allOf": [{"type": "string"}, {"type": "boolean"}]},
    ],
)
def test_unusable_schemas_raise(schema: dict[str, Any]) -> None:
    with pytest.raises(SchemaError):
        generate_instance(schema)


# -- pydantic models, validated by pydantic -------------------------------------------------


class Address(BaseModel):
    street: str
    city: str
    zip_code: str = Field(pattern=r"^\d{5}$")


class Tree(BaseModel):
    label: str
    children: list[Tree] = []
    parent: Tree | None = None


class Cat(BaseModel):
    kind: Literal["cat"]
    lives: int = Field(ge=1, le=9)


class Dog(BaseModel):
    kind: Literal["dog"]
    good: bool


class Person(BaseModel):
    name: str
    age: int = Field(ge=0, le=150)
    score: float = Field(gt=0, lt=1)
    email: str | None = None
    role: Literal["admin", "user"]
    tags: list[str] = Field(min_length=2, max_length=3)
    address: Address
    tree: Tree
    pet: Cat | Dog = Field(discriminator="kind")
    ratios: dict[str, float] = {}
    shape: tuple[int, str]


def test_pydantic_models_validate() -> None:
    schema = Person.model_json_schema()
    for seed in range(5):
        value = generate_instance(schema, Hints("any text at all"), seed)
        Person.model_validate(value)
        assert errors(schema, value) == []


def test_values_come_from_the_prompt() -> None:
    hints = Hints("Extract: name is Alice, age is 30, a user living in Paris. Tags: a, b")
    value = generate_instance(Person.model_json_schema(), hints, 1)
    person = Person.model_validate(value)
    assert person.name == "Alice"
    assert person.age == 30
    assert person.role == "user"
    assert person.address.city == "Paris"


def test_an_out_of_range_prompt_number_is_not_used() -> None:
    schema = {"type": "object", "properties": {"age": {"type": "integer", "maximum": 120}}}
    value = generate_instance(schema, Hints("age is 500"))
    assert errors(schema, value) == []
    assert value["age"] != 500
