"""The emulator's tokenizer and word helpers."""

from __future__ import annotations

import pytest

from nebius_inference.testing._tokens import content_words, count_tokens, stem, tokenize, words

TEXTS = [
    "",
    "Hello, world!",
    "  leading and trailing spaces  ",
    "What's the weather in São Paulo?\nLine two.\t\tTabs",
    'JSON: {"a": [1, 2.5, -3]}',
    "emoji 🙂 and punctuation...!!",
]


@pytest.mark.parametrize("text", TEXTS)
def test_tokens_concatenate_to_the_text(text: str) -> None:
    assert "".join(tokenize(text)) == text


@pytest.mark.parametrize("text", TEXTS)
def test_every_prefix_of_the_tokens_retokenizes_to_itself(text: str) -> None:
    tokens = tokenize(text)
    for end in range(len(tokens) + 1):
        assert tokenize("".join(tokens[:end])) == tokens[:end]


def test_count_tokens_counts_words_and_punctuation() -> None:
    assert count_tokens("Hello, world!") == 4
    assert tokenize("Hello, world!") == ["Hello", ",", " world", "!"]
    assert count_tokens("") == 0


def test_words_and_content_words() -> None:
    assert words("It's 3.5 degrees in Paris") == ["It's", "3.5", "degrees", "in", "Paris"]
    assert content_words("What is the weather in Paris?") == ["weather", "Paris"]


@pytest.mark.parametrize(
    ("word", "expected"),
    [("Cats", "cat"), ("cities", "city"), ("glass", "glass"), ("Paris", "paris"), ("dog's", "dog")],
)
def test_stem(word: str, expected: str) -> None:
    assert stem(word) == expected
