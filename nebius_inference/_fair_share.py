"""How fast a process that shares a key spreads its requests over what is left of a window.

A pacer takes only its share of what the server says remains: the part of the window's use
that its own requests account for (``share``). That cap keeps processes on one key from
spending the same remainder, but on its own it also keeps whatever split they started with:
a process that started a second later sends at a lower rate, so its share stays low, window
after window. Spreading as if the share were ``sqrt(share)`` lets a process below its fair
part send a little faster than its share, so its share grows until the processes send
alike; the cap itself is not lifted, so together they still stay within what remains.
"""

from __future__ import annotations

import math

__all__ = ["spread_lift"]


def spread_lift(remaining: float | None, share: float) -> float:
    """What to add to the room a process spreads over the rest of the window: the part of
    ``remaining`` between ``share`` and ``sqrt(share)`` (nothing alone, at a share of 1)."""
    if remaining is None or share >= 1.0:
        return 0.0
    return remaining * (math.sqrt(share) - share)
