"""The scenarios: what each measures, its sizes (full and ``--quick``) and its rows."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

from harness import Row

__all__ = ["SCENARIOS", "Scenario", "get_rows"]


@dataclass(frozen=True)
class Scenario:
    """``metric`` turns a repetition's wall time into the reported value.

    ``per_call``: µs per call (n calls per repetition); ``rate``: n per second;
    ``seconds``: seconds per repetition; ``millis``: ms per sample.
    """

    key: str
    title: str
    module: str
    metric: str
    unit: str
    higher_is_better: bool
    n: int
    reps: int
    warmup: int
    quick_n: int
    quick_reps: int
    stream_prefix: bool = False
    budget: float = 30.0


# Each repetition is timed on its own and the tables report the median, so a burst of noise
# from other processes on the machine spoils one repetition, not the result.
SCENARIOS = [
    Scenario(
        key="imports",
        title="1. Import time (fresh interpreter per sample, median)",
        module="imports",
        metric="millis",
        unit="ms",
        higher_is_better=False,
        n=1,
        reps=5,
        warmup=0,
        quick_n=1,
        quick_reps=1,
    ),
    Scenario(
        key="chat",
        title="2. Sequential chat calls",
        module="chat",
        metric="per_call",
        unit="µs/call",
        higher_is_better=False,
        n=500,
        reps=5,
        warmup=200,
        quick_n=200,
        quick_reps=2,
    ),
    Scenario(
        key="stream",
        title="3. One streamed reply",
        module="stream",
        metric="rate",
        unit="chunks/s",
        higher_is_better=True,
        n=20000,
        reps=3,
        warmup=0,
        quick_n=3000,
        quick_reps=2,
        stream_prefix=True,
    ),
    Scenario(
        key="async",
        title="4. Async chat calls, 64 in flight",
        module="concurrent",
        metric="rate",
        unit="calls/s",
        higher_is_better=True,
        n=1000,
        reps=5,
        warmup=64,
        quick_n=256,
        quick_reps=2,
    ),
    Scenario(
        key="embeddings",
        title="5. Embedding short texts (and 6. peak memory)",
        module="embeddings",
        metric="seconds",
        unit="s",
        higher_is_better=False,
        n=20000,
        reps=3,
        warmup=0,
        quick_n=2000,
        quick_reps=1,
        budget=20.0,
    ),
    Scenario(
        key="memory",
        title="7. Peak memory of embedding a corpus (core; per 10,000 vectors)",
        module="memory",
        metric="seconds",
        unit="s",
        higher_is_better=False,
        n=40000,
        reps=1,
        warmup=0,
        quick_n=8000,
        quick_reps=1,
    ),
]


def get(key: str) -> Scenario:
    for scenario in SCENARIOS:
        if scenario.key == key:
            return scenario
    raise KeyError(key)


def get_rows(key: str) -> list[Row]:
    rows: list[Row] = import_module(f"scenarios.{get(key).module}").ROWS
    return rows
