"""Embedding vectors in the shape the caller asks for, decoded from the reply without floats.

``output="list"`` gives lists of Python floats (about 24 bytes per number); ``"array"`` an
``array('f')`` per vector (4 bytes per number); ``"numpy"`` one contiguous float32 block of
shape ``(texts, dimensions)``. The compact shapes are decoded straight from the base64 wire
format: no Python float is built. Pure functions, no I/O.
"""

from __future__ import annotations

import base64
import importlib
import json
import sys
from array import array
from collections.abc import Sequence
from types import ModuleType
from typing import Any, Literal

from ._errors import APIResponseValidationError, ConfigurationError, InvalidRequestError

__all__ = ["OUTPUTS", "Output", "decode_vectors", "join_vectors", "require_numpy"]

Output = Literal["list", "array", "numpy"]
OUTPUTS: tuple[Output, ...] = ("list", "array", "numpy")

_LITTLE_ENDIAN = sys.byteorder == "little"


def require_numpy() -> ModuleType:
    """numpy, or an error that says how to get it (or what to use instead)."""
    try:
        return importlib.import_module("numpy")
    except ImportError:
        raise ConfigurationError(
            "output='numpy' needs numpy, which is not installed: run `pip install numpy`, "
            "or use output='array' (an array('f') per vector, no dependency)."
        ) from None


def check_output(output: object) -> Output:
    """Refuse an unknown ``output`` (and ``"numpy"`` without numpy) before anything is sent."""
    if output not in OUTPUTS:
        raise InvalidRequestError(
            f"output must be one of 'list', 'array', 'numpy', got {output!r}."
        )
    if output == "numpy":
        require_numpy()
    return output


def _float32(data: str | list[float]) -> array[float]:
    values = array("f")
    if isinstance(data, str):
        values.frombytes(base64.b64decode(data))
        if not _LITTLE_ENDIAN:  # pragma: no cover - big-endian hosts
            values.byteswap()
    elif isinstance(data, list):
        values.fromlist(data)
    else:
        raise TypeError("embedding is neither a list nor base64")
    return values


def decode_vectors(content: bytes, output: Output, expected: int | None = None) -> Any:
    """The vectors of one embeddings reply, in input order, in the ``output`` shape.

    Raises ``ValueError``/``KeyError``/``TypeError`` on a reply that cannot be read, or that
    holds another number of vectors than ``expected`` (the caller maps these to its error).
    """
    items = json.loads(content)["data"]
    if expected is not None and len(items) != expected:
        raise ValueError(f"the reply holds {len(items)} vectors for {expected} texts")
    ordered = sorted(items, key=lambda item: int(item.get("index", 0)))
    raw = [item["embedding"] for item in ordered]
    if output == "list":
        return [v if isinstance(v, list) else _float32(v).tolist() for v in raw]
    vectors = [_float32(v) for v in raw]
    if output == "array":
        return vectors
    return _block(vectors)


def _block(vectors: Sequence[array[float]]) -> Any:
    """One contiguous float32 numpy block, shape ``(len(vectors), dimensions)``."""
    np = require_numpy()
    dims = {len(v) for v in vectors}
    if len(dims) > 1:
        raise ValueError(f"the vectors have different lengths: {sorted(dims)}")
    block = np.empty((len(vectors), dims.pop() if dims else 0), dtype=np.float32)
    for row, values in zip(block, vectors, strict=True):
        row[:] = np.frombuffer(values, dtype=np.float32)
    return block


def join_vectors(parts: Sequence[Any], output: Output) -> Any:
    """Consecutive parts (each a list of vectors, or a numpy block) as one, in order."""
    if len(parts) == 1:
        return parts[0]
    if output == "numpy":
        np = require_numpy()
        if not parts:
            return np.empty((0, 0), dtype=np.float32)
        return np.concatenate(parts)
    return [vector for part in parts for vector in part]


class Gather:
    """Collects the chunks of ``texts`` vectors as they come; for numpy, straight into one
    block allocated once its width is known, so the whole result is never held twice."""

    def __init__(self, total: int, output: Output) -> None:
        self._output = output
        self._total = total
        self._parts: list[Any] = []
        self._block: Any = None

    def add(self, start: int, vectors: Any) -> None:
        if self._output != "numpy":
            self._parts.append(vectors)
            return
        if self._block is None:
            np = require_numpy()
            self._block = np.empty((self._total, vectors.shape[1]), dtype=np.float32)
        if vectors.shape[1] != self._block.shape[1]:
            raise APIResponseValidationError(
                f"The embeddings replies hold vectors of different lengths "
                f"({self._block.shape[1]} and {vectors.shape[1]}), so they do not fit one "
                "numpy block. Use output='array', or report it if it persists."
            )
        self._block[start : start + len(vectors)] = vectors

    def result(self) -> Any:
        if self._output != "numpy":
            return join_vectors(self._parts, self._output) if self._parts else []
        if self._block is None:
            return join_vectors([], "numpy")
        return self._block
