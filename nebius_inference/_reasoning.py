"""Reasoning written into the reply text itself: ``<think>...</think>`` before the answer.

Some models and older serving setups (DeepSeek-R1 flows among them) put their reasoning at the
start of ``content`` instead of in ``reasoning_content``. Structured output must parse the
answer after it, not the braces inside it.
"""

from __future__ import annotations

import re

__all__ = ["split_think_block"]

_THINK_BLOCK = re.compile(r"\A\s*<think>(.*?)</think>", re.DOTALL)


def split_think_block(text: str) -> tuple[str | None, str]:
    """``(reasoning, answer)``: a leading, closed ``<think>`` block split from the rest; without
    one, ``(None, text)``. An unclosed block is left in place (it may still be streaming)."""
    match = _THINK_BLOCK.match(text)
    if match is None:
        return None, text
    return match.group(1).strip(), text[match.end() :]
