"""Values a prompt gives for named fields, used to fill tool arguments and JSON output."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._tokens import STOPWORDS, content_words, words

__all__ = ["Hints"]

_NUMBER_RE = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.]*\w)")
# A word: letters, digits and hyphens, with an apostrophe only inside it (O'Brien, don't), so a
# closing quote is never taken as part of the word. Several capitalised words stay on one line.
_WORD = r"[\w-]*(?:'\w+)*"
_PREPOSITION_RE = re.compile(
    r"\b(?:in|at|for|near|from|to|of)\s+(?:the\s+)?"
    rf"([A-Za-z]{_WORD}(?:[ \t]+[A-Z]{_WORD})*)"
)
_PROPER_RE = re.compile(rf"(?<![.!?]\s)(?<!^)\b([A-Z][a-z]{_WORD}(?:[ \t]+[A-Z][a-z]{_WORD})*)")
_LOCATION_NAMES_TEXT = """
location city place country region town area where destination origin address state
"""
_LOCATION_NAMES = frozenset(_LOCATION_NAMES_TEXT.split())
_TEXT_NAMES_TEXT = """
query q question text prompt input search topic keywords keyword message content term
terms request subject
"""
_TEXT_NAMES = frozenset(_TEXT_NAMES_TEXT.split())
_PERSON_NAMES = frozenset(["name", "person", "user", "author", "username", "who", "title"])
_NAMED_RE = re.compile(
    r"\b(?:named|called|titled)\s+(?:\"([^\"]+)\"|'([^']+)'|\u201c([^\u201d]+)\u201d"
    r"|\u2018([^\u2019]+)\u2019|([\w-]+(?:[ \t]+[A-Z][\w-]*)*))",
    re.IGNORECASE,
)
_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


def _name_variants(name: str) -> list[str]:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).replace("_", " ").replace("-", " ")
    variants = {name, spaced.strip(), spaced.strip().lower()}
    return sorted((v for v in variants if v), key=len, reverse=True)


def _to_number(text: str) -> int | float:
    return float(text) if "." in text else int(text)


@dataclass
class Hints:
    """Values taken from ``text``; ``explicit`` maps field names to values given directly."""

    text: str
    explicit: Mapping[str, Any] = field(default_factory=dict)
    _numbers_used: int = 0
    _words_used: int = 0

    def numbers(self) -> list[int | float]:
        """Return the numbers written in the text, in order."""
        return [_to_number(match.group(0)) for match in _NUMBER_RE.finditer(self.text)]

    def keyed(self, name: str) -> str | None:
        """Return the value written as ``name is X``, ``name: X`` or ``name = X``."""
        for variant in _name_variants(name):
            pattern = re.compile(
                rf"\b{re.escape(variant)}(?:\s*(?:is|was|=|:|of|equals)\s*"
                r"(?:\"([^\"]*)\"|'([^']*)'|"
                rf"([\w+-][^\s,;!?]*(?:[ \t]+[A-Z]{_WORD})*))"
                r"|\s+\"([^\"]*)\")",
                re.IGNORECASE,
            )
            match = pattern.search(self.text)
            if match:
                value = next(group for group in match.groups() if group is not None)
                return value.rstrip(".")
        return None

    def proper_nouns(self) -> list[str]:
        """Return capitalised words or phrases that do not start a sentence."""
        found = [match.group(1) for match in _PROPER_RE.finditer(self.text)]
        return [item for item in found if item.split()[0].lower() not in STOPWORDS]

    def place(self) -> str | None:
        """Return a likely place name (a proper noun, or the word after ``in``/``at``...)."""
        for match in _PREPOSITION_RE.finditer(self.text):
            candidate = match.group(1)
            if candidate[0].isupper():
                return candidate
        nouns = self.proper_nouns()
        if nouns:
            return nouns[0]
        for match in _PREPOSITION_RE.finditer(self.text):
            if match.group(1).lower() not in STOPWORDS:
                return match.group(1)
        return None

    def string_for(self, name: str, exclude: Sequence[str] = ()) -> str | None:
        """Return a string value for a field called ``name``, or ``None``."""
        if name in self.explicit:
            return str(self.explicit[name])
        keyed = self.keyed(name)
        if keyed is not None:
            return keyed
        key = name.lower().replace("-", "_")
        parts = set(key.split("_"))
        if parts & _LOCATION_NAMES:
            return self.place()
        if parts & _TEXT_NAMES:
            ignore = {item.lower() for item in exclude}
            terms = [w for w in content_words(self.text) if w.lower() not in ignore]
            return " ".join(terms[:8]) or None
        if parts & _PERSON_NAMES:
            named = self.named()
            if named is not None:
                return named
            nouns = self.proper_nouns()
            return nouns[0] if nouns else None
        return None

    def named(self) -> str | None:
        """Return what the text says something is ``named`` or ``called``."""
        match = _NAMED_RE.search(self.text)
        if match is None:
            return None
        return next(group for group in match.groups() if group is not None)

    def next_word(self, exclude: Sequence[str] = ()) -> str | None:
        """Return the next unused content word of the text."""
        ignore = {item.lower() for item in exclude}
        candidates = [w for w in content_words(self.text) if w.lower() not in ignore]
        candidates = [w for w in candidates if not w[0].isdigit()]
        if not candidates:
            return None
        word = candidates[self._words_used % len(candidates)]
        self._words_used += 1
        return word

    def number_for(self, name: str) -> int | float | None:
        """Return a number for a field called ``name``: keyed, explicit, else the next one."""
        if name in self.explicit:
            value = self.explicit[name]
            try:
                return _to_number(str(value).strip())
            except ValueError:
                return None
        keyed = self.keyed(name)
        if keyed is not None:
            try:
                return _to_number(keyed)
            except ValueError:
                pass
        numbers = self.numbers()
        if self._numbers_used < len(numbers):
            self._numbers_used += 1
            return numbers[self._numbers_used - 1]
        return None

    def bool_for(self, name: str) -> bool | None:
        """Return a boolean for a field called ``name`` when the text gives one."""
        raw = self.explicit.get(name)
        value = str(raw) if raw is not None else self.keyed(name)
        if value is None:
            return None
        low = value.strip().strip("\"'").lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        return None

    def mentioned(self, options: Sequence[Any]) -> Any | None:
        """Return the first option whose text appears in the prompt, by position."""
        low = self.text.lower()
        best: tuple[int, int] | None = None
        for index, option in enumerate(options):
            if option is None or isinstance(option, dict | list):
                continue
            text = str(option).lower()
            if not text:
                continue
            match = re.search(rf"(?<!\w){re.escape(text)}(?!\w)", low)
            if match and (best is None or match.start() < best[0]):
                best = (match.start(), index)
        return options[best[1]] if best is not None else None

    def word_list(self) -> list[str]:
        """Return all words of the text."""
        return words(self.text)
