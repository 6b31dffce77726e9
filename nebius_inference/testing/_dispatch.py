"""Run one request body through the online handlers (used by batches)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._chat import chat_completion
from ._embeddings import create_embeddings
from ._errors import EmulatorError
from ._streams import StreamReply

if TYPE_CHECKING:
    from ._state import EmulatorState

__all__ = ["BATCH_URLS", "run_json"]

_Handler = Callable[["EmulatorState", Any], "dict[str, Any] | StreamReply"]
_HANDLERS: dict[str, _Handler] = {
    "/v1/chat/completions": chat_completion,
    "/v1/embeddings": create_embeddings,
}
BATCH_URLS = tuple(_HANDLERS)


def run_json(state: EmulatorState, url: str, body: Any) -> dict[str, Any]:
    """Run ``body`` against the endpoint ``url`` and return the JSON reply."""
    handler = _HANDLERS.get(url)
    if handler is None:
        raise EmulatorError(400, f"url must be one of {list(BATCH_URLS)}, got {url!r}")
    if isinstance(body, dict) and body.get("stream"):
        raise EmulatorError(400, "stream is not supported in batch requests")
    result = handler(state, body)
    if isinstance(result, StreamReply):  # pragma: no cover - stream is refused above
        raise EmulatorError(400, "stream is not supported in batch requests")
    return result
