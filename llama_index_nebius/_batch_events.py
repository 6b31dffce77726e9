"""Events for batch inference: each input is reported as the ``llm.chat`` call it stands for.

A batch job's replies arrive long after they were asked for, so each input's events are sent
when the job's results are converted, in one span: ``LLMChatStartEvent`` and
``LLMChatEndEvent`` (or an ``ExceptionEvent``) through the instrumentation dispatcher, and a
``CBEventType.LLM`` start/end pair through the LLM's ``callback_manager``, with the same
payloads ``llm.chat`` sends. So handlers such as ``TokenCountingHandler`` count batch tokens
(from each response's usage) and tracing integrations see every item.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llama_index.core.base.llms.types import ChatResponse
from llama_index.core.callbacks import CallbackManager, CBEventType, EventPayload
from llama_index.core.instrumentation import get_dispatcher  # type: ignore[attr-defined]
from llama_index.core.instrumentation.events.exception import ExceptionEvent
from llama_index.core.instrumentation.events.llm import LLMChatEndEvent, LLMChatStartEvent
from llama_index.core.instrumentation.span import active_span_id

from nebius_inference.batch import BatchItemError

from ._batch_convert import ChatCall
from .llms import NebiusLLM

__all__ = ["report_batch_chats"]

dispatcher = get_dispatcher(__name__)


@dispatcher.span
def report_batch_chats(
    llm: NebiusLLM,
    calls: Sequence[ChatCall],
    outputs: Sequence[ChatResponse | BatchItemError],
) -> None:
    """Send one chat's events per input (``calls`` and ``outputs`` in input order)."""
    if len(outputs) != len(calls):
        raise ValueError(f"The job has {len(outputs)} outputs for {len(calls)} inputs.")
    manager: CallbackManager = llm.callback_manager
    model: dict[str, Any] = llm.to_payload()
    span_id = active_span_id.get()
    with manager.as_trace("batch_inference"):
        for (messages, kwargs), output in zip(calls, outputs, strict=True):
            dispatcher.event(
                LLMChatStartEvent(
                    model_dict=model, messages=messages, additional_kwargs=kwargs, span_id=span_id
                )
            )
            event_id = manager.on_event_start(
                CBEventType.LLM,
                payload={
                    EventPayload.MESSAGES: messages,
                    EventPayload.ADDITIONAL_KWARGS: kwargs,
                    EventPayload.SERIALIZED: model,
                },
            )
            if isinstance(output, BatchItemError):
                manager.on_event_end(
                    CBEventType.LLM, payload={EventPayload.EXCEPTION: output}, event_id=event_id
                )
                dispatcher.event(ExceptionEvent(exception=output, span_id=span_id))
                continue
            manager.on_event_end(
                CBEventType.LLM,
                payload={EventPayload.MESSAGES: messages, EventPayload.RESPONSE: output},
                event_id=event_id,
            )
            dispatcher.event(LLMChatEndEvent(messages=messages, response=output, span_id=span_id))
