"""Shared mutable state of one emulator: stores, request log, faults and counters."""

from __future__ import annotations

import hashlib
import itertools
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from ._batches import BatchStore
from ._config import EmulatorConfig
from ._faults import FaultBook
from ._files import FileStore
from ._images import ImageStore
from ._models import ModelTable
from ._ratelimit import RateLimiter

__all__ = ["EmulatorState", "RecordedRequest"]


@dataclass(frozen=True)
class RecordedRequest:
    """One request the emulator received.

    ``headers`` has lower-case names; the ``authorization`` value is replaced by
    ``"<redacted>"``. ``json`` is the parsed JSON body, or ``None`` when the body is not JSON.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    body: bytes = field(repr=False)
    request_id: str


class EmulatorState:
    """Everything one emulator remembers between requests."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.models = ModelTable(config.models)
        self.faults = FaultBook()
        for fault in config.faults:
            self.faults.inject(fault)
        self.files = FileStore()
        self.images = ImageStore(config.max_stored_images)
        self.batches = BatchStore(self)
        self.log: deque[RecordedRequest] = deque(maxlen=max(1, config.request_log_limit))
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.limiter = RateLimiter(
            config.rate_limit_requests, config.rate_limit_tokens, config.rate_limit_window
        )

    def now(self) -> int:
        """The current Unix time (or the configured fixed time)."""
        fixed = self.config.fixed_time
        return fixed if fixed is not None else int(time.time())

    def _next(self) -> int:
        with self._lock:
            return next(self._ids)

    def new_hex(self, size: int = 16) -> str:
        """A new id of ``2 * size`` hex digits, deterministic per emulator."""
        number = self._next()
        return hashlib.blake2b(
            str(number).encode(), digest_size=size, person=b"nebius-emu"
        ).hexdigest()

    def new_uuid(self) -> str:
        """A new UUID string, deterministic per emulator."""
        return str(uuid.UUID(hex=self.new_hex(16), version=4))

    def record(self, entry: RecordedRequest) -> None:
        """Add a request to the log."""
        self.log.append(entry)

    def reset(self, storage: bool = False) -> None:
        """Clear the request log, faults and rate-limit windows; with ``storage``, also files,
        images, batches."""
        self.log.clear()
        self.faults.reset()
        self.limiter.reset()
        if storage:
            self.files.clear()
            self.images.clear()
            self.batches.clear()
