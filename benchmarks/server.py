"""A minimal, fast HTTP/1.1 server with canned OpenAI-shaped replies, for the benchmarks.

Not the emulator: a raw ``asyncio.Protocol`` with keep-alive and pre-built reply bytes, so the
time a benchmark measures is spent in the client, not here. Run it in its own process (it then
does not compete with the client for the GIL)::

    python benchmarks/server.py            # prints "PORT <n>" once it listens on 127.0.0.1

Routes (any path prefix before ``/v1`` is allowed; ``/n<N>/v1/...`` sets the stream length):

- ``POST .../chat/completions``: a chat completion; with ``"stream": true`` an SSE stream of
  ``N`` content chunks (default 20), a finish chunk, a usage chunk when the request asks for
  ``include_usage``, then ``data: [DONE]``; sent chunked, in 64 KiB HTTP chunks.
- ``POST .../embeddings``: one 1,024-dim vector per input, base64 or float JSON as asked.
- ``GET .../models``: a short model list.
- ``GET /__stats``: ``{"requests": {route: count}}`` (this route is not counted).
"""

from __future__ import annotations

import array
import asyncio
import base64
import json
import random
import re
import socket
import sys
from collections import Counter
from functools import lru_cache

__all__ = ["DIMENSIONS", "MODEL", "main", "serve"]

MODEL = "Qwen/Qwen3-235B-A22B-Instruct-2507"
EMBEDDING_MODEL = "Qwen/Qwen3-Embedding-8B"
DIMENSIONS = 1024
DEFAULT_STREAM_CHUNKS = 20
HTTP_CHUNK = 64 * 1024

_STREAM_RE = re.compile(rb'"stream"\s*:\s*true')
_USAGE_RE = re.compile(rb'"include_usage"\s*:\s*true')
_PREFIX_RE = re.compile(r"^/n(\d+)(/.*)$")


def _response(status: str, body: bytes, content_type: bytes = b"application/json") -> bytes:
    return (
        b"HTTP/1.1 " + status.encode() + b"\r\n"
        b"content-type: " + content_type + b"\r\n"
        b"x-request-id: bench\r\n"
        b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )


def _dumps(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


CHAT_BODY = _dumps(
    {
        "id": "chatcmpl-bench0000000000000000",
        "object": "chat.completion",
        "created": 1764000000,
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Hello! I am doing well, thank you for asking. How can I help?",
                    "tool_calls": [],
                    "reasoning_content": None,
                },
                "logprobs": None,
                "finish_reason": "stop",
                "stop_reason": None,
            }
        ],
        "usage": {
            "prompt_tokens": 15,
            "completion_tokens": 16,
            "total_tokens": 31,
            "prompt_tokens_details": None,
        },
        "service_tier": None,
        "system_fingerprint": None,
    }
)
CHAT_RESPONSE = _response("200 OK", CHAT_BODY)

MODELS_RESPONSE = _response(
    "200 OK",
    _dumps(
        {
            "object": "list",
            "data": [
                {"id": MODEL, "object": "model", "created": 0, "owned_by": "system"},
                {"id": EMBEDDING_MODEL, "object": "model", "created": 0, "owned_by": "system"},
            ],
        }
    ),
)

NOT_FOUND = _response("404 Not Found", b'{"detail":"Not Found"}')
BAD_REQUEST = _response("400 Bad Request", b'{"detail":"Bad request"}')


def _chunk(delta: dict[str, object], finish: str | None = None) -> bytes:
    event = {
        "id": "chatcmpl-bench0000000000000000",
        "object": "chat.completion.chunk",
        "created": 1764000000,
        "model": MODEL,
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }
    return b"data: " + _dumps(event) + b"\n\n"


@lru_cache(maxsize=16)
def stream_response(n_chunks: int, include_usage: bool) -> bytes:
    """The whole chunked HTTP reply for a stream of ``n_chunks`` content events (pre-built)."""
    words = [" hello", " world", " and", " friends", ",", " streaming", " tokens", "."]
    parts = [_chunk({"role": "assistant", "content": ""})]
    parts.extend(_chunk({"content": words[i % len(words)]}) for i in range(n_chunks))
    parts.append(_chunk({}, "stop"))
    if include_usage:
        usage = {"prompt_tokens": 15, "completion_tokens": n_chunks, "total_tokens": 15 + n_chunks}
        event = {
            "id": "chatcmpl-bench0000000000000000",
            "object": "chat.completion.chunk",
            "created": 1764000000,
            "model": MODEL,
            "choices": [],
            "usage": usage,
        }
        parts.append(b"data: " + _dumps(event) + b"\n\n")
    parts.append(b"data: [DONE]\n\n")
    sse = b"".join(parts)
    out = [
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
        b"cache-control: no-cache\r\nx-request-id: bench\r\ntransfer-encoding: chunked\r\n\r\n"
    ]
    for start in range(0, len(sse), HTTP_CHUNK):
        piece = sse[start : start + HTTP_CHUNK]
        out.append(b"%x\r\n" % len(piece) + piece + b"\r\n")
    out.append(b"0\r\n\r\n")
    return b"".join(out)


def _vector() -> list[float]:
    rng = random.Random(7)
    values = array.array("f", (rng.uniform(-0.1, 0.1) for _ in range(DIMENSIONS)))
    return values.tolist()


_VECTOR = _vector()
_FLOAT_JSON = ("[" + ",".join(f"{v:.9g}" for v in _VECTOR) + "]").encode()
_BASE64_JSON = b'"' + base64.b64encode(array.array("f", _VECTOR).tobytes()) + b'"'


@lru_cache(maxsize=64)
def embeddings_response(count: int, fmt: str) -> bytes:
    """The reply for ``count`` inputs, vectors as ``float`` JSON or ``base64`` (pre-built)."""
    vector = _BASE64_JSON if fmt == "base64" else _FLOAT_JSON
    items = b",".join(
        b'{"object":"embedding","index":%d,"embedding":%s}' % (i, vector) for i in range(count)
    )
    body = (
        b'{"object":"list","model":"' + EMBEDDING_MODEL.encode() + b'","data":[' + items + b"],"
        b'"usage":{"prompt_tokens":%d,"total_tokens":%d}}' % (count * 8, count * 8)
    )
    return _response("200 OK", body)


class Stats:
    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()


class BenchProtocol(asyncio.Protocol):
    """One keep-alive connection: parse requests as bytes arrive, answer with canned bytes."""

    def __init__(self, stats: Stats) -> None:
        self.stats = stats
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.transport is not None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
            headers = {}
            for line in head[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            start = end + 4
            if "chunked" in headers.get("transfer-encoding", "").lower():
                decoded = _dechunk(self.buffer, start)
                if decoded is None:
                    return
                body, consumed = decoded
            else:
                length = int(headers.get("content-length", "0") or 0)
                if len(self.buffer) < start + length:
                    return
                body, consumed = bytes(self.buffer[start : start + length]), start + length
            del self.buffer[:consumed]
            method, _, rest = head[0].partition(" ")
            target = rest.rpartition(" ")[0]
            self.transport.write(self.handle(method, target, body))
            if headers.get("connection", "").lower() == "close":
                self.transport.close()
                self.transport = None

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None

    def handle(self, method: str, target: str, body: bytes) -> bytes:
        path = target.partition("?")[0]
        n_chunks = DEFAULT_STREAM_CHUNKS
        prefixed = _PREFIX_RE.match(path)
        if prefixed:
            n_chunks, path = int(prefixed.group(1)), prefixed.group(2)
        if path == "/__stats":
            return _response("200 OK", _dumps({"requests": dict(self.stats.requests)}))
        if method == "POST" and path.endswith("/chat/completions"):
            if _STREAM_RE.search(body):
                self.stats.requests["chat_stream"] += 1
                return stream_response(n_chunks, bool(_USAGE_RE.search(body)))
            self.stats.requests["chat"] += 1
            return CHAT_RESPONSE
        if method == "POST" and path.endswith("/embeddings"):
            self.stats.requests["embeddings"] += 1
            try:
                payload = json.loads(body)
                inputs = payload["input"]
            except (ValueError, KeyError):
                return BAD_REQUEST
            count = len(inputs) if isinstance(inputs, list) else 1
            if count and isinstance(inputs, list) and isinstance(inputs[0], int):
                count = 1  # a single text sent as token ids
            fmt = "base64" if payload.get("encoding_format") == "base64" else "float"
            return embeddings_response(count, fmt)
        if method == "GET" and path.endswith("/models"):
            self.stats.requests["models"] += 1
            return MODELS_RESPONSE
        return NOT_FOUND


def _dechunk(buffer: bytearray, start: int) -> tuple[bytes, int] | None:
    """Decode a chunked request body; ``None`` until it is complete."""
    body = bytearray()
    pos = start
    while True:
        line_end = buffer.find(b"\r\n", pos)
        if line_end < 0:
            return None
        size = int(bytes(buffer[pos:line_end]).split(b";")[0], 16)
        if size == 0:
            trailer_end = buffer.find(b"\r\n\r\n", line_end)
            if trailer_end == line_end:
                return bytes(body), line_end + 4
            if trailer_end < 0:
                return None
            return bytes(body), trailer_end + 4
        data_start = line_end + 2
        if len(buffer) < data_start + size + 2:
            return None
        body += buffer[data_start : data_start + size]
        pos = data_start + size + 2


async def serve(port: int = 0) -> None:
    """Listen on 127.0.0.1 (port 0: any free port), print ``PORT <n>``, serve until killed."""
    loop = asyncio.get_running_loop()
    stats = Stats()
    server = await loop.create_server(
        lambda: BenchProtocol(stats), "127.0.0.1", port, backlog=1024, reuse_address=True
    )
    bound = server.sockets[0].getsockname()[1]
    # Warm the caches the benchmarks hit most, so the first timed request is not slower.
    stream_response(DEFAULT_STREAM_CHUNKS, True)
    embeddings_response(128, "base64")
    embeddings_response(128, "float")
    sys.stdout.write(f"PORT {bound}\n")
    sys.stdout.flush()
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    port = int(args[0]) if args else 0
    try:
        import uvloop  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        runner = asyncio.run
    else:
        runner = uvloop.run
    try:
        runner(serve(port))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
