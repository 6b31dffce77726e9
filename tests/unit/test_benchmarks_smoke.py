"""The benchmark harness runs end to end on its tiniest configuration.

It starts the benchmarks' own fast server in a child process, measures 20 sequential chat calls
with the raw httpx floor and with our core client, and checks that the result rows are well
formed. It asserts no timing: the benchmarks report ratios, the test suite never times anything.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH_DIR = Path(__file__).resolve().parents[2] / "benchmarks"
CALLS = 20


@pytest.fixture(scope="module")
def bench() -> Iterator[dict[str, ModuleType]]:
    """The harness modules, imported from ``benchmarks/`` and removed again afterwards."""
    sys.path.insert(0, str(BENCH_DIR))
    try:
        import harness
        import scenarios

        spec = importlib.util.spec_from_file_location("bench_run", BENCH_DIR / "run.py")
        assert spec is not None and spec.loader is not None
        run = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(run)
        yield {"harness": harness, "scenarios": scenarios, "run": run}
    finally:
        sys.path.remove(str(BENCH_DIR))
        for name in list(sys.modules):
            if name in ("harness", "scenarios") or name.startswith("scenarios."):
                del sys.modules[name]


def test_chat_scenario_produces_well_formed_rows(bench: dict[str, ModuleType]) -> None:
    harness, scenarios, run = bench["harness"], bench["scenarios"], bench["run"]
    rows = [r for r in scenarios.get_rows("chat") if r.key in ("floor", "core")]
    assert [r.kind for r in rows] == ["floor", "ours"]

    with harness.BenchServer() as server:
        cfg = harness.Config(base_url=f"{server.url}/v1", n=CALLS, reps=1, warmup=2)
        results: dict[str, dict[str, Any]] = {r.key: r.func(cfg) | {"status": "ok"} for r in rows}

    for result in results.values():
        assert result["requests"] == [CALLS]  # counted by the server, not by the client
        assert len(result["wall"]) == len(result["cpu"]) == 1

    scenario = scenarios.get("chat")
    summary = run.summarize(scenario, CALLS, rows, results)
    assert [e["key"] for e in summary] == ["floor", "core"]
    floor, ours = summary
    assert floor["ratio"] == floor["cpu_ratio"] == 1.0
    for entry in summary:
        assert entry["status"] == "ok" and entry["samples"] == 1
        assert entry["value"] > 0 and entry["cpu"] > 0
        assert entry["ratio"] > 0 and entry["cpu_ratio"] > 0
        assert entry["requests"] == CALLS
    assert ours["ratio"] == pytest.approx(ours["value"] / floor["value"])

    table = run.render(scenario, CALLS, summary)
    assert "raw httpx.Client + json.loads" in table
    assert "ours: NebiusClient.create_chat_completion" in table
    assert "1.00x" in table


def test_a_missing_package_becomes_a_not_available_row(bench: dict[str, ModuleType]) -> None:
    harness, scenarios, run = bench["harness"], bench["scenarios"], bench["run"]
    row = next(r for r in scenarios.get_rows("chat") if r.key == "floor")
    cfg = harness.Config(base_url="http://127.0.0.1:9/v1", n=1, reps=1, warmup=0)

    results = run.run_rows(BENCH_DIR / "no-such-venv" / "python", "chat", [row], cfg)

    assert results == {"floor": {"status": "n/a", "reason": "no main venv"}}
    summary = run.summarize(scenarios.get("chat"), 1, [row], results)
    assert "n/a (no main venv)" in run.render(scenarios.get("chat"), 1, summary)


def test_memory_scenario_reports_growth_per_ten_thousand_vectors(
    bench: dict[str, ModuleType],
) -> None:
    harness, scenarios, run = bench["harness"], bench["scenarios"], bench["run"]
    rows = [r for r in scenarios.get_rows("memory") if r.key in ("floor", "chunks_array")]
    texts = 1024
    with harness.BenchServer() as server:
        cfg = harness.Config(base_url=f"{server.url}/v1", n=texts, reps=1, warmup=0)
        results: dict[str, dict[str, Any]] = {r.key: r.func(cfg) | {"status": "ok"} for r in rows}
    for result in results.values():
        assert result["requests"] == [texts // 128]  # the whole corpus, counted by the server
        assert {"rss_mb", "rss_small_mb", "rss_per_10k_mb"} <= set(result)
    scenario = scenarios.get("memory")
    table = run.render(scenario, texts, run.summarize(scenario, texts, rows, results))
    assert "+MB per 10,000 vectors" in table and "peak RSS +MB, 256 texts" in table
    assert "iter_embeddings(output='array')" in table


def test_memory_against_the_emulator_reports_growth(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("starlette", reason="the emulator needs the [emulator] extra")
    from nebius_inference.testing import Emulator

    spec = importlib.util.spec_from_file_location("bench_mem", BENCH_DIR / "memory_emulator.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    with Emulator() as emu:
        monkeypatch.setenv("NEBIUS_BASE_URL", emu.base_url)
        monkeypatch.setenv("NEBIUS_API_KEY", emu.api_key)
        for shape in script.SHAPES:
            result = script.child(shape, 1024)
            assert set(result) == {"small", "large", "per_10k"}
            assert result["large"] >= result["small"] >= 0
