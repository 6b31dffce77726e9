"""Every public adapter object pickles without its key or connections and works after
unpickling: in this process, in spawn and fork worker pools, and in LlamaIndex's parallel
ingestion pipeline."""

from __future__ import annotations

import copy
import faulthandler
import multiprocessing
import pickle
import sys
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from pickle_workers import build_all, round_trip, use

from nebius_inference import ConfigurationError
from nebius_inference.testing import Emulator

# A hang fails the run and prints every thread's stack (no wall-clock bound on the test).
WATCHDOG_SECONDS = 900


@pytest.fixture
def env(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """The emulator, named by the environment (which worker processes inherit)."""
    monkeypatch.setenv("NEBIUS_BASE_URL", emu.base_url)
    monkeypatch.setenv("NEBIUS_API_KEY", emu.api_key)
    monkeypatch.delenv("NEBIUS_API_BASE", raising=False)
    faulthandler.dump_traceback_later(WATCHDOG_SECONDS, exit=True)
    try:
        yield emu
    finally:
        faulthandler.cancel_dump_traceback_later()


def test_every_object_round_trips_in_this_process(env: Emulator) -> None:
    objects = build_all()
    assert len(objects) == 11
    for name, obj in objects.items():
        before = use(name, obj)
        data = pickle.dumps(obj)
        assert env.api_key.encode() not in data, name
        assert round_trip((name, data)) == before, name
        assert use(name, copy.deepcopy(obj)) == before, name
        assert use(name, copy.copy(obj)) == before, name


def test_without_a_key_in_the_environment_the_copy_says_what_to_set(
    env: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    objects = build_all()
    data = {name: pickle.dumps(obj) for name, obj in objects.items()}
    monkeypatch.delenv("NEBIUS_API_KEY")
    for name, blob in data.items():
        with pytest.raises(ConfigurationError, match="NEBIUS_API_KEY"):
            round_trip((name, blob))


def _pool_results(method: str) -> tuple[dict[str, Any], dict[str, Any]]:
    objects = build_all()
    here = {name: use(name, obj) for name, obj in objects.items()}
    items = [(name, pickle.dumps(obj)) for name, obj in objects.items()]
    context = multiprocessing.get_context(method)
    with warnings.catch_warnings():
        # Python 3.12+ warns that forking a process with threads (the emulator's) may deadlock
        # in the child; the child here only makes HTTP calls of its own.
        warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
        with context.Pool(2) as pool:
            there = dict(zip(objects, pool.map(round_trip, items), strict=True))
    return here, there


@pytest.mark.parametrize(
    "method",
    [
        "spawn",
        pytest.param(
            "fork",
            marks=pytest.mark.skipif(
                sys.platform == "win32", reason="fork does not exist on Windows"
            ),
        ),
    ],
)
def test_every_object_works_in_worker_processes(env: Emulator, method: str) -> None:
    here, there = _pool_results(method)
    assert there == here


def _nodes(count: int) -> list[Any]:
    from llama_index.core.schema import TextNode

    topics = ["rivers", "mountains", "deserts", "forests", "oceans", "cities", "islands"]
    return [
        TextNode(
            text=f"Node {i} is about {topics[i % len(topics)]} and number {i * 7}. "
            f"It mentions {topics[(i + 3) % len(topics)]} too.",
            id_=f"node-{i}",
        )
        for i in range(count)
    ]


def _pipeline() -> Any:
    # Only the embedding step runs in the pipeline's (spawned) workers: the nodes are made
    # here, so the workers do exactly what this library provides.
    from llama_index.core.ingestion import IngestionPipeline

    from llama_index_nebius import NebiusEmbedding

    return IngestionPipeline(transformations=[NebiusEmbedding(embed_batch_size=16)])


def _by_text(nodes: list[Any]) -> dict[str, list[float]]:
    return {node.get_content(): node.embedding for node in nodes}


def test_parallel_ingestion_gives_the_same_embeddings(env: Emulator) -> None:
    serial = _by_text(_pipeline().run(nodes=_nodes(240)))
    parallel = _by_text(_pipeline().run(nodes=_nodes(240), num_workers=2))
    assert len(serial) == 240
    assert parallel.keys() == serial.keys()
    for text, vector in serial.items():
        assert vector is not None and len(vector) == 4096
        assert parallel[text] == pytest.approx(vector, abs=1e-6)


async def test_async_ingestion_gives_the_same_embeddings(env: Emulator) -> None:
    serial = _by_text(_pipeline().run(nodes=_nodes(60)))
    asynchronous = _by_text(await _pipeline().arun(nodes=_nodes(60)))
    assert asynchronous.keys() == serial.keys()
    for text, vector in serial.items():
        assert asynchronous[text] == pytest.approx(vector, abs=1e-6)
