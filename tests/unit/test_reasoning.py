from __future__ import annotations

import pytest

from nebius_inference._reasoning import split_think_block


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<think>plan</think>answer", ("plan", "answer")),
        ("\n <think>\nline one\nline two\n</think>\n\n{}", ("line one\nline two", "\n\n{}")),
        ("<think></think>x", ("", "x")),
        ("answer <think>late</think>", (None, "answer <think>late</think>")),  # not leading
        ("<think>still streaming", (None, "<think>still streaming")),  # not closed yet
        ("no reasoning", (None, "no reasoning")),
    ],
)
def test_split_think_block(text: str, expected: tuple[str | None, str]) -> None:
    assert split_think_block(text) == expected
