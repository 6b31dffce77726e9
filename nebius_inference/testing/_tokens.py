"""A tiny deterministic tokenizer and word helpers.

Tokens are words or single punctuation marks, each carrying the whitespace that precedes
it, so ``"".join(tokenize(text)) == text`` always holds and any prefix of the token list
re-tokenizes to itself.
"""

from __future__ import annotations

import re

__all__ = [
    "STOPWORDS",
    "content_words",
    "count_tokens",
    "stem",
    "tokenize",
    "words",
]

_TOKEN_RE = re.compile(r"\s*(?:\w+|[^\w\s])|\s+")
_WORD_RE = re.compile(r"\d+(?:\.\d+)?(?![^\W_])|[^\W_]+(?:['\u2019][^\W_]+)?")

_STOPWORDS_TEXT = """
a about above after again against all am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for
from further had has have having he her here hers herself him himself his how i if in
into is it its itself just me more most my myself no nor not now of off on once only or
other our ours ourselves out over own same she should so some such than that the their
theirs them themselves then there these they this those through to too under until up
very was we were what when where which while who whom why will with would you your yours
yourself yourselves please tell give show let lets let's what's whats i'm im it's can't
don't us also hi hello hey thanks thank
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


def tokenize(text: str) -> list[str]:
    """Split ``text`` into tokens whose concatenation is exactly ``text``."""
    return _TOKEN_RE.findall(text)


def count_tokens(text: str) -> int:
    """Return the number of tokens in ``text``."""
    return len(_TOKEN_RE.findall(text))


def words(text: str) -> list[str]:
    """Return the words of ``text`` in order, keeping their case."""
    return _WORD_RE.findall(text)


def stem(word: str) -> str:
    """Return a crude lower-case stem: strips a plural or possessive ending."""
    low = word.lower().replace("\u2019", "'")
    if low.endswith("'s"):
        low = low[:-2]
    if len(low) > 4 and low.endswith("ies"):
        return low[:-3] + "y"
    if len(low) > 3 and low.endswith("s") and not low.endswith(("ss", "us", "is")):
        return low[:-1]
    return low


def content_words(text: str) -> list[str]:
    """Return the words of ``text`` that are not stopwords, in order, keeping their case."""
    return [word for word in words(text) if word.lower() not in STOPWORDS]
