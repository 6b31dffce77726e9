"""A reply that is streamed as server-sent events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["StreamReply"]


@dataclass(frozen=True)
class StreamReply:
    """The ``data:`` payloads of a streamed reply, without the final ``[DONE]``."""

    events: list[dict[str, Any]]
