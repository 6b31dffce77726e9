"""A recorder of LlamaIndex instrumentation events, for the tests that check what is emitted."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from llama_index.core.instrumentation import get_dispatcher  # type: ignore[attr-defined]
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent


class EventRecorder(BaseEventHandler):
    """Keeps every event the root dispatcher sends while it is attached."""

    events: list[BaseEvent] = []

    @classmethod
    def class_name(cls) -> str:
        return "EventRecorder"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        self.events.append(event)

    def names(self) -> list[str]:
        return [e.class_name() for e in self.events]


@contextmanager
def recording_events() -> Iterator[EventRecorder]:
    """An :class:`EventRecorder` attached to the root dispatcher for the ``with`` block."""
    handler = EventRecorder(events=[])
    root = get_dispatcher()
    root.add_event_handler(handler)
    try:
        yield handler
    finally:
        root.event_handlers.remove(handler)
