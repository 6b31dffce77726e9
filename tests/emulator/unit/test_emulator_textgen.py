"""Reply text, cut-offs and log-probabilities."""

from __future__ import annotations

import math

from nebius_inference.testing._textgen import (
    chat_logprobs,
    completion_logprobs,
    compose_reasoning,
    compose_reply,
    cut,
    join_words,
)
from nebius_inference.testing._tokens import tokenize


def test_reply_is_deterministic_and_names_the_topic() -> None:
    first = compose_reply("Tell me about photosynthesis in plants", seed=1)
    assert first == compose_reply("Tell me about photosynthesis in plants", seed=1)
    assert "photosynthesis" in first
    assert "plants" in first


def test_variants_differ() -> None:
    replies = {compose_reply("Tell me about rivers", seed=5, variant=v) for v in range(4)}
    assert len(replies) > 1


def test_explicit_instructions_are_obeyed() -> None:
    assert compose_reply('Say "hello world" and nothing else', seed=0) == "hello world"
    assert compose_reply("Repeat after me: the quick fox", seed=0) == "the quick fox"
    assert compose_reply("Reply with exactly 'OK'", seed=3) == "OK"


def test_greeting() -> None:
    assert compose_reply("Hello!", seed=0).startswith("Hello! How can I help you today?")


def test_reasoning_mentions_topic_and_plan() -> None:
    text = compose_reasoning("What is the boiling point of water?", "I will answer.")
    assert "boiling" in text
    assert text.endswith("I will answer.")


def test_cut_by_max_tokens() -> None:
    generated = cut("one two three four", 2)
    assert generated.text == "one two"
    assert generated.finish_reason == "length"
    assert generated.stop_reason is None


def test_cut_by_earliest_stop_string() -> None:
    generated = cut("alpha beta gamma delta", None, ["delta", " gamma"])
    assert generated.text == "alpha beta"
    assert generated.finish_reason == "stop"
    assert generated.stop_reason == " gamma"


def test_stop_then_length() -> None:
    generated = cut("a b c d e f", 2, ["e"])
    assert generated.text == "a b"
    assert generated.finish_reason == "length"


def test_natural_end() -> None:
    generated = cut("short", 10, ["zzz"])
    assert (generated.text, generated.finish_reason, generated.stop_reason) == (
        "short",
        "stop",
        None,
    )


def test_chat_logprobs_shape() -> None:
    tokens = tokenize("Hi there.")
    entries = chat_logprobs(tokens, top=3, seed=9)
    assert [entry["token"] for entry in entries] == tokens
    for entry in entries:
        assert entry["bytes"] == list(entry["token"].encode())
        assert entry["logprob"] <= 0 and math.isfinite(entry["logprob"])
        assert len(entry["top_logprobs"]) == 3
        assert entry["top_logprobs"][0]["token"] == entry["token"]
        values = [alt["logprob"] for alt in entry["top_logprobs"]]
        assert values == sorted(values, reverse=True)


def test_completion_logprobs_shape() -> None:
    tokens = tokenize("A cat sat")
    result = completion_logprobs(tokens, top=2, seed=1, first_is_prompt=True)
    assert result["tokens"] == tokens
    assert result["token_logprobs"][0] is None
    assert all(value < 0 for value in result["token_logprobs"][1:])
    assert result["text_offset"] == [0, 1, 5]
    assert all(len(top) == 2 for top in result["top_logprobs"][1:])


def test_join_words() -> None:
    assert join_words([]) == ""
    assert join_words(["a"]) == "a"
    assert join_words(["a", "b", "c"]) == "a, b and c"
