"""Constructor signatures for pydantic classes whose validators are built late.

pydantic stores a class's ``__signature__`` only when it builds the class's validator, so a
class declared with ``ConfigDict(defer_build=True)`` (built on first construction, to keep
imports fast) shows a parent's signature until then: ``help()``, IDEs and
``inspect.signature`` would list the wrong fields. :class:`FieldSignature` gives every subclass
its own signature, computed on first access, listing the constructor fields.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from ._checks import closest_name

__all__ = ["FieldSignature", "check_arguments", "field_names", "field_signature"]


@functools.cache
def field_names(cls: type[Any]) -> frozenset[str]:
    """Every name a field of the pydantic model ``cls`` accepts: field names, aliases and
    alias choices."""
    names: set[str] = set()
    for name, field in cls.__pydantic_fields__.items():
        names.add(name)
        if field.alias:
            names.add(field.alias)
        choices = field.validation_alias
        if isinstance(choices, str):
            names.add(choices)
        else:
            names.update(c for c in getattr(choices, "choices", ()) if isinstance(c, str))
    return frozenset(names)


def check_arguments(
    owner: str,
    given: Iterable[str],
    accepted: Collection[str],
    renamed: Mapping[str, str] | None = None,
) -> None:
    """Raise a ``TypeError`` naming every argument in ``given`` that ``owner``'s constructor
    would otherwise drop (not in ``accepted``), with "did you mean" for a name one typo away
    from an accepted one, or the new name from ``renamed``."""
    unknown = [name for name in given if name not in accepted]
    if not unknown:
        return
    parts = []
    for name in unknown:
        guess = (renamed or {}).get(name) or closest_name(name, accepted)
        parts.append(f"`{name}`" + (f" (did you mean `{guess}`?)" if guess else ""))
    one = len(parts) == 1
    what = "it is not a field or setting" if one else "none is a field or setting"
    raise TypeError(
        f"{owner} got unexpected keyword argument{'' if one else 's'} {', '.join(parts)}: "
        f"{what} of {owner}, so {'it' if one else 'they'} would be ignored. Check the "
        f"spelling; `help({owner})` lists the arguments."
    )


def field_signature(cls: type[Any]) -> inspect.Signature:
    """The constructor signature of the pydantic model ``cls``: ``__init__``'s own parameters,
    then every field (by its alias where validation uses one), as pydantic itself would show it
    once the class is built. A pass-through ``*args`` is left out: pydantic models take no
    positional arguments."""
    try:
        from pydantic._internal._signature import generate_pydantic_signature

        signature = generate_pydantic_signature(
            init=cls.__init__,
            fields=cls.__pydantic_fields__,
            validate_by_alias=cls.model_config.get("validate_by_alias", True),
            extra=cls.model_config.get("extra"),
        )
    except (ImportError, TypeError, AttributeError):  # another pydantic's private function
        signature = _plain_signature(cls)
    return signature.replace(
        parameters=[p for p in signature.parameters.values() if p.kind is not p.VAR_POSITIONAL],
        return_annotation=None,
    )


def _plain_signature(cls: type[Any]) -> inspect.Signature:
    """:func:`field_signature` with public APIs only (names and defaults as pydantic shows them;
    annotations as declared)."""
    fields = cls.__pydantic_fields__
    own = list(inspect.signature(cls.__init__).parameters.values())[1:]
    params: dict[str, inspect.Parameter] = {}
    var_keyword = None
    for param in own:
        if param.kind is param.VAR_KEYWORD:
            var_keyword = param
        else:
            name = _name(param.name, fields[param.name]) if param.name in fields else param.name
            params[name] = param.replace(name=name)
    if var_keyword is None:
        return inspect.Signature(list(params.values()))
    for field_name, field in fields.items():
        name = _name(field_name, field)
        if not name.isidentifier() or name in params or field_name in params:
            continue
        if field.is_required():
            default: Any = inspect.Parameter.empty
        elif field.default_factory is not None:
            default = _FACTORY
        else:
            default = field.default
        params[name] = inspect.Parameter(
            name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=field.annotation
        )
    ordered = sorted(params.values(), key=lambda p: p.kind)  # positional ones first
    return inspect.Signature(ordered)


def _name(name: str, field: Any) -> str:
    """The name a field is validated under: its string alias, if it has one."""
    alias = field.validation_alias if isinstance(field.validation_alias, str) else None
    return str(alias or field.alias or name)


class _Factory:
    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()


class _LazySignature:
    """A class-only attribute: the class's :func:`field_signature`, computed on first access."""

    def __init__(self) -> None:
        self._signature: inspect.Signature | None = None

    def __get__(self, instance: Any, owner: type[Any]) -> inspect.Signature:
        if instance is not None:  # an instance's signature is its __call__'s
            raise AttributeError("__signature__ is an attribute of the class only")
        if self._signature is None:
            self._signature = field_signature(owner)
        return self._signature


class FieldSignature:
    """Mixin for pydantic models: ``inspect.signature(cls)`` lists the constructor fields
    before and after the class's validator is built (see the module docstring)."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)  # type: ignore[misc]
        cls.__signature__ = _LazySignature()  # type: ignore[attr-defined]

    @classmethod
    def __pydantic_on_complete__(cls) -> None:
        # pydantic >= 2.12 calls this after storing its own signature when it builds the class.
        parent = getattr(super(), "__pydantic_on_complete__", None)
        if parent is not None:
            parent()
        cls.__signature__ = _LazySignature()  # type: ignore[attr-defined]
