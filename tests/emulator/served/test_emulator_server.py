"""Serving: the background-thread emulator, the ASGI app, the CLI and the request log."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import openai
import pytest

from nebius_inference.testing import Emulator, EmulatorConfig, create_app

CHAT = "Qwen/Qwen3-235B-A22B-Instruct-2507"


def test_start_and_stop_are_clean() -> None:
    threads_before = set(threading.enumerate())
    with Emulator() as emu:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", emu.base_url)
        response = httpx.get(f"{emu.base_url}/models", headers={"Authorization": "Bearer test-key"})
        assert response.status_code == 200
        url = emu.base_url
        with pytest.raises(RuntimeError):
            emu.start()
    assert set(threading.enumerate()) <= threads_before
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/models")


def test_two_emulators_are_independent() -> None:
    with Emulator() as first, Emulator() as second:
        assert first.port != second.port
        httpx.get(f"{first.base_url}/models", headers={"Authorization": "Bearer test-key"})
        assert len(first.request_log) == 1 and second.request_log == []


def test_any_key_mode() -> None:
    with Emulator(EmulatorConfig(api_keys=None)) as emu:
        ok = httpx.get(f"{emu.base_url}/models", headers={"Authorization": "Bearer anything"})
        assert ok.status_code == 200
        empty = httpx.get(f"{emu.base_url}/models", headers={"Authorization": "Bearer"})
        assert empty.status_code == 401


def test_request_log(emu: Emulator, client: openai.OpenAI) -> None:
    client.chat.completions.create(
        model=CHAT,
        messages=[{"role": "user", "content": "Hi"}],
        temperature=0.3,
        extra_query={"ai_project_id": "p1"},
    )
    entry = emu.requests("/v1/chat/completions", "post")[0]
    assert entry.method == "POST"
    assert entry.query == {"ai_project_id": "p1"}
    assert entry.json["temperature"] == 0.3
    assert entry.headers["authorization"] == "<redacted>"
    assert emu.api_key not in str(entry.headers)
    assert entry.body.startswith(b"{")


def test_concurrent_clients(client: openai.OpenAI) -> None:
    def ask(i: int) -> str:
        reply = client.chat.completions.create(
            model=CHAT, messages=[{"role": "user", "content": f"Tell me about number {i}"}]
        )
        return reply.choices[0].message.content or ""

    with ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(pool.map(ask, range(16)))
    assert all(re.search(rf"\b{i}\b", reply) for i, reply in enumerate(replies))


async def test_asgi_app_in_process() -> None:
    app = create_app(EmulatorConfig(api_keys=("k",)))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as http:
        response = await http.post(
            "/v1/chat/completions",
            json={"model": CHAT, "messages": [{"role": "user", "content": "Hello"}]},
            headers={"Authorization": "Bearer k"},
        )
        assert response.status_code == 200
        assert response.json()["choices"][0]["message"]["content"].startswith("Hello!")
        assert "x-ratelimit-remaining-requests" in response.headers
        denied = await http.get("/v1/models")
        assert denied.status_code == 401


def test_cli_prints_its_address_and_serves() -> None:
    command = [
        sys.executable,
        "-m",
        "nebius_inference.testing",
        "--port",
        "0",
        "--api-key",
        "cli-key",
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as proc:
        watchdog = threading.Timer(15, proc.kill)
        watchdog.start()
        try:
            assert proc.stdout is not None
            line = "".join(proc.stdout.readline() for _ in range(3))
            match = re.search(r"^export NEBIUS_BASE_URL=(http://127\.0\.0\.1:\d+/v1)$", line, re.M)
            assert match and "\nexport NEBIUS_API_KEY=cli-key\n" in line, line
            response = httpx.get(
                f"{match.group(1)}/models", headers={"Authorization": "Bearer cli-key"}
            )
            assert response.status_code == 200
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=10) == 0
        finally:
            watchdog.cancel()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
