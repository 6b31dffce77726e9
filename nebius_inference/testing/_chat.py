"""``POST /v1/chat/completions``: replies, tool calls, reasoning, logprobs and streaming."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._conversation import Conversation, read_conversation
from ._errors import EmulatorError, parse_body
from ._jsonutil import stable_int
from ._models import ModelSpec
from ._requests import ChatRequest
from ._streams import StreamReply
from ._structured import check_constraints, constrained_text
from ._textgen import chat_logprobs, compose_reasoning, compose_reply, cut
from ._tokens import tokenize
from ._tools import PlannedCall, check_tool_choice, plan_tool_calls, tool_answer

if TYPE_CHECKING:
    from ._state import EmulatorState

__all__ = ["chat_completion"]

_EOS_TOKEN_ID = 128009


@dataclass
class _Choice:
    index: int
    reasoning: list[str] = field(default_factory=list)
    content: list[str] | None = None
    calls: list[tuple[str, PlannedCall]] = field(default_factory=list)
    finish_reason: str = "stop"
    stop_reason: str | None = None
    logprobs: list[Any] | None = None

    @property
    def tokens(self) -> int:
        call_tokens = sum(len(tokenize(call.name + call.arguments)) for _, call in self.calls)
        return len(self.reasoning) + len(self.content or []) + call_tokens


def _guided(state: EmulatorState) -> bool:
    """Whether ``guided_*`` fields apply (``EmulatorConfig.guided_decoding``)."""
    return state.config.guided_decoding == "honoured"


def _reasoning_on(request: ChatRequest, spec: ModelSpec) -> bool:
    if not spec.reasoning:
        return False
    kwargs = request.chat_template_kwargs or {}
    if kwargs.get("enable_thinking") is False or kwargs.get("thinking") is False:
        return False
    return request.reasoning_effort != "none"


def _budget(request: ChatRequest, spec: ModelSpec, prompt_tokens: int) -> int:
    asked = request.max_completion_tokens or request.max_tokens
    room = spec.context_length - prompt_tokens
    if asked is not None and asked > room:
        raise EmulatorError(
            400,
            f"This model's maximum context length is {spec.context_length} tokens. However, "
            f"you requested {prompt_tokens + asked} tokens ({prompt_tokens} in the messages, "
            f"{asked} in the completion). Please reduce the length of the messages or "
            "completion.",
        )
    if room <= 0:
        raise EmulatorError(
            400,
            f"This model's maximum context length is {spec.context_length} tokens, but the "
            f"messages have {prompt_tokens} tokens.",
        )
    return asked if asked is not None else min(spec.max_output, room)


def _build_choice(
    state: EmulatorState,
    request: ChatRequest,
    spec: ModelSpec,
    info: Conversation,
    seed: int,
    index: int,
    budget: int,
) -> _Choice:
    choice = _Choice(index)
    text = info.last_user_text
    calls = plan_tool_calls(request, text, info.last_role, seed + 7919 * index)
    if calls:
        plan = f"I should call {', '.join(call.name for call in calls)}."
        content = None
    elif info.last_role == "tool" and info.tool_results:
        plan = "The tool returned a result, so I will report it."
        # A structured-output constraint shapes this answer too (guided decoding).
        content = constrained_text(
            request, text, seed, index, info.context_text, guided=_guided(state)
        )
        if content is None:
            content = tool_answer(info.tool_results)
    else:
        plan = "I will answer briefly and plainly."
        content = constrained_text(
            request, text, seed, index, info.context_text, guided=_guided(state)
        )
        if content is None:
            content = compose_reply(text, seed, index)
            if info.images:
                count = len(info.images)
                described = "; ".join(info.images)
                noun = "image" if count == 1 else "images"
                content = f"I received {count} {noun}: {described}. {content}"
    if _reasoning_on(request, spec):
        choice.reasoning = tokenize(compose_reasoning(text, plan))
    if len(choice.reasoning) >= budget:
        choice.reasoning = choice.reasoning[:budget]
        choice.finish_reason = "length"
        return choice
    room = budget - len(choice.reasoning)
    if calls:
        needed = sum(len(tokenize(call.name + call.arguments)) for call in calls)
        if needed > room:
            raw = " ".join(f'{{"name": "{c.name}", "arguments": {c.arguments}}}' for c in calls)
            choice.content = tokenize(raw)[:room]
            choice.finish_reason = "length"
            return choice
        choice.calls = [(f"chatcmpl-tool-{state.new_hex(16)}", call) for call in calls]
        choice.finish_reason = "tool_calls"
        return choice
    generated = cut(content or "", room, request.stop_list)
    choice.content = generated.tokens
    choice.finish_reason = generated.finish_reason
    choice.stop_reason = generated.stop_reason
    if request.logprobs:
        choice.logprobs = chat_logprobs(generated.tokens, request.top_logprobs or 0, seed + index)
    return choice


def _message(choice: _Choice, spec: ModelSpec) -> dict[str, Any]:
    content = "".join(choice.content) if choice.content is not None else None
    reasoning = "".join(choice.reasoning) if choice.reasoning else None
    calls = [
        {"id": call_id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
        for call_id, c in choice.calls
    ]
    if spec.backend == "sglang":
        return {
            "role": "assistant",
            "content": content,
            "reasoning_content": reasoning,
            "tool_calls": calls or None,
        }
    message: dict[str, Any] = {
        "role": "assistant",
        "content": content,
        "refusal": None,
        "annotations": None,
        "audio": None,
        "function_call": None,
        "tool_calls": calls,
        "reasoning_content": reasoning,
    }
    if "gpt-oss" in spec.id:
        message["reasoning"] = reasoning
    return message


def _finish_extras(choice: _Choice, spec: ModelSpec) -> dict[str, Any]:
    if spec.backend == "sglang":
        matched: str | int | None = choice.stop_reason
        if matched is None and choice.finish_reason == "stop":
            matched = _EOS_TOKEN_ID
        return {"matched_stop": matched}
    return {"stop_reason": choice.stop_reason}


def _usage(prompt_tokens: int, choices: list[_Choice], spec: ModelSpec) -> dict[str, Any]:
    completion = sum(choice.tokens for choice in choices)
    usage: dict[str, Any] = {
        "prompt_tokens": prompt_tokens,
        "total_tokens": prompt_tokens + completion,
        "completion_tokens": completion,
        "prompt_tokens_details": None,
    }
    if spec.backend == "sglang":
        usage["reasoning_tokens"] = sum(len(choice.reasoning) for choice in choices)
    else:
        usage["completion_tokens_details"] = None
    return usage


def chat_completion(state: EmulatorState, body: Any) -> dict[str, Any] | StreamReply:
    """Handle ``POST /v1/chat/completions`` (a JSON reply, or a stream when asked)."""
    request = parse_body(ChatRequest, body)
    spec = state.models.require(request.model, "chat", "/v1/chat/completions")
    request.check_stream_options()
    info = read_conversation(request)
    if info.images and not spec.vision:
        raise EmulatorError(400, f"Model {spec.id} does not accept image input")
    if request.top_logprobs and not request.logprobs:
        raise EmulatorError(400, "when using `top_logprobs`, `logprobs` must be set to true")
    check_tool_choice(request, spec.tools, spec.id)
    check_constraints(request, guided=_guided(state))
    budget = _budget(request, spec, info.prompt_tokens)
    raw_messages = body.get("messages") if isinstance(body, dict) else None
    seed = stable_int(spec.id, raw_messages, request.seed, bits=48)
    choices = [
        _build_choice(state, request, spec, info, seed, index, budget) for index in range(request.n)
    ]
    completion_id = f"chatcmpl-{state.new_hex(16)}"
    created = state.now()
    usage = _usage(info.prompt_tokens, choices, spec)
    if request.stream:
        options = request.stream_options
        include_usage = bool(options and options.include_usage)
        events = _chunks(completion_id, created, spec, choices, usage if include_usage else None)
        return StreamReply(events)
    reply: dict[str, Any] = {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": spec.id,
        "choices": [
            {
                "index": choice.index,
                "message": _message(choice, spec),
                "logprobs": {"content": choice.logprobs, "refusal": None}
                if choice.logprobs is not None
                else None,
                "finish_reason": choice.finish_reason,
                **_finish_extras(choice, spec),
                **({"token_ids": None} if spec.backend == "vllm" else {}),
            }
            for choice in choices
        ],
        "usage": usage,
    }
    if spec.backend == "sglang":
        reply["system_fingerprint"] = f"fp_{stable_int(spec.id, bits=32):08x}"
        reply["moderation"] = None
        reply["metadata"] = {"weight_version": "default"}
    else:
        reply.update(
            service_tier=None,
            system_fingerprint=None,
            prompt_logprobs=None,
            prompt_token_ids=None,
            kv_transfer_params=None,
        )
    return reply


def _fragments(arguments: str) -> list[str]:
    size = max(1, len(arguments) // 3 + 1)
    return [arguments[i : i + size] for i in range(0, len(arguments), size)] or [""]


def _choice_deltas(choice: _Choice, spec: ModelSpec) -> list[dict[str, Any]]:
    """The ``choices[0]`` objects of each chunk for one choice, in order."""

    def item(delta: dict[str, Any], logprobs: Any = None, finish: str | None = None) -> Any:
        return {
            "index": choice.index,
            "delta": delta,
            "logprobs": logprobs,
            "finish_reason": finish,
        }

    out = [item({"role": "assistant", "content": ""})]
    for token in choice.reasoning:
        delta = {"reasoning_content": token}
        if "gpt-oss" in spec.id:
            delta["reasoning"] = token
        out.append(item(delta))
    for position, token in enumerate(choice.content or []):
        logprobs = None
        if choice.logprobs is not None:
            logprobs = {"content": [choice.logprobs[position]], "refusal": None}
        out.append(item({"content": token}, logprobs))
    if choice.calls:
        out.append(
            item(
                {
                    "tool_calls": [
                        {
                            "index": k,
                            "id": call_id,
                            "type": "function",
                            "function": {"name": call.name, "arguments": ""},
                        }
                        for k, (call_id, call) in enumerate(choice.calls)
                    ]
                }
            )
        )
        for k, (_, call) in enumerate(choice.calls):
            for fragment in _fragments(call.arguments):
                out.append(
                    item({"tool_calls": [{"index": k, "function": {"arguments": fragment}}]})
                )
    final = item({}, None, choice.finish_reason)
    final.update(_finish_extras(choice, spec))
    out.append(final)
    return out


def _chunks(
    completion_id: str,
    created: int,
    spec: ModelSpec,
    choices: list[_Choice],
    usage: dict[str, Any] | None,
) -> list[dict[str, Any]]:
    head = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": spec.id,
    }
    per_choice = [_choice_deltas(choice, spec) for choice in choices]
    events: list[dict[str, Any]] = []
    longest = max(len(items) for items in per_choice)
    for step in range(longest):
        for items in per_choice:
            if step < len(items):
                events.append({**head, "choices": [items[step]]})
    if usage is not None:
        events.append({**head, "choices": [], "usage": usage})
    return events
