"""The real-server tier: the three packages against llama.cpp's ``llama-server``, a server
nobody here wrote, serving SmolLM2-135M-Instruct on 127.0.0.1.

``build_llama_server.sh`` builds the server and fetches the model (cached under the user cache
folder, so only the first run pays). One router process (``--models-preset``) serves a chat
model and an embedding model (``--embeddings --pooling mean``) and checks an API key, so 401s
and unknown models are the server's own answers. Where the server cannot be built (no compiler,
no cmake, no network for the first download) the tier is skipped with the script's own words;
with ``NEBIUS_REALSERVER_REQUIRED=1`` (as CI sets it) that is a failure instead.

A 135M model's words are not asserted: only shapes, validity and errors.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import traceback
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

SCRIPT = Path(__file__).with_name("build_llama_server.sh")
REQUIRED_ENV = "NEBIUS_REALSERVER_REQUIRED"
API_KEY = "sk-realserver-test-3f9c1a"
CHAT_MODEL = "smollm2-135m"
EMBED_MODEL = "smollm2-135m-embed"
CONTEXT = 4096
# Hang guards, not speed budgets: generous enough for a loaded 2-core machine. The loops of a
# stream left with break and another call take seconds; a hang there is caught sooner.
WATCHDOG_SECONDS = 600.0
BREAK_WATCHDOG = 180.0

T = TypeVar("T")


__all__ = ["BREAK_WATCHDOG", "RealServer", "running_server", "watched"]


@dataclass(frozen=True)
class RealServer:
    """A running ``llama-server`` router and what the tests need to reach it."""

    base_url: str
    api_key: str
    chat_model: str
    embed_model: str
    context: int
    log: Path

    def connection(self) -> dict[str, Any]:
        """Constructor arguments for any client or adapter class."""
        return {"base_url": self.base_url, "api_key": self.api_key}


def _unavailable(reason: str) -> None:
    if os.environ.get(REQUIRED_ENV):
        pytest.fail(f"{REQUIRED_ENV} is set but {reason}")
    pytest.skip(reason)


def _build() -> Path:
    """The cache folder holding ``llama-server`` and the model, built on first use."""
    try:
        done = subprocess.run(
            ["bash", str(SCRIPT)], capture_output=True, text=True, timeout=3600, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        _unavailable(f"llama-server could not be built ({SCRIPT.name}): {exc}")
    if done.returncode != 0:
        tail = " | ".join(done.stderr.strip().splitlines()[-5:])
        _unavailable(
            f"llama-server could not be built ({SCRIPT.name} exited {done.returncode}): {tail}"
        )
    return Path(done.stdout.strip().splitlines()[-1])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _presets(folder: Path) -> str:
    model = next(folder.glob("*.gguf"))
    # load-mode none: with the default mmap loading the model ran 20-300x slower on small VMs.
    # One thread: on a busy 2-core machine, two spinning threads slow each other down.
    return (
        f"[*]\nctx-size = {CONTEXT}\nload-mode = none\nthreads = 1\nthreads-batch = 1\n\n"
        f"[{CHAT_MODEL}]\nmodel = {model}\n\n"
        f"[{EMBED_MODEL}]\nmodel = {model}\nembeddings = true\npooling = mean\n"
    )


def _post(base_url: str, path: str, body: dict[str, Any]) -> int:
    request = urllib.request.Request(
        f"{base_url}{path}",
        json.dumps(body).encode(),
        {"content-type": "application/json", "authorization": f"Bearer {API_KEY}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=WATCHDOG_SECONDS) as reply:
            status: int = reply.status
            return status
    except urllib.error.HTTPError as exc:
        return exc.code


def _wait_until_healthy(proc: subprocess.Popen[bytes], root: str, log: Path) -> None:
    done = threading.Event()
    timer = threading.Timer(WATCHDOG_SECONDS, done.set)
    timer.start()
    try:
        while not done.is_set():
            if proc.poll() is not None:
                pytest.fail(f"llama-server exited ({proc.returncode}): {_tail(log)}")
            try:
                with urllib.request.urlopen(f"{root}/health", timeout=5) as reply:
                    if reply.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            done.wait(0.2)
        pytest.fail(f"llama-server did not become healthy: {_tail(log)}")
    finally:
        timer.cancel()


def _tail(log: Path) -> str:
    return " | ".join(log.read_text(errors="replace").strip().splitlines()[-8:])


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the router and the model processes it started (its own process group)."""
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass


@contextmanager
def running_server(work: Path) -> Iterator[RealServer]:
    """Build (or reuse) ``llama-server``, run it in ``work`` until the block ends."""
    folder = _build()
    presets = work / "presets.ini"
    presets.write_text(_presets(folder))
    log = work / "llama-server.log"
    port = _free_port()
    root = f"http://127.0.0.1:{port}"
    command = [
        str(folder / "llama-server"),
        "--models-preset", str(presets),
        "--host", "127.0.0.1",
        "--port", str(port),
        "--api-key", API_KEY,
        "--no-webui",
    ]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        _wait_until_healthy(proc, root, log)
        base_url = f"{root}/v1"
        # Each model process starts on its first request; start both now.
        chat = {"model": CHAT_MODEL, "messages": [{"role": "user", "content": "Hi"}]}
        for path, body in [
            ("/v1/chat/completions", {**chat, "max_tokens": 1}),
            ("/v1/embeddings", {"model": EMBED_MODEL, "input": "Hi"}),
        ]:
            status = _post(root, path, body)
            if status != 200:
                pytest.fail(f"llama-server answered {status} to {path}: {_tail(log)}")
        yield RealServer(base_url, API_KEY, CHAT_MODEL, EMBED_MODEL, CONTEXT, log)
    finally:
        _stop(proc)


def watched(fn: Callable[[], T], seconds: float = WATCHDOG_SECONDS) -> T:
    """Run ``fn`` in a thread; if it has not finished after ``seconds`` (a hang, not a slow
    run), fail the test with every thread's stack."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # handed to the test's thread below
            outcome["error"] = exc

    worker = threading.Thread(target=run, name="watched", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        names = {thread.ident: thread.name for thread in threading.enumerate()}
        stacks = "\n".join(
            f"--- thread {names.get(ident, ident)}\n" + "".join(traceback.format_stack(frame))
            for ident, frame in sys._current_frames().items()
        )
        pytest.fail(f"hung: still running after {seconds:.0f} s; every thread's stack:\n{stacks}")
    if "error" in outcome:
        raise outcome["error"]
    value: T = outcome["value"]
    return value
