"""Callbacks for batch inference: each input is reported as the chat model run it stands for.

A batch job's replies arrive long after they were asked for, so each input's run is started
and ended when the job's results are converted: ``on_chat_model_start`` with the input's
messages and the model's invocation parameters, then ``on_llm_end`` with the ``AIMessage`` (its
``usage_metadata`` included, so usage handlers count batch tokens) or ``on_llm_error`` with the
item's error. Handlers come from the call's ``config``, the bound runnable's config, the
model's own ``callbacks`` and the environment (LangSmith tracing), as for ``invoke``. With no
handler, nothing is done.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManager, CallbackManager
from langchain_core.load import dumpd
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, LLMResult
from langchain_core.runnables import Runnable, RunnableBinding, RunnableConfig
from langchain_core.runnables.config import ensure_config, merge_configs

from nebius_inference.batch import BatchItemError

from ._batch_convert import ChatCalls
from .callbacks import BATCH_API_METADATA

__all__ = ["BatchRunReporter"]


def _bound_config(model: Runnable[Any, Any]) -> RunnableConfig:
    """The configs of ``with_config(...)`` bindings around the model (the outer one wins)."""
    configs: list[RunnableConfig] = []
    runnable: Any = model
    while isinstance(runnable, RunnableBinding):
        configs.insert(0, runnable.config)
        runnable = runnable.bound
    return merge_configs(*configs)


class BatchRunReporter:
    """Reports a finished batch job's inputs to the callback handlers, one run per input."""

    def __init__(
        self, model: Runnable[Any, Any], calls: ChatCalls, *, config: RunnableConfig | None
    ) -> None:
        self._calls = calls
        # ensure_config also picks up the config of an enclosing run (a chain, a graph node).
        self._config = merge_configs(_bound_config(model), ensure_config(config))

    def _configure(self) -> tuple[dict[str, Any], dict[str, Any]]:
        calls, config = self._calls, self._config
        chat = calls.chat
        params = chat._get_invocation_params(stop=calls.stop, **calls.kwargs)
        metadata = {
            **(config.get("metadata") or {}),
            **chat._get_ls_params(stop=calls.stop, **calls.kwargs),
            BATCH_API_METADATA: True,
        }
        options = {
            "inheritable_callbacks": config.get("callbacks"),
            "local_callbacks": chat.callbacks,
            "verbose": chat.verbose,
            "inheritable_tags": config.get("tags"),
            "local_tags": chat.tags,
            "inheritable_metadata": metadata,
            "local_metadata": chat.metadata,
        }
        return options, params

    def _start_arguments(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "invocation_params": params,
            "options": {"stop": self._calls.stop},
            "name": self._config.get("run_name"),
            "batch_size": len(self._calls.messages),
        }

    def _check(self, outputs: Sequence[AIMessage | BatchItemError]) -> None:
        if len(outputs) != len(self._calls.messages):
            raise ValueError(
                f"The job has {len(outputs)} outputs for {len(self._calls.messages)} inputs."
            )

    def report(self, outputs: Sequence[AIMessage | BatchItemError]) -> None:
        """Start and end one run per input (``outputs`` in input order)."""
        self._check(outputs)
        options, params = self._configure()
        manager = CallbackManager.configure(**options)
        if not manager.handlers:
            return
        runs = manager.on_chat_model_start(
            dumpd(self._calls.chat), self._calls.messages, **self._start_arguments(params)
        )
        for run, output in zip(runs, outputs, strict=True):
            if isinstance(output, BatchItemError):
                run.on_llm_error(output, response=LLMResult(generations=[]))
            else:
                run.on_llm_end(LLMResult(generations=[[ChatGeneration(message=output)]]))

    async def areport(self, outputs: Sequence[AIMessage | BatchItemError]) -> None:
        """The async twin of :meth:`report` (async handlers are awaited)."""
        self._check(outputs)
        options, params = self._configure()
        manager = AsyncCallbackManager.configure(**options)
        if not manager.handlers:
            return
        runs = await manager.on_chat_model_start(
            dumpd(self._calls.chat), self._calls.messages, **self._start_arguments(params)
        )
        for run, output in zip(runs, outputs, strict=True):
            if isinstance(output, BatchItemError):
                await run.on_llm_error(output, response=LLMResult(generations=[]))
            else:
                await run.on_llm_end(LLMResult(generations=[[ChatGeneration(message=output)]]))
