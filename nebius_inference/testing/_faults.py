"""Faults on demand: error replies, dropped connections, cut or slow streams, bad output.

A fault is written ``kind;param=value;param=value``. Several faults are separated by
commas and tried in order: the first one with uses left fires. See the package docstring
for the kinds and parameters.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal, cast, get_args
from urllib.parse import quote, unquote

__all__ = ["FAULT_HEADER", "FAULT_KEY_HEADER", "Fault", "FaultBook", "FaultKind", "parse_faults"]

FAULT_HEADER = "x-emulator-fault"
FAULT_KEY_HEADER = "x-emulator-fault-key"

FaultKind = Literal[
    "rate_limit",
    "error",
    "payment_required",
    "disconnect",
    "lost_reply",
    "delay",
    "malformed",
    "stream_cut",
    "stream_delay",
    "stream_error",
    "batch_fail",
    "batch_expire",
    "batch_drop_output",
    "batch_malformed_output",
]
_KINDS: frozenset[str] = frozenset(get_args(FaultKind))
STREAM_KINDS = frozenset({"stream_cut", "stream_delay", "stream_error"})
BATCH_KINDS = frozenset(
    {"batch_fail", "batch_expire", "batch_drop_output", "batch_malformed_output"}
)
_INT_PARAMS = ("times", "status", "after", "lines")
_FLOAT_PARAMS = ("retry_after", "seconds")


class FaultSyntaxError(ValueError):
    """A fault specification could not be parsed."""


@dataclass(frozen=True)
class Fault:
    """A fault to apply to matching requests, ``times`` times (``-1``: every time).

    ``path``/``method`` restrict an injected fault to some requests (``path`` is a prefix
    such as ``"/v1/chat/completions"``); header faults always apply to their own request.
    """

    kind: FaultKind
    times: int = 1
    status: int | None = None
    retry_after: float | None = None
    seconds: float | None = None
    after: int | None = None
    lines: int | None = None
    message: str | None = None
    key: str | None = None
    path: str | None = None
    method: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise FaultSyntaxError(f"unknown fault kind {self.kind!r}")
        if self.times == 0 or self.times < -1:
            raise FaultSyntaxError("times must be a positive integer or -1 (always)")
        if self.status is not None and not 400 <= self.status <= 599:
            raise FaultSyntaxError("status must be between 400 and 599")

    @property
    def for_streams(self) -> bool:
        """Whether the fault only applies to streamed replies."""
        return self.kind in STREAM_KINDS

    @property
    def for_batches(self) -> bool:
        """Whether the fault applies to batch creation (``POST /v1/batches``)."""
        return self.kind in BATCH_KINDS

    def header(self) -> str:
        """Return this fault in the ``x-emulator-fault`` header syntax."""
        parts: list[str] = [self.kind]
        for name in ("times", "status", "retry_after", "seconds", "after", "lines"):
            value = getattr(self, name)
            if value is not None and not (name == "times" and value == 1):
                parts.append(f"{name}={'*' if name == 'times' and value == -1 else value}")
        for name in ("message", "key"):
            value = getattr(self, name)
            if value is not None:
                parts.append(f"{name}={quote(value, safe='')}")
        return ";".join(parts)

    def __str__(self) -> str:
        return self.header()

    def applies_to(self, method: str, path: str, streaming: bool) -> bool:
        """Whether the fault matches a request."""
        if self.method is not None and self.method.upper() != method.upper():
            return False
        if self.path is not None and not path.startswith(self.path):
            return False
        if self.for_batches:
            return method.upper() == "POST" and path.rstrip("/") == "/v1/batches"
        if self.kind in STREAM_KINDS:
            return streaming
        return True


def parse_faults(text: str) -> list[Fault]:
    """Parse a header value holding one or more comma-separated faults."""
    faults: list[Fault] = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        kind_text, *params = [part.strip() for part in item.split(";")]
        values: dict[str, object] = {}
        for param in params:
            if not param:
                continue
            name, sep, raw = param.partition("=")
            name, raw = name.strip(), unquote(raw.strip())
            if not sep:
                raise FaultSyntaxError(f"parameter {name!r} needs a value (name=value)")
            try:
                if name == "times":
                    values[name] = -1 if raw in ("*", "always", "-1") else int(raw)
                elif name in _INT_PARAMS:
                    values[name] = int(raw)
                elif name in _FLOAT_PARAMS:
                    values[name] = float(raw)
                elif name in ("message", "key"):
                    values[name] = raw
                else:
                    raise FaultSyntaxError(f"unknown parameter {name!r}")
            except ValueError as exc:
                if isinstance(exc, FaultSyntaxError):
                    raise
                raise FaultSyntaxError(f"bad value for {name!r}: {raw!r}") from None
        if kind_text not in _KINDS:
            raise FaultSyntaxError(f"unknown fault kind {kind_text!r}")
        faults.append(Fault(cast(FaultKind, kind_text), **values))  # type: ignore[arg-type]
    return faults


@dataclass
class _Armed:
    fault: Fault
    left: int


@dataclass
class FaultBook:
    """Injected faults and the use counters of header faults, for one emulator."""

    _injected: list[_Armed] = field(default_factory=list)
    _used: dict[tuple[str, ...], int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def inject(self, fault: Fault) -> None:
        """Queue ``fault`` for the next matching requests."""
        with self._lock:
            self._injected.append(_Armed(fault, fault.times))

    def reset(self) -> None:
        """Forget injected faults and header counters."""
        with self._lock:
            self._injected.clear()
            self._used.clear()

    def pending(self) -> list[Fault]:
        """Injected faults that still have uses left."""
        with self._lock:
            return [replace(armed.fault, times=armed.left) for armed in self._injected]

    def take(
        self, method: str, path: str, streaming: bool, headers: Mapping[str, str]
    ) -> Fault | None:
        """Return the fault to apply to a request and count its use, or ``None``."""
        header = headers.get(FAULT_HEADER)
        with self._lock:
            if header:
                client_key = headers.get(FAULT_KEY_HEADER, "")
                for fault in parse_faults(header):
                    if not fault.applies_to(method, path, streaming):
                        continue
                    counter = (header, fault.header(), fault.key or client_key, method, path)
                    used = self._used.get(counter, 0)
                    if fault.times == -1 or used < fault.times:
                        self._used[counter] = used + 1
                        return fault
            for armed in self._injected:
                if armed.left != 0 and armed.fault.applies_to(method, path, streaming):
                    if armed.left > 0:
                        armed.left -= 1
                    return armed.fault
            self._injected = [armed for armed in self._injected if armed.left != 0]
        return None
