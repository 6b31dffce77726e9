"""The rate-limit scenario's arithmetic: fractions of the limit from the emulator's windows.

Pure functions of ``benchmarks/ratelimit.py``; no process is started and nothing is timed.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from nebius_inference.testing._ratelimit import WindowStats

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "ratelimit.py"


@pytest.fixture(scope="module")
def ratelimit() -> Iterator[ModuleType]:
    """``benchmarks/ratelimit.py``, imported under a private name and removed afterwards."""
    spec = importlib.util.spec_from_file_location("bench_ratelimit", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


def test_fractions_count_the_full_windows_and_the_gaps_between_them(ratelimit: ModuleType) -> None:
    sizes = ratelimit.Sizes(window=5.0, requests=100, tokens=1000, texts=0, chats=0)
    windows = [
        WindowStats("m", 0.0, requests=100, tokens=500, rejected=2),
        WindowStats("m", 5.5, requests=80, tokens=400),  # half a second lost before it
        WindowStats("m", 11.0, requests=10, tokens=50),  # the last one, left part-empty
    ]
    out = ratelimit.measure(windows, sizes)
    assert out["requests_frac"] == pytest.approx(180 / (11.0 / 5.0 * 100))
    assert out["tokens_frac"] == pytest.approx(900 / (11.0 / 5.0 * 1000))
    assert out["received"] == 192 and out["rejected"] == 2
    assert out["rejected_frac"] == pytest.approx(2 / 192)


def test_a_single_window_gives_no_fraction(ratelimit: ModuleType) -> None:
    sizes = ratelimit.Sizes(window=5.0, requests=100, tokens=1000, texts=0, chats=0)
    out = ratelimit.measure([WindowStats("m", 0.0, requests=3)], sizes)
    assert "requests_frac" not in out and out["windows"] == 1


def test_the_table_has_a_row_per_result_and_says_why_one_is_missing(ratelimit: ModuleType) -> None:
    sizes = ratelimit.FULL
    ok = {
        "status": "ok", "requests_frac": 0.5, "tokens_frac": 0.97, "rejected": 1,
        "rejected_frac": 0.01, "retries": 1, "lost": 0, "inputs": 10, "errors": 0,
        "seconds": 3.0, "windows": 4,
    }  # fmt: skip
    table = ratelimit.render(
        {"ours_embed/1": ok, "openai_chat/2": {"status": "n/a", "reason": "no official venv"}},
        sizes,
    )
    assert "| 50%" in table and "97%" in table and "1 (1.0%)" in table and "0 of 10" in table
    assert "n/a (no official venv)" in table
    assert table.count("\n| ") == 3  # the header and two rows
