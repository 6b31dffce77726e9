"""Deterministic text generation: replies, reasoning, cut-offs and log-probabilities."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ._jsonutil import stable_int
from ._tokens import content_words, tokenize, words

__all__ = [
    "Generated",
    "chat_logprobs",
    "completion_logprobs",
    "compose_reasoning",
    "compose_reply",
    "cut",
    "join_words",
]

_OPENERS = (
    "Here is a short answer about {topic}.",
    "You asked about {topic}.",
    "Let me help with {topic}.",
    "Thanks for your question about {topic}.",
)
_SENTENCES = (
    "This reply was written by a deterministic test model.",
    "It uses the words you sent and a few fixed phrases.",
    "Ask the same question again and you will get the same answer.",
    "Nothing here comes from a real language model.",
    "The reply is short on purpose, so tests stay fast.",
    "Every token is counted by a simple word tokenizer.",
)
_GREETINGS = frozenset({"hello", "hi", "hey", "greetings", "howdy"})
_DIRECT_RES = (
    re.compile(
        r"\b(?:say|repeat|reply with|respond with|answer with|print|output|echo)"
        r"(?:\s+(?:exactly|only|just|back|the\s+(?:word|phrase|text)))*\s*:?\s*"
        r"(?P<q>[\"'“])(?P<text>[^\"'“”]+)[\"'”]",
        re.IGNORECASE,
    ),
    re.compile(r"\brepeat after me\s*:\s*(?P<text>.+?)\s*$", re.IGNORECASE | re.DOTALL),
)
_VOCAB = (
    " the", " a", " and", " of", " to", " in", " is", " it", " that", " this",
    ".", ",", " answer", " model", " test", " reply", " word", " same", " short", " fast",
)  # fmt: skip


def join_words(items: Sequence[str]) -> str:
    """Join words as English: ``a``, ``a and b``, ``a, b and c``."""
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def _topic_words(text: str, limit: int = 4) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for word in content_words(text):
        key = word.lower()
        if key not in seen:
            seen.add(key)
            out.append(word)
        if len(out) >= limit:
            break
    return out


def compose_reply(text: str, seed: int, variant: int = 0) -> str:
    """Return a short deterministic reply to ``text``.

    An explicit instruction such as ``Say "hello world"`` or ``Repeat after me: ...`` is
    obeyed verbatim; otherwise the reply names the main words of ``text``.
    """
    for pattern in _DIRECT_RES:
        match = pattern.search(text)
        if match:
            return match.group("text").strip()
    rng = random.Random(stable_int(seed, variant, "reply"))
    all_words = [word.lower() for word in words(text)]
    if all_words and all_words[0] in _GREETINGS and len(all_words) <= 3:
        opener = "Hello! How can I help you today?"
    else:
        topic = join_words(_topic_words(text)) or "your message"
        opener = rng.choice(_OPENERS).format(topic=topic)
    return " ".join([opener, *rng.sample(_SENTENCES, 2)])


def compose_reasoning(text: str, plan: str) -> str:
    """Return a short reasoning text for ``text`` ending with the ``plan`` sentence."""
    topic = join_words(_topic_words(text)) or "something"
    return f"The user asks about {topic}. {plan}"


@dataclass(frozen=True)
class Generated:
    """A generated text after limits: its tokens, why it ended and the matched stop."""

    tokens: list[str]
    finish_reason: str
    stop_reason: str | None

    @property
    def text(self) -> str:
        """The generated text."""
        return "".join(self.tokens)


def cut(text: str, max_tokens: int | None, stop: Sequence[str] = ()) -> Generated:
    """Apply ``stop`` strings then ``max_tokens`` to ``text``."""
    finish = "stop"
    stop_reason: str | None = None
    best = -1
    for item in stop:
        if not item:
            continue
        index = text.find(item)
        if index != -1 and (best == -1 or index < best):
            best, stop_reason = index, item
    if best != -1:
        text = text[:best]
    tokens = tokenize(text)
    if max_tokens is not None and len(tokens) > max_tokens:
        tokens = tokens[:max_tokens]
        finish, stop_reason = "length", None
    return Generated(tokens, finish, stop_reason)


def _logprob(token: str, position: int, seed: int) -> float:
    value = stable_int(token, position, seed, bits=32) / 2**32
    return -round(0.002 + 1.5 * value * value, 6)


def _alternatives(token: str, position: int, seed: int, count: int) -> list[tuple[str, float]]:
    chosen = _logprob(token, position, seed)
    start = stable_int(position, seed, "alt", bits=16) % len(_VOCAB)
    out: list[tuple[str, float]] = [(token, chosen)]
    step = 0
    while len(out) < count and step < len(_VOCAB):
        candidate = _VOCAB[(start + step) % len(_VOCAB)]
        step += 1
        if candidate == token:
            continue
        out.append((candidate, round(chosen - 0.7 * len(out) - 0.25, 6)))
    return out


def chat_logprobs(tokens: Sequence[str], top: int, seed: int, offset: int = 0) -> list[Any]:
    """Return OpenAI chat ``logprobs.content`` entries for ``tokens``."""
    entries: list[Any] = []
    for i, token in enumerate(tokens):
        position = offset + i
        alternatives = _alternatives(token, position, seed, max(top, 1))
        entries.append(
            {
                "token": token,
                "logprob": alternatives[0][1],
                "bytes": list(token.encode()),
                "top_logprobs": [
                    {"token": alt, "logprob": lp, "bytes": list(alt.encode())}
                    for alt, lp in alternatives[:top]
                ],
            }
        )
    return entries


def completion_logprobs(
    tokens: Sequence[str],
    top: int,
    seed: int,
    text_offset: int = 0,
    first_is_prompt: bool = False,
    position_offset: int = 0,
) -> dict[str, Any]:
    """Return OpenAI completions ``logprobs`` (``tokens``, ``token_logprobs``...)."""
    token_logprobs: list[float | None] = []
    top_logprobs: list[dict[str, float] | None] = []
    offsets: list[int] = []
    position = text_offset
    for i, token in enumerate(tokens):
        alternatives = _alternatives(token, position_offset + i, seed, max(top, 1))
        if first_is_prompt and i == 0:
            token_logprobs.append(None)
            top_logprobs.append(None)
        else:
            token_logprobs.append(alternatives[0][1])
            top_logprobs.append(dict(alternatives[:top]) if top else {})
        offsets.append(position)
        position += len(token)
    return {
        "tokens": list(tokens),
        "token_logprobs": token_logprobs,
        "top_logprobs": top_logprobs,
        "text_offset": offsets,
    }
