"""The clients honour the environment's proxy settings (``HTTP_PROXY``, ``NO_PROXY``, ...), as
httpx and the ``openai`` SDK do: a call goes through a real forwarding proxy on 127.0.0.1."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from nebius_inference import AsyncNebiusClient, NebiusClient
from nebius_inference.testing import Emulator

CHAT = "Qwen/Qwen3-235B-A22B-Instruct-2507"
MESSAGES = [{"role": "user", "content": "Say hi"}]
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "host"}


class _ProxyHandler(BaseHTTPRequestHandler):
    """A plain-HTTP forward proxy: records each absolute-form request line and forwards it."""

    server: _ProxyServer

    def _forward(self) -> None:
        self.server.seen.append(f"{self.command} {self.path}")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        request = urllib.request.Request(self.path, data=body, headers=headers, method=self.command)
        direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with direct.open(request) as reply:
                status, reply_headers, data = reply.status, reply.headers, reply.read()
        except urllib.error.HTTPError as exc:
            status, reply_headers, data = exc.code, exc.headers, exc.read()
        self.send_response(status)
        for name, value in reply_headers.items():
            if name.lower() not in _HOP_BY_HOP and name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = _forward

    def log_message(self, format: str, *args: object) -> None:
        pass


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    seen: list[str]


@contextmanager
def _proxy() -> Iterator[_ProxyServer]:
    server = _ProxyServer(("127.0.0.1", 0), _ProxyHandler)
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[_ProxyServer]:
    with _proxy() as server:
        for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{server.server_address[1]}")
        yield server


def test_sync_client_goes_through_the_environment_proxy(emu: Emulator, proxy: _ProxyServer) -> None:
    with NebiusClient(api_key=emu.api_key, base_url=emu.base_url) as client:
        reply = client.create_chat_completion(model=CHAT, messages=MESSAGES, max_tokens=8)
        with client.stream_chat_completion(model=CHAT, messages=MESSAGES, max_tokens=8) as stream:
            streamed = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert reply.choices[0].message.content == streamed
    assert proxy.seen == [f"POST {emu.base_url}/chat/completions"] * 2


async def test_async_client_goes_through_the_environment_proxy(
    emu: Emulator, proxy: _ProxyServer
) -> None:
    client = AsyncNebiusClient(api_key=emu.api_key, base_url=emu.base_url)
    try:
        reply = await client.create_chat_completion(model=CHAT, messages=MESSAGES, max_tokens=8)
        stream = await client.stream_chat_completion(model=CHAT, messages=MESSAGES, max_tokens=8)
        async with stream:
            parts = [c.choices[0].delta.content or "" async for c in stream if c.choices]
    finally:
        await client.aclose()
    assert reply.choices[0].message.content == "".join(parts)
    assert proxy.seen == [f"POST {emu.base_url}/chat/completions"] * 2


async def test_no_proxy_sends_directly(
    emu: Emulator, proxy: _ProxyServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with NebiusClient(api_key=emu.api_key, base_url=emu.base_url) as client:
        assert client.create_chat_completion(model=CHAT, messages=MESSAGES).choices
    aclient = AsyncNebiusClient(api_key=emu.api_key, base_url=emu.base_url)
    try:
        assert (await aclient.create_chat_completion(model=CHAT, messages=MESSAGES)).choices
    finally:
        await aclient.aclose()
    assert proxy.seen == []
