"""Uploads stream from disk: a file is sent in chunks, never read whole into memory; the
emulator answers the Range requests a cut download continues with.

Checked against a raw-socket server written here (it reads the body in chunks and writes it to
disk, so it holds little memory itself) and against the emulator, sync and async.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import socketserver
import threading
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from nebius_inference import AsyncNebiusClient, InvalidRequestError, NebiusClient
from nebius_inference.testing import Emulator

SIZE = 24 * 2**20  # 24 MiB


def _jsonl(path: Path, size: int) -> bytes:
    line = json.dumps({"custom_id": "x", "body": {"input": "y" * 200}}).encode() + b"\n"
    data = line * (size // len(line))
    path.write_bytes(data)
    return data


class _Sink(socketserver.StreamRequestHandler):
    """Answers ``POST /v1/files``; the first ``server.fail`` requests get a 429 (retried)."""

    def handle(self) -> None:
        server: _SinkServer = self.server  # type: ignore[assignment]
        while True:
            line = self.rfile.readline(65536)
            if not line:
                return
            headers: dict[str, str] = {}
            while (raw := self.rfile.readline(65536)) not in (b"\r\n", b""):
                name, _, value = raw.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            left = int(headers["content-length"])
            target = server.folder / f"body-{len(server.bodies)}"
            with target.open("wb") as out:
                while left:
                    chunk = self.rfile.read(min(left, 1 << 16))
                    assert chunk, "the client closed mid-body"
                    out.write(chunk)
                    left -= len(chunk)
            server.bodies.append((headers, target))
            if server.fail > 0:
                server.fail -= 1
                status, reply = "429 Too Many Requests", {"error": {"message": "slow down"}}
                extra = b"Retry-After: 0\r\n"
            else:
                status, extra = "200 OK", b""
                reply = {
                    "id": "file-1",
                    "object": "file",
                    "bytes": target.stat().st_size,
                    "created_at": 0,
                    "filename": "x.jsonl",
                    "purpose": "batch",
                }
            body = json.dumps(reply).encode()
            self.wfile.write(
                f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n".encode()
                + extra
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )


class _SinkServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, folder: Path) -> None:
        super().__init__(("127.0.0.1", 0), _Sink)
        self.folder = folder
        self.bodies: list[tuple[dict[str, str], Path]] = []
        self.fail = 0


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[_SinkServer]:
    folder = tmp_path / "received"
    folder.mkdir()
    server = _SinkServer(folder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _file_part(headers: dict[str, str], body: bytes) -> bytes:
    """The file field's bytes, cut out of the multipart body by its boundary."""
    boundary = headers["content-type"].split("boundary=", 1)[1].encode()
    start = body.index(b'name="file"')
    start = body.index(b"\r\n\r\n", start) + 4
    end = body.index(b"\r\n--" + boundary + b"--\r\n", start)
    assert body.endswith(b"\r\n--" + boundary + b"--\r\n")
    return body[start:end]


def _url(server: _SinkServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/v1"


def test_a_path_is_sent_in_chunks_with_its_length_up_front(
    sink: _SinkServer, tmp_path: Path
) -> None:
    data = _jsonl(tmp_path / "big.jsonl", SIZE)
    sink.fail = 1  # the retry must send the whole file again
    with NebiusClient(api_key="k", base_url=_url(sink), allow_insecure_http=True) as client:
        tracemalloc.start()
        try:
            uploaded = client.upload_file(tmp_path / "big.jsonl")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert uploaded.id == "file-1"
    assert peak < SIZE / 8, f"the upload held {peak:,} bytes for a {SIZE:,}-byte file"
    assert len(sink.bodies) == 2
    for headers, target in sink.bodies:
        body = target.read_bytes()
        assert "transfer-encoding" not in headers
        assert int(headers["content-length"]) == len(body)
        assert _file_part(headers, body) == data
        assert b'filename="big.jsonl"' in body and b"batch" in body


def test_async_file_object_is_sent_in_chunks(sink: _SinkServer, tmp_path: Path) -> None:
    data = _jsonl(tmp_path / "big.jsonl", SIZE)

    async def upload() -> int:
        client = AsyncNebiusClient(api_key="k", base_url=_url(sink), allow_insecure_http=True)
        try:
            with (tmp_path / "big.jsonl").open("rb") as handle:
                tracemalloc.start()
                try:
                    await client.upload_file(handle, filename="named.jsonl")
                    return tracemalloc.get_traced_memory()[1]
                finally:
                    tracemalloc.stop()
        finally:
            await client.aclose()

    peak = asyncio.run(upload())
    assert peak < SIZE / 8, f"the upload held {peak:,} bytes for a {SIZE:,}-byte file"
    [(headers, target)] = sink.bodies
    body = target.read_bytes()
    assert int(headers["content-length"]) == len(body)
    assert _file_part(headers, body) == data
    assert b'filename="named.jsonl"' in body


def test_the_emulator_stores_identical_bytes(emu: Emulator, tmp_path: Path) -> None:
    data = os.urandom(3 * 2**20)  # any bytes, including CR LF and boundary-like runs
    path = tmp_path / "random.jsonl"
    path.write_bytes(data)
    with NebiusClient(api_key=emu.api_key, base_url=emu.base_url) as client:
        from_path = client.upload_file(path)
        with path.open("rb") as handle:
            handle.seek(100)  # a file object is sent from its start
            from_handle = client.upload_file(handle)
        for uploaded in (from_path, from_handle):
            assert uploaded.filename == "random.jsonl" and uploaded.bytes == len(data)
            assert client.get_file_content(uploaded.id) == data

    async def upload() -> bytes:
        async with AsyncNebiusClient(api_key=emu.api_key, base_url=emu.base_url) as aclient:
            uploaded = await aclient.upload_file(path, filename="other.jsonl")
            assert uploaded.filename == "other.jsonl"
            return await aclient.get_file_content(uploaded.id)

    assert asyncio.run(upload()) == data


def test_bad_files_fail_before_anything_is_sent(sink: _SinkServer, tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text("{}\n")
    with NebiusClient(api_key="k", base_url=_url(sink), allow_insecure_http=True) as client:
        with pytest.raises(InvalidRequestError, match="binary mode"):
            client.upload_file(io.StringIO("{}\n"))  # type: ignore[arg-type]
        with (
            (tmp_path / "a.jsonl").open() as text,
            pytest.raises(InvalidRequestError, match="'rb'"),
        ):
            client.upload_file(text)  # type: ignore[arg-type]
        with pytest.raises(InvalidRequestError, match="No file"):
            client.upload_file(tmp_path / "missing.jsonl")
        with pytest.raises(InvalidRequestError, match="purpose"):
            client.upload_file(tmp_path / "a.jsonl", purpose="other")  # type: ignore[arg-type]
    assert sink.bodies == []


def test_the_emulator_answers_range_requests_for_file_content(
    emu: Emulator, tmp_path: Path
) -> None:
    data = os.urandom(100_000)
    with NebiusClient(api_key=emu.api_key, base_url=emu.base_url) as client:
        file_id = client.upload_file(data).id
        assert client.download_file_content(file_id, tmp_path / "whole") == len(data)
    assert (tmp_path / "whole").read_bytes() == data
    url = f"{emu.base_url}/files/{file_id}/content"
    auth = {"Authorization": f"Bearer {emu.api_key}"}
    whole = httpx.get(url, headers=auth)
    assert whole.headers["accept-ranges"] == "bytes" and whole.content == data
    tail = httpx.get(url, headers={**auth, "Range": "bytes=60000-"})
    assert tail.status_code == 206 and tail.content == data[60000:]
    assert tail.headers["content-range"] == f"bytes 60000-99999/{len(data)}"
    beyond = httpx.get(url, headers={**auth, "Range": f"bytes={len(data)}-"})
    assert beyond.status_code == 416
