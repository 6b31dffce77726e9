"""Crash and rerun: a batch call killed with SIGKILL, then run again exactly as written.

Each case runs a user's call (``run_batch(client, requests, state_path=...)`` and its twins in
the core, LangChain and LlamaIndex) in a child process against the emulator, kills it with
SIGKILL at one moment (right after an upload's reply arrived, right after a create's reply
arrived, both before the library could record them; or while it polls), then runs the very
same call again in a fresh process. Every input must end exactly once, and the emulator must
have received exactly the uploads and batch creations the job needs: nothing is paid twice.

No wall-clock bound: a child that hangs is stopped by its own ``faulthandler`` watchdog, which
prints its stacks, and the test fails on its exit.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from nebius_inference import NebiusClient
from nebius_inference.testing import Emulator

CHILD = Path(__file__).with_name("batch_crash_child.py")
PARTS = 4  # 12 inputs, 3 per file
INPUTS = 12
KILL_POINTS = {
    "after upload": "upload_file:2",
    "after create": "create_batch:2",
    "while polling": "get_batch:3",
}
CALLS = [
    "run_batch",
    "arun_batch",
    "embed_batch",
    "aembed_batch",
    "langchain_chat",
    "langchain_embeddings",
    "llamaindex_chat",
    "llamaindex_embeddings",
]
WATCHDOG_SECONDS = 300


def _child(settings: dict[str, Any], folder: Path) -> subprocess.Popen[bytes]:
    path = folder / f"settings-{len(list(folder.glob('settings-*')))}.json"
    path.write_text(json.dumps({**settings, "watchdog": WATCHDOG_SECONDS}))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen(
        [sys.executable, str(CHILD), str(path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _wait_for(marker: Path, child: subprocess.Popen[bytes]) -> None:
    """Until the child pauses at its kill point; fails if it exits first (with its stderr)."""
    while not marker.exists():
        if child.poll() is not None:
            _, err = child.communicate()
            pytest.fail(f"the child exited ({child.returncode}) before its kill point:\n{err!r}")
        threading.Event().wait(0.01)


def _created_lines(emu: Emulator, client: NebiusClient) -> Counter[str]:
    """How many times each custom_id was in the input file of a batch the emulator created."""
    lines: Counter[str] = Counter()
    for request in emu.requests(path="/v1/batches", method="POST"):
        content = client.get_file_content(request.json["input_file_id"])
        lines.update(json.loads(line)["custom_id"] for line in content.splitlines())
    return lines


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize("kill_point", list(KILL_POINTS))
def test_killed_and_run_again_every_input_ends_once_and_nothing_is_created_twice(
    call: str, kill_point: str, nebius_emulator_clean: Emulator, tmp_path: Path
) -> None:
    emu = nebius_emulator_clean
    settings = {
        "call": call,
        "conn": {"api_key": emu.api_key, "base_url": emu.base_url},
        "state_path": str(tmp_path / "job.json"),
        "marker": str(tmp_path / "paused"),
        "out": str(tmp_path / "outputs.json"),
    }
    first = _child({**settings, "pause": KILL_POINTS[kill_point]}, tmp_path)
    _wait_for(tmp_path / "paused", first)
    first.send_signal(signal.SIGKILL)
    first.communicate()
    assert first.returncode == -signal.SIGKILL

    again = _child(settings, tmp_path)  # the very same call, as a user would run it again
    _, err = again.communicate()
    assert again.returncode == 0, err.decode(errors="replace")

    uploads = len(emu.requests(path="/v1/files", method="POST"))
    creates = len(emu.requests(path="/v1/batches", method="POST"))
    outputs = json.loads((tmp_path / "outputs.json").read_text())
    with NebiusClient(api_key=emu.api_key, base_url=emu.base_url) as client:
        lines = _created_lines(emu, client)
        if call.endswith("_chat") or call.endswith("run_batch"):
            assert outputs == [f"r{i}" for i in range(INPUTS)]
        else:  # the vectors a direct call gives, in order
            texts = [f"text {i}" for i in range(INPUTS)]
            direct = client.embed(texts, model="Qwen/Qwen3-Embedding-8B")
            assert len(outputs) == len(direct)
            for got, want in zip(outputs, direct, strict=True):  # float32 on the wire
                assert max(abs(a - b) for a, b in zip(got, want, strict=True)) < 1e-6
    assert (uploads, creates) == (PARTS, PARTS)
    assert len(lines) == INPUTS and set(lines.values()) == {1}
