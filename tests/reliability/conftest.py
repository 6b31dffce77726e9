"""Fixtures for the fault suite: a watchdog on every test, and a misbehaving server.

- Every test in this folder runs under a **watchdog** (autouse). A test that is still running
  after its allowance (120 s, or ``@pytest.mark.watchdog(seconds)``) is interrupted: the stacks
  of all its threads are printed and the test fails. The allowance is a hang detector, not a
  speed check: no test here asserts how fast anything is.
- ``fault_server`` (one per session) is :class:`reliability.fault_server.FaultServer`, a raw
  socket HTTP server in its own process: it echoes a per-request tag, counts open connections,
  and sends invalid UTF-8, wrong ``Content-Length`` values, redirects, ``Retry-After`` values,
  keep-alive comments and cut streams on request (see that module's docstring).
  ``fault_server.script(...)`` queues faults; ``fault_server.wait_open(n)`` polls until the
  server holds ``n`` connections (the watchdog bounds it); ``settled_open()`` is a baseline
  taken once the count stops moving.
- ``fault_env`` sets ``NEBIUS_API_KEY`` and ``NEBIUS_BASE_URL`` to the fault server, so a client
  or adapter made with no arguments talks to it.
"""

from __future__ import annotations

import faulthandler
import signal
import sys
import threading
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from reliability.fault_server import FaultServer

DEFAULT_WATCHDOG_SECONDS = 120.0
API_KEY = "fault-suite-key"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "watchdog(seconds): in tests/reliability, the hang allowance of one test "
        f"(default {DEFAULT_WATCHDOG_SECONDS:.0f} s)",
    )


class WatchdogExpired(BaseException):
    """Raised in the main thread when a test outlives its watchdog (a BaseException, so no
    ``except Exception`` in the code under test swallows it)."""


def all_stacks() -> str:
    """Every thread's current stack, as text."""
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    parts = []
    for ident, frame in sys._current_frames().items():
        parts.append(f"--- thread {names.get(ident, '?')} ({ident}) ---\n")
        parts.extend(traceback.format_stack(frame))
    return "".join(parts)


class Watchdog:
    """SIGALRM after ``seconds``: record all stacks, then raise :class:`WatchdogExpired` in the
    main thread (a blocked lock acquire is interrupted by the signal), and again every second
    (a finaliser may swallow one). If even that cannot unblock the process, ``faulthandler``
    writes the stacks to ``watchdog-stacks.txt`` in the test's temporary folder and ends the
    process a minute later."""

    def __init__(self, seconds: float, dump: Path) -> None:
        self.seconds = seconds
        self.stacks: str | None = None
        self._dump = dump

    def _fire(self, signum: int, frame: Any) -> None:
        if self.stacks is None:
            self.stacks = all_stacks()
        raise WatchdogExpired(f"the test ran past its {self.seconds:.0f} s watchdog (a hang?)")

    def __enter__(self) -> Watchdog:
        self._previous = signal.signal(signal.SIGALRM, self._fire)
        signal.setitimer(signal.ITIMER_REAL, self.seconds, 1.0)
        self._file = self._dump.open("w")
        faulthandler.dump_traceback_later(self.seconds + 60, exit=True, file=self._file)
        return self

    def __exit__(self, *exc_info: object) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        faulthandler.cancel_dump_traceback_later()
        self._file.close()
        signal.signal(signal.SIGALRM, self._previous)


@pytest.fixture(autouse=True)
def watchdog(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Watchdog]:
    marker = request.node.get_closest_marker("watchdog")
    seconds = float(marker.args[0]) if marker else DEFAULT_WATCHDOG_SECONDS
    with Watchdog(seconds, tmp_path / "watchdog-stacks.txt") as dog:
        yield dog
    if dog.stacks is not None:
        pytest.fail(f"watchdog expired after {seconds:.0f} s; all threads:\n{dog.stacks}")


@pytest.fixture(scope="session")
def fault_server() -> Iterator[FaultServer]:
    server = FaultServer.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fault_env(fault_server: FaultServer, monkeypatch: pytest.MonkeyPatch) -> FaultServer:
    monkeypatch.setenv("NEBIUS_API_KEY", API_KEY)
    monkeypatch.setenv("NEBIUS_BASE_URL", fault_server.base_url)
    return fault_server
