"""A small misbehaving HTTP/1.1 server on raw sockets, for the fault suite.

It runs in a process of its own (``FaultServer.start()`` spawns ``python fault_server.py``), so
forked clients, threads and event loops all talk to the same server, and a hang in the client
never stalls it. One thread per connection; keep-alive; chunked or sized replies, written by
hand so that they can be wrong on purpose.

What it answers (any prefix before ``/chat/completions`` etc. is ignored):

- ``POST .../chat/completions`` and ``.../completions``: a chat (or text) completion whose text
  echoes the request's tag: the ``x-tag`` header if sent, else the last message's content (or
  the prompt). With ``"stream": true``: an SSE stream of ``x-chunks`` chunks (default 64) that
  each carry the tag, then ``data: [DONE]``. The reply also carries ``x-tag``.
- ``GET .../models``: a one-model list.
- ``GET /__stats``: ``{"open": ..., "accepted": ..., "requests": ...}``: connections open now
  (the stats connection itself excluded), accepted so far, requests answered.
- ``POST /__script`` with a JSON list of fault strings: queued faults, one per later API request.

A fault comes from the ``x-fault`` header, else from the queue. Faults (``;`` joins several):

- ``invalid-utf8``: in a stream, one good event, then an event whose data is not UTF-8; in a
  whole reply, a body that is not UTF-8.
- ``short-body``: ``Content-Length`` promises more bytes than are sent; the connection closes.
- ``long-body``: more bytes are sent than ``Content-Length`` says (garbage after the JSON).
- ``redirect=<status>``: that 3xx status with ``Location`` pointing back at this server.
- ``retry-after=<value>``: a 429 with that ``Retry-After`` header.
- ``status=<code>``: that status with an OpenAI-style error body.
- ``keepalive=<n>x<seconds>``: in a stream, ``n`` comment lines ``: keep-alive`` spaced by
  ``seconds`` before the first event.
- ``pause=<seconds>``: in a stream, a pause after the first event; in a whole reply, before it.
- ``cut``: a stream that ends (cleanly, with its last chunk) without ``[DONE]``.
"""

from __future__ import annotations

import collections
import json
import socket
import socketserver
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["FaultServer", "Stats"]

MODEL = "fault/echo-1"


# --------------------------------------------------------------------------------------------
# The server process
# --------------------------------------------------------------------------------------------


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.open = 0
        self.accepted = 0
        self.requests = 0
        self.script: collections.deque[str] = collections.deque()


class _Closed(Exception):
    """The client went away, or a fault closes the connection."""


def _read_request(rfile: Any) -> tuple[str, str, dict[str, str], bytes] | None:
    line = rfile.readline(65536)
    if not line:
        return None
    method, target, _ = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while True:
        raw = rfile.readline(65536)
        if not raw:
            return None
        if raw in (b"\r\n", b"\n"):
            break
        name, _, value = raw.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int(rfile.readline().split(b";")[0], 16)
            data = rfile.read(size + 2)[:size]
            if size == 0:
                while rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                break
            parts.append(data)
        body = b"".join(parts)
    else:
        body = rfile.read(int(headers.get("content-length") or 0))
    return method, target, headers, body


def _faults(spec: str) -> dict[str, str]:
    out = {}
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        name, _, value = part.partition("=")
        out[name] = value
    return out


def _head(status: int, headers: list[tuple[str, str]]) -> bytes:
    lines = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        state = self.server.state
        with state.lock:
            state.open += 1
            state.accepted += 1
        sock: socket.socket = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        rfile = sock.makefile("rb")
        try:
            while True:
                parsed = _read_request(rfile)
                if parsed is None:
                    return
                if not self._answer(sock, *parsed):
                    return
        except (OSError, ValueError, _Closed):
            return
        finally:
            rfile.close()
            with state.lock:
                state.open -= 1

    def _answer(
        self, sock: socket.socket, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> bool:
        """Send one reply; return whether the connection stays open."""
        state = self.server.state
        path = target.split("?", 1)[0]
        if path == "/__stats":
            with state.lock:
                stats = {
                    "open": state.open - 1,
                    "accepted": state.accepted,
                    "requests": state.requests,
                }
            return self._json(sock, 200, stats, close=True)
        if path == "/__script":
            with state.lock:
                state.script.extend(json.loads(body))
            return self._json(sock, 200, {"queued": len(json.loads(body))}, close=True)
        with state.lock:
            state.requests += 1
            spec = headers.get("x-fault") or (state.script.popleft() if state.script else "")
        faults = _faults(spec)
        if "retry-after" in faults:
            error = {"error": {"message": "slow down", "type": "rate_limit", "code": 429}}
            return self._json(sock, 429, error, extra=[("Retry-After", faults["retry-after"])])
        if "status" in faults:
            code = int(faults["status"])
            error = {"error": {"message": f"status {code}", "type": "fault", "code": code}}
            return self._json(sock, code, error)
        if "redirect" in faults:
            host = headers.get("host", "127.0.0.1")
            location = f"http://{host}{target}"
            return self._json(
                sock, int(faults["redirect"] or 307), {}, extra=[("Location", location)]
            )
        if path.endswith("/models"):
            data = {
                "object": "list",
                "data": [{"id": MODEL, "object": "model", "created": 0, "owned_by": "fault"}],
            }
            return self._json(sock, 200, data)
        if not path.endswith("/completions"):
            return self._json(sock, 404, {"error": {"message": f"no route {path}"}})
        request = json.loads(body) if body else {}
        tag = headers.get("x-tag") or _tag_of(request)
        chat = path.endswith("/chat/completions")
        if request.get("stream"):
            return self._stream(sock, tag, chat, int(headers.get("x-chunks") or 64), faults)
        if "pause" in faults:
            time.sleep(float(faults["pause"]))
        reply = _completion(tag, chat)
        raw = json.dumps(reply).encode()
        if "invalid-utf8" in faults:
            raw = raw.replace(tag.encode() if tag else b"fault/echo", b"\xff\xfe\xfd", 1)
        extra = [("x-tag", tag.encode("utf-8").decode("latin-1"))]
        if "short-body" in faults:
            sock.sendall(
                _head(
                    200,
                    [
                        ("Content-Type", "application/json"),
                        ("Content-Length", str(len(raw) + 100)),
                        *extra,
                    ],
                )
            )
            sock.sendall(raw)
            raise _Closed
        if "long-body" in faults:
            sock.sendall(
                _head(
                    200,
                    [
                        ("Content-Type", "application/json"),
                        ("Content-Length", str(len(raw))),
                        *extra,
                    ],
                )
            )
            sock.sendall(raw + b'{"garbage": true}')
            return True
        return self._send(sock, 200, raw, "application/json", extra)

    def _json(
        self,
        sock: socket.socket,
        status: int,
        data: Any,
        *,
        close: bool = False,
        extra: list[tuple[str, str]] | None = None,
    ) -> bool:
        return self._send(
            sock,
            status,
            json.dumps(data).encode(),
            "application/json",
            (extra or []) + ([("Connection", "close")] if close else []),
        )

    def _send(
        self, sock: socket.socket, status: int, raw: bytes, ctype: str, extra: list[tuple[str, str]]
    ) -> bool:
        headers = [("Content-Type", ctype), ("Content-Length", str(len(raw))), *extra]
        sock.sendall(_head(status, headers) + raw)
        return not any(k == "Connection" for k, _ in extra)

    def _stream(
        self, sock: socket.socket, tag: str, chat: bool, chunks: int, faults: dict[str, str]
    ) -> bool:
        headers = [
            ("Content-Type", "text/event-stream"),
            ("Transfer-Encoding", "chunked"),
            ("x-tag", tag.encode("utf-8").decode("latin-1")),
        ]
        sock.sendall(_head(200, headers))
        if "keepalive" in faults:
            count, _, every = faults["keepalive"].partition("x")
            for _ in range(int(count)):
                time.sleep(float(every or 0))
                sock.sendall(_chunk(b": keep-alive\n\n"))
        for index in range(chunks):
            event = json.dumps(_chunk_event(tag, chat, index)).encode()
            sock.sendall(_chunk(b"data: " + event + b"\n\n"))
            if index == 0 and "invalid-utf8" in faults:
                sock.sendall(_chunk(b'data: {"bad": "\xff\xfe"}\n\n'))
            if index == 0 and "pause" in faults:
                time.sleep(float(faults["pause"]))
        if "cut" not in faults:
            sock.sendall(_chunk(b"data: [DONE]\n\n"))
        sock.sendall(b"0\r\n\r\n")
        return True


def _tag_of(request: dict[str, Any]) -> str:
    messages = request.get("messages")
    if isinstance(messages, list) and messages:
        content = messages[-1].get("content", "")
        if isinstance(content, list):
            content = " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
        return str(content)
    return str(request.get("prompt", ""))


def _completion(tag: str, chat: bool) -> dict[str, Any]:
    usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    if chat:
        return {
            "id": "chatcmpl-fault",
            "object": "chat.completion",
            "created": 0,
            "model": MODEL,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": tag},
                    "finish_reason": "stop",
                }
            ],
            "usage": usage,
        }
    return {
        "id": "cmpl-fault",
        "object": "text_completion",
        "created": 0,
        "model": MODEL,
        "choices": [{"index": 0, "text": tag, "finish_reason": "stop"}],
        "usage": usage,
    }


def _chunk_event(tag: str, chat: bool, index: int) -> dict[str, Any]:
    if chat:
        delta: dict[str, Any] = {"content": tag}
        if index == 0:
            delta["role"] = "assistant"
        return {
            "id": "chatcmpl-fault",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": MODEL,
            "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
        }
    return {
        "id": "cmpl-fault",
        "object": "text_completion",
        "created": 0,
        "model": MODEL,
        "choices": [{"index": 0, "text": tag, "finish_reason": None}],
    }


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = _State()


def serve() -> None:
    """Run the server in this process; print its port on stdout; stop when stdin closes."""
    server = _Server()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.server_address[1], flush=True)
    sys.stdin.read()  # the parent closes our stdin (or dies): time to go
    server.shutdown()


# --------------------------------------------------------------------------------------------
# The test side
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stats:
    open: int
    accepted: int
    requests: int


@dataclass
class FaultServer:
    """A handle on a running server process. ``base_url`` ends in ``/v1``."""

    port: int
    process: subprocess.Popen[str] | None = field(default=None, repr=False)

    @classmethod
    def start(cls) -> FaultServer:
        process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        return cls(int(process.stdout.readline()), process)

    def stop(self) -> None:
        if self.process is not None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            self.process.wait()
            assert self.process.stdout is not None
            self.process.stdout.close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def _control(self, path: str, data: bytes | None = None) -> Any:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data)
        with opener.open(request) as reply:
            return json.loads(reply.read())

    def stats(self) -> Stats:
        return Stats(**self._control("/__stats"))

    def open_connections(self) -> int:
        """Connections the server holds open now (a closed client socket counts once the
        server has seen its end of file)."""
        return self.stats().open

    def script(self, *faults: str) -> None:
        """Queue faults for the next API requests, one each, in order (``""`` for none)."""
        self._control("/__script", json.dumps(list(faults)).encode())

    def wait_open(self, expected: int) -> int:
        """Poll until ``open_connections() == expected``, with no time limit of its own: under the
        reliability watchdog a count that never comes back fails the test with the stacks."""
        while True:
            now = self.open_connections()
            if now == expected:
                return now
            time.sleep(0.005)

    def settled_open(self, reads: int = 5) -> int:
        """The open-connection count once it has stopped moving (``reads`` equal reads 10 ms
        apart): a baseline that connections other tests closed a moment ago do not skew."""
        last, same = self.open_connections(), 1
        while same < reads:
            time.sleep(0.01)
            now = self.open_connections()
            last, same = now, same + 1 if now == last else 1
        return last

    def wait_open_at_most(self, expected: int) -> int:
        """Like :meth:`wait_open`, for at most ``expected`` open connections."""
        while True:
            now = self.open_connections()
            if now <= expected:
                return now
            time.sleep(0.005)


if __name__ == "__main__":
    serve()
