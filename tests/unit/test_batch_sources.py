"""``results_of`` / ``aresults_of`` (a job or its results) and ``aiter_in_threads`` (a chunk
reader stepped from async code)."""

from __future__ import annotations

import threading
from collections.abc import Generator
from contextlib import aclosing

import pytest

from nebius_inference import InvalidRequestError
from nebius_inference.batch import aiter_in_threads, aresults_of, results_of


def test_anything_but_a_job_or_results_is_refused_with_what_was_given() -> None:
    with pytest.raises(InvalidRequestError, match="BatchResults of a finished job, got list"):
        results_of([])  # type: ignore[arg-type]


async def test_the_async_twin_refuses_alike() -> None:
    with pytest.raises(InvalidRequestError, match="got str"):
        await aresults_of("job.json")  # type: ignore[arg-type]


async def test_each_step_runs_off_the_loop_thread_and_an_early_stop_closes_the_reader() -> None:
    threads: list[int] = []
    closed: list[bool] = []

    def reader() -> Generator[int, None, None]:
        try:
            for i in range(5):
                threads.append(threading.get_ident())
                yield i
        finally:
            closed.append(True)

    got = []
    async with aclosing(aiter_in_threads(reader())) as items:
        async for item in items:
            got.append(item)
            if item == 2:
                break
        assert not closed  # the reader stays open until the iteration is closed
    assert got == [0, 1, 2] and closed == [True]
    assert threading.get_ident() not in threads


async def test_a_reader_that_yields_none_is_read_to_its_end_and_errors_propagate() -> None:
    def reader() -> Generator[int | None, None, None]:
        yield None
        yield 1
        raise ValueError("disk went away")

    got: list[int | None] = []
    with pytest.raises(ValueError, match="disk went away"):
        async for item in aiter_in_threads(reader()):
            got.append(item)
    assert got == [None, 1]
