"""``python -m nebius_inference.testing`` prints export lines that work when pasted in a shell."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
CLIENT = (
    "from nebius_inference import NebiusClient; "
    "print(len(NebiusClient().list_models().data) > 0)"  # reads NEBIUS_BASE_URL, NEBIUS_API_KEY
)


def test_the_printed_exports_point_a_client_at_the_server(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEBIUS_", "OPENAI_"))}
    env["PYTHONPATH"] = str(ROOT)
    server = subprocess.Popen(
        [sys.executable, "-m", "nebius_inference.testing", "--port", "0", "--api-key", "k 1"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    watchdog = threading.Timer(120, server.kill)  # a silent server fails the test, never hangs it
    watchdog.start()
    try:
        assert server.stdout is not None
        first = server.stdout.readline()  # blocks until the server listens (or dies: "")
        exports = [server.stdout.readline().strip() for _ in range(2)]
        assert first.startswith("Nebius emulator serving http://127.0.0.1:"), first
        assert exports[0].startswith("export NEBIUS_BASE_URL=http://127.0.0.1:")
        assert exports[1] == "export NEBIUS_API_KEY='k 1'"  # quoted for the shell
        script = "\n".join([*exports, f'"{sys.executable}" -c "{CLIENT}"'])
        done = subprocess.run(
            ["sh", "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
        )
        assert done.stdout.strip() == "True", done.stderr
    finally:
        watchdog.cancel()
        server.terminate()
        server.wait(timeout=30)
        if server.stdout is not None:
            server.stdout.close()
