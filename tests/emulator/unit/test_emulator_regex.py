"""Strings generated from regular expressions match them."""

from __future__ import annotations

import re

import pytest

from nebius_inference.testing._regex import RegexError, generate_from_regex

PATTERNS = [
    r"\d{3}-\d{4}",
    r"[A-Z][a-z]+ [A-Z][a-z]+",
    r"(yes|no|maybe)",
    r"[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,4}",
    r"^\w+$",
    r"a*b+c?",
    r"(?:ab){2,3}x",
    r"[^aeiou]{5}",
    r"(?P<year>\d{4})-(?P<month>0[1-9]|1[0-2])-(?P<day>0[1-9]|[12]\d|3[01])",
    r"\$\d+\.\d\d",
    r".{3,5}",
    r"[\w.-]+",
    r"(?i)hello",
    r"[]a]+",
    r"x{0}y",
    r"\S+\s\S+",
    r"a{2,}?b*?",
    r"[-+]?\d*\.?\d+",
    r"#[0-9a-fA-F]{6}",
    r"\x41\u00e9[\t ]",
    r"(red|green|blue)(, (red|green|blue))*",
    r"[A-Z]{2}\d{2} ?\d{4}",
    r"(a|b(c|d(e|f)))+",
    r"\bword\b",
    r"a{3}",
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_generated_strings_fully_match(pattern: str) -> None:
    for seed in range(25):
        value = generate_from_regex(pattern, seed)
        assert re.fullmatch(pattern, value), (pattern, seed, value)


def test_generation_is_deterministic_and_seed_dependent() -> None:
    pattern = r"[a-z]{8}"
    assert generate_from_regex(pattern, 7) == generate_from_regex(pattern, 7)
    assert len({generate_from_regex(pattern, seed) for seed in range(10)}) > 1


def test_exact_repeat_counts() -> None:
    assert len(generate_from_regex(r"\d{12}")) == 12
    assert generate_from_regex("literal text") == "literal text"


@pytest.mark.parametrize(
    "pattern",
    [r"(?=a)a", r"(?!a)b", r"(?<=a)b", r"(a)\1", r"(ab", r"a{3,2}", r"*a", r"[a", r"\p{L}"],
)
def test_unsupported_or_invalid_patterns_raise(pattern: str) -> None:
    with pytest.raises(RegexError):
        generate_from_regex(pattern)
