"""JSON helpers: compact encoding, pre-rendered fragments and stable hashing."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

__all__ = ["RawJSON", "canonical", "dumps", "stable_int"]


class RawJSON(str):
    """A string holding already-encoded JSON, spliced verbatim by :func:`dumps`."""

    __slots__ = ()


_PLACEHOLDER = re.compile(r'"\\u0000raw(\d+)\\u0000"')


def dumps(obj: Any) -> bytes:
    """Encode ``obj`` compactly as UTF-8 JSON, splicing :class:`RawJSON` values in place."""
    raws: list[str] = []

    def default(value: Any) -> Any:
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")

    def swap(value: Any) -> Any:
        if isinstance(value, RawJSON):
            raws.append(str(value))
            return f"\x00raw{len(raws) - 1}\x00"
        if isinstance(value, dict):
            return {key: swap(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [swap(item) for item in value]
        return value

    text = json.dumps(
        swap(obj), ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=default
    )
    if raws:
        text = _PLACEHOLDER.sub(lambda match: raws[int(match.group(1))], text)
    return text.encode("utf-8")


def canonical(obj: Any) -> bytes:
    """Return a canonical byte form of ``obj`` (sorted keys), for hashing."""
    return json.dumps(
        obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    ).encode()


def stable_int(*parts: Any, bits: int = 64) -> int:
    """Return a stable integer hash of ``parts`` (never Python's randomised ``hash()``)."""
    digest = hashlib.blake2b(canonical(list(parts)), digest_size=max(1, bits // 8)).digest()
    return int.from_bytes(digest, "big")
