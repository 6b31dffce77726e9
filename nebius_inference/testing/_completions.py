"""``POST /v1/completions`` (the legacy text completion endpoint)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._errors import EmulatorError, parse_body
from ._jsonutil import stable_int
from ._models import ModelSpec
from ._requests import CompletionRequest
from ._streams import StreamReply
from ._structured import check_constraints, constrained_text
from ._textgen import Generated, completion_logprobs, compose_reply, cut
from ._tokens import count_tokens, tokenize

if TYPE_CHECKING:
    from ._state import EmulatorState

__all__ = ["completion"]


def _prompts(request: CompletionRequest) -> list[str]:
    raw = request.prompt
    if isinstance(raw, str):
        return [raw]
    if not raw:
        raise EmulatorError(422, [{"type": "too_short", "loc": ["body", "prompt"],
                                   "msg": "prompt must not be empty", "input": []}])  # fmt: skip
    if all(isinstance(item, int) for item in raw):
        return [" ".join(f"tok{item}" for item in raw)]
    return [item if isinstance(item, str) else " ".join(f"tok{t}" for t in item) for item in raw]  # type: ignore[union-attr]


@dataclass(frozen=True)
class _Choice:
    index: int
    prompt: str
    generated: Generated
    logprobs: dict[str, Any] | None

    def text(self, echo: bool) -> str:
        return (self.prompt if echo else "") + self.generated.text

    def finish(self) -> dict[str, Any]:
        return {
            "finish_reason": self.generated.finish_reason,
            "stop_reason": self.generated.stop_reason,
        }


def _check_length(spec: ModelSpec, tokens_in: int, max_tokens: int | None) -> None:
    if max_tokens is not None and tokens_in + max_tokens > spec.context_length:
        raise EmulatorError(
            400,
            f"This model's maximum context length is {spec.context_length} tokens. However, "
            f"you requested {tokens_in + max_tokens} tokens ({tokens_in} in the prompt, "
            f"{max_tokens} in the completion).",
        )


def completion(state: EmulatorState, body: Any) -> dict[str, Any] | StreamReply:
    """Handle ``POST /v1/completions``."""
    request = parse_body(CompletionRequest, body)
    spec = state.models.require(request.model, "chat", "/v1/completions")
    request.check_stream_options()
    guided = state.config.guided_decoding == "honoured"
    check_constraints(request, guided=guided)
    prompt_tokens = 0
    choices: list[_Choice] = []
    for prompt_index, prompt in enumerate(_prompts(request)):
        tokens_in = count_tokens(prompt)
        prompt_tokens += tokens_in
        _check_length(spec, tokens_in, request.max_tokens)
        seed = stable_int(spec.id, prompt, request.seed, bits=48)
        for variant in range(request.n):
            text = constrained_text(request, prompt, seed, variant, guided=guided)
            if text is None:
                reply = compose_reply(prompt, seed, variant)
                text = reply if not prompt or prompt[-1].isspace() else " " + reply
            generated = cut(text, request.max_tokens, request.stop_list)
            logprobs = None
            if request.logprobs is not None:
                prompt_part = tokenize(prompt) if request.echo else []
                logprobs = completion_logprobs(
                    [*prompt_part, *generated.tokens],
                    request.logprobs,
                    seed + variant,
                    first_is_prompt=bool(prompt_part),
                )
            choices.append(_Choice(prompt_index * request.n + variant, prompt, generated, logprobs))
    completion_tokens = sum(len(choice.generated.tokens) for choice in choices)
    usage = {
        "prompt_tokens": prompt_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "completion_tokens": completion_tokens,
        "prompt_tokens_details": None,
    }
    head = {
        "id": f"cmpl-{state.new_hex(16)}",
        "object": "text_completion",
        "created": state.now(),
        "model": spec.id,
    }
    if request.stream:
        options = request.stream_options
        include_usage = bool(options and options.include_usage)
        return StreamReply(
            _stream(head, choices, bool(request.echo), usage if include_usage else None)
        )
    return {
        **head,
        "choices": [
            {
                "index": choice.index,
                "text": choice.text(bool(request.echo)),
                "logprobs": choice.logprobs,
                **choice.finish(),
                "prompt_logprobs": None,
            }
            for choice in choices
        ],
        "usage": usage,
        "service_tier": None,
        "system_fingerprint": None,
        "kv_transfer_params": None,
    }


def _stream(
    head: dict[str, Any], choices: list[_Choice], echo: bool, usage: dict[str, Any] | None
) -> list[dict[str, Any]]:
    per_choice: list[list[dict[str, Any]]] = []
    for choice in choices:
        pieces = list(choice.generated.tokens)
        spans = [(i, i + 1) for i in range(len(pieces))]
        if echo:
            echoed = len(tokenize(choice.prompt))
            pieces = [choice.prompt, *pieces]
            spans = [(0, echoed)] + [(echoed + a, echoed + b) for a, b in spans]
        items: list[dict[str, Any]] = []
        for piece, (start, end) in zip(pieces, spans):
            logprobs = choice.logprobs
            part = {key: value[start:end] for key, value in logprobs.items()} if logprobs else None
            items.append(
                {
                    "index": choice.index,
                    "text": piece,
                    "logprobs": part,
                    "finish_reason": None,
                    "stop_reason": None,
                }
            )
        items.append({"index": choice.index, "text": "", "logprobs": None, **choice.finish()})
        per_choice.append(items)
    events: list[dict[str, Any]] = []
    for step in range(max(len(items) for items in per_choice)):
        for items in per_choice:
            if step < len(items):
                events.append({**head, "choices": [items[step]]})
    if usage is not None:
        events.append({**head, "choices": [], "usage": usage})
    return events
