"""The benchmark harness: rows, measurements, the server process and the result tables.

Standard library only: the worker imports this module in every bench venv (the official
``langchain-nebius`` lives in a venv of its own), and the rows import their client package
inside the function that measures it, so a missing package costs its row only.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
API_KEY = "bench-not-a-real-key"
CHAT_MODEL = "Qwen/Qwen3-235B-A22B-Instruct-2507"
EMBEDDING_MODEL = "Qwen/Qwen3-Embedding-8B"
DIMENSIONS = 1024
PROMPT = "Hello, how are you?"
MESSAGES = [{"role": "user", "content": PROMPT}]

# Environment variables that would change what a client does (tracing, proxies, keys).
_SCRUB_PREFIXES = ("LANGSMITH_", "LANGCHAIN_", "OPENAI_", "NEBIUS_")
_SCRUB_NAMES = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}


class NotAvailable(Exception):
    """A row that cannot run here: the reason goes in the table as ``n/a (reason)``."""


@dataclass(frozen=True)
class Row:
    """One client in one scenario.

    ``kind`` is ``floor`` (the reference every ratio divides by), ``ours``, ``competitor`` or
    ``info`` (shown for context). ``env`` names the venv the row runs in.
    """

    key: str
    label: str
    kind: str
    func: Callable[[Config], dict[str, Any]]
    env: str = "main"


@dataclass
class Config:
    """What a row measures against: sizes come from the scenario and ``--quick``."""

    base_url: str
    n: int
    reps: int
    warmup: int
    budget: float = 30.0
    concurrency: int = 64
    api_key: str = API_KEY
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(self.__dict__)

    @classmethod
    def from_json(cls, text: str) -> Config:
        return cls(**json.loads(text))

    @property
    def server(self) -> str:
        """``http://127.0.0.1:<port>`` without the ``/v1`` path."""
        return self.base_url.split("/", 3)[0] + "//" + self.base_url.split("/", 3)[2]


# --- measuring --------------------------------------------------------------------------------


def measure(
    body: Callable[[], object], cfg: Config, *, check: Callable[[object], None] | None = None
) -> dict[str, Any]:
    """Time ``body`` once per repetition (wall and process CPU), stopping early past the
    budget; count the HTTP requests each repetition made (at the server) and the peak RSS growth.
    """
    walls: list[float] = []
    cpus: list[float] = []
    requests: list[int] = []
    rss_before = peak_rss_mb()
    started = time.perf_counter()
    for _ in range(max(1, cfg.reps)):
        count_before = server_requests(cfg.server)
        c0, t0 = time.process_time(), time.perf_counter()
        result = body()
        t1, c1 = time.perf_counter(), time.process_time()
        requests.append(server_requests(cfg.server) - count_before)
        if check is not None:
            check(result)
        del result
        walls.append(t1 - t0)
        cpus.append(c1 - c0)
        if time.perf_counter() - started > cfg.budget:
            break
    return {
        "wall": walls,
        "cpu": cpus,
        "requests": requests,
        "rss_mb": round(peak_rss_mb() - rss_before, 1),
    }


def measure_calls(call: Callable[[], object], cfg: Config) -> dict[str, Any]:
    """``cfg.n`` sequential calls per repetition after ``cfg.warmup`` untimed ones."""
    for _ in range(cfg.warmup):
        call()

    def body() -> None:
        for _ in range(cfg.n):
            call()

    return measure(body, cfg)


def measure_async_calls(
    make_call: Callable[[], Awaitable[object]],
    cfg: Config,
    *,
    setup: Callable[[], Awaitable[None]] | None = None,
    teardown: Callable[[], Awaitable[None]] | None = None,
) -> dict[str, Any]:
    """``cfg.n`` calls per repetition with at most ``cfg.concurrency`` in flight, all in one
    event loop (the warm-up opens the connections first)."""

    async def main() -> dict[str, Any]:
        if setup is not None:
            await setup()
        gate = asyncio.Semaphore(cfg.concurrency)

        async def one() -> None:
            async with gate:
                await make_call()

        async def batch(count: int) -> None:
            await asyncio.gather(*(one() for _ in range(count)))

        await batch(max(cfg.warmup, cfg.concurrency))
        walls: list[float] = []
        cpus: list[float] = []
        requests: list[int] = []
        started = time.perf_counter()
        for _ in range(max(1, cfg.reps)):
            count_before = await asyncio.to_thread(server_requests, cfg.server)
            c0, t0 = time.process_time(), time.perf_counter()
            await batch(cfg.n)
            t1, c1 = time.perf_counter(), time.process_time()
            requests.append(await asyncio.to_thread(server_requests, cfg.server) - count_before)
            walls.append(t1 - t0)
            cpus.append(c1 - c0)
            if time.perf_counter() - started > cfg.budget:
                break
        if teardown is not None:
            await teardown()
        return {"wall": walls, "cpu": cpus, "requests": requests}

    return asyncio.run(main())


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def server_requests(server: str) -> int:
    """How many requests the bench server has answered so far (all routes but ``/__stats``)."""
    host, port = server.rsplit("//", 1)[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("GET", "/__stats")
        stats = json.loads(conn.getresponse().read())
    finally:
        conn.close()
    return sum(stats["requests"].values())


# --- the server process -----------------------------------------------------------------------


class BenchServer:
    """``benchmarks/server.py`` in a child process, on 127.0.0.1 and a free port."""

    def __init__(self, python: str | None = None) -> None:
        self.python = python or sys.executable
        self.process: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> BenchServer:
        self.process = subprocess.Popen(
            [self.python, str(BENCH_DIR / "server.py")],
            stdout=subprocess.PIPE,
            text=True,
            env=clean_env(),
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"the bench server did not start: {line!r}")
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.process = None

    def __exit__(self, *exc: object) -> None:
        self.stop()


def clean_env() -> dict[str, str]:
    """The environment for child processes: no tracing, proxies or API keys of the caller."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(_SCRUB_PREFIXES) and k.lower() not in _SCRUB_NAMES
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["LANGSMITH_TRACING"] = "false"
    env["LANGCHAIN_TRACING_V2"] = "false"
    env["TOKENIZERS_PARALLELISM"] = "false"
    return env


# --- summarising ------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def fmt(value: float, digits: int = 0) -> str:
    if value != value:  # NaN
        return "-"
    if digits == 0:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    right = [i > 0 for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        out = []
        for i, cell in enumerate(cells):
            out.append(cell.rjust(widths[i]) if right[i] else cell.ljust(widths[i]))
        return "| " + " | ".join(out) + " |"

    sep = (
        "|"
        + "|".join(
            ("-" * (w + 1) + ":") if right[i] else (":" + "-" * (w + 1))
            for i, w in enumerate(widths)
        )
        + "|"
    )
    return "\n".join([line(headers), sep, *(line(r) for r in rows)])
