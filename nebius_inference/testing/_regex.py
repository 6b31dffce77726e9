"""Generate a string that fully matches a simple regular expression.

Supported: literals and escapes, ``.``, character classes (ranges, negation, ``\\d\\w\\s``
and their negations), groups (capturing, ``(?:...)``, ``(?P<name>...)``), alternation,
the quantifiers ``? * + {m} {m,} {m,n}`` (greedy or lazy), anchors ``^ $ \\A \\Z \\b``
(ignored) and inline flags at the start. Look-arounds and back-references are rejected.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field

__all__ = ["RegexError", "generate_from_regex"]

_PRINTABLE = [chr(code) for code in range(32, 127)]
_DIGITS = set(string.digits)
_WORD = set(string.ascii_letters + string.digits + "_")
_SPACE = set(" \t\n\r\f\v")
_PREFERRED = string.ascii_lowercase + string.digits + string.ascii_uppercase + "_- .,:;!?"
_MAX_EXTRA_REPEATS = 3


class RegexError(ValueError):
    """The pattern is invalid or uses a construct the generator does not support."""


@dataclass
class _Chars:
    chars: set[str]
    negated: bool = False

    def choices(self) -> list[str]:
        pool = (
            [char for char in _PRINTABLE if char not in self.chars]
            if self.negated
            else sorted(self.chars)
        )
        preferred = [char for char in _PREFERRED if char in pool]
        return preferred or pool


@dataclass
class _Seq:
    items: list[_Node] = field(default_factory=list)


@dataclass
class _Alt:
    options: list[_Node]


@dataclass
class _Repeat:
    node: _Node
    low: int
    high: int | None


@dataclass
class _Literal:
    char: str


_Node = _Chars | _Seq | _Alt | _Repeat | _Literal


class _Parser:
    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.pos = 0

    def error(self, message: str) -> RegexError:
        return RegexError(f"{message} at position {self.pos} in {self.pattern!r}")

    def peek(self) -> str | None:
        return self.pattern[self.pos] if self.pos < len(self.pattern) else None

    def take(self) -> str:
        char = self.peek()
        if char is None:
            raise self.error("unexpected end of pattern")
        self.pos += 1
        return char

    def parse(self) -> _Node:
        if self.pattern.startswith("(?") and len(self.pattern) > 2 and self.pattern[2].isalpha():
            end = self.pattern.find(")")
            flags = self.pattern[2:end] if end != -1 else ""
            if flags and all(flag in "aiLmsux" for flag in flags):
                self.pos = end + 1
        node = self.alternation()
        if self.peek() is not None:
            raise self.error("unbalanced parenthesis")
        return node

    def alternation(self) -> _Node:
        options = [self.sequence()]
        while self.peek() == "|":
            self.take()
            options.append(self.sequence())
        return options[0] if len(options) == 1 else _Alt(options)

    def sequence(self) -> _Node:
        seq = _Seq()
        while (char := self.peek()) is not None and char not in "|)":
            atom = self.atom()
            if atom is None:
                continue
            seq.items.append(self.quantified(atom))
        return seq

    def quantified(self, atom: _Node) -> _Node:
        while True:
            char = self.peek()
            if char == "?":
                self.take()
                atom = _Repeat(atom, 0, 1)
            elif char == "*":
                self.take()
                atom = _Repeat(atom, 0, None)
            elif char == "+":
                self.take()
                atom = _Repeat(atom, 1, None)
            elif char == "{" and self._is_counted():
                atom = self._counted(atom)
            else:
                return atom
            if self.peek() in ("?", "+") and isinstance(atom, _Repeat):
                self.take()  # lazy or possessive modifier: same strings match

    def _is_counted(self) -> bool:
        end = self.pattern.find("}", self.pos)
        if end == -1:
            return False
        body = self.pattern[self.pos + 1 : end]
        low, _, high = body.partition(",")
        return low.isdigit() and (high == "" or high.isdigit())

    def _counted(self, atom: _Node) -> _Node:
        end = self.pattern.index("}", self.pos)
        body = self.pattern[self.pos + 1 : end]
        self.pos = end + 1
        if "," in body:
            low_text, high_text = body.split(",", 1)
            low, high = int(low_text), (int(high_text) if high_text else None)
        else:
            low = high = int(body)
        if high is not None and high < low:
            raise self.error("bad repeat interval")
        return _Repeat(atom, low, high)

    def atom(self) -> _Node | None:
        char = self.take()
        if char == "(":
            return self.group()
        if char == "[":
            return self.char_class()
        if char == ".":
            return _Chars({"\n"}, negated=True)
        if char in "^$":
            return None
        if char == "\\":
            return self.escape(in_class=False)
        if char in "*+?":
            raise self.error("nothing to repeat")
        return _Literal(char)

    def group(self) -> _Node:
        if self.peek() == "?":
            self.take()
            kind = self.take()
            if kind == ":":
                pass
            elif (kind == "P" and self.peek() == "<") or (
                kind == "<" and self.peek() not in ("=", "!")
            ):
                if kind == "P":
                    self.take()
                end = self.pattern.find(">", self.pos)
                if end == -1:
                    raise self.error("unterminated group name")
                self.pos = end + 1
            elif kind in "=!<":
                raise self.error("look-around assertions are not supported")
            else:
                raise self.error(f"unsupported group syntax (?{kind}")
        node = self.alternation()
        if self.peek() != ")":
            raise self.error("missing )")
        self.take()
        return node

    def escape(self, in_class: bool) -> _Node | None:
        char = self.take()
        classes = {
            "d": _Chars(set(_DIGITS)),
            "D": _Chars(set(_DIGITS), negated=True),
            "w": _Chars(set(_WORD)),
            "W": _Chars(set(_WORD), negated=True),
            "s": _Chars({" "}),
            "S": _Chars(set(_SPACE), negated=True),
        }
        if char in classes:
            return classes[char]
        if not in_class and char in "AZbBz":
            return None
        if char.isdigit() and char != "0":
            raise self.error("back-references are not supported")
        simple = {"t": "\t", "n": "\n", "r": "\r", "f": "\f", "v": "\v", "0": "\0"}
        if char in simple:
            return _Literal(simple[char])
        if char in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[char]
            digits = self.pattern[self.pos : self.pos + width]
            if len(digits) != width or not all(d in string.hexdigits for d in digits):
                raise self.error("bad hexadecimal escape")
            self.pos += width
            return _Literal(chr(int(digits, 16)))
        if char.isalpha():
            raise self.error(f"unsupported escape \\{char}")
        return _Literal(char)

    def char_class(self) -> _Node:
        negated = False
        if self.peek() == "^":
            self.take()
            negated = True
        chars: set[str] = set()
        first = True
        while True:
            char = self.take()
            if char == "]" and not first:
                break
            first = False
            if char == "\\":
                node = self.escape(in_class=True)
                if isinstance(node, _Chars):
                    chars |= set(node.choices()) if node.negated else node.chars
                    continue
                assert isinstance(node, _Literal)
                char = node.char
            if self.peek() == "-" and self.pattern[self.pos + 1 : self.pos + 2] not in ("]", ""):
                self.take()
                end = self.take()
                if end == "\\":
                    node = self.escape(in_class=True)
                    if not isinstance(node, _Literal):
                        raise self.error("bad character range")
                    end = node.char
                if ord(end) < ord(char):
                    raise self.error("bad character range")
                chars |= {
                    chr(code) for code in range(ord(char), min(ord(end), ord(char) + 512) + 1)
                }
            else:
                chars.add(char)
        return _Chars(chars, negated)


def _emit(node: _Node, rng: random.Random, out: list[str]) -> None:
    if isinstance(node, _Literal):
        out.append(node.char)
    elif isinstance(node, _Chars):
        pool = node.choices()
        if not pool:
            raise RegexError("empty character class")
        out.append(pool[0] if len(pool) == 1 else rng.choice(pool[: max(1, min(len(pool), 26))]))
    elif isinstance(node, _Seq):
        for item in node.items:
            _emit(item, rng, out)
    elif isinstance(node, _Alt):
        _emit(rng.choice(node.options), rng, out)
    else:
        high = node.low + _MAX_EXTRA_REPEATS if node.high is None else node.high
        count = rng.randint(max(node.low, min(1, high)), max(node.low, min(high, node.low + 2)))
        for _ in range(count):
            _emit(node.node, rng, out)


def generate_from_regex(pattern: str, seed: int = 0) -> str:
    """Return a deterministic string ``s`` with ``re.fullmatch(pattern, s)``."""
    node = _Parser(pattern).parse()
    out: list[str] = []
    _emit(node, random.Random(seed), out)
    return "".join(out)
