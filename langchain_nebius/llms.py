"""``NebiusLLM``: LangChain text-completion model over the Nebius ``/v1/completions`` API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseLLM, LangSmithParams
from langchain_core.outputs import Generation, GenerationChunk, LLMResult
from pydantic import AliasChoices, ConfigDict, Field, model_validator
from typing_extensions import override

from nebius_inference.catalog import DEFAULT_CHAT_MODEL
from nebius_inference.types import Completion, Usage

from ._common import (
    NebiusClientMixin,
    build_model_kwargs,
    count_text_tokens,
    stored_signature,
)
from ._convert import completion_to_generations
from ._errors import translate_errors
from ._params import body_fields, call_options, langsmith_params
from ._stream import completion_chunk_to_generation

__all__ = ["NebiusLLM"]


def _add_usage(total: dict[str, int], usage: Usage | None) -> None:
    if usage is None:
        return
    for name in ("prompt_tokens", "completion_tokens", "total_tokens"):
        total[name] = total.get(name, 0) + int(getattr(usage, name) or 0)


class NebiusLLM(NebiusClientMixin, BaseLLM):
    """Text completion (``/v1/completions``) on Nebius Token Factory.

    Example:
        .. code-block:: python

            from langchain_nebius import NebiusLLM

            llm = NebiusLLM(model="Qwen/Qwen3-235B-A22B-Instruct-2507", max_tokens=64)
            llm.invoke("The capital of France is")

    Several prompts (``batch``/``generate``) go in one request per ``batch_size`` prompts. Usage
    is in ``llm_output["token_usage"]``; ``logprobs`` (an int: how many alternatives per token)
    and ``echo`` are supported. Set ``model`` yourself: the Nebius catalogue changes.
    """

    model_config = ConfigDict(
        hide_input_in_errors=True,
        populate_by_name=True,
        protected_namespaces=(),
        arbitrary_types_allowed=True,
    )

    model_name: str = Field(default=DEFAULT_CHAT_MODEL, alias="model")
    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    top_k: int | None = None
    n: int | None = None
    stop: list[str] | str | None = Field(
        default=None, validation_alias=AliasChoices("stop", "stop_sequences")
    )
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    seed: int | None = None
    logprobs: int | None = None
    """Return the log probabilities of this many most likely tokens per position."""
    echo: bool | None = None
    """Return the prompt too, in front of the completion."""
    logit_bias: dict[str, float] | None = None
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    extra_body: dict[str, Any] | None = None
    streaming: bool = False
    """Stream even when ``invoke`` is called (single prompt)."""
    batch_size: int = Field(default=20, ge=1)
    """Prompts per request when several are generated at once."""

    @model_validator(mode="before")
    @classmethod
    def _nebius_build_extra(cls, values: Any) -> Any:
        return build_model_kwargs(cls, values)

    @override
    def get_num_tokens(self, text: str) -> int:
        """About how many tokens ``text`` is (4 characters a token), with no tokenizer
        download; pass ``custom_get_token_ids`` for exact counts. Replies carry the exact
        usage."""
        return count_text_tokens(text, self.custom_get_token_ids)

    @property
    @override
    def _llm_type(self) -> str:
        return "nebius"

    @property
    @override
    def lc_secrets(self) -> dict[str, str]:
        return {"api_key": "NEBIUS_API_KEY"}

    @classmethod
    @override
    def is_lc_serializable(cls) -> bool:
        return True

    @classmethod
    @override
    def get_lc_namespace(cls) -> list[str]:
        return ["langchain_nebius", "llms"]

    @property
    def _default_params(self) -> dict[str, Any]:
        optional = {
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "top_p": self.top_p,
            "top_k": self.top_k,
            "n": self.n,
            "stop": self.stop or None,
            "presence_penalty": self.presence_penalty,
            "frequency_penalty": self.frequency_penalty,
            "seed": self.seed,
            "logprobs": self.logprobs,
            "echo": self.echo,
            "logit_bias": self.logit_bias,
        }
        return {
            "model": self.model_name,
            **{k: v for k, v in optional.items() if v is not None},
            **self.model_kwargs,
        }

    @property
    @override
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, **self._default_params}

    @override
    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = {**self._default_params, **kwargs}
        return langsmith_params(params, stop, self.model_name, "llm")

    def _build_request_body(
        self, prompt: str | list[str], stop: list[str] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """The completions body for ``prompt`` (pure; no transport options)."""
        params = {**self._default_params, **kwargs}
        return {"prompt": prompt, **body_fields(params, stop, self.extra_body, ("stream",))}

    @staticmethod
    def _call_options(kwargs: dict[str, Any]) -> dict[str, Any]:
        return call_options(kwargs)

    def _batches(self, prompts: list[str]) -> list[list[str]]:
        return [prompts[i : i + self.batch_size] for i in range(0, len(prompts), self.batch_size)]

    def _collect(
        self,
        replies: list[tuple[list[str], Completion]],
        body_model: str,
    ) -> LLMResult:
        generations: list[list[Generation]] = []
        usage: dict[str, int] = {}
        model_name = body_model
        for batch, completion in replies:
            generations += completion_to_generations(completion, len(batch), self.n or 1)
            _add_usage(usage, completion.usage)
            model_name = completion.model or model_name
        return LLMResult(
            generations=generations,
            llm_output={"token_usage": usage, "model_name": model_name},
        )

    @staticmethod
    def _prompt_field(batch: list[str]) -> str | list[str]:
        return batch[0] if len(batch) == 1 else batch

    @override
    @stored_signature
    def _generate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        if self.streaming and len(prompts) == 1:
            merged: GenerationChunk | None = None
            for chunk in self._stream(prompts[0], stop, run_manager, **kwargs):
                merged = chunk if merged is None else merged + chunk
            assert merged is not None
            return LLMResult(generations=[[merged]], llm_output={"model_name": self.model_name})
        client = self._get_client()
        replies = []
        body: dict[str, Any] = {}
        for batch in self._batches(prompts):
            body = self._build_request_body(self._prompt_field(batch), stop=stop, **kwargs)
            with translate_errors():
                replies.append(
                    (batch, client.create_completion(body, **self._call_options(kwargs)))
                )
        return self._collect(replies, body.get("model", self.model_name))

    @override
    @stored_signature
    async def _agenerate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        if self.streaming and len(prompts) == 1:
            merged: GenerationChunk | None = None
            async for chunk in self._astream(prompts[0], stop, run_manager, **kwargs):
                merged = chunk if merged is None else merged + chunk
            assert merged is not None
            return LLMResult(generations=[[merged]], llm_output={"model_name": self.model_name})
        client = self._get_async_client()
        replies = []
        body: dict[str, Any] = {}
        for batch in self._batches(prompts):
            body = self._build_request_body(self._prompt_field(batch), stop=stop, **kwargs)
            with translate_errors():
                reply = await client.create_completion(body, **self._call_options(kwargs))
            replies.append((batch, reply))
        return self._collect(replies, body.get("model", self.model_name))

    def _stream_body(self, prompt: str, stop: list[str] | None, kwargs: Any) -> dict[str, Any]:
        body = self._build_request_body(prompt, stop=stop, **kwargs)
        if (body.get("n") or 1) > 1:
            raise ValueError("n must be 1 when streaming.")
        body.setdefault("stream_options", {"include_usage": True})
        return body

    @override
    def _stream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[GenerationChunk]:
        body = self._stream_body(prompt, stop, kwargs)
        with (
            translate_errors(),
            self._get_client().stream_completion(body, **self._call_options(kwargs)) as stream,
        ):
            for event in stream:
                chunk = completion_chunk_to_generation(event)
                if chunk is None:
                    continue
                if run_manager:
                    run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk

    @override
    async def _astream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[GenerationChunk]:
        body = self._stream_body(prompt, stop, kwargs)
        with translate_errors():
            stream = await self._get_async_client().stream_completion(
                body, **self._call_options(kwargs)
            )
            async with stream:
                async for event in stream:
                    chunk = completion_chunk_to_generation(event)
                    if chunk is None:
                        continue
                    if run_manager:
                        await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                    yield chunk
