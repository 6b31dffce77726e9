"""The scripted fake on a real socket: a small threaded HTTP/1.1 server on 127.0.0.1.

Each request is turned into an ``httpx.Request`` and handed to the fake, exactly as
``httpx.MockTransport`` would; the ``httpx.Response`` goes back on the wire. Connections are
kept alive; a ``text/event-stream`` reply is sent chunked, one event per chunk, and every other
reply with a ``Content-Length``. A handler that raises ``httpx.TransportError`` drops the
connection without a reply (a lost reply); a stream that raises half-way drops it mid-body.
"""

from __future__ import annotations

import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import httpx

HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "keep-alive"}


class _Dropped(Exception):
    """The reply is abandoned: close the connection without finishing it."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else a reply in two writes waits ~40 ms for a delayed ACK
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the fake records every request itself."""

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except _Dropped:
            self.close_connection = True
        except (ConnectionError, TimeoutError):
            self.close_connection = True  # the client went away

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def _body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("content-length") or 0))

    def _serve(self) -> None:
        body = self._body()
        host = f"{self.server.server_address[0]}:{self.server.server_address[1]}"
        headers = [(k, v) for k, v in self.headers.items() if k.lower() != "transfer-encoding"]
        request = httpx.Request(
            self.command, f"http://{host}{self.path}", headers=headers, content=body
        )
        try:
            response = self.server.fake(request)
        except httpx.TransportError:
            raise _Dropped from None
        except BaseException as exc:  # the fake's failure goes to the test, at teardown
            if str(exc) not in self.server.fake.errors:  # a strict fake has recorded its own
                self.server.fake.errors.append(f"{type(exc).__name__}: {exc}")
            raise _Dropped from None
        self._send(response)

    def _send(self, response: httpx.Response) -> None:
        self.send_response(response.status_code, response.reason_phrase)
        for name, value in response.headers.multi_items():
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        streamed = "text/event-stream" in response.headers.get("content-type", "") or not (
            isinstance(response.stream, httpx.ByteStream)
        )
        if self.headers.get("connection", "").lower() == "close":
            self.close_connection = True
            self.send_header("Connection", "close")
        if not streamed:
            self.send_header("Content-Length", str(len(response.content)))
            self.end_headers()
            self.wfile.write(response.content)
            self.wfile.flush()
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for piece in _pieces(response):
                if piece:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    self.wfile.flush()
        except httpx.TransportError:
            raise _Dropped from None
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


def _pieces(response: httpx.Response) -> Any:
    """The body as it goes on the wire: an event stream one event at a time."""
    if isinstance(response.stream, httpx.ByteStream):
        content = response.content
        events = content.split(b"\n\n") if b"\n\n" in content else [content]
        for i, event in enumerate(events):
            yield event + (b"\n\n" if i < len(events) - 1 else b"")
    else:
        yield from response.stream  # type: ignore[union-attr]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: Any

    def __init__(self, fake: Any) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake
        self.connections: set[socket.socket] = set()
        self.opened = 0
        self.lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.lock:
            self.connections.add(request)
            self.opened += 1
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A connection the client dropped is no failure; anything else goes to the test."""
        exc = sys.exc_info()[1]
        if not isinstance(exc, (ConnectionError, TimeoutError, OSError)):
            self.fake.errors.append(f"server error: {exc!r}")


class FakeServer:
    """Serves ``fake`` on 127.0.0.1 in a background thread while the ``with`` block runs."""

    def __init__(self, fake: Any) -> None:
        self._server = _Server(fake)
        host, port = self._server.server_address[:2]
        self.base_url = f"http://{host}:{port}/v1"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def connections_opened(self) -> int:
        """How many connections the clients opened (keep-alive reuses one)."""
        return self._server.opened

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        with self._server.lock:
            open_connections = list(self._server.connections)
        for connection in open_connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)  # wakes a thread waiting for a request
            except OSError:
                pass
        self._server.server_close()
        self._thread.join()
